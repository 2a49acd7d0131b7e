"""Issue 15: deployments LiteLLM runs exactly as a rule forbids while the pack passed or only
deferred. Each test failed on the pack before the fix (the bypass) and names the rule that now
catches it."""

from .policy_fixtures import PROD, T_CM, R, container, messages, run


def _env_from_config_map(k8s, data: dict[str, str]) -> None:
    """Settings the proxy loads with envFrom from a ConfigMap of the same stack."""
    k8s["settings_cm"] = R(T_CM, "proxy-settings", {"metadata": {"name": "proxy-settings", "namespace": "litellm"}, "data": data})
    container(k8s["proxy"]).setdefault("envFrom", []).append({"configMapRef": {"name": "proxy-settings"}})


def test_p6_debug_logging_through_env_from_is_a_violation(k8s):
    """Before: the resource policy could not see the ConfigMap and deferred (advisory) forever."""
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "LITELLM_LOG"]
    _env_from_config_map(k8s, {"LITELLM_LOG": "DEBUG"})
    msgs = messages(run(k8s, PROD), "P6")
    assert any("LITELLM_LOG" in m and "DEBUG" in m for m in msgs), msgs


def test_d5_schema_updates_through_env_from_is_a_violation(k8s):
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "DISABLE_SCHEMA_UPDATE"]
    _env_from_config_map(k8s, {"DISABLE_SCHEMA_UPDATE": "false"})
    msgs = messages(run(k8s, PROD), "D5")
    assert any("DISABLE_SCHEMA_UPDATE" in m for m in msgs), msgs


def test_an_env_entry_overrides_env_from_as_kubernetes_does(k8s):
    """`env` wins over `envFrom` for the same name: the compliant inline value is what runs."""
    _env_from_config_map(k8s, {"LITELLM_LOG": "DEBUG"})
    assert not messages(run(k8s, PROD), "P6")

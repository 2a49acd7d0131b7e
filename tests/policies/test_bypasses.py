"""Issue 15: deployments LiteLLM runs exactly as a rule forbids while the pack passed or only
deferred. Each test failed on the pack before the fix (the bypass) and names the rule that now
catches it."""

import json
from pathlib import Path

from litellm_policies import UNKNOWN

from .policy_fixtures import T_CM, R, container, messages, run, update_config

#: The pack config a prod deployment runs with (every rule mandatory, deferrals advisory).
PROD = json.loads((Path(__file__).parents[2] / "policies/config/prod.json").read_text())


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


def _renamed_image(k8s) -> dict:
    """The official image pushed to a private registry under another name, run with its default
    entrypoint (no command): what the pack used to take for an unknown workload."""
    c = container(k8s["proxy"])
    c["image"] = "registry.internal.example/platform/gateway:2.3.1"
    c.pop("command", None)
    return c


def test_a_renamed_proxy_image_is_still_judged_and_says_why(k8s):
    c = _renamed_image(k8s)
    c.pop("args", None)  # the image's default CMD
    c["env"] = [e for e in c["env"] if e["name"] != "LITELLM_LOG"]
    msgs = messages(run(k8s, PROD), "P6")
    assert msgs and "taken for a LiteLLM proxy" in msgs[0] and "LITELLM_SALT_KEY" in msgs[0], msgs


def test_a_renamed_proxy_found_by_its_cli_flags(k8s):
    c = _renamed_image(k8s)
    c["env"] = [e for e in c["env"] if not e["name"].startswith(("LITELLM_", "SEPARATE_"))]
    msgs = messages(run(k8s, PROD), "S1")
    assert any("no LITELLM_SALT_KEY" in m and "--num_workers" in m for m in msgs), msgs


def test_a_client_that_only_calls_the_proxy_is_not_taken_for_one(k8s):
    """A workload holding the master key to call the gateway is no proxy: no rule judges it."""
    k8s["client"] = R(
        "kubernetes:apps/v1:Deployment",
        "batch-client",
        {"metadata": {"name": "batch-client", "namespace": "litellm"}, "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "registry.internal.example/team/batch:1.0",
             "env": [{"name": "LITELLM_MASTER_KEY", "valueFrom": {"secretKeyRef": {"name": "litellm-secrets", "key": "master-key"}}},
                     {"name": "OPENAI_API_BASE", "value": "http://litellm-proxy:4000"}]}]}}}},
    )  # fmt: skip
    assert not [v for v in run(k8s, PROD) if v.urn == k8s["client"].urn]


def test_a_docker_proxy_whose_entrypoint_is_unknown_at_preview_is_judged(docker):
    """Docker computes `entrypoints` when the program leaves them to the image: at a first
    preview they are unknown, and the proxy used to be "a proxy or a one-shot job?", judged by
    no proxy rule (our own dev stack's N4 finding vanished through the engine)."""
    docker["proxy"].props["entrypoints"] = UNKNOWN
    docker["proxy"].props["envs"] = [e for e in docker["proxy"].props["envs"] if not e.startswith("LITELLM_LOG=")]
    assert any("LITELLM_LOG" in m for m in messages(run(docker, PROD), "P6"))
    assert messages(run(docker, PROD), "N4")


def test_s3_master_key_written_into_config_yaml_is_a_violation(k8s):
    """LiteLLM prefers general_settings.master_key over LITELLM_MASTER_KEY (proxy_server.py,
    1.106.2): a literal there is the key the proxy checks, whatever the env says."""
    update_config(k8s["config"], lambda d: d.setdefault("general_settings", {}).update(master_key="sk-1234"))
    msgs = messages(run(k8s, PROD), "S3")
    assert any("general_settings.master_key" in m for m in msgs), msgs
    assert not any("sk-1234" in m for m in msgs)


def test_s3_master_key_taken_from_another_env_var_is_judged_there(k8s):
    """`master_key: os.environ/GW_KEY` makes GW_KEY the key: a short literal there used to pass
    (S3 judged LITELLM_MASTER_KEY, which the proxy no longer used)."""
    update_config(k8s["config"], lambda d: d.setdefault("general_settings", {}).update(master_key="os.environ/GW_KEY"))
    container(k8s["proxy"])["env"].append({"name": "GW_KEY", "value": "sk-1234"})
    msgs = messages(run(k8s, PROD), "S3")
    assert any("GW_KEY" in m for m in msgs), msgs


def _liveness_exec(k8s, command: list[str]) -> None:
    container(k8s["proxy"])["livenessProbe"] = {"exec": {"command": command}, "timeoutSeconds": 5, "periodSeconds": 10}


def test_h2_an_exec_probe_that_only_mentions_the_health_url_is_a_violation(k8s):
    _liveness_exec(k8s, ["sh", "-c", "echo http://localhost:4001/health/liveliness; exit 0"])
    msgs = messages(run(k8s, PROD), "H2")
    assert any("livenessProbe" in m and "cannot fail" in m for m in msgs), msgs


def test_h2_curl_without_fail_exits_0_on_an_error_status(k8s):
    _liveness_exec(k8s, ["curl", "-s", "http://localhost:4001/health/liveliness"])
    assert any("cannot fail" in m for m in messages(run(k8s, PROD), "H2"))


def test_h2_a_healthcheck_that_swallows_the_failure_is_a_violation(docker):
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD-SHELL", "curl -f http://localhost:4001/health/liveliness || true"]
    assert any("cannot fail" in m for m in messages(run(docker, PROD), "H2"))


def test_h2_real_http_checks_pass(k8s, docker):
    for command in (
        ["curl", "-fsS", "http://localhost:4001/health/liveliness"],
        ["sh", "-c", "curl -f http://127.0.0.1:4001/health/liveliness || exit 1"],
        ["wget", "-q", "-O", "/dev/null", "http://localhost:4001/health/liveliness"],
        ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4001/health/liveliness', timeout=4)"],
    ):
        _liveness_exec(k8s, command)
        assert not messages(run(k8s, PROD), "H2"), command
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD-SHELL", "curl -f http://localhost:4001/health/readiness || exit 1"]
    assert not messages(run(docker, PROD), "H2")


def test_h3_a_zero_healthcheck_timeout_is_dockers_default_of_30s(docker):
    """The provider reads back "0s" for an unset timeout, which Docker runs as 30 s: it used to
    count as ≤ 5 s."""
    docker["proxy"].props["healthcheck"]["timeout"] = "0s"
    msgs = messages(run(docker, PROD), "H3")
    assert msgs and "30" in msgs[0], msgs


def _proxy_image(k8s, image: str) -> None:
    container(k8s["proxy"])["image"] = image


def test_n2_a_newly_compromised_release_is_refused_through_pack_config(k8s):
    """Before: the list was code, so blocking a new release needed a new pack version."""
    _proxy_image(k8s, "ghcr.io/berriai/litellm:v1.107.0")
    assert not messages(run(k8s, PROD), "N2")
    config = {**PROD, "litellm-n2-no-compromised-litellm": {"compromisedVersions": ["1.82.7", "1.82.8", "1.107.0"]}}
    msgs = messages(run(k8s, config), "N2")
    assert any("1.107.0" in m and "compromised" in m for m in msgs), msgs


def test_n2_a_compromised_release_pinned_by_digest_is_refused(k8s):
    digest = "sha256:" + "ab" * 32
    _proxy_image(k8s, f"registry.internal.example/mirror/litellm@{digest}")
    assert not messages(run(k8s, PROD), "N2")
    config = {**PROD, "litellm-n2-no-compromised-litellm": {"compromisedDigests": [digest]}}
    msgs = messages(run(k8s, config), "N2")
    assert any(digest in m for m in msgs), msgs


def test_n2_the_default_list_still_refuses_the_known_releases(k8s):
    _proxy_image(k8s, "ghcr.io/berriai/litellm:v1.82.8")
    assert any("1.82.8" in m for m in messages(run(k8s, PROD), "N2"))


def _salt_from_outside(k8s) -> None:
    """The salt key from a Secret the stack does not hold: its value can never be known."""
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "LITELLM_SALT_KEY"]
    c["env"].append({"name": "LITELLM_SALT_KEY", "valueFrom": {"secretKeyRef": {"name": "vault-synced", "key": "salt"}}})


def test_s7_a_value_from_outside_the_stack_is_a_violation_in_prod(k8s):
    """Before: S1/S2 deferred (advisory) forever, since no later run could know the value."""
    _salt_from_outside(k8s)
    vs = run(k8s, PROD)
    msgs = messages(vs, "S7")
    assert len(msgs) == 1 and "Secret 'litellm/vault-synced'" in msgs[0] and "trustedExternalObjects" in msgs[0], msgs


def test_s7_an_outside_object_named_as_trusted_passes(k8s):
    _salt_from_outside(k8s)
    for trusted in ("Secret/litellm/vault-synced", "Secret/vault-synced"):
        config = {**PROD, "litellm-s7-outside-references-trusted": {"trustedExternalObjects": [trusted]}}
        assert not messages(run(k8s, config), "S7"), trusted


def test_d6_postgres_without_any_volume_is_refused_even_with_pgdata_unknown(docker):
    """Before: deferred on PGDATA (unknown at a first Docker preview), though no volume holds it anywhere."""
    pg = docker["postgres"].props
    pg["envs"] = UNKNOWN
    pg.pop("volumes", None)
    msgs = messages(run(docker, PROD), "D6")
    assert msgs and "no volume mounted at all" in msgs[0], msgs


def test_s4_a_literal_in_an_env_var_the_config_uses_as_a_secret(k8s):
    """`master_key: os.environ/GW_ADMIN_KEY` makes GW_ADMIN_KEY a secret whatever its name: a
    long literal there passed both S3 (long enough) and S4 (the name looks harmless)."""
    update_config(k8s["config"], lambda d: d.setdefault("general_settings", {}).update(master_key="os.environ/GW_ADMIN_KEY"))
    container(k8s["proxy"])["env"].append({"name": "GW_ADMIN_KEY", "value": "sk-" + "a1b2" * 12})
    msgs = messages(run(k8s, PROD), "S4")
    assert any("GW_ADMIN_KEY" in m for m in msgs), msgs
    assert not any("a1b2a1b2" in m for m in msgs)


def test_p10_the_config_resetting_a_judged_env_var_is_a_violation(k8s):
    """config.yaml's environment_variables are set by LiteLLM after start-up, out of the env the
    rules judge: LITELLM_LOG=DEBUG there used to pass with a compliant env."""
    update_config(k8s["config"], lambda d: d.update(environment_variables={"LITELLM_LOG": "DEBUG"}))
    msgs = messages(run(k8s, PROD), "P10")
    assert any("environment_variables" in m and "LITELLM_LOG" in m for m in msgs), msgs


def test_p10_a_shell_assignment_of_a_judged_env_var_is_a_violation(k8s):
    c = container(k8s["proxy"])
    c["command"] = ["sh", "-c", "LITELLM_LOG=DEBUG exec litellm --config /app/config.yaml --port 4000 --num_workers 4"]
    c.pop("args", None)
    msgs = messages(run(k8s, PROD), "P10")
    assert any("LITELLM_LOG" in m and "shell" in m for m in msgs), msgs


def test_s5_redis_as_a_native_sidecar_is_judged_like_any_redis(k8s):
    """Before: a Redis in initContainers with restartPolicy Always (a native sidecar, serving for
    the pod's whole life) was taken for a step that exits, so no Redis rule judged it."""
    import copy

    sidecar = copy.deepcopy(container(k8s["redis"]))
    sidecar.update(name="cache", restartPolicy="Always", args=["redis-server"], command=[])
    sidecar.pop("env", None)
    k8s["proxy"].props["spec"]["template"]["spec"].setdefault("initContainers", []).append(sidecar)
    msgs = messages(run(k8s, PROD), "S5")
    assert msgs == [
        "[S5] Deployment 'litellm-proxy' container 'cache': found Redis without requirepass; required a password "
        "(≥ 32 characters) that Redis requires. Fix: run redis-server --requirepass $(REDIS_PASSWORD) with REDIS_PASSWORD from a Secret"
    ], msgs

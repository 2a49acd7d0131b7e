"""How the pack reads a deployment (detect.py): the places an operator may put a config, a
secret, a selector or a setting, each read as Kubernetes reads it. Every rule stands on this
reading; a misreading makes a rule pass what it should refuse (or the reverse), so each test
pins the finding an operator would see."""

import base64

import pytest
import yaml

from .policy_fixtures import NS, T_SECRET, R, container, litellm_config, pod, reported, run, set_arg, set_env
from .test_proxy_messages import env_config_map, from_config_map

PROXY = "Deployment 'litellm-proxy' container 'proxy'"


def _config_in_secret_data(k8s, config: dict) -> R:
    """The proxy's config.yaml held base64-encoded in a Secret's `data` and mounted from it."""
    text = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    k8s["config"] = R(T_SECRET, "litellm-config", {"metadata": {"name": "litellm-config", "namespace": NS}, "data": {"config.yaml": text}})
    for v in pod(k8s["proxy"])["volumes"]:
        if v["name"] == "config":
            v.pop("configMap")
            v["secret"] = {"secretName": "litellm-config"}
    return k8s["config"]


def test_a_config_in_a_secret_is_decoded_and_judged_and_its_literal_keys_are_not_plaintext(k8s):
    """A Secret's `data` is base64: the config inside is read like a ConfigMap's (P10 sees its
    sections), and a literal API key there is where S4 wants secrets, not a plaintext leak."""
    config = litellm_config()
    config["model_list"][0]["litellm_params"]["api_key"] = "sk-" + "k" * 40
    config["bogus_section"] = {}
    secret = _config_in_secret_data(k8s, config)
    vs = run(k8s)
    assert reported(vs, "S4") == []
    (p10,) = reported(vs, "P10")
    assert p10[1] == secret.urn
    assert p10[0].startswith(
        "[P10] Secret 'litellm-config' key 'config.yaml': found top-level key 'bogus_section' that LiteLLM does not read"
    )


def test_a_projected_volume_s_secret_is_a_read_object(k8s):
    """A projected volume's sources are read by the pod like volumes of their own: a Secret from
    outside the stack among them is reported by S7 (and a source of another kind does not
    break the reading)."""
    pod(k8s["proxy"])["volumes"].append(
        {"name": "extra", "projected": {"sources": [{"downwardAPI": {"items": []}}, {"secret": {"name": "outside-projected"}}]}}
    )
    container(k8s["proxy"])["volumeMounts"].append({"name": "extra", "mountPath": "/x"})
    assert [m for m, _ in reported(run(k8s), "S7")] == [
        f"[S7] {PROXY}: found Secret 'litellm/outside-projected' from outside the stack (volume extra): its values can never "
        "be judged; required every object the container reads in the stack, or trusted in the pack config. Fix: create it in "
        "the stack, or check it yourself and add \"Secret/litellm/outside-projected\" to trustedExternalObjects of "
        "litellm-s7-outside-references-trusted in the --policy-pack-config file"
    ]


def test_a_not_in_expression_admits_every_pod_whose_label_it_does_not_list(k8s):
    """`app NotIn [nobody]` selects every pod whose app is not 'nobody': Redis too. `app NotIn
    [redis]` keeps Redis out and admits only the LiteLLM pods."""
    def admit_not_in(values: list[str]) -> None:
        expr = {"key": "app", "operator": "NotIn", "values": values}
        k8s["pg_np"].props["spec"]["ingress"] = [{"from": [{"podSelector": {"matchExpressions": [expr]}}]}]

    admit_not_in(["nobody"])
    assert reported(run(k8s), "N1") == [
        (
            "[N1] NetworkPolicy 'postgres-ingress': found spec.ingress[0] admits a podSelector that also admits Deployment "
            "'redis'; required ingress only from LiteLLM pods. Fix: restrict `from` to a podSelector matching only the "
            "proxy and migration pods",
            k8s["pg_np"].urn,
        )
    ]
    admit_not_in(["redis"])
    assert reported(run(k8s), "N1") == []


def test_an_unset_health_port_is_read_as_the_image_default(k8s):
    """Without SEPARATE_HEALTH_PORT the health app listens on 4001: the probes on 4001 still reach
    it (no H2/H3 finding); only H1's ask to set it explicitly remains."""
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_PORT", remove=True)
    assert [(v.rule_id, v.deferred) for v in run(k8s)] == [("H1", False)]


@pytest.mark.parametrize("through", ["arg", "arg=value", "env", "env from a ConfigMap"])
def test_a_setting_naming_an_env_var_is_expanded_as_kubernetes_does(k8s, through):
    """`--num_workers $(W)` (or `--num_workers=$(W)`, click's other spelling), or NUM_WORKERS=$(W),
    with W=32 (set in the pod or read from a ConfigMap of the stack) runs 32 workers: P5 sizes
    the memory for 32."""
    c = container(k8s["proxy"])
    if through == "arg":
        c["args"] = set_arg(c["args"], "--num_workers", "$(W)")
    elif through == "arg=value":
        c["args"] = [*set_arg(c["args"], "--num_workers", remove=True), "--num_workers=$(W)"]
    else:
        c["args"] = set_arg(c["args"], "--num_workers", remove=True)
        set_env(c, "NUM_WORKERS", "$(W)")
    if through == "env from a ConfigMap":
        env_config_map(k8s, {"w": "32"})
        set_env(c, "W", value_from=from_config_map("w"))
    else:
        set_env(c, "W", "32")
    assert [m for m, _ in reported(run(k8s), "P5")] == [
        f"[P5] {PROXY}: found a memory limit of 8192 MiB for 32 workers; required ≥ 11078 MiB (32 × 330 MiB + 306 MiB "
        "master + 212 MiB health app). Fix: raise the memory limit to at least 11078 MiB or lower --num_workers"
    ]


@pytest.mark.parametrize(("read", "outside"), [("proxy-extra", False), ("outside-secret", True)])
def test_an_object_without_a_name_is_found_by_its_resource_name_only(k8s, read, outside):
    """An object the stack creates without metadata.name is named after its resource: a pod
    reading that name reads it; a pod reading any other name does not (S7 then reports it)."""
    k8s["auto"] = R(T_SECRET, "proxy-extra", {"metadata": {"namespace": NS}, "stringData": {"k": "v"}})
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": read}})
    found = [m.split(": found ", 1)[1].split(" from outside", 1)[0] for m, _ in reported(run(k8s), "S7")]
    assert found == (["Secret 'litellm/outside-secret'"] if outside else [])

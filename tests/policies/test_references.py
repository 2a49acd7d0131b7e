"""S7 (litellm-s7-outside-references-trusted): every Secret / ConfigMap a LiteLLM, Postgres or
Redis container reads is in the stack or trusted by name. Whole messages and resources: what an
operator reads, and the exact entry the message tells them to add."""

import json
from pathlib import Path

from litellm_policies import UNKNOWN

from .policy_fixtures import T_SECRET, R, container, pod, reported, run

PROD = json.loads((Path(__file__).parents[2] / "policies/config/prod.json").read_text())
POLICY = "litellm-s7-outside-references-trusted"
PROXY = "Deployment 'litellm-proxy' container 'proxy'"
PROXY_URN = "urn:pulumi:prod::litellm-gateway::kubernetes:apps/v1:Deployment::litellm-proxy"


def outside(kind: str, where: str, how: str) -> tuple[str, str]:
    return (
        f"[S7] {PROXY}: found {kind} '{where}' from outside the stack ({how}): its values can never be judged; "
        "required every object the container reads in the stack, or trusted in the pack config. Fix: create it in "
        f'the stack, or check it yourself and add "{kind}/{where}" to trustedExternalObjects of {POLICY} in the '
        "--policy-pack-config file",
        PROXY_URN,
    )


def trusting(*entries: str) -> dict:
    return {**PROD, POLICY: {"trustedExternalObjects": list(entries)}}


def read_from_outside(k8s) -> None:
    """The proxy reads five objects nobody created in the stack, in every way a pod can, and has
    a sixth in a volume it does not mount."""
    c = container(k8s["proxy"])
    c["env"].append({"name": "A_KEY", "valueFrom": {"configMapKeyRef": {"name": "outside-cm", "key": "k"}}})
    c["env"].append({"name": "B_KEY", "valueFrom": {"secretKeyRef": {"name": "outside-env-secret", "key": "k"}}})
    c.setdefault("envFrom", []).extend([{"secretRef": {"name": "outside-secret"}}, {"configMapRef": {"name": "outside-cm2"}}])
    volumes = pod(k8s["proxy"])["volumes"]
    volumes += [{"name": "extra", "secret": {"secretName": "outside-vol"}}, {"name": "unmounted", "configMap": {"name": "never-mounted"}}]
    c["volumeMounts"].append({"name": "extra", "mountPath": "/x"})


def test_s7_every_way_of_reading_an_outside_object_is_reported_and_an_unmounted_volume_is_not(k8s):
    read_from_outside(k8s)
    assert reported(run(k8s, PROD), "S7") == [
        outside("ConfigMap", "litellm/outside-cm", "env A_KEY"),
        outside("Secret", "litellm/outside-env-secret", "env B_KEY"),
        outside("Secret", "litellm/outside-secret", "envFrom"),
        outside("ConfigMap", "litellm/outside-cm2", "envFrom"),
        outside("Secret", "litellm/outside-vol", "volume extra"),
    ]


def test_s7_trusted_objects_pass_by_kind_and_name_or_with_their_namespace(k8s):
    read_from_outside(k8s)
    config = trusting("ConfigMap/outside-cm", "Secret/litellm/outside-env-secret", "Secret/outside-secret", "Secret/litellm/outside-vol")
    assert reported(run(k8s, config), "S7") == [outside("ConfigMap", "litellm/outside-cm2", "envFrom")]


def test_s7_trust_in_another_namespace_or_of_another_kind_is_not_trust(k8s):
    read_from_outside(k8s)
    config = trusting("ConfigMap/other/outside-cm", "Secret/outside-cm", "ConfigMap/outside-env-secret")
    assert [m for m, _ in reported(run(k8s, config), "S7")][:2] == [
        outside("ConfigMap", "litellm/outside-cm", "env A_KEY")[0],
        outside("Secret", "litellm/outside-env-secret", "env B_KEY")[0],
    ]


def test_s7_without_a_namespace_the_message_names_the_object_alone(k8s):
    del k8s["proxy"].props["metadata"]["namespace"]
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": "outside-secret"}})
    found = [m for m, _ in reported(run(k8s, PROD), "S7")]
    assert outside("Secret", "outside-secret", "envFrom")[0] in found
    assert not [m for m, _ in reported(run(k8s, trusting("Secret/outside-secret")), "S7") if "outside-secret" in m]


def test_s7_a_name_that_is_an_output_of_the_stack_is_judged_on_the_next_preview(k8s):
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": UNKNOWN}})
    assert reported(run(k8s, PROD), "S7") == []


def test_s7_a_mount_of_another_volume_does_not_make_an_outside_volume_read(k8s):
    pod(k8s["proxy"])["volumes"].append({"name": "extra", "secret": {"secretName": "outside-vol"}})
    container(k8s["proxy"])["volumeMounts"].append({"name": "not-extra", "mountPath": "/x"})
    assert reported(run(k8s, PROD), "S7") == []


def test_s7_docker_containers_are_passed_over_and_the_kubernetes_ones_still_judged(k8s, docker):
    """Docker has no Secret objects to read; a stack with both (dev and prod in one program) is
    judged on its Kubernetes containers, whatever comes first."""
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": "outside-secret"}})
    assert reported(run([*docker.values(), *k8s.values()], PROD), "S7") == [outside("Secret", "litellm/outside-secret", "envFrom")]


def test_s7_an_object_of_the_same_name_in_another_namespace_is_not_the_one_the_pod_reads(k8s):
    """A pod reads Secrets of its own namespace: a stack Secret 'outside-secret' in namespace
    'other' does not make litellm/outside-secret the stack's."""
    k8s["decoy"] = R(T_SECRET, "decoy", {"metadata": {"name": "outside-secret", "namespace": "other"}, "stringData": {"k": "v"}})
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": "outside-secret"}})
    assert reported(run(k8s, PROD), "S7") == [outside("Secret", "litellm/outside-secret", "envFrom")]


def test_s7_a_secret_the_stack_names_at_apply_is_the_one_a_dependent_pod_reads(k8s):
    """An auto-named Secret (its name known only after apply) that the proxy depends on is the
    one whose name the proxy reads: the stack's, not an outside object."""
    k8s["auto"] = R(T_SECRET, "proxy-extra", {"metadata": {"name": UNKNOWN, "namespace": "litellm"}, "stringData": {"k": "v"}})
    k8s["proxy"].dependencies.append(k8s["auto"].urn)
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": "proxy-extra-1a2b3c"}})
    assert reported(run(k8s, PROD), "S7") == []


def test_s7_of_two_objects_of_that_name_the_one_in_the_pods_namespace_is_read(k8s):
    k8s["decoy"] = R(T_SECRET, "decoy", {"metadata": {"name": "shared", "namespace": "other"}, "stringData": {"k": "v"}})
    k8s["mine"] = R(T_SECRET, "mine", {"metadata": {"name": "shared", "namespace": "litellm"}, "stringData": {"k": "v"}})
    container(k8s["proxy"]).setdefault("envFrom", []).append({"secretRef": {"name": "shared"}})
    assert reported(run(k8s, PROD), "S7") == []

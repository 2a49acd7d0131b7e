"""N1-N4: platform."""

import pytest
from .policy_fixtures import R, T_DEPLOY, container, findings, messages, pod, run

from litellm_policies import UNKNOWN


def deferred_for(vs, rule_id):
    return [v for v in vs if v.deferred and v.rule_id == rule_id]


# ---------------------------------------------------------------- N1


@pytest.mark.parametrize("svc_type", ["LoadBalancer", "NodePort"])
def test_n1_datastore_service_exposed(k8s, svc_type):
    k8s["pg_svc"].props["spec"]["type"] = svc_type
    m = messages(run(k8s), "N1")
    assert len(m) == 1 and f"type {svc_type} selecting StatefulSet 'postgres'" in m[0]


def test_n1_public_proxy_service_is_fine(k8s):
    k8s["proxy_svc"].props["spec"]["type"] = "LoadBalancer"
    assert not findings(run(k8s), "N1")


def test_n1_missing_network_policy(k8s):
    k8s.pop("redis_np")
    m = messages(run(k8s), "N1")
    assert len(m) == 1 and "Deployment 'redis'" in m[0] and "no NetworkPolicy" in m[0]


@pytest.mark.parametrize(
    "peer,expect",
    [
        ({"podSelector": {}}, "empty podSelector"),
        ({"ipBlock": {"cidr": "0.0.0.0/0"}}, "ipBlock"),
        ({"namespaceSelector": {}}, "namespaceSelector"),
        ({"podSelector": {"matchLabels": {"app": "redis"}}}, "also admits Deployment 'redis'"),
        ({"podSelector": {"matchLabels": {"app": "nothing"}}}, "matching no LiteLLM pod"),
    ],
)
def test_n1_network_policy_too_open(k8s, peer, expect):
    k8s["pg_np"].props["spec"]["ingress"] = [{"from": [peer]}]
    m = messages(run(k8s), "N1")
    assert m and expect in m[0]


def test_n1_network_policy_admitting_another_workload(k8s):
    k8s["other"] = R(
        T_DEPLOY,
        "other-app",
        {"spec": {"template": {"metadata": {"labels": {"litellm-db-client": "true", "app": "other"}}, "spec": {"containers": [{"name": "x", "image": "nginx:1.27.0"}]}}}},
    )
    m = messages(run(k8s), "N1")
    assert m and "also admits Deployment 'other-app'" in m[0]


def test_n1_ingress_without_from(k8s):
    k8s["pg_np"].props["spec"]["ingress"] = [{"ports": [{"port": 5432}]}]
    assert any("without `from`" in m for m in messages(run(k8s), "N1"))


def test_n1_host_network(k8s):
    pod(k8s["redis"])["hostNetwork"] = True
    assert any("hostNetwork" in m for m in messages(run(k8s), "N1"))


def test_n1_docker_ports(docker):
    docker["postgres"].props["ports"] = [{"internal": 5432, "external": 5435, "ip": "127.0.0.1"}]
    assert not findings(run(docker), "N1")
    docker["postgres"].props["ports"] = [{"internal": 5432, "external": 5435}]
    m = messages(run(docker), "N1")
    assert len(m) == 1 and "published on 0.0.0.0" in m[0]
    docker["redis"].props["networkMode"] = "host"
    assert any("networkMode 'host'" in x for x in messages(run(docker), "N1"))


def test_n1_unknown_ip_deferred(docker):
    docker["redis"].props["ports"] = [{"internal": 6379, "ip": UNKNOWN}]
    vs = run(docker)
    assert not messages(vs, "N1") and deferred_for(vs, "N1")


# ---------------------------------------------------------------- N2


@pytest.mark.parametrize(
    "image,ok",
    [
        ("postgres:16.4", True),
        ("postgres:16.4-bookworm", True),
        ("postgres@sha256:" + "a" * 64, True),
        ("registry.local:5000/postgres:16.4", True),
        ("postgres", False),
        ("postgres:latest", False),
        ("postgres:16", False),
        ("postgres:16-alpine", False),
        ("registry.local:5000/postgres", False),
    ],
)
def test_n2_postgres_image_tags(k8s, image, ok):
    container(k8s["postgres"])["image"] = image
    m = messages(run(k8s), "N2")
    assert (not m) == ok, m


@pytest.mark.parametrize(
    "image,ok",
    [
        ("ghcr.io/berriai/litellm:main-v1.74.3-stable", True),
        ("litellm-gateway:1.106.2", True),
        ("ghcr.io/berriai/litellm:main-latest", False),
        ("ghcr.io/berriai/litellm:main-stable", False),
    ],
)
def test_n2_litellm_image_tags(docker, image, ok):
    docker["proxy"].props["image"] = image
    assert (not findings(run(docker), "N2")) == ok


@pytest.mark.parametrize("image", ["ghcr.io/berriai/litellm:v1.82.7-stable", "ghcr.io/berriai/litellm:main-v1.82.8", "berriai/litellm:1.82.7@sha256:" + "b" * 64])
def test_n2_compromised_litellm_refused(k8s, image):
    container(k8s["proxy"])["image"] = image
    vs = [v for v in run(k8s, {"all": "mandatory"}) if v.policy_name == "litellm-n2-no-compromised-litellm"]
    assert len(vs) == 1 and "1.82." in vs[0].message and vs[0].enforcement == "mandatory"


def test_n2_compromised_pip_install_and_build_arg(k8s):
    container(k8s["proxy"])["command"] = ["sh", "-c", "pip install litellm[proxy]==1.82.8 && exec litellm --port 4000"]
    assert any("LiteLLM 1.82.8" in m for m in messages(run(k8s), "N2"))
    img = R("docker:index/image:Image", "litellm-image", {"imageName": "litellm-gateway:1.106.2", "build": {"context": ".", "args": {"LITELLM_VERSION": "1.82.7"}}})
    assert any("build arg LITELLM_VERSION" in m for m in messages(run([img]), "N2"))


def test_n2_unrelated_images_skipped(k8s):
    k8s["nginx"] = R(T_DEPLOY, "nginx", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}})
    assert not findings(run(k8s), "N2")


def test_n2_image_from_remote_image_resource(docker):
    ri = R("docker:index/remoteImage:RemoteImage", "pg-image", {"name": "postgres:16"})
    docker["pg_image"] = ri
    docker["postgres"].props["image"] = "sha256:" + "c" * 64  # RemoteImage.image_id
    docker["postgres"].property_dependencies["image"] = [ri.urn]
    m = messages(run(docker), "N2")
    # the RemoteImage itself floats (its own policy check); the container is pinned by the image ID
    assert len(m) == 1 and "RemoteImage 'pg-image'" in m[0]


def test_n2_unknown_image_deferred(k8s):
    container(k8s["redis"])["image"] = UNKNOWN
    vs = run(k8s)
    assert deferred_for(vs, "N2")


# ---------------------------------------------------------------- N3


@pytest.mark.parametrize(
    "change,expect",
    [
        (lambda c, p: c["securityContext"].update(runAsUser=0), "runAsUser 0"),
        (lambda c, p: (c["securityContext"].pop("runAsNonRoot"), p["securityContext"].pop("runAsNonRoot")), "runAsNonRoot"),
        (lambda c, p: c["securityContext"].update(privileged=True), "privileged true"),
        (lambda c, p: c["securityContext"].pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
        (lambda c, p: c["securityContext"].update(capabilities={"drop": ["NET_RAW"]}), "capabilities.drop"),
    ],
)
@pytest.mark.parametrize("workload", ["proxy", "postgres", "redis", "migrate"])
def test_n3_k8s(k8s, workload, change, expect):
    change(container(k8s[workload]), pod(k8s[workload]))
    m = messages(run(k8s), "N3")
    assert len(m) == 1 and expect in m[0]


def test_n3_pod_level_non_root_is_enough(k8s):
    container(k8s["proxy"])["securityContext"].pop("runAsNonRoot")
    assert not findings(run(k8s), "N3")


@pytest.mark.parametrize("user", [None, "root", "0", "0:0"])
def test_n3_docker_user(docker, user):
    if user is None:
        docker["redis"].props.pop("user")
    else:
        docker["redis"].props["user"] = user
    m = messages(run(docker), "N3")
    assert len(m) == 1 and "Container 'redis'" in m[0]


def test_n3_docker_privileged(docker):
    docker["proxy"].props["privileged"] = True
    assert any("privileged true" in m for m in messages(run(docker), "N3"))


# ---------------------------------------------------------------- N4


def test_n4_single_replica(k8s):
    k8s.pop("hpa")
    k8s["proxy"].props["spec"]["replicas"] = 1
    m = messages(run(k8s), "N4")
    assert len(m) == 1 and "replicas 1" in m[0]


def test_n4_hpa_min_replicas(k8s):
    k8s["proxy"].props["spec"]["replicas"] = 1
    k8s["hpa"].props["spec"]["minReplicas"] = 1
    m = messages(run(k8s), "N4")
    assert len(m) == 1 and "minReplicas 1" in m[0]
    k8s["hpa"].props["spec"]["minReplicas"] = 2
    assert not findings(run(k8s), "N4")


def test_n4_pdb_missing_or_useless(k8s):
    k8s["pdb"].props["spec"]["selector"] = {"matchLabels": {"app": "something-else"}}
    assert any("no PodDisruptionBudget" in m for m in messages(run(k8s), "N4"))
    k8s["pdb"].props["spec"] = {"selector": {"matchLabels": {"app": "litellm-proxy"}}, "maxUnavailable": 2}
    assert any("maxUnavailable 2" in m for m in messages(run(k8s), "N4"))
    k8s["pdb"].props["spec"] = {"selector": {"matchLabels": {"app": "litellm-proxy"}}, "maxUnavailable": "25%"}
    assert not findings(run(k8s), "N4")


def test_n4_docker_single_container_advisory_in_dev(docker):
    import json
    import os

    dev = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "policies", "config", "dev.json")))
    vs = [v for v in run(docker, dev) if not v.deferred]
    assert [v.rule_id for v in vs] == ["N4"] and vs[0].enforcement == "advisory"


def test_n1_docker_default_bridge(docker):
    docker["postgres"].props.pop("networksAdvanced")
    m = messages(run(docker), "N1")
    assert len(m) == 1 and "default bridge network" in m[0]
    docker["postgres"].props["networkMode"] = "litellm-net"
    assert not findings(run(docker), "N1")

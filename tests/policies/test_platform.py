"""N1-N4: platform."""

import pytest
from .policy_fixtures import (T_CONTAINER, T_DEPLOY, T_NP, R, container, findings, messages, pod, reported, run, second_proxy,
                              second_proxy_container)

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


# ------------------------------------------------------- N1-N4: whole messages and urns
#
# What an operator reads, whole, and the resource it is filed against: the rule, the
# container or Service or NetworkPolicy, the value found, what is required and the fix; a
# deferral names the unknown value. Stores, Services and policies come two at a time where a
# rule that stopped at the first would let the second through.

DEFER = "deferred: value unknown until apply"
N1_POLICY = "(policy litellm-n1-datastores-private)"
N3_POLICY = "(policy litellm-n3-non-root)"
N4_POLICY = "(policy litellm-n4-replicas-and-pdb)"
REDIS = "Deployment 'redis' container 'redis'"
PROXY_C = "Deployment 'litellm-proxy' container 'proxy'"
PUBLISHED = "required no published port, or ip 127.0.0.1. Fix: remove the port or set ip='127.0.0.1'"
TOO_OPEN = "required ingress only from LiteLLM pods. Fix: restrict `from` to a podSelector matching only the proxy and migration pods"
NO_NP = (
    "found no NetworkPolicy restricting ingress; required a NetworkPolicy admitting only the LiteLLM pods."
    " Fix: add a NetworkPolicy with podSelector on this workload and ingress from the proxy's pod labels only"
)
BRIDGE = (
    "[N1] Container 'redis': found the default bridge network (shared with every container on the host); required a"
    " user-defined network shared only with the proxy. Fix: create a docker.Network and attach the data store and the"
    " proxy via networks_advanced"
)


def _n1_deferred(what, where):
    return f"[N1] {DEFER}: {what} of {where} {N1_POLICY}"


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"networkMode": "host"},
            ["[N1] Container 'redis': found networkMode 'host'; required a private Docker network. Fix: attach the container to a user-defined network instead"],
        ),
        ({"networksAdvanced": None, "networkMode": "bridge"}, [BRIDGE]),
        ({"networksAdvanced": None, "networkMode": "default"}, [BRIDGE]),
        ({"networksAdvanced": None, "networkMode": ""}, [BRIDGE]),
        ({"networksAdvanced": None}, [BRIDGE]),
        ({"networksAdvanced": None, "networkMode": "litellm-net"}, []),  # a user-defined network by name
        ({"networksAdvanced": UNKNOWN}, [_n1_deferred("networksAdvanced / networkMode", "Container 'redis'")]),
        ({"networkMode": UNKNOWN}, [_n1_deferred("networksAdvanced / networkMode", "Container 'redis'")]),
        ({"publishAllPorts": True}, ["[N1] Container 'redis': found publishAllPorts true; required no published ports. Fix: remove publish_all_ports"]),
        ({"publishAllPorts": UNKNOWN}, [_n1_deferred("publishAllPorts", "Container 'redis'")]),  # unknown is not false
        ({"ports": UNKNOWN}, [_n1_deferred("ports", "Container 'redis'")]),
        ({"ports": [UNKNOWN]}, [_n1_deferred("a published port's ip", "Container 'redis'")]),
        (
            {"ports": [{"internal": 6379, "ip": UNKNOWN}, {"internal": 6379, "ip": "0.0.0.0"}]},
            [_n1_deferred("a published port's ip", "Container 'redis'"), f"[N1] Container 'redis': found port 6379 published on 0.0.0.0 (external nothing (not set)); {PUBLISHED}"],
        ),
        (
            {"ports": [{"internal": 6379, "external": 6380, "ip": ""}, {"internal": 6379, "external": 6381, "ip": "10.1.2.3"}]},
            [
                f"[N1] Container 'redis': found port 6379 published on 0.0.0.0 (external 6380); {PUBLISHED}",
                f"[N1] Container 'redis': found port 6379 published on 10.1.2.3 (external 6381); {PUBLISHED}",
            ],
        ),
        ({"ports": [{"internal": 6379, "ip": "::1"}, {"internal": 6379, "ip": "localhost"}, {"internal": 6379, "ip": "127.0.0.1"}]}, []),
    ],
)
def test_n1_docker_data_store_messages(docker, props, expected):
    for k, v in props.items():
        if v is None:
            docker["redis"].props.pop(k)
        else:
            docker["redis"].props[k] = v
    assert reported(run(docker), "N1") == [(m, docker["redis"].urn) for m in expected]


def test_n1_docker_every_data_store_is_judged(docker):
    docker["redis"].props["ports"] = UNKNOWN
    docker["postgres"].props["ports"] = [{"internal": 5432, "ip": "0.0.0.0"}]
    assert reported(run(docker), "N1") == [
        (f"[N1] Container 'postgres': found port 5432 published on 0.0.0.0 (external nothing (not set)); {PUBLISHED}", docker["postgres"].urn),
        (_n1_deferred("ports", "Container 'redis'"), docker["redis"].urn),
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda k: pod(k["redis"]).update(hostNetwork=True), f"[N1] {REDIS}: found hostNetwork true; required the pod network only. Fix: remove hostNetwork"),
        (lambda k: pod(k["redis"]).update(hostNetwork=UNKNOWN), _n1_deferred("hostNetwork / ports", REDIS)),
        (lambda k: container(k["redis"]).update(ports=UNKNOWN), _n1_deferred("hostNetwork / ports", REDIS)),
        (
            lambda k: container(k["redis"]).update(ports=[{"containerPort": 6379}, {"containerPort": 6379, "hostPort": 6379}]),
            f"[N1] {REDIS}: found hostPort 6379; required no hostPort. Fix: remove hostPort",
        ),
        # before: an unknown hostPort passed this mandatory rule
        (lambda k: container(k["redis"]).update(ports=[{"containerPort": 6379, "hostPort": UNKNOWN}]), _n1_deferred("a container port's hostPort", REDIS)),
        (lambda k: container(k["redis"]).update(ports=[UNKNOWN]), _n1_deferred("a container port's hostPort", REDIS)),
    ],
)
def test_n1_kubernetes_pod_network_messages(k8s, edit, expected):
    edit(k8s)
    assert reported(run(k8s), "N1") == [(expected, k8s["redis"].urn)]


def test_n1_every_service_selecting_a_data_store_is_named(k8s):
    k8s["redis_svc"].props["spec"]["type"] = "NodePort"
    k8s["pg_svc"].props["spec"]["type"] = "LoadBalancer"
    k8s["redis_svc"].props["spec"]["externalIPs"] = ["203.0.113.7"]
    fix = "required type ClusterIP. Fix: set spec.type: ClusterIP (reach it only from inside the cluster)"
    assert reported(run(k8s), "N1") == [
        (f"[N1] Service 'postgres-svc': found type LoadBalancer selecting StatefulSet 'postgres' container 'postgres'; {fix}", k8s["pg_svc"].urn),
        (f"[N1] Service 'redis-svc': found type NodePort selecting {REDIS}; {fix}", k8s["redis_svc"].urn),
        ("[N1] Service 'redis-svc': found externalIPs set; required no externalIPs. Fix: remove spec.externalIPs", k8s["redis_svc"].urn),
    ]


def test_n1_service_unknowns_defer_and_a_service_without_selector_selects_nothing(k8s):
    svc = k8s["redis_svc"].props["spec"]
    svc["type"] = UNKNOWN
    assert reported(run(k8s), "N1") == [(_n1_deferred("spec.type", "Service 'redis-svc'"), k8s["redis_svc"].urn)]
    svc.update(type="NodePort", selector=UNKNOWN)  # it may select either store
    assert reported(run(k8s), "N1") == [(_n1_deferred("the selector", "Service 'redis-svc'"), k8s["redis_svc"].urn)] * 2
    svc["selector"] = {}  # endpoints managed by hand: no pod selected
    assert not findings(run(k8s), "N1")
    svc.pop("selector")
    assert not findings(run(k8s), "N1")


def _redis_np(k8s, **spec):
    k8s["redis_np"].props["spec"].update(spec)
    return k8s


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"podSelector": UNKNOWN}, [_n1_deferred("the podSelector", "NetworkPolicy 'redis-ingress'")] * 2),  # it may select either store
        ({"ingress": UNKNOWN}, [_n1_deferred("spec.ingress", "NetworkPolicy 'redis-ingress'")]),
        ({"ingress": [{"from": UNKNOWN}]}, [_n1_deferred("spec.ingress[0].from", "NetworkPolicy 'redis-ingress'")]),
        ({"ingress": [{"from": [UNKNOWN]}]}, [_n1_deferred("spec.ingress[0].from", "NetworkPolicy 'redis-ingress'")]),
        ({"ingress": [{"from": [{"podSelector": UNKNOWN}]}]}, [_n1_deferred("spec.ingress[0].from", "NetworkPolicy 'redis-ingress'")]),
        ({"ingress": [{"from": [{"podSelector": {"matchLabels": UNKNOWN}}]}]}, [_n1_deferred("spec.ingress[0].from", "NetworkPolicy 'redis-ingress'")]),
        # before: an unknown policyTypes passed this mandatory rule without a word
        ({"policyTypes": UNKNOWN}, [_n1_deferred("spec.policyTypes", "NetworkPolicy 'redis-ingress'")]),
        ({"policyTypes": ["Egress", UNKNOWN]}, [_n1_deferred("spec.policyTypes", "NetworkPolicy 'redis-ingress'")]),
        ({"policyTypes": ["Ingress", UNKNOWN]}, []),  # it restricts ingress whatever the other is
        ({"policyTypes": None}, []),  # Kubernetes' default: Ingress
        (
            {"ingress": [{"from": [{"podSelector": {"matchLabels": {"litellm-redis-client": "true"}}}]}, {"ports": [{"port": 6379}]}]},
            [
                "[N1] NetworkPolicy 'redis-ingress': found spec.ingress[1] without `from` (admits every source); required ingress only"
                " from LiteLLM pods. Fix: add from: [{podSelector: {matchLabels: <proxy labels>}}]"
            ],
        ),
        ({"ingress": [{"from": ["x"]}]}, [f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a malformed peer; {TOO_OPEN}"]),
        ({"ingress": [{"from": [{"podSelector": "x"}]}]}, [f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a malformed podSelector; {TOO_OPEN}"]),
        (
            {"ingress": [{"from": {"podSelector": {"matchLabels": {"app": "nothing"}}}}]},  # one peer, not a list
            [f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a podSelector matching no LiteLLM pod; {TOO_OPEN}"],
        ),
        ({"ingress": [{"from": [{"podSelector": {"matchExpressions": [{"key": "litellm-redis-client", "operator": "Exists"}]}}]}]}, []),
        ({"ingress": [{"from": [{"namespaceSelector": {}}]}]}, [f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a namespaceSelector admitting whole namespaces; {TOO_OPEN}"]),
        ({"ingress": [{"from": [{"podSelector": {}}]}]}, [f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits an empty podSelector (every pod in the namespace); {TOO_OPEN}"]),
        (  # the store itself is no LiteLLM client
            {"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "redis"}}}]}]},
            [f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a podSelector matching no LiteLLM pod; {TOO_OPEN}"],
        ),
    ],
)
def test_n1_network_policy_messages(k8s, spec, expected):
    if spec.get("policyTypes", 0) is None:
        k8s["redis_np"].props["spec"].pop("policyTypes")
    else:
        _redis_np(k8s, **spec)
    assert reported(run(k8s), "N1") == [(m, k8s["redis_np"].urn) for m in expected]


LITELLM_CLIENTS = {"matchLabels": {"litellm-redis-client": "true"}}


@pytest.mark.parametrize(
    ("namespace_selector", "ok"),
    [
        ({}, False),  # every namespace: any pod there may carry the client label
        ({"matchLabels": {"team": "ml"}}, False),
        ({"matchLabels": {"kubernetes.io/metadata.name": "other"}}, False),
        ({"matchLabels": {"kubernetes.io/metadata.name": "litellm"}}, True),  # the store's own namespace only
        ({"matchLabels": {"kubernetes.io/metadata.name": "litellm"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}, False),
    ],
)
def test_n1_a_pod_selector_with_a_namespace_selector_admits_those_pods_of_other_namespaces(k8s, namespace_selector, ok):
    """Before: passed. A peer with both selectors admits the pods matching the podSelector in
    every namespace the namespaceSelector selects, and the pack judged the podSelector alone."""
    _redis_np(k8s, ingress=[{"from": [{"podSelector": LITELLM_CLIENTS, "namespaceSelector": namespace_selector}]}])
    expected = (
        "[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a namespaceSelector admitting the podSelector's"
        f" pods of other namespaces; {TOO_OPEN}"
    )
    assert reported(run(k8s), "N1") == ([] if ok else [(expected, k8s["redis_np"].urn)])
    _redis_np(k8s, ingress=[{"from": [{"podSelector": LITELLM_CLIENTS, "namespaceSelector": UNKNOWN}]}])
    assert reported(run(k8s), "N1") == [(_n1_deferred("spec.ingress[0].from", "NetworkPolicy 'redis-ingress'"), k8s["redis_np"].urn)]


def test_n1_network_policies_that_do_not_restrict_the_store(k8s):
    k8s.pop("pg_np")
    k8s["redis_np"].props["metadata"]["namespace"] = "other"  # another namespace's pods
    assert reported(run(k8s), "N1") == [
        (f"[N1] StatefulSet 'postgres' container 'postgres': {NO_NP}", k8s["postgres"].urn),
        (f"[N1] {REDIS}: {NO_NP}", k8s["redis"].urn),
    ]
    k8s["redis_np"].props["metadata"]["namespace"] = "litellm"
    _redis_np(k8s, policyTypes=["Egress"])
    assert [m for m, _ in reported(run(k8s), "N1")][-1] == f"[N1] {REDIS}: {NO_NP}"


def test_n1_a_second_network_policy_is_judged_too(k8s):
    k8s["np2"] = R(
        T_NP,
        "redis-extra",
        {
            "metadata": {"name": "redis-extra", "namespace": "litellm"},
            "spec": {"podSelector": {"matchLabels": {"app": "redis"}}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
        },
    )
    assert reported(run(k8s), "N1") == [(f"[N1] NetworkPolicy 'redis-extra': found spec.ingress[0] admits an ipBlock peer; {TOO_OPEN}", k8s["np2"].urn)]


def test_n1_peers_whose_pods_cannot_be_told_yet_defer(k8s):
    pod(k8s["migrate"])["containers"] = UNKNOWN  # it carries the DB client label: LiteLLM or not?
    assert reported(run(k8s), "N1") == [(_n1_deferred("spec.ingress[0].from", "NetworkPolicy 'postgres-ingress'"), k8s["pg_np"].urn)]
    k8s["migrate"].props["spec"]["template"]["metadata"]["labels"] = UNKNOWN
    pod(k8s["migrate"])["containers"] = [container(k8s["proxy"])]
    assert reported(run(k8s), "N1") == [
        (_n1_deferred("spec.ingress[0].from", f"NetworkPolicy '{store}-ingress'"), k8s[np].urn) for store, np in (("postgres", "pg_np"), ("redis", "redis_np"))
    ]


# N3


def _redis_sc(k8s, **values):
    container(k8s["redis"])["securityContext"].update(values)
    return k8s


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda k: pod(k["redis"]).update(securityContext=UNKNOWN), f"{DEFER}: securityContext"),
        (lambda k: container(k["redis"]).update(securityContext=UNKNOWN), f"{DEFER}: securityContext"),
        (lambda k: _redis_sc(k, runAsNonRoot=UNKNOWN), f"{DEFER}: runAsNonRoot / runAsUser"),
        (lambda k: _redis_sc(k, runAsUser=UNKNOWN), f"{DEFER}: runAsNonRoot / runAsUser"),
        (lambda k: _redis_sc(k, privileged=UNKNOWN), f"{DEFER}: privileged"),
        (lambda k: _redis_sc(k, allowPrivilegeEscalation=UNKNOWN), f"{DEFER}: allowPrivilegeEscalation"),  # before: passed
        (lambda k: _redis_sc(k, capabilities={"drop": UNKNOWN}), f"{DEFER}: capabilities.drop"),
        (lambda k: _redis_sc(k, capabilities={"drop": [UNKNOWN]}), f"{DEFER}: capabilities.drop"),
        (lambda k: _redis_sc(k, capabilities=UNKNOWN), f"{DEFER}: capabilities.drop"),
    ],
)
def test_n3_kubernetes_unknowns_defer(k8s, edit, expected):
    edit(k8s)
    assert reported(run(k8s), "N3") == [(f"[N3] {expected} of {REDIS} {N3_POLICY}", k8s["redis"].urn)]


RUN_AS_ROOT = (
    "found runAsUser 0 (root); required a non-root user. Fix: set runAsUser to a non-zero uid (e.g. 999 for postgres/redis)"
    " and runAsNonRoot: true"
)
NO_APE = "found allowPrivilegeEscalation nothing (not set); required false. Fix: set securityContext.allowPrivilegeEscalation: false"
NO_DROP = "found capabilities.drop nothing (not set); required ['ALL']. Fix: set securityContext.capabilities.drop: ['ALL']"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda k: _redis_sc(k, runAsUser=0), [RUN_AS_ROOT]),
        (lambda k: _redis_sc(k, runAsUser="0"), [RUN_AS_ROOT]),
        (
            lambda k: _redis_sc(k, runAsNonRoot=False),
            ["found runAsNonRoot false; required runAsNonRoot: true. Fix: set securityContext.runAsNonRoot: true (pod or container)"],
        ),
        (lambda k: _redis_sc(k, privileged=True), ["found privileged true; required privileged false. Fix: remove securityContext.privileged"]),
        (
            lambda k: _redis_sc(k, allowPrivilegeEscalation=True),
            ["found allowPrivilegeEscalation true; required false. Fix: set securityContext.allowPrivilegeEscalation: false"],
        ),
        (lambda k: _redis_sc(k, capabilities={}), [NO_DROP]),
        (
            lambda k: _redis_sc(k, capabilities={"drop": ["NET_RAW"]}),
            ["found capabilities.drop ['NET_RAW']; required ['ALL']. Fix: set securityContext.capabilities.drop: ['ALL']"],
        ),
        (lambda k: container(k["redis"]).update(securityContext=None), [NO_APE, NO_DROP]),  # runAsNonRoot from the pod
        (lambda k: _redis_sc(k, capabilities={"drop": [UNKNOWN, "ALL"]}), []),
        (lambda k: _redis_sc(k, capabilities={"drop": ["all"]}), []),
        (lambda k: (_redis_sc(k, runAsNonRoot=None, runAsUser=1000), pod(k["redis"]).update(securityContext={"runAsNonRoot": True, "runAsUser": 0})), []),
    ],
)
def test_n3_kubernetes_messages(k8s, edit, expected):
    edit(k8s)
    assert reported(run(k8s), "N3") == [(f"[N3] {REDIS}: {m}", k8s["redis"].urn) for m in expected]


def test_n3_every_container_of_a_judged_pod(k8s):
    container(k8s["proxy"])["securityContext"]["privileged"] = True
    second_proxy_container(k8s["proxy"])
    pod(k8s["redis"])["containers"].append({"name": "exporter", "image": "oliver006/redis_exporter:v1.62.0"})  # a sidecar
    fix = "found privileged true; required privileged false. Fix: remove securityContext.privileged"
    assert reported(run(k8s), "N3") == [
        (f"[N3] Deployment 'litellm-proxy' container 'proxy': {fix}", k8s["proxy"].urn),
        (f"[N3] Deployment 'litellm-proxy' container 'proxy-b': {fix}", k8s["proxy"].urn),
        (f"[N3] Deployment 'redis' container 'exporter': {NO_APE}", k8s["redis"].urn),
        (f"[N3] Deployment 'redis' container 'exporter': {NO_DROP}", k8s["redis"].urn),
    ]


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"user": UNKNOWN}, [f"[N3] {DEFER}: user of Container 'redis' {N3_POLICY}"]),
        ({"privileged": UNKNOWN}, [f"[N3] {DEFER}: privileged of Container 'redis' {N3_POLICY}"]),
        ({"privileged": True}, ["[N3] Container 'redis': found privileged true; required privileged false. Fix: remove privileged=True"]),
        (
            {"user": " root :0"},
            ["[N3] Container 'redis': found user ' root :0'; required a non-root user (e.g. '999:999' or 'nobody'). Fix: set user on the container to a non-root uid:gid"],
        ),
        (
            {"user": ""},
            ["[N3] Container 'redis': found user ''; required a non-root user (e.g. '999:999' or 'nobody'). Fix: set user on the container to a non-root uid:gid"],
        ),
        ({"user": "999:0"}, []),  # group 0 is not root
    ],
)
def test_n3_docker_messages(docker, props, expected):
    docker["redis"].props.update(props)
    assert reported(run(docker), "N3") == [(m, docker["redis"].urn) for m in expected]


# N2

FLOATING = "required an exact version tag (x.y or x.y.z) or @sha256 digest. Fix: pin {} to an exact version or digest"
COMPROMISED_FIX = "Fix: pin a LiteLLM release that is not on the policy's compromisedVersions / compromisedDigests lists"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (UNKNOWN, f"[N2] {DEFER}: the image of {REDIS} (policy litellm-n2-image-pinned)"),
        (None, f"[N2] {REDIS}: found no image; required a pinned image. Fix: set the image with an exact version tag or digest"),
        (
            "redis",
            f"[N2] {REDIS}: found image 'redis' without a tag (means latest); required an exact version tag or @sha256 digest."
            " Fix: pin it, e.g. redis:<x.y.z> or @sha256:<digest>",
        ),
        ("redis:latest", f"[N2] {REDIS}: found image tag 'latest' (floating); " + FLOATING.format("redis")),
        ("redis:7.2.5-LATEST", f"[N2] {REDIS}: found image tag '7.2.5-LATEST' (floating); " + FLOATING.format("redis")),
        ("redis:7", f"[N2] {REDIS}: found image tag '7' (floating); " + FLOATING.format("redis")),
        ("redis@sha256:" + "a" * 64, None),
        ("sha256:" + "a" * 64, None),  # an image ID
    ],
)
def test_n2_image_messages(k8s, image, expected):
    container(k8s["redis"])["image"] = image
    assert reported(run(k8s), "N2") == ([(expected, k8s["redis"].urn)] if expected else [])


def _n2_config(**settings):
    return {"litellm-n2-no-compromised-litellm": {"enforcementLevel": "mandatory", **settings}}


@pytest.mark.parametrize(
    ("image", "config", "expected"),
    [
        (
            "ghcr.io/berriai/litellm:v1.82.7-stable",
            None,
            "found LiteLLM 1.82.7 (image tag 'v1.82.7-stable'), a compromised release; required a LiteLLM release not on compromisedVersions.",
        ),
        (
            "ghcr.io/berriai/litellm:v1.106.2@sha256:" + "b" * 64,
            _n2_config(compromisedDigests=["SHA256:" + "B" * 64]),  # any case
            f"found image digest sha256:{'b' * 64} (on the compromisedDigests list); required an image not known to be compromised.",
        ),
        ("ghcr.io/berriai/litellm:1.90.1", _n2_config(compromisedVersions=["v1.90.1", ""]), "found LiteLLM 1.90.1 (image tag '1.90.1')"),
        ("ghcr.io/berriai/litellm:v1.82.70", None, None),  # another release
        ("ghcr.io/berriai/litellm:v11.82.7", None, None),
        ("ghcr.io/berriai/litellm:v1.82.7", _n2_config(compromisedVersions=[]), None),
    ],
)
def test_n2_compromised_release_messages(k8s, image, config, expected):
    container(k8s["proxy"])["image"] = image
    found = [(m, urn) for m, urn in reported(run(k8s, config), "N2")]
    if expected is None:
        assert found == []
    else:
        ((m, urn),) = found
        assert m.startswith(f"[N2] {PROXY_C}: {expected}") and m.endswith(COMPROMISED_FIX) and urn == k8s["proxy"].urn



def test_n2_a_compromised_tag_on_another_image_is_not_litellm(k8s):
    container(k8s["redis"])["image"] = "redis:1.82.7"
    assert not findings(run(k8s), "N2")


def test_n2_image_resources(docker):
    def n2(*resources):
        return reported(run(list(resources)), "N2")

    ri = R("docker:index/remoteImage:RemoteImage", "ri", {"name": UNKNOWN})
    assert n2(ri) == [(f"[N2] {DEFER}: the image of RemoteImage 'ri' (policy litellm-n2-image-pinned)", ri.urn)]
    ri = R("docker:index/remoteImage:RemoteImage", "ri", {"name": "nginx:latest"})  # not ours to judge
    assert n2(ri) == []
    ri = R("docker:index/remoteImage:RemoteImage", "ri", {"name": "ghcr.io/berriai/litellm:v1.82.7"})
    assert n2(ri) == [
        (
            "[N2] RemoteImage 'ri': found LiteLLM 1.82.7 (image tag 'v1.82.7'), a compromised release; required a LiteLLM"
            f" release not on compromisedVersions. {COMPROMISED_FIX}",
            ri.urn,
        )
    ]
    im = R("docker:index/image:Image", "im", {"imageName": "redis:7", "build": {"args": {"X": "1.82.7"}}})
    assert n2(im) == [(f"[N2] Image 'im': found image tag '7' (floating); " + FLOATING.format("redis"), im.urn)]
    for key, value in (("VERSION", "litellm==1.82.7"), ("LiteLLM_Version", "1.82.7")):
        im = R("docker:index/image:Image", "im", {"imageName": "my:1.0", "build": {"args": {key: value}}})
        assert n2(im) == [
            (f"[N2] Image 'im': found build arg {key} = LiteLLM 1.82.7, a compromised release; required a safe LiteLLM version. Fix: change build arg {key}", im.urn)
        ]


def test_n2_pip_install_in_any_container_of_a_judged_pod(k8s):
    container(k8s["proxy"])["command"] = ["sh", "-c", "pip install LiteLLM==1.82.7"]
    pod(k8s["redis"])["containers"].append({"name": "x", "image": "busybox:1.36.1", "command": ["pip", "install", "litellm==1.82.8"]})
    assert reported(run(k8s), "N2") == [
        (
            f"[N2] {PROXY_C}: found `LiteLLM==1.82.7` in the command (LiteLLM 1.82.7, a compromised release); required a safe"
            " LiteLLM version. Fix: install another LiteLLM version",
            k8s["proxy"].urn,
        ),
        (
            "[N2] Deployment 'redis' container 'x': found `litellm==1.82.8` in the command (LiteLLM 1.82.8, a compromised release);"
            " required a safe LiteLLM version. Fix: install another LiteLLM version",
            k8s["redis"].urn,
        ),
    ]


# N4

PDB = "PodDisruptionBudget 'litellm-proxy-pdb'"
KEEP_ONE = "required ≥ 1 proxy pod kept available. Fix: set minAvailable: 1"


def _pdb(k8s, **spec):
    k8s["pdb"].props["spec"] = {"selector": {"matchLabels": {"app": "litellm-proxy"}}, **spec}
    return k8s


@pytest.mark.parametrize(
    ("spec", "found"),
    [
        ({"minAvailable": "0%"}, "minAvailable 0%"),
        ({"minAvailable": "x%"}, "minAvailable x%"),
        ({"minAvailable": 0}, "minAvailable 0"),
        ({"minAvailable": "abc"}, "minAvailable 'abc'"),
        ({"maxUnavailable": "100%"}, "maxUnavailable 100%"),
        ({"maxUnavailable": "x%"}, "maxUnavailable x%"),
        ({"maxUnavailable": 2}, "maxUnavailable 2"),  # = the autoscaler minimum 2: every pod may go
        ({"maxUnavailable": "a"}, "maxUnavailable 'a'"),
        ({}, "neither minAvailable nor maxUnavailable"),
        ({"minAvailable": "50%"}, None),
        ({"minAvailable": "5%"}, None),  # a percentage rounds up: one pod
        ({"minAvailable": "1"}, None),
        ({"maxUnavailable": "99%"}, None),
        ({"maxUnavailable": 1}, None),
    ],
)
def test_n4_pdb_messages(k8s, spec, found):
    vs = [(m, urn) for m, urn in reported(run(_pdb(k8s, **spec)), "N4") if "litellm-n4-pdb-allows-drain" not in m]
    assert vs == ([(f"[N4] {PDB}: found {found}; {KEEP_ONE}", k8s["pdb"].urn)] if found else [])


def test_n4_unknowns_defer(k8s):
    def n4():
        return [(m, urn) for m, urn in reported(run(k8s), "N4") if N4_POLICY in m]

    for key in ("minAvailable", "maxUnavailable"):
        _pdb(k8s, **{key: UNKNOWN})
        assert n4() == [(f"[N4] {DEFER}: minAvailable/maxUnavailable of {PDB} {N4_POLICY}", k8s["pdb"].urn)]
    _pdb(k8s, maxUnavailable=1)
    k8s["hpa"].props["spec"]["minReplicas"] = UNKNOWN
    assert n4() == [
        (f"[N4] {DEFER}: minReplicas of HorizontalPodAutoscaler 'litellm-proxy-hpa' of Deployment 'litellm-proxy' {N4_POLICY}", k8s["proxy"].urn),
        (f"[N4] {DEFER}: replicas of {PDB} {N4_POLICY}", k8s["pdb"].urn),
    ]
    k8s["hpa"].props["spec"]["minReplicas"] = 2
    k8s["pdb"].props["spec"]["selector"] = UNKNOWN
    assert n4() == [(f"[N4] {DEFER}: which PodDisruptionBudget selects the proxy pods of Deployment 'litellm-proxy' {N4_POLICY}", k8s["proxy"].urn)]


NO_PDB = (
    "found no PodDisruptionBudget selecting the proxy pods; required a PodDisruptionBudget with minAvailable ≥ 1."
    " Fix: add a PodDisruptionBudget with selector.matchLabels = the proxy pod labels and minAvailable: 1"
)


def test_n4_every_proxy_deployment_is_judged(k8s):
    canary = second_proxy(k8s)
    canary.props["spec"]["replicas"] = 1
    _pdb(k8s, minAvailable=0)
    assert [(m, urn) for m, urn in reported(run(k8s), "N4") if "deferred" not in m] == [
        (f"[N4] {PDB}: found minAvailable 0; {KEEP_ONE}", k8s["pdb"].urn),
        (
            "[N4] Deployment 'litellm-proxy-canary': found Deployment 'litellm-proxy-canary' replicas 1; required ≥ 2 replicas"
            " (replicas or HPA minReplicas). Fix: set replicas: 2 (or HPA minReplicas: 2)",
            canary.urn,
        ),
        (f"[N4] Deployment 'litellm-proxy-canary': {NO_PDB}", canary.urn),
    ]


def test_n4_a_pdb_of_another_namespace_does_not_count_and_two_proxy_containers_are_one_deployment(k8s):
    second_proxy_container(k8s["proxy"])
    assert not findings(run(k8s), "N4")
    k8s["pdb"].props["metadata"]["namespace"] = "other"
    assert reported(run(k8s), "N4") == [(f"[N4] Deployment 'litellm-proxy': {NO_PDB}", k8s["proxy"].urn)]


def test_n4_docker_counts_proxy_containers(docker):
    single = (
        "[N4] Container 'litellm-proxy': found 1 proxy container; required ≥ 2 proxy replicas (production runs on Kubernetes"
        " with a PodDisruptionBudget). Fix: run the prod stack on Kubernetes with replicas ≥ 2 and a PDB"
    )
    assert reported(run(docker), "N4") == [(single, docker["proxy"].urn)]
    docker["mystery"] = R(T_CONTAINER, "mystery", {"name": "mystery", "image": UNKNOWN})  # a second proxy?
    assert reported(run(docker), "N4") == [(f"[N4] {DEFER}: the number of proxy containers of Container 'litellm-proxy' {N4_POLICY}", docker["proxy"].urn)]
    docker.pop("mystery")
    second_proxy(docker)
    assert not findings(run(docker), "N4")


def test_n2_unknown_build_args_of_an_image_defer(docker):
    """Before: an Image whose build args were unknown passed the mandatory compromised-release
    check without a word; a LITELLM_* arg could carry one of them."""
    im = R("docker:index/image:Image", "im", {"imageName": "litellm-gateway:1.106.2", "build": {"context": ".", "args": UNKNOWN}})
    policy = "(policy litellm-n2-no-compromised-litellm)"
    assert reported(run([im]), "N2") == [(f"[N2] {DEFER}: build.args (a LiteLLM version?) of Image 'im' {policy}", im.urn)]
    im.props["build"]["args"] = {"LITELLM_VERSION": UNKNOWN, "DEBIAN_RELEASE": UNKNOWN}
    assert reported(run([im]), "N2") == [(f"[N2] {DEFER}: build arg LITELLM_VERSION of Image 'im' {policy}", im.urn)]
    im.props.update(imageName=UNKNOWN, build={"context": "."})
    assert reported(run([im]), "N2") == [(f"[N2] {DEFER}: the image of Image 'im' (policy litellm-n2-image-pinned)", im.urn)]


def test_n1_a_pod_selector_admitting_other_workloads_names_them_all(k8s):
    for name in ("a1", "a2"):
        labels = {"litellm-redis-client": "true", "app": name}
        k8s[name] = R(T_DEPLOY, name, {"metadata": {"name": name, "namespace": "litellm"}, "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "x", "image": "nginx:1.27.0"}]}}}})
    assert reported(run(k8s), "N1") == [
        (f"[N1] NetworkPolicy 'redis-ingress': found spec.ingress[0] admits a podSelector that also admits Deployment 'a1', Deployment 'a2'; {TOO_OPEN}", k8s["redis_np"].urn)
    ]


def test_n2_an_unknown_image_does_not_hide_the_next_container(k8s):
    container(k8s["redis"])["image"] = UNKNOWN
    pod(k8s["redis"])["containers"].append({"name": "exporter", "image": "oliver006/redis_exporter:latest"})
    assert sorted(m for m, _ in reported(run(k8s), "N2")) == [
        "[N2] Deployment 'redis' container 'exporter': found image tag 'latest' (floating); " + FLOATING.format("oliver006/redis_exporter"),
        f"[N2] {DEFER}: the image of {REDIS} (policy litellm-n2-image-pinned)",
    ]


def test_n1_a_network_policy_without_ingress_rules_denies_all(k8s):
    k8s["redis_np"].props["spec"].pop("ingress")  # policyTypes Ingress and no rule: nothing may connect
    assert not findings(run(k8s), "N1")


def test_n2_a_version_in_a_command_counts_only_for_litellm(k8s):
    container(k8s["proxy"])["command"] = ["sh", "-c", "pip install uvloop==1.82.7 && exec litellm --port 4000"]
    assert not findings(run(k8s), "N2")


def test_n4_two_docker_proxies_need_no_count_beside_an_unknown_container(docker):
    second_proxy(docker)
    docker["mystery"] = R(T_CONTAINER, "mystery", {"name": "mystery", "image": UNKNOWN})
    assert not findings(run(docker), "N4")


@pytest.mark.parametrize("kind", ["StatefulSet", "ReplicaSet"])
def test_n4_a_proxy_statefulset_or_replicaset_is_judged(k8s, kind):
    k8s.pop("hpa")
    p = k8s["proxy"]
    p.props["spec"]["replicas"] = 1
    k8s["proxy"] = R(f"kubernetes:apps/v1:{kind}", "litellm-proxy", p.props, dependencies=p.dependencies)
    assert reported(run(k8s), "N4") == [
        (
            f"[N4] {kind} 'litellm-proxy': found {kind} 'litellm-proxy' replicas 1; required ≥ 2 replicas (replicas or HPA"
            " minReplicas). Fix: set replicas: 2 (or HPA minReplicas: 2)",
            k8s["proxy"].urn,
        )
    ]


def test_n4_a_proxy_without_a_pdb_does_not_hide_the_next(k8s):
    second_proxy_container(k8s["proxy"])  # two proxy containers: one Deployment, judged once
    k8s.pop("pdb")
    canary = second_proxy(k8s)
    canary.props["spec"]["replicas"] = 1
    assert [(m.split(": found ")[0], urn) for m, urn in reported(run(k8s), "N4") if "deferred" not in m] == [
        ("[N4] Deployment 'litellm-proxy'", k8s["proxy"].urn),
        ("[N4] Deployment 'litellm-proxy-canary'", canary.urn),
        ("[N4] Deployment 'litellm-proxy-canary'", canary.urn),
    ]

"""N4's other half (litellm-n4-pdb-allows-drain): a PodDisruptionBudget selecting the proxy pods
must allow at least one eviction at the fewest replicas the workload runs, or `kubectl drain`
waits forever on the proxy's nodes."""

import pytest
from .policy_fixtures import PROD, T_PDB, R, pod, run, second_proxy, second_proxy_container

from litellm_policies import UNKNOWN

POLICY = "litellm-n4-pdb-allows-drain"
PDB = "PodDisruptionBudget 'litellm-proxy-pdb'"
PROXY = "Deployment 'litellm-proxy'"
CANARY = "Deployment 'litellm-proxy-canary'"
HPA_MIN = "HorizontalPodAutoscaler 'litellm-proxy-hpa' minReplicas 2"
DEFER = "deferred: value unknown until apply"


def blocked(why, how=HPA_MIN, workload=PROXY):
    return (
        f"[N4] {PDB}: found {why} for {workload} ({how}): no eviction is ever allowed, a node drain never ends;"
        " required at least one proxy pod may be evicted at a time. Fix: set maxUnavailable: 1"
    )


def unknown(how=HPA_MIN, workload=PROXY):
    return f"[N4] {DEFER}: whether it allows an eviction of {workload} ({how}) of {PDB} (policy {POLICY})"


def drain(vs):
    """(message, urn) of this rule's findings, deferrals included (they name the policy)."""
    return [(v.message, v.urn) for v in vs if v.policy_name == POLICY or f"(policy {POLICY})" in v.message]


def with_pdb(k8s, **spec):
    k8s["pdb"].props["spec"] = {"selector": {"matchLabels": {"app": "litellm-proxy"}}, **spec}
    return k8s


def test_the_compliant_stack_allows_a_drain(k8s):
    assert drain(run(k8s, PROD)) == []  # minAvailable 1 of at least 2


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ({"maxUnavailable": 0}, "maxUnavailable 0"),
        ({"maxUnavailable": "0"}, "maxUnavailable '0'"),
        ({"maxUnavailable": "0%"}, "maxUnavailable '0%'"),
        ({"maxUnavailable": 1}, None),
        ({"maxUnavailable": "50%"}, None),
        ({"maxUnavailable": "1%"}, None),  # a percentage rounds up: one pod
        ({"maxUnavailable": "abc"}, None),  # no number: litellm-n4-replicas-and-pdb reports it
        ({"minAvailable": "100%"}, "minAvailable 100%"),
        ({"minAvailable": "100.0%"}, "minAvailable 100.0%"),
        ({"minAvailable": "50%"}, None),
        ({"minAvailable": "x%"}, None),
        ({"minAvailable": 2}, "minAvailable 2 with 2 replicas"),  # = the HPA's minReplicas
        ({"minAvailable": 3}, "minAvailable 3 with 2 replicas"),
        ({"minAvailable": "2"}, "minAvailable '2' with 2 replicas"),
        ({"minAvailable": 2.0}, "minAvailable 2 with 2 replicas"),
        ({"minAvailable": 1}, None),
        ({"minAvailable": "1"}, None),
        ({"minAvailable": "abc"}, None),
        ({}, None),  # no PDB limit at all: litellm-n4-replicas-and-pdb reports it
    ],
)
def test_pdb_forms(k8s, spec, why):
    vs = [v for v in run(with_pdb(k8s, **spec), PROD) if v.policy_name == POLICY]
    assert [(v.message, v.urn, v.enforcement) for v in vs] == ([(blocked(why), k8s["pdb"].urn, "mandatory")] if why else [])


def test_the_fewest_replicas_are_the_autoscalers_minimum_not_the_replica_count(k8s):
    with_pdb(k8s, minAvailable=3)
    k8s["proxy"].props["spec"]["replicas"] = 5
    assert drain(run(k8s)) == [(blocked("minAvailable 3 with 2 replicas"), k8s["pdb"].urn)]
    k8s["hpa"].props["spec"]["minReplicas"] = 4  # 3 of 4 may stay: one can go
    assert drain(run(k8s)) == []
    k8s["hpa"].props["spec"]["minReplicas"] = 3
    assert drain(run(k8s)) == [(blocked("minAvailable 3 with 3 replicas", "HorizontalPodAutoscaler 'litellm-proxy-hpa' minReplicas 3"), k8s["pdb"].urn)]


def test_without_an_autoscaler_the_replica_count_counts(k8s):
    k8s.pop("hpa")
    with_pdb(k8s, minAvailable=2)
    assert drain(run(k8s)) == [(blocked("minAvailable 2 with 2 replicas", f"{PROXY} replicas 2"), k8s["pdb"].urn)]
    k8s["proxy"].props["spec"]["replicas"] = 3
    assert drain(run(k8s)) == []


@pytest.mark.parametrize("replicas", [1, None])
def test_one_replica_is_left_to_the_replica_rule(k8s, replicas):
    """With one replica litellm-n4-replicas-and-pdb asks for two; this rule says nothing more."""
    k8s.pop("hpa")
    if replicas is None:
        k8s["proxy"].props["spec"].pop("replicas")  # the default: 1
    else:
        k8s["proxy"].props["spec"]["replicas"] = replicas
    for spec in ({"maxUnavailable": 0}, {"minAvailable": "100%"}, {"minAvailable": 1}):
        assert drain(run(with_pdb(k8s, **spec))) == []


# ---------------------------------------------------------------- deferrals


@pytest.mark.parametrize("key", ["minAvailable", "maxUnavailable"])
def test_an_unknown_pdb_limit_defers(k8s, key):
    assert drain(run(with_pdb(k8s, **{key: UNKNOWN}))) == [(unknown(), k8s["pdb"].urn)]


def test_an_unknown_limit_defers_even_beside_a_blocking_one(k8s):
    assert drain(run(with_pdb(k8s, minAvailable=UNKNOWN, maxUnavailable=0))) == [(unknown(), k8s["pdb"].urn)]
    assert drain(run(with_pdb(k8s, minAvailable="100%", maxUnavailable=UNKNOWN))) == [(unknown(), k8s["pdb"].urn)]


@pytest.mark.parametrize("where", ["hpa", "replicas"])
def test_an_unknown_replica_count_defers_a_count_but_not_a_percentage_or_max_unavailable(k8s, where):
    if where == "hpa":
        k8s["hpa"].props["spec"]["minReplicas"] = UNKNOWN
        how = "minReplicas of HorizontalPodAutoscaler 'litellm-proxy-hpa'"
    else:
        k8s.pop("hpa")
        k8s["proxy"].props["spec"]["replicas"] = UNKNOWN
        how = f"spec.replicas of {PROXY}"
    assert drain(run(with_pdb(k8s, minAvailable=2))) == [(unknown(how), k8s["pdb"].urn)]
    assert drain(run(with_pdb(k8s, maxUnavailable=0))) == [(blocked("maxUnavailable 0", how), k8s["pdb"].urn)]
    assert drain(run(with_pdb(k8s, minAvailable="100%"))) == [(blocked("minAvailable 100%", how), k8s["pdb"].urn)]
    assert drain(run(with_pdb(k8s, maxUnavailable=1))) == []
    assert drain(run(with_pdb(k8s))) == []


def test_an_unknown_selector_or_pod_labels_defer(k8s):
    with_pdb(k8s, maxUnavailable=1)
    k8s["pdb"].props["spec"]["selector"] = UNKNOWN
    assert drain(run(k8s)) == [(unknown(), k8s["pdb"].urn)]
    with_pdb(k8s, maxUnavailable=1)
    k8s["proxy"].props["spec"]["template"]["metadata"]["labels"] = UNKNOWN
    assert drain(run(k8s)) == [(unknown(), k8s["pdb"].urn)]


# ---------------------------------------------------------------- which PDBs and workloads


def test_a_pdb_selecting_other_pods_is_not_this_proxys(k8s):
    k8s["pdb"].props["spec"] = {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "something-else"}}}
    assert drain(run(k8s)) == []


def test_a_pdb_of_another_namespace_does_not_count(k8s):
    with_pdb(k8s, maxUnavailable=0)
    k8s["pdb"].props["metadata"]["namespace"] = "other"
    assert drain(run(k8s)) == []
    k8s["pdb"].props["metadata"]["namespace"] = "litellm"
    k8s["proxy"].props["metadata"]["namespace"] = "other"
    assert drain(run(k8s)) == []


@pytest.mark.parametrize("namespace", ["unset", "unknown"])
def test_a_pdb_whose_namespace_is_not_known_is_not_assumed_elsewhere(k8s, namespace):
    with_pdb(k8s, maxUnavailable=0)
    if namespace == "unset":
        k8s["pdb"].props["metadata"].pop("namespace")
    else:
        k8s["pdb"].props["metadata"]["namespace"] = UNKNOWN
    assert drain(run(k8s)) == [(blocked("maxUnavailable 0"), k8s["pdb"].urn)]


def test_one_pdb_over_two_proxy_workloads_is_reported_for_each(k8s):
    canary = second_proxy(k8s)
    canary.props["spec"]["replicas"] = 3
    k8s["pdb"].props["spec"] = {"minAvailable": 2, "selector": {"matchLabels": {"litellm-db-client": "true"}}}
    assert drain(run(k8s)) == [(blocked("minAvailable 2 with 2 replicas"), k8s["pdb"].urn)]  # the canary keeps 1 of 3
    k8s["pdb"].props["spec"]["minAvailable"] = 3
    assert drain(run(k8s)) == [
        (blocked("minAvailable 3 with 2 replicas"), k8s["pdb"].urn),
        (blocked("minAvailable 3 with 3 replicas", f"{CANARY} replicas 3", CANARY), k8s["pdb"].urn),
    ]


@pytest.mark.parametrize("skip", ["namespace", "one replica"])
def test_a_proxy_that_is_skipped_does_not_hide_the_next(k8s, skip):
    canary = second_proxy(k8s)
    k8s["pdb"].props["spec"] = {"maxUnavailable": 0, "selector": {}}  # every pod of its namespace
    if skip == "namespace":
        k8s["proxy"].props["metadata"]["namespace"] = "other"
    else:
        k8s.pop("hpa")
        k8s["proxy"].props["spec"]["replicas"] = 1
    assert drain(run(k8s)) == [(blocked("maxUnavailable 0", f"{CANARY} replicas 2", CANARY), k8s["pdb"].urn)]


def test_every_pdb_is_judged(k8s):
    selector = {"matchLabels": {"app": "litellm-proxy"}}
    other_ns = R(T_PDB, "other-pdb", {"metadata": {"name": "litellm-proxy", "namespace": "other"}, "spec": {"maxUnavailable": 0, "selector": selector}})
    k8s = {"pdb0": other_ns, **k8s}  # a PDB of another namespace first
    with_pdb(k8s, maxUnavailable=0)
    assert drain(run(k8s)) == [(blocked("maxUnavailable 0"), k8s["pdb"].urn)]


def test_two_proxy_containers_in_one_pod_are_one_workload(k8s):
    second_proxy_container(k8s["proxy"])
    assert len(pod(k8s["proxy"])["containers"]) == 2
    assert drain(run(with_pdb(k8s, maxUnavailable=0))) == [(blocked("maxUnavailable 0"), k8s["pdb"].urn)]


def test_docker_proxies_have_no_pdb_to_judge(docker):
    assert drain(run(docker)) == []


# ---------------------------------------------------------------- percentages, as the disruption controller rounds them
#
# Kubernetes' disruption controller (pkg/controller/disruption, getExpectedPodCount) scales a
# percentage with intstr.GetScaledValueFromIntOrPercent(..., roundUp=true), minAvailable and
# maxUnavailable alike: minAvailable "60%" of 2 replicas is ceil(1.2) = 2 pods, every one of them.


@pytest.mark.parametrize(
    ("spec", "fewest", "why"),
    [
        ({"minAvailable": "60%"}, 2, "minAvailable 60% with 2 replicas (rounded up: 2 of 2 must stay available)"),
        ({"minAvailable": "51%"}, 2, "minAvailable 51% with 2 replicas (rounded up: 2 of 2 must stay available)"),
        ({"minAvailable": "50%"}, 2, None),  # 1 of 2
        ({"minAvailable": "67%"}, 3, "minAvailable 67% with 3 replicas (rounded up: 3 of 3 must stay available)"),
        ({"minAvailable": "66%"}, 3, None),  # ceil(1.98) = 2 of 3
        ({"minAvailable": "90%"}, 10, None),  # 9 of 10
        ({"minAvailable": "91%"}, 10, "minAvailable 91% with 10 replicas (rounded up: 10 of 10 must stay available)"),
        ({"maxUnavailable": "10%"}, 2, None),  # ceil(0.2) = 1 may go
        ({"maxUnavailable": "1%"}, 10, None),
    ],
)
def test_a_percentage_is_rounded_up_as_kubernetes_does(k8s, spec, fewest, why):
    k8s["hpa"].props["spec"]["minReplicas"] = fewest
    how = f"HorizontalPodAutoscaler 'litellm-proxy-hpa' minReplicas {fewest}"
    vs = [v for v in run(with_pdb(k8s, **spec), PROD) if v.policy_name == POLICY]
    assert [(v.message, v.urn, v.enforcement) for v in vs] == ([(blocked(why, how), k8s["pdb"].urn, "mandatory")] if why else [])


def test_a_percentage_below_100_needs_the_replica_count(k8s):
    """100 % keeps every pod at any count; 60 % does at 2 replicas, not at 3: unknown count, deferred."""
    k8s["hpa"].props["spec"]["minReplicas"] = UNKNOWN
    how = "minReplicas of HorizontalPodAutoscaler 'litellm-proxy-hpa'"
    assert drain(run(with_pdb(k8s, minAvailable="60%"))) == [(unknown(how), k8s["pdb"].urn)]
    assert drain(run(with_pdb(k8s, minAvailable="100%"))) == [(blocked("minAvailable 100%", how), k8s["pdb"].urn)]

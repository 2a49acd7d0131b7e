"""The `scheduling` setting (N4): node selector, tolerations, priority class and pull secrets on
every prod pod, the proxy spread across nodes and zones, and a PDB that lets a drain proceed."""

import copy

import pytest
from conftest import stack_secrets, stack_values
from litellm_policies.registry import evaluate
from test_components import one, pod_spec, stack_config

from components.errors import ConfigError
from components.settings import load_settings
from devtools.mock_engine import run_program
from ops.pr_check import policy_config, policy_resources

SCHEDULING = {
    "nodeSelector": {"pool": "llm"},
    "tolerations": [{"key": "dedicated", "value": "llm", "effect": "NoSchedule"}],
    "priorityClassName": "lg-critical",
    "imagePullSecrets": ["regcred"],
}
T_DEPLOYMENT, T_STS, T_JOB, T_PDB = "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job", "kubernetes:policy/v1:PodDisruptionBudget"


def refused(pattern: str, stack: str = "prod", **changes) -> None:
    values = {**copy.deepcopy(stack_values(stack)), **changes}
    with pytest.raises(ConfigError, match=pattern):
        load_settings(values, stack_secrets(stack))


@pytest.mark.parametrize("toleration,pattern", [
    ({"key": "a", "operator": "Exists", "value": "b"}, "operator Exists takes no value"),
    ({"value": "b"}, "a toleration without key needs operator Exists"),
    ({"key": "a", "tolerationSeconds": 30}, "tolerationSeconds only with effect NoExecute"),
    ({"key": "a", "effect": "NoEvict"}, "Input should be 'NoSchedule', 'PreferNoSchedule' or 'NoExecute'"),
])  # fmt: skip
def test_tolerations_kubernetes_would_refuse_are_refused_first(toleration, pattern):
    refused(rf"litellm-gateway:scheduling\.tolerations\[0\].* = .*{pattern}", scheduling={"tolerations": [toleration]})


def test_names_and_values_are_checked():
    refused(r"litellm-gateway:scheduling\.imagePullSecrets\[0\] = 'Reg_Cred'", scheduling={"imagePullSecrets": ["Reg_Cred"]})
    refused(r"litellm-gateway:scheduling\.priorityClassName = 'High Priority'", scheduling={"priorityClassName": "High Priority"})
    refused(r"litellm-gateway:scheduling\.spread\.nodes = 'always'", scheduling={"spread": {"nodes": "always"}})
    refused(r"litellm-gateway:scheduling = set: only on platform kubernetes", stack="dev", scheduling=SCHEDULING)


@pytest.fixture(scope="module")
def scheduled():
    return run_program("prod", *stack_config("prod", scheduling=SCHEDULING))


@pytest.mark.parametrize("type_,name", [(T_DEPLOYMENT, "proxy-deployment"), (T_JOB, "proxy-migrate"), (T_STS, "postgres"), (T_DEPLOYMENT, "redis-deployment")])
def test_every_pod_gets_the_placement(scheduled, type_, name):
    spec = pod_spec(one(scheduled, type_, name))
    assert spec["nodeSelector"] == {"pool": "llm"} and spec["priorityClassName"] == "lg-critical"
    assert spec["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "llm", "effect": "NoSchedule"}]
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]


def test_the_proxy_spreads_across_nodes_and_zones_preferred_by_default():
    regs = run_program("prod", *stack_config("prod"))
    spec = pod_spec(one(regs, T_DEPLOYMENT, "proxy-deployment"))
    constraints = {c["topologyKey"]: c for c in spec["topologySpreadConstraints"]}
    assert set(constraints) == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
    for c in constraints.values():
        assert (c["maxSkew"], c["whenUnsatisfiable"], c["matchLabelKeys"]) == (1, "ScheduleAnyway", ["pod-template-hash"])
        assert c["labelSelector"]["matchLabels"] == one(regs, T_DEPLOYMENT, "proxy-deployment").inputs["spec"]["selector"]["matchLabels"]
    assert "topologySpreadConstraints" not in pod_spec(one(regs, T_STS, "postgres"))  # one replica: nothing to spread
    assert not {"nodeSelector", "tolerations", "priorityClassName", "imagePullSecrets"} & set(spec)  # only when set


def test_required_spread_and_zones_off():
    regs = run_program("prod", *stack_config("prod", scheduling={"spread": {"nodes": "required", "zones": "off"}}))
    (c,) = pod_spec(one(regs, T_DEPLOYMENT, "proxy-deployment"))["topologySpreadConstraints"]
    assert (c["topologyKey"], c["whenUnsatisfiable"]) == ("kubernetes.io/hostname", "DoNotSchedule")


def test_n4_the_pack_passes_and_refuses_a_pdb_that_blocks_every_drain(scheduled):
    resources = policy_resources(scheduled)
    assert [v.message for v in evaluate(resources, policy_config("prod"))] == []
    pdb = next(r for r in resources if r.type == T_PDB)
    pdb.props["spec"] = {"minAvailable": 3, "selector": pdb.props["spec"]["selector"]}  # = the HPA's minReplicas
    found = [v for v in evaluate(resources, policy_config("prod")) if not v.deferred]
    assert [(v.policy_name, v.enforcement) for v in found] == [("litellm-n4-pdb-allows-drain", "mandatory")]
    assert "minAvailable 3 with 3 replicas" in found[0].message and "a node drain never ends" in found[0].message


@pytest.mark.parametrize("spec,blocks", [({"maxUnavailable": 0}, True), ({"maxUnavailable": "0%"}, True), ({"minAvailable": "100%"}, True),
                                         ({"minAvailable": 2}, False), ({"maxUnavailable": 1}, False), ({"minAvailable": "50%"}, False)])  # fmt: skip
def test_n4_pdb_forms(scheduled, spec, blocks):
    resources = policy_resources(scheduled)
    pdb = next(r for r in resources if r.type == T_PDB)
    pdb.props["spec"] = {**spec, "selector": pdb.props["spec"]["selector"]}
    found = [v for v in evaluate(resources, policy_config("prod")) if v.policy_name == "litellm-n4-pdb-allows-drain"]
    assert bool(found) == blocks, [v.message for v in found]

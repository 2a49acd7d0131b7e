"""N4 and the `scheduling` setting through the real engine on the local control plane: every pod
of the prod stack lands on the node its selector names, with the priority class the API server
resolves, and the PodDisruptionBudget lets a drain evict a proxy pod (the eviction API, as
`kubectl drain` calls it); the pack refuses, at preview, the program changed to a PDB that
allows no eviction. The node label and PriorityClass are this test's own and removed after."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

from devtools.pulumi_project import Project

from .conftest import Cluster, prod_project

pytestmark = [pytest.mark.kube, pytest.mark.engine]

NAMESPACE = "lg-sched"
LABEL = "lg-sched-pool"
PRIORITY = "lg-sched-critical"
SCHEDULING = {
    "nodeSelector": {LABEL: "llm"},
    "tolerations": [{"key": "lg-sched-dedicated", "operator": "Exists", "effect": "NoSchedule"}],
    "priorityClassName": PRIORITY,
    "imagePullSecrets": ["lg-sched-pull"],
}


@pytest.fixture(scope="module")
def project(cluster: Cluster, tmp_path_factory) -> Iterator[Project]:
    me = prod_project(cluster, tmp_path_factory.mktemp("sched"), NAMESPACE, scheduling=SCHEDULING)
    cluster.volume(f"lg-sched-data-{secrets.token_hex(2)}", 50)
    priority = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": PRIORITY}, "value": 100000}
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(priority))
    cluster.kubectl("label", "nodes", "--all", f"{LABEL}=llm", "--overwrite")
    try:
        yield me
    finally:
        print(f"[scheduling through the engine] timings (s): {me.timings}")
        me.remove_everything()
        cluster.delete_namespace(NAMESPACE)
        cluster.kubectl("label", "nodes", "--all", f"{LABEL}-", check=False)
        cluster.kubectl("delete", "priorityclass", PRIORITY, "--ignore-not-found", check=False)


def test_every_pod_is_placed_as_the_setting_says(project: Project, cluster: Cluster) -> None:
    pack = project.with_pack("prod")
    project.timed("preview", "preview", "--diff=false", *pack, timeout=600)
    project.timed("up", "up", "--yes", *pack, timeout=1200)
    pods = cluster.get(NAMESPACE, "pods")
    assert len(pods) >= 5  # 3 proxies, Postgres, Redis (and the migration Job's)
    for pod in pods:
        spec = pod["spec"]
        assert spec.get("nodeName") and spec["nodeSelector"] == {LABEL: "llm"}, pod["metadata"]["name"]
        assert (spec["priorityClassName"], spec["priority"]) == (PRIORITY, 100000)  # resolved by the API server
        assert spec["imagePullSecrets"] == [{"name": "lg-sched-pull"}]
        assert {"key": "lg-sched-dedicated", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    (deployment,) = [d for d in cluster.get(NAMESPACE, "deployments") if "proxy" in d["metadata"]["name"]]
    keys = [c["topologyKey"] for c in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]]
    assert keys == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]  # preferred: one unlabelled node still takes all 3
    assert deployment["status"].get("readyReplicas") == 3


def test_n4_a_drain_can_evict_a_proxy_pod(project: Project, cluster: Cluster, tmp_path) -> None:
    (pdb,) = cluster.get(NAMESPACE, "poddisruptionbudgets")
    assert pdb["status"]["disruptionsAllowed"] >= 1
    pod = next(p["metadata"]["name"] for p in cluster.get(NAMESPACE, "pods") if "proxy-deployment" in p["metadata"]["name"])
    eviction = tmp_path / "eviction.json"
    eviction.write_text(json.dumps({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": NAMESPACE}}))
    cluster.kubectl("create", "--raw", f"/api/v1/namespaces/{NAMESPACE}/pods/{pod}/eviction", "-f", str(eviction))


def test_n4_the_pack_refuses_a_pdb_that_allows_no_eviction(project: Project) -> None:
    with project.edited("components/platforms/kubernetes.py", ('spec={"max_unavailable": 1,', 'spec={"max_unavailable": 0,')):
        result = project.run("preview", "--diff=false", *project.with_pack("prod"), check=False, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "[mandatory]  litellm-n4-pdb-allows-drain" in output, output[-3000:]
    assert "maxUnavailable 0" in output and "a node drain never ends" in output, output[-3000:]

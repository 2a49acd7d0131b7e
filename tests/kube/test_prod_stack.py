"""`pulumi up --stack prod` through the real engine and the kubernetes provider on the local
control plane (etcd, kube-apiserver, controller-manager, scheduler v1.36, kwok's simulated node),
as a user runs it against a cluster: the kubeconfig in KUBECONFIG, `pulumi preview` with the pack
under the prod config, then `up` with it. One deployment, checked in order, ending with `destroy`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterator

import pytest

from devtools.pulumi_project import Project, require_plugins

from .conftest import Cluster

pytestmark = [pytest.mark.kube, pytest.mark.engine]

#: Not the prod stack's own "litellm": test_prod_manifests.py applies its objects there on the
#: same session cluster, and the engine would meet them as existing objects.
NAMESPACE = "lg-engine"
API_KEYS = {"openaiApiKey": "sk-test-" + secrets.token_hex(12), "anthropicApiKey": "sk-ant-test-" + secrets.token_hex(12)}
#: What holds data or a secret data depends on: none of these may ever be replaced or deleted by
#: an update (the claim holds the database; the salt key encrypts stored credentials).
DATA_HOLDERS = re.compile(r"(postgres-data|postgres-statefulset|secrets-salt-key|postgres-password)$")
#: The Postgres claim's class: expandable (the API server's resize admission reads the class; the
#: control plane has no provisioner, so a static volume of this class backs the claim).
STORAGE_CLASS = "lg-engine-expandable"
KUBERNETES = {"namespace": NAMESPACE, "postgresStorageGib": 50, "storageClass": STORAGE_CLASS}


class Deployed:
    def __init__(self, project: Project, cluster: Cluster):
        self.project = project
        self.cluster = cluster

    def steps(self, *args: str) -> list[tuple[str, str]]:
        """(op, resource name) of every step a preview plans, from the engine's JSON."""
        plan = json.loads(self.project.run("preview", "--json", *args, timeout=600).stdout)
        return [(s["op"], s["urn"].rsplit("::", 1)[1]) for s in plan.get("steps", [])]


@pytest.fixture(scope="module")
def deployed(cluster: Cluster, tmp_path_factory) -> Iterator[Deployed]:
    require_plugins("random", "kubernetes")
    project = Project.copy(tmp_path_factory.mktemp("prod-stack"), "prod", "Pulumi.prod.yaml", kubernetes=KUBERNETES)
    project.env["KUBECONFIG"] = str(cluster.dir / "admin.kubeconfig")
    for key, value in API_KEYS.items():
        project.set_secret(key, value)
    cluster.storage_class(STORAGE_CLASS, expandable=True)
    cluster.volume(f"lg-engine-prod-data-{secrets.token_hex(2)}", 50, STORAGE_CLASS)  # no provisioner: the claim binds to it
    me = Deployed(project, cluster)
    try:
        yield me
    finally:
        print(f"[prod stack through the engine] timings (s): {project.timings}")
        project.remove_everything()
        cluster.delete_namespace(NAMESPACE)


def test_preview_with_the_pack_then_up(deployed: Deployed) -> None:
    pack = deployed.project.with_pack("prod")
    preview = deployed.project.timed("preview", "preview", "--diff=false", *pack, timeout=600)
    assert "litellm-gateway-hardening" in preview.stdout, preview.stdout[-3000:]
    deployed.project.timed("up", "up", "--yes", *pack, timeout=1200)


def test_job_completed_then_proxy_reached_its_replicas_with_pdb_and_hpa(deployed: Deployed) -> None:
    cluster = deployed.cluster
    (job,) = cluster.get(NAMESPACE, "jobs")
    assert job["status"].get("succeeded") == 1, job["status"]
    (deployment,) = [d for d in cluster.get(NAMESPACE, "deployments") if "proxy" in d["metadata"]["name"]]
    assert deployment["spec"]["replicas"] == 3 and deployment["status"].get("readyReplicas") == 3, deployment["status"]
    # D5: the proxy's pods exist only after the Job finished (the engine waited for it).
    finished = job["status"]["completionTime"]
    pods = [p for p in cluster.get(NAMESPACE, "pods") if p["metadata"]["name"].startswith(deployment["metadata"]["name"])]
    assert len(pods) == 3 and all(p["metadata"]["creationTimestamp"] >= finished for p in pods)
    (pdb,) = cluster.get(NAMESPACE, "poddisruptionbudgets")
    assert pdb["status"]["expectedPods"] == pdb["status"]["currentHealthy"] == 3  # its selector matches the pods
    assert pdb["status"]["disruptionsAllowed"] >= 1  # a node drain can proceed
    (hpa,) = cluster.get(NAMESPACE, "horizontalpodautoscalers")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 6)
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    (postgres,) = cluster.get(NAMESPACE, "statefulsets")
    assert postgres["status"].get("readyReplicas") == 1
    (claim,) = cluster.get(NAMESPACE, "persistentvolumeclaims")
    assert claim["status"]["phase"] == "Bound" and claim["spec"]["resources"]["requests"]["storage"] == "50Gi"


def test_no_perpetual_diff_after_up_and_after_refresh(deployed: Deployed) -> None:
    deployed.project.timed("preview-no-changes", "preview", "--expect-no-changes", "--diff", timeout=600)
    deployed.project.timed("refresh", "refresh", "--yes", "--skip-preview", timeout=600)
    deployed.project.run("preview", "--expect-no-changes", "--diff", timeout=600)


def test_d2_raising_the_hpa_maximum_resizes_postgres_and_replaces_no_data(deployed: Deployed) -> None:
    project = deployed.project
    project.run("config", "set", "--path", "litellm-gateway:autoscaling.maxReplicas", "8")
    steps = deployed.steps()
    changed = [(op, name) for op, name in steps if op not in ("same", "read")]
    assert changed, steps
    assert not [s for s in changed if DATA_HOLDERS.search(s[1]) and s[0] != "update"], changed
    assert not [s for s in changed if s[0] in ("replace", "create-replacement", "delete-replaced", "delete")], changed
    deployed.project.timed("scale-up", "up", "--yes", *project.with_pack("prod"), timeout=1200)
    (statefulset,) = [s for s in deployed.cluster.get(NAMESPACE, "statefulsets") if "postgres" in s["metadata"]["name"]]
    args = " ".join(statefulset["spec"]["template"]["spec"]["containers"][0].get("args", []))
    assert "max_connections=690" in args, args  # 4 workers x 10 x (2 x 8 + 1 in a rolling update) + 10 (D2)
    (hpa,) = deployed.cluster.get(NAMESPACE, "horizontalpodautoscalers")
    assert hpa["spec"]["maxReplicas"] == 8


def test_s4_no_plaintext_secret_in_the_state(deployed: Deployed) -> None:
    """Neither the keys nor their base64 (the provider stores a Secret's stringData as data)."""
    forms = {k: (v, base64.b64encode(v.encode()).decode()) for k, v in API_KEYS.items()}
    plain = json.dumps(deployed.project.export())
    assert not [k for k, vs in forms.items() if any(v in plain for v in vs)]
    shown = json.dumps(deployed.project.export(show_secrets=True))
    assert all(any(v in shown for v in vs) for vs in forms.values())  # the check above looked at the right state


def test_d5_a_failed_migration_job_fails_up_before_the_deployment_changes(deployed: Deployed) -> None:
    """A new proxy image whose migration fails: the provider's Job await fails `up`
    (BackoffLimitExceeded), and the Deployment, which depends on the Job, keeps the old image.
    The failure comes from toolchain/kwok/pod-fail.yaml (a test stand-in: Job pods labelled
    lg-test-exit-code end Failed), since the simulated pods run nothing."""
    project, cluster = deployed.project, deployed.cluster
    image = "litellm-gateway/litellm:1.106.2"
    failing = ('POSTGRES_CLIENT_LABEL: "true"}},', 'POSTGRES_CLIENT_LABEL: "true", "lg-test-exit-code": "3"}},')
    project.run("config", "set", "--path", "litellm-gateway:images.proxy", "litellm-gateway/litellm:1.106.2-next")
    try:
        with project.edited("components/platforms/kubernetes.py", failing):
            result = project.run("up", "--yes", "--skip-preview", check=False, timeout=1200)
    finally:
        project.run("config", "set", "--path", "litellm-gateway:images.proxy", image)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "backoff limit" in output.lower(), output[-3000:]
    (deployment,) = [d for d in cluster.get(NAMESPACE, "deployments") if "proxy" in d["metadata"]["name"]]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert deployment["status"].get("readyReplicas") == 3
    project.timed("after-failed-migration", "up", "--yes", *project.with_pack("prod"), timeout=1200)
    project.run("preview", "--expect-no-changes", timeout=600)


def set_kubernetes(project: Project, **changes) -> None:
    """The `kubernetes` setting as a whole (Project.copy stored it as one JSON value)."""
    project.run("config", "set", "--path", "litellm-gateway:kubernetes", json.dumps({**KUBERNETES, **changes}))


def postgres_claim(deployed: Deployed) -> dict:
    (claim,) = deployed.cluster.get(NAMESPACE, "persistentvolumeclaims")
    return claim


def same_claim(before: dict, after: dict) -> bool:
    """The data's identity on a control plane whose pods run nothing: the claim object and the
    volume it is bound to (a new claim would be a new, empty database)."""
    keys = lambda c: (c["metadata"]["uid"], c["spec"].get("volumeName"), c["spec"].get("storageClassName"))  # noqa: E731
    return keys(before) == keys(after) and after["status"]["phase"] == "Bound"


def test_d6_a_larger_claim_is_an_in_place_update_of_the_same_claim(deployed: Deployed) -> None:
    """Before: the size lived in the StatefulSet's volumeClaimTemplates, so a change replaced the
    (auto-named) StatefulSet, which then got a new, empty claim. Now the claim is updated."""
    project, before = deployed.project, postgres_claim(deployed)
    set_kubernetes(project, postgresStorageGib=60)
    changed = [s for s in deployed.steps() if s[0] not in ("same", "read")]
    assert changed == [("update", "lg-prod-postgres-data")], changed
    project.timed("grow-claim", "up", "--yes", *project.with_pack("prod"), timeout=1200)
    after = postgres_claim(deployed)
    assert same_claim(before, after) and after["spec"]["resources"]["requests"]["storage"] == "60Gi", after


def test_d6_a_storage_class_change_is_refused_and_changes_nothing(deployed: Deployed) -> None:
    project, cluster, before = deployed.project, deployed.cluster, postgres_claim(deployed)
    cluster.storage_class("lg-engine-other", expandable=True)
    set_kubernetes(project, postgresStorageGib=60, storageClass="lg-engine-other")
    try:
        result = project.run("up", "--yes", "--skip-preview", check=False, timeout=900)
    finally:
        set_kubernetes(project, postgresStorageGib=60)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "postgres-data" in output and "protect" in output.lower(), output[-3000:]
    assert same_claim(before, postgres_claim(deployed))
    project.run("preview", "--expect-no-changes", timeout=600)


def test_d6_growing_a_claim_whose_class_cannot_expand_is_refused_and_changes_nothing(deployed: Deployed) -> None:
    project, cluster, before = deployed.project, deployed.cluster, postgres_claim(deployed)
    cluster.storage_class(STORAGE_CLASS, expandable=False)
    set_kubernetes(project, postgresStorageGib=70)
    try:
        result = project.run("up", "--yes", "--skip-preview", check=False, timeout=900)
    finally:
        set_kubernetes(project, postgresStorageGib=60)
        cluster.storage_class(STORAGE_CLASS, expandable=True)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "must support resize" in output, output[-3000:]
    after = postgres_claim(deployed)
    assert same_claim(before, after) and after["spec"]["resources"]["requests"]["storage"] == "60Gi"


def test_destroy_keeps_the_salt_key_the_password_the_namespace_and_the_claim(deployed: Deployed) -> None:
    """README "Tear down": the protected claim and secrets stay in the state, and the claim and the
    Namespace that holds it stay in the cluster."""
    deployed.project.timed("destroy", "destroy", "--yes", "--exclude-protected", "--skip-preview", timeout=900)
    left = sorted(
        r["urn"].rsplit("::", 1)[1] for r in deployed.project.export()["deployment"]["resources"]
        if r.get("custom") and not r["type"].startswith("pulumi:providers:")
    )  # fmt: skip
    # the Namespace stays too: `--exclude-protected` keeps what a protected resource depends on
    assert left == ["lg-prod-namespace", "lg-prod-postgres-data", "lg-prod-secrets-postgres-password", "lg-prod-secrets-salt-key"], left
    assert deployed.cluster.kubectl("get", "namespace", NAMESPACE, "-o", "jsonpath={.status.phase}").stdout == "Active"
    (claim,) = deployed.cluster.get(NAMESPACE, "persistentvolumeclaims")
    assert claim["status"]["phase"] == "Bound"
    assert deployed.cluster.get(NAMESPACE, "deployments,statefulsets,jobs") == []

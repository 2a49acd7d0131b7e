"""The prod stack's Kubernetes objects on a real API server (v1.36, kwok nodes): every object
the program registers is accepted by strict server-side validation, rolls out in dependency
order (the test applies the proxy after the Job, as the program's depends_on makes the engine
do: tests/test_components.py checks that dependency), keeps secrets in Secrets only, is stable
(a second render of the same stack diffs empty against the live objects) and scales Postgres with
the proxy in one update.

The objects come from `python -m ops render` (the program under Pulumi's mocks) and are applied
with kubectl. `pulumi up` itself runs in test_prod_stack.py; these tests keep what the engine run
does not check: strict server-side validation of every object, and the objects as rendered for
review (ops render) matching the live ones.
"""

import base64
import re
from collections.abc import Iterator

import pytest

from ops import render

from .conftest import Cluster, apply_rendered, decoded_secret_values

pytestmark = pytest.mark.kube

NAMESPACE = "litellm"
SECRET_NAMES = [  # every secret of the prod stack: its config secrets and generated passwords
    "openaiApiKey", "anthropicApiKey",
    "lg-prod-secrets-salt-key", "lg-prod-secrets-master-key", "lg-prod-secrets-drain-token",
    "lg-prod-secrets-postgres-password", "lg-prod-secrets-redis-password",
]  # fmt: skip
PLACEHOLDER = re.compile(r"rendered-placeholder-[A-Za-z0-9-]+?-not-a-secret")


def by_kind(found: list[render.Manifest], kind: str, name_part: str = "") -> render.Manifest:
    (match,) = [m for m in found if m.kind == kind and name_part in m.name]
    return match


def proxy_container(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture(scope="module")
def prod(cluster: Cluster, tmp_path_factory) -> Iterator[list[render.Manifest]]:
    """The prod stack applied as the engine would order it: the proxy Deployment (and its HPA)
    only after the migration Job has completed, since the program makes it depend on the Job."""
    found = render.render("prod")
    out = tmp_path_factory.mktemp("prod-manifests")
    cluster.volume("lg-test-prod-data", 50)
    apply_rendered(cluster, found, out, skip=("Deployment", "HorizontalPodAutoscaler"))
    job = by_kind(found, "Job")
    cluster.kubectl("wait", "-n", NAMESPACE, "--for=condition=Complete", f"job/{job.name}", "--timeout=120s")
    for m in found:
        if m.kind in ("Deployment", "HorizontalPodAutoscaler"):
            cluster.kubectl("apply", "-f", str(out / m.file))
    for m in found:
        if m.kind in ("Deployment", "StatefulSet"):
            cluster.kubectl("rollout", "status", "-n", NAMESPACE, f"{m.kind.lower()}/{m.name}", "--timeout=120s")
    yield found
    cluster.delete_namespace(NAMESPACE)


@pytest.mark.parametrize("proxy_image", [None, "ghcr.io/berriai/litellm:v1.106.2-stable"], ids=["ours", "official"])
def test_every_prod_object_passes_strict_server_side_validation(cluster, tmp_path, proxy_image):
    """Also with LiteLLM's own image (issue 16 part 3): its two-container pod and ConfigMap."""
    changes = {"kubernetes": {"namespace": "litellm-dry-run", "postgresStorageGib": 50}}
    if proxy_image:
        changes["images"] = {"proxy": proxy_image, "postgres": "litellm-gateway/postgres:15.20", "redis": "litellm-gateway/redis:7.0.15"}
    found = render.render("prod", changes)
    render.write(found, tmp_path)
    namespace = by_kind(found, "Namespace")
    cluster.kubectl("apply", "-f", str(tmp_path / namespace.file))  # namespaced dry runs need it
    kinds = set()
    for m in found:
        result = cluster.kubectl("apply", "--dry-run=server", "--validate=strict", "-f", str(tmp_path / m.file))
        assert "(server dry run)" in result.stdout and not result.stderr.strip(), (m.file, result.stderr)
        kinds.add(m.kind)
    assert kinds == {
        "Namespace", "Service", "NetworkPolicy", "Secret", "StatefulSet", "PersistentVolumeClaim", "Deployment", "ConfigMap",
        "PodDisruptionBudget", "Job", "HorizontalPodAutoscaler",
    }  # fmt: skip


def test_a_wrong_field_is_refused_by_the_same_validation(cluster, tmp_path):
    """The dry run can fail: an unknown field in the proxy's container is an error."""
    found = render.render("prod")
    deployment = by_kind(found, "Deployment", "proxy")
    proxy_container(deployment.body)["livenessProbe"]["httpGet"]["prot"] = 4001
    render.write([deployment], tmp_path)
    result = cluster.kubectl("apply", "--dry-run=server", "--validate=strict", "-f", str(tmp_path / deployment.file), check=False)
    assert result.returncode != 0 and 'unknown field "spec.template.spec.containers[0].livenessProbe.httpGet.prot"' in result.stderr


def test_h2_probes_of_the_live_proxy_point_at_the_health_app(cluster, prod):
    proxy = next(d for d in cluster.get(NAMESPACE, "deployments") if "proxy" in d["metadata"]["name"])
    container = proxy_container(proxy)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == 4001, probe
    pods = cluster.get(NAMESPACE, "pods")
    proxy_pods = [p for p in pods if p["metadata"]["labels"].get("app.kubernetes.io/name") == "litellm-proxy"]
    assert len(proxy_pods) == 3 and all(p["status"]["phase"] == "Running" for p in proxy_pods)


def test_n1_network_policies_admit_only_labelled_clients_of_each_data_store(cluster, prod):
    policies = {p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]: p for p in cluster.get(NAMESPACE, "networkpolicies")}
    assert set(policies) == {"postgres", "redis"}
    pods = cluster.get(NAMESPACE, "pods")
    for store, port in (("postgres", 5432), ("redis", 6379)):
        (rule,) = policies[store]["spec"]["ingress"]
        assert [p["port"] for p in rule["ports"]] == [port]
        (source,) = rule["from"]
        (client_label,) = source["podSelector"]["matchLabels"]
        selected = [p for p in pods if p["metadata"]["labels"].get(client_label) == "true"]
        names = {p["metadata"]["labels"]["app.kubernetes.io/name"] for p in selected}
        assert "litellm-proxy" in names, (store, names)  # the proxy can reach it; nothing unlabelled can
    services = {s["metadata"]["name"]: s["spec"]["type"] for s in cluster.get(NAMESPACE, "services")}
    assert set(services.values()) == {"ClusterIP"}


def test_s4_secrets_hold_every_secret_and_no_other_object_does(cluster, prod):
    expected = {render.placeholder(name) for name in SECRET_NAMES}
    in_secrets: set[str] = set()
    for secret in cluster.get(NAMESPACE, "secrets"):
        for value in decoded_secret_values(secret):
            in_secrets |= set(PLACEHOLDER.findall(value))
    assert in_secrets == expected
    kinds = "configmaps,deployments,statefulsets,jobs,pods,services,poddisruptionbudgets,horizontalpodautoscalers,networkpolicies,persistentvolumeclaims"
    others = cluster.kubectl("get", "-n", NAMESPACE, kinds, "-o", "json").stdout
    assert PLACEHOLDER.findall(others) == []
    encoded = [v for v in expected if base64.b64encode(v.encode()).decode()[:20] in others]
    assert encoded == []


def test_a_second_render_diffs_empty_against_the_live_objects(cluster, prod, tmp_path):
    render.write(render.render("prod"), tmp_path)
    result = cluster.kubectl("diff", "-f", str(tmp_path), check=False)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize(
    ("change", "workers", "instances"),
    [({"autoscaling": {"minReplicas": 3, "maxReplicas": 8}}, 4, 8), ({"machineClass": "large"}, 8, 6)],
    ids=["hpa-max-8", "class-large"],
)
def test_d2_scaling_changes_postgres_max_connections_in_the_same_update(cluster, tmp_path, change, workers, instances):
    namespace = f"litellm-scale-{instances}-{workers}"
    where = {"kubernetes": {"namespace": namespace, "postgresStorageGib": 50}}
    cluster.volume(f"lg-test-{namespace}", 50)
    before = render.render("prod", where)
    try:
        apply_rendered(cluster, before, tmp_path / "before")
        after = render.render("prod", {**where, **change})
        changed = {m.kind for m in after if m.body != next((b.body for b in before if b.file.split("-", 1)[1] == m.file.split("-", 1)[1]), None)}
        assert {"StatefulSet", "Deployment"} <= changed  # one render carries both sides of the budget
        apply_rendered(cluster, after, tmp_path / "after")
        (postgres,) = cluster.get(namespace, "statefulsets")
        proxy = next(d for d in cluster.get(namespace, "deployments") if "proxy" in d["metadata"]["name"])
    finally:
        cluster.delete_namespace(namespace)
    args = postgres["spec"]["template"]["spec"]["containers"][0]["args"]
    max_connections = int(next(a for a in args if a.startswith("max_connections=")).split("=")[1])
    live_args = proxy_container(proxy)["args"]
    assert int(live_args[live_args.index("--num_workers") + 1]) == workers
    # D1 pool × P1 workers × pods of a rolling update (2 × the autoscaler maximum + maxSurge 1) + D2 headroom
    assert max_connections == 10 * workers * (2 * instances + 1) + 10


def test_d6_the_postgres_claim_outlives_its_statefulset(cluster, tmp_path):
    """Deleting the StatefulSet (a replacement's first half) leaves the data claim Bound."""
    namespace = "litellm-destroy"
    cluster.volume(f"lg-test-{namespace}", 50)
    found = render.render("prod", {"kubernetes": {"namespace": namespace, "postgresStorageGib": 50}})
    apply_rendered(cluster, found, tmp_path, skip=("Deployment", "HorizontalPodAutoscaler", "Job"))
    statefulset = by_kind(found, "StatefulSet")
    cluster.kubectl("rollout", "status", "-n", namespace, f"statefulset/{statefulset.name}", "--timeout=120s")
    cluster.kubectl("delete", "-n", namespace, f"statefulset/{statefulset.name}", "--wait=true", "--timeout=120s")
    assert cluster.get(namespace, "statefulsets") == []
    (claim,) = cluster.get(namespace, "persistentvolumeclaims")
    cluster.delete_namespace(namespace)
    assert claim["metadata"]["name"] == "lg-prod-postgres-data" and claim["status"]["phase"] == "Bound"

"""Issue 16 part 3 through the real engine on the local control plane: the prod stack with
LiteLLM's own image (ghcr.io/berriai/litellm). `pulumi preview` and `up` with the pack pass,
the API server accepts the two-container proxy pod (proxy + health app), the ConfigMap of the
project's files and the migration Job, and the Job completes before the proxy rolls out (D5).
The pack, through the engine, refuses the program changed to drop the health app container
(H1). kwok's pods run nothing: that the arrangement works is tests/e2e/test_official_images.py's
job (the same rendered containers run under Docker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.proxy_layout import SUPPORT_DIR, SUPPORT_FILES
from devtools.pulumi_project import Project

from .conftest import Cluster, throwaway_prod

pytestmark = [pytest.mark.kube, pytest.mark.engine]

NAMESPACE = "lg-official"
OFFICIAL = "ghcr.io/berriai/litellm:v1.106.2-stable"
IMAGES = {"proxy": OFFICIAL, "postgres": "litellm-gateway/postgres:15.20", "redis": "litellm-gateway/redis:7.0.15"}


@pytest.fixture(scope="module")
def project(cluster: Cluster, tmp_path_factory) -> Iterator[Project]:
    with throwaway_prod(cluster, tmp_path_factory.mktemp("official"), NAMESPACE, "official image", images=IMAGES) as me:
        yield me


def test_h1_d5_preview_and_up_with_the_pack_then_the_pod_runs_proxy_and_health_app(project: Project, cluster: Cluster) -> None:
    pack = project.with_pack("prod")
    preview = project.timed("preview", "preview", "--diff=false", *pack, timeout=600)
    assert "litellm-gateway-hardening" in preview.stdout and "violation" not in preview.stdout.lower(), preview.stdout[-3000:]
    project.timed("up", "up", "--yes", *pack, timeout=1200)

    (job,) = cluster.get(NAMESPACE, "jobs")
    assert job["status"].get("succeeded") == 1, job["status"]
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["image"] == OFFICIAL and migrate["command"] == ["litellm", "--skip_server_startup"]
    (deployment,) = [d for d in cluster.get(NAMESPACE, "deployments") if "proxy" in d["metadata"]["name"]]
    assert deployment["status"].get("readyReplicas") == 3, deployment["status"]
    pod = deployment["spec"]["template"]["spec"]
    proxy, health = pod["containers"]
    assert (proxy["name"], health["name"]) == ("litellm", "health") and proxy["image"] == health["image"] == OFFICIAL
    assert proxy["command"][0] == "litellm" and health["command"][:3] == ["python", "-m", "uvicorn"]
    assert proxy["readinessProbe"]["httpGet"]["port"] == 4001
    (support,) = [c for c in cluster.get(NAMESPACE, "configmaps") if c["metadata"]["name"].startswith("lg-prod-proxy-support")]
    assert sorted(support["data"]) == sorted([*SUPPORT_FILES, "sitecustomize.py"])
    volume = next(v for v in pod["volumes"] if v["name"] == "support")
    assert volume["configMap"]["name"] == support["metadata"]["name"]
    assert health["volumeMounts"] == [{"name": "support", "mountPath": SUPPORT_DIR, "readOnly": True}]


def test_h1_the_pack_refuses_at_preview_the_official_proxy_without_its_health_container(project: Project) -> None:
    with project.edited("components/platforms/kubernetes.py", ("*_health_app(spec.image, layout, support),", "")):
        result = project.run("preview", "--diff=false", *project.with_pack("prod"), check=False, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "[mandatory]  litellm-h1-separate-health-app" in output, output[-3000:]
    assert "no health app container beside it" in output

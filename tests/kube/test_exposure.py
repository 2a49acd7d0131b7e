"""N5-N7 through the real engine on the local control plane: the prod stack with an `ingress`
setting, then with a `loadBalancer` instead, previewed and deployed with the pack under the prod
config; and the pack refusing, at preview, the same program changed to expose the proxy without
TLS and the health app. Nothing answers on the hosts: the control plane runs no Ingress
controller and no cloud load balancer, so a test thread writes the address they would publish
in the Ingress's and the Service's status, which the provider waits for."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator

import pytest

from devtools.pulumi_project import Project

from .conftest import Cluster, throwaway_prod

pytestmark = [pytest.mark.kube, pytest.mark.engine]

NAMESPACE = "lg-expose"
HOST = "llm.lg-expose.test"
INGRESS = {"className": "nginx", "hosts": [HOST], "tls": {"secretName": "lg-expose-tls"}, "maxRequestBodyMib": 16}
LOAD_BALANCER = {
    "host": HOST,
    "annotations": {"service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-west-1:000000000000:certificate/test"},
    "sourceRanges": ["203.0.113.0/24"],
}


@pytest.fixture(scope="module")
def project(cluster: Cluster, tmp_path_factory) -> Iterator[Project]:
    with throwaway_prod(cluster, tmp_path_factory.mktemp("expose"), NAMESPACE, "exposure", ingress=INGRESS) as me:
        yield me


def test_n5_n7_ingress_previewed_and_deployed_with_the_pack(project: Project, cluster: Cluster) -> None:
    pack = project.with_pack("prod")
    project.timed("preview", "preview", "--diff=false", *pack, timeout=600)
    with address_reported(cluster, "ingress", "lg-prod-proxy"):
        project.timed("up", "up", "--yes", *pack, timeout=1200)
    (ingress,) = cluster.get(NAMESPACE, "ingresses")
    spec, annotations = ingress["spec"], ingress["metadata"]["annotations"]
    assert spec["ingressClassName"] == "nginx" and spec["tls"] == [{"hosts": [HOST], "secretName": "lg-expose-tls"}]
    (rule,) = spec["rules"]
    assert rule["host"] == HOST and rule["http"]["paths"][0]["backend"]["service"] == {"name": "lg-prod-proxy", "port": {"name": "http"}}
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == annotations["nginx.org/client-max-body-size"] == "16m"
    (service,) = [s for s in cluster.get(NAMESPACE, "services") if s["metadata"]["name"] == "lg-prod-proxy"]
    assert service["spec"]["type"] == "ClusterIP"
    assert {p["name"]: p["targetPort"] for p in service["spec"]["ports"]}["http"] == 4000
    assert project.outputs()["proxy_url"] == f"https://{HOST}"
    project.run("preview", "--expect-no-changes", timeout=600)


@pytest.mark.parametrize("rule,edit,expect", [
    ("n5-exposure-tls", ('"tls": [{"hosts": list(settings.hosts), "secret_name": tls_secret_name(name, tls)}],  # N5', ""), f"host '{HOST}' without TLS"),
    ("n6-datastores-never-exposed", ('PUBLIC_PORT_NAME = "http"', 'PUBLIC_PORT_NAME = "health"'), "the health app's port 4001"),
])  # fmt: skip
def test_n5_n6_the_pack_refuses_the_program_changed_to_expose_plain_http_or_the_health_app(project: Project, rule, edit, expect) -> None:
    with project.edited("components/platforms/kubernetes_exposure.py", edit):
        result = project.run("preview", "--diff=false", *project.with_pack("prod"), check=False, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and f"[mandatory]  litellm-{rule}" in output and expect in output, output[-3000:]


@contextlib.contextmanager
def address_reported(cluster: Cluster, kind: str, name: str) -> Iterator[None]:
    """Stands in for the Ingress controller or the cloud: once the object exists, give it the
    load-balancer address the provider waits for (a real controller publishes one)."""
    status = json.dumps({"status": {"loadBalancer": {"ingress": [{"hostname": f"lb.{HOST}"}]}}})
    stop = threading.Event()

    def report() -> None:
        while not stop.is_set():
            if cluster.kubectl("get", kind, "-n", NAMESPACE, name, check=False).returncode == 0:
                cluster.kubectl("patch", kind, "-n", NAMESPACE, name, "--subresource=status", "--type=merge", "-p", status, check=False)
                return
            time.sleep(1)

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def test_n5_n6_load_balancer_instead_of_the_ingress(project: Project, cluster: Cluster) -> None:
    project.run("config", "rm", "litellm-gateway:ingress")
    project.run("config", "set", "--path", "litellm-gateway:loadBalancer", json.dumps(LOAD_BALANCER))
    with address_reported(cluster, "service", "lg-prod-proxy-public"):
        project.timed("load-balancer", "up", "--yes", *project.with_pack("prod"), timeout=1200)
    assert cluster.get(NAMESPACE, "ingresses") == []
    (public,) = [s for s in cluster.get(NAMESPACE, "services") if s["spec"]["type"] == "LoadBalancer"]
    assert public["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "http", "nodePort": public["spec"]["ports"][0]["nodePort"]}]
    assert public["spec"]["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
    assert public["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"].startswith("arn:aws:acm:")
    assert project.outputs()["proxy_url"] == f"https://{HOST}"

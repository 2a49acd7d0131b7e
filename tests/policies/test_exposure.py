"""N5-N7 (beyond the seeds): what leads into the cluster reaches only the proxy's main port, over
TLS, with a request-body limit at the edge."""

import pytest
from .policy_fixtures import NS, R, T_SVC, findings, messages, run

from litellm_policies import UNKNOWN
from ops.pr_check import policy_config

T_INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
HOST = "llm.example.com"
TLS_CERT = {"service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-west-1:000000000000:certificate/test"}


def ingress(service="litellm-proxy", port=None, *, tls=True, annotations=None, host=HOST) -> R:
    port = port if port is not None else {"number": 4000}
    spec = {
        "ingressClassName": "nginx",
        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": port}}}]}}],
    }
    if tls:
        spec["tls"] = [{"hosts": [HOST], "secretName": "llm-tls"}]
    body = {"nginx.ingress.kubernetes.io/proxy-body-size": "25m"} if annotations is None else annotations
    return R(T_INGRESS, "litellm-ingress", {"metadata": {"name": "litellm", "namespace": NS, "annotations": body}, "spec": spec})


def public_service(ports, annotations=None, selector=None) -> R:
    meta = {"name": "litellm-public", "namespace": NS, "annotations": TLS_CERT if annotations is None else annotations}
    return R(T_SVC, "litellm-public", {"metadata": meta, "spec": {"type": "LoadBalancer", "selector": selector or {"app": "litellm-proxy"}, "ports": ports}})


def test_compliant_ingress_and_load_balancer_pass(k8s):
    k8s["ingress"] = ingress()
    k8s["public"] = public_service([{"name": "https", "port": 443, "targetPort": 4000}])
    vs = run(k8s)
    assert not [f for rule in ("N5", "N6", "N7") for f in findings(vs, rule)]


def test_n5_ingress_without_tls(k8s):
    k8s["ingress"] = ingress(tls=False)
    (m,) = messages(run(k8s), "N5")
    assert f"host '{HOST}' without TLS" in m and "Ingress 'litellm-ingress'" in m


def test_n5_ingress_host_the_certificate_does_not_name(k8s):
    k8s["ingress"] = ingress(host="other.example.com")
    (m,) = messages(run(k8s), "N5")
    assert "host 'other.example.com' without TLS" in m


def test_n5_wildcard_certificate_covers_a_subdomain(k8s):
    k8s["ingress"] = ingress(host="api.example.com")
    k8s["ingress"].props["spec"]["tls"][0]["hosts"] = ["*.example.com"]
    assert not findings(run(k8s), "N5")


def test_n5_load_balancer_without_tls_termination(k8s):
    k8s["public"] = public_service([{"port": 80, "targetPort": "http"}], annotations={})
    (m,) = messages(run(k8s), "N5")
    assert "type LoadBalancer to Deployment 'litellm-proxy' container 'proxy' over plain HTTP" in m


def test_n5_is_mandatory_in_prod_and_advisory_in_dev(k8s):
    k8s["ingress"] = ingress(tls=False)
    assert {v.enforcement for v in run(k8s, policy_config("prod")) if v.rule_id == "N5"} == {"mandatory"}
    assert {v.enforcement for v in run(k8s, policy_config("dev")) if v.rule_id == "N5"} == {"advisory"}


@pytest.mark.parametrize("service,port,expect", [
    ("postgres", {"number": 5432}, "StatefulSet 'postgres' container 'postgres' (postgres)"),
    ("redis", {"number": 6379}, "Deployment 'redis' container 'redis' (redis)"),
])  # fmt: skip
def test_n6_ingress_to_a_data_store(k8s, service, port, expect):
    k8s["ingress"] = ingress(service, port)
    m = messages(run(k8s), "N6")
    assert len(m) == 1 and f"a way in to {expect}" in m[0]


def test_n6_ingress_to_the_health_app(k8s):
    k8s["proxy_svc"].props["spec"]["ports"].append({"name": "health", "port": 4001, "targetPort": "health"})
    k8s["ingress"] = ingress(port={"name": "health"})
    (m,) = messages(run(k8s), "N6")
    assert "the health app's port 4001 of Deployment 'litellm-proxy'" in m


@pytest.mark.parametrize("target,expect", [("metrics", "port 9090, not the proxy's main port 4000"), (4001, "the health app's port 4001")])
def test_n6_load_balancer_port_other_than_the_proxy(k8s, target, expect):
    k8s["public"] = public_service([{"name": "https", "port": 443, "targetPort": 4000}, {"name": "x", "port": 9000, "targetPort": target}])
    (m,) = messages(run(k8s), "N6")
    assert expect in m and "Service 'litellm-public' port 9000" in m


def test_n6_is_mandatory_in_dev_too(k8s):
    k8s["ingress"] = ingress("postgres", {"number": 5432})
    assert {v.enforcement for v in run(k8s, policy_config("dev")) if v.rule_id == "N6"} == {"mandatory"}


def test_n6_unknown_backend_port_defers(k8s):
    k8s["ingress"] = ingress(port={"number": UNKNOWN})
    vs = run(k8s)
    assert not messages(vs, "N6") and [v for v in vs if v.deferred and v.rule_id == "N6"]


@pytest.mark.parametrize("annotations", [{}, {"nginx.ingress.kubernetes.io/proxy-body-size": "0"}, {"nginx.org/client-max-body-size": "unlimited"}])
def test_n7_ingress_without_a_body_limit(k8s, annotations):
    k8s["ingress"] = ingress(annotations=annotations)
    (m,) = messages(run(k8s), "N7")
    assert "a non-zero request-body limit at the edge" in m


@pytest.mark.parametrize("annotations", [{"nginx.org/client-max-body-size": "8m"}, {"nginx.ingress.kubernetes.io/proxy-body-size": "1048576"}])
def test_n7_either_controller_annotation_is_a_limit(k8s, annotations):
    k8s["ingress"] = ingress(annotations=annotations)
    assert not findings(run(k8s), "N7")


def test_an_ingress_to_another_app_is_not_judged(k8s):
    k8s["other_svc"] = R(T_SVC, "other", {"metadata": {"name": "other", "namespace": NS}, "spec": {"selector": {"app": "other"}, "ports": [{"port": 80}]}})
    k8s["ingress"] = ingress("other", {"number": 80}, tls=False, annotations={})
    assert not [f for rule in ("N5", "N6", "N7") for f in findings(run(k8s), rule)]

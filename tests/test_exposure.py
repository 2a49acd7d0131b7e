"""The `ingress` and `loadBalancer` settings (N5-N7, beyond the seeds): refused when they cannot
work, and what the program registers for them under Pulumi's mocks, judged by the pack."""

import copy

import pytest
from conftest import stack_secrets, stack_values
from litellm_policies.registry import evaluate
from test_components import one, stack_config

from components.errors import ConfigError
from components.exposure import public_url
from components.settings import load_settings
from devtools.mock_engine import run_program
from ops.pr_check import policy_config, policy_resources

INGRESS = {"className": "nginx", "hosts": ["llm.example.com", "api.example.com"], "tls": {"secretName": "llm-example-tls"}}
LOAD_BALANCER = {
    "host": "llm.example.com",
    "annotations": {"service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-west-1:000000000000:certificate/test"},
    "sourceRanges": ["203.0.113.0/24"],
}
T_INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
T_SERVICE = "kubernetes:core/v1:Service"


def load(stack: str = "prod", **changes):
    values = {**copy.deepcopy(stack_values(stack)), **changes}
    return load_settings(values, stack_secrets(stack))


def refused(pattern: str, stack: str = "prod", **changes) -> str:
    with pytest.raises(ConfigError, match=pattern) as err:
        load(stack, **changes)
    return str(err.value)


# ---------------------------------------------------------------- settings


def test_ingress_and_load_balancer_settings_are_read():
    settings = load(ingress=INGRESS)
    assert settings.ingress.hosts == ("llm.example.com", "api.example.com") and settings.ingress.max_request_body_mib == 25
    assert load(loadBalancer=LOAD_BALANCER).load_balancer.source_ranges == ("203.0.113.0/24",)
    assert load().ingress is None and load().load_balancer is None  # not exposed unless asked


def test_n5_ingress_without_tls_is_refused_with_the_choices():
    message = refused(r"\[N5\] litellm-gateway:ingress\.tls = missing: \{secretName: ", ingress={**INGRESS, "tls": None})
    assert "clusterIssuer" in message and "issuer" in message


@pytest.mark.parametrize("tls", [{}, {"secretName": "a", "clusterIssuer": "b"}])
def test_n5_ingress_tls_names_exactly_one_source(tls):
    refused(r"\[N5\] litellm-gateway:ingress\.tls = .*exactly one of secretName, clusterIssuer, issuer", ingress={**INGRESS, "tls": tls})


def test_n5_load_balancer_must_terminate_tls():
    message = refused(r"\[N5\] litellm-gateway:loadBalancer\.annotations = ", loadBalancer={**LOAD_BALANCER, "annotations": {"a": "b"}})
    assert "service.beta.kubernetes.io/aws-load-balancer-ssl-cert" in message


@pytest.mark.parametrize("host", ["https://llm.example.com", "llm.example.com:443", "LLM.example.com", "localhost", ""])
def test_ingress_hosts_are_dns_names(host):
    refused(r"litellm-gateway:ingress\.hosts = .*DNS names such as llm\.example\.com", ingress={**INGRESS, "hosts": [host]})


def test_ingress_needs_a_host_and_a_class():
    refused(r"litellm-gateway:ingress\.hosts = \[\]", ingress={**INGRESS, "hosts": []})
    refused(r"litellm-gateway:ingress\.className = missing", ingress={k: v for k, v in INGRESS.items() if k != "className"})


@pytest.mark.parametrize("mib,ok", [(1, True), (1024, True), (0, False), (1025, False)])
def test_n7_body_limit_is_bounded(mib, ok):
    if ok:
        assert load(ingress={**INGRESS, "maxRequestBodyMib": mib}).ingress.max_request_body_mib == mib
    else:
        refused(r"litellm-gateway:ingress\.maxRequestBodyMib = ", ingress={**INGRESS, "maxRequestBodyMib": mib})


def test_n7_own_edge_annotations_cannot_be_overridden():
    annotations = {"nginx.ingress.kubernetes.io/proxy-body-size": "0", "nginx.ingress.kubernetes.io/whitelist-source-range": "203.0.113.0/24"}
    message = refused(r"ingress\.annotations\.nginx\.ingress\.kubernetes\.io/proxy-body-size = '0': set by the program", ingress={**INGRESS, "annotations": annotations})
    assert "whitelist-source-range" not in message  # other annotations are the operator's


def test_exposure_is_kubernetes_only_and_one_way_at_a_time():
    refused(r"litellm-gateway:ingress = set: only on platform kubernetes", stack="dev", ingress=INGRESS)
    refused(r"litellm-gateway:loadBalancer = set beside ingress: one way in", ingress=INGRESS, loadBalancer=LOAD_BALANCER)


def test_proxy_url_is_the_public_https_url():
    assert public_url(load(ingress=INGRESS).ingress, None) == "https://llm.example.com"
    assert public_url(None, load(loadBalancer=LOAD_BALANCER).load_balancer) == "https://llm.example.com"
    assert public_url(None, None) is None


# ---------------------------------------------------------------- registered objects


@pytest.fixture(scope="module")
def exposed():
    return run_program("prod", *stack_config("prod", ingress={**INGRESS, "tls": {"clusterIssuer": "letsencrypt"}}))


def test_ingress_routes_every_host_to_the_proxy_http_port_over_tls(exposed):
    spec = one(exposed, T_INGRESS, "proxy-ingress").inputs["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["tls"] == [{"hosts": INGRESS["hosts"], "secretName": "lg-prod-proxy-tls"}]  # cert-manager fills it
    backends = [(r["host"], p["path"], p["backend"]) for r in spec["rules"] for p in r["http"]["paths"]]
    assert backends == [(h, "/", {"service": {"name": "lg-prod-proxy", "port": {"name": "http"}}}) for h in INGRESS["hosts"]]
    proxy_service = one(exposed, T_SERVICE, "lg-prod-proxy-service").inputs["spec"]
    assert {p["name"]: p["targetPort"] for p in proxy_service["ports"]}["http"] == 4000  # N6: the main port only


def test_n7_p7_edge_limits_for_both_nginx_controllers(exposed):
    annotations = one(exposed, T_INGRESS, "proxy-ingress").inputs["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == annotations["nginx.org/client-max-body-size"] == "25m"
    # above the longest request (claude-sonnet's 900 s) and LiteLLM's drain margin: no completion cut at the edge
    assert annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "930" and annotations["nginx.org/proxy-read-timeout"] == "930s"
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt"


def test_load_balancer_service_has_one_tls_port_to_the_proxy():
    regs = run_program("prod", *stack_config("prod", loadBalancer=LOAD_BALANCER))
    public = one(regs, T_SERVICE, "public-service").inputs
    assert public["spec"]["type"] == "LoadBalancer" and public["spec"]["loadBalancerSourceRanges"] == ["203.0.113.0/24"]
    assert public["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "http"}]
    assert public["metadata"]["annotations"] == LOAD_BALANCER["annotations"]
    assert not [r for r in regs if r.type == T_INGRESS]
    assert [v.message for v in evaluate(policy_resources(regs), policy_config("prod"))] == []


def test_the_pack_passes_the_exposed_prod_stack_and_fails_it_without_tls(exposed):
    resources = policy_resources(exposed)
    assert [v.message for v in evaluate(resources, policy_config("prod"))] == []
    ingress = next(r for r in resources if r.type == T_INGRESS)
    del ingress.props["spec"]["tls"]
    found = [v for v in evaluate(resources, policy_config("prod")) if not v.deferred]
    assert {(v.rule_id, v.enforcement) for v in found} == {("N5", "mandatory")} and len(found) == 2  # both hosts

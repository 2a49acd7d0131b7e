"""N5-N7 (beyond the seeds): what leads into the cluster reaches only the proxy's main port, over
TLS, with a request-body limit at the edge."""

import copy

import pytest
from .policy_fixtures import NS, T_CM, R, T_SVC, container, findings, messages, pod, reported, run, second_proxy, set_arg, set_env

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


def test_n6_an_ingress_reaches_services_of_its_own_namespace_only(k8s):
    """An Ingress in namespace 'edge' naming 'postgres' routes to edge's postgres, which the stack
    does not have: the data store of namespace litellm is not exposed through it (the lookup by
    name used to return the only 'postgres' Service whatever its namespace)."""
    k8s["ingress"] = ingress("postgres", {"number": 5432})
    k8s["ingress"].props["metadata"]["namespace"] = "edge"
    assert not findings(run(k8s), "N6")


def test_n6_cluster_ip_service_with_external_ips_set_at_apply_defers(k8s):
    """externalIPs make a ClusterIP Service a way in; computed at apply they may route to
    Postgres, so N6 waits for them instead of passing."""
    k8s["pg_svc"].props["spec"]["externalIPs"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "N6")
    assert [v.urn for v in vs if v.deferred and v.rule_id == "N6"] == [k8s["pg_svc"].urn]


@pytest.mark.parametrize("restart_policy", ["Always", UNKNOWN, None], ids=["native sidecar", "set at apply", "init container"])
def test_n6_a_native_sidecar_is_reached_through_the_service(k8s, restart_policy):
    """A Redis run as a native sidecar of the proxy pod serves for the pod's whole life: an Ingress
    to its port through the proxy's Service is a way in to it. A plain init container has exited,
    and the port then reaches no container (still not the proxy's main port)."""
    sidecar = copy.deepcopy(container(k8s["redis"]))
    sidecar["name"] = "cache"
    if restart_policy is not None:
        sidecar["restartPolicy"] = restart_policy
    pod(k8s["proxy"]).setdefault("initContainers", []).append(sidecar)
    k8s["proxy_svc"].props["spec"]["ports"].append({"name": "cache", "port": 6379, "targetPort": 6379})
    k8s["ingress"] = ingress(port={"number": 6379})
    found = [m.split(": found ", 1)[1].split(";", 1)[0] for m in messages(run(k8s), "N6")]
    redis = ["a way in to Deployment 'litellm-proxy' container 'cache' (redis) through Service 'litellm-proxy-svc'"]
    assert found == (redis if restart_policy is not None else []) + [
        "a way in to port 6379, not the proxy's main port 4000 of Deployment 'litellm-proxy' container 'proxy'"
    ]


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


# ---------------------------------------------------------------- what an operator reads
#
# Whole messages with the resource each finding is filed against: the rule, where the way in
# starts, what it reaches, what is required and the fix; deferred, which value of which resource.

ING = "Ingress 'litellm-ingress'"
PATH0 = f"{ING} rules[0].http.paths[0]"
PUBLIC = "Service 'litellm-public'"
PROXY_C = "Deployment 'litellm-proxy' container 'proxy'"
N5_POLICY, N6_POLICY, N7_POLICY = "litellm-n5-exposure-tls", "litellm-n6-datastores-never-exposed", "litellm-n7-edge-body-limit"
LB_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id",
)


def no_tls(host):
    return (
        f"[N5] {ING}: found host {host!r} without TLS (no spec.tls entry with a secretName covers it); required HTTPS only:"
        " clients send their master key and virtual keys. Fix: add spec.tls: [{hosts: [host], secretName: <kubernetes.io/tls"
        " Secret>}] (or a cert-manager issuer annotation with that secretName)"
    )


NO_HOST = (
    f"[N5] {ING}: found a rule (or default backend) without a host: no certificate names it; required every rule names its"
    " host and spec.tls covers it. Fix: set spec.rules[].host and a spec.tls entry {hosts: [...], secretName: ...}"
)


def plain_http(where, kind="LoadBalancer"):
    return (
        f"[N5] {where}: found type {kind} to {PROXY_C} over plain HTTP; required TLS terminated by the load balancer: one of"
        f" {', '.join(LB_ANNOTATIONS)}. Fix: add the cloud's certificate annotation, or expose the proxy through an Ingress with spec.tls"
    )


def way_in(where, found):
    return (
        f"[N6] {where}: found a way in to {found}; required only the proxy's main port is reachable from outside the cluster."
        " Fix: route the Ingress to the proxy Service's main (http) port; keep data stores and the health/metrics ports ClusterIP only"
    )


def no_body_limit(nginx="nothing (not set)", f5="nothing (not set)"):
    return (
        f"[N7] {ING}: found nginx.ingress.kubernetes.io/proxy-body-size {nginx}, nginx.org/client-max-body-size {f5} in front of"
        f" {PROXY_C}; required a non-zero request-body limit at the edge. Fix: set nginx.ingress.kubernetes.io/proxy-body-size /"
        " nginx.org/client-max-body-size, e.g. '25m'"
    )


def later(rule, what, where):
    policy = {"N5": N5_POLICY, "N6": N6_POLICY, "N7": N7_POLICY}[rule]
    return f"[{rule}] deferred: value unknown until apply: {what} of {where} (policy {policy})"


def exposure(vs):
    """(message, urn) of N5-N7, deferrals included."""
    return [(v.message, v.urn) for v in vs if v.rule_id in ("N5", "N6", "N7")]


def add_rule(ing, host, service="litellm-proxy", port=None):
    ing.props["spec"]["rules"].append(
        {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": port or {"number": 4000}}}}]}}
    )


# N5: Ingress


@pytest.mark.parametrize(
    ("host", "tls_hosts", "ok"),
    [
        ("api.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], False),  # a wildcard names one label only
        ("example.com", ["*.example.com"], False),
        ("llm.example.com", ["other.example.com", "llm.example.com"], True),
        ("llm.example.com", ["*.other.com"], False),
    ],
)
def test_n5_which_hosts_a_certificate_covers(k8s, host, tls_hosts, ok):
    k8s["ingress"] = ingress(host=host)
    k8s["ingress"].props["spec"]["tls"][0]["hosts"] = tls_hosts
    assert exposure(run(k8s)) == ([] if ok else [(no_tls(host), k8s["ingress"].urn)])


def test_n5_a_tls_entry_without_a_secret_covers_nothing(k8s):
    k8s["ingress"] = ingress()
    k8s["ingress"].props["spec"]["tls"] = [{"hosts": [HOST]}, {"hosts": [HOST], "secretName": ""}, {"secretName": "llm-tls", "hosts": [7]}]
    assert exposure(run(k8s, policy_config("prod"))) == [(no_tls(HOST), k8s["ingress"].urn)]


def test_n5_every_host_of_the_ingress_is_judged(k8s):
    k8s["ingress"] = ingress()
    add_rule(k8s["ingress"], "api.example.com")
    add_rule(k8s["ingress"], "www.example.com")
    k8s["ingress"].props["spec"]["tls"].append({"hosts": ["www.example.com"], "secretName": "www-tls"})
    assert exposure(run(k8s)) == [(no_tls("api.example.com"), k8s["ingress"].urn)]


def test_n5_a_rule_or_default_backend_without_a_host(k8s):
    k8s["ingress"] = ingress()
    k8s["ingress"].props["spec"]["rules"][0].pop("host")
    assert exposure(run(k8s)) == [(NO_HOST, k8s["ingress"].urn)]
    k8s["ingress"].props["spec"] = {"defaultBackend": {"service": {"name": "litellm-proxy", "port": {"number": 4000}}}, "tls": [{"hosts": [HOST], "secretName": "llm-tls"}]}
    assert exposure(run(k8s)) == [(NO_HOST, k8s["ingress"].urn)]


def test_n5_unknown_hosts_or_secrets_defer_unless_a_known_entry_covers_the_host(k8s):
    k8s["ingress"] = ingress()
    tls = k8s["ingress"].props["spec"]["tls"]
    tls.insert(0, {"hosts": UNKNOWN, "secretName": "x-tls"})
    assert exposure(run(k8s)) == []  # the second entry covers the host
    tls.pop()
    assert exposure(run(k8s)) == [(later("N5", "spec.tls / spec.rules[].host", ING), k8s["ingress"].urn)]
    tls[0] = {"hosts": [HOST], "secretName": UNKNOWN}
    assert exposure(run(k8s)) == [(later("N5", "spec.tls / spec.rules[].host", ING), k8s["ingress"].urn)]
    k8s["ingress"] = ingress()
    k8s["ingress"].props["spec"]["rules"][0]["host"] = UNKNOWN
    assert exposure(run(k8s)) == [(later("N5", "spec.tls / spec.rules[].host", ING), k8s["ingress"].urn)]


def test_n5_n7_an_ingress_whose_backend_port_is_unknown_may_lead_to_the_proxy(k8s):
    k8s["ingress"] = ingress(port={"number": UNKNOWN}, tls=False, annotations={})
    urn = k8s["ingress"].urn
    assert exposure(run(k8s)) == [
        (no_tls(HOST), urn),
        (later("N6", f"the port it reaches on {PROXY_C}", PATH0), urn),
        (no_body_limit(), urn),
    ]


def test_n5_n7_an_ingress_with_two_paths_to_the_proxy_is_judged_once(k8s):
    k8s["ingress"] = ingress(tls=False, annotations={})
    paths = k8s["ingress"].props["spec"]["rules"][0]["http"]["paths"]
    paths.append({"path": "/v1", "pathType": "Prefix", "backend": {"service": {"name": "litellm-proxy", "port": {"name": "http"}}}})
    k8s["proxy_svc"].props["spec"]["ports"][0]["name"] = "http"
    assert exposure(run(k8s)) == [(no_tls(HOST), k8s["ingress"].urn), (no_body_limit(), k8s["ingress"].urn)]


# N5: public Services


@pytest.mark.parametrize("annotation", LB_ANNOTATIONS)
def test_n5_each_clouds_certificate_annotation_terminates_tls(k8s, annotation):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}], annotations={annotation: "cert-1"})
    assert exposure(run(k8s)) == []
    k8s["public"].props["metadata"]["annotations"][annotation] = ""
    assert exposure(run(k8s)) == [(plain_http(f"{PUBLIC} port 443"), k8s["public"].urn)]


@pytest.mark.parametrize(("kind", "shown"), [("LoadBalancer", "LoadBalancer"), ("NodePort", "NodePort"), (None, "ClusterIP"), ("ClusterIP", "ClusterIP")])
def test_n5_a_public_service_over_plain_http(k8s, kind, shown):
    k8s["public"] = public_service([{"port": 80, "targetPort": "http"}, {"port": 8080, "targetPort": 4000}], annotations={})
    spec = k8s["public"].props["spec"]
    spec.pop("type")
    if kind is not None:
        spec["type"] = kind
    if shown == "ClusterIP":
        spec["externalIPs"] = ["203.0.113.7"]  # reached from outside all the same
    container(k8s["proxy"])["ports"][0]["name"] = "http"
    vs = run(k8s, policy_config("prod"))
    assert [(v.message, v.urn, v.enforcement) for v in vs if v.rule_id == "N5"] == [(plain_http(f"{PUBLIC} port 80", shown), k8s["public"].urn, "mandatory")]
    assert exposure(run(k8s, policy_config("dev"))) and {v.enforcement for v in run(k8s, policy_config("dev")) if v.rule_id == "N5"} == {"advisory"}


def test_n5_a_cluster_ip_service_is_not_a_way_in(k8s):
    k8s["public"] = public_service([{"port": 80, "targetPort": 4000}], annotations={})
    k8s["public"].props["spec"]["type"] = "ClusterIP"
    assert exposure(run(k8s)) == []
    k8s["public"].props["spec"]["externalIPs"] = []
    assert exposure(run(k8s)) == []


def test_n5_unknown_certificate_annotations_defer(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}], annotations={LB_ANNOTATIONS[1]: UNKNOWN})
    assert exposure(run(k8s)) == [(later("N5", "metadata.annotations", PUBLIC), k8s["public"].urn)]
    k8s["public"].props["metadata"]["annotations"] = {LB_ANNOTATIONS[2]: UNKNOWN, LB_ANNOTATIONS[0]: "cert"}
    assert exposure(run(k8s)) == [(later("N5", "metadata.annotations", PUBLIC), k8s["public"].urn)]


def test_n5_every_public_service_is_judged(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}])
    second = public_service([{"port": 80, "targetPort": 4000}], annotations={})
    k8s["public2"] = R(T_SVC, "litellm-public-2", second.props)
    assert exposure(run(k8s)) == [(plain_http("Service 'litellm-public-2' port 80"), k8s["public2"].urn)]


# N6


@pytest.mark.parametrize(
    ("service", "port", "found"),
    [
        ("postgres", {"number": 5432}, "StatefulSet 'postgres' container 'postgres' (postgres) through Service 'postgres-svc'"),
        ("redis", {"number": 6379}, "Deployment 'redis' container 'redis' (redis) through Service 'redis-svc'"),
        ("postgres", {"number": 1}, "StatefulSet 'postgres' container 'postgres' (postgres) through Service 'postgres-svc'"),  # any port
    ],
)
def test_n6_an_ingress_to_a_data_store(k8s, service, port, found):
    k8s["ingress"] = ingress(service, port)
    vs = run(k8s, policy_config("dev"))
    assert [(v.message, v.urn, v.enforcement) for v in vs if v.rule_id == "N6"] == [(way_in(PATH0, found), k8s["ingress"].urn, "mandatory")]


@pytest.mark.parametrize(
    ("port", "target", "found"),
    [
        (4001, None, f"the health app's port 4001 of {PROXY_C}"),  # targetPort defaults to the port
        (4001, "health", f"the health app's port 4001 of {PROXY_C}"),
        (9000, "metrics", f"port 9090, not the proxy's main port 4000 of {PROXY_C}"),
        (9000, 9090, f"port 9090, not the proxy's main port 4000 of {PROXY_C}"),
        (9000, "9090", f"port 9090, not the proxy's main port 4000 of {PROXY_C}"),
        (4000, None, None),
        (443, "4000", None),
    ],
)
def test_n6_a_public_service_port_other_than_the_proxys(k8s, port, target, found):
    p = {"port": port} if target is None else {"port": port, "targetPort": target}
    k8s["public"] = public_service([p])
    assert exposure(run(k8s)) == ([(way_in(f"{PUBLIC} port {port}", found), k8s["public"].urn)] if found else [])


@pytest.mark.parametrize("ref", [{"name": "health"}, {"number": 4001}, {"number": "4001"}])
def test_n6_an_ingress_to_the_health_app_by_name_or_number(k8s, ref):
    k8s["proxy_svc"].props["spec"]["ports"].append({"name": "health", "port": 4001, "targetPort": "health"})
    k8s["ingress"] = ingress(port=ref)
    assert exposure(run(k8s)) == [(way_in(PATH0, f"the health app's port 4001 of {PROXY_C}"), k8s["ingress"].urn)]


def test_n6_the_main_port_from_the_proxys_own_port_option(k8s):
    """A proxy listening on --port 8000: 8000 is the way in, 4000 is no longer the main port."""
    c = container(k8s["proxy"])
    c["args"][c["args"].index("--port") + 1] = "8000"
    k8s["public"] = public_service([{"port": 443, "targetPort": 8000}, {"port": 80, "targetPort": 4000}])
    assert exposure(run(k8s)) == [(way_in(f"{PUBLIC} port 80", f"port 4000, not the proxy's main port 8000 of {PROXY_C}"), k8s["public"].urn)]


def test_n6_an_ingress_port_the_service_does_not_have_reaches_nothing(k8s):
    k8s["ingress"] = ingress(port={"number": 9999})
    assert exposure(run(k8s)) == []
    k8s["ingress"] = ingress(port={"name": "nope"})
    assert exposure(run(k8s)) == []


def test_n6_unknown_ports_defer(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": UNKNOWN}])
    where = f"{PUBLIC} port 443"
    assert exposure(run(k8s)) == [(later("N6", f"the port it reaches on {PROXY_C}", where), k8s["public"].urn)]
    k8s["public"].props["spec"]["ports"] = [{"port": 443, "targetPort": "no-such-port"}]
    assert exposure(run(k8s)) == [(later("N6", f"the port it reaches on {PROXY_C}", where), k8s["public"].urn)]
    k8s["public"].props["spec"]["ports"] = [{"port": UNKNOWN, "targetPort": 4001}]
    assert exposure(run(k8s)) == [(later("N6", f"the port it reaches on {PROXY_C}", f"{PUBLIC} port an unknown value"), k8s["public"].urn)]


def test_n6_unknown_selector_or_pod_labels_defer(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4001}])
    k8s["public"].props["spec"]["selector"] = UNKNOWN
    assert exposure(run(k8s)) == [(later("N6", f"which pods {PUBLIC} selects", f"{PUBLIC} port 443"), k8s["public"].urn)]
    k8s["public"].props["spec"]["selector"] = {"app": "litellm-proxy"}
    k8s["redis"].props["spec"]["template"]["metadata"]["labels"] = UNKNOWN  # may be selected too
    assert exposure(run(k8s)) == [(later("N6", f"which pods {PUBLIC} selects", f"{PUBLIC} port 443"), k8s["public"].urn)]


def test_n6_what_a_service_does_not_select_is_not_reached(k8s):
    k8s["public"] = public_service([{"port": 5432}], annotations={})
    k8s["public"].props["spec"]["selector"] = {}  # endpoints managed by hand: an external server
    assert exposure(run(k8s)) == []
    k8s["public"].props["spec"]["selector"] = {"app": "postgres"}
    k8s["public"].props["metadata"]["namespace"] = "other"  # selects pods of its own namespace only
    assert exposure(run(k8s)) == []
    k8s["public"].props["metadata"]["namespace"] = NS
    pg = "StatefulSet 'postgres' container 'postgres' (postgres) through Service 'litellm-public'"
    assert exposure(run(k8s)) == [(way_in(f"{PUBLIC} port 5432", pg), k8s["public"].urn)]


def test_n6_init_containers_and_other_apps_are_not_reached(k8s):
    pod(k8s["proxy"])["initContainers"] = [dict(container(k8s["migrate"]), name="migrate")]
    k8s["nginx"] = R(
        "kubernetes:apps/v1:Deployment", "nginx",
        {"metadata": {"name": "nginx", "namespace": NS}, "spec": {"template": {"metadata": {"labels": {"app": "litellm-proxy"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27.0", "ports": [{"containerPort": 80}]}]}}}},
    )  # fmt: skip
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}])
    assert exposure(run(k8s)) == []


def test_n6_every_route_is_judged(k8s):
    k8s["ingress"] = ingress("redis", {"number": 6379})
    add_rule(k8s["ingress"], "pg.example.com", "postgres", {"number": 5432})
    k8s["ingress"].props["spec"]["defaultBackend"] = {"service": {"name": "postgres", "port": {"number": 5432}}}
    pg = "StatefulSet 'postgres' container 'postgres' (postgres) through Service 'postgres-svc'"
    assert exposure(run(k8s)) == [
        (way_in(f"{ING} defaultBackend", pg), k8s["ingress"].urn),
        (way_in(PATH0, "Deployment 'redis' container 'redis' (redis) through Service 'redis-svc'"), k8s["ingress"].urn),
        (way_in(f"{ING} rules[1].http.paths[0]", pg), k8s["ingress"].urn),
    ]


def test_n6_a_proxy_port_that_defers_does_not_hide_the_next_route(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": UNKNOWN}, {"port": 9000, "targetPort": "metrics"}])
    assert exposure(run(k8s)) == [
        (later("N6", f"the port it reaches on {PROXY_C}", f"{PUBLIC} port 443"), k8s["public"].urn),
        (way_in(f"{PUBLIC} port 9000", f"port 9090, not the proxy's main port 4000 of {PROXY_C}"), k8s["public"].urn),
    ]


def test_n6_a_service_with_unknown_selector_does_not_hide_the_next_route(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4001}])
    k8s["public"].props["spec"]["selector"] = UNKNOWN
    k8s["ingress"] = ingress("postgres", {"number": 5432})
    pg = "StatefulSet 'postgres' container 'postgres' (postgres) through Service 'postgres-svc'"
    assert exposure(run(k8s)) == [
        (way_in(PATH0, pg), k8s["ingress"].urn),
        (later("N6", f"which pods {PUBLIC} selects", f"{PUBLIC} port 443"), k8s["public"].urn),
    ]


# routes that are not known yet or lead elsewhere


def test_an_unknown_backend_service_or_service_type_defers_every_exposure_rule(k8s):
    k8s["ingress"] = ingress(service=UNKNOWN)
    assert exposure(run(k8s)) == [(later(rule, "the backend Service", PATH0), k8s["ingress"].urn) for rule in ("N5", "N6", "N7")]
    k8s.pop("ingress")
    k8s["redis_svc"].props["spec"]["type"] = UNKNOWN
    assert exposure(run(k8s)) == [(later(rule, "spec.type", "Service 'redis-svc'"), k8s["redis_svc"].urn) for rule in ("N5", "N6", "N7")]


def test_an_ingress_to_a_service_outside_the_stack_or_a_resource_backend_is_not_judged(k8s):
    k8s["ingress"] = ingress("managed-elsewhere", tls=False, annotations={})
    assert exposure(run(k8s)) == []
    paths = k8s["ingress"].props["spec"]["rules"][0]["http"]["paths"]
    paths[0]["backend"] = {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}}
    assert exposure(run(k8s)) == []


def test_a_docker_stack_has_no_way_in_to_judge(docker):
    assert exposure(run(docker)) == []


# N7


@pytest.mark.parametrize("size", ["25m", "1g", "8k", "1048576", "25M", " 16m ", "1"])
def test_n7_a_finite_size_is_a_limit(k8s, size):
    k8s["ingress"] = ingress(annotations={"nginx.ingress.kubernetes.io/proxy-body-size": size})
    assert exposure(run(k8s)) == []


@pytest.mark.parametrize("size", ["0", "0m", "00", "unlimited", "25mb", "-1", "", "m", "1.5m"])
def test_n7_no_size_or_zero_is_no_limit(k8s, size):
    k8s["ingress"] = ingress(annotations={"nginx.org/client-max-body-size": size})
    assert exposure(run(k8s)) == [(no_body_limit(f5=repr(size)), k8s["ingress"].urn)]


def test_n7_either_annotation_is_enough_and_both_are_shown(k8s):
    k8s["ingress"] = ingress(annotations={"nginx.ingress.kubernetes.io/proxy-body-size": "0", "nginx.org/client-max-body-size": "10m"})
    assert exposure(run(k8s)) == []
    k8s["ingress"].props["metadata"]["annotations"]["nginx.org/client-max-body-size"] = "0"
    vs = run(k8s, policy_config("prod"))
    assert [(v.message, v.urn, v.enforcement) for v in vs if v.rule_id == "N7"] == [(no_body_limit("'0'", "'0'"), k8s["ingress"].urn, "mandatory")]
    assert {v.enforcement for v in run(k8s, policy_config("dev")) if v.rule_id == "N7"} == {"advisory"}


@pytest.mark.parametrize("which", [0, 1])
def test_n7_an_unknown_size_defers(k8s, which):
    names = ("nginx.ingress.kubernetes.io/proxy-body-size", "nginx.org/client-max-body-size")
    k8s["ingress"] = ingress(annotations={names[which]: UNKNOWN, names[1 - which]: "0"})
    assert exposure(run(k8s)) == [(later("N7", "metadata.annotations", ING), k8s["ingress"].urn)]


def test_n7_only_an_ingress_in_front_of_the_proxys_main_port_needs_a_limit(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}])  # a load balancer has no such annotation
    k8s["proxy_svc"].props["spec"]["ports"].append({"name": "health", "port": 4001, "targetPort": "health"})
    k8s["ingress"] = ingress(port={"name": "health"}, annotations={})
    assert exposure(run(k8s)) == [(way_in(PATH0, f"the health app's port 4001 of {PROXY_C}"), k8s["ingress"].urn)]


# ---------------------------------------------------------------- second things of a kind, values held elsewhere


def test_n5_a_host_without_a_dot_is_not_covered_by_a_wildcard(k8s):
    k8s["ingress"] = ingress(host="llm")
    k8s["ingress"].props["spec"]["tls"][0]["hosts"] = ["*.example.com"]
    assert exposure(run(k8s)) == [(no_tls("llm"), k8s["ingress"].urn)]


def test_n5_n6_ports_from_a_configmap_of_the_stack(k8s):
    """The proxy's PORT and SEPARATE_HEALTH_PORT delivered by a ConfigMap of the stack: read there."""
    k8s["ports_cm"] = R(T_CM, "litellm-ports", {"metadata": {"name": "litellm-ports", "namespace": NS}, "data": {"port": "8000", "health": "4101"}})
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--port", remove=True)
    set_env(c, "PORT", value_from={"configMapKeyRef": {"name": "litellm-ports", "key": "port"}})
    set_env(c, "SEPARATE_HEALTH_PORT", value_from={"configMapKeyRef": {"name": "litellm-ports", "key": "health"}})
    k8s["public"] = public_service([{"port": 443, "targetPort": 8000}, {"port": 80, "targetPort": 4000}, {"port": 81, "targetPort": 4101}], annotations={})
    urn = k8s["public"].urn
    assert exposure(run(k8s)) == [
        (plain_http(f"{PUBLIC} port 443"), urn),
        (way_in(f"{PUBLIC} port 80", f"port 4000, not the proxy's main port 8000 of {PROXY_C}"), urn),
        (way_in(f"{PUBLIC} port 81", f"the health app's port 4101 of {PROXY_C}"), urn),
    ]


def test_an_ingress_reaches_the_service_of_its_own_namespace(k8s):
    """Two Services named litellm-proxy: the Ingress (namespace litellm) reaches the one beside it."""
    other = R(T_SVC, "other-proxy-svc", {"metadata": {"name": "litellm-proxy", "namespace": "other"}, "spec": {"selector": {"app": "litellm-proxy"}, "ports": [{"port": 4000}]}})
    k8s = {"other_svc": other, **k8s}
    k8s["ingress"] = ingress(tls=False)
    assert exposure(run(k8s)) == [(no_tls(HOST), k8s["ingress"].urn)]


def test_an_unknown_backend_name_is_the_auto_named_service_the_ingress_depends_on(k8s):
    k8s["proxy_svc"].props["metadata"]["name"] = UNKNOWN  # auto-named: known after apply
    k8s["ingress"] = ingress(service=UNKNOWN, tls=False)
    k8s["ingress"].dependencies.append(k8s["proxy_svc"].urn)
    assert exposure(run(k8s)) == [(no_tls(HOST), k8s["ingress"].urn)]


def test_an_init_container_is_never_reached(k8s):
    """An init container has ended before the pod serves: one using the Redis image (waiting for
    the server) is no way in to Redis."""
    wait = {"name": "wait-for-redis", "image": "redis:7.2.5", "command": ["sh", "-c", "until redis-cli -h redis ping; do sleep 1; done"]}
    pod(k8s["proxy"])["initContainers"] = [wait]
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}], annotations={})
    assert exposure(run(k8s)) == [(plain_http(f"{PUBLIC} port 443"), k8s["public"].urn)]


def test_pods_of_another_namespace_listed_first_do_not_hide_the_proxy(k8s):
    elsewhere = R(
        "kubernetes:apps/v1:Deployment", "elsewhere",
        {"metadata": {"name": "elsewhere", "namespace": "other"}, "spec": {"template": {"metadata": {"labels": {"app": "litellm-proxy"}}, "spec": {"containers": [{"name": "redis", "image": "redis:7.2.5"}]}}}},
    )  # fmt: skip
    k8s = {"elsewhere": elsewhere, **k8s}
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}], annotations={})
    assert exposure(run(k8s)) == [(plain_http(f"{PUBLIC} port 443"), k8s["public"].urn)]


def test_ports_as_the_engine_sends_numbers(k8s):
    """Pulumi's engine hands numbers over as floats: Service port 4001.0 is the Ingress's 4001."""
    k8s["proxy_svc"].props["spec"]["ports"].append({"name": "health", "port": 4001.0, "targetPort": 4001.0})
    k8s["ingress"] = ingress(port={"number": 4001})
    assert exposure(run(k8s)) == [(way_in(PATH0, f"the health app's port 4001 of {PROXY_C}"), k8s["ingress"].urn)]


def test_n5_a_compliant_ingress_does_not_hide_a_load_balancer_after_it(k8s):
    k8s["ingress"] = ingress()
    k8s["public"] = public_service([{"port": 80, "targetPort": 4000}], annotations={})
    assert exposure(run(k8s)) == [(plain_http(f"{PUBLIC} port 80"), k8s["public"].urn)]


def test_n6_a_service_whose_selector_is_unknown_does_not_hide_the_next(k8s):
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}])
    k8s["public"].props["spec"]["selector"] = UNKNOWN
    k8s["public2"] = R(T_SVC, "litellm-public-2", public_service([{"port": 5432}], selector={"app": "postgres"}).props)
    assert exposure(run(k8s)) == [
        (later("N6", f"which pods {PUBLIC} selects", f"{PUBLIC} port 443"), k8s["public"].urn),
        (way_in("Service 'litellm-public-2' port 5432", "StatefulSet 'postgres' container 'postgres' (postgres) through Service 'litellm-public-2'"), k8s["public2"].urn),
    ]


CANARY_C = "Deployment 'litellm-proxy-canary' container 'proxy'"


def test_n6_every_proxy_a_service_selects_is_judged(k8s):
    canary = second_proxy(k8s)
    both = {"litellm-redis-client": "true"}  # the label every proxy pod carries
    k8s["public"] = public_service([{"port": 9000, "targetPort": "metrics"}], selector=both)
    container(k8s["proxy"])["ports"][2]["containerPort"] = UNKNOWN  # the first one defers
    assert exposure(run(k8s)) == [
        (later("N6", f"the port it reaches on {PROXY_C}", f"{PUBLIC} port 9000"), k8s["public"].urn),
        (way_in(f"{PUBLIC} port 9000", f"port 9090, not the proxy's main port 4000 of {CANARY_C}"), k8s["public"].urn),
    ]
    c = container(canary)
    c["args"][c["args"].index("--port") + 1] = "8000"
    k8s["public"].props["spec"]["ports"] = [{"port": 443, "targetPort": 4000}]  # the first one's main port
    assert exposure(run(k8s)) == [(way_in(f"{PUBLIC} port 443", f"port 4000, not the proxy's main port 8000 of {CANARY_C}"), k8s["public"].urn)]


# ---------------------------------------------------------------- unknown at preview: deferred, never a pass or a violation
#
# Run with the prod settings: N5 and N7 are mandatory there, deferrals stay advisory (`run` checks it).

PROD_SETTINGS = policy_config("prod")


def test_n7_unknown_annotations_defer_not_a_violation(k8s):
    """metadata.annotations unknown at preview: UNKNOWN is falsy, and read as an empty map it made
    "no body limit" a definite violation (mandatory in prod)."""
    k8s["ingress"] = ingress()
    k8s["ingress"].props["metadata"]["annotations"] = UNKNOWN
    assert reported(run(k8s, PROD_SETTINGS), "N7") == [(later("N7", "metadata.annotations", ING), k8s["ingress"].urn)]
    assert reported(run(k8s, PROD_SETTINGS), "N5") == []  # the Ingress's TLS is in spec.tls, not in an annotation


def test_n5_unknown_load_balancer_annotations_defer_not_a_violation(k8s):
    """The same for a LoadBalancer Service: unknown annotations are not "over plain HTTP"."""
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}])
    k8s["public"].props["metadata"]["annotations"] = UNKNOWN
    assert reported(run(k8s, PROD_SETTINGS), "N5") == [(later("N5", "metadata.annotations", PUBLIC), k8s["public"].urn)]


def test_n5_an_unknown_tls_list_defers_not_a_violation(k8s):
    """spec.tls unknown at preview is not "no TLS"; a tls entry unknown as a whole neither."""
    k8s["ingress"] = ingress()
    k8s["ingress"].props["spec"]["tls"] = UNKNOWN
    assert reported(run(k8s, PROD_SETTINGS), "N5") == [(later("N5", "spec.tls / spec.rules[].host", ING), k8s["ingress"].urn)]
    k8s["ingress"].props["spec"]["tls"] = [UNKNOWN]
    assert reported(run(k8s, PROD_SETTINGS), "N5") == [(later("N5", "spec.tls / spec.rules[].host", ING), k8s["ingress"].urn)]


def test_an_unknown_ingress_spec_defers_every_exposure_rule(k8s):
    """An Ingress whose whole spec is unknown may lead anywhere: no route was traced, no finding."""
    k8s["ingress"] = ingress()
    k8s["ingress"].props["spec"] = UNKNOWN
    assert exposure(run(k8s, PROD_SETTINGS)) == [(later(rule, "spec", ING), k8s["ingress"].urn) for rule in ("N5", "N6", "N7")]


def test_unknown_ingress_rules_or_paths_defer_every_exposure_rule(k8s):
    k8s["ingress"] = ingress(tls=False, annotations={})
    k8s["ingress"].props["spec"]["rules"] = UNKNOWN
    assert exposure(run(k8s, PROD_SETTINGS)) == [(later(rule, "spec.rules", ING), k8s["ingress"].urn) for rule in ("N5", "N6", "N7")]
    k8s["ingress"].props["spec"]["rules"] = [{"host": HOST, "http": {"paths": UNKNOWN}}]
    rule0 = f"{ING} rules[0]"
    assert exposure(run(k8s, PROD_SETTINGS)) == [(later(rule, "http.paths", rule0), k8s["ingress"].urn) for rule in ("N5", "N6", "N7")]


def test_unknown_rules_beside_a_default_backend_are_not_a_rule_without_a_host(k8s):
    """The default backend leads to the proxy; the rules' hosts are unknown, not missing."""
    k8s["ingress"] = ingress()
    k8s["ingress"].props["spec"]["rules"] = UNKNOWN
    k8s["ingress"].props["spec"]["defaultBackend"] = {"service": {"name": "litellm-proxy", "port": {"number": 4000}}}
    urn = k8s["ingress"].urn
    assert exposure(run(k8s, PROD_SETTINGS)) == [
        (later("N5", "spec.rules", ING), urn),
        (later("N5", "spec.tls / spec.rules[].host", ING), urn),
        (later("N6", "spec.rules", ING), urn),
        (later("N7", "spec.rules", ING), urn),
    ]


def test_unknown_ports_of_a_public_service_defer_every_exposure_rule(k8s):
    k8s["public"] = public_service(UNKNOWN, annotations={})
    assert exposure(run(k8s, PROD_SETTINGS)) == [(later(rule, "spec.ports", PUBLIC), k8s["public"].urn) for rule in ("N5", "N6", "N7")]


def test_unknown_ports_of_the_backend_service_defer_every_exposure_rule(k8s):
    """The Service port the Ingress names cannot be traced to a container port."""
    k8s["ingress"] = ingress(tls=False, annotations={})
    k8s["proxy_svc"].props["spec"]["ports"] = UNKNOWN
    what = "spec.ports of Service 'litellm-proxy-svc'"
    assert exposure(run(k8s, PROD_SETTINGS)) == [(later(rule, what, PATH0), k8s["ingress"].urn) for rule in ("N5", "N6", "N7")]


def test_n5_a_public_service_whose_selector_is_unknown_defers(k8s):
    """N6 defers when it cannot tell which pods a way in reaches; N5 did not, and passed. It
    defers only what would not pass: with the certificate annotation it passes whatever it reaches."""
    k8s["public"] = public_service([{"port": 443, "targetPort": 4000}], annotations={})
    k8s["public"].props["spec"]["selector"] = UNKNOWN
    assert reported(run(k8s, PROD_SETTINGS), "N5") == [(later("N5", f"which pods {PUBLIC} selects", f"{PUBLIC} port 443"), k8s["public"].urn)]
    k8s["public"].props["metadata"]["annotations"] = TLS_CERT
    assert reported(run(k8s, PROD_SETTINGS), "N5") == []


def test_n5_n7_an_ingress_to_a_service_whose_selector_is_unknown_defers(k8s):
    k8s["ingress"] = ingress(tls=False, annotations={})
    k8s["proxy_svc"].props["spec"]["selector"] = UNKNOWN
    what = "which pods Service 'litellm-proxy-svc' selects"
    urn = k8s["ingress"].urn
    assert exposure(run(k8s, PROD_SETTINGS)) == [(later(rule, what, PATH0), urn) for rule in ("N5", "N6", "N7")]
    paths = k8s["ingress"].props["spec"]["rules"][0]["http"]["paths"]
    paths.append({"path": "/v1", "pathType": "Prefix", "backend": {"service": {"name": "redis", "port": {"number": 6379}}}})  # a second path ...
    k8s["redis_svc"].props["spec"]["selector"] = {"app": "litellm-proxy"}  # ... that surely leads to the proxy
    k8s["redis_svc"].props["spec"]["ports"] = [{"port": 6379, "targetPort": 4000}]
    assert exposure(run(k8s, PROD_SETTINGS)) == [
        (no_tls(HOST), urn),  # the whole Ingress is judged: the unknown path adds nothing to N5 / N7
        (later("N6", what, PATH0), urn),
        (no_body_limit(), urn),
    ]

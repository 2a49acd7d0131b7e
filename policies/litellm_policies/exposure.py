"""Exposure rules N5-N7 (beyond the seeds): how the proxy is reached from outside the cluster.

An Ingress or a Service of type LoadBalancer/NodePort (or with externalIPs) that leads to a
LiteLLM proxy carries every client's master key or virtual key, so it speaks TLS (N5); it leads
only to the proxy's main port, never to the health app, the metrics port or a data store (N6);
an Ingress limits request bodies at the edge, since LiteLLM's open-source proxy enforces none
(N7). Traced the way the API server does: Ingress backend -> Service (by name, in the Ingress's
namespace) -> Service port -> targetPort -> the container port of the pods its selector matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from .detect import Container, Stack, k8s_namespace, pod_labels, selector_matches
from .model import UNKNOWN, Finding, Resource, deferred, fmt, is_unknown, violation
from .registry import ADVISORY, MANDATORY, stack_policy
from .values import as_dict, as_list, get, to_number

PUBLIC_SERVICE_TYPES = ("LoadBalancer", "NodePort")
#: Annotations with which a cloud's load balancer terminates TLS for a Service (AWS, DigitalOcean,
#: Alibaba Cloud); the program's settings require one of the same list.
LOAD_BALANCER_TLS_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id",
)
#: Request-body limits of the common Ingress controllers: ingress-nginx and F5 NGINX. Both read
#: "0" as "no limit".
BODY_LIMIT_ANNOTATIONS = ("nginx.ingress.kubernetes.io/proxy-body-size", "nginx.org/client-max-body-size")
EXPOSURE = "kubernetes Ingress and Services of type LoadBalancer/NodePort, and the workloads they select"


@dataclass(frozen=True)
class Route:
    """One way in: where it starts (an Ingress backend or a public Service port) and the Service
    port it reaches."""

    where: str
    entry: Resource  # the Ingress or the public Service
    service: Resource
    port: Any  # the Service port reference: a number or a name


def _ingress_backends(ing: Resource, out: list[Finding], rule: str) -> Iterator[tuple[str, Any]]:
    """(where, backend.service) of the default backend and every path; a spec, rule list or path
    list unknown at preview defers `rule` (it may hold a way in to the proxy)."""
    spec = get(ing.props, "spec")
    if is_unknown(spec):
        out.append(deferred(rule, ing.label, "spec", urn=ing.urn))
        return
    default = get(spec, "defaultBackend.service")
    if default is not None:
        yield f"{ing.label} defaultBackend", default
    rules = as_list(get(spec, "rules"))
    if is_unknown(rules):
        out.append(deferred(rule, ing.label, "spec.rules", urn=ing.urn))
        return
    for i, r in enumerate(rules):
        paths = as_list(get(r, "http.paths"))
        if is_unknown(paths):
            out.append(deferred(rule, f"{ing.label} rules[{i}]", "http.paths", urn=ing.urn))
            continue
        for j, path in enumerate(paths):
            svc = get(path, "backend.service")
            if svc is not None:
                yield f"{ing.label} rules[{i}].http.paths[{j}]", svc


def _routes(stack: Stack, out: list[Finding], rule: str) -> list[Route]:
    """Every Ingress backend whose Service is in the stack, and every port of a public Service;
    what cannot be traced at preview (a Service, its type, its ports) defers `rule`."""
    routes: list[Route] = []
    for ing in stack.k8s("Ingress"):
        for where, backend in _ingress_backends(ing, out, rule):
            name = get(backend, "name")
            svc = stack.k8s_named("Service", name, k8s_namespace(ing), referrer=ing)
            if is_unknown(svc):
                out.append(deferred(rule, where, "the backend Service", urn=ing.urn))
            elif svc is not None and is_unknown(get(svc.props, "spec.ports")):
                out.append(deferred(rule, where, f"spec.ports of {svc.label}", urn=ing.urn))
            elif svc is not None:
                port = get(backend, "port")
                routes.append(Route(where, ing, svc, get(port, "number") if get(port, "name") is None else get(port, "name")))
    for svc in stack.k8s("Service"):
        kind = get(svc.props, "spec.type", "ClusterIP")
        external_ips = get(svc.props, "spec.externalIPs")
        if is_unknown(kind):
            out.append(deferred(rule, svc.label, "spec.type", urn=svc.urn))
        elif kind not in PUBLIC_SERVICE_TYPES and is_unknown(external_ips):
            # addresses set at apply make any Service a way in
            out.append(deferred(rule, svc.label, "spec.externalIPs", urn=svc.urn))
        elif kind in PUBLIC_SERVICE_TYPES or external_ips:
            ports = as_list(get(svc.props, "spec.ports"))
            if is_unknown(ports):
                out.append(deferred(rule, svc.label, "spec.ports", urn=svc.urn))
                continue
            for p in ports:
                routes.append(Route(f"{svc.label} port {fmt(get(p, 'port'))}", svc, svc, get(p, "port")))
    return routes


def _selected(stack: Stack, svc: Resource) -> Any:
    """The containers of the workloads a Service selects, or UNKNOWN."""
    sel = get(svc.props, "spec.selector")
    if is_unknown(sel):
        return UNKNOWN
    if not sel:
        return []  # no selector: endpoints the operator manages (an external server)
    out: list[Container] = []
    for c in stack.containers:
        if c.platform != "k8s" or c.init:
            continue
        ns_s, ns_c = k8s_namespace(svc), k8s_namespace(c.res)
        if isinstance(ns_s, str) and isinstance(ns_c, str) and ns_s != ns_c:
            continue
        m = selector_matches(sel, pod_labels(c.res))
        if is_unknown(m):
            return UNKNOWN
        if m:
            out.append(c)
    return out


def _target(svc: Resource, ref: Any, c: Container) -> Any:
    """The container port a Service port reference reaches on `c` (None: not this Service's port)."""
    ports = as_list(get(svc.props, "spec.ports"))
    if is_unknown(ref) or is_unknown(ports):
        return UNKNOWN
    for p in ports:
        if ref not in (get(p, "name"), to_number(get(p, "port"))) and str(ref) != str(get(p, "port")):
            continue
        target = get(p, "targetPort", get(p, "port"))
        if is_unknown(target):
            return UNKNOWN
        named = to_number(target)
        return named if named is not None else c.named_ports().get(target, UNKNOWN)
    return None


def _reached(stack: Stack, route: Route) -> Iterator[tuple[Container, Any]]:
    """(container, container port | UNKNOWN) of every LiteLLM or data-store pod a route reaches."""
    selected = _selected(stack, route.service)
    for c in [] if is_unknown(selected) else selected:
        if c.role in ("proxy", "postgres", "redis"):
            yield c, _target(route.service, route.port, c)


def _proxy_main_routes(stack: Stack, out: list[Finding], rule: str) -> list[tuple[Route, Container | None]]:
    """Each way in (Ingress or public Service) that reaches a proxy's main port, or may (an
    unknown port counts), once, with the first such route and proxy; then each one whose Service
    selects pods not known at preview, with None for the proxy (`_judged` decides)."""
    found: dict[str, tuple[Route, Container | None]] = {}
    unsure: dict[str, tuple[Route, Container | None]] = {}
    for route in _routes(stack, out, rule):
        if is_unknown(_selected(stack, route.service)):
            unsure.setdefault(route.entry.urn, (route, None))
        for c, port in _reached(stack, route):
            if c.role == "proxy" and (is_unknown(port) or port == c.main_port(stack)):
                found.setdefault(route.entry.urn, (route, c))
    # a way in that surely leads to the proxy is judged as a whole (all its hosts / annotations)
    return list(found.values()) + [v for urn, v in unsure.items() if urn not in found]


def _judged(rule: str, route: Route, c: Container | None, found: list[Finding]) -> list[Finding]:
    """The findings for a way in that leads to proxy `c`. When it is not known whether it leads to
    a proxy (c None: the Service's selector or the pods' labels are unknown), a way in that would
    pass passes whatever it reaches, and one that would not is deferred, never a violation."""
    if c is not None or not found:
        return found
    return [deferred(rule, route.where, f"which pods {route.service.label} selects", urn=route.entry.urn)]


def _tls_hosts(ing: Resource) -> tuple[set[str], bool]:
    """Hosts the Ingress's `spec.tls` entries cover with a named Secret, and whether all are known."""
    entries = as_list(get(ing.props, "spec.tls"))
    if is_unknown(entries):  # unknown is not "no TLS"
        return set(), False
    covered, known = set(), True
    for entry in entries:
        hosts, secret = get(entry, "hosts"), get(entry, "secretName")
        if is_unknown(hosts) or is_unknown(secret):
            known = False
            continue
        if secret:
            covered |= {h for h in as_list(hosts) or [] if isinstance(h, str)}
    return covered, known


def _covers(covered: set[str], host: str) -> bool:
    return host in covered or any(c.startswith("*.") and host.split(".", 1)[-1] == c[2:] for c in covered)


def _ingress_tls(stack: Stack, ing: Resource, out: list[Finding]) -> None:
    covered, known = _tls_hosts(ing)
    rules = as_list(get(ing.props, "spec.rules"))
    if is_unknown(rules):  # unknown is not "no host"
        out.append(deferred("N5", ing.label, "spec.tls / spec.rules[].host", urn=ing.urn))
        return
    hosts = [get(r, "host") for r in rules] or [None]
    for host in hosts:
        if is_unknown(host) or (not known and not _covers(covered, host or "")):
            out.append(deferred("N5", ing.label, "spec.tls / spec.rules[].host", urn=ing.urn))
        elif host is None:
            out.append(
                violation(
                    "N5", ing.label, "a rule (or default backend) without a host: no certificate names it",
                    "every rule names its host and spec.tls covers it",
                    "set spec.rules[].host and a spec.tls entry {hosts: [...], secretName: ...}", urn=ing.urn,
                )  # fmt: skip
            )
        elif not _covers(covered, host):
            out.append(
                violation(
                    "N5", ing.label, f"host {host!r} without TLS (no spec.tls entry with a secretName covers it)",
                    "HTTPS only: clients send their master key and virtual keys",
                    "add spec.tls: [{hosts: [host], secretName: <kubernetes.io/tls Secret>}] (or a cert-manager "
                    "issuer annotation with that secretName)", urn=ing.urn,
                )  # fmt: skip
            )


@stack_policy(
    "litellm-n5-exposure-tls",
    "N5",
    "N5: a LiteLLM proxy reached from outside the cluster is reached over TLS: every host of an Ingress leading to it "
    "is covered by a spec.tls entry with a secretName (cert-manager's issuer annotations fill that Secret), and a "
    "Service of type LoadBalancer/NodePort selecting it carries an annotation with which the cloud's load balancer "
    f"terminates TLS ({', '.join(LOAD_BALANCER_TLS_ANNOTATIONS)}). Fix: add spec.tls to the Ingress, or the "
    "certificate annotation to the Service; never expose the proxy over plain HTTP.",
    ADVISORY,
    EXPOSURE,
)
def n5_exposure_tls(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for route, c in _proxy_main_routes(stack, out, "N5"):
        found: list[Finding] = []
        if route.entry.kind == "Ingress":
            _ingress_tls(stack, route.entry, found)
            out.extend(_judged("N5", route, c, found))
            continue
        annotations = as_dict(get(route.entry.props, "metadata.annotations"))  # UNKNOWN is falsy: never `or {}`
        if is_unknown(annotations) or any(is_unknown(annotations.get(a)) for a in LOAD_BALANCER_TLS_ANNOTATIONS):
            found.append(deferred("N5", route.entry.label, "metadata.annotations", urn=route.entry.urn))
        elif not any(annotations.get(a) for a in LOAD_BALANCER_TLS_ANNOTATIONS):
            found.append(
                violation(
                    "N5", route.where, f"type {get(route.entry.props, 'spec.type', 'ClusterIP')} to {c.label if c else 'the proxy'} over plain HTTP",
                    f"TLS terminated by the load balancer: one of {', '.join(LOAD_BALANCER_TLS_ANNOTATIONS)}",
                    "add the cloud's certificate annotation, or expose the proxy through an Ingress with spec.tls",
                    urn=route.entry.urn,
                )  # fmt: skip
            )
        out.extend(_judged("N5", route, c, found))
    return out


def _port_role(stack: Stack, c: Container, port: Any) -> str:
    if port == c.health_port(stack):
        return f"the health app's port {fmt(port)}"
    return f"port {fmt(port)}, not the proxy's main port {fmt(c.main_port(stack))}"


@stack_policy(
    "litellm-n6-datastores-never-exposed",
    "N6",
    "N6: what leads into the cluster (an Ingress backend, a Service of type LoadBalancer/NodePort or with "
    "externalIPs) reaches only the LiteLLM proxy's main port: never a Postgres or Redis pod, the health app "
    "(its drain and readiness paths are for the platform) or the metrics port. Fix: point the Ingress at the "
    "proxy Service's main port and give public Services that one port only.",
    MANDATORY,
    EXPOSURE,
)
def n6_never_exposed(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for route in _routes(stack, out, "N6"):
        if is_unknown(_selected(stack, route.service)):
            out.append(deferred("N6", route.where, f"which pods {route.service.label} selects", urn=route.entry.urn))
            continue
        for c, port in _reached(stack, route):
            if c.role in ("postgres", "redis"):
                found = f"a way in to {c.label} ({c.role}) through {route.service.label}"
            elif is_unknown(port):
                out.append(deferred("N6", route.where, f"the port it reaches on {c.label}", urn=route.entry.urn))
                continue
            elif port is None or port == c.main_port(stack):
                continue
            else:
                found = f"a way in to {_port_role(stack, c, port)} of {c.label}"
            out.append(
                violation(
                    "N6", route.where, found, "only the proxy's main port is reachable from outside the cluster",
                    "route the Ingress to the proxy Service's main (http) port; keep data stores and the health/metrics ports ClusterIP only",
                    urn=route.entry.urn,
                )  # fmt: skip
            )
    return out


_NGINX_SIZE = re.compile(r"^(\d+)[kmg]?$")


def _finite_size(value: Any) -> bool:
    """An nginx size ("25m", "1g", "1048576") that is not "0", which means no limit."""
    m = _NGINX_SIZE.match(str(value).strip().lower())
    return bool(m) and int(m.group(1)) > 0


@stack_policy(
    "litellm-n7-edge-body-limit",
    "N7",
    "N7: an Ingress leading to a LiteLLM proxy limits request bodies at the edge, since LiteLLM's open-source proxy "
    f"enforces no limit of its own: a non-zero size in {' or '.join(BODY_LIMIT_ANNOTATIONS)}. Fix: set "
    "nginx.ingress.kubernetes.io/proxy-body-size (ingress-nginx) or nginx.org/client-max-body-size (F5 NGINX), e.g. 25m.",
    ADVISORY,
    EXPOSURE,
)
def n7_edge_body_limit(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for route, c in _proxy_main_routes(stack, out, "N7"):
        ing = route.entry
        if ing.kind != "Ingress":
            continue
        found: list[Finding] = []
        annotations = as_dict(get(ing.props, "metadata.annotations"))  # UNKNOWN is falsy: never `or {}`
        values = [] if is_unknown(annotations) else [annotations.get(a) for a in BODY_LIMIT_ANNOTATIONS]
        if is_unknown(annotations) or any(is_unknown(v) for v in values):
            found.append(deferred("N7", ing.label, "metadata.annotations", urn=ing.urn))
        elif not any(v is not None and _finite_size(v) for v in values):
            limits = ", ".join(f"{a} {fmt(v)}" for a, v in zip(BODY_LIMIT_ANNOTATIONS, values))
            found.append(
                violation(
                    "N7", ing.label, f"{limits} in front of {c.label if c else 'the proxy'}", "a non-zero request-body limit at the edge",
                    "set nginx.ingress.kubernetes.io/proxy-body-size / nginx.org/client-max-body-size, e.g. '25m'",
                    urn=ing.urn,
                )  # fmt: skip
            )
        out.extend(_judged("N7", route, c, found))
    return out

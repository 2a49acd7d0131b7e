"""Platform rules N1-N4."""

from __future__ import annotations

import re
from typing import Any

from .catalogue import COMPROMISED_LITELLM_VERSIONS
from .common import containers
from .detect import (
    DOCKER_CONTAINER,
    DOCKER_IMAGE_TYPES,
    Container,
    ImageRef,
    Stack,
    image_kind,
    k8s_namespace,
    parse_image,
    pod_labels,
    pod_spec,
    selector_matches,
)
from .model import UNKNOWN, Finding, Resource, deferred, fmt, has_unknown, is_unknown, violation
from .registry import ADVISORY, MANDATORY, Setting, resource_policy, stack_policy
from .values import as_list, get, to_number
from .workloads import min_instances

WORKLOADS = "kubernetes workloads, docker Container/RemoteImage/Image running LiteLLM, Postgres or Redis"

VERSION_TAG = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]*-)*v?\d+\.\d+(?:\.\d+)*(?:[-_.+][A-Za-z0-9]+)*$")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _judged_containers(stack: Stack) -> list[Container]:
    """All containers of a resource that runs LiteLLM, Postgres or Redis (sidecars included)."""
    cs = stack.containers
    return cs if any(c.kind for c in cs) else []


def _image_sources(res: Resource, stack: Stack) -> list[tuple[str, Any]]:
    """(where, image string|UNKNOWN) for the resource's images."""
    if res.type in DOCKER_IMAGE_TYPES:
        name = get(res.props, "name") if res.type.endswith("RemoteImage") else get(res.props, "imageName")
        img = parse_image(name)
        if is_unknown(img) or image_kind(img):
            return [(res.label, name)]
        return []
    return [(c.label, c.image_raw) for c in _judged_containers(stack)]


@resource_policy(
    "litellm-n2-image-pinned",
    "N2",
    "N2: images are pinned to an exact version (x.y or x.y.z tag) or an @sha256 digest; no `latest`, no untagged "
    "or floating tags (e.g. 16, main-stable). Fix: use e.g. postgres:16.4, redis:7.2.5, "
    "ghcr.io/berriai/litellm:v1.106.2-stable or name@sha256:<digest>.",
    ADVISORY,
    WORKLOADS,
)
def n2_image_pinned(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for where, raw in _image_sources(res, stack):
        img = parse_image(raw)
        if is_unknown(img):
            out.append(deferred("N2", where, "the image"))
            continue
        if img is None:
            out.append(violation("N2", where, "no image", "a pinned image", "set the image with an exact version tag or digest"))
            continue
        if img.digest or img.is_image_id:
            continue
        tag = img.tag
        if tag is None:
            out.append(violation("N2", where, f"image {img.raw!r} without a tag (means latest)", "an exact version tag or @sha256 digest", f"pin it, e.g. {img.repository}:<x.y.z> or @sha256:<digest>"))
        elif "latest" in tag.lower() or not VERSION_TAG.match(tag):
            out.append(violation("N2", where, f"image tag {tag!r} (floating)", "an exact version tag (x.y or x.y.z) or @sha256 digest", f"pin {img.repository} to an exact version or digest"))
    return out


#: The default of the pack-config list (HARDENING N2: PyPI 1.82.7 and 1.82.8, March 2026).
COMPROMISED_LITELLM = tuple(sorted(COMPROMISED_LITELLM_VERSIONS))
N2_SETTINGS = {
    "compromisedVersions": Setting({"type": "array", "items": {"type": "string"}}, list(COMPROMISED_LITELLM)),
    "compromisedDigests": Setting({"type": "array", "items": {"type": "string"}}, []),
}


def _version_pattern(versions: list[str]) -> re.Pattern | None:
    alts = "|".join(re.escape(v.lstrip("v")) for v in versions if v)
    return re.compile(rf"(?<![\d.])v?({alts})(?![\d])") if alts else None


def _compromised_in(text: Any, pattern: re.Pattern | None) -> str | None:
    m = pattern.search(text) if pattern and isinstance(text, str) else None
    return m.group(1) if m else None


@stack_policy(
    "litellm-n2-no-compromised-litellm",
    "N2",
    "N2: LiteLLM releases known to be compromised are refused, in image tags, image digests, image build args and "
    "`pip install` commands. The lists are this policy's pack config: compromisedVersions (default 1.82.7 and "
    "1.82.8, PyPI, March 2026) and compromisedDigests (sha256:… of images known to carry one). "
    "Fix: pin another LiteLLM version (e.g. 1.106.2).",
    MANDATORY,
    WORKLOADS,
    N2_SETTINGS,
)
def n2_no_compromised(stack: Stack) -> list[Finding]:
    pattern = _version_pattern([str(v) for v in stack.settings["compromisedVersions"] or []])
    digests = {str(d).lower() for d in stack.settings["compromisedDigests"] or []}
    out = []
    for res in stack.resources:
        out.extend(_compromised(res, Stack(stack.resources, focus=res), pattern, digests))
    return out


def _compromised(res: Resource, stack: Stack, pattern: re.Pattern | None, digests: set[str]) -> list[Finding]:
    out = []
    fix = "pin a LiteLLM release that is not on the policy's compromisedVersions / compromisedDigests lists"
    for where, raw in _image_sources(res, stack):
        img = parse_image(raw)
        if not isinstance(img, ImageRef):
            continue
        if img.digest and img.digest.lower() in digests:
            out.append(violation("N2", where, f"image digest {img.digest} (on the compromisedDigests list)", "an image not known to be compromised", fix, urn=res.urn))
        v = _compromised_in(img.tag or "", pattern) if image_kind(img) == "litellm" else None
        if v:
            out.append(violation("N2", where, f"LiteLLM {v} (image tag {img.tag!r}), a compromised release", "a LiteLLM release not on compromisedVersions", fix, urn=res.urn))
    if res.type == "docker:index/image:Image":
        args = get(res.props, "build.args")
        if is_unknown(args):
            out.append(deferred("N2", res.label, "build.args (a LiteLLM version?)", urn=res.urn))
        for k, v in args.items() if isinstance(args, dict) else []:
            if is_unknown(v) and "litellm" in k.lower():
                out.append(deferred("N2", res.label, f"build arg {k}", urn=res.urn))
            ver = _compromised_in(v, pattern) if "litellm" in k.lower() or "litellm" in str(v).lower() else None
            if ver:
                out.append(violation("N2", res.label, f"build arg {k} = LiteLLM {ver}, a compromised release", "a safe LiteLLM version", f"change build arg {k}", urn=res.urn))
    for c in _judged_containers(stack):
        for t in c.tokens:
            ver = _compromised_in(t, pattern) if "litellm" in t.lower() else None
            if ver:
                out.append(violation("N2", c.label, f"`{t}` in the command (LiteLLM {ver}, a compromised release)", "a safe LiteLLM version", "install another LiteLLM version", urn=res.urn))
    return out


def _k8s_sc(c: Container) -> list[Finding]:
    out = []
    psc = get(c.pod or {}, "securityContext")
    sc = get(c.spec, "securityContext")
    if is_unknown(psc) or is_unknown(sc):
        return [deferred("N3", c.label, "securityContext")]
    psc = psc if isinstance(psc, dict) else {}
    sc = sc if isinstance(sc, dict) else {}

    def eff(key):
        v = sc.get(key) if isinstance(sc, dict) else None
        if v is None and isinstance(psc, dict):
            v = psc.get(key)
        return v

    non_root, uid = eff("runAsNonRoot"), to_number(eff("runAsUser"))
    if is_unknown(non_root) or is_unknown(uid):
        out.append(deferred("N3", c.label, "runAsNonRoot / runAsUser"))
    elif uid == 0:
        out.append(violation("N3", c.label, "runAsUser 0 (root)", "a non-root user", "set runAsUser to a non-zero uid (e.g. 999 for postgres/redis) and runAsNonRoot: true"))
    elif non_root is not True:
        out.append(violation("N3", c.label, f"runAsNonRoot {fmt(non_root)}", "runAsNonRoot: true", "set securityContext.runAsNonRoot: true (pod or container)"))
    priv = sc.get("privileged") if isinstance(sc, dict) else None
    if is_unknown(priv):
        out.append(deferred("N3", c.label, "privileged"))
    elif priv is True:
        out.append(violation("N3", c.label, "privileged true", "privileged false", "remove securityContext.privileged"))
    ape = sc.get("allowPrivilegeEscalation") if isinstance(sc, dict) else None
    if is_unknown(ape):
        out.append(deferred("N3", c.label, "allowPrivilegeEscalation"))
    elif ape is not False:
        out.append(violation("N3", c.label, f"allowPrivilegeEscalation {fmt(ape)}", "false", "set securityContext.allowPrivilegeEscalation: false"))
    drops = get(sc, "capabilities.drop") if isinstance(sc, dict) else None
    if is_unknown(drops) or (
        isinstance(drops, list) and any(is_unknown(d) for d in drops) and not any(str(d).upper() == "ALL" for d in drops)
    ):
        out.append(deferred("N3", c.label, "capabilities.drop"))
    elif not (isinstance(drops, list) and any(str(d).upper() == "ALL" for d in drops)):
        out.append(violation("N3", c.label, f"capabilities.drop {fmt(drops)}", "['ALL']", "set securityContext.capabilities.drop: ['ALL']"))
    return out


def _docker_sc(c: Container) -> list[Finding]:
    out = []
    user = get(c.spec, "user")
    priv = get(c.spec, "privileged")
    if is_unknown(user):
        out.append(deferred("N3", c.label, "user"))
    else:
        name = str(user).split(":", 1)[0].strip() if user is not None else ""
        if name in ("", "root", "0"):
            out.append(violation("N3", c.label, f"user {fmt(user)}", "a non-root user (e.g. '999:999' or 'nobody')", "set user on the container to a non-root uid:gid"))
    if is_unknown(priv):
        out.append(deferred("N3", c.label, "privileged"))
    elif priv is True:
        out.append(violation("N3", c.label, f"privileged {fmt(priv)}", "privileged false", "remove privileged=True"))
    return out


@resource_policy(
    "litellm-n3-non-root",
    "N3",
    "N3: containers run as non-root and not privileged: Kubernetes runAsNonRoot true (no runAsUser 0), privileged "
    "false, allowPrivilegeEscalation false, capabilities drop ALL; Docker `user` set and not root, privileged "
    "false. Fix: set the securityContext / user accordingly.",
    ADVISORY,
    WORKLOADS,
)
def n3_non_root(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in _judged_containers(stack):
        out.extend(_k8s_sc(c) if c.platform == "k8s" else _docker_sc(c))
    return out


# ---------------------------------------------------------------- N1


def _loopback(ip: Any) -> bool:
    return isinstance(ip, str) and ip in LOOPBACK


def _np_selects(np: Resource, res: Resource) -> Any:
    ns_np, ns_res = k8s_namespace(np), k8s_namespace(res)
    if isinstance(ns_np, str) and isinstance(ns_res, str) and ns_np != ns_res:
        return False
    return selector_matches(get(np.props, "spec.podSelector"), pod_labels(res))


def _only_namespace(ns_sel: Any, namespace: Any) -> bool:
    """A peer's namespaceSelector that selects the data store's own namespace and no other
    (by the label Kubernetes sets on every namespace)."""
    return (
        isinstance(ns_sel, dict)
        and isinstance(namespace, str)
        and ns_sel.get("matchLabels") == {"kubernetes.io/metadata.name": namespace}
        and not ns_sel.get("matchExpressions")
    )


def _peer_problems(stack: Stack, peer: Any, store: Resource) -> Any:
    """Why a NetworkPolicy ingress peer admits more than LiteLLM pods (None: fine)."""
    if is_unknown(peer):
        return UNKNOWN
    if not isinstance(peer, dict):
        return "a malformed peer"
    if "ipBlock" in peer:
        return "an ipBlock peer"
    ps = peer.get("podSelector")
    if ps is None:
        return "a namespaceSelector admitting whole namespaces"
    ns_sel = peer.get("namespaceSelector")
    if is_unknown(ns_sel) or has_unknown(ns_sel):
        return UNKNOWN
    if ns_sel is not None and not _only_namespace(ns_sel, k8s_namespace(store)):
        return "a namespaceSelector admitting the podSelector's pods of other namespaces"
    if is_unknown(ps) or (isinstance(ps, dict) and any(is_unknown(v) for v in ps.values())):
        return UNKNOWN
    if not isinstance(ps, dict):
        return "a malformed podSelector"
    matched_litellm, matched_other = False, []
    for r in stack.resources:
        if pod_spec(r) is None or r is store:
            continue
        m = selector_matches(ps, pod_labels(r))
        if is_unknown(m):
            return UNKNOWN
        if m:
            if r in stack.opaque:
                return UNKNOWN
            if any(c.kind == "litellm" for c in stack.containers if c.res is r):
                matched_litellm = True
            else:
                matched_other.append(r.label)
    if not (ps.get("matchLabels") or ps.get("matchExpressions")):
        return "an empty podSelector (every pod in the namespace)"
    if matched_other:
        return f"a podSelector that also admits {', '.join(matched_other)}"
    if not matched_litellm:
        return "a podSelector matching no LiteLLM pod"
    return None


@stack_policy(
    "litellm-n1-datastores-private",
    "N1",
    "N1: Postgres and Redis are never reachable from outside: Kubernetes Services selecting them are ClusterIP "
    "(no LoadBalancer/NodePort/externalIPs, no hostNetwork/hostPort) and a NetworkPolicy admits only LiteLLM pods; "
    "Docker data-store containers publish no ports except on 127.0.0.1 and do not use the host network. "
    "Fix: make the Services ClusterIP, add a NetworkPolicy whose ingress admits only the proxy (and migration) pods, "
    "publish Docker ports on ip 127.0.0.1 or not at all.",
    MANDATORY,
    "Postgres/Redis workloads, kubernetes Service/NetworkPolicy, docker Container ports",
)
def n1_datastores_private(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    stores = {c.res.urn: c for c in containers(stack, "postgres", "redis")}
    nps = stack.k8s("NetworkPolicy")
    for urn, c in stores.items():
        res = c.res
        if c.platform == "docker":
            mode = get(res.props, "networkMode")
            if mode == "host":
                out.append(violation("N1", c.label, "networkMode 'host'", "a private Docker network", "attach the container to a user-defined network instead", urn=urn))
            nets = get(res.props, "networksAdvanced")
            if is_unknown(nets) or is_unknown(mode):
                out.append(deferred("N1", c.label, "networksAdvanced / networkMode", urn=urn))
            elif not nets and mode in (None, "", "bridge", "default"):
                out.append(
                    violation(
                        "N1",
                        c.label,
                        "the default bridge network (shared with every container on the host)",
                        "a user-defined network shared only with the proxy",
                        "create a docker.Network and attach the data store and the proxy via networks_advanced",
                        urn=urn,
                    )
                )
            publish_all = get(res.props, "publishAllPorts")
            if is_unknown(publish_all):  # unknown is not false
                out.append(deferred("N1", c.label, "publishAllPorts", urn=urn))
            elif publish_all is True:
                out.append(violation("N1", c.label, "publishAllPorts true", "no published ports", "remove publish_all_ports", urn=urn))
            ports = as_list(get(res.props, "ports"))
            if is_unknown(ports):
                out.append(deferred("N1", c.label, "ports", urn=urn))
                continue
            for p in ports:
                if is_unknown(p) or (isinstance(p, dict) and is_unknown(p.get("ip"))):
                    out.append(deferred("N1", c.label, "a published port's ip", urn=urn))
                    continue
                if isinstance(p, dict) and not _loopback("0.0.0.0" if p.get("ip") in (None, "") else p.get("ip")):
                    out.append(
                        violation(
                            "N1",
                            c.label,
                            f"port {fmt(p.get('internal'))} published on {p.get('ip') if p.get('ip') else '0.0.0.0'} (external {fmt(p.get('external'))})",
                            "no published port, or ip 127.0.0.1",
                            "remove the port or set ip='127.0.0.1'",
                            urn=urn,
                        )
                    )
            continue
        spec = c.pod or {}
        if spec.get("hostNetwork") is True:
            out.append(violation("N1", c.label, "hostNetwork true", "the pod network only", "remove hostNetwork", urn=urn))
        cports = as_list(get(c.spec, "ports"))
        if is_unknown(cports) or is_unknown(spec.get("hostNetwork")):
            out.append(deferred("N1", c.label, "hostNetwork / ports", urn=urn))
            cports = []
        for port in cports:
            host_port = port.get("hostPort") if isinstance(port, dict) else None
            if is_unknown(port) or is_unknown(host_port):
                out.append(deferred("N1", c.label, "a container port's hostPort", urn=urn))
            elif host_port:
                out.append(violation("N1", c.label, f"hostPort {fmt(host_port)}", "no hostPort", "remove hostPort", urn=urn))
        labels = pod_labels(res)
        for svc in stack.k8s("Service"):
            sel = get(svc.props, "spec.selector")
            m = selector_matches(sel, labels) if (is_unknown(sel) or sel) else False
            if is_unknown(m):
                out.append(deferred("N1", svc.label, "the selector", urn=svc.urn))
                continue
            if not m:
                continue
            t = get(svc.props, "spec.type", "ClusterIP")
            if is_unknown(t):
                out.append(deferred("N1", svc.label, "spec.type", urn=svc.urn))
            elif t not in ("ClusterIP",):
                out.append(violation("N1", svc.label, f"type {t} selecting {c.label}", "type ClusterIP", "set spec.type: ClusterIP (reach it only from inside the cluster)", urn=svc.urn))
            if get(svc.props, "spec.externalIPs"):
                out.append(violation("N1", svc.label, "externalIPs set", "no externalIPs", "remove spec.externalIPs", urn=svc.urn))
        selecting, maybe = [], []
        for np in nps:
            m = _np_selects(np, res)
            if is_unknown(m):
                maybe.append(np)
                out.append(deferred("N1", np.label, "the podSelector", urn=np.urn))
                continue
            if m:
                types = get(np.props, "spec.policyTypes")
                if is_unknown(types) or (isinstance(types, list) and any(is_unknown(t) for t in types) and "Ingress" not in types):
                    maybe.append(np)
                    out.append(deferred("N1", np.label, "spec.policyTypes", urn=np.urn))
                    continue
                if isinstance(types, list) and "Ingress" not in types:
                    continue
                selecting.append(np)
        if not selecting and maybe:
            continue
        if not selecting:
            out.append(
                violation("N1", c.label, "no NetworkPolicy restricting ingress", "a NetworkPolicy admitting only the LiteLLM pods", "add a NetworkPolicy with podSelector on this workload and ingress from the proxy's pod labels only", urn=urn)
            )
            continue
        for np in selecting:
            rules = get(np.props, "spec.ingress")
            if is_unknown(rules):
                out.append(deferred("N1", np.label, "spec.ingress", urn=np.urn))
                continue
            for i, rule in enumerate(rules if isinstance(rules, list) else []):
                peers = get(rule, "from")
                if is_unknown(peers):
                    out.append(deferred("N1", np.label, f"spec.ingress[{i}].from", urn=np.urn))
                    continue
                if not peers:
                    out.append(violation("N1", np.label, f"spec.ingress[{i}] without `from` (admits every source)", "ingress only from LiteLLM pods", "add from: [{podSelector: {matchLabels: <proxy labels>}}]", urn=np.urn))
                    continue
                for peer in peers if isinstance(peers, list) else [peers]:
                    why = _peer_problems(stack, peer, res)
                    if is_unknown(why):
                        out.append(deferred("N1", np.label, f"spec.ingress[{i}].from", urn=np.urn))
                    elif why:
                        out.append(violation("N1", np.label, f"spec.ingress[{i}] admits {why}", "ingress only from LiteLLM pods", "restrict `from` to a podSelector matching only the proxy and migration pods", urn=np.urn))
    return out


# ---------------------------------------------------------------- N4


def _pdb_ok(pdb: Resource, min_rep: Any) -> tuple[Any, str]:
    ma, mu = get(pdb.props, "spec.minAvailable"), get(pdb.props, "spec.maxUnavailable")
    if is_unknown(ma) or is_unknown(mu):
        return UNKNOWN, "minAvailable/maxUnavailable"
    if ma is not None:
        if isinstance(ma, str) and ma.endswith("%"):
            return to_number(ma[:-1]) not in (None, 0), f"minAvailable {ma}"
        n = to_number(ma)
        return (n is not None and n >= 1), f"minAvailable {fmt(ma)}"
    if mu is not None:
        if isinstance(mu, str) and mu.endswith("%"):
            n = to_number(mu[:-1])
            return (n is not None and n < 100), f"maxUnavailable {mu}"
        n = to_number(mu)
        if is_unknown(min_rep):
            return UNKNOWN, "replicas"
        return (n is not None and n < min_rep), f"maxUnavailable {fmt(mu)}"
    return False, "neither minAvailable nor maxUnavailable"


@stack_policy(
    "litellm-n4-replicas-and-pdb",
    "N4",
    "N4: production runs ≥ 2 proxy replicas (Deployment replicas or HPA minReplicas) with a PodDisruptionBudget "
    "selecting the proxy pods that keeps ≥ 1 available; on Docker, ≥ 2 proxy containers. "
    "Fix: replicas: 2+ (or HPA minReplicas: 2) and a PodDisruptionBudget with minAvailable: 1 on the proxy labels.",
    ADVISORY,
    "kubernetes proxy workloads + HorizontalPodAutoscaler + PodDisruptionBudget, docker Container",
)
def n4_replicas_pdb(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    proxies = stack.proxies
    docker = {c.res.urn: c for c in proxies if c.platform == "docker"}
    if docker and len(docker) < 2 and any(r.type == DOCKER_CONTAINER for r in stack.opaque):
        c = next(iter(docker.values()))
        out.append(deferred("N4", c.label, "the number of proxy containers", urn=c.res.urn))
    elif docker and len(docker) < 2:
        c = next(iter(docker.values()))
        out.append(
            violation("N4", c.label, f"{len(docker)} proxy container", "≥ 2 proxy replicas (production runs on Kubernetes with a PodDisruptionBudget)", "run the prod stack on Kubernetes with replicas ≥ 2 and a PDB", urn=c.res.urn)
        )
    seen = set()
    for c in proxies:
        res = c.res
        if c.platform != "k8s" or res.urn in seen:
            continue
        seen.add(res.urn)
        if res.kind not in ("Deployment", "StatefulSet", "ReplicaSet"):
            continue
        lo, src = min_instances(stack, res)
        if is_unknown(lo):
            out.append(deferred("N4", res.label, src, urn=res.urn))
        elif lo < 2:
            out.append(violation("N4", res.label, src, "≥ 2 replicas (replicas or HPA minReplicas)", "set replicas: 2 (or HPA minReplicas: 2)", urn=res.urn))
        labels = pod_labels(res)
        pdbs, maybe = [], []
        for pdb in stack.k8s("PodDisruptionBudget"):
            ns_p, ns_r = k8s_namespace(pdb), k8s_namespace(res)
            if isinstance(ns_p, str) and isinstance(ns_r, str) and ns_p != ns_r:
                continue
            m = selector_matches(get(pdb.props, "spec.selector"), labels)
            if is_unknown(m):
                maybe.append(pdb)
            elif m:
                pdbs.append(pdb)
        if not pdbs and maybe:
            out.append(deferred("N4", res.label, "which PodDisruptionBudget selects the proxy pods", urn=res.urn))
            continue
        if not pdbs:
            out.append(
                violation("N4", res.label, "no PodDisruptionBudget selecting the proxy pods", "a PodDisruptionBudget with minAvailable ≥ 1", "add a PodDisruptionBudget with selector.matchLabels = the proxy pod labels and minAvailable: 1", urn=res.urn)
            )
            continue
        for pdb in pdbs:
            ok, how = _pdb_ok(pdb, lo)
            if is_unknown(ok):
                out.append(deferred("N4", pdb.label, how, urn=pdb.urn))
            elif not ok:
                out.append(violation("N4", pdb.label, how, "≥ 1 proxy pod kept available", "set minAvailable: 1", urn=pdb.urn))
    return out

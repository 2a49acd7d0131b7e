"""Cross-resource facts about workloads: instances (replicas / autoscaler maximum),
Postgres and Redis settings, whether a proxy uses the database or Redis."""

from __future__ import annotations

import re
from typing import Any, Callable

from .detect import (
    Container,
    Stack,
    _mounted_key,
    _volume_sources,
    conf_files_in,
    is_k8s,
    k8s_data_value,
    k8s_name,
    k8s_namespace,
    token_is_unknown,
)
from .model import UNKNOWN, Resource, is_unknown
from .values import as_list, get, num, to_number

SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


def autoscalers_for(stack: Stack, res: Resource) -> list[tuple[Resource, Any, Any]]:
    """(autoscaler, min, max) for HPAs / KEDA ScaledObjects that target this workload."""
    out = []
    name = k8s_name(res)
    for h in stack.resources:
        if not h.type.startswith("kubernetes:"):
            continue
        kind = h.kind
        if kind == "HorizontalPodAutoscaler":
            ref = get(h.props, "spec.scaleTargetRef")
            lo, hi = _count(get(h.props, "spec.minReplicas"), 1), _count(get(h.props, "spec.maxReplicas"), None)
        elif kind == "ScaledObject":
            ref = get(h.props, "spec.scaleTargetRef")
            lo = _count(get(h.props, "spec.minReplicaCount"), 0)
            hi = _count(get(h.props, "spec.maxReplicaCount"), 100)  # KEDA's default maxReplicaCount
        else:
            continue
        if is_unknown(ref):
            if res.urn in [d.urn for d in stack.all_deps_of(h)]:
                out.append((h, lo, hi))
            continue
        if not isinstance(ref, dict):
            continue
        rkind = ref.get("kind")
        rkind = "Deployment" if rkind is None else rkind
        rname = ref.get("name")
        if not is_unknown(rkind) and rkind != res.kind:
            continue
        if is_unknown(rkind) or is_unknown(rname) or is_unknown(name):
            if res.urn in [d.urn for d in stack.all_deps_of(h)]:
                out.append((h, lo, hi))
            continue
        if rname == name or (name is None and rname == res.name):
            out.append((h, lo, hi))
    return out


def _count(raw: Any, default: Any) -> Any:
    """A replica count: number, the default when absent, UNKNOWN when computed or malformed."""
    if raw is None:
        return default
    n = to_number(raw)
    return UNKNOWN if n is None or is_unknown(n) else n


def _replicas(res: Resource) -> tuple[Any, str]:
    r = _count(get(res.props, "spec.replicas"), None)
    if is_unknown(r):
        return UNKNOWN, f"spec.replicas of {res.label}"
    if r is None:
        return 1, f"{res.label} replicas 1 (default)"
    return r, f"{res.label} replicas {num(r)}"


def max_instances(stack: Stack, res: Resource) -> tuple[Any, str]:
    """How many copies of this workload can run at once: the autoscaler maximum when
    one targets it, else the replica count. (n | UNKNOWN, how it was found)."""
    if not is_k8s(res):
        return 1, "1 Docker container"
    if res.kind in SCALABLE:
        scalers = autoscalers_for(stack, res)
        if scalers:
            h, _, hi = scalers[0]
            if is_unknown(hi) or hi is None:
                return UNKNOWN, f"maxReplicas of {h.label}"
            return hi, f"{h.label} maxReplicas {num(hi)}"
        return _replicas(res)
    if res.kind == "DaemonSet":
        return UNKNOWN, f"{res.label} runs one pod per node"
    return 1, f"{res.label}"


#: apps/v1 Deployment: maxSurge when unset (a percentage of the replicas, rounded up).
DEFAULT_MAX_SURGE = "25%"


def _max_surge(res: Resource, replicas: Any) -> tuple[Any, str]:
    """A Deployment's maxSurge as a pod count, the way the Deployment controller resolves it: an
    integer, or a percentage of the replicas rounded up; 25 % when unset. (n | UNKNOWN, how)."""
    raw = get(res.props, "spec.strategy.rollingUpdate.maxSurge")
    default = raw is None
    raw = DEFAULT_MAX_SURGE if default else raw
    if is_unknown(raw):
        return UNKNOWN, f"maxSurge of {res.label}"
    text = str(raw).strip()
    pct = to_number(text[:-1]) if text.endswith("%") else None
    if isinstance(pct, int) and pct >= 0:
        n = -(-pct * replicas // 100)
        return n, f"maxSurge {n} of {res.label} ({'the default ' if default else ''}{pct}% of {num(replicas)}, rounded up)"
    n = to_number(raw)
    if isinstance(n, int) and n >= 0:
        return n, f"maxSurge {n} of {res.label}"
    return UNKNOWN, f"maxSurge of {res.label} ({raw!r} is not a count or a percentage)"


def rollout_instances(stack: Stack, res: Resource) -> tuple[Any, str]:
    """D2/R2: how many copies of this workload can hold connections at once, an update included
    (README "Connection budget during updates"). (n | UNKNOWN, the formula with its numbers).

    A Deployment's RollingUpdate: 2R + S, R = `max_instances`, S = maxSurge. The controller keeps
    at most R + S pods that are not terminating and does not count terminating ones, so the new
    ReplicaSet grows to R while every replaced pod (up to R + S) can still drain, pools open, for
    up to terminationGracePeriodSeconds. Recreate: R (no new pod while an old one is left).
    Others: R: a StatefulSet's replacement takes the old pod's name, so it starts once the old one
    is gone; Docker replaces a container delete-then-create (its name is unique on the engine)."""
    r, how = max_instances(stack, res)
    if not is_k8s(res):
        return r, f"{how}, replaced delete-then-create"
    if is_unknown(r) or res.kind != "Deployment":
        return r, how
    strategy = get(res.props, "spec.strategy.type")
    if is_unknown(strategy):
        return UNKNOWN, f"spec.strategy of {res.label}"
    if strategy == "Recreate":
        return r, f"{how}; strategy Recreate: old pods end before new ones start"
    surge, surge_how = _max_surge(res, r)
    if is_unknown(surge):
        return UNKNOWN, surge_how
    return (
        2 * r + surge,
        f"rollout 2R + S = 2 × {num(r)} + {num(surge)}: R = {how}, S = {surge_how};"
        " replaced pods keep their pools while they drain",
    )


def min_instances(stack: Stack, res: Resource) -> tuple[Any, str]:
    if not is_k8s(res):
        return 1, "1 Docker container"
    scalers = autoscalers_for(stack, res)
    if scalers:
        h, lo, _ = scalers[0]
        if is_unknown(lo) or lo is None:
            return UNKNOWN, f"minReplicas of {h.label}"
        return lo, f"{h.label} minReplicas {num(lo)}"
    return _replicas(res)


def _connects(stack: Stack, c: Container, env_names: tuple[str, ...], config_says: Callable[[dict], bool]) -> Any:
    """True when an env var names the server or a config the proxy loads uses it; UNKNOWN when
    neither says so but an env value or a config is unknown until apply; else False."""
    vals = [c.env_value(n, stack) for n in env_names]
    if any(v not in (None, "") and not is_unknown(v) for v in vals):
        return True
    cfgs = stack.configs_for(c)
    if isinstance(cfgs, list) and any(isinstance(cfg.data, dict) and config_says(cfg.data) for cfg in cfgs):
        return True
    # a config computed at apply may name the server; one a resource policy cannot see (partial
    # stack) is judged by the stack policy that sees it
    config_pending = (is_unknown(cfgs) and not stack.partial) or (isinstance(cfgs, list) and any(is_unknown(cfg.data) for cfg in cfgs))
    if any(is_unknown(v) for v in vals) or config_pending:
        return UNKNOWN
    return False


def uses_db(stack: Stack, c: Container) -> Any:
    """Does this proxy connect to Postgres? True / False / UNKNOWN."""
    return _connects(stack, c, ("DATABASE_URL", "DATABASE_HOST"), lambda d: get(d, "general_settings.database_url") is not None)


def uses_redis(stack: Stack, c: Container) -> Any:
    """Does this proxy connect to Redis (router state, response cache, transaction buffer)?"""
    return _connects(
        stack,
        c,
        ("REDIS_HOST", "REDIS_URL"),
        lambda d: (
            get(d, "router_settings.redis_host") is not None
            or get(d, "litellm_settings.cache") is True
            or get(d, "litellm_settings.cache_params.host") is not None
            or get(d, "general_settings.use_redis_transaction_buffer") is True
        ),
    )


# ---------------------------------------------------------------- server settings


def _conf_lines(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*|\s+)(.*)$", line)
        if m:
            out[m.group(1).lower()] = m.group(2).strip().strip("'\"")
    return out


def _conf_paths(toks: list[str]) -> list[str]:
    """The files a server reads its settings from: Postgres `config_file=PATH` (`-c`, `--`,
    dashes or underscores), redis-server's config file (an argument ending in `.conf`; one that
    is another setting's value, `hba_file=/x.conf`, is not where the settings are read from)."""
    out = []
    for t in toks:
        tl = t.lower().replace("-", "_")
        if "config_file=" in tl:
            out.append(t[tl.index("config_file=") + len("config_file="):])
        elif t.endswith(".conf") and "=" not in t:
            out.append(t)
    return out


def _mounted_conf_files(stack: Stack, c: Container, paths: list[str]) -> list[tuple[str, Any, str]]:
    """(path/key, text | UNKNOWN, where) of the config files at `paths`: a Docker container's
    uploads; on Kubernetes, the ConfigMap / Secret keys that this container's volume mounts put
    there. A volume of the pod this container does not mount is not read. A file the pack cannot
    read (a ConfigMap / Secret not in the stack, another volume, the image, a bind mount) is
    UNKNOWN, not absent: it may set the value (a default assumed instead is a pass by default)."""
    if c.platform == "docker":
        files = conf_files_in(c.res)
        uploaded = [f[0] for f in files]
        return [f for f in files if f[0] in paths] + [
            (p, UNKNOWN, f"{p} of {c.label} (not uploaded by the stack)") for p in paths if p not in uploaded
        ]
    mounts = as_list(get(c.spec, "volumeMounts"))
    vols = as_list(get(c.pod or {}, "volumes"))
    unknown = [("volumes", UNKNOWN, f"the volumes of {c.label} (unknown until apply)")]
    if is_unknown(mounts) or is_unknown(vols):
        return unknown
    by_name = {v.get("name"): v for v in vols if isinstance(v, dict)}
    out: list[tuple[str, Any, str]] = []
    for path in paths:
        found = False
        for m in mounts:
            if is_unknown(m) or (isinstance(m, dict) and any(is_unknown(m.get(k)) for k in ("name", "mountPath", "subPath"))):
                return out + unknown
            if not isinstance(m, dict) or not _mounted_key(m, None, path)[0]:
                continue  # not a mount, or not one at the path
            v = by_name.get(m.get("name"))
            if v is None and any(is_unknown(x) or (isinstance(x, dict) and is_unknown(x.get("name"))) for x in vols):
                return out + unknown
            for kind, name, items in _volume_sources(v) if isinstance(v, dict) else []:
                hit, key = _mounted_key(m, items, path)
                if not hit:
                    continue
                found = True
                ns = k8s_namespace(c.res)
                obj = stack.k8s_named(kind, name, ns, c.res)
                if not isinstance(obj, Resource):
                    what = f"{kind} '{name}'" if isinstance(name, str) else f"a {kind} named at apply"
                    out.append((path, UNKNOWN, f"{what} ({'unknown until apply' if is_unknown(obj) else 'not in the stack'})"))
                elif key is not None:
                    text = k8s_data_value(obj, key)
                    if text is not None:
                        out.append((key, text, f"{obj.label} key '{key}'" + (" (unknown until apply)" if is_unknown(text) else "")))
        if not found:
            out.append((path, UNKNOWN, f"{path} of {c.label} (not from a ConfigMap or Secret of the stack)"))
    return out


def server_setting(stack: Stack, c: Container, name: str, env_names: tuple[str, ...] = ()) -> tuple[Any, str]:
    """A Postgres (`-c name=V`, `--name=V`, postgresql.conf) or Redis (`--name V`,
    redis.conf) setting of a data-store container: (value | None | UNKNOWN, where)."""
    toks = c.tokens
    lname = name.lower()
    for i, t in enumerate(toks):
        tl = t.lower()
        # postgres: -c max_connections=200 | -c "max_connections=200" | -cmax_connections=200 | --max_connections=200
        for prefix in ("-c", "--"):
            if tl.startswith(prefix) and tl[len(prefix):].replace("-", "_").startswith(lname.replace("-", "_") + "="):
                return t.split("=", 1)[1], f"{c.label} args"
        if tl == "-c" and i + 1 < len(toks) and toks[i + 1].lower().startswith(lname + "="):
            return toks[i + 1].split("=", 1)[1], f"{c.label} args"
        # redis: --maxclients 20000
        if tl == f"--{lname}":
            if i + 1 < len(toks):
                return (UNKNOWN if token_is_unknown(toks[i + 1]) else toks[i + 1]), f"{c.label} args"
            return UNKNOWN, f"{c.label} args"
    for env_name in env_names:
        v = c.env_value(env_name, stack)
        if v not in (None, ""):
            if is_unknown(v):
                return UNKNOWN, f"{env_name} env of {c.label}"
            # REDIS_ARGS / REDIS_EXTRA_FLAGS style: a command-line fragment
            if env_name.endswith(("_ARGS", "_FLAGS")):
                parts = v.split()
                for j, p in enumerate(parts):
                    if p.lower() == f"--{lname}" and j + 1 < len(parts):
                        return parts[j + 1], f"{env_name} env of {c.label}"
                continue
            return v, f"{env_name} env of {c.label}"
    uses_conf = any("config_file" in t.lower() or t.endswith(".conf") for t in toks)
    if uses_conf:
        for key, text, where in _mounted_conf_files(stack, c, _conf_paths(toks)):
            if is_unknown(text):
                return UNKNOWN, where
            if isinstance(text, str):
                lines = _conf_lines(text)
                if lname in lines:
                    return lines[lname], where
    if not c.tokens_complete:
        return UNKNOWN, f"{c.label} args (unknown until apply)"
    return None, f"{c.label}"


def pg_max_connections(stack: Stack, c: Container) -> tuple[Any, str]:
    v, where = server_setting(stack, c, "max_connections", ("POSTGRESQL_MAX_CONNECTIONS",))
    if v is None:
        return 100, "Postgres default max_connections 100 (not set)"
    n = to_number(v)
    return (UNKNOWN if n is None else n), where


def redis_maxclients(stack: Stack, c: Container) -> tuple[Any, str]:
    v, where = server_setting(stack, c, "maxclients", ("REDIS_ARGS", "REDIS_EXTRA_FLAGS"))
    if v is None:
        return 10000, "Redis default maxclients 10000 (not set)"
    n = to_number(v)
    return (UNKNOWN if n is None else n), where

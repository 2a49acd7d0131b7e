"""Database rules D1-D7."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalogue import BATCH_WRITE_SECONDS, DB_POOL_PER_WORKER, DB_RESERVED_CONNECTIONS
from .common import config_checks, config_number, containers, fixed_setting, proxies, setting
from .detect import DOCKER_VOLUME, Container, LiteLLMConfig, Stack, k8s_namespace
from .model import UNKNOWN, Finding, Resource, deferred, fmt, has_unknown, is_unknown, violation
from .registry import ADVISORY, MANDATORY, resource_policy, stack_policy
from .values import as_list, get, is_true, num
from .workloads import pg_max_connections, rollout_instances, uses_db

CONFIG_HOLDERS = "kubernetes ConfigMap/Secret, docker Container (uploads)"
WORKLOADS = "kubernetes Deployment/StatefulSet/DaemonSet/Job/CronJob/Pod, docker Container"
D2_RESERVE = DB_RESERVED_CONNECTIONS
DEFAULT_POOL = 10  # LiteLLM 1.106 proxy_cli default database_connection_pool_limit


@resource_policy(
    "litellm-d1-db-pool-limit",
    "D1",
    f"D1: the DB connection pool is {DB_POOL_PER_WORKER} per worker process (general_settings.database_connection_pool_limit: "
    f"{DB_POOL_PER_WORKER}; set explicitly, LiteLLM's default changed across versions). "
    f"Fix: set general_settings.database_connection_pool_limit: {DB_POOL_PER_WORKER}.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def d1_pool_limit(res: Resource, stack) -> list[Finding]:
    return fixed_setting(res, "D1", "general_settings.database_connection_pool_limit", DB_POOL_PER_WORKER, f"{DB_POOL_PER_WORKER} (per worker process)")


@resource_policy(
    "litellm-d3-batch-spend-writes",
    "D3",
    f"D3: spend writes are batched every {BATCH_WRITE_SECONDS} s (general_settings.proxy_batch_write_at: {BATCH_WRITE_SECONDS}). "
    f"Fix: set general_settings.proxy_batch_write_at: {BATCH_WRITE_SECONDS}.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def d3_batch_writes(res: Resource, stack) -> list[Finding]:
    return fixed_setting(res, "D3", "general_settings.proxy_batch_write_at", BATCH_WRITE_SECONDS, str(BATCH_WRITE_SECONDS), "LiteLLM default 10 s")


@resource_policy(
    "litellm-d4-no-error-logs-in-db",
    "D4",
    "D4: error logs are not written to the DB (general_settings.disable_error_logs: true). "
    "Fix: set general_settings.disable_error_logs: true.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def d4_disable_error_logs(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        v = setting(cfg.data, "general_settings.disable_error_logs")
        if is_true(v) is True:
            return []
        return [
            violation(
                "D4",
                cfg.where,
                f"general_settings.disable_error_logs {fmt(v)}",
                "true",
                "set general_settings.disable_error_logs: true",
            )
        ]

    return config_checks(res, "D4", check)


@resource_policy(
    "litellm-d5-proxy-never-migrates",
    "D5",
    "D5: proxy instances never run migrations: DISABLE_SCHEMA_UPDATE=true on every proxy container, "
    "no --use_prisma_db_push, no migrating init container. Fix: set DISABLE_SCHEMA_UPDATE=true on the proxy "
    "and run migrations once per deploy in a dedicated Job/container.",
    ADVISORY,
    WORKLOADS,
)
def d5_proxy_never_migrates(res: Resource, stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    proxies(stack, "D5", out)
    for c in containers(stack, "proxy", "migration-init"):
        if c.role == "migration-init":
            out.append(
                violation(
                    "D5",
                    c.label,
                    "a LiteLLM init container in the proxy pod (it migrates on every pod start)",
                    "migrations once per deploy in a dedicated Job",
                    "move the migration into a Job the proxy Deployment depends on",
                )
            )
            continue
        db = uses_db(stack, c)
        if db is False:
            continue
        v = c.env_value("DISABLE_SCHEMA_UPDATE", stack)
        if is_unknown(v):
            out.append(deferred("D5", c.label, f"DISABLE_SCHEMA_UPDATE ({c.env_reason('DISABLE_SCHEMA_UPDATE', stack)})"))
        elif is_true(v) is not True:
            out.append(
                violation(
                    "D5",
                    c.label,
                    f"DISABLE_SCHEMA_UPDATE {fmt(v)}",
                    "DISABLE_SCHEMA_UPDATE=true (proxy instances never migrate)",
                    "set the env var DISABLE_SCHEMA_UPDATE=true on the proxy container",
                )
            )
        push = c.has_flag("--use_prisma_db_push")
        if is_unknown(push):  # an arg unknown at preview may be it
            out.append(deferred("D5", c.label, "whether its args hold --use_prisma_db_push"))
        elif push is True:
            out.append(
                violation(
                    "D5",
                    c.label,
                    "--use_prisma_db_push in the proxy args",
                    "no schema changes from proxy instances",
                    "remove --use_prisma_db_push; migrate in the dedicated job",
                )
            )
    return out


def _dep_closure(stack: Stack, res: Resource) -> set[str]:
    seen: set[str] = set()
    todo = [res]
    while todo:
        r = todo.pop()
        for d in stack.all_deps_of(r):
            if d.urn not in seen:
                seen.add(d.urn)
                todo.append(d)
    return seen


@stack_policy(
    "litellm-d5-migration-before-proxy",
    "D5",
    "D5: a dedicated migration Job/container runs once per deploy and finishes before the proxy starts "
    "(the proxy depends on it; Pulumi waits for it). Fix: add a LiteLLM migration Job (Kubernetes, without "
    "pulumi.com/skipAwait) or a Docker container with attach: true, and make the proxy depend on it.",
    ADVISORY,
    WORKLOADS,
)
def d5_migration_before_proxy(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    proxies = [c for c in stack.proxies if uses_db(stack, c) is not False]
    if not proxies:
        return out
    migrations = containers(stack, "migration")
    if not migrations and stack.opaque:
        return [deferred("D5", r.label, "the containers (is it the migration job?)", urn=r.urn) for r in stack.opaque]
    if not migrations:
        for c in proxies:
            out.append(
                violation(
                    "D5",
                    c.label,
                    "no migration Job/container in the stack",
                    "a dedicated LiteLLM migration Job/container that runs before the proxy",
                    "add a Job running `python litellm/proxy/prisma_migration.py` (or a Docker container with "
                    "attach: true) and make the proxy depend on it",
                    urn=c.res.urn,
                )
            )
        return out
    mig_urns = {m.res.urn for m in migrations}
    for m in migrations:
        ann = get(m.res.props, "metadata.annotations")
        if isinstance(ann, dict) and str(ann.get("pulumi.com/skipAwait", "")).lower() == "true":
            out.append(
                violation(
                    "D5",
                    m.label,
                    "annotation pulumi.com/skipAwait: true",
                    "Pulumi waits for the migration Job to complete",
                    "remove the pulumi.com/skipAwait annotation from the migration Job",
                    urn=m.res.urn,
                )
            )
        if m.platform == "docker":
            attach = get(m.res.props, "attach")
            if is_unknown(attach):
                out.append(deferred("D5", m.label, "attach", urn=m.res.urn))
            elif attach is not True:
                out.append(
                    violation(
                        "D5",
                        m.label,
                        f"attach {fmt(attach)}",
                        "attach: true (Pulumi waits until the migration container exits)",
                        "set attach=True (and must_run=False) on the migration container",
                        urn=m.res.urn,
                    )
                )
    seen: set[str] = set()
    for c in proxies:
        if c.res.urn in seen or c.res.urn in mig_urns:
            continue
        seen.add(c.res.urn)
        if not (_dep_closure(stack, c.res) & mig_urns):
            out.append(
                violation(
                    "D5",
                    c.res.label,
                    "no dependency on the migration " + ", ".join(sorted({m.res.label for m in migrations})),
                    "the proxy starts only after the migration finished",
                    "add depends_on=[<migration job/container>] to the proxy's resource options",
                    urn=c.res.urn,
                )
            )
    return out


def _pool(stack: Stack, c: Container) -> tuple[Any, str]:
    found = config_number(stack, c, "general_settings.database_connection_pool_limit")
    if found is not None:
        return found[0], f"pool {found[1]}"
    return DEFAULT_POOL, f"pool {DEFAULT_POOL} (LiteLLM default)"


def _budget(stack: Stack, proxies: list[Container], per_worker) -> tuple[Any, list[str], list[tuple]]:
    """Sum of per_worker × workers × instances in an update (`rollout_instances`) over proxies."""
    total: Any = 0
    parts: list[str] = []
    defer: list[tuple] = []
    for c in proxies:
        pool, pool_src = per_worker(c)
        workers = c.workers(stack)
        inst, inst_src = rollout_instances(stack, c.res)
        unknown = [n for n, v in (("the pool", pool), ("--num_workers", workers), ("the instance count", inst)) if is_unknown(v)]
        if unknown:
            defer.append((c, unknown, inst_src))
            total = UNKNOWN
            continue
        if total is not UNKNOWN:
            total += pool * workers * inst
        parts.append(f"{num(pool)} ({pool_src}) × {num(workers)} workers × {num(inst)} instances ({inst_src})")
    return total, parts, defer


@dataclass(frozen=True)
class Budget:
    """What D2 (Postgres) and R2 (Redis) share: the servers of one role must admit every
    connection the proxies' pools can open, plus a reserve."""

    rule: str
    role: str  # containers(stack, role): the servers
    setting: str  # the server's limit, as the operator writes it
    unit: str
    reserve: int
    uses: Callable[[Stack, Container], bool | None]  # False: the proxy never connects
    per_worker: Callable[[Stack, Container], tuple[Any, str]]  # pool per worker and its source
    limit: Callable[[Stack, Container], tuple[Any, str]]  # the server's limit and its source
    fix: Callable[[str], str]  # how to fix it, given the needed limit


def budget_findings(stack: Stack, b: Budget) -> list[Finding]:
    out: list[Finding] = []
    servers = containers(stack, b.role)
    users = [c for c in stack.proxies if b.uses(stack, c) is not False]
    if not servers or not users:
        return out
    total, parts, defer = _budget(stack, users, lambda c: b.per_worker(stack, c))
    for server in servers:
        limit, where = b.limit(stack, server)
        if defer or is_unknown(limit) or is_unknown(total):
            what = [f"{', '.join(unknown)} of {c.label}" for c, unknown, _ in defer]
            if is_unknown(limit):
                what.append(f"{b.setting} ({where})")
            out.append(deferred(b.rule, server.label, "; ".join(what) or f"the {b.unit[:-1]} budget", urn=server.res.urn))
            continue
        need = total + b.reserve
        if need > limit:
            out.append(
                violation(
                    b.rule,
                    server.label,
                    f"{b.setting} {num(limit)} ({where}) but the proxies can open "
                    + " + ".join(parts)
                    + f" = {num(total)} {b.unit} + {b.reserve} reserve = {num(need)}",
                    f"{b.setting} ≥ {num(need)}",
                    b.fix(num(need)),
                    urn=server.res.urn,
                )
            )
    return out


D2_BUDGET = Budget(
    rule="D2",
    role="postgres",
    setting="max_connections",
    unit="connections",
    reserve=D2_RESERVE,
    uses=uses_db,
    per_worker=_pool,
    limit=pg_max_connections,
    fix=lambda need: f"set Postgres max_connections to at least {need} (-c max_connections={need}) "
    "or lower the pool / workers / autoscaler maximum / maxSurge",
)


@stack_policy(
    "litellm-d2-connection-budget",
    "D2",
    f"D2: connection budget: pool × workers × instances in an update + {D2_RESERVE} reserved for migrations/admin "
    "≤ Postgres max_connections. Instances in an update: 2R + S for a Deployment's RollingUpdate (R = replicas or "
    "the autoscaler maximum, S = maxSurge, a percentage of R rounded up, 25% when unset: replaced pods keep their "
    "connections while they drain), R for Recreate, a StatefulSet or a Docker container. Fix: raise Postgres "
    "max_connections (-c max_connections=N) or lower the pool, the workers, the autoscaler maximum or maxSurge.",
    ADVISORY,
    "kubernetes workloads + HorizontalPodAutoscaler, docker Container",
)
def d2_connection_budget(stack: Stack) -> list[Finding]:
    return budget_findings(stack, D2_BUDGET)


PG_DATA_DIRS = ("/var/lib/postgresql", "/bitnami/postgresql")


def _covers(mount_path: str, data_dir: str) -> bool:
    mp = mount_path.rstrip("/") or "/"
    return data_dir == mp or data_dir.startswith(mp + "/")


@stack_policy(
    "litellm-d6-postgres-persistent-volume",
    "D6",
    "D6: Postgres data lives on a persistent volume that outlives the container and is protected from deletion. "
    "Fix: Kubernetes: a protected PersistentVolumeClaim, or a volumeClaimTemplate (whenDeleted: Retain) of a StatefulSet with a fixed name, "
    "mounted at the data directory; Docker: a named docker.Volume with protect=True mounted at /var/lib/postgresql/data.",
    ADVISORY,
    "kubernetes StatefulSet/Deployment + PersistentVolumeClaim, docker Container + Volume",
)
def d6_postgres_volume(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for pg in containers(stack, "postgres"):
        pgdata = pg.env_value("PGDATA", stack)
        if is_unknown(pgdata) and _mounts_nothing(pg):
            # wherever PGDATA points, no volume holds it (before: deferred on PGDATA)
            found = "no volume mounted at all (the data lives and dies with the container)"
            out.append(violation("D6", pg.label, found, "a persistent volume at the data directory", D6_FIX, urn=pg.res.urn))
            continue
        if is_unknown(pgdata):
            out.append(deferred("D6", pg.label, "PGDATA", urn=pg.res.urn))
            continue
        data_dir = pgdata or "/var/lib/postgresql/data"
        if pg.platform == "k8s":
            out.extend(_d6_k8s(stack, pg, data_dir, bool(pgdata)))
        else:
            out.extend(_d6_docker(stack, pg, data_dir, bool(pgdata)))
    return out


D6_FIX = "mount a protected PersistentVolumeClaim (Kubernetes) or a protected named docker.Volume at the data directory"


def _mounts_nothing(pg: Container) -> bool:
    """Known to mount no volume at all (Kubernetes volumeMounts, Docker volumes/mounts)."""
    keys = ("volumeMounts",) if pg.platform == "k8s" else ("volumes", "mounts")
    values = [get(pg.spec, k) for k in keys]
    return not any(is_unknown(v) or has_unknown(v) or (isinstance(v, list) and v) for v in values)


def _data_mount_ok(path: Any, data_dir: str, explicit: bool) -> bool:
    if not isinstance(path, str):
        return False
    if _covers(path, data_dir):
        return True
    return not explicit and any(_covers(d, path) or _covers(path, d) for d in PG_DATA_DIRS) and path != "/"


def _d6_auto_named_claims(res: Resource, pg: Container) -> list[Finding]:
    """A volumeClaimTemplate's claim is named after the StatefulSet: an auto-named one (the
    provider's `pulumi.com/autonamed` annotation, or no name) gets a new name on every
    replacement, and so a new, empty claim while the old data sits in a retained one."""
    name = get(res.props, "metadata.name")
    annotations = get(res.props, "metadata.annotations")
    autonamed = annotations.get("pulumi.com/autonamed") if isinstance(annotations, dict) else None
    if is_unknown(name) or is_unknown(annotations) or is_unknown(autonamed):
        return [deferred("D6", pg.label, "the StatefulSet's metadata.name", urn=res.urn)]
    if isinstance(name, str) and name and autonamed != "true":
        return []
    return [
        violation(
            "D6",
            res.label,
            "an auto-named StatefulSet with volumeClaimTemplates (a replacement gives Postgres a new, empty claim)",
            "a fixed metadata.name, or a protected PersistentVolumeClaim mounted as a volume",
            "set metadata.name on the StatefulSet, or create the claim as a protected PersistentVolumeClaim",
            urn=res.urn,
        )
    ]


def _d6_k8s(stack: Stack, pg: Container, data_dir: str, explicit: bool) -> list[Finding]:
    res = pg.res
    mounts = as_list(get(pg.spec, "volumeMounts"))
    if is_unknown(mounts):
        return [deferred("D6", pg.label, "volumeMounts", urn=res.urn)]
    data_mounts = [m for m in mounts if isinstance(m, dict) and _data_mount_ok(m.get("mountPath"), data_dir, explicit)]
    fix = "mount a volumeClaimTemplate (StatefulSet) or a protected PersistentVolumeClaim at " + data_dir
    if not data_mounts and has_unknown(mounts):
        return [deferred("D6", pg.label, "volumeMounts", urn=res.urn)]
    if not data_mounts:
        return [violation("D6", pg.label, f"no volume mounted at the data directory {data_dir}", "a persistent volume", fix, urn=res.urn)]
    raw_vols = as_list(get(pg.pod or {}, "volumes"))
    raw_tpls = as_list(get(res.props, "spec.volumeClaimTemplates"))
    if is_unknown(raw_vols) or is_unknown(raw_tpls):
        return [deferred("D6", pg.label, "volumes / volumeClaimTemplates", urn=res.urn)]
    vols = {v.get("name"): v for v in raw_vols if isinstance(v, dict) and isinstance(v.get("name"), str)}
    templates = {get(t, "metadata.name"): t for t in raw_tpls if isinstance(t, dict) and isinstance(get(t, "metadata.name"), str)}
    out = []
    for m in data_mounts:
        name = m.get("name")
        if not isinstance(name, str):
            out.append(deferred("D6", pg.label, "the data volume's name", urn=res.urn))
            continue
        if name in templates:
            out.extend(_d6_auto_named_claims(res, pg))
            when = get(res.props, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted")
            if is_unknown(when):
                out.append(deferred("D6", pg.label, "persistentVolumeClaimRetentionPolicy.whenDeleted", urn=res.urn))
            elif when == "Delete":
                out.append(
                    violation(
                        "D6",
                        res.label,
                        "persistentVolumeClaimRetentionPolicy.whenDeleted 'Delete'",
                        "Retain (the data PVC survives deleting the StatefulSet)",
                        "set whenDeleted: Retain (the default)",
                        urn=res.urn,
                    )
                )
            continue
        v = vols.get(name)
        if not isinstance(v, dict):
            out.append(deferred("D6", pg.label, f"volume {name!s}", urn=res.urn, reason="volume not found"))
            continue
        if isinstance(v.get("persistentVolumeClaim"), dict):
            claim = v["persistentVolumeClaim"].get("claimName")
            pvc = stack.k8s_named("PersistentVolumeClaim", claim, k8s_namespace(res), res)
            if is_unknown(pvc):
                out.append(deferred("D6", pg.label, f"PersistentVolumeClaim {claim!s}", urn=res.urn))
            elif isinstance(pvc, Resource) and not pvc.protect:
                out.append(
                    violation(
                        "D6",
                        pvc.label,
                        "protect false on the Postgres data claim",
                        "protect=True",
                        "add opts=pulumi.ResourceOptions(protect=True) to the PersistentVolumeClaim",
                        urn=pvc.urn,
                    )
                )
            continue
        kind = next((k for k in v if k != "name"), "emptyDir")  # Kubernetes' default when no source is given
        out.append(
            violation("D6", pg.label, f"the data directory on volume {name!r} of kind {kind!r} (lost with the pod)", "a persistent volume", fix, urn=res.urn)
        )
    return out


def _d6_docker(stack: Stack, pg: Container, data_dir: str, explicit: bool) -> list[Finding]:
    res = pg.res
    fix = f"mount a named docker.Volume (protect=True) at {data_dir}"
    vols = as_list(get(res.props, "volumes"))
    mounts = as_list(get(res.props, "mounts"))
    if is_unknown(vols) or is_unknown(mounts):
        return [deferred("D6", pg.label, "volumes", urn=res.urn)]
    entries = []  # (kind, name)
    for v in vols:
        if isinstance(v, dict) and _data_mount_ok(v.get("containerPath"), data_dir, explicit):
            if v.get("hostPath") is not None:
                entries.append(("bind", v.get("hostPath")))
            elif v.get("volumeName") is not None:
                entries.append(("volume", v.get("volumeName")))
            else:
                entries.append(("anonymous", None))
    for m in mounts:
        if isinstance(m, dict) and _data_mount_ok(m.get("target"), data_dir, explicit):
            entries.append(({"volume": "volume", "bind": "bind"}.get(m.get("type"), "tmpfs"), m.get("source")))
    if not entries and (has_unknown(vols) or has_unknown(mounts)):
        return [deferred("D6", pg.label, "volumes", urn=res.urn)]
    if not entries:
        return [violation("D6", pg.label, f"no volume at the data directory {data_dir}", "a persistent named volume", fix, urn=res.urn)]
    out = []
    for kind, name in entries:
        if kind == "bind":
            continue
        if kind in ("anonymous", "tmpfs"):
            article = "an" if kind == "anonymous" else "a"
            out.append(violation("D6", pg.label, f"{article} {kind} volume at {data_dir}", "a persistent named volume", fix, urn=res.urn))
            continue
        vol_res = [r for r in stack.of_type(DOCKER_VOLUME) if get(r.props, "name") == name and not is_unknown(name)]
        if not vol_res:
            vol_res = [r for r in stack.all_deps_of(res) if r.type == DOCKER_VOLUME]
            if len(vol_res) > 1:
                vol_res = [r for r in vol_res if is_unknown(get(r.props, "name"))] or vol_res
        if is_unknown(name) and not vol_res:
            out.append(deferred("D6", pg.label, "the data volume name", urn=res.urn))
            continue
        for vr in vol_res[:1]:
            if not vr.protect:
                out.append(
                    violation(
                        "D6",
                        vr.label,
                        "protect false on the Postgres data volume",
                        "protect=True",
                        "add opts=pulumi.ResourceOptions(protect=True) to the docker.Volume",
                        urn=vr.urn,
                    )
                )
    return out


INTERNAL_LB_ANNOTATIONS = (
    "service.beta.kubernetes.io/aws-load-balancer-internal",
    "service.beta.kubernetes.io/aws-load-balancer-scheme",
    "networking.gke.io/load-balancer-type",
    "cloud.google.com/load-balancer-type",
    "service.beta.kubernetes.io/azure-load-balancer-internal",
    "service.beta.kubernetes.io/oci-load-balancer-internal",
)


def _lb_is_internal(svc: Resource) -> Any:
    """True when an annotation makes the load balancer internal; UNKNOWN when the
    annotations (or one that may say so) are not known yet."""
    ann = get(svc.props, "metadata.annotations")
    if is_unknown(ann):
        return UNKNOWN
    if not isinstance(ann, dict):
        return False
    maybe = False
    for k in INTERNAL_LB_ANNOTATIONS:
        v = ann.get(k)
        if is_unknown(v):
            maybe = True
        elif isinstance(v, str) and v.lower() in ("true", "internal", "internal-facing"):
            return True
    return UNKNOWN if maybe else False


LOCAL_ADDRESSES = ("127.0.0.1", "::1", "localhost")


def public_exposure(stack: Stack, c: Container) -> tuple[list[str], list[str]]:
    """How a proxy is reachable from outside the cluster/host (empty: private), and what
    cannot be told yet (an unknown port address, Service type, selector or annotations)."""
    from .detect import pod_labels, selector_matches

    found: list[str] = []
    unknown: list[str] = []
    if c.platform == "docker":
        ports = as_list(get(c.res.props, "ports"))
        if is_unknown(ports):
            return found, [f"the published ports of {c.res.label}"]
        for p in ports:
            if not isinstance(p, dict):
                continue
            ip = "0.0.0.0" if p.get("ip") in (None, "") else p.get("ip")
            if is_unknown(ip):
                unknown.append(f"the host address of port {fmt(p.get('internal'))}")
            elif isinstance(ip, str) and ip not in LOCAL_ADDRESSES:
                found.append(f"port {fmt(p.get('internal'))} published on {ip}")
        return found, unknown
    labels = pod_labels(c.res)
    for svc in stack.k8s("Service"):
        t = get(svc.props, "spec.type", "ClusterIP")
        if not is_unknown(t) and t not in ("LoadBalancer", "NodePort"):
            continue
        match = selector_matches(get(svc.props, "spec.selector"), labels)
        if match is False:
            continue
        if is_unknown(t) or is_unknown(match):
            unknown.append(f"the {'type' if is_unknown(t) else 'selector'} of {svc.label}")
            continue
        internal = _lb_is_internal(svc) if t == "LoadBalancer" else False
        if internal is True:
            continue
        if is_unknown(internal):
            unknown.append(f"the annotations of {svc.label} (an internal load balancer?)")
            continue
        found.append(f"{svc.label} type {t}")
    if stack.k8s("Ingress"):
        found.append("an Ingress in the stack")
    return found, unknown


@stack_policy(
    "litellm-d7-db-unavailable-private-only",
    "D7",
    "D7: allow_requests_on_db_unavailable: true only for private/VPC deployments (default false). "
    "Fix: set general_settings.allow_requests_on_db_unavailable: false, or keep the proxy private "
    "(ClusterIP / internal load balancer, ports on 127.0.0.1).",
    MANDATORY,
    "LiteLLM config + kubernetes Service/Ingress, docker Container ports",
)
def d7_db_unavailable(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    setting_path = "general_settings.allow_requests_on_db_unavailable"
    for c in stack.proxies:
        exposed, unknown = public_exposure(stack, c)
        if not exposed and not unknown:
            continue  # private: the setting is the operator's choice
        cfgs = stack.configs_for(c)
        if is_unknown(cfgs):
            out.append(deferred("D7", c.label, f"the proxy's config ({setting_path})", urn=c.res.urn))
            continue
        for cfg in cfgs:
            if is_unknown(cfg.data):
                out.append(deferred("D7", cfg.where, f"the LiteLLM config content ({setting_path})", urn=cfg.res.urn))
                continue
            if not isinstance(cfg.data, dict):
                continue
            allowed = is_true(setting(cfg.data, setting_path))
            if is_unknown(allowed):
                out.append(deferred("D7", cfg.where, setting_path, urn=cfg.res.urn))
            elif allowed is not True:
                continue
            elif exposed:
                out.append(
                    violation(
                        "D7",
                        cfg.where,
                        "allow_requests_on_db_unavailable: true while the proxy is public (" + "; ".join(exposed) + ")",
                        "false, or a private deployment",
                        f"set {setting_path}: false or make the proxy private",
                        urn=cfg.res.urn,
                    )
                )
            else:
                out.append(deferred("D7", cfg.where, "whether the proxy is public: " + "; ".join(unknown), urn=cfg.res.urn))
    return out

"""D2/R2 against a managed Postgres or Redis: a server outside the stack.

litellm-d2-connection-budget and litellm-r2-redis-client-budget judge a server the stack runs,
reading its limit from its own args. A managed server is not in the stack, so a Kubernetes proxy
workload that connects to one states the server's limit in an annotation (the litellm-gateway
program writes them from its `postgres.external` / `redis.external` settings), and these rules
hold the proxies' budget, rollouts included, against it. A proxy that connects to a server the
stack does not run and states no limit cannot be judged: a violation saying which annotation to add.
A proxy whose connection is unknown at preview (DATABASE_URL from a Secret whose value is computed)
may connect or not: it counts in the budget a pass needs, not in the one a violation needs, and
what depends on it is deferred.
"""

from __future__ import annotations

from typing import Any

from .cache import R2_BUDGET
from .catalogue import DB_RESERVED_CONNECTIONS, REDIS_POOL_PER_WORKER, REDIS_RESERVED_CLIENTS
from .common import containers
from .database import D2_BUDGET, Budget, _budget
from .detect import Container, Stack
from .model import Finding, deferred, fmt, is_unknown, violation
from .registry import ADVISORY, stack_policy
from .values import get, num, to_number

POSTGRES_LIMIT_ANNOTATION = "litellm-gateway/postgres-max-connections"
REDIS_LIMIT_ANNOTATION = "litellm-gateway/redis-maxclients"


def _stated_limit(c: Container, annotation: str) -> Any:
    """The limit the proxy workload states (a number, None, or UNKNOWN)."""
    annotations = get(c.res.props, "metadata.annotations")
    if is_unknown(annotations):
        return annotations
    value = (annotations or {}).get(annotation)
    return value if value is None or is_unknown(value) else to_number(value)


def external_budget_findings(stack: Stack, b: Budget, annotation: str) -> list[Finding]:
    if containers(stack, b.role):
        return []  # the server is in the stack: the in-stack budget rule judges it
    k8s = [c for c in stack.proxies if c.platform == "k8s"]
    connects = {id(c): b.uses(stack, c) for c in k8s}
    sure = [c for c in k8s if connects[id(c)] is True]
    # UNKNOWN (e.g. DATABASE_URL from a Secret whose value is unknown at preview) may connect: never skipped
    maybe = [c for c in k8s if is_unknown(connects[id(c)])]
    out: list[Finding] = []
    if (sure or maybe) and stack.opaque:  # a workload whose containers are unknown may be the server
        return [deferred(b.rule, c.res.label, f"whether a {b.role} server runs in the stack", urn=c.res.urn) for c in {c.res.urn: c for c in sure + maybe}.values()]
    users = {id(c) for c in sure + maybe}
    workloads: dict[str, Container] = {}
    for c in k8s:  # the first user container of each workload, in stack order
        if id(c) in users:
            workloads.setdefault(c.res.urn, c)
    sure_urns = {c.res.urn for c in sure}
    unsure = [c.res.label for urn, c in workloads.items() if urn not in sure_urns]
    # the budget without the proxies that may not connect (a violation needs no more) and with them (a pass needs them)
    low, low_parts, low_defer = _budget(stack, sure, lambda c: b.per_worker(stack, c))
    high, _, high_defer = _budget(stack, sure + maybe, lambda c: b.per_worker(stack, c))
    for urn, c in workloads.items():
        limit = _stated_limit(c, annotation)
        if is_unknown(limit):
            out.append(deferred(b.rule, c.res.label, f"the {b.unit} budget against {annotation}", urn=c.res.urn))
        elif limit is None and urn not in sure_urns:
            out.append(deferred(b.rule, c.res.label, f"whether it connects to a {b.role} server outside the stack", urn=c.res.urn))
        elif limit is None:
            out.append(
                violation(
                    b.rule, c.res.label, f"a {b.role} server outside the stack whose {b.setting} is not stated",
                    f"annotation {annotation}: <the server's {b.setting}> on the proxy workload, so the budget can be judged",
                    f"add metadata.annotations[{annotation!r}] with the managed server's {b.setting}", urn=c.res.urn,
                )  # fmt: skip
            )
        elif urn in sure_urns and not low_defer and not is_unknown(low) and low + b.reserve > limit:
            need = low + b.reserve
            out.append(
                violation(
                    b.rule, c.res.label,
                    f"the external {b.role} server's {b.setting} {fmt(limit)} ({annotation}) but the proxies can open "
                    + " + ".join(low_parts) + f" = {num(low)} {b.unit} + {b.reserve} reserve = {num(need)}",
                    f"{b.setting} ≥ {num(need)}",
                    f"raise the managed server's {b.setting} to {num(need)} (and the annotation with it), or lower the pool / workers / autoscaler maximum / maxSurge",
                    urn=c.res.urn,
                )  # fmt: skip
            )
        elif high_defer or is_unknown(high):
            out.append(deferred(b.rule, c.res.label, f"the {b.unit} budget against {annotation}", urn=c.res.urn))
        elif high + b.reserve > limit:  # over the limit only with proxies that may not connect
            who = ", ".join(unsure)
            out.append(deferred(b.rule, c.res.label, f"the {b.unit} budget against {annotation} (whether {who} connects to the {b.role} server)", urn=c.res.urn))
    return out


@stack_policy(
    "litellm-d2-external-postgres-budget",
    "D2",
    "D2: with a managed Postgres (not in the stack), a Kubernetes proxy workload connecting to one states the server's "
    f"max_connections in the annotation {POSTGRES_LIMIT_ANNOTATION}, and pool × workers × instances in an update "
    f"(as litellm-d2-connection-budget counts them) + {DB_RESERVED_CONNECTIONS} reserved fits in it. Fix: state the server's max_connections "
    "in that annotation; raise it on the server, or lower the pool, the workers, the autoscaler maximum or maxSurge.",
    ADVISORY,
    "kubernetes proxy workloads + HorizontalPodAutoscaler, when no Postgres runs in the stack",
)
def d2_external_postgres_budget(stack: Stack) -> list[Finding]:
    return external_budget_findings(stack, D2_BUDGET, POSTGRES_LIMIT_ANNOTATION)


@stack_policy(
    "litellm-r2-external-redis-budget",
    "R2",
    "R2: with a managed Redis (not in the stack), a Kubernetes proxy workload connecting to one states the server's "
    f"maxclients in the annotation {REDIS_LIMIT_ANNOTATION}, and the client pool ({REDIS_POOL_PER_WORKER} per worker) × "
    f"workers × instances in an update + {REDIS_RESERVED_CLIENTS} reserve fits in it. Fix: state the server's maxclients in that annotation; raise it "
    "on the server, or lower the pool, the workers, the autoscaler maximum or maxSurge.",
    ADVISORY,
    "kubernetes proxy workloads + HorizontalPodAutoscaler, when no Redis runs in the stack",
)
def r2_external_redis_budget(stack: Stack) -> list[Finding]:
    return external_budget_findings(stack, R2_BUDGET, REDIS_LIMIT_ANNOTATION)

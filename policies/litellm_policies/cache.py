"""Redis rules R1-R3."""

from __future__ import annotations

from typing import Any

from .catalogue import REDIS_POOL_PER_WORKER, REDIS_RESERVED_CLIENTS
from .common import config_checks, config_number, containers, proxies
from .database import Budget, budget_findings
from .detect import Container, LiteLLMConfig, Stack
from .model import UNKNOWN, Finding, Resource, deferred, fmt, is_unknown, violation
from .registry import ADVISORY, resource_policy, stack_policy
from .values import get, human_bytes, num, parse_redis_bytes, to_number
from .workloads import redis_maxclients, server_setting, uses_redis

R2_RESERVE = REDIS_RESERVED_CLIENTS
R2_POOL = REDIS_POOL_PER_WORKER


def _find_key(data: Any, key: str, path: str = "") -> list[str]:
    hits = []
    if isinstance(data, dict):
        for k, v in data.items():
            p = f"{path}.{k}" if path else str(k)
            if k == key:
                hits.append(p)
            hits.extend(_find_key(v, key, p))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            hits.extend(_find_key(v, key, f"{path}[{i}]"))
    return hits


@resource_policy(
    "litellm-r1-no-redis-url",
    "R1",
    "R1: Redis is configured by host / port / password, never by URL (router and cache). "
    "Fix: replace redis_url / REDIS_URL with redis_host, redis_port, redis_password "
    "(REDIS_HOST, REDIS_PORT, REDIS_PASSWORD).",
    ADVISORY,
    "LiteLLM config (ConfigMap/Secret/Docker uploads), proxy containers",
)
def r1_no_redis_url(res: Resource, stack: Stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        hits = _find_key(cfg.data, "redis_url")
        cp = get(cfg.data, "litellm_settings.cache_params")
        if isinstance(cp, dict) and cp.get("url") is not None:
            hits.append("litellm_settings.cache_params.url")
        return [
            violation("R1", cfg.where, f"{h} set", "Redis by host/port/password", f"remove {h}; set redis_host/redis_port/redis_password")
            for h in hits
        ]

    out = config_checks(res, "R1", check)
    for c in proxies(stack, "R1", out):
        if "REDIS_URL" in c.env(stack).vars:
            out.append(
                violation("R1", c.label, "env var REDIS_URL", "REDIS_HOST / REDIS_PORT / REDIS_PASSWORD", "remove REDIS_URL; set REDIS_HOST, REDIS_PORT and REDIS_PASSWORD")
            )
    return out


def _redis_pool(stack: Stack, c: Container) -> tuple[Any, str]:
    found = config_number(stack, c, "litellm_settings.cache_params.max_connections")
    if found is not None:
        return found[0], f"pool {found[1]}"
    env = to_number(c.env_value("REDIS_MAX_CONNECTIONS", stack))
    if is_unknown(env):
        return UNKNOWN, "REDIS_MAX_CONNECTIONS"
    if env is not None:
        return env, f"pool {num(env)} (REDIS_MAX_CONNECTIONS)"
    return R2_POOL, f"pool {R2_POOL} (HARDENING R2)"


@stack_policy(
    "litellm-r2-redis-client-budget",
    "R2",
    f"R2: Redis maxclients ≥ client pool ({R2_POOL} per worker) × workers × instances in an update + {R2_RESERVE} reserve, "
    "instances counted as in D2 (2R + S for a Deployment's RollingUpdate, else R). "
    "Fix: raise Redis maxclients (--maxclients N) or lower the pool / workers / autoscaler maximum / maxSurge.",
    ADVISORY,
    "kubernetes workloads + HorizontalPodAutoscaler, docker Container",
)
def r2_client_budget(stack: Stack) -> list[Finding]:
    return budget_findings(stack, R2_BUDGET)


R2_BUDGET = Budget(
    rule="R2",
    role="redis",
    setting="maxclients",
    unit="clients",
    reserve=R2_RESERVE,
    uses=uses_redis,
    per_worker=_redis_pool,
    limit=redis_maxclients,
    fix=lambda need: f"run Redis with --maxclients {need} (or more), or lower the pool / workers / autoscaler maximum / maxSurge",
)


CACHE_EVICTION = {"allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "allkeys-random", "volatile-random"}


@stack_policy(
    "litellm-r3-redis-memory-bounded",
    "R3",
    "R3: Redis memory is bounded below its container memory limit (maxmemory < limit) with an eviction "
    "policy fit for a cache (e.g. allkeys-lru; never noeviction). Fix: run Redis with --maxmemory <below the "
    "limit> --maxmemory-policy allkeys-lru and give the container a memory limit.",
    ADVISORY,
    "kubernetes workloads / docker Container running Redis (+ redis.conf ConfigMaps)",
)
def r3_redis_memory(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for r in containers(stack, "redis"):
        urn = r.res.urn
        raw, where = server_setting(stack, r, "maxmemory", ("REDIS_ARGS", "REDIS_EXTRA_FLAGS"))
        limit = r.memory_limit()
        pol, pwhere = server_setting(stack, r, "maxmemory-policy", ("REDIS_ARGS", "REDIS_EXTRA_FLAGS"))
        if is_unknown(raw) or is_unknown(limit):
            out.append(deferred("R3", r.label, "maxmemory / memory limit", urn=urn))
        else:
            mm = parse_redis_bytes(raw)
            if raw is None or not mm:
                out.append(
                    violation("R3", r.label, f"maxmemory {fmt(raw)} (unbounded)", "maxmemory below the container memory limit", "add --maxmemory <e.g. 80% of the limit>", urn=urn)
                )
            elif limit is None:
                out.append(
                    violation("R3", r.label, "no container memory limit", f"a memory limit above maxmemory {human_bytes(mm)}", "set a memory limit on the Redis container", urn=urn)
                )
            elif mm >= limit:
                out.append(
                    violation(
                        "R3",
                        r.label,
                        f"maxmemory {human_bytes(mm)} ≥ memory limit {human_bytes(limit)}",
                        "maxmemory below the limit (room for fragmentation and clients)",
                        "lower --maxmemory to about 80% of the limit",
                        urn=urn,
                    )
                )
        if is_unknown(pol):
            out.append(deferred("R3", r.label, "maxmemory-policy", urn=urn))
        elif pol not in CACHE_EVICTION:
            out.append(
                violation(
                    "R3",
                    r.label,
                    f"maxmemory-policy {fmt(pol)}" + (" (Redis default noeviction)" if pol is None else ""),
                    "an eviction policy fit for a cache (allkeys-lru, allkeys-lfu, volatile-*)",
                    "add --maxmemory-policy allkeys-lru",
                    urn=urn,
                )
            )
    return out

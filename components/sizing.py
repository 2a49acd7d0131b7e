"""Machine classes and the sizing plan derived from them (HARDENING.md "Sizing model").

Postgres, Redis and the proxy all size themselves from `plan_sizing`, so the worker count, the
connection pools and the servers' limits cannot disagree. Pure functions on plain data: the
property tests in tests/test_sizing.py check the budget invariants for every input.
"""

import math
from typing import Final, NamedTuple

from pydantic import BaseModel, ConfigDict

from components import hardening as h
from components.errors import ConfigError, Problem


class MachineClass(BaseModel):
    """A machine the proxy runs on: the only hardware fact the stack config names."""

    model_config = ConfigDict(frozen=True)

    name: str
    vcpu: int
    memory_mib: int


MACHINE_CLASSES: Final = {
    c.name: c
    for c in (
        MachineClass(name="small", vcpu=2, memory_mib=4096),
        MachineClass(name="standard", vcpu=4, memory_mib=8192),  # the seeds' machine
        MachineClass(name="large", vcpu=8, memory_mib=16384),
        MachineClass(name="xlarge", vcpu=16, memory_mib=32768),
    )
}


class Resources(BaseModel):
    """CPU in millicores and memory in MiB; requests equal limits so the class is guaranteed (P5)."""

    model_config = ConfigDict(frozen=True)

    cpu_millis: int
    memory_mib: int

    @property
    def cpu(self) -> str:
        return f"{self.cpu_millis}m"

    @property
    def memory(self) -> str:
        return f"{self.memory_mib}Mi"


class Rollout(NamedTuple):
    """How a platform replaces the proxy's instances in an update, as far as D2/R2 care."""

    strategy: str  # as the capacity report and error messages name it
    max_surge: int  # instances started above the count before any old one stops (maxSurge)
    overlap: bool  # a replaced instance keeps its pools while it drains, beside its successors


#: Docker (dev): one container under a fixed name, replaced delete-then-create (the provider
#: mapping sets DeleteBeforeReplace, as pulumi-docker does: a name is unique on the engine), and
#: the delete stops it with the plan's stop grace first, so its pools are closed before the new
#: container starts. Docker has no surge.
DOCKER_ROLLOUT: Final = Rollout("delete-then-create", max_surge=0, overlap=False)
#: Kubernetes (prod): the proxy Deployment rolls with maxSurge 1 and maxUnavailable 0 (no
#: capacity lost during a rollout); components/platforms/kubernetes.py renders the plan's surge.
KUBERNETES_ROLLOUT: Final = Rollout("RollingUpdate", max_surge=1, overlap=True)
ROLLOUTS: Final = {"docker": DOCKER_ROLLOUT, "kubernetes": KUBERNETES_ROLLOUT}


def rollout_instances(max_instances: int, rollout: Rollout) -> int:
    """D2/R2: the most proxy instances holding connection pools at once, an update included.

    R = `max_instances` (replicas, or the autoscaler's maximum), S = `rollout.max_surge`.

    Overlapping updates (a Deployment's RollingUpdate): **2R + S**. The Deployment controller
    keeps the ReplicaSets' replicas at most `replicas + maxSurge` <= R + S (maxSurge is a count,
    or a percentage of the replicas rounded up, 25 % when unset), and it does not count
    terminating pods: a pod it scales down leaves the count at once, so its successor may start
    while the old pod still holds its pools, until its process exits or
    terminationGracePeriodSeconds ends it (P4/P9: longer than the longest request, 960 s on
    prod). The new ReplicaSet grows to R, and every pod that was running when the update began,
    at most R + S (an update may begin while an earlier one still surges), can be draining at
    that moment: R + (R + S). From a settled Deployment (R pods) the peak is 2R; S covers the
    update that starts mid-way through another.

    Updates without overlap: **R**. Docker's delete-then-create stops the old container before
    the new one exists; a Deployment's Recreate starts no new pod while an old one, terminating
    ones included, is left.

    The bound holds for one update (or one scale-down) per drain window. Pods of an earlier
    update still draining when the next begins add up to R more each, and so do evictions; wait
    out terminationGracePeriodSeconds between rollouts, or size above the plan.
    """
    return 2 * max_instances + rollout.max_surge if rollout.overlap else max_instances


def rollout_formula(max_instances: int, rollout: Rollout) -> str:
    """The instances of an update with its numbers, as error messages and the report show it."""
    n = rollout_instances(max_instances, rollout)
    if rollout.overlap:
        return (
            f"{n} = 2 x {max_instances} + {rollout.max_surge} ({rollout.strategy}, maxSurge {rollout.max_surge}:"
            " the replaced instances keep their pools while they drain)"
        )
    return f"{n} ({rollout.strategy}: the old instance exits before the new one starts)"


class SizingPlan(BaseModel):
    """Every number the three components need, derived once."""

    model_config = ConfigDict(frozen=True)

    machine_class: str
    vcpu: int
    workers: int  # P1
    recycle_workers: bool  # P8: recycling only with >= 2 workers
    db_pool_per_worker: int  # D1
    max_instances: int  # D2: replicas, or the autoscaler's maximum (R)
    rollout_max_surge: int  # D2/R2: S, extra instances an update starts
    rollout_instances: int  # D2/R2: instances holding pools at once, an update included (rollout_instances())
    rollout_formula: str  # D2/R2: rollout_instances with its numbers and the platform's update
    db_connections: int  # D2: pool x workers x rollout instances
    postgres_max_connections: int  # D2: budget + reserve
    redis_clients: int  # R2: Redis pool x workers x rollout instances
    redis_maxclients: int  # R2
    redis_maxmemory_mib: int  # R3
    admission_target_seconds: float  # F6: p99 admitted requests keep at saturation
    max_in_flight_per_worker: int  # F6: admission_cap(admission_target_seconds)
    request_timeout_seconds: int  # P7: the longest timeout any model may use
    graceful_shutdown_seconds: int  # P9: LiteLLM's drain wait
    stop_grace_seconds: int  # P4/P9: platform grace (terminationGracePeriodSeconds, docker stop)
    supervisord_stopwaitsecs: int  # P4
    proxy_resources: Resources  # P5
    postgres_resources: Resources
    redis_resources: Resources

    def as_report(self) -> dict[str, int | str | bool]:
        """The flat view the capacity report prints; integers stay integers for scripts."""
        flat: dict[str, int | str | bool] = {}
        for key, value in self.model_dump().items():
            if isinstance(value, dict):
                flat[f"{key}_cpu_millis"] = value["cpu_millis"]
                flat[f"{key}_memory_mib"] = value["memory_mib"]
            else:
                flat[key] = value
        return flat


#: F6: below this a worker would admit one request at a time (admission_cap rounds down to 1).
MIN_ADMISSION_TARGET_SECONDS: Final = 0.1


def admission_cap(target_seconds: float) -> int:
    """F6: requests one worker admits so that, saturated, their p99 stays within the target.

    A CPU-bound worker completes 1000 / WORKER_CPU_MS_PER_REQUEST requests a second; by Little's
    law N in flight spend N / that rate in the worker on average, and the p99 of a saturated
    worker is SATURATED_P99_OVER_MEAN times its mean, so N = rate x target / that ratio. A worker
    with fewer in flight is not saturated (its requests wait for the upstream, not the CPU), so
    the target must include the upstream's own latency: a 1 s target in front of a 10 s model
    would shed requests while the CPU idles."""
    rate = 1000 / h.WORKER_CPU_MS_PER_REQUEST
    return max(1, math.floor(rate * target_seconds / h.SATURATED_P99_OVER_MEAN))



def plan_sizing(
    machine_class: str,
    max_instances: int,
    *,
    rollout: Rollout,
    workers: int | None = None,
    db_pool_per_worker: int | None = None,
    postgres_max_connections: int | None = None,
    longest_request_seconds: int = h.REQUEST_TIMEOUT_SECONDS,
    postgres_limit_key: str = "postgresMaxConnections",
    redis_maxclients: int | None = None,
    admission_target_seconds: float = h.ADMISSION_TARGET_SECONDS,
) -> SizingPlan:
    """Derive the plan; overrides are accepted only when they keep every budget (P1, D2, R2).
    `postgres_max_connections` and `redis_maxclients` are limits the plan must fit in: an
    override, or an external server's (`postgres_limit_key` names its setting in errors).

    The D2/R2 budgets count `rollout_instances(max_instances, rollout)`: the platform's update
    (ROLLOUTS) decides how many instances hold pools at once."""
    problems: list[Problem] = []
    cls = MACHINE_CLASSES.get(machine_class)
    if cls is None:
        raise ConfigError(
            [Problem("machineClass", repr(machine_class), f"must be one of {', '.join(MACHINE_CLASSES)}")]
        )
    if max_instances < 1:
        problems.append(Problem("replicas", str(max_instances), "at least 1 proxy instance", "D2"))
    if workers is not None and not 1 <= workers <= cls.vcpu:
        problems.append(
            Problem("workers", str(workers), f"between 1 and the {cls.vcpu} vCPU of class {cls.name}", "P1")
        )
    if db_pool_per_worker is not None and db_pool_per_worker < 1:
        problems.append(Problem("dbPoolPerWorker", str(db_pool_per_worker), "at least 1", "D1"))
    if longest_request_seconds < 1:
        problems.append(Problem("models[].timeout", str(longest_request_seconds), "at least 1 second", "P7"))
    if not MIN_ADMISSION_TARGET_SECONDS <= admission_target_seconds <= h.REQUEST_TIMEOUT_SECONDS:
        problems.append(
            Problem(
                "admissionTargetSeconds",
                f"{admission_target_seconds:g}",
                f"between {MIN_ADMISSION_TARGET_SECONDS:g} and the request timeout ({h.REQUEST_TIMEOUT_SECONDS} s, P7):"
                " the p99 latency, upstream included, admitted requests keep while the proxy is saturated",
                "F6",
            )
        )
    if problems:
        raise ConfigError(problems)

    n_workers = workers if workers is not None else cls.vcpu
    pool = db_pool_per_worker if db_pool_per_worker is not None else h.DB_POOL_PER_WORKER
    instances = rollout_instances(max_instances, rollout)
    db_connections = pool * n_workers * instances
    redis_clients = h.REDIS_POOL_PER_WORKER * n_workers * instances
    budgets = (
        (postgres_limit_key, postgres_max_connections, pool, db_connections, h.DB_RESERVED_CONNECTIONS, "D2"),
        ("redis.external.maxClients", redis_maxclients, h.REDIS_POOL_PER_WORKER, redis_clients, h.REDIS_RESERVED_CLIENTS, "R2"),
    )
    for key, limit, per_worker, total, reserve, rule in budgets:
        if limit is not None and limit < total + reserve:
            raise ConfigError(
                [
                    Problem(
                        key,
                        str(limit),
                        f"at least {total + reserve}: pool {per_worker} x {n_workers} workers x {instances} instances"
                        f" = {total}, plus {reserve} reserved; instances in an update: {rollout_formula(max_instances, rollout)}",
                        rule,
                    )
                ]
            )
    graceful = longest_request_seconds + h.DRAIN_MARGIN_SECONDS
    stop_grace = graceful + h.DRAIN_MARGIN_SECONDS
    redis_limit_mib = cls.memory_mib // 8
    return SizingPlan(
        machine_class=cls.name,
        vcpu=cls.vcpu,
        workers=n_workers,
        recycle_workers=n_workers >= 2,
        db_pool_per_worker=pool,
        max_instances=max_instances,
        rollout_max_surge=rollout.max_surge,
        rollout_instances=instances,
        rollout_formula=rollout_formula(max_instances, rollout),
        db_connections=db_connections,
        postgres_max_connections=postgres_max_connections or db_connections + h.DB_RESERVED_CONNECTIONS,
        redis_clients=redis_clients,
        redis_maxclients=redis_maxclients or redis_clients + h.REDIS_RESERVED_CLIENTS,
        redis_maxmemory_mib=redis_limit_mib * 3 // 4,
        admission_target_seconds=admission_target_seconds,
        max_in_flight_per_worker=admission_cap(admission_target_seconds),
        request_timeout_seconds=longest_request_seconds,
        graceful_shutdown_seconds=graceful,
        stop_grace_seconds=stop_grace,
        supervisord_stopwaitsecs=max(h.SUPERVISORD_STOPWAITSECS, stop_grace),
        proxy_resources=Resources(
            cpu_millis=n_workers * 1000,
            memory_mib=h.PROXY_BASE_MEMORY_MIB + h.WORKER_MEMORY_MIB * n_workers,
        ),
        postgres_resources=Resources(cpu_millis=max(1000, cls.vcpu * 250), memory_mib=cls.memory_mib // 4),
        redis_resources=Resources(cpu_millis=500, memory_mib=redis_limit_mib),
    )

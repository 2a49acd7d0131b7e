"""Machine classes and the sizing plan derived from them (HARDENING.md "Sizing model").

Postgres, Redis and the proxy all size themselves from `plan_sizing`, so the worker count, the
connection pools and the servers' limits cannot disagree. Pure functions on plain data: the
property tests in tests/test_sizing.py check the budget invariants for every input.
"""

from typing import Final

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


class SizingPlan(BaseModel):
    """Every number the three components need, derived once."""

    model_config = ConfigDict(frozen=True)

    machine_class: str
    vcpu: int
    workers: int  # P1
    recycle_workers: bool  # P8: recycling only with >= 2 workers
    db_pool_per_worker: int  # D1
    max_instances: int  # D2: replicas, or the autoscaler's maximum
    db_connections: int  # D2: pool x workers x max instances
    postgres_max_connections: int  # D2: budget + reserve
    redis_clients: int  # R2: Redis pool x workers x max instances
    redis_maxclients: int  # R2
    redis_maxmemory_mib: int  # R3
    max_in_flight_per_worker: int  # F6
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


#: F6: admitted requests per worker before LiteLLM answers 503. The proxy spends ~10 ms of CPU
#: per request (HARDENING.md reference measurement), so a worker completes ~100 per second;
#: 100 in flight is one second of work queued, beyond which a fast refusal beats a timeout.
MAX_IN_FLIGHT_PER_WORKER: Final = 100


def plan_sizing(
    machine_class: str,
    max_instances: int,
    *,
    workers: int | None = None,
    db_pool_per_worker: int | None = None,
    postgres_max_connections: int | None = None,
    longest_request_seconds: int = h.REQUEST_TIMEOUT_SECONDS,
) -> SizingPlan:
    """Derive the plan; overrides are accepted only when they keep every budget (P1, D2)."""
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
    if problems:
        raise ConfigError(problems)

    n_workers = workers if workers is not None else cls.vcpu
    pool = db_pool_per_worker if db_pool_per_worker is not None else h.DB_POOL_PER_WORKER
    db_connections = pool * n_workers * max_instances
    needed = db_connections + h.DB_RESERVED_CONNECTIONS
    if postgres_max_connections is not None and postgres_max_connections < needed:
        raise ConfigError(
            [
                Problem(
                    "postgresMaxConnections",
                    str(postgres_max_connections),
                    f"at least {needed}: pool {pool} x {n_workers} workers x {max_instances} instances"
                    f" = {db_connections}, plus {h.DB_RESERVED_CONNECTIONS} reserved",
                    "D2",
                )
            ]
        )
    redis_clients = h.REDIS_POOL_PER_WORKER * n_workers * max_instances
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
        db_connections=db_connections,
        postgres_max_connections=postgres_max_connections or needed,
        redis_clients=redis_clients,
        redis_maxclients=redis_clients + h.REDIS_RESERVED_CLIENTS,
        redis_maxmemory_mib=redis_limit_mib * 3 // 4,
        max_in_flight_per_worker=MAX_IN_FLIGHT_PER_WORKER,
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

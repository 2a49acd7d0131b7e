"""Args shared by the data-store components: how big, and where.

Each component derives its own plan from these plain inputs with `plan_sizing`, so a Postgres
built alone and a proxy built alone from the same inputs agree on every pool and limit.
"""

from typing import NotRequired, TypedDict

import pulumi

from components.errors import ConfigError, Problem
from components.sizing import ROLLOUTS, SizingPlan, plan_sizing
from components.scheduling import SchedulingSettings
from components.specs import Location


class SizingArgs(TypedDict):
    machine_class: str
    """Machine class of the proxy: small, standard, large or xlarge (HARDENING.md sizing model)."""
    max_instances: int
    """The most proxy instances outside an update: replicas, or the autoscaler's maximum. The
    D2/R2 budgets add the platform's update (`sizing.rollout_instances`)."""
    workers: NotRequired[int | None]
    """Override of the worker count; at most the class's vCPU (P1)."""
    db_pool_per_worker: NotRequired[int | None]
    """Override of LiteLLM's database pool per worker (D1)."""
    postgres_max_connections: NotRequired[int | None]
    """Override of Postgres max_connections; must hold the whole budget (D2)."""


class PlacementArgs(TypedDict):
    platform: str
    """`docker` (dev) or `kubernetes` (prod)."""
    docker_network: NotRequired[pulumi.Input[str] | None]
    """Docker only: the network the containers join."""
    namespace: NotRequired[pulumi.Input[str] | None]
    """Kubernetes only: the namespace of every object."""
    scheduling: NotRequired[SchedulingSettings | None]
    """Kubernetes only: node selector, tolerations, priority class and pull secrets of every pod."""


class SizedPlacementArgs(SizingArgs, PlacementArgs):
    """What a data store's plan needs: its size, and the platform whose updates it must absorb."""


def plan_from(args: SizedPlacementArgs) -> SizingPlan:
    rollout = ROLLOUTS.get(args["platform"])
    if rollout is None:
        raise ConfigError([Problem("platform", repr(args["platform"]), f"one of {', '.join(ROLLOUTS)}")])
    return plan_sizing(
        args["machine_class"],
        args["max_instances"],
        rollout=rollout,
        workers=args.get("workers"),
        db_pool_per_worker=args.get("db_pool_per_worker"),
        postgres_max_connections=args.get("postgres_max_connections"),
    )


def location_from(args: PlacementArgs) -> Location:
    platform = args["platform"]
    if platform == "docker" and args.get("docker_network"):
        return Location("docker", docker_network=args["docker_network"])
    if platform == "kubernetes" and args.get("namespace"):
        return Location("kubernetes", namespace=args["namespace"], scheduling=args.get("scheduling"))
    raise ConfigError(
        [Problem("platform", repr(platform), "docker with a docker_network, or kubernetes with a namespace")]
    )

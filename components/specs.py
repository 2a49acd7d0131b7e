"""What each component asks of its platform, as plain data.

The components decide *what* runs (image, plan, rendered config, which secrets); the modules in
`components/platforms/` decide *how* on Docker or Kubernetes. These specs are the seam, so a
platform module never recomputes sizing and a component never touches a platform API.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pulumi

from components.proxy_layout import ProxyLayout
from components.sizing import SizingPlan

if TYPE_CHECKING:  # the settings modules import components.platforms, which imports this one
    from components.exposure import IngressSettings, LoadBalancerSettings
    from components.scheduling import SchedulingSettings

Platform = Literal["docker", "kubernetes"]

#: Numeric users the images run as (N3); the same numbers as the official postgres/redis images.
POSTGRES_UID = 999
REDIS_UID = 999
PROXY_UID = 10001
MOCK_UPSTREAM_UID = 10002

POSTGRES_USER = "litellm"
POSTGRES_DB = "litellm"


@dataclass(frozen=True)
class Location:
    """Where the gateway's objects live: a Docker network or a Kubernetes namespace."""

    platform: Platform
    docker_network: pulumi.Input[str] | None = None
    namespace: pulumi.Input[str] | None = None
    scheduling: "SchedulingSettings | None" = None  # Kubernetes only: where the pods run


@dataclass(frozen=True)
class PostgresSpec:
    name: str
    image: str
    plan: SizingPlan
    password: pulumi.Input[str]
    storage_gib: int
    storage_class: str | None


@dataclass(frozen=True)
class RedisSpec:
    name: str
    image: str
    plan: SizingPlan
    password: pulumi.Input[str]


@dataclass(frozen=True)
class ProxySpec:
    name: str
    image: str
    plan: SizingPlan
    args: list[str]
    env: Mapping[str, str]
    secret_env: Mapping[str, pulumi.Input[str]]
    config_yaml: str
    migration_env: Mapping[str, str]
    migration_secret_env: Mapping[str, pulumi.Input[str]]  # on Kubernetes from the store Secret when a key is there
    replicas: int
    autoscaling: tuple[int, int, int] | None  # (min, max, target CPU %)
    published_ports: tuple[int, int] = (0, 0)  # Docker only: host ports of proxy and health app
    ingress: "IngressSettings | None" = None  # Kubernetes only: the way in from outside (N5-N7)
    load_balancer: "LoadBalancerSettings | None" = None  # Kubernetes only: the alternative way in (N5)
    annotations: Mapping[str, str] = field(default_factory=dict)  # Kubernetes only: on the proxy workload
    store_secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # Kubernetes only: managed data stores
    layout: ProxyLayout = ProxyLayout("ours")  # our image's entry point, or LiteLLM's own image (Kubernetes only)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


@dataclass(frozen=True)
class Endpoint:
    """How clients inside the platform reach a service."""

    host: str
    port: int

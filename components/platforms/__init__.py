"""One module per platform: the only places that know Docker or Kubernetes APIs."""

from typing import Literal

import pulumi

from components.specs import Endpoint, Location, PostgresSpec, ProxySpec, RedisSpec


def deploy(
    kind: Literal["postgres", "redis", "proxy"],
    spec: PostgresSpec | RedisSpec | ProxySpec,
    where: Location,
    parent: pulumi.Resource,
) -> Endpoint:
    """Build `kind` on the platform of `where`; each platform module has one function per kind."""
    from components.platforms import docker, kubernetes

    if where.platform == "docker":
        return getattr(docker, kind)(spec, where.docker_network, parent)
    return getattr(kubernetes, kind)(spec, where.namespace, parent, where.scheduling)

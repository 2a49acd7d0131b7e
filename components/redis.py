"""A password-protected Redis (S5) with a client budget (R2) and bounded memory (R3)."""

import pulumi

from components.args import PlacementArgs, SizingArgs, location_from, plan_from
from components.platforms import deploy
from components.specs import RedisSpec


class RedisCacheArgs(SizingArgs, PlacementArgs):
    image: str
    """Redis image, pinned to an exact version or digest (N2)."""
    password: pulumi.Input[str]
    """The `requirepass` password (S5); kept secret."""


class RedisCache(pulumi.ComponentResource):
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    maxclients: pulumi.Output[int]
    maxmemory_mib: pulumi.Output[int]

    def __init__(self, name: str, args: RedisCacheArgs, opts: pulumi.ResourceOptions | None = None):
        plan = plan_from(args)  # validation before the first child
        where = location_from(args)
        super().__init__("litellm-gateway:index:RedisCache", name, {}, opts)
        spec = RedisSpec(name=name, image=args["image"], plan=plan, password=args["password"])
        endpoint = deploy("redis", spec, where, self)
        self.host = pulumi.Output.from_input(endpoint.host)
        self.port = pulumi.Output.from_input(endpoint.port)
        self.maxclients = pulumi.Output.from_input(plan.redis_maxclients)
        self.maxmemory_mib = pulumi.Output.from_input(plan.redis_maxmemory_mib)
        self.register_outputs(
            {"host": self.host, "port": self.port, "maxclients": self.maxclients, "maxmemory_mib": self.maxmemory_mib}
        )

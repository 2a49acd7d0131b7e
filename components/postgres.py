"""A Postgres database sized for the proxy's connection budget (D2) on persistent storage (D6)."""

from typing import NotRequired

import pulumi

from components.args import PlacementArgs, SizingArgs, location_from, plan_from
from components.platforms import deploy
from components.specs import POSTGRES_DB, POSTGRES_USER, PostgresSpec


class PostgresDatabaseArgs(SizingArgs, PlacementArgs):
    image: str
    """Postgres image, pinned to an exact version or digest (N2)."""
    password: pulumi.Input[str]
    """Password of the `litellm` user (S5); kept secret."""
    storage_gib: NotRequired[int]
    """Kubernetes only: size of the data volume claim."""
    storage_class: NotRequired[str | None]
    """Kubernetes only: storage class of the data volume claim."""


class PostgresDatabase(pulumi.ComponentResource):
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    max_connections: pulumi.Output[int]
    url: pulumi.Output[str]
    """`postgresql://` URL with the password: a secret."""

    def __init__(self, name: str, args: PostgresDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        plan = plan_from(args)  # validation before the first child
        where = location_from(args)
        super().__init__("litellm-gateway:index:PostgresDatabase", name, {}, opts)
        spec = PostgresSpec(
            name=name,
            image=args["image"],
            plan=plan,
            password=args["password"],
            storage_gib=args.get("storage_gib", 20),
            storage_class=args.get("storage_class"),
        )
        endpoint = deploy("postgres", spec, where, self)
        self.host = pulumi.Output.from_input(endpoint.host)
        self.port = pulumi.Output.from_input(endpoint.port)
        self.max_connections = pulumi.Output.from_input(plan.postgres_max_connections)
        self.url = pulumi.Output.secret(
            pulumi.Output.concat(
                "postgresql://", POSTGRES_USER, ":", args["password"], "@", endpoint.host, ":", str(endpoint.port), "/", POSTGRES_DB
            )
        )
        self.register_outputs(
            {"host": self.host, "port": self.port, "max_connections": self.max_connections, "url": self.url}
        )

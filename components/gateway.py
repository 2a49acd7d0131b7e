"""The whole gateway: secrets, Postgres, Redis and the proxy, sized from one set of settings."""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi

from components.args import PlacementArgs, SizingArgs
from components.platforms import docker, kubernetes
from components.postgres import PostgresDatabase
from components.proxy import LiteLLMProxy
from components.redis import RedisCache
from components.secrets import GatewaySecrets
from components.settings import SLACK_WEBHOOK_KEY, StackSettings, load_settings


class GatewayArgs(TypedDict):
    settings: Mapping[str, Any]
    """The `litellm-gateway:*` stack settings as plain data, keyed as in the stack file."""
    api_keys: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Provider API keys by the secret config key each model names (S6)."""
    slack_webhook_url: NotRequired[pulumi.Input[str] | None]
    """Slack webhook for alerting (O2)."""
    existing_salt_key: NotRequired[pulumi.Input[str] | None]
    """Adopt the salt key of a running deployment instead of generating one (S1)."""
    store_urls: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Managed data stores' connection URLs by the secret config key `postgres.external.urlSecret`
    / `redis.external.urlSecret` names; with them no in-cluster Postgres or Redis is created."""


class Gateway(pulumi.ComponentResource):
    proxy_url: pulumi.Output[str]
    health_url: pulumi.Output[str]
    master_key: pulumi.Output[str]
    postgres_max_connections: pulumi.Output[int]
    redis_maxclients: pulumi.Output[int]
    workers: pulumi.Output[int]
    redis_password: pulumi.Output[str]
    containers: pulumi.Output[dict[str, str]]
    """Docker only: container names of proxy, postgres and redis, for the operator commands."""

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None):
        api_keys = dict(args.get("api_keys") or {})
        slack = args.get("slack_webhook_url")
        store_urls = dict(args.get("store_urls") or {})
        settings = load_settings(
            args["settings"], set(api_keys) | set(store_urls) | ({SLACK_WEBHOOK_KEY} if slack is not None else set())
        )
        super().__init__("litellm-gateway:index:Gateway", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)

        secrets = GatewaySecrets(f"{name}-secrets", {"existing_salt_key": args.get("existing_salt_key")}, child)
        placement = self._placement(name, settings)
        sizing = SizingArgs(
            machine_class=settings.machine_class,
            max_instances=settings.max_instances,
            workers=settings.workers,
            db_pool_per_worker=settings.db_pool_per_worker,
            postgres_max_connections=settings.postgres_max_connections,
        )
        ready: list[pulumi.Resource] = []
        pg_external, redis_external = settings.postgres.external, settings.redis.external
        if pg_external is None:
            postgres = PostgresDatabase(
                f"{name}-postgres",
                {
                    **sizing,
                    **placement,
                    "image": settings.images.postgres,
                    "password": secrets.postgres_password,
                    "storage_gib": settings.kubernetes.postgres_storage_gib,
                    "storage_class": settings.kubernetes.storage_class,
                },
                child,
            )
            ready.append(postgres)
        if redis_external is None:
            ready.append(
                RedisCache(
                    f"{name}-redis",
                    {**sizing, **placement, "image": settings.images.redis, "password": secrets.redis_password},
                    child,
                )
            )
        if settings.mock_upstream and settings.platform == "docker":
            ready.append(docker.mock_upstream(f"{name}-mock-upstream", settings.images.mock_upstream, placement["docker_network"], self))
        proxy = LiteLLMProxy(
            f"{name}-proxy",
            {
                **placement,
                "settings": args["settings"],
                "master_key": secrets.master_key,
                "salt_key": secrets.salt_key,
                "drain_token": secrets.drain_token,
                "redis_password": secrets.redis_password,
                "redis_host": f"{name}-redis",
                "postgres_host": None if pg_external else f"{name}-postgres",
                "database_url": store_urls[pg_external.url_secret] if pg_external else postgres.url,
                "store_urls": store_urls,
                "api_keys": api_keys,
                "slack_webhook_url": slack,
            },
            pulumi.ResourceOptions(parent=self, depends_on=ready),
        )
        plan = settings.plan()
        self.proxy_url = proxy.url
        self.health_url = pulumi.Output.from_input(
            f"http://127.0.0.1:{settings.docker.health_port}" if settings.platform == "docker" else f"http://{name}-proxy:4001"
        )
        self.master_key = secrets.master_key
        # D2/R2: the in-cluster servers' sized limits, or the external servers' stated ones.
        self.postgres_max_connections = pulumi.Output.from_input(plan.postgres_max_connections)
        self.redis_maxclients = pulumi.Output.from_input(plan.redis_maxclients)
        self.workers = proxy.workers
        self.redis_password = secrets.redis_password
        self.containers = pulumi.Output.from_input(
            {kind: f"{name}-{kind}" for kind in ("proxy", "postgres", "redis")} if settings.platform == "docker" else {}
        )
        self.plan = plan
        self.register_outputs(
            {
                "proxy_url": self.proxy_url,
                "health_url": self.health_url,
                "master_key": self.master_key,
                "postgres_max_connections": self.postgres_max_connections,
                "redis_maxclients": self.redis_maxclients,
                "workers": self.workers,
                "redis_password": self.redis_password,
                "containers": self.containers,
            }
        )

    def _placement(self, name: str, settings: StackSettings) -> PlacementArgs:
        if settings.platform == "docker":
            return PlacementArgs(platform="docker", docker_network=docker.network(name, self).name)
        ns = kubernetes.namespace(name, settings.kubernetes.namespace, self)
        return PlacementArgs(platform="kubernetes", namespace=ns.metadata.name, scheduling=settings.scheduling)

"""The LiteLLM proxy: rendered config, one-shot migration (D5), then the hardened server."""

from collections.abc import Mapping
from typing import Any, NotRequired

import pulumi

from components import litellm_config as lc
from components.args import PlacementArgs, location_from
from components.exposure import public_url
from components.external_stores import REDIS_URL_PARTS, external_limit_annotations, redis_env
from components.platforms import deploy
from components.settings import SLACK_WEBHOOK_KEY, load_settings
from components.specs import ProxySpec


class LiteLLMProxyArgs(PlacementArgs):
    settings: Mapping[str, Any]
    """The `litellm-gateway:*` stack settings as plain data, with the keys of the stack file
    (machineClass, replicas, models, images, ...); validated again here."""
    master_key: pulumi.Input[str]
    """`LITELLM_MASTER_KEY` (S3)."""
    salt_key: pulumi.Input[str]
    """`LITELLM_SALT_KEY` (S1); never changes for the life of the database."""
    drain_token: pulumi.Input[str]
    """Token the preStop hook presents to /health/drain (P9)."""
    redis_password: pulumi.Input[str]
    """Password of the Redis cache (S5)."""
    redis_host: str
    """Where the proxy finds the in-cluster Redis on its platform (not used with `redis.external`)."""
    postgres_host: str | None
    """Where the migration step finds the in-cluster Postgres; None with `postgres.external`."""
    database_url: NotRequired[pulumi.Input[str] | None]
    """`DATABASE_URL`; needed when the settings connect the proxy to the database."""
    api_keys: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Provider API keys by the secret config key each model names (S6)."""
    slack_webhook_url: NotRequired[pulumi.Input[str] | None]
    """Slack webhook for alerting (O2); optional."""
    store_urls: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Managed data stores' URLs by the secret config key each `*.external.urlSecret` names: an
    external Redis reaches the proxy as host, port, password and TLS from its URL (R1)."""


class LiteLLMProxy(pulumi.ComponentResource):
    url: pulumi.Output[str]
    workers: pulumi.Output[int]
    config_yaml: pulumi.Output[str]

    def __init__(self, name: str, args: LiteLLMProxyArgs, opts: pulumi.ResourceOptions | None = None):
        api_keys = dict(args.get("api_keys") or {})
        slack = args.get("slack_webhook_url")
        store_urls = dict(args.get("store_urls") or {})
        secret_names = set(api_keys) | set(store_urls) | ({SLACK_WEBHOOK_KEY} if slack is not None else set())
        settings = load_settings(args["settings"], secret_names)  # validation before the first child
        plan = settings.plan()
        where = location_from(args)
        super().__init__("litellm-gateway:index:LiteLLMProxy", name, {}, opts)

        secret_env: dict[str, pulumi.Input[str]] = {
            lc.MASTER_KEY_ENV: args["master_key"],
            lc.SALT_KEY_ENV: args["salt_key"],
            lc.REDIS_PASSWORD_ENV: args["redis_password"],
            lc.DRAIN_TOKEN_ENV: args["drain_token"],
        }
        for model in settings.models:
            if model.api_key_secret:
                secret_env[model.api_key_env] = api_keys[model.api_key_secret]
        if slack is not None:
            secret_env[lc.SLACK_WEBHOOK_ENV] = slack
        # A managed server's address and credentials come from the stack's secret config, not from
        # a generated password: they live in a Secret of their own (store_secret_env).
        store_env: dict[str, pulumi.Input[str]] = {}
        redis_external = settings.redis.external
        if redis_external is not None:
            url = pulumi.Output.from_input(store_urls[redis_external.url_secret])
            for env_name in REDIS_URL_PARTS:
                store_env[env_name] = url.apply(lambda u, n=env_name: redis_env(u)[n])
            del secret_env[lc.REDIS_PASSWORD_ENV]
        migration_secret_env: dict[str, pulumi.Input[str]] = {}
        if settings.connect_database:
            database_env = store_env if settings.postgres.external is not None else secret_env
            database_env[lc.DATABASE_URL_ENV] = args["database_url"]
            migration_secret_env[lc.DATABASE_URL_ENV] = args["database_url"]
        config_yaml = lc.render_config_yaml(settings, plan)
        autoscaling = settings.autoscaling
        spec = ProxySpec(
            name=name,
            image=settings.images.proxy,
            plan=plan,
            args=lc.proxy_args(settings, plan),
            env=lc.proxy_env(plan, redis_host=None if redis_external else args["redis_host"]),
            secret_env={k: pulumi.Output.secret(v) for k, v in secret_env.items()},
            config_yaml=config_yaml,
            migration_env=lc.migration_env(settings, postgres_host=args["postgres_host"]),
            migration_secret_env={k: pulumi.Output.secret(v) for k, v in migration_secret_env.items()},
            store_secret_env={k: pulumi.Output.secret(v) for k, v in store_env.items()},
            replicas=settings.replicas,
            autoscaling=(autoscaling.min_replicas, autoscaling.max_replicas, autoscaling.target_cpu_percent)
            if autoscaling
            else None,
            published_ports=(settings.docker.proxy_port, settings.docker.health_port),
            ingress=settings.ingress,
            load_balancer=settings.load_balancer,
            annotations=external_limit_annotations(settings, plan),
            layout=settings.proxy_layout,
            # The migration step waits for whatever the proxy was told to wait for (the data stores).
            depends_on=list(opts.depends_on) if opts and isinstance(opts.depends_on, list) else [],
        )
        endpoint = deploy("proxy", spec, where, self)
        # Clients outside the cluster use the public URL when the stack exposes the proxy (N5).
        self.url = pulumi.Output.from_input(public_url(settings.ingress, settings.load_balancer) or f"http://{endpoint.host}:{endpoint.port}")
        self.workers = pulumi.Output.from_input(plan.workers)
        self.config_yaml = pulumi.Output.from_input(config_yaml)
        self.register_outputs({"url": self.url, "workers": self.workers, "config_yaml": self.config_yaml})

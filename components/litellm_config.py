"""What the proxy is told: its config.yaml, command line and environment, rendered from the
settings and the sizing plan.

Platform-neutral on purpose: hosts and secrets enter only as environment variable names
(`os.environ/...` in the config), which each platform fills from its own secret store. So the
rendered text never holds a secret and is the same on Docker and Kubernetes.
"""

from typing import Any, Final

import yaml

from components import hardening as h
from components.settings import StackSettings
from components.sizing import SizingPlan

CONFIG_DIR: Final = "/app/config"
CONFIG_FILE: Final = "config.yaml"
CONFIG_PATH: Final = f"{CONFIG_DIR}/{CONFIG_FILE}"
PROMETHEUS_MULTIPROC_DIR: Final = "/tmp/prometheus_multiproc"

# Names of the secret environment variables; each platform maps them to its secret store.
MASTER_KEY_ENV: Final = "LITELLM_MASTER_KEY"
SALT_KEY_ENV: Final = "LITELLM_SALT_KEY"
DATABASE_URL_ENV: Final = "DATABASE_URL"
REDIS_PASSWORD_ENV: Final = "REDIS_PASSWORD"
SLACK_WEBHOOK_ENV: Final = "SLACK_WEBHOOK_URL"
DRAIN_TOKEN_ENV: Final = "DRAIN_ENDPOINT_TOKEN"
# `responseCache` -> LiteLLM's cache mode. `default_off` answers from the cache only a request that
# asks (`"cache": {"use-cache": true}`): a lookup and a write cost each request 1.5 ms of CPU
# (benchmarks/results/load.md), and identical prompts at a temperature above 0 are meant to get
# different answers. Either way the Redis client stays: LiteLLM shares it for usage tracking.
CACHE_MODES: Final = {"opt-in": "default_off", "always": "default_on"}

# Non-secret addresses, filled by the platform.
REDIS_HOST_ENV: Final = "REDIS_HOST"
REDIS_PORT_ENV: Final = "REDIS_PORT"


def _env_ref(name: str) -> str:
    return f"os.environ/{name}"


def render_config(settings: StackSettings, plan: SizingPlan) -> dict[str, Any]:
    """LiteLLM's config.yaml as data; every key was checked against the pinned release."""
    redis = {"host": _env_ref(REDIS_HOST_ENV), "port": _env_ref(REDIS_PORT_ENV), "password": _env_ref(REDIS_PASSWORD_ENV)}
    general: dict[str, Any] = {
        "master_key": _env_ref(MASTER_KEY_ENV),
        "database_connection_pool_limit": plan.db_pool_per_worker,  # D1
        "proxy_batch_write_at": h.BATCH_WRITE_SECONDS,  # D3
        "disable_error_logs": True,  # D4
        "allow_requests_on_db_unavailable": settings.allow_requests_on_db_unavailable,  # D7
        "enable_drain_endpoint": True,  # P9
        "max_in_flight_requests_per_worker": plan.max_in_flight_per_worker,  # F6
        "max_queued_requests_per_worker": h.MAX_QUEUED_PER_WORKER,  # F6: shed at once
    }
    if settings.slack_alerting:  # O2
        general["alerting"] = ["slack"]
        general["alerting_threshold"] = h.ALERTING_THRESHOLD_SECONDS
    return {
        "model_list": [_model_entry(m) for m in settings.models],
        "general_settings": general,
        "litellm_settings": {
            "request_timeout": h.REQUEST_TIMEOUT_SECONDS,  # P7
            "set_verbose": False,  # P6
            "json_logs": True,  # P6
            "callbacks": ["prometheus"],  # O1
            "cache": True,
            "cache_params": {
                "type": "redis", **redis, "max_connections": h.REDIS_POOL_PER_WORKER,  # R1, R2
                "mode": CACHE_MODES[settings.response_cache],
            },  # fmt: skip
        },
        "router_settings": {
            "routing_strategy": h.ROUTING_STRATEGY,  # F1
            "allowed_fails": h.ALLOWED_FAILS,  # F2
            "cooldown_time": h.COOLDOWN_SECONDS,  # F2
            "retry_policy": dict(h.RETRY_POLICY),  # F3
            "num_retries": h.TRANSIENT_ERROR_RETRIES,  # F3: errors the policy does not name
            "allowed_fails_policy": dict(h.ALLOWED_FAILS_POLICY),  # F4
            "fallbacks": [{m.name: list(m.fallbacks)} for m in settings.models if m.fallbacks],  # F5
            "redis_host": redis["host"],  # R1: host/port/password, never redis_url
            "redis_port": redis["port"],
            "redis_password": redis["password"],
        },
    }


def _model_entry(model: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"model": model.model}
    if model.api_key_env:
        params["api_key"] = _env_ref(model.api_key_env)
    if model.api_base:
        params["api_base"] = model.api_base
    if model.timeout:
        params["timeout"] = model.timeout  # P7 per-model override
    return {"model_name": model.name, "litellm_params": params}


def render_config_yaml(settings: StackSettings, plan: SizingPlan) -> str:
    return yaml.safe_dump(render_config(settings, plan), sort_keys=False)


def proxy_args(settings: StackSettings, plan: SizingPlan) -> list[str]:
    """The proxy's command line (P1-P3, P8, O3); the image's entrypoint runs `litellm <args>`."""
    args = ["--config", CONFIG_PATH, "--port", str(h.PROXY_PORT), "--num_workers", str(plan.workers)]  # P1
    if settings.proxy_server == "gunicorn":
        args.append("--run_gunicorn")  # P2
    if plan.recycle_workers:  # P3, P8
        args += [
            "--max_requests_before_restart", str(h.MAX_REQUESTS_BEFORE_RESTART),
            "--max_requests_before_restart_jitter", str(h.RESTART_JITTER),
        ]  # fmt: skip
    args += ["--prometheus_metrics_port", str(h.METRICS_PORT)]  # O3
    return args


def proxy_env(plan: SizingPlan, *, redis_host: str | None) -> dict[str, str]:
    """Non-secret environment of the proxy (H1, P3, P4, P6, P9, D5); without `redis_host` (an
    external Redis) its address comes from the proxy's secrets instead."""
    env = {
        "LITELLM_MODE": "PRODUCTION",  # P6
        "LITELLM_LOG": "ERROR",  # P6
        "JSON_LOGS": "true",  # P6
        "SEPARATE_HEALTH_APP": "1",  # H1
        "SEPARATE_HEALTH_PORT": str(h.HEALTH_PORT),  # H1
        "MAX_REQUESTS_BEFORE_RESTART": str(h.MAX_REQUESTS_BEFORE_RESTART),  # P3
        "SUPERVISORD_STOPWAITSECS": str(plan.supervisord_stopwaitsecs),  # P4
        "GRACEFUL_SHUTDOWN_TIMEOUT": str(plan.graceful_shutdown_seconds),  # P9
        "TIMEOUT_WORKER_HEALTHCHECK": str(h.WORKER_HEALTHCHECK_TIMEOUT_SECONDS),  # read by `litellm` (uvicorn workers)
        "DISABLE_SCHEMA_UPDATE": "true",  # D5: only the migration step migrates
        "USE_PRISMA_MIGRATE": "true",  # D5
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no fetch from the internet at start-up
        "PROMETHEUS_MULTIPROC_DIR": PROMETHEUS_MULTIPROC_DIR,  # O1, O3
    }
    if redis_host is not None:
        env |= {REDIS_HOST_ENV: redis_host, REDIS_PORT_ENV: str(h.REDIS_PORT)}
    return env


def migration_env(settings: StackSettings, *, postgres_host: str | None) -> dict[str, str]:
    """The one-shot migration step (D5). Offline stacks cannot fetch Prisma's engines, so with
    `connectDatabase: false` the image only waits until Postgres answers. An external Postgres
    (`postgres_host` None) is named only by DATABASE_URL."""
    env = {"USE_PRISMA_MIGRATE": "true", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    if postgres_host is not None:
        env |= {"POSTGRES_HOST": postgres_host, "POSTGRES_PORT": str(h.POSTGRES_PORT)}
    if not settings.connect_database:
        env["LITELLM_GATEWAY_MIGRATE_MODE"] = "check-only"
    return env


def secret_env_names(settings: StackSettings) -> list[str]:
    """Every secret the proxy reads, by env name (S4: these never appear as literal values)."""
    names = [MASTER_KEY_ENV, SALT_KEY_ENV, REDIS_PASSWORD_ENV, DRAIN_TOKEN_ENV]
    if settings.connect_database:
        names.append(DATABASE_URL_ENV)
    if settings.slack_alerting:
        names.append(SLACK_WEBHOOK_ENV)
    names += [m.api_key_env for m in settings.models if m.api_key_env]
    return sorted(set(names))

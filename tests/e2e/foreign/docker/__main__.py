"""LiteLLM on one Docker host as another team would hand-write it: plain pulumi_docker and
pulumi_random resources, no litellm-gateway component. Two proxy containers behind the host's
own load balancer, Postgres and Redis on a private network; secrets go in as env values built
from Pulumi secrets (the common way, not litellm-gateway's secret files). Used by
tests/e2e/test_foreign_programs.py to judge the policy pack on a program it did not write.

Stack config `foreign-docker:broken: true` turns on the mistakes listed in BROKEN (rule ID: what
changes); everything else is the same program.
"""

import pulumi
import pulumi_docker as docker
import pulumi_random as random
import yaml

config = pulumi.Config()
broken = config.get_bool("broken") or False

#: What the broken variant gets wrong, by the rule it breaks (the test reads this list).
BROKEN = {
    "S1": "the salt key's RandomPassword is not protected",
    "D3": "proxy_batch_write_at 10",
    "F2": "cooldown_time 5",
    "R1": "router_settings.redis_url",
    "P1": "4 workers on a 2-CPU container",
    "P5": "the proxy container has no memory limit",
    "N1": "Redis publishes 6379 on every host address",
    "N2": "Postgres runs postgres:latest",
    "N3": "the proxy container runs as the image's default user (root)",
    # missed on a first preview until issue 15 (see the test's docstring)
    "N4": "one proxy container",
    "H3": "the proxy healthcheck has no timeout (Docker's default is 30 s)",
    "D6": "Postgres keeps its data in the container (no volume, no mount)",
}

IMAGE = "ghcr.io/berriai/litellm:v1.106.2-stable"
PROXIES = 1 if broken else 2
CPUS = 2  # per proxy container; --num_workers must match it

openai_api_key = config.require_secret("openaiApiKey")
slack_webhook_url = config.require_secret("slackWebhookUrl")

# ---------------------------------------------------------------- secrets
master_key = random.RandomPassword("master-key", length=48, special=False)
salt_key = random.RandomPassword("salt-key", length=48, special=False, opts=pulumi.ResourceOptions(protect=not broken))
postgres_password = random.RandomPassword("postgres-password", length=32, special=False)
redis_password = random.RandomPassword("redis-password", length=32, special=False)

network = docker.Network("litellm-net", name="litellm-net")
on_network = [docker.ContainerNetworksAdvancedArgs(name=network.name)]
database_url = pulumi.Output.concat("DATABASE_URL=postgresql://litellm:", postgres_password.result, "@postgres:5432/litellm")

# ---------------------------------------------------------------- Postgres
pgdata = docker.Volume("pgdata", name="litellm-pgdata", opts=pulumi.ResourceOptions(protect=True))
postgres = docker.Container(
    "postgres",
    name="postgres",
    image="postgres:latest" if broken else "postgres:16.4",
    command=["postgres", "-c", "max_connections=100"],
    envs=["POSTGRES_USER=litellm", "POSTGRES_DB=litellm", pulumi.Output.concat("POSTGRES_PASSWORD=", postgres_password.result)],
    volumes=[] if broken else [docker.ContainerVolumeArgs(volume_name=pgdata.name, container_path="/var/lib/postgresql/data")],
    user="999:999",
    networks_advanced=on_network,
    healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "pg_isready", "-U", "litellm"], timeout="5s"),
    restart="unless-stopped",
)

# ---------------------------------------------------------------- Redis
redis = docker.Container(
    "redis",
    name="redis",
    image="redis:7.2.5",
    command=[
        "redis-server", "--requirepass", redis_password.result,
        "--maxclients", "1000", "--maxmemory", "400mb", "--maxmemory-policy", "allkeys-lru",
    ],  # fmt: skip
    memory=512,
    user="999:999",
    networks_advanced=on_network,
    ports=[docker.ContainerPortArgs(internal=6379, external=6379)] if broken else [],
    restart="unless-stopped",
)

# ---------------------------------------------------------------- LiteLLM config
litellm_config = {
    "model_list": [
        {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"}},
        {"model_name": "gpt-4o-mini", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "os.environ/OPENAI_API_KEY"}},
    ],
    "general_settings": {
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "database_connection_pool_limit": 10,
        "proxy_batch_write_at": 10 if broken else 60,
        "disable_error_logs": True,
        "allow_requests_on_db_unavailable": False,
        "max_in_flight_requests_per_worker": 50,
        "max_queued_requests_per_worker": 0,
        "alerting": ["slack"],
        "alerting_threshold": 300,
    },
    "litellm_settings": {
        "request_timeout": 600,
        "set_verbose": False,
        "json_logs": True,
        "callbacks": ["prometheus"],
        "cache": True,
        "cache_params": {"type": "redis", "host": "os.environ/REDIS_HOST", "port": "os.environ/REDIS_PORT", "password": "os.environ/REDIS_PASSWORD"},
    },
    "router_settings": {
        "routing_strategy": "simple-shuffle",
        **(
            {"redis_url": "redis://redis:6379"}
            if broken
            else {"redis_host": "os.environ/REDIS_HOST", "redis_port": "os.environ/REDIS_PORT", "redis_password": "os.environ/REDIS_PASSWORD"}
        ),
        "allowed_fails": 3,
        "cooldown_time": 5 if broken else 30,
        "fallbacks": [{"gpt-4o": ["gpt-4o-mini"]}],
        "retry_policy": {
            "AuthenticationErrorRetries": 0,
            "ContentPolicyViolationErrorRetries": 0,
            "TimeoutErrorRetries": 3,
            "RateLimitErrorRetries": 3,
            "InternalServerErrorRetries": 3,
        },
        "allowed_fails_policy": {
            "BadRequestErrorAllowedFails": 1000,
            "AuthenticationErrorAllowedFails": 10,
            "TimeoutErrorAllowedFails": 12,
            "RateLimitErrorAllowedFails": 10000,
            "ContentPolicyViolationErrorAllowedFails": 15,
            "InternalServerErrorAllowedFails": 20,
        },
    },
}
config_upload = docker.ContainerUploadArgs(file="/app/config.yaml", content=yaml.safe_dump(litellm_config))

# ---------------------------------------------------------------- migration, then the proxies
migrate = docker.Container(
    "litellm-migrate",
    name="litellm-migrate",
    image=IMAGE,
    entrypoints=["python", "litellm/proxy/prisma_migration.py"],
    envs=[database_url, "DISABLE_SCHEMA_UPDATE=false"],
    attach=True,
    must_run=False,
    user="1000:1000",
    networks_advanced=on_network,
    opts=pulumi.ResourceOptions(depends_on=[postgres]),
)

proxy_envs = [
    "LITELLM_MODE=PRODUCTION",
    "LITELLM_LOG=ERROR",
    "JSON_LOGS=true",
    "SEPARATE_HEALTH_APP=1",
    "SEPARATE_HEALTH_PORT=4001",
    "MAX_REQUESTS_BEFORE_RESTART=10000",
    "SUPERVISORD_STOPWAITSECS=3600",
    "GRACEFUL_SHUTDOWN_TIMEOUT=900",
    "DISABLE_SCHEMA_UPDATE=true",
    "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus",
    "LITELLM_LOCAL_MODEL_COST_MAP=True",
    "REDIS_HOST=redis",
    "REDIS_PORT=6379",
    pulumi.Output.concat("REDIS_PASSWORD=", redis_password.result),
    pulumi.Output.concat("LITELLM_MASTER_KEY=sk-", master_key.result),
    pulumi.Output.concat("LITELLM_SALT_KEY=", salt_key.result),
    database_url,
    pulumi.Output.concat("OPENAI_API_KEY=", openai_api_key),
    pulumi.Output.concat("SLACK_WEBHOOK_URL=", slack_webhook_url),
]

for i in range(PROXIES):
    docker.Container(
        f"litellm-proxy-{i}",
        name=f"litellm-proxy-{i}",
        image=IMAGE,
        command=[
            "--config", "/app/config.yaml",
            "--port", "4000",
            "--num_workers", str(2 * CPUS if broken else CPUS),
            "--run_gunicorn",
            "--max_requests_before_restart", "10000",
            "--max_requests_before_restart_jitter", "1000",
            "--prometheus_metrics_port", "9090",
        ],  # fmt: skip
        envs=proxy_envs,
        uploads=[config_upload],
        ports=[docker.ContainerPortArgs(internal=4000, external=4000 + 10 * i, ip="127.0.0.1")],
        healthcheck=docker.ContainerHealthcheckArgs(
            tests=["CMD", "curl", "-fsS", "http://localhost:4001/health/liveliness"],
            interval="10s",
            retries=3,
            **({} if broken else {"timeout": "5s"}),
        ),
        stop_timeout=960,
        cpus=str(CPUS),
        memory=None if broken else 4096,
        user=None if broken else "1000:1000",
        networks_advanced=on_network,
        restart="unless-stopped",
        opts=pulumi.ResourceOptions(depends_on=[migrate, postgres, redis]),
    )

pulumi.export("proxy_urls", [f"http://127.0.0.1:{4000 + 10 * i}" for i in range(PROXIES)])

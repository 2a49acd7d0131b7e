"""LiteLLM on Kubernetes as another team would hand-write it: plain pulumi_kubernetes and
pulumi_random resources, no litellm-gateway component. Used by tests/e2e/test_foreign_programs.py
to judge the policy pack on a program it did not write.

Stack config `foreign-k8s:broken: true` turns on the mistakes listed in BROKEN (rule ID: what
changes), `foreign-k8s:bypass: true` the ways past the pack listed in BYPASSES (issue 15: what the
pack used to let through or defer forever); everything else is the same program.
"""

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

config = pulumi.Config()
broken = config.get_bool("broken") or False
bypass = config.get_bool("bypass") or False
misconfigured = config.get_bool("misconfigured") or False

#: What the broken variant gets wrong, by the rule it breaks (the test reads this list).
BROKEN = {
    "S1": "the salt key's RandomPassword is not protected",
    "S2": "the salt key is 16 characters",
    "S4": "LITELLM_MASTER_KEY is a literal env value instead of a secretKeyRef",
    "D2": "Postgres max_connections 50 < 10 pool x 2 workers x (2 x 3 + 1 pods in a rolling update) + 10 = 150",
    "D5": "the proxy runs the schema migration itself (no DISABLE_SCHEMA_UPDATE)",
    "P1": "2 workers on a 4-CPU limit",
    "P7": "request_timeout 3600",
    "P4": "(follows from P7) terminationGracePeriodSeconds 960 < the longest request, 3600 s",
    "P9": "(follows from P7) GRACEFUL_SHUTDOWN_TIMEOUT 900 < the longest request, 3600 s",
    "H3": "probe timeout 10 s",
    "R1": "router_settings.redis_url",
    "N1": "Postgres Service of type LoadBalancer",
    "N6": "(the same Service) a data store exposed outside the cluster",
    "N2": "the proxy image is main-latest",
    "N3": "Redis runs as root",
    "N4": "no PodDisruptionBudget",
    "O3": "2 workers and no --prometheus_metrics_port (scrapes land on inference workers)",
}

#: The bypass variant's changes, by the rule that now catches each (the test reads this list).
BYPASSES = {
    "P6": "LITELLM_LOG=DEBUG from a ConfigMap the proxy loads with envFrom",
    "D5": "DISABLE_SCHEMA_UPDATE=false from the same ConfigMap",
    "S3": "general_settings.master_key: os.environ/GW_ADMIN_KEY (LiteLLM prefers it over LITELLM_MASTER_KEY), a short literal there",
    "S4": "(the same) GW_ADMIN_KEY is a literal env value, a secret since the config reads the master key from it",
    "H2": "an exec liveness probe that only mentions the health URL and exits 0",
    "S7": "the salt key from a Secret outside the stack (its value can never be judged)",
}
#: The misconfigured variant breaks every rule the other variants leave alone, so each rule ID has
#: a failing case through the engine (the test reads this list; "follows" marks a knock-on).
MISCONFIGURED = {
    "S5": "the Redis password is 16 characters",
    "S6": "a model reads os.environ/ANTHROPIC_API_KEY, which the proxy is not given",
    "D1": "database_connection_pool_limit 50",
    "D2": "(follows from D1) Postgres max_connections 300 < 50 x 1 worker x 7 pods + 10",
    "D4": "disable_error_logs false",
    "D7": "allow_requests_on_db_unavailable true on a proxy exposed by an Ingress",
    "R2": "Redis maxclients 100",
    "R3": "Redis without maxmemory",
    "P1": "(follows from P2) 1 worker on a 4-CPU limit",
    "P2": "one uvicorn worker, no --run_gunicorn: nothing restarts a dead worker",
    "P3": "recycling after 500 requests",
    "P8": "recycling without --max_requests_before_restart_jitter, on one worker",
    "P10": "a top-level section LiteLLM does not read",
    "H1": "no SEPARATE_HEALTH_APP",
    "H2": "(follows from H1) probes on 4001, where no health app listens",
    "F1": "routing_strategy least-busy",
    "F3": "AuthenticationErrorRetries 2",
    "F4": "no ContentPolicyViolationErrorAllowedFails",
    "F5": "a fallback to a model group that does not exist",
    "F6": "no max_in_flight_requests_per_worker",
    "O1": "no prometheus callback",
    "O2": "a Slack webhook given to the proxy without alerting: [slack]",
    "N5": "an Ingress to the proxy without TLS",
    "N7": "(the same Ingress) no request-body limit",
}
#: Every bypass runs on an image renamed in a private registry: the pack must find the proxy by
#: what it runs, and say so.
RENAMED_IMAGE = "registry.internal.example/platform/gateway:2.3.1"

NS = "litellm"
IMAGE = "ghcr.io/berriai/litellm:main-latest" if broken else RENAMED_IMAGE if bypass else "ghcr.io/berriai/litellm:v1.106.2-stable"
WORKERS = 2 if broken else 4
REPLICAS, MAX_REPLICAS = 2, 3

openai_api_key = config.require_secret("openaiApiKey")
slack_webhook_url = config.require_secret("slackWebhookUrl")

# ---------------------------------------------------------------- secrets
master_key = random.RandomPassword("master-key", length=48, special=False)
salt_key = random.RandomPassword(
    "salt-key",
    length=16 if broken else 48,
    special=False,
    opts=pulumi.ResourceOptions(protect=not broken),  # losing it makes stored credentials unreadable
)
postgres_password = random.RandomPassword("postgres-password", length=32, special=False)
redis_password = random.RandomPassword("redis-password", length=16 if misconfigured else 32, special=False)
drain_token = random.RandomPassword("drain-token", length=32, special=False)

namespace = k8s.core.v1.Namespace("litellm", metadata={"name": NS})


def meta(name: str) -> dict:
    return {"name": name, "namespace": namespace.metadata["name"]}


secrets = k8s.core.v1.Secret(
    "litellm-secrets",
    metadata=meta("litellm-secrets"),
    string_data={
        "master-key": pulumi.Output.concat("sk-", master_key.result),
        "salt-key": salt_key.result,
        "database-url": pulumi.Output.concat("postgresql://litellm:", postgres_password.result, "@postgres:5432/litellm"),
        "postgres-password": postgres_password.result,
        "redis-password": redis_password.result,
        "drain-token": drain_token.result,
        "openai-api-key": openai_api_key,
        "slack-webhook-url": slack_webhook_url,
    },
)


def from_secret(env: str, key: str) -> dict:
    return {"name": env, "value_from": {"secret_key_ref": {"name": "litellm-secrets", "key": key}}}


def locked_down() -> dict:
    return {"run_as_non_root": True, "allow_privilege_escalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]}}


# ---------------------------------------------------------------- LiteLLM config
router_settings = {
    "routing_strategy": "simple-shuffle",
    "allowed_fails": 3,
    "cooldown_time": 30,
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
}
if broken:
    router_settings["redis_url"] = "redis://redis:6379"
else:
    router_settings.update(redis_host="os.environ/REDIS_HOST", redis_port="os.environ/REDIS_PORT", redis_password="os.environ/REDIS_PASSWORD")

litellm_config = {
    "model_list": [
        {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"}},
        {"model_name": "gpt-4o-mini", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "os.environ/OPENAI_API_KEY"}},
    ],
    "general_settings": {
        "master_key": "os.environ/GW_ADMIN_KEY" if bypass else "os.environ/LITELLM_MASTER_KEY",
        "database_connection_pool_limit": 10,
        "proxy_batch_write_at": 60,
        "disable_error_logs": True,
        "allow_requests_on_db_unavailable": False,
        "max_in_flight_requests_per_worker": 50,
        "max_queued_requests_per_worker": 0,
        "enable_drain_endpoint": True,
        "alerting": ["slack"],
        "alerting_threshold": 300,
    },
    "litellm_settings": {
        "request_timeout": 3600 if broken else 600,
        "set_verbose": False,
        "json_logs": True,
        "callbacks": ["prometheus"],
        "cache": True,
        "cache_params": {"type": "redis", "host": "os.environ/REDIS_HOST", "port": "os.environ/REDIS_PORT", "password": "os.environ/REDIS_PASSWORD"},
    },
    "router_settings": router_settings,
}
if misconfigured:
    general = litellm_config["general_settings"]
    general.update(database_connection_pool_limit=50, disable_error_logs=False, allow_requests_on_db_unavailable=True, alerting=[])
    del general["max_in_flight_requests_per_worker"]
    litellm_config["litellm_settings"]["callbacks"] = []
    router_settings.update(routing_strategy="least-busy", fallbacks=[{"gpt-4o": ["no-such-group"]}])
    router_settings["retry_policy"]["AuthenticationErrorRetries"] = 2
    del router_settings["allowed_fails_policy"]["ContentPolicyViolationErrorAllowedFails"]
    claude = {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_key": "os.environ/ANTHROPIC_API_KEY"}}
    litellm_config["model_list"].append(claude)
    litellm_config["not_a_section"] = {"enabled": True}
config_map = k8s.core.v1.ConfigMap("litellm-config", metadata=meta("litellm-config"), data={"config.yaml": yaml.safe_dump(litellm_config)})

# ---------------------------------------------------------------- Postgres
postgres = k8s.apps.v1.StatefulSet(
    "postgres",
    metadata=meta("postgres"),
    spec={
        "service_name": "postgres",
        "replicas": 1,
        "selector": {"match_labels": {"app": "postgres"}},
        "template": {
            "metadata": {"labels": {"app": "postgres"}},
            "spec": {
                "security_context": {"run_as_non_root": True, "run_as_user": 999, "fs_group": 999},
                "containers": [
                    {
                        "name": "postgres",
                        "image": "postgres:16.4",
                        # 10 pool x 4 workers x 7 pods + 10 = 290: a rolling update (maxSurge unset: 25 % of 3,
                        # rounded up, = 1) holds 2 x 3 + 1 pods' pools, the replaced ones draining (D2, R2)
                        "args": ["-c", f"max_connections={50 if broken else 300}"],
                        "env": [
                            {"name": "POSTGRES_USER", "value": "litellm"},
                            {"name": "POSTGRES_DB", "value": "litellm"},
                            {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                            from_secret("POSTGRES_PASSWORD", "postgres-password"),
                        ],
                        "ports": [{"container_port": 5432}],
                        "security_context": locked_down(),
                        "volume_mounts": [{"name": "data", "mount_path": "/var/lib/postgresql/data"}],
                    }
                ],
            },
        },
        "volume_claim_templates": [
            {"metadata": {"name": "data"}, "spec": {"access_modes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}
        ],
    },
    opts=pulumi.ResourceOptions(depends_on=[secrets]),
)
k8s.core.v1.Service(
    "postgres-svc",
    metadata=meta("postgres"),
    spec={"type": "LoadBalancer" if broken else "ClusterIP", "selector": {"app": "postgres"}, "ports": [{"port": 5432}]},
)

# ---------------------------------------------------------------- Redis
redis = k8s.apps.v1.Deployment(
    "redis",
    metadata=meta("redis"),
    spec={
        "replicas": 1,
        "selector": {"match_labels": {"app": "redis"}},
        "template": {
            "metadata": {"labels": {"app": "redis"}},
            "spec": {
                "security_context": {"run_as_non_root": True, "run_as_user": 999},
                "containers": [
                    {
                        "name": "redis",
                        "image": "redis:7.2.5",
                        "command": ["redis-server"],
                        "args": ["--requirepass", "$(REDIS_PASSWORD)", "--maxclients", "100"]
                        if misconfigured
                        else ["--requirepass", "$(REDIS_PASSWORD)", "--maxclients", "2000", "--maxmemory", "400mb", "--maxmemory-policy", "allkeys-lru"],  # >= 50 x 4 x 7 + 10 = 1410
                        "env": [from_secret("REDIS_PASSWORD", "redis-password")],
                        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
                        "security_context": {**locked_down(), "run_as_non_root": False, "run_as_user": 0} if broken else locked_down(),
                    }
                ],
            },
        },
    },
    opts=pulumi.ResourceOptions(depends_on=[secrets]),
)
k8s.core.v1.Service("redis-svc", metadata=meta("redis"), spec={"type": "ClusterIP", "selector": {"app": "redis"}, "ports": [{"port": 6379}]})

for store, client in (("postgres", "litellm-db-client"), ("redis", "litellm-redis-client")):
    k8s.networking.v1.NetworkPolicy(
        f"{store}-ingress",
        metadata=meta(f"{store}-ingress"),
        spec={
            "pod_selector": {"match_labels": {"app": store}},
            "policy_types": ["Ingress"],
            "ingress": [{"from": [{"pod_selector": {"match_labels": {client: "true"}}}]}],
        },
    )

# ---------------------------------------------------------------- migration, then the proxy
migrate = k8s.batch.v1.Job(
    "litellm-migrate",
    metadata=meta("litellm-migrate"),
    spec={
        "backoff_limit": 4,
        "template": {
            "metadata": {"labels": {"app": "litellm-migrate", "litellm-db-client": "true"}},
            "spec": {
                "restart_policy": "OnFailure",
                "security_context": {"run_as_non_root": True, "run_as_user": 1000},
                "containers": [
                    {
                        "name": "migrate",
                        "image": IMAGE,
                        "command": ["python", "litellm/proxy/prisma_migration.py"],
                        "working_dir": "/app",
                        "env": [from_secret("DATABASE_URL", "database-url"), {"name": "DISABLE_SCHEMA_UPDATE", "value": "false"}],
                        "security_context": locked_down(),
                    }
                ],
            },
        },
    },
    opts=pulumi.ResourceOptions(depends_on=[secrets, postgres]),
)

proxy_env = [
    {"name": "LITELLM_MODE", "value": "PRODUCTION"},
    *([] if bypass else [{"name": "LITELLM_LOG", "value": "ERROR"}]),
    {"name": "JSON_LOGS", "value": "true"},
    *([] if misconfigured else [{"name": "SEPARATE_HEALTH_APP", "value": "1"}]),
    {"name": "SEPARATE_HEALTH_PORT", "value": "4001"},
    {"name": "MAX_REQUESTS_BEFORE_RESTART", "value": "500" if misconfigured else "10000"},
    {"name": "SUPERVISORD_STOPWAITSECS", "value": "3600"},
    {"name": "GRACEFUL_SHUTDOWN_TIMEOUT", "value": "900"},
    {"name": "USE_PRISMA_MIGRATE", "value": "true"},
    {"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/prometheus"},
    {"name": "LITELLM_LOCAL_MODEL_COST_MAP", "value": "True"},
    {"name": "REDIS_HOST", "value": "redis"},
    {"name": "REDIS_PORT", "value": "6379"},
    {"name": "LITELLM_SALT_KEY", "value_from": {"secret_key_ref": {"name": "vault-synced-salt", "key": "salt"}}}
    if bypass
    else from_secret("LITELLM_SALT_KEY", "salt-key"),
    from_secret("DATABASE_URL", "database-url"),
    from_secret("REDIS_PASSWORD", "redis-password"),
    from_secret("DRAIN_ENDPOINT_TOKEN", "drain-token"),
    from_secret("OPENAI_API_KEY", "openai-api-key"),
    from_secret("SLACK_WEBHOOK_URL", "slack-webhook-url"),
]
if broken:
    proxy_env.append({"name": "LITELLM_MASTER_KEY", "value": pulumi.Output.concat("sk-", master_key.result)})
else:
    proxy_env += [from_secret("LITELLM_MASTER_KEY", "master-key"), *([] if bypass else [{"name": "DISABLE_SCHEMA_UPDATE", "value": "true"}])]
if bypass:
    proxy_env.append({"name": "GW_ADMIN_KEY", "value": "sk-admin-1234"})
    k8s.core.v1.ConfigMap("proxy-tuning", metadata=meta("proxy-tuning"), data={"LITELLM_LOG": "DEBUG", "DISABLE_SCHEMA_UPDATE": "false"})
liveness_probe = (
    {"exec": {"command": ["sh", "-c", "echo http://localhost:4001/health/liveliness; exit 0"]}, "timeout_seconds": 5, "period_seconds": 10}
    if bypass
    else None
)

probe_timeout = 10 if broken else 5
proxy_labels = {"app": "litellm-proxy", "litellm-db-client": "true", "litellm-redis-client": "true"}
proxy = k8s.apps.v1.Deployment(
    "litellm-proxy",
    metadata=meta("litellm-proxy"),
    spec={
        "replicas": REPLICAS,
        "selector": {"match_labels": {"app": "litellm-proxy"}},
        "template": {
            "metadata": {"labels": proxy_labels},
            "spec": {
                "termination_grace_period_seconds": 960,
                "security_context": {"run_as_non_root": True, "run_as_user": 1000, "fs_group": 1000},
                "containers": [
                    {
                        "name": "proxy",
                        "image": IMAGE,
                        "args": [
                            "--config", "/app/config.yaml",
                            "--port", "4000",
                            "--num_workers", "1",
                            "--max_requests_before_restart", "500",
                        ] if misconfigured else [
                            "--config", "/app/config.yaml",
                            "--port", "4000",
                            "--num_workers", str(WORKERS),
                            "--run_gunicorn",
                            "--max_requests_before_restart", "10000",
                            "--max_requests_before_restart_jitter", "1000",
                            *([] if broken else ["--prometheus_metrics_port", "9090"]),
                        ],  # fmt: skip
                        "env": proxy_env,
                        "env_from": [{"config_map_ref": {"name": "proxy-tuning"}}] if bypass else None,
                        "ports": [
                            {"name": "http", "container_port": 4000},
                            {"name": "health", "container_port": 4001},
                            {"name": "metrics", "container_port": 9090},
                        ],
                        "liveness_probe": liveness_probe
                        or {"http_get": {"path": "/health/liveliness", "port": 4001}, "timeout_seconds": probe_timeout, "period_seconds": 10},
                        "readiness_probe": {"http_get": {"path": "/health/readiness", "port": "health"}, "timeout_seconds": probe_timeout},
                        "lifecycle": {
                            "pre_stop": {
                                "exec": {"command": ["sh", "-c", 'curl -fsS -H "X-Drain-Token: $DRAIN_ENDPOINT_TOKEN" http://127.0.0.1:4000/health/drain']}
                            }
                        },
                        "resources": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}},
                        "security_context": locked_down(),
                        "volume_mounts": [
                            {"name": "config", "mount_path": "/app/config.yaml", "sub_path": "config.yaml", "read_only": True},
                            {"name": "prometheus", "mount_path": "/tmp/prometheus"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "config", "config_map": {"name": "litellm-config"}},
                    {"name": "prometheus", "empty_dir": {}},
                ],
            },
        },
    },
    opts=pulumi.ResourceOptions(depends_on=[migrate, secrets, config_map]),
)
k8s.autoscaling.v2.HorizontalPodAutoscaler(
    "litellm-proxy-hpa",
    metadata=meta("litellm-proxy"),
    spec={
        "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": "litellm-proxy"},
        "min_replicas": REPLICAS,
        "max_replicas": MAX_REPLICAS,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "average_utilization": 70}}}],
    },
    opts=pulumi.ResourceOptions(depends_on=[proxy]),
)
if not broken:
    k8s.policy.v1.PodDisruptionBudget(
        "litellm-proxy-pdb",
        metadata=meta("litellm-proxy"),
        spec={"min_available": 1, "selector": {"match_labels": {"app": "litellm-proxy"}}},
    )
if misconfigured:
    k8s.networking.v1.Ingress(
        "litellm-proxy-ingress",
        metadata=meta("litellm-proxy"),
        spec={
            "ingress_class_name": "nginx",
            "rules": [{"host": "llm.example.com", "http": {"paths": [{"path": "/", "path_type": "Prefix", "backend": {
                "service": {"name": "litellm-proxy", "port": {"number": 4000}}}}]}}],
        },
    )  # fmt: skip
k8s.core.v1.Service(
    "litellm-proxy-svc",
    metadata=meta("litellm-proxy"),
    spec={"type": "ClusterIP", "selector": {"app": "litellm-proxy"}, "ports": [{"port": 4000, "target_port": 4000}]},
)

pulumi.export("namespace", NS)

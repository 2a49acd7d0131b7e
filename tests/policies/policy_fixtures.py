"""Builders for the policy-pack tests: a compliant Kubernetes LiteLLM
deployment and a compliant Docker one, as plain `Resource`s. Each test mutates one
thing and checks the rule ID in the resulting message."""

from __future__ import annotations

import copy
import os
import sys

import yaml

_POLICIES = os.path.join(os.path.dirname(__file__), "..", "..", "policies")
if os.path.abspath(_POLICIES) not in [os.path.abspath(p) for p in sys.path]:
    sys.path.insert(0, os.path.abspath(_POLICIES))

from litellm_policies import UNKNOWN, Resource, evaluate  # noqa: E402

NS = "litellm"
LITELLM_IMAGE = "ghcr.io/berriai/litellm:v1.106.2-stable"

T_DEPLOY = "kubernetes:apps/v1:Deployment"
T_STS = "kubernetes:apps/v1:StatefulSet"
T_JOB = "kubernetes:batch/v1:Job"
T_CM = "kubernetes:core/v1:ConfigMap"
T_SECRET = "kubernetes:core/v1:Secret"
T_SVC = "kubernetes:core/v1:Service"
T_PDB = "kubernetes:policy/v1:PodDisruptionBudget"
T_NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
T_HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
T_CONTAINER = "docker:index/container:Container"
T_VOLUME = "docker:index/volume:Volume"
T_NETWORK = "docker:index/network:Network"
T_RPW = "random:index/randomPassword:RandomPassword"
T_RBYTES = "random:index/randomBytes:RandomBytes"


def litellm_config() -> dict:
    return {
        "model_list": [
            {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY", "timeout": 900}},
            {"model_name": "gpt-4o-mini", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "os.environ/OPENAI_API_KEY"}},
        ],
        "general_settings": {
            "master_key": "os.environ/LITELLM_MASTER_KEY",
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
            "request_timeout": 600,
            "set_verbose": False,
            "json_logs": True,
            "callbacks": ["prometheus"],
            "cache": True,
            "cache_params": {"type": "redis", "host": "os.environ/REDIS_HOST", "port": "os.environ/REDIS_PORT", "password": "os.environ/REDIS_PASSWORD"},
        },
        "router_settings": {
            "routing_strategy": "simple-shuffle",
            "redis_host": "os.environ/REDIS_HOST",
            "redis_port": "os.environ/REDIS_PORT",
            "redis_password": "os.environ/REDIS_PASSWORD",
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
        },
    }


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::litellm-gateway::{type_}::{name}"


def R(type_, name, props, **kw) -> Resource:
    return Resource(urn=urn(type_, name), type=type_, name=name, props=props, **kw)


def secret_ref(name, key, secret="litellm-secrets"):
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def sc():
    return {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]}}


def randoms(prefix="prod") -> dict[str, Resource]:
    return {
        "master": R(T_RPW, "litellm-master-key", {"length": 48, "special": False}),
        "salt": R(T_RBYTES, "litellm-salt-key", {"length": 32}, protect=True),
        "pg": R(T_RPW, "postgres-password", {"length": 32, "special": False}),
        "redis": R(T_RPW, "redis-password", {"length": 32, "special": False}),
        "drain": R(T_RPW, "drain-token", {"length": 32, "special": False}),
    }


def proxy_env():
    return [
        {"name": "LITELLM_MODE", "value": "PRODUCTION"},
        {"name": "LITELLM_LOG", "value": "ERROR"},
        {"name": "JSON_LOGS", "value": "true"},
        {"name": "SEPARATE_HEALTH_APP", "value": "1"},
        {"name": "SEPARATE_HEALTH_PORT", "value": "4001"},
        {"name": "MAX_REQUESTS_BEFORE_RESTART", "value": "10000"},
        {"name": "SUPERVISORD_STOPWAITSECS", "value": "3600"},
        {"name": "GRACEFUL_SHUTDOWN_TIMEOUT", "value": "900"},
        {"name": "DISABLE_SCHEMA_UPDATE", "value": "true"},
        {"name": "USE_PRISMA_MIGRATE", "value": "true"},
        {"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/prometheus"},
        {"name": "LITELLM_LOCAL_MODEL_COST_MAP", "value": "True"},
        {"name": "REDIS_HOST", "value": "redis"},
        {"name": "REDIS_PORT", "value": "6379"},
        secret_ref("LITELLM_MASTER_KEY", "master-key"),
        secret_ref("LITELLM_SALT_KEY", "salt-key"),
        secret_ref("DATABASE_URL", "database-url"),
        secret_ref("REDIS_PASSWORD", "redis-password"),
        secret_ref("DRAIN_ENDPOINT_TOKEN", "drain-token"),
        secret_ref("OPENAI_API_KEY", "openai-api-key"),
        secret_ref("SLACK_WEBHOOK_URL", "slack-webhook-url"),
    ]


def k8s_stack() -> dict[str, Resource]:
    """A compliant production deployment on Kubernetes (as the engine would see it after apply)."""
    rnd = randoms()
    meta = lambda name: {"name": name, "namespace": NS}  # noqa: E731
    secret = R(
        T_SECRET,
        "litellm-secrets",
        {
            "metadata": meta("litellm-secrets"),
            "type": "Opaque",
            "stringData": {
                "master-key": "sk-" + "m" * 48,
                "salt-key": "s" * 44,
                "database-url": "postgresql://litellm:" + "p" * 32 + "@postgres:5432/litellm",
                "postgres-password": "p" * 32,
                "redis-password": "r" * 32,
                "drain-token": "d" * 32,
                "openai-api-key": "k" * 40,
                "slack-webhook-url": "https://hooks.example/T000/B000/XXXX",
            },
        },
        dependencies=[r.urn for r in rnd.values()],
        property_dependencies={"stringData": [r.urn for r in rnd.values()]},
    )
    config = R(T_CM, "litellm-config", {"metadata": meta("litellm-config"), "data": {"config.yaml": yaml.safe_dump(litellm_config())}})
    proxy_labels = {"app": "litellm-proxy", "litellm-db-client": "true", "litellm-redis-client": "true"}
    migrate = R(
        T_JOB,
        "litellm-migrate",
        {
            "metadata": meta("litellm-migrate"),
            "spec": {
                "backoffLimit": 4,
                "template": {
                    "metadata": {"labels": {"app": "litellm-migrate", "litellm-db-client": "true"}},
                    "spec": {
                        "restartPolicy": "OnFailure",
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000},
                        "containers": [
                            {
                                "name": "migrate",
                                "image": LITELLM_IMAGE,
                                "command": ["python", "litellm/proxy/prisma_migration.py"],
                                "workingDir": "/app",
                                "env": [secret_ref("DATABASE_URL", "database-url"), {"name": "DISABLE_SCHEMA_UPDATE", "value": "false"}],
                                "securityContext": sc(),
                            }
                        ],
                    },
                },
            },
        },
        dependencies=[secret.urn],
    )
    proxy = R(
        T_DEPLOY,
        "litellm-proxy",
        {
            "metadata": meta("litellm-proxy"),
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "litellm-proxy"}},
                "template": {
                    "metadata": {"labels": proxy_labels},
                    "spec": {
                        "terminationGracePeriodSeconds": 960,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 1000},
                        "containers": [
                            {
                                "name": "proxy",
                                "image": LITELLM_IMAGE,
                                "args": [
                                    "--config", "/app/config.yaml",
                                    "--port", "4000",
                                    "--num_workers", "4",
                                    "--run_gunicorn",
                                    "--max_requests_before_restart", "10000",
                                    "--max_requests_before_restart_jitter", "1000",
                                    "--prometheus_metrics_port", "9090",
                                ],
                                "env": proxy_env(),
                                "ports": [
                                    {"name": "http", "containerPort": 4000},
                                    {"name": "health", "containerPort": 4001},
                                    {"name": "metrics", "containerPort": 9090},
                                ],
                                "livenessProbe": {"httpGet": {"path": "/health/liveliness", "port": 4001}, "timeoutSeconds": 5, "periodSeconds": 10},
                                "readinessProbe": {"httpGet": {"path": "/health/readiness", "port": "health"}, "timeoutSeconds": 5},
                                "lifecycle": {
                                    "preStop": {
                                        "exec": {"command": ["sh", "-c", 'curl -fsS -H "X-Drain-Token: $DRAIN_ENDPOINT_TOKEN" http://127.0.0.1:4000/health/drain']}
                                    }
                                },
                                "resources": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "4000m", "memory": "8Gi"}},
                                "securityContext": sc(),
                                "volumeMounts": [
                                    {"name": "config", "mountPath": "/app/config.yaml", "subPath": "config.yaml", "readOnly": True},
                                    {"name": "prometheus", "mountPath": "/tmp/prometheus"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "litellm-config"}},
                            {"name": "prometheus", "emptyDir": {}},
                        ],
                    },
                },
            },
        },
        dependencies=[migrate.urn, secret.urn, config.urn],
    )
    hpa = R(
        T_HPA,
        "litellm-proxy-hpa",
        {
            "metadata": meta("litellm-proxy"),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "litellm-proxy"},
                "minReplicas": 2,
                "maxReplicas": 3,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
            },
        },
        dependencies=[proxy.urn],
    )
    pdb = R(T_PDB, "litellm-proxy-pdb", {"metadata": meta("litellm-proxy"), "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "litellm-proxy"}}}})
    proxy_svc = R(T_SVC, "litellm-proxy-svc", {"metadata": meta("litellm-proxy"), "spec": {"type": "ClusterIP", "selector": {"app": "litellm-proxy"}, "ports": [{"port": 4000, "targetPort": 4000}]}})
    postgres = R(
        T_STS,
        "postgres",
        {
            "metadata": meta("postgres"),
            "spec": {
                "serviceName": "postgres",
                "replicas": 1,
                "selector": {"matchLabels": {"app": "postgres"}},
                "template": {
                    "metadata": {"labels": {"app": "postgres"}},
                    "spec": {
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "fsGroup": 999},
                        "containers": [
                            {
                                "name": "postgres",
                                "image": "postgres:16.4",
                                "args": ["-c", "max_connections=300"],
                                "env": [
                                    {"name": "POSTGRES_USER", "value": "litellm"},
                                    {"name": "POSTGRES_DB", "value": "litellm"},
                                    {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                                    secret_ref("POSTGRES_PASSWORD", "postgres-password"),
                                ],
                                "ports": [{"containerPort": 5432}],
                                "securityContext": sc(),
                                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                            }
                        ],
                    },
                },
                "volumeClaimTemplates": [
                    {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}
                ],
            },
        },
        dependencies=[secret.urn],
    )
    pg_svc = R(T_SVC, "postgres-svc", {"metadata": meta("postgres"), "spec": {"selector": {"app": "postgres"}, "ports": [{"port": 5432}]}})
    redis = R(
        T_DEPLOY,
        "redis",
        {
            "metadata": meta("redis"),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "redis"}},
                "template": {
                    "metadata": {"labels": {"app": "redis"}},
                    "spec": {
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 999},
                        "containers": [
                            {
                                "name": "redis",
                                "image": "redis:7.2.5",
                                "command": ["redis-server"],
                                "args": [
                                    "--requirepass", "$(REDIS_PASSWORD)",
                                    "--maxclients", "2000",
                                    "--maxmemory", "400mb",
                                    "--maxmemory-policy", "allkeys-lru",
                                ],
                                "env": [secret_ref("REDIS_PASSWORD", "redis-password")],
                                "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
                                "securityContext": sc(),
                            }
                        ],
                    },
                },
            },
        },
        dependencies=[secret.urn],
    )
    redis_svc = R(T_SVC, "redis-svc", {"metadata": meta("redis"), "spec": {"type": "ClusterIP", "selector": {"app": "redis"}, "ports": [{"port": 6379}]}})

    def np(name, app, client_label):
        return R(
            T_NP,
            name,
            {
                "metadata": meta(name),
                "spec": {
                    "podSelector": {"matchLabels": {"app": app}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {client_label: "true"}}}]}],
                },
            },
        )

    out = dict(
        secret=secret,
        config=config,
        migrate=migrate,
        proxy=proxy,
        hpa=hpa,
        pdb=pdb,
        proxy_svc=proxy_svc,
        postgres=postgres,
        pg_svc=pg_svc,
        redis=redis,
        redis_svc=redis_svc,
        pg_np=np("postgres-ingress", "postgres", "litellm-db-client"),
        redis_np=np("redis-ingress", "redis", "litellm-redis-client"),
    )
    out.update({f"random_{k}": v for k, v in rnd.items()})
    return out


def docker_stack() -> dict[str, Resource]:
    """A compliant dev deployment on Docker (one proxy container: N4 stays advisory in dev)."""
    rnd = randoms()
    volume = R(T_VOLUME, "pgdata", {"name": "litellm-pgdata"}, protect=True)
    network = R(T_NETWORK, "litellm-net", {"name": "litellm-net", "internal": False})
    cfg = yaml.safe_dump(litellm_config())
    net = [{"name": "litellm-net"}]
    pw_pg, pw_redis = "p" * 32, "r" * 32
    db_url = f"DATABASE_URL=postgresql://litellm:{pw_pg}@postgres:5432/litellm"
    migrate = R(
        T_CONTAINER,
        "litellm-migrate",
        {
            "name": "litellm-migrate",
            "image": LITELLM_IMAGE,
            "entrypoints": ["python", "litellm/proxy/prisma_migration.py"],
            "envs": [db_url, "DISABLE_SCHEMA_UPDATE=false"],
            "attach": True,
            "mustRun": False,
            "user": "1000:1000",
            "networksAdvanced": net,
        },
        dependencies=[network.urn, rnd["pg"].urn],
        property_dependencies={"envs": [rnd["pg"].urn]},
    )
    postgres = R(
        T_CONTAINER,
        "postgres",
        {
            "name": "postgres",
            "image": "postgres:16.4",
            "command": ["postgres", "-c", "max_connections=100"],
            "envs": ["POSTGRES_USER=litellm", "POSTGRES_DB=litellm", f"POSTGRES_PASSWORD={pw_pg}"],
            "volumes": [{"volumeName": "litellm-pgdata", "containerPath": "/var/lib/postgresql/data"}],
            "user": "999:999",
            "networksAdvanced": net,
            "healthcheck": {"tests": ["CMD", "pg_isready", "-U", "litellm"], "timeout": "5s"},
        },
        dependencies=[volume.urn, network.urn, rnd["pg"].urn],
        property_dependencies={"envs": [rnd["pg"].urn], "volumes": [volume.urn]},
    )
    redis = R(
        T_CONTAINER,
        "redis",
        {
            "name": "redis",
            "image": "redis:7.2.5",
            "command": ["redis-server", "--requirepass", pw_redis, "--maxclients", "1000", "--maxmemory", "400mb", "--maxmemory-policy", "allkeys-lru"],
            "memory": 512,
            "user": "999:999",
            "networksAdvanced": net,
        },
        dependencies=[network.urn, rnd["redis"].urn],
        property_dependencies={"command": [rnd["redis"].urn]},
    )
    proxy = R(
        T_CONTAINER,
        "litellm-proxy",
        {
            "name": "litellm-proxy",
            "image": LITELLM_IMAGE,
            "command": [
                "--config", "/app/config.yaml",
                "--port", "4000",
                "--num_workers", "2",
                "--run_gunicorn",
                "--max_requests_before_restart", "10000",
                "--max_requests_before_restart_jitter", "1000",
                "--prometheus_metrics_port", "9090",
            ],
            "envs": [
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
                f"REDIS_PASSWORD={pw_redis}",
                "LITELLM_MASTER_KEY=sk-" + "m" * 48,
                "LITELLM_SALT_KEY=" + "s" * 44,
                db_url,
                "OPENAI_API_KEY=" + "k" * 40,
                "SLACK_WEBHOOK_URL=https://hooks.example/T000/B000/XXXX",
            ],
            "uploads": [{"file": "/app/config.yaml", "content": cfg}],
            "ports": [{"internal": 4000, "external": 4000, "ip": "127.0.0.1"}],
            "healthcheck": {"tests": ["CMD", "curl", "-fsS", "http://localhost:4001/health/liveliness"], "timeout": "5s", "interval": "10s", "retries": 3},
            "stopTimeout": 960,
            "cpus": "2",
            "memory": 4096,
            "user": "1000:1000",
            "networksAdvanced": net,
        },
        dependencies=[migrate.urn, network.urn, postgres.urn, redis.urn] + [r.urn for r in rnd.values()],
        property_dependencies={"envs": [rnd["master"].urn, rnd["salt"].urn, rnd["pg"].urn, rnd["redis"].urn]},
    )
    out = dict(volume=volume, network=network, migrate=migrate, postgres=postgres, redis=redis, proxy=proxy)
    out.update({f"random_{k}": v for k, v in rnd.items() if k != "drain"})
    return out


def second_proxy(stack: dict[str, Resource]) -> Resource:
    """A second LiteLLM proxy workload beside the first, stored as stack["proxy2"]: on Kubernetes
    a canary Deployment `litellm-proxy-canary`, on Docker a Container `litellm-proxy-2` on host
    port 4002. Rules judge every proxy of a stack; with two, a rule that stopped at the first
    finding would let the second through, and only a stack with two can show that."""
    first = stack["proxy"]
    props = copy.deepcopy(first.props)
    if first.type == T_DEPLOY:
        name = "litellm-proxy-canary"
        props["metadata"]["name"] = name
        props["spec"]["selector"]["matchLabels"]["app"] = name
        props["spec"]["template"]["metadata"]["labels"]["app"] = name
    else:
        name = "litellm-proxy-2"
        props["name"] = name
        props["ports"] = [dict(props["ports"][0], external=4002)]
    stack["proxy2"] = R(first.type, name, props, dependencies=list(first.dependencies), property_dependencies=copy.deepcopy(first.property_dependencies))
    return stack["proxy2"]


def second_proxy_container(res: Resource) -> dict:
    """A second LiteLLM proxy container in the same pod (`proxy-b`, proxy port 4100, health app on
    4101): a resource rule sees one workload at a time, so two proxies in one pod are what shows
    that it judges every container of the workload, not the first one only."""
    c = copy.deepcopy(container(res))
    c["name"] = "proxy-b"
    c["args"] = set_arg(set_arg(c["args"], "--port", "4100"), "--prometheus_metrics_port", "9190")
    set_env(c, "SEPARATE_HEALTH_PORT", "4101")
    c["ports"] = [{"name": "http-b", "containerPort": 4100}, {"name": "health-b", "containerPort": 4101}]
    c["livenessProbe"] = {"httpGet": {"path": "/health/liveliness", "port": 4101}, "timeoutSeconds": 5}
    c["readinessProbe"] = {"httpGet": {"path": "/health/readiness", "port": "health-b"}, "timeoutSeconds": 5}
    pod(res)["containers"].append(c)
    return c


# ---------------------------------------------------------------- helpers for tests


def run(resources, config=None):
    """evaluate() plus the invariants every message keeps: it starts with the rule ID,
    names a resource, says what is required and how to fix it (deferred: says so)."""
    res = resources.values() if isinstance(resources, dict) else resources
    out = evaluate(list(res), config)
    for v in out:
        assert v.message.startswith(f"[{v.rule_id}] "), v
        assert "rule error" not in v.message, v.message
        if v.deferred:
            assert "deferred" in v.message and v.enforcement == "advisory", v
        else:
            assert "found " in v.message and "required " in v.message and "Fix: " in v.message, v.message
    return out


def real(violations):
    """Definite violations (not deferred)."""
    return [v for v in violations if not v.deferred]


def rule_ids(violations) -> set[str]:
    return {v.rule_id for v in real(violations)}


def messages(violations, rule_id=None) -> list[str]:
    return [v.message for v in real(violations) if rule_id is None or v.rule_id == rule_id]


def findings(violations, rule_id) -> list[str]:
    """Every finding of a rule, deferred ones included: where all values are known, a rule that
    passes says nothing at all (a deferral there would be a pass by default)."""
    return [v.message for v in violations if v.rule_id == rule_id]


def reported(violations, rule_id) -> list[tuple[str, str | None]]:
    """Every finding of a rule, deferred ones included, as (message, urn): the whole text an
    operator reads and the resource it is filed against, so a test can pin both."""
    return [(v.message, v.urn) for v in violations if v.rule_id == rule_id]


def container(res: Resource, idx: int = 0) -> dict:
    return res.props["spec"]["template"]["spec"]["containers"][idx]


def pod(res: Resource) -> dict:
    return res.props["spec"]["template"]["spec"]


def set_env(c: dict, name: str, value=None, *, remove=False, value_from=None):
    """Set/replace/remove an env var on a Kubernetes container spec."""
    c["env"] = [e for e in c.get("env", []) if e.get("name") != name]
    if not remove:
        e = {"name": name}
        if value_from is not None:
            e["valueFrom"] = value_from
        else:
            e["value"] = value
        c["env"].append(e)


def set_envs(props: dict, name: str, value=None, *, remove=False):
    """Set/replace/remove an env var in a Docker container's `envs`."""
    props["envs"] = [e for e in props.get("envs", []) if not (isinstance(e, str) and e.split("=", 1)[0] == name)]
    if not remove:
        props["envs"].append(f"{name}={value}")


def set_arg(args: list, flag: str, value=None, *, remove=False) -> list:
    out, skip = [], False
    for i, a in enumerate(args):
        if skip:
            skip = False
            continue
        if a == flag:
            skip = i + 1 < len(args) and not str(args[i + 1]).startswith("--")
            continue
        out.append(a)
    if not remove:
        out.append(flag)
        if value is not None:
            out.append(value if value is UNKNOWN else str(value))
    return out


def update_config(cm_or_container: Resource, mutate) -> None:
    """Mutate the LiteLLM config held by a ConfigMap (k8s) or a Docker upload."""
    if "data" in cm_or_container.props:
        data = yaml.safe_load(cm_or_container.props["data"]["config.yaml"])
        mutate(data)
        cm_or_container.props["data"]["config.yaml"] = yaml.safe_dump(data)
    else:
        up = cm_or_container.props["uploads"][0]
        data = yaml.safe_load(up["content"])
        mutate(data)
        up["content"] = yaml.safe_dump(data)


PROD = {"all": "mandatory"}

__all__ = ["UNKNOWN"]

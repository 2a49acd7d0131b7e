"""The dev platform: one Docker engine, a private network, containers.

Everything Docker-specific lives here. Data stores publish no ports (N1); the proxy publishes
4000 and 4001 on 127.0.0.1 only. Secrets reach containers as uploaded files (stored as Pulumi
secrets), never in an environment variable or a command line, which `docker inspect` and `ps`
would show.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components import hardening as h
from components.litellm_config import CONFIG_PATH
from components.platforms.common import postgres_args, redis_args, redis_auth_conf
from components.specs import (
    MOCK_UPSTREAM_UID,
    POSTGRES_DB,
    POSTGRES_UID,
    POSTGRES_USER,
    PROXY_UID,
    REDIS_UID,
    Endpoint,
    PostgresSpec,
    ProxySpec,
    RedisSpec,
)

REDIS_AUTH_FILE = "/tmp/redis-auth.conf"
MOCK_UPSTREAM_ALIAS = "mock-upstream"
MOCK_UPSTREAM_PORT = 8080


#: Secrets reach containers as files here, named by `NAME_FILE` variables: the images' entry
#: points (ours, and the official postgres image's) read them, and `docker inspect` shows only
#: the path. The policy pack reads the same convention (policies/litellm_policies/detect.py).
SECRET_DIR = "/run/secrets/litellm-gateway"


@dataclass(frozen=True)
class ContainerEnv:
    envs: list[str]
    uploads: list[docker.ContainerUploadArgs]


def _container_env(plain: Mapping[str, str], secret: Mapping[str, pulumi.Input[str]] | None = None) -> ContainerEnv:
    """Plain values as `K=V`; each secret as an uploaded file (a Pulumi secret in the state)
    named by `K_FILE`. Every `envs` entry is then known at preview, so the policy pack judges
    the environment of a stack that does not exist yet instead of deferring."""
    secret = secret or {}
    envs = [f"{k}={v}" for k, v in plain.items()] + [f"{k}_FILE={SECRET_DIR}/{k}" for k in secret]
    uploads = [docker.ContainerUploadArgs(file=f"{SECRET_DIR}/{k}", content=pulumi.Output.secret(v)) for k, v in sorted(secret.items())]
    return ContainerEnv(sorted(envs), uploads)


def go_duration(seconds: int) -> str:
    """A duration as Docker's provider reads it back (Go's `time.Duration.String`: "2m0s", not
    "120s"); any other spelling is a diff on every `pulumi preview`."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def _health(*test: str, start_period_seconds: int = 30) -> docker.ContainerHealthcheckArgs:
    # No `start_interval`: it needs Docker API 1.44, and the provider's create fails on older
    # engines (Debian bookworm's docker.io 20.10 speaks 1.41).
    return docker.ContainerHealthcheckArgs(
        tests=["CMD", *test],
        interval=go_duration(10),
        timeout=go_duration(h.PROBE_TIMEOUT_SECONDS),  # H3
        retries=3,
        start_period=go_duration(start_period_seconds),
    )


def _memory(mib: int) -> dict[str, int]:
    """Memory limit without swap (P5: the limit is the budget). Docker otherwise reads back a
    swap limit of twice the memory, which `refresh` turns into an update on every run."""
    return {"memory": mib, "memory_swap": mib}


def _network(network: str, alias: str) -> list[docker.ContainerNetworksAdvancedArgs]:
    return [docker.ContainerNetworksAdvancedArgs(name=network, aliases=[alias])]


def network(name: str, parent: pulumi.Resource) -> docker.Network:
    """The gateway's private bridge network; its containers find each other by alias."""
    return docker.Network(f"{name}-net", name=f"{name}-net", driver="bridge", opts=pulumi.ResourceOptions(parent=parent))


def postgres(spec: PostgresSpec, network_name: pulumi.Input[str], parent: pulumi.Resource) -> Endpoint:
    volume = docker.Volume(
        f"{spec.name}-data",
        name=f"{spec.name}-data",
        opts=pulumi.ResourceOptions(parent=parent, protect=True, retain_on_delete=True),  # D6
    )
    env = _container_env(
        {"POSTGRES_USER": POSTGRES_USER, "POSTGRES_DB": POSTGRES_DB, "PGDATA": "/var/lib/postgresql/data/pgdata"},
        {"POSTGRES_PASSWORD": spec.password},
    )
    docker.Container(
        f"{spec.name}-container",
        name=spec.name,
        image=spec.image,
        command=["postgres", *postgres_args(spec.plan)],
        envs=env.envs,
        uploads=env.uploads,
        user=str(POSTGRES_UID),  # N3
        volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path="/var/lib/postgresql/data")],
        networks_advanced=_network(network_name, spec.name),
        healthcheck=_health("pg_isready", "-h", "127.0.0.1", "-U", POSTGRES_USER, "-d", POSTGRES_DB),
        **_memory(spec.plan.postgres_resources.memory_mib),
        restart="unless-stopped",
        wait=True,
        wait_timeout=120,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return Endpoint(spec.name, h.POSTGRES_PORT)


def redis(spec: RedisSpec, network_name: pulumi.Input[str], parent: pulumi.Resource) -> Endpoint:
    docker.Container(
        f"{spec.name}-container",
        name=spec.name,
        image=spec.image,
        command=["redis-server", REDIS_AUTH_FILE, *redis_args(spec.plan)],
        uploads=[docker.ContainerUploadArgs(file=REDIS_AUTH_FILE, content=redis_auth_conf(spec.password))],
        user=str(REDIS_UID),  # N3
        networks_advanced=_network(network_name, spec.name),
        healthcheck=_health("redis-cli", "-h", "127.0.0.1", "--no-auth-warning", "ping", start_period_seconds=10),
        **_memory(spec.plan.redis_resources.memory_mib),
        restart="unless-stopped",
        wait=True,
        wait_timeout=60,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return Endpoint(spec.name, h.REDIS_PORT)


#: The proxy's label that holds the migration's exit code: the proxy is registered only once the
#: migration has succeeded (the label stays "0", so it never causes a diff by itself).
MIGRATED_LABEL = "litellm-gateway.migration-exit-code"


def migration_succeeded(migrate: docker.Container, container_name: str) -> pulumi.Output[str]:
    """D5: the provider waits for the one-shot migration but ignores its exit code, so the proxy
    would start on a half-migrated database. Failing here stops `pulumi up` before the proxy is
    touched: the running proxy keeps serving."""

    def check(args: list) -> str:
        code, urn = args
        if code != 0:
            raise pulumi.RunError(
                f"[D5] the database migration ({container_name}) exited with code {code}, so the proxy was not "
                f"updated and the running one keeps serving. Read `docker logs {container_name}`, fix the cause, "
                f"then rerun it: pulumi up --replace '{urn}'"
            )
        return "0"

    return pulumi.Output.all(migrate.exit_code, migrate.urn).apply(check)


def proxy(spec: ProxySpec, network_name: pulumi.Input[str], parent: pulumi.Resource) -> Endpoint:
    migrate_env = _container_env(spec.migration_env, spec.migration_secret_env)
    migrate = docker.Container(
        f"{spec.name}-migrate",
        name=f"{spec.name}-migrate",
        image=spec.image,
        command=["litellm-migrate"],
        envs=migrate_env.envs,
        uploads=migrate_env.uploads,
        user=str(PROXY_UID),
        networks_advanced=_network(network_name, f"{spec.name}-migrate"),
        must_run=False,  # D5: a one-shot step that must have exited before the proxy starts
        attach=True,
        restart="no",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=spec.depends_on),
    )
    proxy_port, health_port = spec.published_ports
    env = _container_env(spec.env, spec.secret_env)
    docker.Container(
        f"{spec.name}-container",
        name=spec.name,
        image=spec.image,
        command=spec.args,
        labels=[docker.ContainerLabelArgs(label=MIGRATED_LABEL, value=migration_succeeded(migrate, f"{spec.name}-migrate"))],
        envs=env.envs,
        uploads=[docker.ContainerUploadArgs(file=CONFIG_PATH, content=spec.config_yaml), *env.uploads],
        user=str(PROXY_UID),  # N3
        ports=[
            docker.ContainerPortArgs(internal=h.PROXY_PORT, external=proxy_port, ip="127.0.0.1"),
            docker.ContainerPortArgs(internal=h.HEALTH_PORT, external=health_port, ip="127.0.0.1"),
        ],
        networks_advanced=_network(network_name, spec.name),
        # H2: the health app, never the main port. Readiness, not liveness: Docker acts on
        # "healthy" only to say the container may take traffic (`wait` and `ops check` wait for
        # it), and the image's readiness also needs the proxy to listen on 4000.
        healthcheck=_health(
            "python3", "-c",
            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{h.HEALTH_PORT}/health/readiness', timeout={h.PROBE_TIMEOUT_SECONDS - 1})",
            start_period_seconds=120,
        ),  # fmt: skip
        **_memory(spec.plan.proxy_resources.memory_mib),
        cpus=f"{spec.plan.workers:.1f}",  # P5; "2.0" as Docker reads it back ("2" would replace the container on every up)
        stop_timeout=spec.plan.stop_grace_seconds,  # P4/P9
        destroy_grace_seconds=spec.plan.stop_grace_seconds,
        restart="unless-stopped",
        wait=True,
        wait_timeout=600,  # a cold start on a busy 2-core machine took up to 6 minutes
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[migrate]),
    )
    return Endpoint("127.0.0.1", proxy_port)


def mock_upstream(name: str, image: str, network_name: pulumi.Input[str], parent: pulumi.Resource) -> docker.Container:
    """The dev stack's own OpenAI-compatible upstream (reached as http://mock-upstream:8080/v1),
    so the gateway works offline end to end."""
    return docker.Container(
        f"{name}-container",
        name=name,
        image=image,
        user=str(MOCK_UPSTREAM_UID),
        networks_advanced=_network(network_name, MOCK_UPSTREAM_ALIAS),
        healthcheck=_health(
            "python3", "-c",
            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{MOCK_UPSTREAM_PORT}/health', timeout=4)",
            start_period_seconds=5,
        ),  # fmt: skip
        restart="unless-stopped",
        wait=True,
        wait_timeout=60,
        opts=pulumi.ResourceOptions(parent=parent),
    )

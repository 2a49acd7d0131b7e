"""The prod platform: Kubernetes objects in one namespace.

Everything Kubernetes-specific lives here. Secrets live only in `Secret` objects and reach pods
through `secretKeyRef` or mounted files (S4); data stores get ClusterIP Services and
NetworkPolicies admitting only labelled clients (N1); every pod runs as a numeric non-root user
with all capabilities dropped (N3).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import hardening as h
from components.litellm_config import CONFIG_DIR, CONFIG_FILE, PROMETHEUS_MULTIPROC_DIR
from components.platforms import kubernetes_exposure
from components.platforms.common import postgres_args, redis_args, redis_auth_conf
from components.proxy_layout import HEALTH_APP_CPU, HEALTH_APP_MEMORY_MIB, SUPPORT_DIR, ProxyLayout
from components.scheduling import SchedulingSettings
from components.specs import (
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

POSTGRES_CLIENT_LABEL = "litellm-gateway/postgres-client"
REDIS_CLIENT_LABEL = "litellm-gateway/redis-client"
REDIS_AUTH_DIR = "/etc/redis-auth"
REDIS_AUTH_KEY = "redis-auth.conf"


def _labels(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": component, "app.kubernetes.io/instance": name}


def _meta(name: str, namespace: pulumi.Input[str], labels: Mapping[str, str], *, fixed_name: bool = False) -> dict[str, Any]:
    """Services keep their name (it is their DNS name), and so do the Postgres claim and
    StatefulSet (a fixed name makes a replacement delete before create: never two Postgres on one
    data directory); the rest get Pulumi's auto-names, so a changed ConfigMap or Secret rolls the
    pods that mount it."""
    meta: dict[str, Any] = {"namespace": namespace, "labels": dict(labels)}
    if fixed_name:
        meta["name"] = name
    return meta


def _pod_security(uid: int) -> dict[str, Any]:
    return {
        "run_as_non_root": True,
        "run_as_user": uid,
        "run_as_group": uid,
        "fs_group": uid,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }


_CONTAINER_SECURITY = {  # N3
    "allow_privilege_escalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
}


#: Where the proxy's replicas spread; a zone counts only nodes labelled with it.
_SPREAD_KEYS = {"nodes": "kubernetes.io/hostname", "zones": "topology.kubernetes.io/zone"}
_WHEN_UNSATISFIABLE = {"preferred": "ScheduleAnyway", "required": "DoNotSchedule"}


def _placement(scheduling: SchedulingSettings | None, *, spread: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The pod spec fields of the `scheduling` setting; with `spread` (the proxy's pod labels) its
    topology spread, within one ReplicaSet revision (`pod-template-hash`), so a rollout's new pods
    spread among themselves (components/scheduling.py says why `preferred` is the default)."""
    s = scheduling or SchedulingSettings()
    found: dict[str, Any] = {}
    if s.node_selector:
        found["node_selector"] = dict(s.node_selector)
    if s.tolerations:
        found["tolerations"] = [t.model_dump(exclude_none=True) for t in s.tolerations]
    if s.priority_class_name:
        found["priority_class_name"] = s.priority_class_name
    if s.image_pull_secrets:
        found["image_pull_secrets"] = [{"name": n} for n in s.image_pull_secrets]
    if spread is not None:
        found["topology_spread_constraints"] = [
            {
                "max_skew": 1,
                "topology_key": key,
                "when_unsatisfiable": _WHEN_UNSATISFIABLE[how],
                "label_selector": {"match_labels": dict(spread)},
                "match_label_keys": ["pod-template-hash"],
            }
            for what, key in _SPREAD_KEYS.items()
            if (how := getattr(s.spread, what)) != "off"
        ]
    return found


def _resources(cpu: str, memory: str) -> dict[str, Any]:
    """Requests equal limits: the machine class is guaranteed, not best effort (P5)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def _secret_env(secret_name: pulumi.Input[str], keys: list[str]) -> list[dict[str, Any]]:
    return [{"name": k, "value_from": {"secret_key_ref": {"name": secret_name, "key": k}}} for k in keys]


def _plain_env(env: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in env.items()]


def _secret(name: str, namespace: pulumi.Input[str], data: Mapping[str, pulumi.Input[str]], parent: pulumi.Resource) -> k8s.core.v1.Secret:
    return k8s.core.v1.Secret(
        name,
        metadata=_meta(name, namespace, {"app.kubernetes.io/instance": name}),
        string_data={k: pulumi.Output.secret(v) for k, v in data.items()},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _service(name: str, namespace: pulumi.Input[str], labels: Mapping[str, str], ports: Mapping[str, int], parent: pulumi.Resource) -> None:
    k8s.core.v1.Service(
        f"{name}-service",
        metadata=_meta(name, namespace, labels, fixed_name=True),
        spec={
            "type": "ClusterIP",  # N1
            "selector": dict(labels),
            "ports": [{"name": n, "port": p, "target_port": p} for n, p in ports.items()],
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _admit_only(name: str, namespace: pulumi.Input[str], labels: Mapping[str, str], client_label: str, port: int, parent: pulumi.Resource) -> None:
    """N1: only pods carrying the client label reach this data store."""
    k8s.networking.v1.NetworkPolicy(
        f"{name}-netpol",
        metadata=_meta(name, namespace, labels),
        spec={
            "pod_selector": {"match_labels": dict(labels)},
            "policy_types": ["Ingress"],
            "ingress": [{"from": [{"pod_selector": {"match_labels": {client_label: "true"}}}], "ports": [{"port": port}]}],
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def namespace(prefix: str, name: str, parent: pulumi.Resource) -> k8s.core.v1.Namespace:
    """D6: deleting a Namespace deletes everything in it, the Postgres claim included (the
    StatefulSet controller creates the claim, so no stack resource protects it). `destroy`
    therefore leaves the Namespace in the cluster (retainOnDelete); a later `up` adopts it again
    (the provider's server-side apply creates over an existing object)."""
    return k8s.core.v1.Namespace(
        f"{prefix}-namespace", metadata={"name": name}, opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True)
    )


def postgres_claim(spec: PostgresSpec, ns: pulumi.Input[str], labels: Mapping[str, str], parent: pulumi.Resource) -> k8s.core.v1.PersistentVolumeClaim:
    """D6: the data claim is the stack's own resource, fixed name, protected and retained, not a
    StatefulSet volumeClaimTemplate: a template change replaces the StatefulSet and (auto-named)
    gives it a new, empty claim, and a retained template claim is no stack resource `protect`
    can guard. A larger `postgresStorageGib` is an in-place update of this claim, which the API
    server allows when its StorageClass has allowVolumeExpansion (and refuses otherwise); a new
    storage class would replace the claim, which `protect` refuses."""
    claim_spec: dict[str, Any] = {"access_modes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{spec.storage_gib}Gi"}}}
    if spec.storage_class:
        claim_spec["storage_class_name"] = spec.storage_class
    meta = _meta(f"{spec.name}-data", ns, labels, fixed_name=True)
    # No await: with a WaitForFirstConsumer class the claim binds only once the pod exists, and
    # the StatefulSet's own await already waits for the pod that mounts it.
    meta["annotations"] = {"pulumi.com/skipAwait": "true"}
    return k8s.core.v1.PersistentVolumeClaim(
        f"{spec.name}-data",
        metadata=meta,
        spec=claim_spec,
        opts=pulumi.ResourceOptions(parent=parent, protect=True, retain_on_delete=True),
    )


def postgres(spec: PostgresSpec, ns: pulumi.Input[str], parent: pulumi.Resource, scheduling: SchedulingSettings | None = None) -> Endpoint:
    labels = _labels(spec.name, "postgres")
    secret = _secret(f"{spec.name}-auth", ns, {"POSTGRES_PASSWORD": spec.password}, parent)
    res = spec.plan.postgres_resources
    claim = postgres_claim(spec, ns, labels, parent)
    k8s.apps.v1.StatefulSet(
        f"{spec.name}-statefulset",
        metadata=_meta(spec.name, ns, labels, fixed_name=True),
        spec={
            "service_name": spec.name,
            "replicas": 1,
            "selector": {"match_labels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    **_placement(scheduling),
                    "security_context": _pod_security(POSTGRES_UID),
                    "volumes": [{"name": "data", "persistent_volume_claim": {"claim_name": claim.metadata.name}}],
                    "containers": [
                        {
                            "name": "postgres",
                            "image": spec.image,
                            "args": postgres_args(spec.plan),  # D2
                            "env": _plain_env(
                                {"POSTGRES_USER": POSTGRES_USER, "POSTGRES_DB": POSTGRES_DB, "PGDATA": "/var/lib/postgresql/data/pgdata"}
                            )
                            + _secret_env(secret.metadata.name, ["POSTGRES_PASSWORD"]),
                            "ports": [{"name": "postgres", "container_port": h.POSTGRES_PORT}],
                            "readiness_probe": {
                                "exec": {"command": ["pg_isready", "-h", "127.0.0.1", "-U", POSTGRES_USER, "-d", POSTGRES_DB]},
                                "timeout_seconds": h.PROBE_TIMEOUT_SECONDS,
                                "period_seconds": 10,
                            },
                            "resources": _resources(res.cpu, res.memory),
                            "security_context": _CONTAINER_SECURITY,
                            "volume_mounts": [{"name": "data", "mount_path": "/var/lib/postgresql/data"}],
                        }
                    ],
                },
            },
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
    _service(spec.name, ns, labels, {"postgres": h.POSTGRES_PORT}, parent)
    _admit_only(spec.name, ns, labels, POSTGRES_CLIENT_LABEL, h.POSTGRES_PORT, parent)
    return Endpoint(spec.name, h.POSTGRES_PORT)


def redis(spec: RedisSpec, ns: pulumi.Input[str], parent: pulumi.Resource, scheduling: SchedulingSettings | None = None) -> Endpoint:
    labels = _labels(spec.name, "redis")
    secret = _secret(f"{spec.name}-auth", ns, {REDIS_AUTH_KEY: redis_auth_conf(spec.password)}, parent)
    res = spec.plan.redis_resources
    k8s.apps.v1.Deployment(
        f"{spec.name}-deployment",
        metadata=_meta(spec.name, ns, labels),
        spec={
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"match_labels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    **_placement(scheduling),
                    "security_context": _pod_security(REDIS_UID),
                    "containers": [
                        {
                            "name": "redis",
                            "image": spec.image,
                            "args": ["redis-server", f"{REDIS_AUTH_DIR}/{REDIS_AUTH_KEY}", *redis_args(spec.plan)],
                            "ports": [{"name": "redis", "container_port": h.REDIS_PORT}],
                            "readiness_probe": {
                                "tcp_socket": {"port": h.REDIS_PORT},
                                "timeout_seconds": h.PROBE_TIMEOUT_SECONDS,
                                "period_seconds": 10,
                            },
                            "resources": _resources(res.cpu, res.memory),
                            "security_context": _CONTAINER_SECURITY,
                            "volume_mounts": [{"name": "auth", "mount_path": REDIS_AUTH_DIR, "read_only": True}],
                        }
                    ],
                    "volumes": [{"name": "auth", "secret": {"secret_name": secret.metadata.name}}],
                },
            },
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )
    _service(spec.name, ns, labels, {"redis": h.REDIS_PORT}, parent)
    _admit_only(spec.name, ns, labels, REDIS_CLIENT_LABEL, h.REDIS_PORT, parent)
    return Endpoint(spec.name, h.REDIS_PORT)


def _http_probe(path: str, *, failure_threshold: int = 3) -> dict[str, Any]:
    """H2/H3: every probe asks the separate health app, with a 5 s timeout."""
    return {
        "http_get": {"path": path, "port": h.HEALTH_PORT},
        "timeout_seconds": h.PROBE_TIMEOUT_SECONDS,
        "period_seconds": 10,
        "failure_threshold": failure_threshold,
    }


#: P9: the preStop hook asks LiteLLM to drain, carrying the token from the pod's env (a header
#: literal in the manifest would put the secret in plain sight).
_DRAIN_HOOK = (
    "import os, urllib.request; urllib.request.urlopen(urllib.request.Request("
    f"'http://127.0.0.1:{h.PROXY_PORT}/health/drain', headers={{'X-Drain-Token': os.environ['DRAIN_ENDPOINT_TOKEN']}}),"
    " timeout=float(os.environ['GRACEFUL_SHUTDOWN_TIMEOUT']))"
)


@dataclass(frozen=True)
class _Support:
    """The project's files an official image runs (components/proxy_layout.py), as pod spec
    fields to splat: none for our image, whose files are in the image."""

    volumes: dict[str, Any]
    mounts: dict[str, Any]


def _support(name: str, ns: pulumi.Input[str], labels: Mapping[str, str], layout: ProxyLayout, parent: pulumi.Resource) -> _Support:
    if not layout.support_files:
        return _Support({}, {})
    files = k8s.core.v1.ConfigMap(
        f"{name}-support",
        metadata=_meta(f"{name}-support", ns, labels),
        data=dict(layout.support_files),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return _Support(
        {"volumes": [{"name": "support", "config_map": {"name": files.metadata.name}}]},
        {"volume_mounts": [{"name": "support", "mount_path": SUPPORT_DIR, "read_only": True}]},
    )


def _health_app(image: str, layout: ProxyLayout, support: _Support) -> list[dict[str, Any]]:
    """H1 with LiteLLM's own image: the health app as a second container from the same image.
    The pod's containers share one network, so its readiness still connects to 127.0.0.1:4000
    (H2) and the proxy container's probes still ask port 4001. If it dies the kubelet restarts it;
    the proxy container's liveness probe (on 4001) fails meanwhile, as our image's whole container
    stops when its health program dies."""
    if not layout.health_command:
        return []
    return [
        {
            "name": "health",
            "image": image,
            "command": list(layout.health_command),
            "env": _plain_env(layout.health_env),  # no secret: the health app reads none
            "resources": _resources(HEALTH_APP_CPU, f"{HEALTH_APP_MEMORY_MIB}Mi"),
            "security_context": _CONTAINER_SECURITY,
            **support.mounts,
        }
    ]


def proxy(spec: ProxySpec, ns: pulumi.Input[str], parent: pulumi.Resource, scheduling: SchedulingSettings | None = None) -> Endpoint:
    labels = _labels(spec.name, "litellm-proxy")
    client_labels = {POSTGRES_CLIENT_LABEL: "true", REDIS_CLIENT_LABEL: "true"}
    stores = dict(spec.store_secret_env)
    secret = _secret(f"{spec.name}-env", ns, {**spec.secret_env, **{k: v for k, v in spec.migration_secret_env.items() if k not in stores}}, parent)
    # Managed data stores' addresses and credentials, from the stack's secret config (not generated).
    store_secret = _secret(f"{spec.name}-stores", ns, stores, parent) if stores else None

    def store_env(keys: list[str]) -> list[dict[str, Any]]:
        return _secret_env(store_secret.metadata.name, sorted(k for k in keys if k in stores)) if store_secret else []
    config = k8s.core.v1.ConfigMap(
        f"{spec.name}-config",
        metadata=_meta(f"{spec.name}-config", ns, labels),
        data={CONFIG_FILE: spec.config_yaml},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    layout = spec.layout
    support = _support(spec.name, ns, labels, layout, parent)
    migrate = k8s.batch.v1.Job(
        f"{spec.name}-migrate",
        metadata=_meta(f"{spec.name}-migrate", ns, labels),
        spec={
            "backoff_limit": 2,
            "template": {
                "metadata": {"labels": {**_labels(spec.name, "litellm-migrate"), POSTGRES_CLIENT_LABEL: "true"}},
                "spec": {
                    "restart_policy": "Never",
                    **_placement(scheduling),
                    "security_context": _pod_security(PROXY_UID),
                    "containers": [
                        {
                            "name": "migrate",
                            "image": spec.image,
                            "command": list(layout.migrate_command),
                            "env": _plain_env({**spec.migration_env, **layout.extra_env, **layout.migrate_env})
                            + _secret_env(secret.metadata.name, sorted(k for k in spec.migration_secret_env if k not in stores))
                            + store_env(list(spec.migration_secret_env)),
                            "security_context": _CONTAINER_SECURITY,
                            **support.mounts,
                        }
                    ],
                    **support.volumes,
                },
            },
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=spec.depends_on),  # D5: Pulumi awaits completion
    )
    res = spec.plan.proxy_resources
    deployment = k8s.apps.v1.Deployment(
        f"{spec.name}-deployment",
        metadata={**_meta(spec.name, ns, labels), **({"annotations": dict(spec.annotations)} if spec.annotations else {})},
        spec={
            # Set even under an HPA, to its minimum: without it the first rollout runs 1 pod (the
            # API default) until the HPA's first sync; afterwards the HPA owns it (ignore_changes).
            "replicas": spec.autoscaling[0] if spec.autoscaling else spec.replicas,
            "selector": {"match_labels": labels},
            # D2/R2: the plan budgets the surge and the replaced pods that drain beside the new ones
            "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": spec.plan.rollout_max_surge}},
            "template": {
                "metadata": {"labels": {**labels, **client_labels}},
                "spec": {
                    "termination_grace_period_seconds": spec.plan.stop_grace_seconds,  # P4/P9
                    **_placement(scheduling, spread=labels),
                    "security_context": _pod_security(PROXY_UID),
                    "containers": [
                        {
                            "name": "litellm",
                            "image": spec.image,
                            **({"command": list(layout.proxy_command)} if layout.proxy_command else {}),
                            "args": spec.args,
                            "env": _plain_env({**spec.env, **layout.extra_env, **layout.proxy_env})
                            + _secret_env(secret.metadata.name, sorted(spec.secret_env))
                            + store_env(list(stores)),
                            "ports": [
                                {"name": "http", "container_port": h.PROXY_PORT},
                                {"name": "health", "container_port": h.HEALTH_PORT},
                                {"name": "metrics", "container_port": h.METRICS_PORT},
                            ],
                            "startup_probe": _http_probe("/health/liveliness", failure_threshold=30),
                            "liveness_probe": _http_probe("/health/liveliness"),
                            "readiness_probe": _http_probe("/health/readiness"),
                            "lifecycle": {"pre_stop": {"exec": {"command": [layout.python, "-c", _DRAIN_HOOK]}}},
                            # P5: a health app container of its own takes its memory out of the class's budget
                            "resources": _resources(res.cpu, f"{res.memory_mib - HEALTH_APP_MEMORY_MIB}Mi" if layout.health_command else res.memory),
                            "security_context": _CONTAINER_SECURITY,
                            "volume_mounts": [
                                {"name": "config", "mount_path": CONFIG_DIR, "read_only": True},
                                {"name": "metrics", "mount_path": PROMETHEUS_MULTIPROC_DIR},
                                *support.mounts.get("volume_mounts", []),
                            ],
                        },
                        *_health_app(spec.image, layout, support),
                    ],
                    "volumes": [
                        {"name": "config", "config_map": {"name": config.metadata.name}},
                        {"name": "metrics", "empty_dir": {}},
                        *support.volumes.get("volumes", []),
                    ],
                },
            },
        },
        opts=pulumi.ResourceOptions(
            parent=parent, depends_on=[migrate], ignore_changes=["spec.replicas"] if spec.autoscaling else None
        ),
    )
    _service(spec.name, ns, labels, {"http": h.PROXY_PORT, "health": h.HEALTH_PORT, "metrics": h.METRICS_PORT}, parent)
    if spec.ingress is not None:
        kubernetes_exposure.ingress(spec.name, ns, labels, spec.name, spec.ingress, spec.plan, parent)
    if spec.load_balancer is not None:
        kubernetes_exposure.load_balancer(spec.name, ns, labels, spec.load_balancer, parent)
    k8s.policy.v1.PodDisruptionBudget(  # N4
        f"{spec.name}-pdb",
        metadata=_meta(spec.name, ns, labels),
        spec={"max_unavailable": 1, "selector": {"match_labels": labels}},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if spec.autoscaling:
        low, high, cpu = spec.autoscaling
        k8s.autoscaling.v2.HorizontalPodAutoscaler(  # N4; its maximum fed the D2 budget
            f"{spec.name}-hpa",
            metadata=_meta(spec.name, ns, labels),
            spec={
                "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": deployment.metadata.name},
                "min_replicas": low,
                "max_replicas": high,
                "metrics": [
                    {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "average_utilization": cpu}}}
                ],
            },
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return Endpoint(spec.name, h.PROXY_PORT)

"""The proxy's way in from outside the cluster: an Ingress, or a Service of type LoadBalancer.

Both reach only the proxy Service's `http` port (4000): the health app (4001), the metrics port
and the data stores are never a backend (N6). The Ingress always names its certificate in
`spec.tls` (N5) and carries the edge limits for the common controllers (N7, P7:
ingress_annotations.py); the LoadBalancer Service has one port, 443, whose TLS the cloud's load
balancer terminates (an annotation the settings require, N5).
"""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.exposure import IngressSettings, LoadBalancerSettings
from components.platforms.ingress_annotations import CERT_MANAGER_CLUSTER_ISSUER, CERT_MANAGER_ISSUER, edge_annotations
from components.sizing import SizingPlan

#: The proxy Service's port the outside world may reach (the container port of the same name: 4000).
PUBLIC_PORT_NAME = "http"
HTTPS_PORT = 443


def tls_secret_name(name: str, tls: Any) -> str:
    """The Secret `spec.tls` names: the operator's own, or the one cert-manager writes."""
    return tls.secret_name or f"{name}-tls"


def ingress(
    name: str, ns: pulumi.Input[str], labels: Mapping[str, str], service: pulumi.Input[str], settings: IngressSettings,
    plan: SizingPlan, parent: pulumi.Resource,
) -> k8s.networking.v1.Ingress:  # fmt: skip
    """The Ingress keeps a fixed name: ingress-nginx's admission refuses a second Ingress for the
    same host and path, which a create-before-delete replacement of an auto-named one would be."""
    tls = settings.tls
    annotations = {**settings.annotations, **edge_annotations(settings.max_request_body_mib, plan.graceful_shutdown_seconds)}
    if tls.cluster_issuer:
        annotations[CERT_MANAGER_CLUSTER_ISSUER] = tls.cluster_issuer
    if tls.issuer:
        annotations[CERT_MANAGER_ISSUER] = tls.issuer
    backend = {"service": {"name": service, "port": {"name": PUBLIC_PORT_NAME}}}
    return k8s.networking.v1.Ingress(
        f"{name}-ingress",
        metadata={"name": name, "namespace": ns, "labels": dict(labels), "annotations": annotations},
        spec={
            "ingress_class_name": settings.class_name,
            "tls": [{"hosts": list(settings.hosts), "secret_name": tls_secret_name(name, tls)}],  # N5
            "rules": [
                {"host": host, "http": {"paths": [{"path": "/", "path_type": "Prefix", "backend": backend}]}}
                for host in settings.hosts
            ],
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def load_balancer(
    name: str, ns: pulumi.Input[str], labels: Mapping[str, str], settings: LoadBalancerSettings, parent: pulumi.Resource
) -> k8s.core.v1.Service:
    """One port, 443, to the proxy's `http` container port: nothing else of the pod is public (N6)."""
    spec: dict[str, Any] = {
        "type": "LoadBalancer",
        "selector": dict(labels),
        "ports": [{"name": "https", "port": HTTPS_PORT, "target_port": PUBLIC_PORT_NAME}],
    }
    if settings.source_ranges:
        spec["load_balancer_source_ranges"] = list(settings.source_ranges)
    return k8s.core.v1.Service(
        f"{name}-public-service",
        metadata={"name": f"{name}-public", "namespace": ns, "labels": dict(labels), "annotations": dict(settings.annotations)},
        spec=spec,
        opts=pulumi.ResourceOptions(parent=parent),
    )

"""How clients outside the cluster reach the proxy: the `ingress` and `loadBalancer` settings.

Only the proxy's port 4000 is ever exposed: never the health app (4001, whose drain and
readiness paths are for the platform), the metrics port or a data store (N6). Clients reach it
over TLS only (N5), and an Ingress limits request bodies at the edge (N7), because LiteLLM's
open-source proxy enforces no body limit of its own (a finding of tests/faults). Validated here,
before any resource exists; rendered by components/platforms/kubernetes_exposure.py.
"""

import re
from typing import Final

from pydantic import Field, field_validator, model_validator

from components.errors import Problem
from components.platforms.ingress_annotations import OWN_INGRESS_ANNOTATIONS
from components.setting_model import SettingModel

#: RFC 1123 host names, with an optional leading wildcard label as an Ingress rule allows.
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")
#: A Kubernetes object name (DNS-1123 subdomain): IngressClass, Secret, cert-manager issuer.
_OBJECT_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"

#: N5: annotations with which a cloud's load balancer terminates TLS in front of a Service of type
#: LoadBalancer (AWS, DigitalOcean, Alibaba Cloud). Without one, such a Service speaks plain HTTP.
#: The pack holds the same list (policies/litellm_policies/exposure.py).
LOAD_BALANCER_TLS_ANNOTATIONS: Final = (
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
    "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id",
)
#: N7: OpenAI's own API takes request bodies up to 25 MB (audio uploads); chat requests with
#: inline images stay well below. A larger limit is a stack choice, up to 1 GiB.
DEFAULT_MAX_REQUEST_BODY_MIB: Final = 25


class IngressTls(SettingModel):
    """Where the Ingress's certificate comes from: exactly one of the three (N5)."""

    secret_name: str | None = Field(default=None, pattern=_OBJECT_NAME, max_length=253)
    """An existing `kubernetes.io/tls` Secret in the stack's namespace."""
    cluster_issuer: str | None = Field(default=None, pattern=_OBJECT_NAME, max_length=253)
    """A cert-manager ClusterIssuer: cert-manager writes the Secret the Ingress names."""
    issuer: str | None = Field(default=None, pattern=_OBJECT_NAME, max_length=253)
    """A cert-manager Issuer in the stack's namespace."""

    @model_validator(mode="after")
    def _exactly_one(self) -> "IngressTls":
        if sum(v is not None for v in (self.secret_name, self.cluster_issuer, self.issuer)) != 1:
            raise ValueError("exactly one of secretName, clusterIssuer, issuer [N5]")
        return self


def _host_names(hosts: tuple[str, ...]) -> tuple[str, ...]:
    bad = [h for h in hosts if not _HOST.match(h)]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))}: DNS names such as llm.example.com (lower case, no scheme or port)")
    if len(set(hosts)) != len(hosts):
        raise ValueError("each host once")
    return hosts


class IngressSettings(SettingModel):
    """A `networking.k8s.io/v1` Ingress in front of the proxy's port 4000."""

    class_name: str = Field(pattern=_OBJECT_NAME, max_length=253)
    """`spec.ingressClassName`: which controller serves it (e.g. nginx)."""
    hosts: tuple[str, ...] = Field(min_length=1)
    """The DNS names clients use; the first is the stack's `proxy_url`."""
    tls: IngressTls | None = None
    """The certificate (N5: required; a missing one is refused with the choices)."""
    max_request_body_mib: int = Field(default=DEFAULT_MAX_REQUEST_BODY_MIB, ge=1, le=1024)
    """N7: the largest request body the edge accepts (HTTP 413 above it)."""
    annotations: dict[str, str] = {}
    """Further controller annotations (e.g. a source-IP allow list); not the ones the program sets."""

    @field_validator("hosts")
    @classmethod
    def _dns_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _host_names(value)


class LoadBalancerSettings(SettingModel):
    """A Service of type LoadBalancer exposing only port 443 -> the proxy's 4000; the cloud's
    load balancer terminates TLS (N5). It limits no request body (no L7 edge): prefer `ingress`."""

    host: str
    """The DNS name clients use and the certificate names: the stack's `proxy_url`."""
    annotations: dict[str, str] = Field(min_length=1)
    """The cloud's load-balancer annotations; one must terminate TLS (N5)."""
    source_ranges: tuple[str, ...] = ()
    """`loadBalancerSourceRanges`: client CIDRs admitted (empty: the cloud's default, everyone)."""

    @field_validator("host")
    @classmethod
    def _dns_name(cls, value: str) -> str:
        return _host_names((value,))[0]

    @field_validator("annotations")
    @classmethod
    def _terminates_tls(cls, value: dict[str, str]) -> dict[str, str]:
        if not any(value.get(a) for a in LOAD_BALANCER_TLS_ANNOTATIONS):
            raise ValueError(f"one annotation that terminates TLS at the load balancer: {', '.join(LOAD_BALANCER_TLS_ANNOTATIONS)} [N5]")
        return value


def exposure_problems(platform: str, ingress: IngressSettings | None, load_balancer: LoadBalancerSettings | None) -> list[Problem]:
    """Combinations no single key shows: exposure is a Kubernetes setting, one way at a time,
    always with TLS, and the program's own edge annotations are not overridden."""
    problems: list[Problem] = []
    for key, value in (("ingress", ingress), ("loadBalancer", load_balancer)):
        if value is not None and platform != "kubernetes":
            problems.append(Problem(key, "set", "only on platform kubernetes (dev publishes on 127.0.0.1, N1)"))
    if ingress is not None and load_balancer is not None:
        problems.append(Problem("loadBalancer", "set beside ingress", "one way in: ingress or loadBalancer, not both"))
    if ingress is not None and ingress.tls is None:
        problems.append(
            Problem(
                "ingress.tls",
                "missing",
                "{secretName: <existing kubernetes.io/tls Secret>} or {clusterIssuer: <cert-manager ClusterIssuer>}"
                " or {issuer: <cert-manager Issuer>}: clients send the master key and virtual keys",
                "N5",
            )
        )
    if ingress is not None:
        for name in sorted(set(ingress.annotations) & OWN_INGRESS_ANNOTATIONS):
            problems.append(Problem(f"ingress.annotations.{name}", repr(ingress.annotations[name]), "set by the program from maxRequestBodyMib, tls and the request timeout (N5, N7, P7); remove it"))
    return problems


def public_url(ingress: IngressSettings | None, load_balancer: LoadBalancerSettings | None) -> str | None:
    """The URL clients outside the cluster use, or None when the proxy is not exposed."""
    if ingress is not None:
        return f"https://{ingress.hosts[0]}"
    if load_balancer is not None:
        return f"https://{load_balancer.host}"
    return None

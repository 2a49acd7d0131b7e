"""The edge limits of the proxy's Ingress, as the common controllers read them.

Each controller reads only its own annotation prefix, so the Ingress carries the limits for all
of them and works whichever one `className` selects: ingress-nginx (`nginx.ingress.kubernetes.io/`)
and F5 NGINX Ingress Controller (`nginx.org/`). Others (Traefik, HAProxy, cloud load balancers)
need their own mechanism: README "Exposure". Pure data, so the settings can refuse a stack's own
annotation that would override one of these before any resource exists.
"""

from typing import Final

#: ingress-nginx: client_max_body_size, and proxy timeouts in seconds (its default is 60 s, which
#: cuts every long completion); responses are not buffered so streamed tokens flow at once.
INGRESS_NGINX_BODY: Final = "nginx.ingress.kubernetes.io/proxy-body-size"
INGRESS_NGINX_READ_TIMEOUT: Final = "nginx.ingress.kubernetes.io/proxy-read-timeout"
INGRESS_NGINX_SEND_TIMEOUT: Final = "nginx.ingress.kubernetes.io/proxy-send-timeout"
INGRESS_NGINX_BUFFERING: Final = "nginx.ingress.kubernetes.io/proxy-buffering"
#: F5 NGINX Ingress Controller: the same limits under its own names (timeouts with a unit).
NGINX_ORG_BODY: Final = "nginx.org/client-max-body-size"
NGINX_ORG_READ_TIMEOUT: Final = "nginx.org/proxy-read-timeout"
NGINX_ORG_SEND_TIMEOUT: Final = "nginx.org/proxy-send-timeout"
NGINX_ORG_BUFFERING: Final = "nginx.org/proxy-buffering"
#: cert-manager's ingress-shim: it issues the certificate into the Secret `spec.tls` names.
CERT_MANAGER_CLUSTER_ISSUER: Final = "cert-manager.io/cluster-issuer"
CERT_MANAGER_ISSUER: Final = "cert-manager.io/issuer"

BODY_LIMIT_ANNOTATIONS: Final = (INGRESS_NGINX_BODY, NGINX_ORG_BODY)


def edge_annotations(max_body_mib: int, timeout_seconds: int) -> dict[str, str]:
    """N7: the body limit; P7: proxy timeouts above the longest request. (Both controllers
    redirect HTTP to HTTPS on their own once `spec.tls` names the host.)"""
    return {
        INGRESS_NGINX_BODY: f"{max_body_mib}m",
        INGRESS_NGINX_READ_TIMEOUT: str(timeout_seconds),
        INGRESS_NGINX_SEND_TIMEOUT: str(timeout_seconds),
        INGRESS_NGINX_BUFFERING: "off",
        NGINX_ORG_BODY: f"{max_body_mib}m",
        NGINX_ORG_READ_TIMEOUT: f"{timeout_seconds}s",
        NGINX_ORG_SEND_TIMEOUT: f"{timeout_seconds}s",
        NGINX_ORG_BUFFERING: "False",
    }


#: What the program sets itself; a stack's `ingress.annotations` may not override these.
OWN_INGRESS_ANNOTATIONS: Final = frozenset(edge_annotations(1, 1)) | {CERT_MANAGER_CLUSTER_ISSUER, CERT_MANAGER_ISSUER}

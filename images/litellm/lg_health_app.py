"""The separate health app of litellm-gateway/litellm (HARDENING.md H1).

LiteLLM's official image serves its health endpoints from a second process
(supervisord program ``health``: uvicorn on $SEPARATE_HEALTH_PORT) built by
``litellm.proxy.health_endpoints.health_app_factory.build_health_app``. That factory is
not in the 1.106.2 wheel, so this is the same few lines: a FastAPI app mounting the
router of ``litellm.proxy.health_endpoints._health_endpoints``
(/health/liveliness, /health/liveness, /health/readiness, ...).

Served by: uvicorn --app-dir /opt/litellm-gateway lg_health_app:app --port 4001

Note: this is a separate process. Its state (e.g. /health/drain's drain flag) is not the
main proxy's; /health/drain must be called on the main proxy port (4000).
"""

from fastapi import FastAPI
from litellm.proxy.health_endpoints._health_endpoints import router as health_router


def build_health_app() -> FastAPI:
    health_app = FastAPI(title="LiteLLM Health Endpoints")
    health_app.include_router(health_router)
    return health_app


app = build_health_app()

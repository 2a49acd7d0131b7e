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

Readiness also requires the main port to accept TCP connections. Being a separate process,
the health app answers 7-40 s before the proxy listens on 4000 (measured in tests/faults);
readiness from it alone let the platform send traffic that the port refused or reset. A
connect, not an HTTP request: the kernel completes it from the listen backlog even while every
worker is busy, so a saturated proxy stays ready (H1) and a not-yet-listening one is not.
Liveness does not look at the main port.
"""

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from litellm.proxy.health_endpoints._health_endpoints import router as health_router

MAIN_PORT = 4000  # the proxy's port in every container the program runs (components.hardening.PROXY_PORT)
CONNECT_TIMEOUT_S = 1.0
READINESS_PATHS = ("/health/readiness",)


async def main_port_accepts() -> str:
    """'' when 127.0.0.1:MAIN_PORT accepts a connection, else why not."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", MAIN_PORT), CONNECT_TIMEOUT_S)
    except (OSError, asyncio.TimeoutError) as err:
        return f"the proxy does not accept connections on port {MAIN_PORT} yet ({type(err).__name__})"
    writer.close()
    return ""


def build_health_app() -> FastAPI:
    health_app = FastAPI(title="LiteLLM Health Endpoints")

    @health_app.middleware("http")
    async def readiness_needs_the_main_port(request: Request, call_next):
        if request.url.path in READINESS_PATHS:
            why = await main_port_accepts()
            if why:
                return JSONResponse({"status": "not ready", "reason": why}, status_code=503)
        return await call_next(request)

    health_app.include_router(health_router)
    return health_app


app = build_health_app()

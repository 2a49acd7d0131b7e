"""H1/H2 readiness of the image's health app: ready only once the proxy's main port listens.

The health app is a separate process that answers 7-40 s before LiteLLM listens on 4000; a
readiness that ignored that let Docker's `wait`, Kubernetes' Service and `ops check` send
traffic the port refused or reset (found by tests/e2e/test_scripts_up.py). Here the real image
runs its health app alone, then a stand-in listener on 4000, in one container on no network.
"""

import json
import subprocess

import pytest

from components import hardening as h

from .conftest import dev_images

pytestmark = pytest.mark.docker

SCRIPT = f"""
import json, socket, subprocess, sys, time, urllib.error, urllib.request

def get(path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:{h.HEALTH_PORT}" + path, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)

app = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", "/opt/litellm-gateway", "lg_health_app:app",
                        "--host", "127.0.0.1", "--port", "{h.HEALTH_PORT}", "--log-level", "warning"])
for _ in range(120):  # bounded: the app imports LiteLLM first
    if get("/health/liveliness")[0] == 200:
        break
    time.sleep(0.5)
out = {{"live_alone": get("/health/liveliness"), "ready_alone": get("/health/readiness")}}
main = socket.socket()
main.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
main.bind(("127.0.0.1", {h.PROXY_PORT}))
main.listen(8)  # accepts in the kernel, never answers: like a saturated proxy
out["ready_listening"] = get("/health/readiness")
out["live_listening"] = get("/health/liveliness")
app.terminate()
print(json.dumps(out))
"""


def test_h2_readiness_needs_the_main_port_listening_and_liveness_does_not() -> None:
    result = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "/opt/venv/bin/python",
         "-e", "LITELLM_LOCAL_MODEL_COST_MAP=True", dev_images()["proxy"], "-c", SCRIPT],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n[H2] {got}")
    assert got["live_alone"][0] == 200, got  # liveness never looks at the main port
    assert got["ready_alone"][0] == 503 and f"port {h.PROXY_PORT}" in got["ready_alone"][1], got
    assert got["ready_listening"][0] == 200, got  # a listening (even unresponsive) proxy is ready
    assert got["live_listening"][0] == 200, got

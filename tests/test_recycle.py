"""P3/P8 recycling without dropped connections, one worker at a time (images/litellm/lg_recycle.py).

The same uvicorn (0.54) the proxy image pins, with the patch loaded the way the image loads it
(at interpreter start, in the supervisor and in every spawned worker), serving a tiny ASGI app
on 127.0.0.1 with a low `limit_max_requests`, so each worker recycles many times in seconds.
Clients behave like an HTTP/1.1 client library: they keep connections alive, open a new one
after `Connection: close`, and never retry a failed request. tests/faults runs the same
recycling on the real proxy image.
"""

from __future__ import annotations

import http.client
import importlib.metadata
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT

IMAGE_DIR = ROOT / "images/litellm"
APP = '''
import asyncio, os

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await asyncio.sleep(0.02)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
'''
WORKERS, LIMIT, JITTER = 2, 20, 5
CLIENTS, REQUESTS = 8, 800


def _assert_uvicorn_is_the_images() -> None:
    """lg_recycle mirrors one uvicorn release and does nothing on another: a test run against a
    different uvicorn than the image's would measure unpatched recycling (CI saw 112 of 800
    lost when a fresh virtualenv picked up uvicorn 0.55); constraints.txt holds it."""
    pinned = re.search(r"^uvicorn==(\S+)", (IMAGE_DIR / "requirements.lock").read_text(), re.M).group(1)
    assert importlib.metadata.version("uvicorn") == pinned, (
        f"uvicorn {importlib.metadata.version('uvicorn')} here, the image pins {pinned}: "
        "pin the same in constraints.txt (scripts/setup python)"
    )


def test_p3_p8_uvicorn_here_is_the_one_the_image_pins():
    _assert_uvicorn_is_the_images()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def recycling_server(tmp_path: Path):
    """uvicorn with WORKERS workers recycling after LIMIT..LIMIT+JITTER requests, patched as in the image."""
    _assert_uvicorn_is_the_images()
    (tmp_path / "lg_app.py").write_text(APP)
    (tmp_path / "sitecustomize.py").write_text("import lg_recycle  # as lg_recycle.pth does in the image\n")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{IMAGE_DIR}",
        "LG_RECYCLE_LOG": str(tmp_path / "turns.log"),
        "LG_RECYCLE_TURN_FILE": str(tmp_path / "turn"),
        "LG_RECYCLE_IDLE_GRACE_S": "1",
    }
    code = (
        "import uvicorn; uvicorn.run('lg_app:app', host='127.0.0.1', port=%d, workers=%d, "
        "limit_max_requests=%d, limit_max_requests_jitter=%d, log_level='warning')" % (port, WORKERS, LIMIT, JITTER)
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"uvicorn did not listen: {proc.stderr.read() if proc.poll() is not None else 'timeout'}")
                time.sleep(0.1)
        yield port, tmp_path / "turns.log"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def _client(port: int, n: int, answers: list, lost: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        try:
            conn.request("GET", "/")
            resp = conn.getresponse()
            answers.append((resp.status, resp.read().decode()))
            if resp.will_close:  # Connection: close (http.client reconnects on the next request)
                conn.close()
        except (http.client.HTTPException, OSError) as err:
            lost.append(type(err).__name__)
            conn.close()
    conn.close()


def test_p3_p8_recycling_drops_no_connection_and_runs_one_worker_at_a_time(recycling_server):
    port, turns_log = recycling_server
    answers: list[tuple[int, str]] = []
    lost: list[str] = []
    threads = [threading.Thread(target=_client, args=(port, REQUESTS // CLIENTS, answers, lost)) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "clients did not finish within 120 s"

    pids = {body for status, body in answers if status == 200}
    # 800 requests over 2 workers recycling every 20-25 requests, one at a time: several replacements
    assert len(pids) >= 2 * WORKERS, f"workers were not recycled: {len(pids)} pids answered"
    assert lost == [], f"{len(lost)} of {REQUESTS} requests lost while workers recycled: {lost[:5]}"
    assert [s for s, _ in answers] == [200] * REQUESTS

    events = [line.split() for line in turns_log.read_text().splitlines()]
    kinds = [kind for _, kind, _ in events]
    assert kinds.count("take") >= 3, kinds
    # one turn at a time: every take is followed by its give before the next take
    assert all(a != b for a, b in zip(kinds, kinds[1:])), f"two workers recycled at once: {kinds}"

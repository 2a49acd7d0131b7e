"""Operator commands against a stand-in proxy on 127.0.0.1 (the real proxy is exercised by the
fault tests): verdicts, hints and exit codes."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ops import check, probe
from ops.__main__ import main
from ops.stack import Deployment

KEY = "sk-master"


class FakeProxy(BaseHTTPRequestHandler):
    """Answers like LiteLLM: health routes, key-checked /v1/models, a model whose upstream key is bad."""

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {KEY}"

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/health/"):
            return self._send(200, {"status": "healthy"})
        if self.path == "/v1/models":
            if not self._authorized():
                return self._send(401, {"error": {"message": "Authentication Error"}})
            return self._send(200, {"data": [{"id": "good"}, {"id": "bad-key"}]})
        self._send(404, {})

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self._authorized():
            return self._send(401, {"error": {"message": "Authentication Error"}})
        if body["model"] == "bad-key":
            return self._send(401, {"error": {"message": "AuthenticationError: Incorrect API key provided"}})
        self._send(200, {"choices": [{"message": {"content": "pong"}}]})


@pytest.fixture(scope="module")
def proxy_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def deployment(url: str, models: list[str]) -> Deployment:
    return Deployment(
        stack="test", platform="kubernetes", proxy_url=url, health_url=url, master_key=KEY,
        models=[{"name": m, "apiKeySecret": f"{m}Key"} for m in models], plan={}, containers={}, redis_password="",
    )  # fmt: skip


def test_check_passes_and_s3_refuses_bad_and_missing_keys(proxy_url):
    results = {r.name: r for r in check.run(deployment(proxy_url, ["good", "bad-key"]), wait_seconds=5)}
    assert all(r.ok for r in results.values()), results
    assert results["S3 a bad key refused"].detail == "HTTP 401"


def test_check_fails_when_a_model_is_not_listed(proxy_url):
    results = {r.name: r for r in check.run(deployment(proxy_url, ["good", "missing"]), wait_seconds=5)}
    assert not results["models listed"].ok and "missing" in results["models listed"].detail


def test_probe_gives_a_hint_naming_the_secret_to_fix(proxy_url):
    results = {r.model: r for r in probe.run(deployment(proxy_url, ["good", "bad-key"]))}
    assert results["good"].ok and results["good"].hint == ""
    assert results["bad-key"].status == 401
    assert "pulumi config set --secret bad-keyKey" in results["bad-key"].hint


def test_probe_hint_when_nothing_answers():
    (result,) = probe.run(deployment("http://127.0.0.1:1", ["good"]), timeout=2)
    assert result.status == 0 and "did not answer" in result.hint


def test_cli_without_a_deployed_stack_exits_2_with_a_clear_message(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi on PATH
    assert main(["check", "--stack", "dev"]) == 2
    assert "no `pulumi` on PATH" in capsys.readouterr().err

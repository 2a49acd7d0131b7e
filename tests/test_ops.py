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


# backup / restore: the CLI with stand-in `pulumi`, `docker` and `kubectl` on PATH (the real
# engine and Docker: tests/e2e/test_backup_restore.py).

SECRET = "salt-" + "s3cr3t" * 8
FAKE_TOOL = r'''#!{python}
import json, os, sys
log = os.path.join(os.path.dirname(sys.argv[0]), "calls.jsonl")
with open(log, "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\n")
args, tool = sys.argv[1:], os.path.basename(sys.argv[0])
if tool == "pulumi":
    platform = os.environ.get("FAKE_PLATFORM", "docker")
    shown = "--show-secrets" in args
    if args[:2] == ["stack", "output"]:
        print(json.dumps({{"platform": platform, "master_key": {secret!r} if shown else "[secret]",
                          "containers": {{"postgres": "lg-t-postgres"}} if platform == "docker" else {{}}}}))
    elif args[:2] == ["stack", "export"]:
        sts = {{"type": "kubernetes:apps/v1:StatefulSet", "outputs": {{"metadata": {{
            "name": "lg-t-postgres-1a2b3c", "namespace": "gw", "labels": {{"app.kubernetes.io/name": "postgres"}}}}}}}}
        print(json.dumps({{"deployment": {{"resources": [sts]}}}}))
    sys.exit(0)
if "pg_dump" in args:
    if os.environ.get("FAKE_FAIL"):
        sys.stderr.write("pg_dump: error: query failed: ERROR:  boom\nDETAIL:  Key (token)=({secret}) exists\n")
        sys.exit(1)
    sys.stdout.buffer.write(b"PGDMP" + b"\0" * 2048)
elif "pg_restore" in args:
    data = sys.stdin.buffer.read()
    with open(os.path.join(os.path.dirname(sys.argv[0]), "restored"), "wb") as f:
        f.write(data)
    if os.environ.get("FAKE_FAIL"):
        sys.stderr.write("pg_restore: error: could not execute query: ERROR:  boom\nCommand was: INSERT '{secret}'\n")
        sys.exit(1)
'''


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """A PATH holding only stand-ins; returns a reader of the calls they received."""
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pulumi", "docker", "kubectl"):
        (bin_dir / name).write_text(FAKE_TOOL.format(python=sys.executable, secret=SECRET))
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))

    def calls() -> list[list[str]]:
        log = bin_dir / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    calls.dir = bin_dir  # type: ignore[attr-defined]
    return calls


def _fake_dump(folder, mode: int = 0o600):
    dump = folder / "gw.dump"
    dump.write_bytes(b"PGDMP" + b"\1" * 64)
    dump.chmod(mode)
    return dump


def _said(capsys) -> str:
    out = capsys.readouterr()
    return out.out + out.err


def test_backup_writes_a_0600_dump_atomically_and_reads_no_secret(tools, tmp_path, capsys):
    import os

    umask = os.umask(0o000)  # a careless umask must not make the dump readable by others
    try:
        assert main(["backup", "--stack", "t", str(tmp_path / "gw.dump")]) == 0
    finally:
        os.umask(umask)
    dump = tmp_path / "gw.dump"
    assert dump.read_bytes().startswith(b"PGDMP") and (dump.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "gw.dump"], "a temporary file was left"
    calls = tools()
    assert all("--show-secrets" not in call for call in calls), calls
    assert calls[-1] == ["docker", "exec", "-i", "lg-t-postgres", "pg_dump", "--format=custom", "--username", "litellm", "--dbname", "litellm"]
    said = _said(capsys)
    assert "pg_dump in container lg-t-postgres" in said and "mode 0600" in said and SECRET not in said


def test_backup_refuses_to_overwrite_unless_forced(tools, tmp_path, capsys):
    dump = tmp_path / "gw.dump"
    dump.write_text("precious")
    dump.chmod(0o644)
    assert main(["backup", "--stack", "t", str(dump)]) == 2
    said = _said(capsys)
    assert dump.read_text() == "precious" and tools() == [], "refused before reading the stack"
    assert said.strip() == f"error: {dump} exists: refusing to overwrite it (use --force)"
    assert main(["backup", "--stack", "t", "--force", str(dump)]) == 0
    assert dump.read_bytes().startswith(b"PGDMP") and (dump.stat().st_mode & 0o777) == 0o600


def test_a_failed_backup_leaves_no_file_and_prints_one_line_without_the_data(tools, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    assert main(["backup", "--stack", "t", str(tmp_path / "gw.dump")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: pg_dump in container lg-t-postgres failed: pg_dump: error: query failed: ERROR:  boom"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


def test_restore_needs_an_explicit_stack_and_a_dump(tools, tmp_path, capsys):
    dump = _fake_dump(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["restore", str(dump)])
    assert exit_.value.code == 2 and "--stack" in capsys.readouterr().err
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("hello")
    assert main(["restore", "--stack", "t", str(not_a_dump)]) == 2
    assert "not a pg_dump custom-format file" in capsys.readouterr().err
    assert tools() == [], "nothing may touch a stack before the file is known to be a dump"


def test_restore_on_kubernetes_execs_into_the_statefulset_pod(tools, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_PLATFORM", "kubernetes")
    dump = _fake_dump(tmp_path, 0o644)
    assert main(["restore", "--stack", "t", str(dump)]) == 0
    assert (tools.dir / "restored").read_bytes() == dump.read_bytes()
    assert tools()[-1] == [
        "kubectl", "exec", "-i", "--namespace", "gw", "lg-t-postgres-1a2b3c-0", "--container", "postgres", "--",
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--username", "litellm", "--dbname", "litellm",
    ]  # fmt: skip
    said = _said(capsys)
    assert "readable by others (mode 0644)" in said and "pod gw/lg-t-postgres-1a2b3c-0" in said and "salt key" in said


def test_a_failed_restore_prints_one_line_without_the_data(tools, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    dump = _fake_dump(tmp_path)
    assert main(["restore", "--stack", "t", str(dump)]) == 2
    out = capsys.readouterr()
    assert out.err.strip() == "error: pg_restore in container lg-t-postgres failed: pg_restore: error: could not execute query: ERROR:  boom"
    assert SECRET not in out.out + out.err and "warning" not in out.out


def test_the_kubernetes_lookup_finds_the_postgres_pod_the_program_declares():
    """What backup/restore look for in a prod stack's state matches what the program deploys:
    one StatefulSet labelled postgres, whose pod runs a container named `postgres`."""
    from ops import backup, render

    found = [m.body for m in render.render("prod") if m.kind == "StatefulSet"]
    resources = [{"type": backup.STATEFULSET_TYPE, "outputs": {"metadata": body["metadata"]}} for body in found]
    namespace, pod = backup.postgres_statefulset("prod", resources)
    (postgres,) = [b for b in found if b["metadata"]["labels"]["app.kubernetes.io/name"] == "postgres"]
    assert (namespace, pod) == ("litellm", postgres["metadata"]["name"] + "-0")
    assert [c["name"] for c in postgres["spec"]["template"]["spec"]["containers"]] == [backup.POD_CONTAINER]

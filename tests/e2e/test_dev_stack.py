"""`pulumi up` of the dev stack on the real engine and a real Docker engine, then everything the
hardening promises, checked on the running containers. One deployment, several checks, in order."""

import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from devtools.pulumi_project import Project

pytestmark = [pytest.mark.engine, pytest.mark.docker]

STACK = "e2e"  # containers lg-e2e-*, so a developer's own dev stack is left alone
PROXY_PORT, HEALTH_PORT = 14000, 14001


def docker(*args: str, check: bool = True) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {result.stderr}")
    return result.stdout


def http(url: str, body: dict | None = None, key: str | None = None, timeout: float = 30) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, {}


def wait_ready(url: str, seconds: int = 120) -> int:
    deadline, status = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and status != 200:
        try:
            status, _ = http(url, timeout=5)
        except OSError:
            time.sleep(2)
    return status


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dev-stack")
    project = Project.copy(tmp, STACK, "Pulumi.dev.yaml", docker={"proxyPort": PROXY_PORT, "healthPort": HEALTH_PORT})
    project.set_secret("mockApiKey", "mock-key-e2e-0123456789")
    up = project.run("up", "--yes", "--skip-preview", *project.with_pack("dev"), timeout=1500)
    yield project, up
    # Documented tear-down: protected resources stay, then a deliberate full removal.
    project.run("destroy", "--yes", "--exclude-protected", "--skip-preview", check=False, timeout=900)
    project.run("state", "unprotect", "--all", "--yes", check=False)
    project.run("destroy", "--yes", "--skip-preview", check=False, timeout=900)
    docker("volume", "rm", "-f", f"lg-{STACK}-postgres-data", check=False)


def inspect(name: str) -> dict:
    return json.loads(docker("inspect", name))[0]


def test_up_with_the_pack_and_containers_healthy(deployed):
    project, up = deployed
    for name in ("postgres", "redis", "proxy", "mock-upstream"):
        state = inspect(f"lg-{STACK}-{name}")["State"]
        assert state["Running"] and state["Health"]["Status"] == "healthy", (name, state)
    assert inspect(f"lg-{STACK}-proxy-migrate")["State"]["ExitCode"] == 0  # D5


def test_h1_health_app_answers_while_proxy_serves(deployed):
    project, _ = deployed
    out = project.outputs()
    assert wait_ready(f"http://127.0.0.1:{HEALTH_PORT}/health/readiness") == 200
    status, _ = http(f"http://127.0.0.1:{HEALTH_PORT}/health/liveliness")
    assert status == 200
    chat = {"model": "mock-gpt", "messages": [{"role": "user", "content": "ping"}]}
    status, body = http(f"{out['proxy_url']}/v1/chat/completions", chat, key=out["master_key"], timeout=60)
    assert status == 200 and body["choices"][0]["message"]["content"]
    status, _ = http(f"{out['proxy_url']}/v1/chat/completions", chat)
    assert status in (401, 403)


def test_p1_worker_processes_equal_class_vcpu(deployed):
    processes = docker("exec", f"lg-{STACK}-proxy", "ps", "-eo", "pid,ppid,args")
    lines = [line.split(None, 2) for line in processes.splitlines()[1:]]
    main = [pid for pid, ppid, args in lines if "litellm" in args and "--num_workers" in args]
    assert main, processes
    workers = [pid for pid, ppid, args in lines if ppid in main and "multiprocessing" in args or ppid in main and "litellm" not in args and "resource_tracker" not in args and "prometheus" not in args]
    assert len([pid for pid, ppid, args in lines if ppid == main[0] and "spawn_main" in args]) == 2, processes


def test_d2_postgres_max_connections_matches_the_plan(deployed):
    project, _ = deployed
    plan = project.outputs()["plan"]
    value = docker("exec", f"lg-{STACK}-postgres", "psql", "-U", "litellm", "-d", "litellm", "-tAc", "SHOW max_connections").strip()
    assert int(value) == plan["postgres_max_connections"] == 30


def test_s5_r2_r3_redis_requires_password_and_limits_match(deployed):
    project, _ = deployed
    plan = project.outputs()["plan"]
    refused = docker("exec", f"lg-{STACK}-redis", "redis-cli", "CONFIG", "GET", "maxclients", check=False)
    assert "NOAUTH" in refused
    password = next(
        r["outputs"]["result"] for r in project.export(show_secrets=True)["deployment"]["resources"] if r["urn"].endswith("redis-password")
    )
    got = docker("exec", "-e", f"REDISCLI_AUTH={password}", f"lg-{STACK}-redis", "redis-cli", "--no-auth-warning", "CONFIG", "GET", "maxclients").split()
    assert int(got[1]) == plan["redis_maxclients"]
    got = docker("exec", "-e", f"REDISCLI_AUTH={password}", f"lg-{STACK}-redis", "redis-cli", "--no-auth-warning", "CONFIG", "GET", "maxmemory").split()
    assert int(got[1]) == plan["redis_maxmemory_mib"] * 1024 * 1024


def test_n1_data_stores_publish_nothing_proxy_only_loopback(deployed):
    for name in ("postgres", "redis", "mock-upstream"):
        assert not inspect(f"lg-{STACK}-{name}")["HostConfig"]["PortBindings"], name
    bindings = inspect(f"lg-{STACK}-proxy")["HostConfig"]["PortBindings"]
    assert {b["HostIp"] for v in bindings.values() for b in v} == {"127.0.0.1"}


def test_s4_no_plaintext_secret_in_state_or_container_metadata(deployed):
    project, _ = deployed
    secret_values = [project.outputs()["master_key"], "mock-key-e2e-0123456789"]
    secret_values += [
        r["outputs"]["result"] for r in project.export(show_secrets=True)["deployment"]["resources"] if r["type"] == "random:index/randomPassword:RandomPassword"
    ]
    plain_state = json.dumps(project.export())
    for value in secret_values:
        assert value not in plain_state
    for name in ("postgres", "redis", "proxy", "proxy-migrate"):
        meta = inspect(f"lg-{STACK}-{name}")
        visible = json.dumps([meta["Config"]["Cmd"], meta["Config"]["Labels"], meta["Args"], meta["Path"]])
        for value in secret_values:
            assert value not in visible, name


def test_second_up_changes_nothing(deployed):
    project, _ = deployed
    project.run("up", "--yes", "--expect-no-changes", *project.with_pack("dev"), timeout=900)


def _salt_key(project: Project) -> str:
    resources = project.export(show_secrets=True)["deployment"]["resources"]
    return next(r["outputs"]["result"] for r in resources if r["urn"].endswith("salt-key"))


def test_s1_engine_refuses_to_replace_the_protected_salt_key(deployed):
    project, _ = deployed
    before = _salt_key(project)
    secrets_py = project.dir / "components/secrets.py"
    original = secrets_py.read_text()
    secrets_py.write_text(original.replace("KEY_LENGTH = 64", "KEY_LENGTH = 65"))
    try:
        result = project.run("up", "--yes", "--skip-preview", check=False, timeout=900)
        assert result.returncode != 0 and "protect" in (result.stdout + result.stderr).lower()
    finally:
        secrets_py.write_text(original)
    assert _salt_key(project) == before


def test_s1_pack_refuses_removing_protect_in_the_same_update(deployed):
    project, _ = deployed
    before = _salt_key(project)
    secrets_py = project.dir / "components/secrets.py"
    original = secrets_py.read_text()
    secrets_py.write_text(original.replace("KEY_LENGTH = 64", "KEY_LENGTH = 65").replace("protect=True)", "protect=False)"))
    try:
        result = project.run("up", "--yes", "--skip-preview", *project.with_pack("dev"), check=False, timeout=900)
        output = result.stdout + result.stderr
        assert result.returncode != 0 and "S1" in output, output[-3000:]
    finally:
        secrets_py.write_text(original)
    assert _salt_key(project) == before


def test_destroy_removes_containers_and_keeps_protected_volume_and_salt_key(deployed):
    project, _ = deployed
    project.run("destroy", "--yes", "--exclude-protected", "--skip-preview", timeout=900)
    left = docker("ps", "-a", "--filter", f"name=lg-{STACK}-", "--format", "{{.Names}}").split()
    assert left == []
    assert docker("volume", "ls", "--filter", f"name=lg-{STACK}-postgres-data", "--format", "{{.Name}}").split() == [f"lg-{STACK}-postgres-data"]
    urns = [r["urn"] for r in project.export()["deployment"]["resources"]]
    assert any(u.endswith("salt-key") for u in urns) and any(u.endswith("postgres-data") for u in urns)

"""Issue 16 part 3, for real: the containers the program renders for LiteLLM's own image run
under Docker against a stand-in with the official layout (images/litellm-official-layout: no
registry is reachable here, so it is built from the same wheels as our image).

The prod stack is rendered (`ops render`, the program under Pulumi's mocks) with the official
image, the small class and one model on the project's mock upstream; its proxy pod and migration
Job then run as Kubernetes would run them: a "pause" container holds the pod's network namespace
(ports published on 127.0.0.1 only), the proxy and health app containers join it with the
rendered command, arguments, environment, user, capabilities and limits, and the ConfigMaps are
read-only bind mounts of their rendered files. Secrets come from the test (every `secretKeyRef`
of the render must be one it fills). Postgres, Redis and the mock upstream are the project's
images on a network this test creates; everything is removed by name at the end.

What it shows: /health/readiness on 4001 is 503 while nothing listens on 4000 and 200 once the
proxy does (H1, H2); a chat completion through 4000 reaches the mock upstream, and the proxy's
Python runs lg_recycle (P3/P8) as our image's does, and the rendered preStop hook drains it (P9);
the migration
Job's command exits 0 against our Postgres and 1 with a wrong password (D5).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import hardening as h
from components.specs import MOCK_UPSTREAM_UID, POSTGRES_DB, POSTGRES_UID, POSTGRES_USER, REDIS_UID
from devtools.pulumi_project import ROOT
from e2e.dockerutil import docker
from ops import render

pytestmark = pytest.mark.docker

VERSIONS = dict(line.split("=", 1) for line in (ROOT / "images/versions.env").read_text().splitlines() if "=" in line and not line.startswith("#"))
STANDIN = f"litellm-gateway/litellm-official-layout:{VERSIONS['LITELLM_VERSION']}"  # scripts/images.sh tags it so
OFFICIAL = "ghcr.io/berriai/litellm:v1.106.2-stable"  # what the stack names; the stand-in runs in its place
RUN = secrets.token_hex(3)
NETWORK = f"lg-official-{RUN}"
MOCK_ALIAS = "mock-upstream"
MODEL = "mock-gpt"
STEP_TIMEOUT_S = 420  # a cold start on the busy 2-core machine, at the rendered CPU limits


def wait_http(port: int, path: str, *, until: int, deadline: float, seen: list[int | str] | None = None) -> int:
    """Polls GET 127.0.0.1:port/path (bounded, 5 s a request as the probes, H3) until it answers
    `until`; records each change of status (an error without an HTTP answer by its name)."""
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                status: int | str = r.status
        except urllib.error.HTTPError as err:
            status = err.code
        except OSError as err:
            status = type(getattr(err, "reason", err)).__name__
        if seen is not None and (not seen or seen[-1] != status):
            seen.append(status)
        if status == until:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"127.0.0.1:{port}{path} did not answer {until} in time (seen {seen})")
        time.sleep(1)


def published(container: str, port: int) -> int:
    return int(docker("port", container, f"{port}/tcp").split("\n")[0].rsplit(":", 1)[1])


class Pod:
    """The rendered Kubernetes objects of the proxy, and `docker run` for each of its containers."""

    def __init__(self, tmp: Path):
        self.found = render.render(
            "prod",
            {
                "images": {"proxy": OFFICIAL, "postgres": VERSIONS["POSTGRES_IMAGE"], "redis": VERSIONS["REDIS_IMAGE"]},
                "machineClass": "small",
                "connectDatabase": False,
                "models": [{"name": MODEL, "model": f"openai/{MODEL}", "apiBase": f"http://{MOCK_ALIAS}:8080/v1", "apiKeySecret": "openaiApiKey"}],
            },
        )
        self.tmp = tmp
        self.names: list[str] = []
        self.master_key = "sk-" + secrets.token_hex(24)
        self.redis_password = secrets.token_hex(20)
        self.postgres_password = secrets.token_hex(20)
        self.secrets = {
            "LITELLM_MASTER_KEY": self.master_key,
            "LITELLM_SALT_KEY": "sk-" + secrets.token_hex(32),
            "REDIS_PASSWORD": self.redis_password,
            "DRAIN_ENDPOINT_TOKEN": secrets.token_hex(16),
            "OPENAI_API_KEY": "mock-key-" + secrets.token_hex(8),
            "ANTHROPIC_API_KEY": "mock-key-" + secrets.token_hex(8),
        }
        self.mounts = {m.name: self._files(m) for m in self.found if m.kind == "ConfigMap"}

    def obj(self, kind: str, name_part: str) -> dict:
        (m,) = [m for m in self.found if m.kind == kind and name_part in m.name]
        return m.body

    def _files(self, m: render.Manifest) -> Path:
        folder = self.tmp / m.name
        folder.mkdir()
        for key, text in m.body["data"].items():
            (folder / key).write_text(text)
            (folder / key).chmod(0o644)  # read through the bind mount by the pod's uid
        folder.chmod(0o755)
        return folder

    def run_args(self, container: dict, pod: dict, extra_env: dict[str, str] | None = None) -> list[str]:
        """`docker run` options and arguments of one rendered container (Kubernetes semantics:
        `command` replaces the entry point, `args` the CMD)."""
        security = pod["securityContext"]
        out = ["--user", f"{security['runAsUser']}:{security['runAsGroup']}", "--security-opt", "no-new-privileges"]
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"] and not container["securityContext"]["privileged"]
        out += ["--cap-drop", "ALL"]
        limits = container.get("resources", {}).get("limits", {})
        if limits:
            out += ["--memory", limits["memory"].replace("Mi", "m"), "--cpus", str(int(limits["cpu"].removesuffix("m")) / 1000)]
        env = {}
        for e in container["env"]:
            if "value" in e:
                env[e["name"]] = e["value"]
            else:  # S4: a secret reaches the container only from a Secret, filled here by the test
                assert set(e["valueFrom"]) == {"secretKeyRef"}, e
                env[e["name"]] = self.secrets[e["name"]]
        env.update(extra_env or {})
        env_file = self.tmp / f"{container['name']}-{len(self.names)}.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        out += ["--env-file", str(env_file)]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            if "configMap" in volume:
                assert mount.get("readOnly"), mount
                out += ["-v", f"{self.mounts[volume['configMap']['name']]}:{mount['mountPath']}:ro"]
            else:
                out += ["--tmpfs", f"{mount['mountPath']}:mode=1777"]
        image = STANDIN if container["image"] == OFFICIAL else container["image"]
        command = container.get("command") or []
        if command:
            out += ["--entrypoint", command[0]]
        return [*out, image, *command[1:], *container.get("args", [])]

    def start(self, name: str, *args: str, network: str | None = None) -> str:
        self.names.append(name)
        docker("run", "-d", "--name", name, "--label", f"litellm-gateway.official-run={RUN}", "--network", network or NETWORK, *args)
        return name

    def logs(self, name: str) -> str:
        r = subprocess.run(["docker", "logs", "--tail", "40", name], capture_output=True, text=True, timeout=30)
        return f"--- {name}\n{r.stdout}{r.stderr}"

    def remove(self) -> None:
        for name in reversed(self.names):
            docker("rm", "-f", "-v", name, check=False)


@pytest.fixture(scope="module")
def standin() -> str:
    """The stand-in image, built by the test itself: `scripts/setup` builds only the stack's images."""
    built = subprocess.run([str(ROOT / "scripts/images.sh"), "litellm-official-layout"], capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    return STANDIN


@pytest.fixture(scope="module")
def pod(tmp_path_factory, standin: str) -> Iterator[Pod]:
    me = Pod(tmp_path_factory.mktemp("official-pod"))
    docker("network", "create", "--label", f"litellm-gateway.official-run={RUN}", NETWORK)
    try:
        yield me
    finally:
        me.remove()
        docker("network", "rm", NETWORK, check=False)


def test_the_stand_in_has_the_official_layout_and_none_of_our_additions(standin: str):
    config = json.loads(docker("image", "inspect", standin))[0]["Config"]
    assert config["Entrypoint"] == ["docker/prod_entrypoint.sh"] and config["Cmd"] == ["--port", "4000"]
    assert config["WorkingDir"] == "/app" and not config.get("User")
    found = docker("run", "--rm", "--entrypoint", "sh", standin, "-c", "ls -d /opt/venv /opt/litellm-gateway 2>&1; command -v litellm-migrate; command -v litellm")
    assert "No such file" in found and found.strip().endswith("/usr/local/bin/litellm")


def test_h1_h2_readiness_waits_for_the_proxy_then_a_completion_reaches_the_mock_upstream(pod: Pod) -> None:
    deployment = pod.obj("Deployment", "proxy")
    spec = deployment["spec"]["template"]["spec"]
    proxy, health = spec["containers"]
    assert proxy["readinessProbe"]["httpGet"] == {"path": "/health/readiness", "port": h.HEALTH_PORT}

    pod.start(f"{NETWORK}-redis", "--network-alias", "lg-prod-redis", "--user", str(REDIS_UID), VERSIONS["REDIS_IMAGE"],
              "redis-server", "--requirepass", pod.redis_password, "--save", "", "--appendonly", "no")  # fmt: skip
    pod.start(f"{NETWORK}-mock", "--network-alias", MOCK_ALIAS, "--user", str(MOCK_UPSTREAM_UID), "-p", "127.0.0.1::8080", VERSIONS["MOCK_UPSTREAM_IMAGE"])
    # the pod's network namespace, as Kubernetes' pause container holds it; the pod's ports
    sandbox = pod.start(
        f"{NETWORK}-pod", "--user", "65534:65534", "-p", f"127.0.0.1::{h.PROXY_PORT}", "-p", f"127.0.0.1::{h.HEALTH_PORT}",
        "--entrypoint", "sleep", VERSIONS["BASE_IMAGE"], "infinity",
    )  # fmt: skip
    main_port, health_port = published(sandbox, h.PROXY_PORT), published(sandbox, h.HEALTH_PORT)
    joined = f"container:{sandbox}"

    started = time.monotonic()
    seen: list[int | str] = []
    health_name = pod.start(f"{NETWORK}-health", *pod.run_args(health, spec), network=joined)
    try:
        wait_http(health_port, "/health/liveliness", until=200, deadline=started + STEP_TIMEOUT_S)
        wait_http(health_port, "/health/readiness", until=503, deadline=started + STEP_TIMEOUT_S, seen=seen)
    except AssertionError as err:
        raise AssertionError(f"{err}\n{pod.logs(health_name)}") from None
    health_up = time.monotonic() - started
    proxy_name = pod.start(f"{NETWORK}-proxy", *pod.run_args(proxy, spec), network=joined)
    try:
        wait_http(health_port, "/health/readiness", until=200, deadline=time.monotonic() + STEP_TIMEOUT_S, seen=seen)
    except AssertionError as err:
        raise AssertionError(f"{err}\n{pod.logs(proxy_name)}\n{pod.logs(health_name)}") from None
    ready = time.monotonic() - started
    assert 503 in seen and seen[-1] == 200 and 200 not in seen[:-1], seen  # 503 first, 200 only at the end
    # 200 only once the proxy listens: its own port answers now
    wait_http(main_port, "/health/liveliness", until=200, deadline=time.monotonic() + 30)

    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": f"official {RUN}"}]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{main_port}/v1/chat/completions", data=body,
        headers={"Authorization": f"Bearer {pod.master_key}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as r:
        answer = json.loads(r.read())
    assert r.status == 200 and answer["choices"][0]["message"]["content"], answer
    with urllib.request.urlopen(f"http://127.0.0.1:{published(f'{NETWORK}-mock', 8080)}/mock/stats", timeout=5) as r:
        assert json.loads(r.read())["requests"].get(MODEL, 0) >= 1  # it reached the mock upstream

    # P3/P8: lg_recycle is active in the proxy's Python, as our image's build checks for its venv
    active = docker("exec", proxy_name, "python", "-c", "from uvicorn.server import Server; print(Server.on_tick.__name__)")
    assert active.strip() == "on_tick_one_at_a_time", active
    # P9: the rendered preStop hook (the image's `python`, the token from the env) drains the proxy
    hook = proxy["lifecycle"]["preStop"]["exec"]["command"]
    assert hook[0] == "python"
    docker("exec", proxy_name, *hook)
    inspected = json.loads(docker("inspect", proxy_name))[0]
    assert inspected["Config"]["Entrypoint"] == ["litellm"] and inspected["Config"]["User"] == "10001:10001"
    assert "/opt/litellm-gateway" not in json.dumps(inspected["Config"]["Cmd"])  # the proxy needs none of our files
    print(f"[official image] health app answering after {health_up:.0f}s, readiness {seen} ready after {ready:.0f}s")
    print(docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}} {{.CPUPerc}}", proxy_name, health_name))


def test_d5_the_migration_jobs_command_exits_0_against_our_postgres_and_1_with_a_wrong_password(pod: Pod) -> None:
    """The check-only Job (connectDatabase: false) waits for Postgres. The render gives it no
    DATABASE_URL in that mode (as with our image: the proxy gets none either), so the test adds
    the URL the stack would use, to check against a real server."""
    job = pod.obj("Job", "migrate")
    spec = job["spec"]["template"]["spec"]
    (migrate,) = spec["containers"]
    assert migrate["command"] == ["python", "/opt/litellm-gateway/wait_for_db.py"]
    postgres = pod.start(
        f"{NETWORK}-postgres", "--network-alias", "lg-prod-postgres", "--user", str(POSTGRES_UID),
        "-e", f"POSTGRES_USER={POSTGRES_USER}", "-e", f"POSTGRES_DB={POSTGRES_DB}", "-e", f"POSTGRES_PASSWORD={pod.postgres_password}",
        VERSIONS["POSTGRES_IMAGE"],
    )  # fmt: skip
    results = {}
    for case, password in (("right", pod.postgres_password), ("wrong", "not-the-password")):
        url = f"postgresql://{POSTGRES_USER}:{password}@lg-prod-postgres:{h.POSTGRES_PORT}/{POSTGRES_DB}"
        name = f"{NETWORK}-migrate-{case}"
        pod.start(name, *pod.run_args(migrate, spec, {"DATABASE_URL": url, "LITELLM_GATEWAY_MIGRATE_TIMEOUT": "120"}))
        code = int(docker("wait", name).strip())
        results[case] = (code, pod.logs(name))
    assert results["right"][0] == 0, results["right"][1] + pod.logs(postgres)
    assert "Postgres answered" in results["right"][1]
    assert results["wrong"][0] == 1 and "password authentication failed" in results["wrong"][1], results["wrong"][1]

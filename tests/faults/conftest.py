"""Fault tests against the real LiteLLM 1.106.2 proxy running the project's rendered config.

Every proxy here is started from the pure core (`load_settings` -> `plan()` ->
`render_config_yaml` / `proxy_args` / `proxy_env`), exactly what the Pulumi program gives its
container, on a Docker network this session creates (`lg-fault-<random>`), next to its own Redis
and its own mock upstream (so request counters never mix between stacks). Only 127.0.0.1 is
used on the host: the proxy's 4000/4001 and the mock's 8080 are published there on random ports.
A test that needs one value changed says so where it asks for the stack.

Everything started is labelled with the session id and removed at the end, also on failure.
Every wait and every load loop is bounded by a count and a deadline.
"""

from __future__ import annotations

import http.client
import json
import secrets
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import hardening as h
from components import litellm_config as lc
from components.platforms.common import redis_args
from components.settings import StackSettings, load_settings
from components.specs import MOCK_UPSTREAM_UID, PROXY_UID, REDIS_UID

ROOT = Path(__file__).resolve().parents[2]
RUN_ID = secrets.token_hex(4)
NETWORK = f"lg-fault-{RUN_ID}"
LABEL = f"litellm-gateway.fault-run={RUN_ID}"
MOCK_PORT = 8080
MOCK_API_KEY_SECRET = "mockApiKey"

#: Model groups of every fault stack. Each test uses its own groups: LiteLLM counts failures per
#: deployment per minute and cools deployments down for 30 s, so sharing a group between tests
#: would let one test's faults change another's routing.
MODEL_GROUPS: dict[str, tuple[str, ...]] = {
    "primary": ("backup",),  # F2/F5: cooled down, falls back to backup
    "backup": (),
    "f3-auth": (),  # F3: one group per error type, no fallbacks
    "f3-rate": (),
    "f3-server": (),
    "f3-timeout": (),
    "f3-unavailable": (),
    "f3-bad-gateway": (),
    "retry-after": (),  # F2: an upstream's Retry-After against cooldown_time
    "load": (),  # load tests (H1, R1, P3/P8, P4/P9, malformed)
    "slow": (),  # P4/P9: the one long request
}

READY_TIMEOUT_S = 300  # a cold proxy is ready in ~15 s alone; the later ones boot during other tests' load
DOCKER_TIMEOUT_S = 90


# ---------------------------------------------------------------------------------------------
# docker CLI
# ---------------------------------------------------------------------------------------------
def docker(*args: str, check: bool = True, timeout: float = DOCKER_TIMEOUT_S) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def host_port(container: str, port: int) -> int:
    for line in docker("port", container, f"{port}/tcp").splitlines():
        addr, _, p = line.strip().rpartition(":")
        if addr == "127.0.0.1":
            return int(p)
    raise AssertionError(f"{container}: port {port} is not published on 127.0.0.1")


def container_state(container: str) -> dict[str, Any]:
    out = docker("inspect", "--format", "{{json .State}}", container, check=False)
    return json.loads(out) if out.strip() else {}


def dev_images() -> dict[str, str]:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return dict(config["litellm-gateway:images"])


class Finding(AssertionError):
    """A check that fails because of a known, reported finding. Tests marked
    `xfail(raises=Finding, ...)` raise it only for that check; any other failed assertion in
    them is still a plain failure."""


def check_finding(condition: bool, message: str) -> None:
    if not condition:
        raise Finding(message)


def docker_memory_mib(container: str) -> float:
    """The container's memory use as `docker stats` reports it (without reclaimable cache)."""
    out = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container, timeout=30).strip()
    used = out.split("/")[0].strip()
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / (1 << 20)}
    for unit, factor in units.items():
        if used.endswith(unit):
            return float(used[: -len(unit)]) * factor
    raise AssertionError(f"unexpected docker stats output: {out!r}")


# ---------------------------------------------------------------------------------------------
# HTTP (stdlib: one connection per request, like a client without keep-alive)
# ---------------------------------------------------------------------------------------------
@dataclass
class Result:
    status: int  # 0: no HTTP answer (see error)
    body: bytes
    elapsed: float
    started: float  # time.monotonic() at send
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)

    def brief(self) -> str:
        text = self.error or self.body[:300].decode(errors="replace")
        return f"{self.status} after {self.elapsed:.2f}s: {text}"


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Result:
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
        return Result(resp.status, data, time.monotonic() - start, start)
    except (OSError, http.client.HTTPException) as err:
        return Result(0, b"", time.monotonic() - start, start, f"{type(err).__name__}: {err}")
    finally:
        conn.close()


def chat_body(model: str, content: str, **extra: Any) -> bytes:
    return json.dumps({"model": model, "messages": [{"role": "user", "content": content}], **extra}).encode()


def unique(text: str = "") -> str:
    """A message nobody sent before: LiteLLM's Redis cache answers a repeat that asks for it
    (`responseCache`, test_response_cache.py), and a cached answer never reaches the upstream
    (nor its counters)."""
    return f"{text} req-{uuid.uuid4().hex[:12]}".strip()


# ---------------------------------------------------------------------------------------------
# one stack: redis + mock upstream + proxy
# ---------------------------------------------------------------------------------------------
def build_settings(mock_alias: str, overrides: Mapping[str, Any] | None = None) -> StackSettings:
    models = [
        {
            "name": name,
            "model": f"openai/{name}",
            "apiBase": f"http://{mock_alias}:{MOCK_PORT}/v1",
            "apiKeySecret": MOCK_API_KEY_SECRET,
            "fallbacks": list(fallbacks),
        }
        for name, fallbacks in MODEL_GROUPS.items()
    ]
    values = {
        "platform": "docker",
        "machineClass": "small",
        "mockUpstream": True,
        "connectDatabase": False,  # offline: Prisma cannot fetch its engines (README "Offline limits")
        "images": dev_images(),
        "models": models,
        **(overrides or {}),
    }
    return load_settings(values, {MOCK_API_KEY_SECRET})


def _override_args(args: list[str], overrides: Mapping[str, str]) -> list[str]:
    out = list(args)
    for flag, value in overrides.items():
        assert flag in out, f"{flag} is not in the rendered proxy args {args}: nothing to override"
        out[out.index(flag) + 1] = value
    return out


@dataclass
class Stack:
    name: str
    tmp: Path
    arg_overrides: Mapping[str, str] = field(default_factory=dict)
    env_overrides: Mapping[str, str] = field(default_factory=dict)
    memory_limit: bool = False  # the class's proxy memory limit (P5), as the program sets it
    settings_overrides: Mapping[str, Any] = field(default_factory=dict)  # stack config keys

    def __post_init__(self) -> None:
        self.prefix = f"lg-fault-{RUN_ID}-{self.name}"
        self.redis = f"{self.prefix}-redis"
        self.mock = f"{self.prefix}-mock"
        self.proxy = f"{self.prefix}-proxy"
        self.redis_alias = f"redis-{self.name}"
        self.mock_alias = f"mock-{self.name}"
        self.settings = build_settings(self.mock_alias, self.settings_overrides)
        self.plan = self.settings.plan()
        self.config_yaml = lc.render_config_yaml(self.settings, self.plan)
        self.args = _override_args(lc.proxy_args(self.settings, self.plan), self.arg_overrides)
        self.master_key = "sk-fault-" + secrets.token_hex(16)
        self.redis_password = secrets.token_hex(20)
        throwaway = {
            lc.MASTER_KEY_ENV: self.master_key,
            lc.SALT_KEY_ENV: "sk-salt-" + secrets.token_hex(32),
            lc.REDIS_PASSWORD_ENV: self.redis_password,
            lc.DRAIN_TOKEN_ENV: secrets.token_hex(16),
            **{m.api_key_env: "mock-key-" + secrets.token_hex(8) for m in self.settings.models if m.api_key_env},
        }
        names = lc.secret_env_names(self.settings)
        missing = sorted(set(names) - set(throwaway))
        assert not missing, f"the proxy now reads secrets this test does not fill: {missing}"
        self.env = {**lc.proxy_env(self.plan, redis_host=self.redis_alias), **throwaway, **self.env_overrides}
        self.launched_at = 0.0
        self.ready_after: dict[str, float] = {}
        self.proxy_port = self.health_port = self.mock_port = 0

    # ---- lifecycle -----------------------------------------------------------------------
    def launch(self) -> None:
        """Start the three containers without waiting (`docker run -d`)."""
        d = self.tmp / self.name
        d.mkdir(parents=True, exist_ok=True)
        config = d / lc.CONFIG_FILE
        config.write_text(self.config_yaml)
        config.chmod(0o644)  # read by the proxy's uid 10001 through the bind mount
        env_file = d / "proxy.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in self.env.items()))
        env_file.chmod(0o600)
        common = ["run", "-d", "--label", LABEL, "--network", NETWORK]
        docker(
            *common, "--name", self.redis, "--network-alias", self.redis_alias,
            "--user", str(REDIS_UID), "--memory", f"{self.plan.redis_resources.memory_mib}m",
            dev_images()["redis"],
            "redis-server", "--requirepass", self.redis_password, *redis_args(self.plan),
        )  # fmt: skip
        docker(
            *common, "--name", self.mock, "--network-alias", self.mock_alias,
            "--user", str(MOCK_UPSTREAM_UID), "-p", f"127.0.0.1::{MOCK_PORT}",
            dev_images()["mockUpstream"],
        )  # fmt: skip
        docker(
            *common, "--name", self.proxy, "--network-alias", f"proxy-{self.name}",
            "--user", str(PROXY_UID),
            "--env-file", str(env_file),
            "-v", f"{config}:{lc.CONFIG_PATH}:ro",
            "-p", f"127.0.0.1::{h.PROXY_PORT}", "-p", f"127.0.0.1::{h.HEALTH_PORT}",
            # The class's memory limit only on the stack of the P5 tests: it is too small for this
            # process layout and the kernel OOM-kills workers under load, which would mask every
            # other fault (see test_p5_memory.py).
            *(["--memory", f"{self.plan.proxy_resources.memory_mib}m"] if self.memory_limit else []),
            "--cpus", str(self.plan.workers),
            "--stop-timeout", str(self.plan.stop_grace_seconds),  # P4/P9
            dev_images()["proxy"], *self.args,
        )  # fmt: skip
        self.launched_at = time.monotonic()
        self.proxy_port = host_port(self.proxy, h.PROXY_PORT)
        self.health_port = host_port(self.proxy, h.HEALTH_PORT)
        self.mock_port = host_port(self.mock, MOCK_PORT)

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Bounded: the health app's /health/readiness, then the main port serving an
        authenticated request (the health app is a separate process and answers first)."""
        deadline = self.launched_at + timeout
        last = None
        for stage, port, path, headers in (
            ("health", self.health_port, "/health/readiness", {}),
            ("main", self.proxy_port, "/v1/models", self.auth),
        ):
            while True:
                last = http_request(port, "GET", path, headers=headers, timeout=5)
                if last.status == 200:
                    self.ready_after[stage] = round(time.monotonic() - self.launched_at, 1)
                    break
                state = container_state(self.proxy)
                if not state.get("Running", False):
                    raise AssertionError(f"{self.proxy} exited while starting: {state}\n{self.logs()}")
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.proxy}: {stage} not ready after {timeout}s ({last.brief()})\n{self.logs()}"
                    )
                time.sleep(0.5)
        stats = http_request(self.mock_port, "GET", "/mock/stats", timeout=5)
        assert stats.status == 200, (
            "the mock-upstream image predates /mock/stats: rebuild it with scripts/images.sh mock-upstream"
        )

    def remove(self) -> None:
        docker("rm", "-f", "-v", self.proxy, self.mock, self.redis, check=False, timeout=120)

    def logs(self, tail: int = 60, container: str | None = None) -> str:
        r = subprocess.run(
            ["docker", "logs", "--timestamps", "--tail", str(tail), container or self.proxy],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return f"--- docker logs {container or self.proxy} (last {tail}) ---\n{r.stdout}{r.stderr}"

    # ---- the proxy -----------------------------------------------------------------------
    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}", "Content-Type": "application/json"}

    def chat(self, model: str, content: str, timeout: float = 60, **extra: Any) -> Result:
        return http_request(
            self.proxy_port, "POST", "/v1/chat/completions", chat_body(model, content, **extra), self.auth, timeout
        )

    def health(self, path: str = "/health/liveliness", timeout: float = 5) -> Result:
        return http_request(self.health_port, "GET", path, timeout=timeout)

    def processes(self) -> list[tuple[int, int, str]]:
        """(pid, ppid, command) of every process in the proxy container."""
        out = docker("exec", self.proxy, "ps", "-eo", "pid=,ppid=,args=", timeout=30)
        rows = []
        for line in out.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 3:
                rows.append((int(parts[0]), int(parts[1]), parts[2]))
        return rows

    def memory_by_process(self) -> dict[str, int]:
        """Proportional resident memory (PSS, MiB) of each process of the proxy container."""
        script = 'for p in /proc/[0-9]*; do echo "$(grep ^Pss: $p/smaps_rollup 2>/dev/null | tr -s " " | cut -d" " -f2) $(tr "\\0" " " < $p/cmdline | cut -c1-70)"; done'
        out = docker("exec", self.proxy, "sh", "-c", script, timeout=30)
        rows: dict[str, int] = {}
        for line in out.splitlines():
            kb, _, cmd = line.partition(" ")
            if kb.isdigit() and int(kb) > 20_000:
                rows[cmd.strip()] = int(kb) // 1024
        return rows

    def uvicorn_workers(self) -> set[int]:
        """PIDs of the main proxy's uvicorn worker processes (children of `litellm` that are
        multiprocessing spawns; the Prometheus metrics process is told apart by its target)."""
        rows = self.processes()
        main = [pid for pid, _, cmd in rows if "/litellm " in f"{cmd} " and "--port" in cmd]
        return {
            pid for pid, ppid, cmd in rows
            if ppid in main and "multiprocessing" in cmd and "resource_tracker" not in cmd
        }  # fmt: skip

    # ---- the mock upstream ---------------------------------------------------------------
    def mock_stats(self) -> dict[str, Any]:
        r = http_request(self.mock_port, "GET", "/mock/stats", timeout=5)
        assert r.status == 200, r.brief()
        return r.json()

    def mock_reset(self) -> None:
        r = http_request(self.mock_port, "POST", "/mock/reset", b"{}", timeout=5)
        assert r.status == 200, r.brief()

    def mock_fault(self, model: str, status: int | None, times: int | None = None, **extra: Any) -> None:
        """Make the mock fail every request for `model` (see mock_upstream.py: /mock/faults);
        extra: retry_after=<seconds> or None (no Retry-After header)."""
        body = json.dumps({"model": model, "status": status, "times": times, **extra}).encode()
        r = http_request(self.mock_port, "POST", "/mock/faults", body, {"Content-Type": "application/json"}, 5)
        assert r.status == 200, r.brief()

    def calls(self, model: str) -> int:
        return self.mock_stats()["requests"].get(model, 0)


# ---------------------------------------------------------------------------------------------
# bounded load
# ---------------------------------------------------------------------------------------------
def run_load(
    send: Callable[[int], Result],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    stop: threading.Event | None = None,
) -> list[Result]:
    """`concurrency` threads call send(i) until max_requests are sent, max_seconds pass or
    `stop` is set, whichever comes first. Returns every result."""
    results: list[Result] = []
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.monotonic() + max_seconds
    stop = stop or threading.Event()

    def worker() -> None:
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            r = send(i)
            with lock:
                results.append(r)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 120)  # one request may still run
    return results


def summarize(results: list[Result]) -> str:
    by: dict[str, int] = {}
    for r in results:
        key = str(r.status) if r.status else (r.error.split(":")[0] or "error")
        by[key] = by.get(key, 0) + 1
    lat = sorted(r.elapsed for r in results if r.status == 200)
    pct = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: float("nan"))
    return f"{len(results)} requests {by}; 200s p50 {pct(0.5) * 1000:.0f} ms, p99 {pct(0.99) * 1000:.0f} ms"


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------
#: Fresh stacks, by name, with the single values a test changes (each says why).
FRESH_STACKS: dict[str, dict[str, Any]] = {
    # P4/P9 and R1: the project's defaults, untouched. R1's scenario is the longest (its recovery
    # takes a minute): it boots with the shared stack, the others once that one is ready.
    "drain": {},
    "r1": {"first": True},
    # P5 and the oversized body: the project's defaults, with the class's memory limit.
    "p5": {"memory_limit": True},
    # P2/P9: the same drain with `proxyServer: gunicorn`, the seeds' process manager.
    "drain-gunicorn": {"settings": {"proxyServer": "gunicorn"}},
    # P3/P8: recycle after 50 (+ up to 20 jitter) requests instead of 10 000 (+1 000), so a few
    # hundred requests recycle each worker several times. Only these two numbers change.
    "recycle": {
        "args": {"--max_requests_before_restart": "50", "--max_requests_before_restart_jitter": "20"},
        "env": {"MAX_REQUESTS_BEFORE_RESTART": "50"},
    },
}

#: Scenarios that mostly wait (a 35 s request, a 60 s recovery) run in the background on their
#: own stack while the other tests run; their test only asserts on the outcome. name -> function.
SCENARIOS: dict[str, Callable[[Stack], dict[str, Any]]] = {}
SCENARIO_BOUND_S = 240  # a scenario's own run, after its stack is ready


def background_scenario(name: str) -> Callable[[Callable[[Stack], dict[str, Any]]], Callable[[Stack], dict[str, Any]]]:
    """Register `fn(stack) -> facts` to run on the fresh stack `name`; the test asking for
    `stacks.outcome(name)` gets the facts (or the scenario's exception)."""

    def register(fn: Callable[[Stack], dict[str, Any]]) -> Callable[[Stack], dict[str, Any]]:
        assert name in FRESH_STACKS, name
        SCENARIOS[name] = fn
        return fn

    return register


class _Run:
    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None


class Stacks:
    """Creates stacks, starts the ones the session will need early (a proxy takes 15-40 s to
    boot), runs background scenarios, and removes everything at the end."""

    def __init__(self, tmp: Path, wanted: set[str]) -> None:
        self.tmp = tmp
        self.wanted = wanted  # fresh stack / scenario names the collected tests use
        self.launched: dict[str, Stack] = {}
        self.runs: dict[str, _Run] = {}
        self.lock = threading.Lock()

    def get(self, name: str) -> Stack:
        with self.lock:
            if name not in self.launched:
                spec = FRESH_STACKS.get(name, {})
                stack = Stack(
                    name, self.tmp, spec.get("args", {}), spec.get("env", {}),
                    bool(spec.get("memory_limit")), spec.get("settings", {}),
                )  # fmt: skip
                stack.launch()  # on failure, the session's label sweep removes what started
                self.launched[name] = stack
            return self.launched[name]

    def release(self, name: str) -> None:
        with self.lock:
            stack = self.launched.pop(name, None)
        if stack is not None:
            stack.remove()

    def start_early(self, first: bool = False) -> None:
        """Boot the fresh stacks this session needs and start its background scenarios
        (first: only those marked to start with the session)."""
        names = [n for n in FRESH_STACKS if n in self.wanted and (not first or FRESH_STACKS[n].get("first"))]
        for name in names:
            if name in SCENARIOS:
                self.start_scenario(name)
        for name in names:
            self.get(name)

    def start_scenario(self, name: str) -> _Run:
        with self.lock:
            run = self.runs.get(name)
            if run is None:
                run = self.runs[name] = _Run()
                run.thread = threading.Thread(target=self._scenario, args=(name, run), name=f"scenario-{name}", daemon=True)
                run.thread.start()
        return run

    def _scenario(self, name: str, run: _Run) -> None:
        try:
            stack = self.get(name)
            stack.wait_ready()
            print(f"\n[faults] {name} proxy ready: {stack.ready_after} s after docker run")
            run.result = SCENARIOS[name](stack)
        except BaseException as err:  # noqa: BLE001  # handed to the test
            run.error = err
        finally:
            self.release(name)

    def outcome(self, name: str) -> dict[str, Any]:
        run = self.start_scenario(name)
        assert run.thread is not None
        run.thread.join(timeout=READY_TIMEOUT_S + SCENARIO_BOUND_S)
        if run.thread.is_alive():
            raise AssertionError(f"background scenario {name} still running after {READY_TIMEOUT_S + SCENARIO_BOUND_S}s")
        if run.error is not None:
            raise run.error
        assert run.result is not None
        return run.result


#: scripts/images.sh's names of the images the dev stack deploys (tests/test_settings.py: the same tags)
IMAGES_UNDER_TEST = ("postgres", "redis", "litellm", "mock-upstream")


def _docker_ready() -> None:
    try:
        docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except (AssertionError, OSError, subprocess.TimeoutExpired) as err:
        pytest.fail(f"no Docker engine answers ({err}); start one with scripts/docker-engine.sh")
    # present and built from this checkout's images/ (a tag another checkout rebuilt is not what we test)
    check = subprocess.run([str(ROOT / "scripts/images.sh"), "--check", *IMAGES_UNDER_TEST], capture_output=True, text=True, timeout=120)
    if check.returncode != 0:
        pytest.fail(f"images not ready:\n{check.stdout}{check.stderr}")


def _wanted(session: pytest.Session) -> set[str]:
    """Fresh stacks and scenarios the selected tests use: fixtures `<name>_stack` and the
    marker `scenario(<name>)`."""
    wanted: set[str] = set()
    for item in session.items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture.endswith("_stack") and fixture.removesuffix("_stack") in FRESH_STACKS:
                wanted.add(fixture.removesuffix("_stack"))
        marker = item.get_closest_marker("scenario")
        if marker is not None:
            wanted.add(marker.args[0])
    return wanted


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario(name): the test asserts on background scenario `name` (tests/faults)")


@pytest.fixture(scope="session")
def stacks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stacks]:
    _docker_ready()
    docker("network", "create", "--label", LABEL, NETWORK)
    registry = Stacks(tmp_path_factory.mktemp("faults"), _wanted(request.session))
    try:
        registry.start_early(first=True)
        yield registry
    finally:
        ids = docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).split()
        if ids:
            docker("rm", "-f", "-v", *ids, check=False, timeout=180)
        docker("network", "rm", NETWORK, check=False)


@pytest.fixture(scope="session")
def shared_stack(stacks: Stacks) -> Stack:
    """One proxy for the tests that leave it as they found it (each uses its own model groups);
    once it is ready the fresh stacks boot and the background scenarios start."""
    stack = stacks.get("shared")
    stack.wait_ready()
    print(f"\n[faults] shared proxy ready: {stack.ready_after} s after docker run")
    stacks.start_early()
    return stack


@pytest.fixture(scope="session")
def p5_stack(stacks: Stacks) -> Stack:
    stack = stacks.get("p5")
    stack.wait_ready()
    print(f"\n[faults] p5 proxy ready: {stack.ready_after} s after docker run")
    return stack


@pytest.fixture
def recycle_stack(stacks: Stacks) -> Iterator[Stack]:
    stack = stacks.get("recycle")
    try:
        stack.wait_ready()
        print(f"\n[faults] recycle proxy ready: {stack.ready_after} s after docker run")
        yield stack
    finally:
        stacks.release("recycle")

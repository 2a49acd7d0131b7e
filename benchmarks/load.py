"""Load benchmark (issue 7): the hardened proxy against a hand-made baseline, on this machine.

    .venv/bin/python -m benchmarks.load            # full run, about 12 minutes
    .venv/bin/python -m benchmarks.load --quick    # one round, shorter runs, about 3-4 minutes

Starts on a Docker network of its own (`lg-bench-<id>`): one Redis, one mock upstream
(MOCK_LATENCY_MS=50) and LiteLLM 1.106.2 proxies that share them:

  bare      LiteLLM's smallest config: one model, the master key, 2 workers, nothing else (what
            LiteLLM costs before any hardening);
  baseline  the rendered config with the hand-made settings of the seeds' starting point: 1 uvicorn
            worker, LITELLM_LOG=INFO, set_verbose, health on the main port, no recycling, pool 50;
  hardened  exactly what the program renders for the small class (components.litellm_config);
  gunicorn  the same with `proxyServer: gunicorn` (P2 against P9/P11);
  hardened-<ablation>  the hardened proxy with one rendered setting removed (ABLATIONS), measured
            at saturation only, to price each setting alone (`--no-ablations` leaves them out).

The load generator is wrk (Debian's package) with benchmarks/load_chat.lua, one connection per
wrk thread so each request's latency and status are recorded (see the script). Measurements run
in alternating order within each round; the ratios come from the same round. Only 127.0.0.1 and
the benchmark's own Docker network carry traffic; every loop and wait is bounded; every container
and the network are removed at the end, also on error or Ctrl-C.

Writes benchmarks/results/load.md, load.png and load.json (the raw figures).
"""

from __future__ import annotations

import argparse
import copy
import http.client
import importlib.util
import itertools
import json
import os
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components import hardening as h  # noqa: E402
from components import litellm_config as lc  # noqa: E402
from components.platforms.common import redis_args  # noqa: E402
from components.settings import load_settings  # noqa: E402
from components.specs import MOCK_UPSTREAM_UID, PROXY_UID, REDIS_UID  # noqa: E402

RESULTS = ROOT / "benchmarks/results"
LUA = ROOT / "benchmarks/load_chat.lua"
RUN_ID = secrets.token_hex(4)
PREFIX = f"lg-bench-{RUN_ID}"
NETWORK = PREFIX
LABEL = f"litellm-gateway.bench-run={RUN_ID}"
MOCK_ALIAS = "mock-upstream"
REDIS_ALIAS = "redis"
MOCK_PORT = 8080
MODEL = "mock-gpt"
MOCK_API_KEY_SECRET = "mockApiKey"
BASELINE_POOL = 50
READY_TIMEOUT_S = 300
#: proxies started at once: 12 booting together on 2 shared cores starved LiteLLM's metrics
#: server (O3) past its fixed 30 s start-up wait, and LiteLLM then exits (2026-12-02)
BOOT_BATCH = 4
DOCKER_TIMEOUT_S = 120
OVER_S = 2.0  # "no request over 2 s at saturation"
RECYCLE_EVERY, RECYCLE_JITTER = 100, 20  # the recycling run: a worker is due every few seconds at saturation
#: F6 stack setting of the benchmark's proxies: issue 17's goal, an admitted p99 <= 1 s (cap 40 per
#: worker, 80 for 2: nothing is refused at 64 connections, so saturation compares like with like).
ADMISSION_TARGET_S = 1.0
#: The cap's formula assumes what the program gives a worker, a vCPU of its own (P5); here wrk, the
#: mock and Redis share the 2 cores with the proxy, a worker gets about half a core (~40 requests
#: a second, not 80), and the 1 s the formula means is asked for as 0.5 s: the `f6-tuned` proxy,
#: measured in the overload runs beside the hardened one.
SHARED_CORE_TARGET_S = 0.5  # F6 stack setting of the benchmark's proxies (issue 17: admitted p99 ≤ 1 s)

VARIANTS = ("bare", "baseline", "hardened", "gunicorn")
ONCE = ("f6-tuned", "recycling")  # measured once, after the rounds: the overload and recycling runs


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def docker(*args: str, check: bool = True, timeout: float = DOCKER_TIMEOUT_S) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])} ... failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def dev_images() -> dict[str, str]:
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return dict(config["litellm-gateway:images"])


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def median(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


@dataclass
class Http:
    status: int
    elapsed: float
    headers: dict[str, str]
    error: str = ""


def http_get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 5) -> Http:
    """One request on a new connection, like a probe."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        resp.read()
        return Http(resp.status, time.perf_counter() - start, {k.lower(): v for k, v in resp.getheaders()})
    except (OSError, http.client.HTTPException) as err:
        return Http(0, time.perf_counter() - start, {}, f"{type(err).__name__}: {err}")
    finally:
        conn.close()


def cpu_busy_fraction() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    parts = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


# ---------------------------------------------------------------------------------------------
# the three deployments
# ---------------------------------------------------------------------------------------------
@dataclass
class Proxy:
    key: str
    title: str
    settings: Any
    plan: Any
    config: dict[str, Any]
    args: list[str]
    env: dict[str, str]
    changes: list[str]
    health_internal_port: int
    docker_flags: list[str]
    name: str = ""
    master_key: str = field(default_factory=lambda: "sk-bench-" + secrets.token_hex(16))
    proxy_port: int = 0
    health_port: int = 0
    cgroup_cpu: Path | None = None
    log_path: Path | None = None
    log_offset: int = 0
    log_lines_fallback: int = 0
    ip: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}", "Content-Type": "application/json"}

    @property
    def health_label(self) -> str:
        return f":{self.health_internal_port}/health/liveliness"


def stack_settings(proxy_server: str | None, admission_target_s: float = ADMISSION_TARGET_S) -> Any:
    values: dict[str, Any] = {
        "platform": "docker",
        "machineClass": "small",
        "mockUpstream": True,
        "connectDatabase": False,  # offline: Prisma cannot fetch its engines (README "Offline limits")
        # F6: the mock answers in 50 ms, so a 1 s p99 is a target a saturated proxy can keep;
        # the stacks' default (30 s) is for real models, whose own latency is seconds
        "admissionTargetSeconds": admission_target_s,
        "images": dev_images(),
        "models": [
            {
                "name": MODEL,
                "model": f"openai/{MODEL}",
                "apiBase": f"http://{MOCK_ALIAS}:{MOCK_PORT}/v1",
                "apiKeySecret": MOCK_API_KEY_SECRET,
            }
        ],
    }
    if proxy_server:
        values["proxyServer"] = proxy_server
    return load_settings(values, {MOCK_API_KEY_SECRET})


def _drop_flag(args: list[str], flag: str) -> list[str]:
    assert flag in args, f"{flag} not in the rendered args {args}"
    i = args.index(flag)
    return args[:i] + args[i + 2 :]


def _set_flag(args: list[str], flag: str, value: str) -> list[str]:
    assert flag in args, f"{flag} not in the rendered args {args}"
    out = list(args)
    out[out.index(flag) + 1] = value
    return out


def _no_prometheus(config: dict[str, Any], args: list[str], env: dict[str, str]) -> None:
    config["litellm_settings"]["callbacks"].remove("prometheus")
    args[:] = _drop_flag(args, "--prometheus_metrics_port")
    env.pop("PROMETHEUS_MULTIPROC_DIR")


def _always_cache(config: dict[str, Any], args: list[str], env: dict[str, str]) -> None:
    config["litellm_settings"]["cache_params"]["mode"] = lc.CACHE_MODES["always"]


def _no_redis_router(config: dict[str, Any], args: list[str], env: dict[str, str]) -> None:
    for key in ("redis_host", "redis_port", "redis_password"):
        del config["router_settings"][key]


def _no_health_priority(config: dict[str, Any], args: list[str], env: dict[str, str]) -> None:
    env["LITELLM_GATEWAY_PROXY_NICE"] = "0"  # run-main.sh: the proxy at the health app's priority


#: One rendered setting removed at a time, to price it against the hardened proxy in the same
#: rounds (issue 17: each change measured alone, with what it gives up). name -> (what, gives up, change)
ABLATIONS: dict[str, tuple[str, str, Any]] = {
    "no-prometheus": (
        "without the prometheus callback and metrics process",
        "LiteLLM's request metrics at /metrics (O1, O3)",
        _no_prometheus,
    ),
    "always-cache": (
        "with every request looked up in and written to the Redis response cache (responseCache: always, the seeds' cache)",
        "nothing (it adds: a repeat answered from Redis without asking; none here, every message is unique)",
        _always_cache,
    ),
    "no-health-priority": (
        "with the proxy at the health app's CPU priority (nice 0 instead of 10)",
        "the health app's precedence over saturated workers inside the container (H1)",
        _no_health_priority,
    ),
    "no-redis-router": (
        "with router state in each worker instead of Redis",
        "cooldowns, allowed-fails counts and usage shared by every worker and instance (F2/F4 then count per worker)",
        _no_redis_router,
    ),
}


def build_proxies(memory_limit: bool) -> dict[str, Proxy]:
    proxies: dict[str, Proxy] = {}
    rendered = (
        ("hardened", None, ADMISSION_TARGET_S, "hardened (small class, uvicorn workers)",
         "none: `render_config` / `proxy_args` / `proxy_env` of the small class as rendered"),
        ("gunicorn", "gunicorn", ADMISSION_TARGET_S, "hardened + proxyServer: gunicorn",
         "stack setting `proxyServer: gunicorn` (adds `--run_gunicorn`); nothing else"),
        ("f6-tuned", None, SHARED_CORE_TARGET_S, f"hardened, admissionTargetSeconds {SHARED_CORE_TARGET_S:g} (overload runs only)",
         f"stack setting `admissionTargetSeconds: {SHARED_CORE_TARGET_S:g}`: the 1 s goal for workers with half a core each, as here"),
    )  # fmt: skip
    for key, server, target, title, change in rendered:
        settings = stack_settings(server, target)
        plan = settings.plan()
        flags = ["--cpus", str(plan.workers), "--stop-timeout", str(plan.stop_grace_seconds)]  # P5, P4/P9
        if memory_limit:
            flags += ["--memory", f"{plan.proxy_resources.memory_mib}m"]  # P5
        proxies[key] = Proxy(
            key=key,
            title=title,
            settings=settings,
            plan=plan,
            config=lc.render_config(settings, plan),
            args=lc.proxy_args(settings, plan),
            env=lc.proxy_env(plan, redis_host=REDIS_ALIAS),
            changes=[change],
            health_internal_port=h.HEALTH_PORT,
            docker_flags=flags,
        )
    hard = proxies["hardened"]
    config = copy.deepcopy(hard.config)
    config["general_settings"]["database_connection_pool_limit"] = BASELINE_POOL
    config["litellm_settings"]["set_verbose"] = True
    for key in ("max_in_flight_requests_per_worker", "max_queued_requests_per_worker"):
        del config["general_settings"][key]
    args = _set_flag(hard.args, "--num_workers", "1")
    for flag in ("--max_requests_before_restart", "--max_requests_before_restart_jitter", "--prometheus_metrics_port"):
        args = _drop_flag(args, flag)
    env = dict(hard.env)
    env["LITELLM_LOG"] = "INFO"
    for name in ("SEPARATE_HEALTH_APP", "SEPARATE_HEALTH_PORT", "MAX_REQUESTS_BEFORE_RESTART", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name)
    for name, (title, gives_up, change) in ABLATIONS.items():
        a_config, a_args, a_env = copy.deepcopy(hard.config), list(hard.args), dict(hard.env)
        change(a_config, a_args, a_env)
        proxies[f"hardened-{name}"] = Proxy(
            key=f"hardened-{name}", title=f"hardened {title}", settings=hard.settings, plan=hard.plan,
            config=a_config, args=a_args, env=a_env, changes=[f"hardened {title}; gives up: {gives_up}"],
            health_internal_port=h.HEALTH_PORT, docker_flags=list(hard.docker_flags),
        )  # fmt: skip
    fast = _set_flag(_set_flag(hard.args, "--max_requests_before_restart", str(RECYCLE_EVERY)),
                     "--max_requests_before_restart_jitter", str(RECYCLE_JITTER))  # fmt: skip
    proxies["recycling"] = Proxy(
        key="recycling", title=f"hardened, recycling every {RECYCLE_EVERY}-{RECYCLE_EVERY + RECYCLE_JITTER} requests",
        settings=hard.settings, plan=hard.plan, config=hard.config, args=fast,
        env={**hard.env, "MAX_REQUESTS_BEFORE_RESTART": str(RECYCLE_EVERY)},
        changes=[f"hardened with `--max_requests_before_restart {RECYCLE_EVERY}` / `_jitter {RECYCLE_JITTER}` "
                 "(rendered: 10000 / 1000) so workers recycle every few seconds at saturation (P3/P8)"],
        health_internal_port=h.HEALTH_PORT, docker_flags=list(hard.docker_flags),
    )  # fmt: skip
    bare_config = {"model_list": copy.deepcopy(hard.config["model_list"]),
                   "general_settings": {"master_key": hard.config["general_settings"]["master_key"]}}  # fmt: skip
    proxies = {
        "bare": Proxy(
            key="bare",
            title="bare (LiteLLM's smallest config, 2 uvicorn workers)",
            settings=hard.settings,
            plan=hard.plan,
            config=bare_config,
            args=["--config", lc.CONFIG_PATH, "--port", str(h.PROXY_PORT), "--num_workers", str(hard.plan.workers)],
            env={},
            changes=[
                "config.yaml: the same one model and `general_settings.master_key`, nothing else (no Redis cache or "
                "router state, no callbacks, no admission control, no timeouts, retries or cooldown policy)",
                f"`--num_workers {hard.plan.workers}` as rendered; no recycling, no metrics port, no environment "
                "(LiteLLM's default log level, health on :4000)",
                "no `--cpus` / `--memory` / `--stop-timeout` on the container",
            ],
            health_internal_port=h.PROXY_PORT,
            docker_flags=[],
        ),
        "baseline": Proxy(
            key="baseline",
            title="baseline (1 uvicorn worker, INFO, verbose)",
            settings=hard.settings,
            plan=hard.plan,
            config=config,
            args=args,
            env=env,
            changes=[
                f"`--num_workers 1` (rendered: {hard.plan.workers}), so no `--run_gunicorn` and uvicorn's single process",
                "no `--max_requests_before_restart` / `_jitter` and no `MAX_REQUESTS_BEFORE_RESTART` (no recycling, P3/P8)",
                "`LITELLM_LOG=INFO` (rendered: ERROR) and `litellm_settings.set_verbose: true` (rendered: false)",
                "no `SEPARATE_HEALTH_APP` / `SEPARATE_HEALTH_PORT`: health answered by the main app on :4000 (H1)",
                f"`general_settings.database_connection_pool_limit: {BASELINE_POOL}` (rendered: {hard.plan.db_pool_per_worker};"
                " no database is connected here, so it changes nothing measurable)",
                "no `--prometheus_metrics_port` and no `PROMETHEUS_MULTIPROC_DIR` (O3 is a multi-worker rule;"
                " with one worker `/metrics` is served by the worker itself)",
                "no `--cpus` / `--memory` / `--stop-timeout` on the container (a hand-made `docker run`)",
                "no `max_in_flight_requests_per_worker` / `max_queued_requests_per_worker` (F6: a hand-made config admits everything)",
                "unchanged: everything else (model, Redis cache and router, retries, JSON logs)",
            ],
            health_internal_port=h.PROXY_PORT,
            docker_flags=[],
        ),
        **proxies,
    }
    return proxies


# ---------------------------------------------------------------------------------------------
# containers
# ---------------------------------------------------------------------------------------------
class Bench:
    def __init__(self, tmp: Path, proxies: dict[str, Proxy], mock_latency_ms: int) -> None:
        self.tmp = tmp
        self.proxies = proxies
        self.mock_latency_ms = mock_latency_ms
        self.redis = f"{PREFIX}-redis"
        self.mock = f"{PREFIX}-mock"
        self.redis_password = secrets.token_hex(20)
        self.mock_port = 0
        self.started = False

    def launch(self) -> None:
        images = dev_images()
        docker("network", "create", "--label", LABEL, NETWORK)
        self.started = True
        plan = self.proxies["hardened"].plan
        # One Redis for every proxy: maxclients covers all of them (R2 per proxy: pool x workers).
        maxclients = sum(h.REDIS_POOL_PER_WORKER * int(p.args[p.args.index("--num_workers") + 1]) for p in self.proxies.values())
        maxclients += h.REDIS_RESERVED_CLIENTS
        rargs = _set_flag(redis_args(plan), "--maxclients", str(maxclients))
        common = ["run", "-d", "--label", LABEL, "--network", NETWORK]
        docker(
            *common, "--name", self.redis, "--network-alias", REDIS_ALIAS, "--user", str(REDIS_UID),
            "--memory", f"{plan.redis_resources.memory_mib}m", images["redis"],
            "redis-server", "--requirepass", self.redis_password, *rargs,
        )  # fmt: skip
        docker(
            *common, "--name", self.mock, "--network-alias", MOCK_ALIAS, "--user", str(MOCK_UPSTREAM_UID),
            "-e", f"MOCK_LATENCY_MS={self.mock_latency_ms}", "-p", f"127.0.0.1::{MOCK_PORT}", images["mockUpstream"],
        )  # fmt: skip
        self.mock_port = host_port(self.mock, MOCK_PORT)

    def _launch_proxy(self, p: Proxy, image: str) -> None:
        d = self.tmp / p.key
        d.mkdir(parents=True, exist_ok=True)
        config = d / lc.CONFIG_FILE
        config.write_text(yaml.safe_dump(p.config, sort_keys=False))
        config.chmod(0o644)  # read by uid 10001 through the bind mount
        throwaway = {
            lc.MASTER_KEY_ENV: p.master_key,
            lc.SALT_KEY_ENV: "sk-salt-" + secrets.token_hex(32),
            lc.REDIS_PASSWORD_ENV: self.redis_password,
            lc.DRAIN_TOKEN_ENV: secrets.token_hex(16),
        }
        for name in lc.secret_env_names(p.settings):
            throwaway.setdefault(name, "mock-key-" + secrets.token_hex(8))  # the model's API key
        env_file = d / "proxy.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in {**p.env, **throwaway}.items()))
        env_file.chmod(0o600)
        p.name = f"{PREFIX}-{p.key}"
        ports = ["-p", f"127.0.0.1::{h.PROXY_PORT}"]
        if p.health_internal_port != h.PROXY_PORT:
            ports += ["-p", f"127.0.0.1::{p.health_internal_port}"]
        docker(
            "run", "-d", "--label", LABEL, "--network", NETWORK, "--name", p.name, "--user", str(PROXY_UID),
            "--env-file", str(env_file), "-v", f"{config}:{lc.CONFIG_PATH}:ro", *ports, *p.docker_flags,
            image, *p.args,
        )  # fmt: skip
        p.proxy_port = host_port(p.name, h.PROXY_PORT)
        p.health_port = host_port(p.name, p.health_internal_port)
        info = json.loads(docker("inspect", p.name))[0]
        p.ip = info["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
        p.cgroup_cpu = cgroup_cpu_file(info["Id"])
        log_path = Path(info.get("LogPath") or "")
        p.log_path = log_path if log_path.is_file() else None

    def wait_ready(self) -> dict[str, float]:
        """Starts the proxies BOOT_BATCH at a time, each batch once the one before answers: its
        health endpoint, then an authenticated /v1/models on 4000 (bounded). Seconds since the
        first start, per proxy."""
        start = time.monotonic()
        ready: dict[str, float] = {}
        image = dev_images()["proxy"]
        batch: list[Proxy] = []
        for i, p in enumerate(self.proxies.values()):
            self._launch_proxy(p, image)
            batch.append(p)
            if len(batch) == BOOT_BATCH or i == len(self.proxies) - 1:
                ready.update(self._wait_for(batch, start))
                batch = []
        return ready

    def _wait_for(self, batch: list["Proxy"], start: float) -> dict[str, float]:
        """READY_TIMEOUT_S for the batch; seconds since `start` for each proxy."""
        ready: dict[str, float] = {}
        deadline = time.monotonic() + READY_TIMEOUT_S
        for p in batch:
            for port, path, headers in ((p.health_port, "/health/liveliness", {}), (p.proxy_port, "/v1/models", p.auth)):
                while True:
                    r = http_get(port, path, headers, timeout=5)
                    if r.status == 200:
                        break
                    state = json.loads(docker("inspect", "--format", "{{json .State}}", p.name) or "{}")
                    if not state.get("Running"):
                        raise RuntimeError(f"{p.name} exited while starting: {state}\n{tail_logs(p.name)}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{p.name} not ready {READY_TIMEOUT_S}s after its batch started ({r.status} {r.error})\n{tail_logs(p.name)}")
                    time.sleep(1)
            ready[p.key] = round(time.monotonic() - start, 1)
        return ready

    def containers(self) -> list[str]:
        return [self.redis, self.mock, *(p.name for p in self.proxies.values())]

    def remove(self) -> None:
        if not self.started:
            return
        ids = docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).split()
        if ids:
            docker("rm", "-f", "-v", *ids, check=False, timeout=180)
        docker("network", "rm", NETWORK, check=False)
        self.started = False


def host_port(container: str, port: int) -> int:
    for line in docker("port", container, f"{port}/tcp").splitlines():
        addr, _, p = line.strip().rpartition(":")
        if addr == "127.0.0.1":
            return int(p)
    raise RuntimeError(f"{container}: port {port} is not published on 127.0.0.1")


def tail_logs(container: str, n: int = 40) -> str:
    r = subprocess.run(["docker", "logs", "--tail", str(n), container], capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def cgroup_cpu_file(container_id: str) -> Path | None:
    for candidate in (
        Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage"),  # v1, cgroupfs driver
        Path(f"/sys/fs/cgroup/cpu,cpuacct/docker/{container_id}/cpuacct.usage"),
        Path(f"/sys/fs/cgroup/cpuacct/system.slice/docker-{container_id}.scope/cpuacct.usage"),  # v1, systemd
        Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat"),  # v2, systemd
        Path(f"/sys/fs/cgroup/docker/{container_id}/cpu.stat"),  # v2, cgroupfs
    ):
        if candidate.is_file():
            return candidate
    return None


def cpu_seconds(path: Path | None) -> float:
    if path is None:
        return float("nan")
    text = path.read_text()
    if path.name == "cpu.stat":
        for line in text.splitlines():
            if line.startswith("usage_usec"):
                return int(line.split()[1]) / 1e6
    return int(text.strip()) / 1e9


def container_cpu(bench: Bench) -> dict[str, float]:
    out = {p.key: cpu_seconds(p.cgroup_cpu) for p in bench.proxies.values()}
    for name, key in ((bench.mock, "mock"), (bench.redis, "redis")):
        cid = docker("inspect", "--format", "{{.Id}}", name).strip()
        out[key] = cpu_seconds(cgroup_cpu_file(cid))
    return out


_ACCESS = re.compile(r'"(GET|POST|PUT|DELETE|HEAD) \S+ HTTP/1\.[01]" \d{3}')
_KEYWORDS = ("error", "exception", "traceback", "died", "killed", "child process", "terminat", "timeout", "warning")


def _notable(text: str) -> str | None:
    """The message of a log line worth showing in the report (errors, warnings, process events),
    normalised so repeats collapse; None for access lines, INFO/DEBUG records and blank lines."""
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if isinstance(record, dict) and "level" in record:
        if str(record.get("level")).upper() not in ("WARNING", "ERROR", "CRITICAL"):
            return None
        text = f"{record['level']}: {record.get('message', '')}"
    elif _ACCESS.search(text) or not any(k in text.lower() for k in _KEYWORDS):
        return None
    return re.sub(r"\d+", "#", text.strip())[:180]


def log_delta(p: Proxy) -> dict[str, Any]:
    """What the proxy container logged since the last call (docker's json log file when readable,
    else `docker logs`): lines, bytes of text, the first lines, notable messages with counts, and
    LiteLLM start-up banners (each one a proxy process that started)."""
    if p.log_path is not None:
        with p.log_path.open("rb") as f:
            f.seek(p.log_offset)
            chunk = f.read()
        p.log_offset += len(chunk)
        texts = []
        for raw in chunk.splitlines():
            try:
                texts.append(json.loads(raw)["log"].rstrip("\n"))
            except (ValueError, KeyError):
                texts.append(raw.decode(errors="replace"))
    else:
        r = subprocess.run(["docker", "logs", p.name], capture_output=True, text=True, timeout=120)
        lines = (r.stdout + r.stderr).splitlines()
        texts = lines[p.log_lines_fallback :]
        p.log_lines_fallback = len(lines)
    notable: dict[str, int] = {}
    for text in texts:
        msg = _notable(text)
        if msg:
            notable[msg] = notable.get(msg, 0) + 1
    return {
        "lines": len(texts),
        "bytes": sum(len(t) + 1 for t in texts),
        "sample": [t[:300] for t in texts[:3]],
        "notable": dict(sorted(notable.items(), key=lambda kv: -kv[1])[:8]),
        "banners": sum(1 for t in texts if "\u2588\u2588\u2557     \u2588\u2588\u2557\u2588\u2588\u2588" in t),
    }


def proxy_pids(p: Proxy) -> set[int]:
    """PIDs of the proxy's LiteLLM processes (main, workers; not the health app or metrics server)."""
    out = docker("exec", p.name, "ps", "-eo", "pid=,args=", check=False, timeout=30)
    pids = set()
    for line in out.splitlines():
        pid, _, cmd = line.strip().partition(" ")
        if ("bin/litellm" in cmd or "spawn_main" in cmd) and "prometheus" not in cmd and pid.isdigit():
            pids.add(int(pid))
    return pids


def redis_clients(bench: Bench) -> dict[str, Any]:
    """Redis's rejected connections so far and its clients by proxy (from CLIENT LIST)."""
    cli = ["exec", bench.redis, "redis-cli", "-a", bench.redis_password, "--no-auth-warning"]
    stats = docker(*cli, "INFO", "stats", check=False, timeout=30)
    rejected = next((int(x.split(":")[1]) for x in stats.splitlines() if x.startswith("rejected_connections:")), -1)
    by_ip: dict[str, int] = {}
    for line in docker(*cli, "CLIENT", "LIST", check=False, timeout=30).splitlines():
        m = re.search(r"addr=([0-9.]+):", line)
        if m:
            by_ip[m.group(1)] = by_ip.get(m.group(1), 0) + 1
    by_proxy = {p.key: by_ip.pop(p.ip, 0) for p in bench.proxies.values()}
    by_proxy["other"] = sum(by_ip.values())
    return {"rejected": rejected, "clients": by_proxy}


def memory_mib(containers: list[str]) -> dict[str, float]:
    """`docker stats` memory use (without reclaimable cache), MiB, by container name."""
    out = docker("stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *containers, timeout=60)
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "B": 1 / (1 << 20)}
    found: dict[str, float] = {}
    for line in out.splitlines():
        name, _, usage = line.partition(" ")
        used = usage.split("/")[0].strip()
        for unit, factor in units.items():
            if used.endswith(unit):
                found[name] = float(used[: -len(unit)]) * factor
                break
    return found


def processes_memory(p: Proxy) -> list[dict[str, Any]]:
    """Every process of the proxy container over 20 MB: PSS and RSS (MiB) and its role."""
    script = (
        'for d in /proc/[0-9]*; do '
        'pss=$(grep ^Pss: $d/smaps_rollup 2>/dev/null | tr -s " " | cut -d" " -f2); '
        'rss=$(grep ^Rss: $d/smaps_rollup 2>/dev/null | tr -s " " | cut -d" " -f2); '
        'ppid=$(cut -d" " -f4 $d/stat 2>/dev/null); '
        'echo "${d#/proc/} $ppid $pss $rss $(tr "\\0" " " < $d/cmdline | cut -c1-160)"; done'
    )
    out = docker("exec", p.name, "sh", "-c", script, timeout=60)
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and parts[2].isdigit() and int(parts[2]) > 20_000:
            rows.append({"pid": int(parts[0]), "ppid": int(parts[1]), "pss": int(parts[2]) / 1024,
                         "rss": int(parts[3]) / 1024, "cmd": parts[4].strip()})  # fmt: skip
    pids = {r["pid"]: r for r in rows}
    for r in rows:
        r["role"] = process_role(r, pids)
    return rows


def process_role(r: dict[str, Any], pids: dict[int, dict[str, Any]]) -> str:
    cmd = r["cmd"]
    parent = pids.get(r["ppid"])
    if "supervisor" in cmd:
        return "supervisord"
    if "lg_health_app" in cmd:
        return "health app"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "prometheus" in cmd or "metrics_server" in cmd:
        return "metrics server"
    if "multiprocessing" in cmd or "spawn_main" in cmd:
        return "worker"  # uvicorn's multi-worker mode spawns its workers
    if parent is not None and parent["cmd"] == cmd and "litellm" in cmd:
        return "worker"  # gunicorn forks its workers: same command line as the master
    if "litellm" in cmd:
        return "litellm main process"
    return "other"


# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------
class HealthSampler:
    """A probe: GET /health/liveliness on a new connection every `interval` s, bounded by stop()."""

    def __init__(self, port: int, interval: float = 0.1) -> None:
        self.port = port
        self.interval = interval
        self.samples: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            r = http_get(self.port, "/health/liveliness", timeout=5)
            self.samples.append((r.status, r.elapsed))
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def __enter__(self) -> HealthSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


_WRK_RUNS = itertools.count(1)


class Aborted(Exception):
    """A measurement stopped early because fault tests started (see FaultWatch)."""


class FaultWatch:
    """Polls every few seconds during a measurement for fault-test containers; when they appear
    the measurement is stopped at once (their timing-sensitive tests should not run next to a
    saturated machine) and repeated later."""

    def __init__(self, enabled: bool, every: float = 3.0) -> None:
        self.enabled = enabled
        self.every = every
        self.seen = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if fault_tests_running():
                self.seen.set()
                return

    def __enter__(self) -> FaultWatch:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join(timeout=30)


def run_wrk(p: Proxy, connections: int, seconds: float, tag: str, abort: threading.Event | None = None) -> dict[str, Any]:
    out = Path(tempfile.mkstemp(prefix="lg-bench-wrk-", suffix=".txt")[1])
    # A run id no other wrk run shares, so no message repeats across runs and variants (Redis cache).
    run_id = f"{RUN_ID}-{next(_WRK_RUNS)}-{p.key}-{tag}"
    env = {**os.environ, "LG_BENCH_KEY": p.master_key, "LG_BENCH_MODEL": MODEL,
           "LG_BENCH_RUN": run_id, "LG_BENCH_OUT": str(out)}  # fmt: skip
    cmd = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "30s",
           "-s", str(LUA), f"http://127.0.0.1:{p.proxy_port}/v1/chat/completions"]  # fmt: skip
    try:
        with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
            proc = subprocess.Popen(cmd, env=env, stdout=so, stderr=se)
            deadline = time.monotonic() + seconds + 90
            try:
                while proc.poll() is None:
                    if abort is not None and abort.is_set():
                        proc.send_signal(signal.SIGINT)  # wrk stops its threads and exits
                        proc.wait(timeout=30)
                        raise Aborted("fault-test containers appeared")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"wrk still running after {seconds + 90:.0f}s")
                    time.sleep(0.5)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
            so.seek(0)
            se.seek(0)
            if proc.returncode != 0 or not out.stat().st_size:
                raise RuntimeError(f"wrk failed ({proc.returncode}): {se.read().decode(errors='replace')} {so.read().decode(errors='replace')}")
        lines = out.read_text().splitlines()
    finally:
        out.unlink(missing_ok=True)
    head = dict(kv.split("=") for kv in lines[0].lstrip("# ").split())
    recs, overhead = [], []
    for line in lines[1:]:
        parts = line.split()
        if len(parts) >= 3:
            recs.append((int(parts[0]), int(parts[1]), int(parts[2])))
            try:
                overhead.append(float(parts[3]))
            except (IndexError, ValueError):
                pass
    t0 = min((s for _, _, s in recs), default=0)
    return {
        "duration_s": int(head["duration_us"]) / 1e6,
        "wrk_errors": {k: int(v) for k, v in head.items() if k not in ("duration_us", "requests")},
        "records": [(st, lat / 1e6, (s - t0) / 1e6) for st, lat, s in recs],
        "overhead_ms": overhead,
    }


def summarize_run(records: list[tuple[int, float, float]], duration: float) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for st, _, _ in records:
        by_status[str(st)] = by_status.get(str(st), 0) + 1
    ok = [lat for st, lat, _ in records if st == 200]
    shed = [lat for st, lat, _ in records if st == 503]
    every = [lat for _, lat, _ in records]
    return {
        "responses": len(records),
        "by_status": by_status,
        "rps": len(records) / duration if duration else float("nan"),
        "rps_200": len(ok) / duration if duration else float("nan"),
        "p50": pct(ok, 50), "p95": pct(ok, 95), "p99": pct(ok, 99), "max": max(ok, default=float("nan")),
        "over_2s": sum(1 for x in every if x > OVER_S),
        # of those, sent in the run's first second: wrk opens every connection at once, so the
        # first wave arrives as one burst (and pays any pool growth to a new concurrency)
        "over_2s_first_s": sum(1 for _, lat, t in records if lat > OVER_S and t < 1.0),
        "over_2s_200": sum(1 for x in ok if x > OVER_S),
        "p50_503": pct(shed, 50), "p99_503": pct(shed, 99),
    }  # fmt: skip


def fault_tests_running() -> bool:
    return bool(docker("ps", "--filter", "name=lg-fault-", "-q", check=False).strip())


class Quiet:
    """The fault tests (tests/faults, containers `lg-fault-*`) are timing-sensitive and take the
    same cores, as does anything else another session runs here: no measurement starts until the
    machine is quiet (bounded wait), and a measurement that something else overlapped (fault-test
    containers, or CPU outside the benchmark) is repeated once; the report lists both."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        self.waited_s = 0.0
        self.repeated: list[str] = []
        self.disturbed: list[str] = []

    def wait(self) -> None:
        if self.budget_s <= 0:
            return
        left = max(0.0, self.budget_s - self.waited_s)
        self.waited_s += wait_for_quiet(max(left, 1.0))

    def disturbance(self, result: dict[str, Any]) -> str:
        if self.budget_s <= 0:
            return ""
        if fault_tests_running():
            return "fault-test containers appeared"
        outside = result["cpu_outside_s"] / result["duration_s"]
        if outside > DISTURBED_CORES:
            return f"{outside:.2f} cores were busy outside the benchmark"
        return ""


QUIET = Quiet(0)
MAX_TRIES = 4


def measure(bench: Bench, p: Proxy, connections: int, seconds: float, tag: str, health: bool) -> dict[str, Any]:
    """One measurement on a quiet machine: stopped and repeated (up to MAX_TRIES in all) when
    fault tests start during it or something else took CPU."""
    why = ""
    for attempt in range(1, MAX_TRIES + 1):
        QUIET.wait()
        try:
            result = _measure(bench, p, connections, seconds, tag, health)
            why = QUIET.disturbance(result)
        except Aborted as err:
            why = str(err)
            time.sleep(2)  # let the abandoned requests finish before the next try
        if not why:
            return result
        last = attempt == MAX_TRIES
        log(f"{why} during {tag} {p.key} (try {attempt}): " + ("keeping it, marked" if last else "repeating it once the machine is quiet"))
        if not last:
            QUIET.repeated.append(f"{tag} {p.key} ({why})")
    if "result" not in locals():
        raise SystemExit(f"{tag} {p.key}: interrupted by fault tests {MAX_TRIES} times; giving up")
    QUIET.disturbed.append(f"{tag} {p.key} ({why})")
    result["disturbed"] = why
    return result


def _measure(bench: Bench, p: Proxy, connections: int, seconds: float, tag: str, health: bool) -> dict[str, Any]:
    log_delta(p)  # skip whatever was logged before this run
    pids0 = proxy_pids(p)
    redis0 = redis_clients(bench)
    cpu0 = container_cpu(bench)
    busy0, total0 = cpu_busy_fraction()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = HealthSampler(p.health_port) if health else None
    with FaultWatch(QUIET.budget_s > 0) as watch:
        if sampler:
            with sampler:
                wrk = run_wrk(p, connections, seconds, tag, watch.seen)
        else:
            wrk = run_wrk(p, connections, seconds, tag, watch.seen)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, total1 = cpu_busy_fraction()
    cpu1 = container_cpu(bench)
    time.sleep(1.5)  # requests wrk abandoned at the end finish or fail, and log what they log
    logs = log_delta(p)
    lines = logs["lines"]
    pids1 = proxy_pids(p)
    redis1 = redis_clients(bench)
    s = summarize_run(wrk["records"], wrk["duration_s"])
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    result = {
        "variant": p.key, "connections": connections, "seconds": seconds, "tag": tag,
        **s,
        "duration_s": wrk["duration_s"],
        "wrk_errors": wrk["wrk_errors"],
        "cpu_proxy_s": cpu[p.key],
        "cpu_per_request_ms": cpu[p.key] / s["responses"] * 1000 if s["responses"] else float("nan"),
        "proxy_cores": cpu[p.key] / wrk["duration_s"],
        "cpu_mock_s": cpu["mock"], "cpu_redis_s": cpu["redis"],
        "cpu_idle_proxies_s": {k: v for k, v in cpu.items() if k in bench.proxies and k != p.key},
        "cpu_wrk_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "machine_busy": (busy1 - busy0) / (total1 - total0) if total1 > total0 else float("nan"),
        "cpu_outside_s": (busy1 - busy0) / os.sysconf("SC_CLK_TCK") - sum(cpu.values())
        - ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)),
        "log_lines": lines, "log_bytes": logs["bytes"], "log_sample": logs["sample"],
        "log_notable": logs["notable"], "log_banners": logs["banners"],
        "processes_replaced": len(pids0 - pids1),
        "redis_rejected": redis1["rejected"] - redis0["rejected"] if min(redis0["rejected"], redis1["rejected"]) >= 0 else -1,
        "redis_clients_after": redis1["clients"],
        "log_lines_per_request": lines / s["responses"] if s["responses"] else float("nan"),
        "records": wrk["records"],
        "overhead_p50_ms": pct(wrk["overhead_ms"], 50), "overhead_p99_ms": pct(wrk["overhead_ms"], 99),
        "overhead_ms": wrk["overhead_ms"],
    }  # fmt: skip
    if sampler:
        hs = sampler.samples
        ok = [e for st, e in hs if st == 200]
        result["health"] = {"n": len(hs), "ok": len(ok), "p50": pct(ok, 50), "p99": pct(ok, 99),
                            "max": max(ok, default=float("nan")), "samples": [e for _, e in hs]}  # fmt: skip
    log(
        f"{tag:>14} {p.key:>9} c={connections:<3} {s['rps']:6.1f} rps  p50 {s['p50'] * 1000:5.0f} ms  "
        f"p99 {s['p99'] * 1000:5.0f} ms  >2s {s['over_2s']:3d}  status {s['by_status']}  "
        f"cpu/req {result['cpu_per_request_ms']:.1f} ms  log lines/req {result['log_lines_per_request']:.2f}  "
        f"outside {result['cpu_outside_s'] / result['duration_s']:.2f} cores  replaced {result['processes_replaced']}  "
        f"redis rejected {result['redis_rejected']} clients {result['redis_clients_after'].get(p.key)}"
        + (f"  health p50/p99 {result['health']['p50'] * 1000:.1f}/{result['health']['p99'] * 1000:.1f} ms" if sampler else "")
    )
    return result


def sample_overhead(p: Proxy, n: int) -> dict[str, Any]:
    """n sequential requests on one keep-alive connection: client latency and LiteLLM's own
    x-litellm-overhead-duration-ms / x-litellm-response-duration-ms headers."""
    conn = http.client.HTTPConnection("127.0.0.1", p.proxy_port, timeout=30)
    client, overhead, response_ms, statuses = [], [], [], {}
    try:
        for i in range(n):
            body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": f"overhead {RUN_ID} {p.key} {i}"}]})
            start = time.perf_counter()
            conn.request("POST", "/v1/chat/completions", body=body, headers=p.auth)
            resp = conn.getresponse()
            resp.read()
            client.append(time.perf_counter() - start)
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            for name, bucket in (("x-litellm-overhead-duration-ms", overhead), ("x-litellm-response-duration-ms", response_ms)):
                value = resp.getheader(name)
                try:
                    bucket.append(float(value)) if value not in (None, "None") else None
                except ValueError:
                    pass
    finally:
        conn.close()
    return {
        "n": n, "statuses": statuses,
        "client_p50": pct(client, 50), "client_p99": pct(client, 99),
        "overhead_n": len(overhead), "overhead_p50_ms": pct(overhead, 50), "overhead_p99_ms": pct(overhead, 99),
        "response_p50_ms": pct(response_ms, 50),
    }  # fmt: skip


def mock_alone(bench: Bench, seconds: float) -> dict[str, Any]:
    """The mock upstream without the proxy (same wrk script): its latency at 1 connection and
    its capacity at 64, so the proxy, not the mock, is what saturates."""
    fake = Proxy("mock", "mock", None, None, {}, [], {}, [], MOCK_PORT, [], proxy_port=bench.mock_port)
    out = {}
    for c in (1, 64):
        w = run_wrk(fake, c, seconds, f"mock-c{c}")
        out[c] = summarize_run(w["records"], w["duration_s"])
        log(f"mock alone c={c}: {out[c]['rps']:.0f} rps, p50 {out[c]['p50'] * 1000:.1f} ms, p99 {out[c]['p99'] * 1000:.1f} ms")
    return out


# ---------------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------------
#: The machine counts as quiet when, over QUIET_WINDOW_S with no benchmark load, it is busy for
#: less than this many cores (the benchmark's idle containers use ~0.02), and a run counts as
#: disturbed when CPU outside its containers and wrk averaged more than DISTURBED_CORES.
QUIET_CORES = 0.3
QUIET_WINDOW_S = 3.0
DISTURBED_CORES = 0.35


def machine_busy_cores(window: float) -> float:
    busy0, _ = cpu_busy_fraction()
    time.sleep(window)
    busy1, _ = cpu_busy_fraction()
    return (busy1 - busy0) / os.sysconf("SC_CLK_TCK") / window


def wait_for_quiet(max_wait: float) -> float:
    """Bounded: wait until no fault-test container (`lg-fault-*`) runs and the machine is otherwise
    idle (another session's build or tests take the same 2 cores); returns the seconds waited."""
    start = time.monotonic()
    announced = ""
    while True:
        if fault_tests_running():
            reason = "fault-test containers (lg-fault-*) are running"
        else:
            busy = machine_busy_cores(QUIET_WINDOW_S)
            if busy < QUIET_CORES:
                return max(0.0, time.monotonic() - start - QUIET_WINDOW_S)
            reason = f"the machine is busy with something else ({busy:.2f} cores)"
        if time.monotonic() - start > max_wait:
            raise SystemExit(f"{reason} for over {max_wait:.0f}s; not measuring next to it")
        if reason.split(" (")[0] != announced:
            log(f"{reason}; waiting (up to {max_wait:.0f}s in all)")
            announced = reason.split(" (")[0]
        time.sleep(5)


def plan_of(args: argparse.Namespace) -> dict[str, Any]:
    if getattr(args, "smoke", False):  # debugging the benchmark itself: seconds, not figures
        return {"rounds": 1, "saturation_s": 3, "moderate_s": 3, "overload_s": 3, "overload": [("hardened", 128)], "recycling_s": 3,
                "overhead_n": 5, "warmup_s": 2, "mock_s": 2}  # fmt: skip
    if args.quick:
        return {"rounds": args.rounds or 1, "saturation_s": args.seconds or 10, "moderate_s": 8, "overload_s": 10,
                "overload": [("hardened", 128), ("hardened", 256), ("f6-tuned", 128)], "recycling_s": 30, "overhead_n": 20, "warmup_s": 5, "mock_s": 3}  # fmt: skip
    return {"rounds": args.rounds or 4, "saturation_s": args.seconds or 20, "moderate_s": 15, "overload_s": 20,
            "overload": [("baseline", 128), ("hardened", 128), ("gunicorn", 128), ("hardened", 256),
                         ("f6-tuned", 128), ("f6-tuned", 256)], "recycling_s": 60,
            "overhead_n": 40, "warmup_s": 8, "mock_s": 5}  # fmt: skip


def command_line(args: argparse.Namespace) -> str:
    cmd = ".venv/bin/python -m benchmarks.load"
    if args.smoke:
        cmd += " --smoke"
    if args.quick:
        cmd += " --quick"
    if args.rounds:
        cmd += f" --rounds {args.rounds}"
    if args.seconds:
        cmd += f" --seconds {args.seconds:g}"
    if args.mock_latency_ms != 50:
        cmd += f" --mock-latency-ms {args.mock_latency_ms}"
    if args.no_memory_limit:
        cmd += " --no-memory-limit"
    if args.no_ablations:
        cmd += " --no-ablations"
    if args.wait_for_faults != 1200:
        cmd += f" --wait-for-faults {args.wait_for_faults:g}"
    return cmd


def preflight() -> None:
    """Stop before minutes of set-up when a tool, the engine or an image is missing."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: scripts/setup bench (installs Debian's wrk)")
    if importlib.util.find_spec("matplotlib") is None:  # the plot; checked before minutes of measuring
        raise SystemExit("matplotlib not found: scripts/setup python (requirements.txt pins it)")
    try:
        docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
        raise SystemExit(f"no Docker engine answers ({err}); start one with scripts/docker-engine.sh") from err
    # present and built from this checkout's images/: a tag another checkout rebuilt is not what we measure
    check = subprocess.run([str(ROOT / "scripts/images.sh"), "--check", "litellm", "redis", "mock-upstream"], capture_output=True, text=True, timeout=120)
    if check.returncode != 0:
        raise SystemExit(f"images not ready:\n{check.stdout}{check.stderr}")


def dry_run(proxies: dict[str, Proxy], cfg: dict[str, Any]) -> int:
    """What a run would start and measure, after the preflight: the cheapest real use of the
    command (the tools, the engine, the images and the rendered proxies are all checked), so a
    test can show that the documented benchmark works on a fresh set-up without minutes of load."""
    print(f"dry run: nothing started. Plan: {json.dumps(cfg)}")
    for p in proxies.values():
        print(f"  {p.key}: {p.title}\n    docker {' '.join(p.docker_flags) or '(no flags)'}\n    litellm {' '.join(p.args)}")
    return 0


def selected_proxies(args: argparse.Namespace) -> dict[str, Proxy]:
    proxies = build_proxies(not args.no_memory_limit)
    return {k: p for k, p in proxies.items() if k in VARIANTS or k in ONCE or not args.no_ablations}


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = plan_of(args)
    proxies = selected_proxies(args)
    tmp = Path(tempfile.mkdtemp(prefix="lg-bench-"))
    bench = Bench(tmp, proxies, args.mock_latency_ms)
    data: dict[str, Any] = {"plan": cfg, "runs": []}
    started = time.monotonic()

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        log(f"starting network {NETWORK}: redis, mock upstream ({args.mock_latency_ms} ms), {', '.join(proxies)}")
        bench.launch()
        data["ready_after_s"] = bench.wait_ready()
        log(f"ready after {data['ready_after_s']} s (cumulative)")
        data["mock_alone"] = mock_alone(bench, cfg["mock_s"])
        for p in proxies.values():  # warm-up: lazy imports, connection pools grown to 64, first-call paths
            QUIET.wait()
            run_wrk(p, 64, cfg["warmup_s"], f"warmup-{p.key}")
        data["overhead"] = {}
        for p in proxies.values():
            data["overhead"][p.key] = o = sample_overhead(p, cfg["overhead_n"])
            log(f"one connection {p.key}: p50 {o['client_p50'] * 1000:.1f} ms, p99 {o['client_p99'] * 1000:.1f} ms, "
                f"x-litellm-overhead-duration-ms p50 {o['overhead_p50_ms']:.1f} ({o['overhead_n']} of {o['n']} had it)")  # fmt: skip
        cpu0 = container_cpu(bench)
        time.sleep(5)
        cpu1 = container_cpu(bench)
        data["idle_cpu_cores"] = {k: (cpu1[k] - cpu0[k]) / 5 for k in cpu0}
        data["memory_after"] = {}
        for r in range(cfg["rounds"]):
            rounds = [k for k in proxies if k not in ONCE]
            order = rounds if r % 2 == 0 else list(reversed(rounds))
            for key in order:
                res = measure(bench, proxies[key], 64, cfg["saturation_s"], f"r{r + 1}-saturation", health=True)
                res["round"] = r + 1
                data["runs"].append(res)
                data["memory_after"][key] = memory_mib([proxies[key].name])[proxies[key].name]
            for key in (k for k in order if k in VARIANTS):  # ablations are priced at saturation only
                res = measure(bench, proxies[key], 8, cfg["moderate_s"], f"r{r + 1}-moderate", health=False)
                res["round"] = r + 1
                data["runs"].append(res)
        for key, c in cfg["overload"]:
            res = measure(bench, proxies[key], c, cfg["overload_s"], f"overload-c{c}", health=True)
            data["runs"].append(res)
        data["runs"].append(measure(bench, proxies["recycling"], 64, cfg["recycling_s"], "recycling-c64", health=True))
        time.sleep(2)
        data["memory_final"] = memory_mib(bench.containers())
        data["processes"] = {p.key: processes_memory(p) for p in proxies.values()}
        data["restarts"] = {p.key: docker("inspect", "--format", "{{.RestartCount}} {{.State.OOMKilled}}", p.name).strip() for p in proxies.values()}
        data["worker_logs"] = {p.key: [ln for ln in tail_logs(p.name, 400).splitlines() if "Killed" in ln or "died" in ln.lower() or "OOM" in ln][:5] for p in proxies.values()}  # fmt: skip
    finally:
        log("removing containers and network")
        bench.remove()
        shutil.rmtree(tmp, ignore_errors=True)
    data["runtime_s"] = time.monotonic() - started
    data["proxies"] = {
        k: {"title": p.title, "args": p.args, "changes": p.changes, "docker_flags": p.docker_flags,
            "env": {n: v for n, v in p.env.items()}, "health": p.health_label,
            "workers": int(p.args[p.args.index("--num_workers") + 1]),
            "max_in_flight": p.config.get("general_settings", {}).get("max_in_flight_requests_per_worker"),
            "max_queued": p.config.get("general_settings", {}).get("max_queued_requests_per_worker"),
            "admission_target_s": p.settings.admission_target_seconds}
        for k, p in proxies.items()
    }  # fmt: skip
    data["proxy_memory_limit_mib"] = proxies["hardened"].plan.proxy_resources.memory_mib
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="one round of shorter runs (about 3-4 minutes)")
    parser.add_argument("--rounds", type=int, default=0, help="alternating rounds (default 4, --quick 1)")
    parser.add_argument("--seconds", type=float, default=0, help="seconds per saturation run (default 20, --quick 10)")
    parser.add_argument("--mock-latency-ms", type=int, default=50, help="the mock upstream's latency (default 50)")
    parser.add_argument("--no-memory-limit", action="store_true",
                        help="run the hardened proxies without the class's memory limit (P5; on by default, as the program sets it)")
    parser.add_argument("--wait-for-faults", type=float, default=1200,
                        help="wait up to this many seconds in all for a quiet machine: no fault-test containers "
                             "(lg-fault-*) and nothing else busy; a run something overlapped is repeated once "
                             "(default 1200; 0: do not check)")
    parser.add_argument("--no-ablations", action="store_true",
                        help="leave out the hardened variants with one setting removed (ABLATIONS), measured at "
                             "saturation only to price each setting alone")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory of load.md, load.png, load.json")
    parser.add_argument("--dry-run", action="store_true",
                        help="check wrk, matplotlib, the engine and the images, print the plan and the proxies' commands; start nothing")
    args = parser.parse_args(argv)

    preflight()
    if args.dry_run:
        return dry_run(selected_proxies(args), plan_of(args))
    QUIET.budget_s = args.wait_for_faults
    QUIET.wait()

    data = run(args)
    data["command"] = command_line(args)
    data["cores"] = os.cpu_count()
    data["litellm_version"] = h.LITELLM_VERSION
    data["wrk_version"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[0].strip()
    data["date"] = time.strftime("%Y-%m-%d %H:%M %Z")
    data["waited_for_faults_s"] = QUIET.waited_s
    data["repeated_runs"] = QUIET.repeated
    data["disturbed_runs"] = QUIET.disturbed
    data["mock_latency_ms"] = args.mock_latency_ms
    data["class_memory_limit"] = not args.no_memory_limit

    from benchmarks import load_report

    # the raw records too, outside the results, so a report can be written again without a rerun
    raw_all = Path(tempfile.gettempdir()) / f"lg-bench-{RUN_ID}.json"
    raw_all.write_text(json.dumps(data, default=str))
    log(f"raw data (with every record): {raw_all}")

    args.out.mkdir(parents=True, exist_ok=True)
    raw = copy.deepcopy(data)
    for r in raw["runs"]:
        r.pop("records", None)
        r.pop("overhead_ms", None)
        if "health" in r:
            r["health"].pop("samples", None)
    (args.out / "load.json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    load_report.write(data, args.out)
    log(f"wrote {args.out / 'load.md'}, load.png and load.json; runtime {data['runtime_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

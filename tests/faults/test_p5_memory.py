"""P5 and oversized bodies, on a proxy of its own with the class's memory limit exactly as the
program sets it (`--memory plan.proxy_resources.memory_mib`, 1408 MiB on the small class)."""

import json
import threading
import time

import pytest

from .conftest import (
    Finding,
    Result,
    Stack,
    check_finding,
    docker_memory_mib,
    http_request,
    run_load,
    summarize,
    unique,
)

pytestmark = pytest.mark.docker


def wait_for_workers(s: Stack, seconds: float = 90) -> None:
    """Bounded: the configured number of workers, and the main port serving again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(s.uvicorn_workers()) == s.plan.workers and s.chat("load", unique("up?"), timeout=10).status == 200:
            return
        time.sleep(1)
    raise AssertionError(f"{s.proxy}: workers not back after {seconds}s\n{s.logs()}")


def test_p5_proxy_memory_fits_the_class_limit_under_load(p5_stack: Stack) -> None:
    """Idle use leaves >= 20 % of the limit free, and 12 s of saturation (48 clients) kill no worker."""
    s = p5_stack
    limit = s.plan.proxy_resources.memory_mib
    idle = docker_memory_mib(s.proxy)
    by_process = s.memory_by_process()
    workers_before = s.uvicorn_workers()
    peak = [idle]
    done = threading.Event()

    def sample() -> None:  # bounded by the load
        while not done.is_set():
            try:
                peak.append(docker_memory_mib(s.proxy))
            except Exception:  # noqa: BLE001  # a missed sample is not a failure
                pass
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        load: list[Result] = run_load(
            lambda i: s.chat("load", unique(f"p5 {i}"), timeout=60), concurrency=48, max_requests=20_000, max_seconds=12
        )
    finally:
        done.set()
        sampler.join(timeout=30)
    workers_after = s.uvicorn_workers()
    facts = (
        f"limit {limit} MiB; idle {idle:.0f} MiB ({idle / limit:.0%}); peak under load {max(peak):.0f} MiB; "
        f"PSS by process (MiB) {by_process}; workers {sorted(workers_before)} -> {sorted(workers_after)}; "
        f"load {summarize(load)}"
    )
    print(f"\n[P5] {facts}")
    assert len(load) >= 100, facts
    try:
        check_finding(idle <= 0.8 * limit, f"idle use above 80 % of the limit: {facts}")
        check_finding(workers_after == workers_before, f"a worker was OOM-killed under load: {facts}")
        check_finding(all(r.status == 200 for r in load), f"requests failed under load: {facts}")
    finally:
        wait_for_workers(s)


@pytest.mark.xfail(
    raises=Finding,
    strict=True,
    reason=(
        "finding: no request-body limit. LiteLLM 1.106.2 enforces general_settings.max_request_size_mb only for "
        "premium (enterprise) users and uvicorn has none, so a body of any size is read and parsed before the auth "
        "check (answered 401, not 413). At the first memory budget (1408 MiB) one unauthenticated 64 MiB POST made "
        "the kernel OOM-kill a worker; at the current budget 64 MiB fits, a larger body may not. Needs a body "
        "limit in front of the proxy (ingress / reverse proxy) or an enterprise licence. Remove this marker then."
    ),
)
def test_oversized_body_gets_4xx_and_no_worker_is_killed(p5_stack: Stack) -> None:
    s = p5_stack
    wait_for_workers(s)
    workers_before = s.uvicorn_workers()
    body = json.dumps({"model": "load", "messages": [{"role": "user", "content": "x" * (64 << 20)}]}).encode()
    r = http_request(s.proxy_port, "POST", "/v1/chat/completions", body, {"Content-Type": "application/json"}, 60)
    time.sleep(1)
    workers_after = s.uvicorn_workers()
    facts = f"64 MiB without a key: {r.brief()[:120]}; workers {sorted(workers_before)} -> {sorted(workers_after)}"
    print(f"\n[oversized] {facts}")
    try:
        assert workers_after == workers_before, f"a worker was killed: {facts}"
        assert 400 <= r.status < 500, facts
        check_finding(r.status == 413, f"the body was read in full, not refused for its size: {facts}")
    finally:
        wait_for_workers(s)

"""P3/P8 worker recycling and P4/P9 shutdown drain, each on a proxy of its own."""

import re
import subprocess
import threading
import time

import pytest

from .conftest import Result, Stack, container_state, run_load, summarize, unique

pytestmark = pytest.mark.docker


def test_p3_p8_worker_recycling_under_load_no_failed_request(recycle_stack: Stack) -> None:
    """Workers recycle after 50 + up to 20 (jitter) requests here (the stack's one override, see
    conftest.FRESH_STACKS); 400 requests from 8 clients recycle each of the 2 workers several
    times, and not one request fails."""
    s = recycle_stack
    assert s.args[s.args.index("--max_requests_before_restart") + 1] == "50"
    seen: set[int] = set(s.uvicorn_workers())
    initial = set(seen)
    assert len(initial) == s.plan.workers, initial
    done = threading.Event()

    def sample() -> None:  # bounded by the load's own deadline
        while not done.is_set():
            try:
                seen.update(s.uvicorn_workers())
            except (AssertionError, subprocess.TimeoutExpired):
                pass
            done.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        results = run_load(
            lambda i: s.chat("load", unique(f"recycle {i}"), timeout=90),
            concurrency=8,
            max_requests=400,
            max_seconds=150,
        )
    finally:
        done.set()
        sampler.join(timeout=30)
    replaced = seen - initial
    print(f"\n[P3/P8] {summarize(results)}; worker pids seen {sorted(seen)} (started with {sorted(initial)})")
    failed = [r.brief()[:200] for r in results if r.status != 200]
    assert len(results) == 400, summarize(results)
    assert not failed, f"{len(failed)} of {len(results)} requests failed during recycling: {failed[:5]}"
    # 400 requests, limit 50..70 per worker: at least 2 replacements must have happened
    assert len(replaced) >= 2, f"workers were not recycled: pids {sorted(seen)}"


LONG_S = 35  # above LiteLLM's GRACEFUL_SHUTDOWN_TIMEOUT default (30 s) and gunicorn's graceful_timeout (30 s)
LIGHT_DELAY_MS = 1500  # each light request spends 1.5 s upstream, so several are in flight at the stop


def test_p4_p9_docker_stop_drains_long_request(drain_stack: Stack) -> None:
    """Light steady load plus one request that takes 35 s upstream; `docker stop` (timeout =
    plan.stop_grace_seconds, set on the container) while it is in flight. Every request sent
    before the stop completes with 200, the long one included, and then the container exits."""
    s = drain_stack
    grace = s.plan.stop_grace_seconds
    assert s.env["GRACEFUL_SHUTDOWN_TIMEOUT"] == str(s.plan.graceful_shutdown_seconds) and grace > LONG_S
    stop_sending = threading.Event()
    light: list[Result] = []
    long_result: list[Result] = []

    long_thread = threading.Thread(
        target=lambda: long_result.append(s.chat("slow", unique(f"mock-delay-{LONG_S * 1000}"), timeout=LONG_S + 120)),
        daemon=True,
    )
    light_thread = threading.Thread(
        target=lambda: light.extend(
            run_load(
                lambda i: s.chat("load", unique(f"mock-delay-{LIGHT_DELAY_MS} light {i}"), timeout=120),
                concurrency=3,
                max_requests=1000,
                max_seconds=LONG_S + 60,
                stop=stop_sending,
            )
        ),
        daemon=True,
    )
    t0 = time.monotonic()
    light_thread.start()
    long_thread.start()
    deadline = time.monotonic() + 20
    while s.calls("slow") < 1:
        assert time.monotonic() < deadline, "the long request never reached the upstream"
        time.sleep(0.2)
    time.sleep(3)  # the long request is in flight upstream, light requests come and go

    stop_sending.set()  # nothing is sent after the stop begins: every request below was accepted
    t_stop = time.monotonic()
    stopper = subprocess.Popen(
        ["docker", "stop", "-t", str(grace), s.proxy], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # after SIGTERM: what does a new request get, and the health app? (informative, bounded)
    late: list[tuple[float, str]] = []
    health_after: list[tuple[float, str]] = []
    exited_at = None
    bound = t_stop + LONG_S + 60
    while time.monotonic() < bound:
        state = container_state(s.proxy)
        if not state.get("Running", False):
            exited_at = time.monotonic()
            break
        if len(late) < 20:
            r = s.chat("load", unique("late"), timeout=3)
            late.append((round(r.started - t_stop, 1), r.brief()[:90]))
            hr = s.health("/health/readiness", timeout=2)
            health_after.append((round(hr.started - t_stop, 1), str(hr.status or hr.error[:40])))
        time.sleep(1)
    if exited_at is None:
        stopper.kill()
        subprocess.run(["docker", "kill", s.proxy], capture_output=True, timeout=60)
    else:
        stopper.wait(timeout=60)
    long_thread.join(timeout=60)
    light_thread.join(timeout=60)
    stats = s.mock_stats()
    logs = s.logs(tail=40)
    supervisor_lines = [
        line for line in logs.splitlines() if re.search(r"supervisord|waiting for|stopped:|exit status|SIG", line)
    ]

    long_r = long_result[0] if long_result else None
    timeline = {
        "stop_after_s": round(t_stop - t0, 1),
        "long": long_r and f"{long_r.brief()[:120]} (ended {long_r.started + long_r.elapsed - t_stop:+.1f}s after stop)",
        "container_exit_after_stop_s": exited_at and round(exited_at - t_stop, 1),
        "exit_code": container_state(s.proxy).get("ExitCode"),
        "light": summarize(light),
        "light_in_flight_at_stop": sum(r.started + r.elapsed > t_stop for r in light),
        "upstream": {k: stats[k] for k in ("requests", "statuses", "completed", "aborted")},
        "late_requests": late[:6],
        "health_readiness_after_stop": health_after[:6],
    }
    print(f"\n[P4/P9] {timeline}\n" + "\n".join(supervisor_lines))
    assert exited_at is not None, f"the container did not exit within {LONG_S + 60}s of docker stop: {timeline}"
    assert long_r is not None and long_r.status == 200, f"the long request was cut: {timeline}\n{logs}"
    assert long_r.elapsed >= LONG_S, timeline
    failed = [r.brief()[:160] for r in light if r.status != 200]
    assert not failed, f"accepted light requests failed during the drain: {failed[:5]}; {timeline}\n{logs}"
    assert stats["aborted"] == 0, f"the upstream saw the proxy hang up on {stats['aborted']} answers: {timeline}"
    assert exited_at >= long_r.started + long_r.elapsed - 1, f"the container exited before the long request ended: {timeline}"

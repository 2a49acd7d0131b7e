"""H1 and bad input against the shared proxy; R1 on a proxy of its own, in the background (its
recovery takes a minute). The oversized body is in test_p5_memory.py (it needs the memory limit)."""

import json
import threading
import time
from typing import Any

import pytest

from components import hardening as h

from .conftest import (
    Finding,
    Result,
    Stack,
    Stacks,
    background_scenario,
    check_finding,
    docker,
    http_request,
    run_load,
    summarize,
    unique,
)

pytestmark = pytest.mark.docker


def load_sender(stack: Stack, timeout: float = 60):
    return lambda i: stack.chat("load", unique(f"load {i}"), timeout=timeout)


def test_h1_health_app_answers_while_main_port_saturated(shared_stack: Stack) -> None:
    """48 clients keep the two workers on 4000 busy for ~15 s; meanwhile the health app on 4001
    answers every /health/liveliness within the probe timeout (H3: 5 s). The same probe on the
    main port is measured for comparison."""
    s = shared_stack
    stop = threading.Event()
    load: list[Result] = []
    loader = threading.Thread(
        target=lambda: load.extend(run_load(load_sender(s), concurrency=48, max_requests=20_000, max_seconds=30, stop=stop)),
        daemon=True,
    )
    loader.start()
    try:
        time.sleep(3)  # let the load build up
        health: list[Result] = []
        main: list[Result] = []
        end = time.monotonic() + 12
        while time.monotonic() < end:
            health.append(s.health("/health/liveliness", timeout=h.PROBE_TIMEOUT_SECONDS))
            main.append(http_request(s.proxy_port, "GET", "/health/liveliness", timeout=30))
            time.sleep(0.25)
    finally:
        stop.set()
        loader.join(timeout=90)
    assert not loader.is_alive()
    ms = lambda rs: sorted(round(r.elapsed * 1000) for r in rs)  # noqa: E731
    hl, ml = ms(health), ms(main)
    print(
        f"\n[H1] load: {summarize(load)}; health app :4001 p50 {hl[len(hl) // 2]} ms max {hl[-1]} ms "
        f"({len(hl)} probes); main :4000 p50 {ml[len(ml) // 2]} ms max {ml[-1]} ms"
    )
    bad = [r.brief() for r in health if r.status != 200 or r.elapsed >= h.PROBE_TIMEOUT_SECONDS]
    assert not bad, f"health app probes failed or took >= {h.PROBE_TIMEOUT_SECONDS}s under load: {bad}"
    assert len(load) >= 200, f"the main port was not under load: {summarize(load)}"
    assert all(r.status == 200 for r in load), f"requests failed under saturation: {summarize(load)}"


BAD_REQUESTS: dict[str, tuple[bytes, bool]] = {
    # name: (body, send the master key)
    "invalid JSON": (b'{"model": "load", "messages": [ {', True),
    "empty body": (b"", True),
    "no messages": (json.dumps({"model": "load"}).encode(), True),
    "messages not a list": (json.dumps({"model": "load", "messages": "hi"}).encode(), True),
    "unknown model": (json.dumps({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}).encode(), True),
    "no key": (json.dumps({"model": "load", "messages": [{"role": "user", "content": "x"}]}).encode(), False),
}


def test_malformed_unknown_model_oversized_body_get_4xx_and_proxy_stays_up(shared_stack: Stack) -> None:
    """Bad requests get a 4xx each, an oversized body without a key too, and no worker dies: the
    same worker processes serve a normal request afterwards. (A JSON array body:
    test_non_object_json_body_gets_4xx; an oversized body at the class's memory limit:
    test_p5_memory.py.)"""
    s = shared_stack
    workers_before = s.uvicorn_workers()
    assert len(workers_before) == s.plan.workers, workers_before
    got: dict[str, str] = {}
    for name, (body, with_key) in BAD_REQUESTS.items():
        headers = s.auth if with_key else {"Content-Type": "application/json"}
        r = http_request(s.proxy_port, "POST", "/v1/chat/completions", body, headers, timeout=60)
        got[name] = r.brief()[:160]
        assert 400 <= r.status < 500, f"{name}: {r.brief()}"
    # a wrong key: 401 with a database; this offline stack has none and answers 400 "No connected db"
    wrong = dict(s.auth, Authorization="Bearer sk-not-the-key")
    r = http_request(s.proxy_port, "POST", "/v1/chat/completions", BAD_REQUESTS["no key"][0], wrong, timeout=30)
    got["wrong key"] = r.brief()[:160]
    assert 400 <= r.status < 500, r.brief()
    # an oversized body without a key (16 MiB): read in full (there is no body limit,
    # see test_p5_memory.py), then refused by the auth check
    big = json.dumps({"model": "load", "messages": [{"role": "user", "content": "x" * (16 << 20)}]}).encode()
    r = http_request(s.proxy_port, "POST", "/v1/chat/completions", big, {"Content-Type": "application/json"}, 60)
    got["16 MiB body, no key"] = r.brief()[:160]
    assert 400 <= r.status < 500, r.brief()
    print("\n[bad input] " + "\n  ".join(f"{k}: {v}" for k, v in got.items()))

    ok = s.chat("load", unique("still up"))
    assert ok.status == 200, ok.brief()
    assert s.health("/health/readiness").status == 200
    assert s.uvicorn_workers() == workers_before, "a worker process died or was replaced"


@pytest.mark.xfail(
    raises=Finding,
    strict=True,
    reason=(
        "finding (LiteLLM 1.106.2 bug): a JSON array as the body of /v1/chat/completions raises AttributeError "
        "('list' object has no attribute 'get') in user_api_key_auth and is answered 500 instead of 400. The "
        "proxy stays up. Remove this marker when the pinned release answers 4xx."
    ),
)
def test_non_object_json_body_gets_4xx(shared_stack: Stack) -> None:
    s = shared_stack
    r = http_request(s.proxy_port, "POST", "/v1/chat/completions", b"[1, 2, 3]", s.auth, timeout=30)
    assert s.chat("load", unique("still up")).status == 200
    check_finding(400 <= r.status < 500, r.brief())


REDIS_CIRCUIT_BREAKER_RECOVERY_S = 60  # LiteLLM 1.106.2 default (REDIS_CIRCUIT_BREAKER_RECOVERY_TIMEOUT)


@background_scenario("r1")
def redis_outage_under_load(s: Stack) -> dict[str, Any]:
    """3 clients (0.2 s upstream each) for 26 s; Redis (cache, router state) is stopped after
    5 s and started again 8 s later. Then, bounded, until the proxy uses Redis as before."""

    def redis_commands() -> int:
        out = docker("exec", s.redis, "redis-cli", "--no-auth-warning", "-a", s.redis_password, "info", "stats")
        return int(next(line.split(":")[1] for line in out.splitlines() if line.startswith("total_commands_processed")))

    def probe(n: int, label: str) -> tuple[float, list[Result]]:
        """Redis commands per request over n sequential requests."""
        before = redis_commands()
        results = [s.chat("load", unique(label), timeout=30) for _ in range(n)]
        return (redis_commands() - before) / n, results

    baseline, warmup = probe(6, "baseline")
    stop = threading.Event()
    load: list[Result] = []
    sender = lambda i: s.chat("load", unique(f"mock-delay-200 r1 {i}"), timeout=30)  # noqa: E731
    loader = threading.Thread(
        target=lambda: load.extend(run_load(sender, concurrency=3, max_requests=50_000, max_seconds=26, stop=stop)),
        daemon=True,
    )
    t0 = time.monotonic()
    loader.start()
    try:
        time.sleep(5)
        t_down = time.monotonic()
        docker("stop", "-t", "5", s.redis)
        stopped_in = time.monotonic() - t_down
        time.sleep(8)
        t_up = time.monotonic()
        docker("start", s.redis)
    finally:
        loader.join(timeout=120)
        stop.set()
    phases: dict[str, list[Result]] = {"before": [], "outage": [], "after": []}
    for r in load:
        phases["before" if r.started < t_down else "outage" if r.started < t_up else "after"].append(r)

    # recovery: Redis used as before, i.e. >= 80 % of the baseline commands per request
    # (bounded: LiteLLM's Redis circuit breaker recovery + 30 s after the outage began)
    recovered_after, first_use_after, trace = None, None, []
    while time.monotonic() - t_down < REDIS_CIRCUIT_BREAKER_RECOVERY_S + 30:
        per_request, results = probe(4, "recovery")
        phases["after"].extend(results)
        trace.append((round(time.monotonic() - t_down), round(per_request, 1)))
        if first_use_after is None and per_request >= baseline / 4:
            first_use_after = time.monotonic() - t_down
        if per_request >= 0.8 * baseline:
            recovered_after = time.monotonic() - t_down
            break
        time.sleep(2)
    return {
        "timeline": f"redis stopped {t_down - t0:.1f}s into the load (in {stopped_in:.1f}s), started {t_up - t0:.1f}s",
        "phases": {k: summarize(v) for k, v in phases.items()},
        "failed": {k: [r.brief()[:200] for r in v if r.status != 200] for k, v in phases.items()},
        "counts": {k: len(v) for k, v in phases.items()},
        "warmup_ok": all(r.status == 200 for r in warmup),
        "redis_commands_per_request": {"baseline": round(baseline, 1), "after restart (s since outage, per request)": trace},
        "recovered_after_s": recovered_after and round(recovered_after, 1),
        "first_use_after_s": first_use_after and round(first_use_after, 1),
        "logs": s.logs(tail=15),
    }


@pytest.mark.scenario("r1")
def test_r1_redis_outage_under_load(stacks: Stacks) -> None:
    """The proxy answers 200 before, during and after a Redis outage under load, and talks to
    Redis again afterwards (its own stack, in the background: see redis_outage_under_load)."""
    facts = stacks.outcome("r1")
    print(f"\n[R1] {facts['timeline']}: {facts['phases']}; redis commands/request "
          f"{facts['redis_commands_per_request']}; Redis partly used again {facts['first_use_after_s']} s, fully "
          f"{facts['recovered_after_s']} s after the outage began")
    assert facts["warmup_ok"]
    for phase, count in facts["counts"].items():
        assert count > 0, f"no request in phase {phase}: {facts['phases']}"
        failed = facts["failed"][phase]
        assert not failed, f"{phase} the outage: {len(failed)} of {count} failed, e.g. {failed[:3]}\n{facts['logs']}"
    assert facts["recovered_after_s"] is not None, (
        f"the proxy did not use Redis again within {REDIS_CIRCUIT_BREAKER_RECOVERY_S + 30}s: {facts['redis_commands_per_request']}"
    )

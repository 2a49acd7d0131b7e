"""The report of benchmarks/load.py: figures from its measurements, load.md and load.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.load import ABLATIONS, VARIANTS, median, pct

MB_PER_MIB = 1.048576

# The targets.
TARGET_RATIO = 2.5
TARGET_CPU_MS = 8.0
TARGET_HEALTH_P99_MS = 5.0
TARGET_WORKER_MB = 350.0
# Issue 17: what hardening may cost over LiteLLM's smallest config (CPU per request, and RPS).
TARGET_OVER_BARE = 1.15




def _ms(x: float, digits: int = 0) -> str:
    return "n/a" if x != x else f"{x * 1000:.{digits}f}"


def _f(x: float, digits: int = 1) -> str:
    return "n/a" if x != x else f"{x:.{digits}f}"


def _runs(data: dict[str, Any], kind: str, variant: str) -> list[dict[str, Any]]:
    return [r for r in data["runs"] if r["tag"].endswith(kind) and r["variant"] == variant]


def figures(data: dict[str, Any]) -> dict[str, Any]:
    """Every number the report prints, by variant."""
    fig: dict[str, Any] = {}
    for v in data["proxies"]:
        sat, mod = _runs(data, "saturation", v), _runs(data, "moderate", v)
        sat_ok = [lat for r in sat for st, lat, _ in r["records"] if st == 200]
        mod_ok = [lat for r in mod for st, lat, _ in r["records"] if st == 200]
        health = [x for r in sat for x in r.get("health", {}).get("samples", [])]
        health_fail = sum(r["health"]["n"] - r["health"]["ok"] for r in sat if "health" in r)
        procs = data.get("processes", {}).get(v, [])
        workers = [p for p in procs if p["role"] == "worker"]
        fig[v] = {
            "sat_rps": [r["rps_200"] for r in sat],
            "sat_rps_median": median([r["rps_200"] for r in sat]),
            "sat_non200": sum(n for r in sat for st, n in r["by_status"].items() if st != "200"),
            "sat_responses": sum(r["responses"] for r in sat),
            "sat_p50": pct(sat_ok, 50), "sat_p95": pct(sat_ok, 95), "sat_p99": pct(sat_ok, 99),
            "sat_max": max(sat_ok, default=float("nan")),
            "sat_over_2s": sum(r["over_2s"] for r in sat),
            "sat_over_2s_runs": [r["over_2s"] for r in sat],
            "sat_over_2s_first_s": sum(r.get("over_2s_first_s", 0) for r in sat),
            "mod_rps_median": median([r["rps_200"] for r in mod]),
            "mod_p50": pct(mod_ok, 50), "mod_p95": pct(mod_ok, 95), "mod_p99": pct(mod_ok, 99),
            "mod_non200": sum(n for r in mod for st, n in r["by_status"].items() if st != "200"),
            "health_n": len(health), "health_fail": health_fail,
            "health_p50": pct(health, 50), "health_p99": pct(health, 99), "health_max": max(health, default=float("nan")),
            "sat_overhead_p50": pct([x for r in sat for x in r.get("overhead_ms", [])], 50),
            "sat_overhead_p99": pct([x for r in sat for x in r.get("overhead_ms", [])], 99),
            "mod_overhead_p50": pct([x for r in mod for x in r.get("overhead_ms", [])], 50),
            "mod_overhead_p99": pct([x for r in mod for x in r.get("overhead_ms", [])], 99),
            "cpu_sat_ms": median([r["cpu_per_request_ms"] for r in sat]),
            "cpu_mod_ms": median([r["cpu_per_request_ms"] for r in mod]),
            "cores_sat": median([r["proxy_cores"] for r in sat]),
            "machine_busy_sat": median([r["machine_busy"] for r in sat]),
            "log_per_req_sat": median([r["log_lines_per_request"] for r in sat]),
            "log_bytes_per_req_sat": median([r["log_bytes"] / r["responses"] for r in sat if r["responses"]]),
            "log_sample": next((r["log_sample"] for r in sat if r["log_sample"]), []),
            "memory_after": data.get("memory_after", {}).get(v, float("nan")),
            "memory_final": next((m for n, m in data.get("memory_final", {}).items() if n.endswith(f"-{v}")), float("nan")),
            "redis_rejected_sat": sum(max(0, r.get("redis_rejected", 0)) for r in sat),
            "redis_clients_max": max((r.get("redis_clients_after", {}).get(v, 0) for r in data["runs"] if r["variant"] == v), default=0),
            "replaced_all": sum(r.get("processes_replaced", 0) for r in data["runs"] if r["variant"] == v),
            "procs": procs,
            "worker_pss": [p["pss"] for p in workers],
            "worker_rss": [p["rss"] for p in workers],
            "pss_total": sum(p["pss"] for p in procs),
        }  # fmt: skip
    rounds = sorted({r["round"] for r in data["runs"] if "round" in r})
    pairs, p11, bare_rps, bare_cpu = [], [], [], []
    ablation_rps: dict[str, list[float]] = {}
    ablation_cpu: dict[str, list[float]] = {}
    for rd in rounds:
        sat = {r["variant"]: r for r in data["runs"] if r.get("round") == rd and r["tag"].endswith("saturation")}
        rps = {v: r["rps_200"] for v, r in sat.items()}
        cpu = {v: r["cpu_per_request_ms"] for v, r in sat.items()}
        if rps.get("baseline") and rps.get("hardened"):
            pairs.append(rps["hardened"] / rps["baseline"])
        if rps.get("hardened") and rps.get("gunicorn"):
            p11.append(rps["gunicorn"] / rps["hardened"])
        if rps.get("bare") and rps.get("hardened"):
            bare_rps.append(rps["bare"] / rps["hardened"])
            bare_cpu.append(cpu["hardened"] / cpu["bare"])
        for v in sat:
            if v.startswith("hardened-") and rps.get("hardened"):
                ablation_rps.setdefault(v, []).append(rps[v] / rps["hardened"])
                ablation_cpu.setdefault(v, []).append(cpu[v] - cpu["hardened"])
    fig["pairs"] = pairs
    fig["ratio"] = median(pairs)
    fig["p11_pairs"] = p11
    fig["p11_ratio"] = median(p11)
    fig["bare_rps_pairs"], fig["bare_cpu_pairs"] = bare_rps, bare_cpu
    fig["bare_rps_ratio"], fig["bare_cpu_ratio"] = median(bare_rps), median(bare_cpu)
    fig["ablation_rps"], fig["ablation_cpu"] = ablation_rps, ablation_cpu
    fig["overload"] = [r for r in data["runs"] if r["tag"].startswith("overload")]
    return fig


def _verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def targets(fig: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    hd = fig["hardened"]
    rows = []
    ratio = fig["ratio"]
    rows.append((
        f"hardened ÷ baseline RPS at saturation ≥ {TARGET_RATIO}× (2 cores)",
        f"{_f(ratio, 2)}× (pairs {', '.join(f'{x:.2f}' for x in fig['pairs'])})",
        _verdict(ratio >= TARGET_RATIO),
        f"{(ratio / TARGET_RATIO - 1) * 100:+.0f} % against the target ({ratio - TARGET_RATIO:+.2f}×)",
    ))  # fmt: skip
    cpu = hd["cpu_sat_ms"]
    rows.append((
        f"CPU per request ≤ {TARGET_CPU_MS:.0f} ms (proxy container)",
        f"{_f(cpu)} ms at saturation, {_f(hd['cpu_mod_ms'])} ms at 8 connections",
        _verdict(cpu <= TARGET_CPU_MS),
        f"{cpu - TARGET_CPU_MS:+.1f} ms ({(cpu / TARGET_CPU_MS - 1) * 100:+.0f} %)",
    ))  # fmt: skip
    for what, ratio, ps in (
        ("CPU per request, hardened ÷ bare", fig["bare_cpu_ratio"], fig["bare_cpu_pairs"]),
        ("RPS at saturation, bare ÷ hardened", fig["bare_rps_ratio"], fig["bare_rps_pairs"]),
    ):
        rows.append((
            f"{what} ≤ {TARGET_OVER_BARE:.2f} (hardening costs ≤ {(TARGET_OVER_BARE - 1) * 100:.0f} % over bare)",
            f"{_f(ratio, 2)} (rounds {', '.join(f'{x:.2f}' for x in ps)})",
            _verdict(ratio <= TARGET_OVER_BARE),
            f"{(ratio - 1) * 100:+.0f} % against bare",
        ))  # fmt: skip
    for r in (r for r in fig["overload"] if r["connections"] == 128 and r["variant"] in ("hardened", "f6-tuned")):
        shed = r["by_status"].get("503", 0)
        rows.append((
            f"2× overload (128 connections), {r['variant']}: admitted p99 ≤ 1 s, the excess refused at once (503 within 50 ms)",
            f"200s p99 {_ms(r['p99'])} ms ({r['by_status'].get('200', 0)} answered); {shed} refused, 503 p50 / p99 "
            f"{_ms(r['p50_503'])} / {_ms(r['p99_503'])} ms",
            _verdict(r["p99"] <= 1.0 and shed > 0 and r["p99_503"] <= 0.05),
            f"p99 {(r['p99'] - 1.0) * 1000:+.0f} ms against 1 s",
        ))  # fmt: skip
    for r in (r for r in data["runs"] if r["tag"].startswith("recycling")):
        dropped = sum(n for k, n in r.get("wrk_errors", {}).items() if k != "status")
        rows.append((
            "p99 while workers recycle ≤ 2 s, no connection dropped (P3/P8)",
            f"200s p99 {_ms(r['p99'])} ms; {dropped} connections dropped or reset; {r.get('processes_replaced', 0)} processes replaced",
            _verdict(r["p99"] <= 2.0 and dropped == 0),
            f"p99 {(r['p99'] - 2.0) * 1000:+.0f} ms against 2 s",
        ))  # fmt: skip
    hp99 = hd["health_p99"] * 1000
    rows.append((
        f"health p99 < {TARGET_HEALTH_P99_MS:.0f} ms while :4000 is saturated",
        f"{_f(hp99)} ms on :4001 (p50 {_ms(hd['health_p50'], 1)} ms, max {_ms(hd['health_max'], 1)} ms, {hd['health_n']} probes)",
        _verdict(hp99 < TARGET_HEALTH_P99_MS),
        f"{hp99 - TARGET_HEALTH_P99_MS:+.1f} ms",
    ))  # fmt: skip
    over = hd["sat_over_2s"]
    rows.append((
        "no request over 2 s at saturation (64 connections)",
        f"{over} of {hd['sat_responses']} (runs: {', '.join(map(str, hd['sat_over_2s_runs']))}; {hd['sat_over_2s_first_s']} of them sent in a run's "
        f"first second); slowest 200 {_ms(hd['sat_max'])} ms",
        _verdict(over == 0),
        "none over" if over == 0 else f"{over} over ({over / max(1, hd['sat_responses']) * 100:.2f} %)",
    ))  # fmt: skip
    pss = max(hd["worker_pss"], default=float("nan")) * MB_PER_MIB
    rss = max(hd["worker_rss"], default=float("nan")) * MB_PER_MIB
    rows.append((
        f"≤ {TARGET_WORKER_MB:.0f} MB per worker",
        f"largest worker {_f(pss, 0)} MB PSS ({_f(rss, 0)} MB RSS) of {len(hd['worker_pss'])} workers",
        _verdict(pss <= TARGET_WORKER_MB),
        f"{pss - TARGET_WORKER_MB:+.0f} MB PSS; the whole container uses {_f(hd['memory_final'] * MB_PER_MIB, 0)} MB "
        f"(class limit {data['proxy_memory_limit_mib'] * MB_PER_MIB:.0f} MB)",
    ))  # fmt: skip
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def markdown(data: dict[str, Any], fig: dict[str, Any]) -> str:
    b, hd, g = fig["baseline"], fig["hardened"], fig["gunicorn"]
    px = data["proxies"]
    ma = data.get("mock_alone", {})
    m1, m64 = ma.get(1) or ma.get("1") or {}, ma.get(64) or ma.get("64") or {}
    ov = data["overhead"]
    plan = data["plan"]

    def row(label: str, key: str, fmt: Any) -> list[str]:
        return [label, *(fmt(fig[v][key]) for v in VARIANTS)]

    main_rows = [
        ["RPS at saturation (64 connections), median of runs", *(f"**{_f(fig[v]['sat_rps_median'])}** ({', '.join(f'{x:.0f}' for x in fig[v]['sat_rps'])})" for v in VARIANTS)],
        ["p50 / p95 / p99 at saturation (ms)", *(f"{_ms(fig[v]['sat_p50'])} / {_ms(fig[v]['sat_p95'])} / {_ms(fig[v]['sat_p99'])}" for v in VARIANTS)],
        ["requests over 2 s at saturation (all runs; of them sent in a run's first second)", *(f"{fig[v]['sat_over_2s']} of {fig[v]['sat_responses']} ({fig[v]['sat_over_2s_first_s']})" for v in VARIANTS)],
        ["non-200 answers at saturation", *(str(fig[v]["sat_non200"]) for v in VARIANTS)],
        ["RPS at 8 connections (moderate load)", *(_f(fig[v]["mod_rps_median"]) for v in VARIANTS)],
        ["p50 / p95 / p99 at 8 connections (ms)", *(f"{_ms(fig[v]['mod_p50'])} / {_ms(fig[v]['mod_p95'])} / {_ms(fig[v]['mod_p99'])}" for v in VARIANTS)],
        ["one connection, idle: p50 / p99 (ms)", *(f"{_ms(ov[v]['client_p50'], 1)} / {_ms(ov[v]['client_p99'], 1)}" for v in VARIANTS)],
        ["`x-litellm-overhead-duration-ms` p50 / p99, idle", *(f"{_f(ov[v]['overhead_p50_ms'], 2)} / {_f(ov[v]['overhead_p99_ms'], 2)} ms ({ov[v]['overhead_n']}/{ov[v]['n']})" for v in VARIANTS)],
        ["`x-litellm-overhead-duration-ms` p50 / p99 at 8 connections", *(f"{_f(fig[v]['mod_overhead_p50'], 1)} / {_f(fig[v]['mod_overhead_p99'], 1)} ms" for v in VARIANTS)],
        ["`x-litellm-overhead-duration-ms` p50 / p99 at saturation", *(f"{_f(fig[v]['sat_overhead_p50'], 1)} / {_f(fig[v]['sat_overhead_p99'], 1)} ms" for v in VARIANTS)],
        ["health under saturation: where", *(px[v]["health"] for v in VARIANTS)],
        ["health under saturation: p50 / p99 / max (ms)", *(f"{_ms(fig[v]['health_p50'], 1)} / {_ms(fig[v]['health_p99'], 1)} / {_ms(fig[v]['health_max'], 1)}" for v in VARIANTS)],
        ["health probes failed (no 200 within 5 s)", *(f"{fig[v]['health_fail']} of {fig[v]['health_n']}" for v in VARIANTS)],
        row("proxy CPU per request at saturation (ms)", "cpu_sat_ms", lambda x: _f(x)),
        row("proxy CPU per request at 8 connections (ms)", "cpu_mod_ms", lambda x: _f(x)),
        row("proxy CPU used at saturation (cores)", "cores_sat", lambda x: _f(x, 2)),
        row("whole machine busy at saturation", "machine_busy_sat", lambda x: f"{x * 100:.0f} %"),
        ["log lines / bytes per request at saturation", *(f"{_f(fig[v]['log_per_req_sat'], 2)} / {_f(fig[v]['log_bytes_per_req_sat'], 0)} B" for v in VARIANTS)],
        ["Redis connections the proxy held after a run (most seen) / R2 budget", *(f"{fig[v]['redis_clients_max']} / {50 * px[v]['workers']}" for v in VARIANTS)],
        ["Redis connections refused (`maxclients`) during its saturation runs", *(str(fig[v]["redis_rejected_sat"]) for v in VARIANTS)],
        ["LiteLLM processes replaced during its runs (all kinds)", *(str(fig[v]["replaced_all"]) for v in VARIANTS)],
        ["memory after a saturation run (docker stats)", *(f"{_f(fig[v]['memory_after'] * MB_PER_MIB, 0)} MB" for v in VARIANTS)],
        ["memory at the end (docker stats)", *(f"{_f(fig[v]['memory_final'] * MB_PER_MIB, 0)} MB" for v in VARIANTS)],
        ["workers: PSS each (MB)", *(", ".join(f"{x * MB_PER_MIB:.0f}" for x in fig[v]["worker_pss"]) or "see below" for v in VARIANTS)],
    ]  # fmt: skip

    recycling = [r for r in data["runs"] if r["tag"].startswith("recycling")]
    if recycling:
        r = recycling[0]
        errors = {k: n for k, n in r.get("wrk_errors", {}).items() if n and k != "status"}
        recycling_text = (
            f"{px['recycling']['title']}, {r['connections']} connections for {_f(r['duration_s'], 0)} s (admission cap "
            f"{px['recycling']['max_in_flight']} per worker, so while one worker is away the other refuses what exceeds it): "
            f"{r.get('processes_replaced', 0)} LiteLLM processes replaced; {r['responses']} answers "
            f"({', '.join(f'{k}: {n}' for k, n in sorted(r['by_status'].items()))}); 200s p50 / p99 "
            f"{_ms(r['p50'])} / {_ms(r['p99'])} ms, {r['over_2s']} over 2 s; connections dropped or reset "
            f"(wrk's socket errors): {', '.join(f'{k} {n}' for k, n in errors.items()) or 'none'}."
        )
    else:
        recycling_text = "not measured in this run"
    ablation_rows = []
    for name, (title, gives_up, _) in ABLATIONS.items():
        v = f"hardened-{name}"
        if v in fig["ablation_rps"]:
            ablation_rows.append([
                f"`{v}`", title, gives_up, _f(fig[v]["sat_rps_median"]),
                f"{_f(median(fig['ablation_rps'][v]), 2)} ({', '.join(f'{x:.2f}' for x in fig['ablation_rps'][v])})",
                _f(fig[v]["cpu_sat_ms"]), f"{median(fig['ablation_cpu'][v]):+.1f}",
                f"{_ms(fig[v]['sat_p50'])} / {_ms(fig[v]['sat_p99'])}",
            ])  # fmt: skip
    ablation_text = _table(
        ["variant", "what", "gives up", "RPS", "÷ hardened RPS (rounds)", "CPU/req ms", "Δ CPU/req vs hardened (ms)", "p50 / p99 ms"],
        ablation_rows,
    ) if ablation_rows else "not measured in this run (`--no-ablations`)"
    proc_rows = []
    for v in VARIANTS:
        for p in sorted(fig[v]["procs"], key=lambda p: -p["pss"]):
            proc_rows.append([v, p["role"], f"{p['pss'] * MB_PER_MIB:.0f}", f"{p['rss'] * MB_PER_MIB:.0f}", f"`{p['cmd'][:90]}`"])

    ov_rows = []
    for r in fig["overload"]:
        n = r["responses"]
        ok = r["by_status"].get("200", 0)
        shed = r["by_status"].get("503", 0)
        other = n - ok - shed
        ov_rows.append([
            r["variant"], str(r["connections"]), f"{px[r['variant']]['workers']} × {px[r['variant']]['max_in_flight']}",
            _f(r["rps"]), _f(r["rps_200"]), f"{ok} / {shed} / {other}",
            f"{_ms(r['p50'])} / {_ms(r['p99'])}", f"{_ms(r['p50_503'])} / {_ms(r['p99_503'])}",
            f"{r['over_2s_200']} ({r.get('over_2s_first_s', 0)})", _f(r["cpu_per_request_ms"]),
        ])  # fmt: skip

    run_rows = []
    for r in data["runs"]:
        hp = r.get("health")
        run_rows.append([
            r["tag"] + (" (disturbed)" if r.get("disturbed") else ""), r["variant"], str(r["connections"]), _f(r["duration_s"]), str(r["responses"]), _f(r["rps"]),
            f"{_ms(r['p50'])} / {_ms(r['p95'])} / {_ms(r['p99'])}", str(r["over_2s"]),
            ", ".join(f"{k}: {n}" for k, n in sorted(r["by_status"].items())),
            _f(r["cpu_per_request_ms"]), f"{r['machine_busy'] * 100:.0f} %", _f(r["cpu_wrk_s"]), _f(r["cpu_mock_s"]),
            f"{sum(r['cpu_idle_proxies_s'].values()):.2f}", _f(r.get("cpu_outside_s", float("nan"))),
            f"{_f(r['log_lines_per_request'], 2)}", f"{_ms(hp['p50'], 1)} / {_ms(hp['p99'], 1)}" if hp else "",
            str(r.get("processes_replaced", "")), str(r.get("redis_rejected", "")),
            str(r.get("redis_clients_after", {}).get(r["variant"], "")),
        ])  # fmt: skip

    ratio, p11 = fig["ratio"], fig["p11_ratio"]
    g_log, h_log = g["log_per_req_sat"], hd["log_per_req_sat"]
    if p11 == p11:
        faster = "faster" if p11 > 1 else "slower"
        if abs(p11 - 1) < 0.03:
            faster = "apart: the same within the noise of a round"
        p11_text = (
            f"gunicorn workers served {_f(g['sat_rps_median'])} RPS at saturation against {_f(hd['sat_rps_median'])} for "
            f"uvicorn workers: {p11:.2f}× (pairs {', '.join(f'{x:.2f}' for x in fig['p11_pairs'])}), i.e. "
            f"{abs(p11 - 1) * 100:.0f} % {faster}; p99 {_ms(g['sat_p99'])} against {_ms(hd['sat_p99'])} ms; CPU per request "
            f"{_f(g['cpu_sat_ms'])} against {_f(hd['cpu_sat_ms'])} ms. At `LITELLM_LOG=ERROR` gunicorn wrote "
            f"{_f(g_log, 2)} log lines per request ({_f(g['log_bytes_per_req_sat'], 0)} bytes), uvicorn workers {_f(h_log, 2)}."
        )
    else:
        p11_text = "not measured in this run"
    sample = "\n".join(f"    {line}" for line in g["log_sample"][:2]) or "    (none)"

    events = []
    for r in data["runs"]:
        notable = r.get("log_notable") or {}
        if notable or r.get("processes_replaced") or r.get("log_banners"):
            head = f"- **{r['tag']} {r['variant']}** ({r['connections']} connections): {r.get('processes_replaced', 0)} LiteLLM process(es) replaced, {r.get('log_banners', 0)} start-up banner(s)"
            body = "".join(f"\n  - {n} × `{m.replace('`', chr(39))}`" for m, n in notable.items())
            events.append(head + body)
    events_text = "\n".join(events) or "none"
    env_rows = [[v, px[v]["title"], f"`{' '.join(px[v]['args'])}`", " ".join(px[v]["docker_flags"]) or "none"] for v in VARIANTS]
    changes = "\n".join(f"- {c}" for c in px["baseline"]["changes"])
    bare_changes = "\n".join(f"- {c}" for c in px["bare"]["changes"])
    tgt = _table(["target (issues 7, 17)", "measured (hardened)", "verdict", "by how much"], [list(t) for t in targets(fig, data)])
    idle = data.get("idle_cpu_cores", {})

    return f"""# Load benchmark: hardened LiteLLM proxy against a hand-made baseline

Machine: **{data['cores']} cores** (shared by the load generator, the mock upstream, Redis and the
proxies: nothing is pinned), 24 GiB. LiteLLM **{data['litellm_version']}** (image
`litellm-gateway/litellm:{data['litellm_version']}`). Load generator: {data['wrk_version']}
(Debian's package) with `benchmarks/load_chat.lua`, one connection per wrk thread so every
request's status and latency are recorded. Date: {data['date']}.

Command: `{data['command']}` (from the project root). Runtime: **{data['runtime_s'] / 60:.1f} min**
(containers ready {max(data['ready_after_s'].values()):.0f} s after start).

Setup: one Docker network of the benchmark's own; one Redis (the small class's settings, `maxclients`
the sum of every proxy's R2 budget: 50 per worker, + 10), one mock upstream (`MOCK_LATENCY_MS={data['mock_latency_ms']}`), and
{len(px)} proxies ({', '.join(px)}) that all stay up while only one is loaded (their idle CPU is in the
per-run table). The rendered config's Redis response cache is opt-in (`responseCache`), and no
request asks for it; every request carries a unique message all the same, so where a variant looks
up every request (`hardened-always-cache`) the cache never answers for the upstream. Each round measures the variants in alternating order
({', '.join(px)}, then reversed): {plan['rounds']} round(s) of {plan['saturation_s']:g} s at 64
connections (saturation, with a health probe every 100 ms on a new connection) and, for
{', '.join(VARIANTS)}, {plan['moderate_s']:g} s at 8 connections (moderate load); then the overload runs
({', '.join(f'{v} {c}' for v, c in plan['overload'])} connections, {plan['overload_s']:g} s each).
Percentiles pool the 200 answers of every run of a kind; RPS counts 200 answers (a proxy that sheds does not gain RPS from its 503s; the per-run table has both).
The mock alone (same wrk script, keep-alive): 1 connection p50 {_ms(m1.get('p50', float('nan')), 1)} ms,
64 connections {_f(m64.get('rps', float('nan')), 0)} RPS with p99 {_ms(m64.get('p99', float('nan')))} ms: far above what any proxy
reaches, so the proxies are what saturate. (wrk's kept-alive requests to the mock take about
{data['mock_latency_ms']} + 40 ms: the mock writes headers and body in two writes without `TCP_NODELAY` and the
second waits for wrk's delayed ACK. LiteLLM's calls do not pay it: through the hardened proxy, one
connection's answer minus LiteLLM's own overhead header is {_f(ov['hardened']['client_p50'] * 1000 - ov['hardened']['overhead_p50_ms'], 0)} ms at the median.)

## Headline

**hardened ÷ baseline RPS at saturation: {_f(ratio, 2)}×**; against LiteLLM's smallest config (bare):
**CPU per request hardened ÷ bare {_f(fig['bare_cpu_ratio'], 2)}**, RPS bare ÷ hardened {_f(fig['bare_rps_ratio'], 2)}
(medians of the rounds). Hardened ÷ baseline pairs: {', '.join(f'{x:.2f}×' for x in fig['pairs'])}.
Absolute RPS: bare {_f(fig['bare']['sat_rps_median'])}, baseline {_f(b['sat_rps_median'])}, hardened
{_f(hd['sat_rps_median'])}, gunicorn {_f(g['sat_rps_median'])}.

![load](load.png)

## Targets

{tgt}

## Figures

{_table(['', *VARIANTS], main_rows)}

## Each rendered setting priced alone

The hardened proxy with one setting removed, measured at saturation in the same rounds (alternating
order with the others); ratios per round against the hardened proxy of that round. What each
costs is what removing it gives back; the profile (`results/profile.md`) says where in a worker
that CPU goes.

{ablation_text}

Idle CPU of each container with nothing loaded (cores): {', '.join(f'{k} {v:.3f}' for k, v in idle.items())}.

## Overload and F6 admission control

F6 as rendered for the benchmark's stack setting `admissionTargetSeconds: {px['hardened'].get('admission_target_s', 'n/a')}`:
`max_in_flight_requests_per_worker: {px['hardened']['max_in_flight']}`, `max_queued_requests_per_worker:
{px['hardened'].get('max_queued', 'unset')}`. In LiteLLM {data['litellm_version']}
(`litellm/proxy/middleware/admission_control_middleware.py`) a worker admits that many requests,
queues up to `max_queued_requests_per_worker` more (unset: as many as it admits) for at most
`admission_queue_timeout_seconds` (default 1 s), and answers 503 (`Retry-After: 1`) when the queue
is full (at once) or the wait times out. With a queue of 0 every request beyond the cap is refused
at once. wrk's connections are kept alive and each stays with the worker that accepted it, so the
two workers need not hold the same number.

{_table(['variant', 'connections', 'workers × in flight', 'RPS (all)', 'RPS (200)', '200 / 503 / other', '200s p50 / p99 (ms)', '503s p50 / p99 (ms)', '200s over 2 s (sent in the first second)', 'CPU/req (ms)'], ov_rows)}

Errors, warnings and process events the proxies logged during the runs (messages with digits
collapsed to `#`, most frequent first; the baseline's INFO records are left out):

{events_text}

## Recycling under load (P3/P8)

Workers recycle one at a time and answer every request on the connections they hold with
`Connection: close` before leaving (the image's `lg_recycle`, tests/test_recycle.py). {recycling_text}

## P11: gunicorn or uvicorn workers

{p11_text}

First log lines gunicorn wrote during a saturation run:

{sample}

## The variants

{_table(['variant', 'what', 'proxy args', 'docker flags'], env_rows)}

The hardened and gunicorn proxies are rendered by the project's pure core for the small class
(`load_settings` → `plan()` → `render_config` / `proxy_args` / `proxy_env`), with the dev stack's
images and one model `mock-gpt` → `openai/mock-gpt` at the mock. Docker flags as the program sets
them (`--cpus` = workers, `--stop-timeout` = grace), including the class's memory limit
({data['proxy_memory_limit_mib']} MiB, P5){'' if data['class_memory_limit'] else ', which this run left off (`--no-memory-limit`)'}.
No Docker healthcheck runs (the program's runs a Python one-liner in the container every interval).
Container restarts / OOM-killed at the end: {', '.join(f'{k} {v}' for k, v in data.get('restarts', {}).items())}.

The baseline is the same rendered config with these changes:

{changes}

The bare proxy is what LiteLLM costs before any hardening:

{bare_changes}

## Memory by process at the end (MB)

{_table(['variant', 'role', 'PSS', 'RSS', 'command'], proc_rows)}

## Every run

{_table(['run', 'variant', 'conns', 's', 'answers', 'RPS', 'p50 / p95 / p99 ms (200s)', '> 2 s', 'status', 'CPU/req ms', 'machine busy', 'wrk CPU s', 'mock CPU s', 'idle proxies CPU s', 'other CPU s', 'log lines/req', 'health p50 / p99 ms', 'processes replaced', 'Redis refused', 'Redis conns'], run_rows)}

"other CPU s": CPU the machine spent outside the benchmark's containers and wrk during the run
(Docker's daemon and log handling, the health probe, anything else running on the machine).
Waited for a quiet machine (no fault-test containers `lg-fault-*`, nothing else busy): {data.get('waited_for_faults_s', 0):.0f} s; runs repeated
because something overlapped them: {', '.join(data.get('repeated_runs', [])) or 'none'}; runs still
overlapped after the repeat: {', '.join(data.get('disturbed_runs', [])) or 'none'}.

## Caveats

- The load generator, the mock upstream, Redis and the proxy share the same {data['cores']} cores, so
  absolute numbers move with whatever else runs (±25 % between runs on these machines); the
  ratios within a round are steadier. The health probe client is a Python thread on the same
  cores: its own scheduling delay is part of the health latency.
- wrk stops at the end of each run with up to one request per connection still in flight; those
  are not counted (a few dozen per run), so the slowest tail of each run may be slightly under-counted.
- CPU per request is the proxy container's cgroup CPU time over the run divided by the answers;
  it includes the health probes (10 per second) and, for the baseline, the cost of its INFO and
  verbose logging inside the container (Docker's log handling is outside it).
- No database is connected (README "Offline limits"): spend logging to Postgres is not part of
  any figure.
"""


def plot(data: dict[str, Any], fig: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"bare": "#2ca02c", "baseline": "#999999", "hardened": "#1f77b4", "gunicorn": "#ff7f0e"}
    f, axes = plt.subplots(2, 2, figsize=(13, 9))
    f.suptitle(
        f"LiteLLM {data['litellm_version']} on {data['cores']} shared cores, mock upstream {data['mock_latency_ms']} ms "
        f"(hardened ÷ baseline RPS: {fig['ratio']:.2f}×)"
    )

    ax = axes[0][0]
    rounds = sorted({r["round"] for r in data["runs"] if "round" in r})
    width = 0.8 / len(VARIANTS)
    for i, v in enumerate(VARIANTS):
        vals = [next((r["rps_200"] for r in data["runs"] if r.get("round") == rd and r["variant"] == v and r["tag"].endswith("saturation")), 0) for rd in rounds]
        ax.bar([rd + (i - (len(VARIANTS) - 1) / 2) * width for rd in rounds], vals, width, label=v, color=colors[v])
    ax.set_xticks(rounds, [f"round {rd}" for rd in rounds])
    ax.set_ylabel("requests per second")
    ax.set_title("throughput at saturation (64 connections)")
    ax.legend()

    ax = axes[0][1]
    for v in VARIANTS:
        for kind, style in (("saturation", "-"), ("moderate", "--")):
            lat = sorted(lat * 1000 for r in _runs(data, kind, v) for st, lat, _ in r["records"] if st == 200)
            if lat:
                ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))], style, color=colors[v],
                        label=f"{v}, {'64' if kind == 'saturation' else '8'} conns")  # fmt: skip
    ax.axvline(2000, color="red", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("latency of 200 answers (ms, log)")
    ax.set_ylabel("fraction of requests")
    ax.set_title("chat completion latency (CDF)")
    ax.legend(fontsize=8)

    ax = axes[1][0]
    for v in VARIANTS:
        hs = sorted(x * 1000 for r in _runs(data, "saturation", v) for x in r.get("health", {}).get("samples", []))
        if hs:
            ax.plot(hs, [(i + 1) / len(hs) for i in range(len(hs))], color=colors[v], label=f"{v} ({data['proxies'][v]['health']})")
    ax.axvline(5, color="red", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("health probe latency (ms, log); red: 5 ms target")
    ax.set_ylabel("fraction of probes")
    ax.set_title("health endpoint while :4000 is saturated (CDF)")
    ax.legend(fontsize=8)

    ax = axes[1][1]
    over = fig["overload"]
    if over:
        r = over[-1]
        for status, color in ((200, "#1f77b4"), (503, "#d62728")):
            pts = [(t, lat * 1000) for st, lat, t in r["records"] if st == status]
            if pts:
                ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=3, color=color, label=f"{status} ({len(pts)})")
        others = [(t, lat * 1000) for st, lat, t in r["records"] if st not in (200, 503)]
        if others:
            ax.scatter([p[0] for p in others], [p[1] for p in others], s=3, color="black", label=f"other ({len(others)})")
        ax.set_yscale("log")
        ax.set_xlabel("request sent at (s into the run)")
        ax.set_ylabel("latency (ms, log)")
        ax.set_title(f"overload: {r['variant']}, {r['connections']} connections")
        ax.legend(fontsize=8)
    f.tight_layout()
    f.savefig(path, dpi=90)
    plt.close(f)


def write(data: dict[str, Any], out: Path) -> None:
    fig = figures(data)
    (out / "load.md").write_text(markdown(data, fig))
    plot(data, fig, out / "load.png")


"""Where a saturated LiteLLM worker's CPU goes (issue 17): py-spy samples from the host.

    .venv/bin/python -m benchmarks.profile               # bare and hardened, 30 s each, about 4 minutes
    .venv/bin/python -m benchmarks.profile --seconds 60  # longer samples

Starts the load benchmark's network (benchmarks.load: Redis, the mock upstream, the proxies as
that benchmark renders them) with the `bare` and `hardened` proxies only, saturates one at a time
with wrk at 64 connections and, meanwhile, samples every worker of it with py-spy (a sampling
profiler from PyPI, run on the host against the container's processes by their host PIDs, in its
non-blocking mode so the workers are never paused). CPU per request comes from the container's
cgroup over the same run; the samples divide it between LiteLLM's parts (see PARTS).

Writes benchmarks/results/profile.md (tables), profile-hardened.svg and profile-bare.svg (py-spy's
flame graphs of one worker) and profile.json (the collapsed stacks' totals by part and function).
py-spy needs ptrace rights over the container's processes: run as root on the Docker host.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import load

PROFILED = ("bare", "hardened")
RATE_HZ = 100
#: py-spy from the virtualenv (requirements.txt), whether or not .venv/bin is on PATH
PY_SPY = str(Path(sys.executable).parent / "py-spy")

#: The parts a request's CPU is divided into, each a pattern on py-spy's frame text
#: ("function (path/file.py:line)"). A sample counts towards every part whose pattern matches a
#: frame of its stack ("inclusive": the part and what it calls), so the column does not sum to
#: the total; the "innermost" column gives each sample to the part of its deepest matching frame.
PARTS: dict[str, str] = {
    "auth (user_api_key_auth)": r"proxy/auth/",
    "admission control (F6)": r"admission_control",
    "router (deployment choice, cooldown, retries)": r"litellm/router\.py|litellm/router_utils/|router_strategy/",
    "Redis client (cache, router state, usage)": r"site-packages/redis/|caching/redis_cache\.py|redis_cache",
    "response cache (lookup/store logic)": r"litellm/caching/",
    "prometheus callback (O3)": r"integrations/prometheus|prometheus_client/",
    "logging object and callbacks": r"litellm_core_utils/litellm_logging\.py|proxy/hooks/|proxy_track_cost|spend_tracking",
    "Python logging": r"lib/python3\.\d+/logging/",
    "upstream call (openai SDK, httpx, aiohttp)": r"site-packages/(openai|httpx|httpcore|aiohttp)/|llms/openai/|llm_http_handler",
    "(de)serialisation (json, pydantic, orjson)": r"lib/python3\.\d+/json/|site-packages/pydantic|orjson|model_dump|safe_dumps|json\.dumps|json\.loads",
    "HTTP server (uvicorn, starlette, fastapi)": r"site-packages/(uvicorn|starlette|fastapi|h11|httptools)/",
    "asyncio event loop": r"lib/python3\.\d+/asyncio/|uvloop",
}
_PATTERNS = {part: re.compile(rx) for part, rx in PARTS.items()}


def part_of_frame(frame: str) -> str | None:
    """The first part (in PARTS' order) whose pattern the frame matches."""
    return next((part for part, rx in _PATTERNS.items() if rx.search(frame)), None)


def attribute(collapsed: dict[str, int]) -> dict[str, Any]:
    """Samples by part (inclusive and innermost) and by leaf function, from py-spy's raw
    format: one line per distinct stack, frames root-first separated by ';', then its count."""
    total = sum(collapsed.values())
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for stack, n in collapsed.items():
        frames = stack.split(";")
        parts = [part_of_frame(f) for f in frames]
        for part in {p for p in parts if p}:
            inclusive[part] += n
        innermost[next((p for p in reversed(parts) if p), "other")] += n
        leaves[frames[-1]] += n
    return {"samples": total, "inclusive": dict(inclusive), "innermost": dict(innermost),
            "leaves": dict(leaves.most_common(25))}  # fmt: skip


def read_collapsed(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            out[stack] = out.get(stack, 0) + int(n)
    return out


def host_pids(container: str) -> dict[int, str]:
    """Host PID -> command of every process in the container (`docker top` shows host PIDs)."""
    out = load.docker("top", container, "-eo", "pid,args")
    pids = {}
    for line in out.splitlines()[1:]:
        pid, _, cmd = line.strip().partition(" ")
        if pid.isdigit():
            pids[int(pid)] = cmd.strip()
    return pids


def workers_of(container: str) -> list[int]:
    """Host PIDs of the container's LiteLLM workers (uvicorn spawns them; gunicorn forks them)."""
    procs = host_pids(container)
    spawned = [pid for pid, cmd in procs.items() if "spawn_main" in cmd]
    if spawned:
        return sorted(spawned)
    # one-process LiteLLM (a single uvicorn worker): the litellm process itself serves
    return sorted(pid for pid, cmd in procs.items() if "bin/litellm" in cmd)


def process_cpu_s(pid: int) -> float:
    """utime + stime of a host process, seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_one(bench: load.Bench, p: load.Proxy, seconds: float, out_dir: Path, work: Path) -> dict[str, Any]:
    """Saturate `p` for `seconds` + 4 and sample its workers for `seconds` in the middle."""
    workers = workers_of(p.name)
    if not workers:
        raise SystemExit(f"{p.name}: no LiteLLM worker process found (docker top)")
    procs = host_pids(p.name)
    cpu0 = {pid: process_cpu_s(pid) for pid in procs}
    cgroup0 = load.cpu_seconds(p.cgroup_cpu)
    result: dict[str, Any] = {}

    def drive() -> None:
        result["wrk"] = load.run_wrk(p, 64, seconds + 4, f"profile-{p.key}")

    t = threading.Thread(target=drive, daemon=True)
    t.start()
    time.sleep(2)
    spies = []
    for i, pid in enumerate(workers):
        raw = work / f"{p.key}-{pid}.txt"
        spies.append((pid, raw, subprocess.Popen(
            [PY_SPY, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--duration", f"{seconds:g}",
             "--nonblocking", "--gil", "--full-filenames", "--format", "raw", "--output", str(raw)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))  # fmt: skip
        if i == 0:  # the picture: one worker's flame graph over the same seconds
            spies.append((pid, out_dir / f"profile-{p.key}.svg", subprocess.Popen(
                [PY_SPY, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--duration", f"{seconds:g}",
                 "--nonblocking", "--gil", "--format", "flamegraph", "--output", str(out_dir / f"profile-{p.key}.svg")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))  # fmt: skip
    for pid, path, proc in spies:
        try:
            _, err = proc.communicate(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise SystemExit(f"py-spy on {pid} did not finish within {seconds + 60:.0f}s")
        if proc.returncode != 0 or not path.is_file():
            raise SystemExit(f"py-spy on {pid} failed ({proc.returncode}): {err.strip()[:600]}")
    for _, path, _ in spies:  # py-spy titles the picture with its command line: no machine's paths in it
        if path.suffix == ".svg":
            path.write_text(path.read_text().replace(f"{load.ROOT}/", ""))
    t.join(timeout=seconds + 120)
    if "wrk" not in result:
        raise SystemExit(f"wrk against {p.key} did not finish")
    cgroup_s = load.cpu_seconds(p.cgroup_cpu) - cgroup0
    by_process = {f"{pid} {procs[pid]}": process_cpu_s(pid) - cpu0[pid] for pid in procs}
    summary = load.summarize_run(result["wrk"]["records"], result["wrk"]["duration_s"])
    collapsed: dict[str, int] = {}
    for pid, path, _ in spies:
        if path.suffix == ".txt":
            for stack, n in read_collapsed(path).items():
                collapsed[stack] = collapsed.get(stack, 0) + n
    answers = summary["responses"]
    worker_cpu_s = sum(process_cpu_s(pid) - cpu0[pid] for pid in workers)
    return {
        "variant": p.key, "workers": len(workers), "rps": summary["rps"], "answers": answers,
        "p50": summary["p50"], "p99": summary["p99"], "by_status": summary["by_status"],
        "cpu_per_request_ms": cgroup_s / answers * 1000 if answers else float("nan"),
        "worker_cpu_per_request_ms": worker_cpu_s / answers * 1000 if answers else float("nan"),
        "cpu_by_process_s": {cmd[:120]: round(v, 2) for cmd, v in sorted(by_process.items(), key=lambda kv: -kv[1]) if v > 0.05},
        "duration_s": result["wrk"]["duration_s"],
        **attribute(collapsed),
    }  # fmt: skip


def report(data: dict[str, Any]) -> str:
    runs = {r["variant"]: r for r in data["runs"]}
    keys = [k for k in PROFILED if k in runs]

    def ms(r: dict[str, Any], n: int) -> str:
        return f"{r['worker_cpu_per_request_ms'] * n / r['samples']:.2f}" if r["samples"] else "n/a"

    head = "| part | " + " | ".join(f"{k}: inclusive ms/req (share) | {k}: innermost ms/req" for k in keys) + " |"
    rows = [head, "|---|" + "---|---|" * len(keys)]
    for part in [*PARTS, "other"]:
        cells = []
        for k in keys:
            r = runs[k]
            inc = r["inclusive"].get(part, 0) if part != "other" else None
            cells.append("n/a" if inc is None else f"{ms(r, inc)} ({inc / r['samples'] * 100:.0f} %)" if r["samples"] else "n/a")
            cells.append(ms(r, r["innermost"].get(part, 0)))
        rows.append(f"| {part} | " + " | ".join(cells) + " |")
    totals = "\n".join(
        f"| {k} | {runs[k]['rps']:.1f} | {runs[k]['cpu_per_request_ms']:.1f} | {runs[k]['worker_cpu_per_request_ms']:.1f} | "
        f"{runs[k]['workers']} | {runs[k]['samples']} | {runs[k]['p50'] * 1000:.0f} / {runs[k]['p99'] * 1000:.0f} |"
        for k in keys
    )
    procs = "\n".join(
        f"| {k} | `{cmd}` | {s / runs[k]['answers'] * 1000:.2f} |" for k in keys for cmd, s in runs[k]["cpu_by_process_s"].items()
    )
    leaves = "\n".join(
        f"| {k} | `{leaf[:140]}` | {n / runs[k]['samples'] * 100:.1f} % | {ms(runs[k], n)} |"
        for k in keys for leaf, n in list(runs[k]["leaves"].items())[:12]
    )  # fmt: skip
    return f"""# Profile: where a saturated LiteLLM worker's CPU goes

Written by `{data['command']}` on {data['date']} ({data['cores']} cores, LiteLLM {data['litellm_version']},
py-spy {data['py_spy']} at {RATE_HZ} Hz, non-blocking, on every worker of the loaded proxy; wrk at 64 connections
with the load benchmark's script; mock upstream {data['mock_latency_ms']} ms). The proxies are the load benchmark's
`bare` and `hardened` (see `results/load.md` for what each runs). py-spy takes CPU of its own during these runs,
so the RPS here is below the load benchmark's; the split between parts is what this is for.

Flame graphs (one worker each, same seconds): [hardened](profile-hardened.svg), [bare](profile-bare.svg).

## Totals

| variant | RPS (profiled) | container CPU ms/req | workers' CPU ms/req | workers | samples | p50 / p99 ms |
|---|---|---|---|---|---|---|
{totals}

## The workers' CPU per request by part

ms/req = the workers' CPU per request × the part's share of the samples. *Inclusive*: samples with any frame
of the part (the part and everything it calls; a sample counts in several parts, so the column does not add
up). *Innermost*: each sample to the part of its deepest matching frame (adds up to the workers' total with
"other"). Patterns: `benchmarks/profile.py` PARTS.

{chr(10).join(rows)}

## CPU per request by process (container's processes, from /proc over the run)

| variant | process | ms/req |
|---|---|---|
{procs}

## Hottest functions (leaf frames)

| variant | function | samples | ms/req |
|---|---|---|---|
{leaves}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])  # fmt: skip
    parser.add_argument("--seconds", type=float, default=30, help="seconds of sampling per proxy (default 30)")
    parser.add_argument("--out", type=Path, default=load.RESULTS, help="directory of profile.md, profile-*.svg, profile.json")
    parser.add_argument("--dry-run", action="store_true", help="check py-spy, wrk, the engine and the images; start nothing")
    args = parser.parse_args(argv)
    if not Path(PY_SPY).is_file():
        raise SystemExit("py-spy not found: scripts/setup python (requirements.txt pins it)")
    load.preflight()
    proxies = {k: v for k, v in load.build_proxies(True).items() if k in PROFILED}
    if args.dry_run:
        print(f"dry run: nothing started. Would profile {', '.join(proxies)} for {args.seconds:g} s each at 64 connections")
        return 0
    work = Path(tempfile.mkdtemp(prefix="lg-profile-"))
    bench = load.Bench(work, proxies, 50)
    args.out.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"runs": []}
    try:
        load.log(f"starting {load.NETWORK}: redis, mock upstream, {', '.join(proxies)}")
        bench.launch()
        bench.wait_ready()
        for p in proxies.values():
            load.run_wrk(p, 64, 8, f"warmup-{p.key}")
        for p in proxies.values():
            load.log(f"profiling {p.key} for {args.seconds:g} s")
            run = profile_one(bench, p, args.seconds, args.out, work)
            load.log(f"{p.key}: {run['rps']:.1f} rps, {run['cpu_per_request_ms']:.1f} ms CPU/request, {run['samples']} samples")
            data["runs"].append(run)
    finally:
        bench.remove()
        shutil.rmtree(work, ignore_errors=True)
    data.update(command=" ".join([".venv/bin/python -m benchmarks.profile", *(argv if argv is not None else sys.argv[1:])]).strip(),
                date=time.strftime("%Y-%m-%d %H:%M %Z"), cores=os.cpu_count(), litellm_version=load.h.LITELLM_VERSION,
                mock_latency_ms=50,
                py_spy=subprocess.run([PY_SPY, "--version"], capture_output=True, text=True).stdout.split()[-1])  # fmt: skip
    (args.out / "profile.json").write_text(json.dumps(data, indent=1) + "\n")
    (args.out / "profile.md").write_text(report(data))
    load.log(f"wrote {args.out / 'profile.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

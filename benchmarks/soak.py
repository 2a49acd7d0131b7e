"""Soak benchmark (issue 7): worker memory of the hardened proxy over a long run, with and
without worker recycling (P3/P8), against the goal of at most 350 MB per worker.

    .venv/bin/python -m benchmarks.soak                 # 30 minutes of load, about 32 minutes
    .venv/bin/python -m benchmarks.soak --minutes 3     # a short look

Starts the same setup as benchmarks/load.py on a Docker network of its own (one Redis, one mock
upstream with a fixed latency) and two proxies rendered for the small class, with its memory
limit (P5): `recycling` exactly as the program renders it (`--max_requests_before_restart`
10000 with jitter 1000) and `no-recycling`, the same without those flags and without
MAX_REQUESTS_BEFORE_RESTART. Both get the same offered load at the same time (wrk, a fixed
number of connections each, in back-to-back chunks), so they age side by side on the same
machine; between chunks every process's PSS is read from /proc/<pid>/smaps_rollup inside the
container. Only 127.0.0.1 and the benchmark's own network carry traffic; the run ends by itself
and removes its containers, also on error or Ctrl-C.

Writes benchmarks/results/soak.md, soak.png and soak.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks import load
from benchmarks.load import Bench, Proxy, docker, log, pct

TARGET_WORKER_MB = 350.0
MB_PER_MIB = 1.048576
RECYCLE_FLAGS = ("--max_requests_before_restart", "--max_requests_before_restart_jitter")


def soak_proxies() -> dict[str, Proxy]:
    """`hardened` (recycling, as rendered) and its copy without recycling; nothing else differs."""
    hardened = load.build_proxies(memory_limit=True)["hardened"]
    plain = copy.deepcopy(hardened)
    plain.key, plain.title = "no-recycling", "hardened without recycling"
    for flag in RECYCLE_FLAGS:
        plain.args = load._drop_flag(plain.args, flag)
    plain.env.pop("MAX_REQUESTS_BEFORE_RESTART")
    plain.changes = [f"no `{' / '.join(RECYCLE_FLAGS)}` and no `MAX_REQUESTS_BEFORE_RESTART`; nothing else"]
    hardened.title = "hardened (recycling as rendered)"
    recycle = hardened.args[hardened.args.index(RECYCLE_FLAGS[0]) + 1]
    jitter = hardened.args[hardened.args.index(RECYCLE_FLAGS[1]) + 1]
    hardened.changes = [f"none: recycles each worker after {recycle} ± {jitter} requests (P3/P8)"]
    return {"hardened": hardened, "no-recycling": plain}


def sample(bench: Bench, loaded_s: float) -> dict[str, Any]:
    """Every worker's PSS/RSS and each container's memory, after `loaded_s` seconds of load."""
    stats = load.memory_mib([p.name for p in bench.proxies.values()])
    out: dict[str, Any] = {"t_min": loaded_s / 60, "proxies": {}}
    for p in bench.proxies.values():
        procs = load.processes_memory(p)
        workers = [r for r in procs if r["role"] == "worker"]
        out["proxies"][p.key] = {
            "workers": [{"pid": r["pid"], "pss_mb": r["pss"] * MB_PER_MIB, "rss_mb": r["rss"] * MB_PER_MIB} for r in workers],
            "container_mb": stats.get(p.name, float("nan")) * MB_PER_MIB,
            "state": docker("inspect", "--format", "{{.RestartCount}} {{.State.OOMKilled}} {{.State.Running}}", p.name).strip(),
        }
    return out


def chunk(bench: Bench, connections: int, seconds: float, n: int) -> dict[str, dict[str, Any]]:
    """wrk on both proxies at once for `seconds`; per proxy: answers by status, wrk's socket
    errors, p99 of the 200s, answers over 2 s."""
    results: dict[str, dict[str, Any]] = {}

    def one(p: Proxy) -> None:
        run = load.run_wrk(p, connections, seconds, f"soak-{n}")
        ok = [lat for st, lat, _ in run["records"] if st == 200]
        results[p.key] = {
            "answers": len(run["records"]),
            "non200": sum(1 for st, _, _ in run["records"] if st != 200),
            "wrk_errors": sum(run["wrk_errors"].values()),
            "p99_s": pct(ok, 99),
            "over_2s": sum(1 for _, lat, _ in run["records"] if lat > load.OVER_S),
            "seconds": run["duration_s"],
        }

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in bench.proxies.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 180)
    missing = [p.key for p in bench.proxies.values() if p.key not in results]
    if missing:
        raise RuntimeError(f"wrk did not finish for {missing} (see the log above)")
    return results


def progress(key: str, s: dict[str, Any], c: dict[str, Any]) -> str:
    pss = "/".join(f"{w['pss_mb']:.0f}" for w in s["proxies"][key]["workers"])
    return f"{key} workers {pss} MB PSS, {c['answers']} answers ({c['non200']} non-200, {c['wrk_errors']} socket errors)"


def run(args: argparse.Namespace) -> dict[str, Any]:
    proxies = soak_proxies()
    tmp = Path(tempfile.mkdtemp(prefix="lg-soak-"))
    bench = Bench(tmp, proxies, args.mock_latency_ms)
    data: dict[str, Any] = {"samples": [], "chunks": [], "proxies": {}}

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        log(f"starting network {load.NETWORK}: redis, mock upstream ({args.mock_latency_ms} ms), {', '.join(proxies)}")
        bench.launch()
        data["ready_after_s"] = bench.wait_ready()
        for p in proxies.values():
            load.run_wrk(p, args.connections, 10, "warmup")
        data["samples"].append(sample(bench, 0.0))
        n = 0
        loaded = 0.0  # seconds of load so far; sampling between chunks does not count
        while (seconds := int(min(args.chunk_seconds, args.minutes * 60 - loaded))) >= 5:
            n += 1  # wrk takes whole seconds; a last piece under 5 s is not worth a chunk
            data["chunks"].append(chunk(bench, args.connections, seconds, n))
            loaded += min(c["seconds"] for c in data["chunks"][-1].values())
            s = sample(bench, loaded)
            data["samples"].append(s)
            log(f"{s['t_min']:.1f}/{args.minutes:g} min: " + "; ".join(progress(k, s, data["chunks"][-1][k]) for k in proxies))
        data["worker_pids"] = {k: sorted({w["pid"] for s in data["samples"] for w in s["proxies"][k]["workers"]}) for k in proxies}
        data["logs_of_note"] = {
            p.key: [ln[:200] for ln in load.tail_logs(p.name, 2000).splitlines() if "Killed" in ln or "died" in ln.lower() or "OOM" in ln][:5]
            for p in proxies.values()
        }
    finally:
        log("removing containers and network")
        bench.remove()
        shutil.rmtree(tmp, ignore_errors=True)
    data["runtime_s"] = time.monotonic() - started
    for k, p in proxies.items():
        data["proxies"][k] = {"title": p.title, "changes": p.changes, "args": p.args, "workers": p.plan.workers,
                              "memory_limit_mib": p.plan.proxy_resources.memory_mib}  # fmt: skip
    return data


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------
def figures(data: dict[str, Any], key: str) -> dict[str, Any]:
    samples = data["samples"][1:] or data["samples"]  # the first sample is before any soak load
    largest = [max((w["pss_mb"] for w in s["proxies"][key]["workers"]), default=float("nan")) for s in samples]
    chunks = [c[key] for c in data["chunks"]]
    answers = sum(c["answers"] for c in chunks)
    seconds = sum(c["seconds"] for c in chunks)
    return {
        "answers": answers,
        "rps": answers / seconds if seconds else float("nan"),
        "non200": sum(c["non200"] for c in chunks),
        "wrk_errors": sum(c["wrk_errors"] for c in chunks),
        "over_2s": sum(c["over_2s"] for c in chunks),
        "p99_worst_chunk_ms": max((c["p99_s"] for c in chunks if c["p99_s"] == c["p99_s"]), default=float("nan")) * 1000,
        "largest_first": largest[0], "largest_max": max(largest), "largest_last": largest[-1],
        "container_first": samples[0]["proxies"][key]["container_mb"],
        "container_max": max(s["proxies"][key]["container_mb"] for s in samples),
        "container_last": samples[-1]["proxies"][key]["container_mb"],
        "replaced": len(data["worker_pids"][key]) - data["proxies"][key]["workers"],
        "state_last": samples[-1]["proxies"][key]["state"],
    }  # fmt: skip


def write_report(data: dict[str, Any], out: Path) -> None:
    keys = list(data["proxies"])
    f = {k: figures(data, k) for k in keys}
    minutes = sum(min(c["seconds"] for c in chunk.values()) for chunk in data["chunks"]) / 60

    def row(label: str, fmt: Any) -> str:
        return f"| {label} | " + " | ".join(fmt(f[k]) for k in keys) + " |"

    verdict = {k: ("**met**" if f[k]["largest_max"] <= TARGET_WORKER_MB else "**missed**") for k in keys}
    lines = [
        "# Soak benchmark: worker memory with and without recycling",
        "",
        f"Machine: **{data['cores']} cores**, LiteLLM {data['litellm_version']}, {data['date']}. Command: `{data['command']}` "
        f"(from the project root). Runtime {data['runtime_s'] / 60:.1f} min, of which {minutes:.1f} min of load.",
        "",
        f"Both proxies render the small class ({data['proxies'][keys[0]]['workers']} uvicorn workers, memory limit "
        f"{data['proxies'][keys[0]]['memory_limit_mib']} MiB, P5) and share one Redis and one mock upstream "
        f"(`MOCK_LATENCY_MS={data['mock_latency_ms']}`, a unique message per request so the Redis response cache never answers). "
        f"wrk keeps {data['connections']} connections on each proxy at the same time, in chunks of {data['chunk_seconds']:g} s; "
        "after each chunk every worker's PSS is read from `/proc/<pid>/smaps_rollup` in the container (MB = 10^6 bytes).",
        "",
        *[f"- `{k}`: {data['proxies'][k]['title']}; " + "; ".join(data["proxies"][k]["changes"]) for k in keys],
        "",
        "## Results",
        "",
        "| | " + " | ".join(f"`{k}`" for k in keys) + " |",
        "|---|" + "---|" * len(keys),
        row(f"≤ {TARGET_WORKER_MB:.0f} MB per worker over {minutes:.1f} min of load (largest worker, any sample)",
            lambda x: f"{x['largest_max']:.0f} MB"),  # fmt: skip
        "| verdict | " + " | ".join(verdict[k] for k in keys) + " |",
        row("largest worker PSS: after the first chunk / at the end (MB)", lambda x: f"{x['largest_first']:.0f} / {x['largest_last']:.0f}"),
        row("growth of the largest worker over the run (MB)", lambda x: f"{x['largest_last'] - x['largest_first']:+.0f}"),
        row("container memory (docker stats): first / max / last (MB)",
            lambda x: f"{x['container_first']:.0f} / {x['container_max']:.0f} / {x['container_last']:.0f}"),  # fmt: skip
        row("worker processes replaced during the run", lambda x: str(x["replaced"])),
        row("answers (RPS)", lambda x: f"{x['answers']} ({x['rps']:.1f})"),
        row("non-200 answers / wrk socket errors", lambda x: f"{x['non200']} / {x['wrk_errors']}"),
        row("answers over 2 s; worst chunk's p99 (ms)", lambda x: f"{x['over_2s']}; {x['p99_worst_chunk_ms']:.0f}"),
        row("container at the end: restarts, OOM-killed, running", lambda x: x["state_last"]),
        "",
        "![soak](soak.png)",
        "",
        "Lines of note in the proxies' logs (Killed / died / OOM): "
        + ("; ".join(f"`{k}`: {ln}" for k, lns in data["logs_of_note"].items() for ln in lns) or "none."),
        "",
        "Raw figures: `soak.json` (every sample and chunk).",
        "",
    ]
    (out / "soak.md").write_text("\n".join(lines))
    plot(data, keys, out / "soak.png")


def plot(data: dict[str, Any], keys: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for key, color in zip(keys, ("tab:blue", "tab:orange")):
        t = [s["t_min"] for s in data["samples"]]
        largest = [max((w["pss_mb"] for w in s["proxies"][key]["workers"]), default=float("nan")) for s in data["samples"]]
        total = [sum(w["pss_mb"] for w in s["proxies"][key]["workers"]) for s in data["samples"]]
        ax.plot(t, largest, color=color, label=f"{key}: largest worker PSS")
        ax.plot(t, total, color=color, linestyle=":", label=f"{key}: all workers' PSS")
    ax.axhline(TARGET_WORKER_MB, color="tab:red", linestyle="--", label=f"goal: {TARGET_WORKER_MB:.0f} MB per worker")
    ax.set_xlabel("minutes of load")
    ax.set_ylabel("MB")
    ax.set_title(f"Worker memory under load, {data['cores']} cores, LiteLLM {data['litellm_version']}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--minutes", type=float, default=30, help="minutes of load (default 30)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections on each proxy (default 16)")
    parser.add_argument("--chunk-seconds", type=float, default=60, help="seconds of load between memory samples (default 60)")
    parser.add_argument("--mock-latency-ms", type=int, default=50, help="the mock upstream's latency (default 50)")
    parser.add_argument("--out", type=Path, default=load.RESULTS, help="directory of soak.md, soak.png, soak.json")
    parser.add_argument("--dry-run", action="store_true",
                        help="check wrk, matplotlib, the engine and the images, print the plan and the proxies' commands; start nothing")
    args = parser.parse_args(argv)
    load.preflight()
    if args.dry_run:
        plan = {"minutes": args.minutes, "connections": args.connections, "chunk_seconds": args.chunk_seconds}
        return load.dry_run(soak_proxies(), plan)

    data = run(args)
    data.update(minutes=args.minutes, connections=args.connections, chunk_seconds=args.chunk_seconds,
                mock_latency_ms=args.mock_latency_ms, cores=os.cpu_count(), litellm_version=load.h.LITELLM_VERSION,
                date=time.strftime("%Y-%m-%d %H:%M %Z"), command=" ".join([".venv/bin/python -m benchmarks.soak", *(argv if argv is not None else sys.argv[1:])]))  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    write_report(data, args.out)
    log(f"wrote {args.out / 'soak.md'}, soak.png and soak.json; runtime {data['runtime_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cost of the policy pack: `pulumi preview` of a stack with and without it, alternating.

    .venv/bin/python -m benchmarks.policy_pack [--stack prod] [--runs 5]

Each run previews a fresh copy of the stack (throwaway local backend, a kubeconfig pointing at
a closed loopback port so no cluster is needed), first without and then with the pack, so each
pair shares the machine's momentary load. Writes benchmarks/results/policy-pack.md.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from devtools.pulumi_project import ROOT, Project, closed_kubeconfig

SECRETS = {"dev": ["mockApiKey"], "prod": ["openaiApiKey", "anthropicApiKey"]}


def preview_seconds(project: Project, with_pack: bool) -> float:
    extra = project.with_pack(project.stack) if with_pack else []
    start = time.perf_counter()
    project.run("preview", *extra, timeout=900)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="prod", choices=sorted(SECRETS))
    parser.add_argument("--runs", type=int, default=5, help="pairs of previews (default 5)")
    args = parser.parse_args()
    pairs = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.copy(Path(tmp), args.stack, f"Pulumi.{args.stack}.yaml")
        project.env["KUBECONFIG"] = str(closed_kubeconfig(Path(tmp)))
        for key in SECRETS[args.stack]:
            project.set_secret(key, "benchmark-key")
        preview_seconds(project, True)  # warm the plugin and bytecode caches once
        for i in range(args.runs):
            pair = (preview_seconds(project, False), preview_seconds(project, True))
            pairs.append(pair)
            print(f"run {i + 1}/{args.runs}: without {pair[0]:.2f} s, with {pair[1]:.2f} s, added {pair[1] - pair[0]:.2f} s", flush=True)
    without = statistics.median(p[0] for p in pairs)
    with_ = statistics.median(p[1] for p in pairs)
    added = statistics.median(p[1] - p[0] for p in pairs)
    ratio = statistics.median(p[1] / p[0] for p in pairs)
    rows = "\n".join(f"| {i + 1} | {a:.2f} | {b:.2f} | {b - a:+.2f} | {b / a:.2f} |" for i, (a, b) in enumerate(pairs))
    report = f"""# Policy pack cost: `pulumi preview --stack {args.stack}`

Machine: {os.cpu_count()} cores. {args.runs} alternating pairs after one warm-up; a fresh local
backend; no cluster (the Kubernetes provider previews against a closed port).
Command: `.venv/bin/python -m benchmarks.policy_pack --stack {args.stack} --runs {args.runs}`

| run | without pack (s) | with pack (s) | added (s) | ratio |
|---|---|---|---|---|
{rows}

**Median: {without:.2f} s without, {with_:.2f} s with; the pack adds {added:.2f} s (ratio {ratio:.2f}).**
Goal: under 2 s added ({'met' if added < 2 else 'missed'}).
"""
    out = ROOT / "benchmarks/results/policy-pack.md"
    out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()

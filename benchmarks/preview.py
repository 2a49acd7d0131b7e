"""What the policy pack costs a `pulumi preview` through the real engine: the prod (and dev)
stack previewed with and without `--policy-pack`, alternating, in one run.

The in-process figure (benchmarks/policy_pack.py) leaves out the engine's own work for a pack:
starting the analyzer plugin through the language host and one gRPC round trip per resource.
This one measures what a pull-request check pays. Each stack is a new copy of the program with
its own local backend and throwaway passphrase; prod previews point at a closed loopback port,
as a PR check without cluster credentials would.

    .venv/bin/python -m benchmarks.preview [--pairs 10] [--stacks prod,dev]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from devtools.pulumi_project import ROOT, Project, closed_kubeconfig, require_plugins

SECRETS = {"dev": ["mockApiKey"], "prod": ["openaiApiKey", "anthropicApiKey"]}
PLUGINS = {"dev": "docker", "prod": "kubernetes"}


def timed_preview(project: Project, *extra: str) -> float:
    start = time.monotonic()
    project.run("preview", "--diff=false", *extra, timeout=900)
    return time.monotonic() - start


def measure(stack: str, pairs: int, tmp: Path) -> dict:
    require_plugins("random", PLUGINS[stack])
    (tmp / stack).mkdir()
    project = Project.copy(tmp / stack, stack, f"Pulumi.{stack}.yaml")
    project.env["KUBECONFIG"] = str(closed_kubeconfig(tmp / stack))
    for key in SECRETS[stack]:
        project.set_secret(key, "benchmark-key-0123456789")
    timed_preview(project)  # warm the plugin cache and Python's bytecode once, not counted
    without, with_pack = [], []
    for i in range(pairs):
        order = [(without, ()), (with_pack, tuple(project.with_pack(stack)))]
        for times, extra in order if i % 2 == 0 else reversed(order):
            times.append(timed_preview(project, *extra))
        print(f"  {stack} pair {i + 1}/{pairs}: without {without[-1]:.2f} s, with the pack {with_pack[-1]:.2f} s", flush=True)
    added = [w - o for w, o in zip(with_pack, without)]
    return {
        "stack": stack,
        "without": statistics.median(without),
        "with": statistics.median(with_pack),
        "added": statistics.median(added),
        "added_range": (min(added), max(added)),
        "ratio": statistics.median(w / o for w, o in zip(with_pack, without)),
    }


def report(results: list[dict], pairs: int) -> str:
    rows = [
        f"| {r['stack']} | {r['without']:.2f} s | {r['with']:.2f} s | **{r['added']:.2f} s** "
        f"({r['added_range'][0]:.2f}–{r['added_range'][1]:.2f}) | {r['ratio']:.2f}× | "
        f"{'met' if r['added'] < 2 else 'missed'} |"
        for r in results
    ]
    return f"""# `pulumi preview` with and without the policy pack

Machine: {os.cpu_count()} cores. Command: `.venv/bin/python -m benchmarks.preview --pairs {pairs}`.
Real engine (CLI v3.259.0), real providers, the pack through the language host; a new stack
(every resource a create), prod against a closed loopback port (no cluster). Medians of {pairs}
alternating pairs; "added" is the median of the per-pair differences (range in brackets).

| stack | without the pack | with the pack | added by the pack | ratio | goal: adds < 2 s |
|---|---|---|---|---|---|
{chr(10).join(rows)}
"""


def dry_run(stacks: list[str], pairs: int) -> int:
    """The prerequisites a run needs (the same checks it makes first), without minutes of
    previews: the cheapest real use of the command, for the test of the documented commands."""
    for stack in stacks:
        require_plugins("random", PLUGINS[stack])
    if not (ROOT / "policies/venv/bin/python").exists():
        raise SystemExit("no policies/venv: run scripts/setup policies first")
    for stack in stacks:
        print(f"dry run: {stack}: 1 warm-up preview, then {pairs} pairs with and without the pack ({PLUGINS[stack]} and random plugins found)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10, help="alternating with/without pairs per stack (default 10)")
    parser.add_argument("--stacks", default="prod,dev", help="comma-separated stacks (default prod,dev)")
    parser.add_argument("--dry-run", action="store_true", help="check the provider plugins and the pack's virtualenv, print the plan; preview nothing")
    args = parser.parse_args(argv)
    if args.dry_run:
        return dry_run(args.stacks.split(","), args.pairs)
    with tempfile.TemporaryDirectory(prefix="lg-preview-bench-") as tmp:
        results = [measure(stack, args.pairs, Path(tmp)) for stack in args.stacks.split(",")]
    text = report(results, args.pairs)
    (ROOT / "benchmarks/results/preview.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cost of the policy pack, measured where it can be here.

    .venv/bin/python -m benchmarks.policy_pack [--runs 20]

The goal (issue 4) is a `pulumi preview --stack prod` with and without the pack. That needs the
pulumi-random and pulumi-kubernetes provider plugins, which cannot be built from the registries
reachable on these machines, so this measures the two parts of the pack's cost that do not
depend on them, in one run, alternating:
  1. start-up: a fresh interpreter of the pack's virtualenv importing the pack and building its
     policies, against the same interpreter doing nothing (the ratio is the pack's share);
  2. judging: every resource and stack policy on the prod stack's resources as the program
     registers them (Pulumi mocks), i.e. the work CrossGuard does per preview.
Writes benchmarks/results/policy-pack.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK_PYTHON = ROOT / "policies/venv/bin/python"
IMPORT_PACK = "import sys; sys.path.insert(0, 'policies'); from litellm_policies.adapter import build_policies; build_policies()"


def seconds(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def judge_seconds(runs: int) -> tuple[list[float], int, int]:
    sys.path[:0] = [str(ROOT), str(ROOT / "policies"), str(ROOT / "tests")]
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from litellm_policies.registry import evaluate
    from test_components import stack_config
    from ops.pr_check import policy_config as config, policy_resources as resources

    from devtools.mock_engine import run_program

    registered = resources(run_program("prod", *stack_config("prod")))
    times, found = [], []
    for _ in range(runs):
        start = time.perf_counter()
        found = evaluate(registered, config("prod"))
        times.append(time.perf_counter() - start)
    return times, len(registered), len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="alternating pairs / evaluations (default 20)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/policy-pack.md", help="the report (default benchmarks/results/policy-pack.md)")
    args = parser.parse_args()
    if not PACK_PYTHON.exists():
        raise SystemExit("no policies/venv: run scripts/setup first")
    pairs = []
    for _ in range(args.runs):
        pairs.append((seconds([str(PACK_PYTHON), "-c", "pass"]), seconds([str(PACK_PYTHON), "-c", IMPORT_PACK])))
    bare = statistics.median(p[0] for p in pairs)
    pack = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[1] / p[0] for p in pairs)
    judge, n_resources, n_findings = judge_seconds(args.runs)
    judge_median = statistics.median(judge)
    added = pack - bare + judge_median
    report = f"""# Policy pack cost

Machine: {os.cpu_count()} cores. Command: `.venv/bin/python -m benchmarks.policy_pack --runs {args.runs}`.
Medians of {args.runs} alternating runs.

| what | median | note |
|---|---|---|
| interpreter start, nothing imported | {bare * 1000:.0f} ms | `policies/venv/bin/python -c pass` |
| interpreter start + import the pack + build its policies | {pack * 1000:.0f} ms | ratio to the above: {ratio:.2f}x |
| judging the prod stack: {n_resources} resources, every policy | {judge_median * 1000:.1f} ms | {n_findings} findings (violations, advisories and deferred checks) |
| **the pack's own cost per preview (start-up + judging)** | **{added * 1000:.0f} ms** | goal: under 2 s ({'met' if added < 2 else 'missed'}) |

Not measured: `pulumi preview --stack prod` with and without `--policy-pack`, the figure the goal
names. It needs the pulumi-random 4.21.1 and pulumi-kubernetes 4.32.0 provider plugins, which the
Go module proxy reachable here does not serve (see scripts/toolchain.sh). The engine's own
overhead for a policy pack (plugin launch, gRPC per resource) is therefore not in these figures.
"""
    args.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()

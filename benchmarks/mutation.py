"""Mutation score of the pure core, one module at a time, with the fast unit tests only.

    nice -n 19 .venv/bin/python -m benchmarks.mutation [MODULE ...] [--max-children N]
    .venv/bin/python -m benchmarks.mutation --list
    nice -n 19 .venv/bin/python -m benchmarks.mutation MODULE --tests-from HEAD   # a "before" score
    nice -n 19 .venv/bin/python -m benchmarks.mutation MODULE --sample 400        # a module too big to run whole

MODULE is a path as listed by --list (default: all of them). Each module is mutated by mutmut
(pinned in requirements.txt) against only the unit tests that concern it (MODULES below), and
the score, the survivors and the duration are written to benchmarks/results/mutation.md
(rows of modules not run this time are kept from the previous file; the part of that file from
`## Equivalent` on is written by hand and kept). Not part of CI: on 2 shared cores a component
module takes 1-2 min, a rule module 4-15 min, the whole set about 2 hours.

Why a staging tree: the policy pack is a folder on `pythonpath`, not a package, so its modules
are imported as `litellm_policies.x` while mutmut would name them `policies.litellm_policies.x`
and never match a test to a mutant. Each run therefore copies what the tests read into a fresh
directory under ~/.cache/litellm-gateway/mutation/, with the pack under `src/` (mutmut strips
that prefix) and a `setup.cfg` holding the `[mutmut]` section for that module. In that copy only,
the rule decorators become assignments (see `undecorate`): mutmut never mutates a decorated
function. The repository itself is never written to, except the results file.

Tests that run the Pulumi program under mocks (devtools.mock_engine) cannot be listed: mutmut runs
each mutant in a child forked from a process where gRPC already runs, and there the engine's
threads spin until mutmut's CPU limit kills them (SIGXCPU after ~11 s), which mutmut counts as
killed. A rule module is measured with the pack's own tests (tests/policies), which build
resources as plain data.

`--sample N` measures N mutants drawn at random (fixed seed) from all of a module's: detect.py,
which every rule calls, has thousands, each tested against most of the pack's tests. The row
then says so and gives the score's 95 % interval (Wilson).
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGING = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "litellm-gateway" / "mutation"
RESULTS = ROOT / "benchmarks" / "results" / "mutation.md"

#: module -> the fast unit tests run against its mutants (mutmut then runs, per mutant, only
#: those of them that call the mutated function). Tests that only drive a subprocess
#: (test_capacity, test_render) are left out: mutmut cannot see which mutants they reach. Every
#: policy test calls evaluate(), i.e. every rule, so a rule module gets only its own test file(s):
#: with the whole policy suite a surviving mutant costs ~1 min here, and a module hours.
#: test_bypasses.py holds the tests of issue 15's closed bypasses, rule by rule (H2/H3, D5, N2,
#: P6, S3/S7), so it goes with each of those modules.
MODULES: dict[str, list[str]] = {
    "components/sizing.py": ["tests/test_sizing.py", "tests/test_settings.py"],
    "components/settings.py": ["tests/test_settings.py"],
    "components/litellm_config.py": ["tests/test_litellm_config.py"],
    "policies/litellm_policies/cache.py": ["tests/policies/test_cache.py"],
    "policies/litellm_policies/database.py": ["tests/policies/test_database.py", "tests/policies/test_bypasses.py"],
    "policies/litellm_policies/health.py": ["tests/policies/test_health_routing_observability.py", "tests/policies/test_bypasses.py"],
    "policies/litellm_policies/observability.py": ["tests/policies/test_health_routing_observability.py"],
    "policies/litellm_policies/platform.py": ["tests/policies/test_platform.py", "tests/policies/test_bypasses.py"],
    "policies/litellm_policies/proxy.py": ["tests/policies/test_proxy.py", "tests/policies/test_proxy_messages.py", "tests/policies/test_bypasses.py"],
    "policies/litellm_policies/routing.py": ["tests/policies/test_health_routing_observability.py"],
    "policies/litellm_policies/secrets.py": [
        "tests/policies/test_secrets.py", "tests/policies/test_secrets_messages.py", "tests/policies/test_secret_files.py",
        "tests/policies/test_bypasses.py",
    ],
    "policies/litellm_policies/exposure.py": ["tests/policies/test_exposure.py"],
    "policies/litellm_policies/external_stores.py": ["tests/policies/test_external_stores.py"],
    "policies/litellm_policies/overrides.py": ["tests/policies/test_overrides.py", "tests/policies/test_proxy.py", "tests/policies/test_bypasses.py"],
    "policies/litellm_policies/references.py": ["tests/policies/test_references.py", "tests/policies/test_secrets.py", "tests/policies/test_bypasses.py"],
    "policies/litellm_policies/scheduling.py": ["tests/policies/test_scheduling.py", "tests/policies/test_platform.py"],
    # the helpers the budget, Redis and secret rules share (replica counts, rollout N, server settings)
    "policies/litellm_policies/workloads.py": [
        "tests/policies/test_workloads.py", "tests/policies/test_database.py", "tests/policies/test_cache.py",
        "tests/policies/test_platform.py", "tests/policies/test_secrets.py",
    ],
    # recognising LiteLLM/Postgres/Redis containers and reading their env, options and configs:
    # every rule goes through it, so every policy test file runs against its mutants
    "policies/litellm_policies/detect.py": ["tests/policies"],
}
#: Tests left out of every mutation run: LiteLLM's own validator in a subprocess (P10, ~20 s each,
#: and it checks LiteLLM's reading of the file, not our derivation of it), and the one test that
#: lists the pack's folder by path (the staging tree moves it under src/).
DESELECT = [
    "tests/test_litellm_config.py::test_p10_rendered_config_passes_litellms_own_validator",
    "tests/test_litellm_config.py::test_p10_validator_catches_a_broken_config",
    "tests/policies/test_pack.py::test_rules_do_not_import_pulumi_policy",
]
#: What the tests read besides the sources and tests/ (paths relative to the repository).
ALSO_COPY = [
    "pytest.ini", "requirements.txt", "__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml",
    "devtools", "ops", "images/versions.env", "images/litellm", "policies",
]  # fmt: skip

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout", 37: "caught by type check", None: "not checked"}  # fmt: skip


def undecorate(source: str) -> str:
    """mutmut 3 never mutates a decorated function, and every rule of the pack is one
    (`@resource_policy(...)`). In the staging copy only, apply each top-level decorator by an
    assignment right after the function instead, which registers the same function in the same
    order: `def f(...): ...` then `f = resource_policy(...)(f)`."""
    import libcst as cst

    class Undecorate(cst.CSTTransformer):
        def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:  # noqa: N802
            body: list = []
            for stmt in updated.body:
                if isinstance(stmt, cst.FunctionDef) and stmt.decorators:
                    call: cst.BaseExpression = stmt.name
                    for d in reversed(stmt.decorators):
                        call = cst.Call(func=d.decorator, args=[cst.Arg(call)])
                    body.append(stmt.with_changes(decorators=[]))
                    body.append(cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(stmt.name)], call)]))
                else:
                    body.append(stmt)
            return updated.with_changes(body=body)

    return cst.parse_module(source).visit(Undecorate()).code


def stage(module: str, tests_from: str | None = None) -> Path:
    """A fresh tree for one module: sources, tests, the files they read, and the [mutmut] config.
    `tests_from` (a git revision) takes tests/ from that commit instead of the work tree."""
    work = STAGING / (re.sub(r"[^A-Za-z0-9]+", "-", module.removesuffix(".py")) + (f"-tests-{tests_from}" if tests_from else ""))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "venv", ".hypothesis", ".pytest_cache", "faults", "kube", "e2e")
    shutil.copytree(ROOT / "components", work / "components", ignore=ignore)
    if tests_from:
        archive = subprocess.run(["git", "archive", tests_from, "tests"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
        for sub in ("faults", "kube", "e2e"):
            shutil.rmtree(work / "tests" / sub, ignore_errors=True)
    else:
        shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    shutil.copytree(ROOT / "policies/litellm_policies", work / "src/litellm_policies", ignore=ignore)
    for item in ALSO_COPY:
        src, dst = ROOT / item, work / item
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "venv", "litellm_policies"))
        else:
            shutil.copy2(src, dst)
    # tests/policies/test_pack.py reads the rule catalogue at ../shared/HARDENING.md from the root,
    # and mutmut runs the tests from <work>/mutants
    (work / "shared").mkdir()
    shutil.copy2(ROOT.parent / "shared" / "HARDENING.md", work / "shared" / "HARDENING.md")
    # the pack's folder stays on pythonpath for its config files, but without the rules, which
    # come from src/ (mutated) only
    ini = (work / "pytest.ini").read_text()
    (work / "pytest.ini").write_text(re.sub(r"(?m)^pythonpath = .*$", "pythonpath = . src tests", ini))
    mutated = module.replace("policies/litellm_policies/", "src/litellm_policies/")
    (work / mutated).write_text(undecorate((work / mutated).read_text()))
    args = ["-p", "no:cacheprovider", "--hypothesis-seed=0"] + [f"--deselect={t}" for t in DESELECT]
    lines = [
        "[mutmut]",
        "source_paths =\n    components\n    src",
        f"only_mutate =\n    {mutated}",
        "pytest_add_cli_args_test_selection =\n" + "\n".join(f"    {t}" for t in MODULES[module]),
        "pytest_add_cli_args =\n" + "\n".join(f"    {a}" for a in args),
        "also_copy =\n" + "\n".join(sorted({f"    {a.split('/')[0]}" for a in ALSO_COPY})),  # mutmut makes no parents
        "use_git_change_detection = false",
        "timeout_multiplier = 10",
        "",
    ]
    (work / "setup.cfg").write_text("\n".join(lines))
    return work


#: matches no mutant: `mutmut run` with it generates the mutants and the test stats, then stops
GENERATE_ONLY = "lg-generate-only-no-such-mutant"
SAMPLE_SEED = 0


def _mutant_names(work: Path, meta_path: Path) -> list[str]:
    """Every mutant of the staged module; mutmut keeps the stats this gathers for the next run."""
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", "1", GENERATE_ONLY]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    (work / "mutmut-generate.log").write_text(proc.stdout + proc.stderr)
    if not meta_path.exists():
        raise SystemExit(f"mutmut generated no mutants (exit {proc.returncode}); see {work / 'mutmut-generate.log'}")
    return sorted(json.loads(meta_path.read_text())["exit_code_by_key"])


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % interval of a sampled score, in percent."""
    if n == 0:
        return (0.0, 100.0)
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(100 * (centre - half), 1), round(100 * (centre + half), 1))


def run(module: str, max_children: int, tests_from: str | None = None, sample: int | None = None) -> dict:
    work = stage(module, tests_from)
    mutated = module.replace("policies/litellm_policies/", "src/litellm_policies/")
    meta_path = work / "mutants" / (mutated + ".meta")
    start = time.monotonic()
    chosen: list[str] = []
    if sample:
        every = _mutant_names(work, meta_path)
        chosen = sorted(random.Random(SAMPLE_SEED).sample(every, min(sample, len(every))))
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *chosen]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    seconds = time.monotonic() - start
    (work / "mutmut-run.log").write_text(proc.stdout + proc.stderr)
    if not meta_path.exists():
        raise SystemExit(f"{module}: mutmut produced no results (exit {proc.returncode}); see {work / 'mutmut-run.log'}")
    codes = json.loads(meta_path.read_text())["exit_code_by_key"]
    population = len(codes)
    if chosen:
        codes = {k: v for k, v in codes.items() if k in set(chosen)}
    if proc.returncode != 0 or all(code is None for code in codes.values()):
        raise SystemExit(f"{module}: mutmut failed (exit {proc.returncode}); see {work / 'mutmut-run.log'}")
    by_status: dict[str, list[str]] = {}
    for key, code in codes.items():
        by_status.setdefault(STATUS.get(code, "suspicious"), []).append(key)
    killed = len(by_status.get("killed", [])) + len(by_status.get("timeout", []))
    total = len(codes)
    return {
        "module": module,
        "total": total,
        "killed": killed,
        "score": round(100 * killed / total, 1) if total else 0.0,
        "timeouts": len(by_status.get("timeout", [])),
        **({"sample_of": population, "interval": wilson(killed, total)} if chosen else {}),
        "survived": sorted(by_status.get("survived", [])),
        "no_tests": sorted(by_status.get("no tests", [])),
        "other": {k: len(v) for k, v in by_status.items() if k not in ("killed", "timeout", "survived", "no tests")},
        "seconds": round(seconds),
        "staging": str(work),
        "commit": measured_commit(module),
    }


def measured_commit(module: str) -> str:
    """The commit whose module and tests were measured, `+` when the work tree changed either:
    rule modules and their tests move fast, and a score is only meaningful with its revision."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    paths = [module, *MODULES[module]]
    dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return head + ("+" if dirty else "")


def diffs_of(mutated_file: Path, keys: list[str]) -> dict[str, str]:
    """The mutated line of each mutant, shortened (`old -> new`), read from mutmut's mutated copy
    of the module, where every mutant is a function beside the original (`..._mutmut_orig`)."""
    import ast
    import difflib

    text = mutated_file.read_text()
    # by line numbers from one split: ast.get_source_segment splits the whole file again on each
    # call, which made this quadratic (over 14 min for 800 survivors in a file of 1700 mutants)
    lines = text.splitlines()
    funcs = {
        n.name: "\n".join(lines[n.lineno - 1 : n.end_lineno])
        for n in ast.walk(ast.parse(text))
        if isinstance(n, ast.FunctionDef) and n.end_lineno is not None
    }
    out = {}
    for key in keys:
        name = key.rsplit(".", 1)[-1]
        orig = funcs.get(name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "").splitlines()[1:]  # without the def line
        mutant = funcs.get(name, "").splitlines()[1:]
        changed = [ln for ln in difflib.unified_diff(orig, mutant, lineterm="", n=0) if ln[:3] not in ("---", "+++", "@@ ")]
        minus = next((ln[1:].strip() for ln in changed if ln.startswith("-")), "")
        plus = next((ln[1:].strip() for ln in changed if ln.startswith("+")), "")
        out[key] = (f"{minus[:90]} -> {plus[:90]}" if minus or plus else "").replace("`", "'").replace("|", "\\|")
    return out


def engine_tests(module: str) -> list[str]:
    """The listed test files of `module` that import the mock engine (see the module docstring)."""
    files = [p for t in MODULES[module] for p in ((ROOT / t).rglob("test_*.py") if (ROOT / t).is_dir() else [ROOT / t])]
    return [str(f.relative_to(ROOT)) for f in files if "mock_engine" in f.read_text()]


def command_line(modules: list[str], max_children: int, sample: int | None = None) -> str:
    names = " ".join(modules) if set(modules) != set(MODULES) else ""
    sampled = f" --sample {sample}" if sample else ""
    return f"nice -n 19 .venv/bin/python -m benchmarks.mutation {names} --max-children {max_children}{sampled}".replace("  ", " ")


def write(rows: list[dict]) -> None:
    previous = _previous_rows()
    for r in rows:
        previous[r["module"]] = r
    lines = [
        "# Mutation score of the pure core",
        "",
        "Written by `benchmarks/mutation.py` (mutmut, fast unit tests only; not part of CI). Each row",
        "comes from `nice -n 19 .venv/bin/python -m benchmarks.mutation MODULE --max-children 1`;",
        "the whole table from:",
        "",
        f"    {command_line(list(MODULES), 1)}",
        "",
        "killed = killed or timed out; per module, only the listed test files run (and per mutant only",
        "those that call the mutated function). Survivors judged equivalent are listed, with why, in",
        "the hand-written section at the end. commit: what was measured (`+`: with uncommitted changes",
        "to the module or its tests); rows without one predate the column.",
        "",
        "| module | mutants | killed | score | survived | no tests | time (s) | commit | tests |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for module in MODULES:
        r = previous.get(module)
        if r is None:
            lines.append(f"| `{module}` | not run | | | | | | | |")
            continue
        tests = ", ".join(f"`{t}`" for t in MODULES[module])
        total, score = r["total"], f"{r['score']} %"
        if "sample_of" in r:
            total, score = f"{r['total']} of {r['sample_of']} (sample)", f"{score} (95 %: {r['interval'][0]}-{r['interval'][1]})"
        lines.append(
            f"| `{module}` | {total} | {r['killed']} | {score} | {len(r['survived'])} | {len(r['no_tests'])} | {r['seconds']} | {r.get('commit', '')} | {tests} |"
        )
    lines += ["", "## Surviving mutants", ""]
    for module in MODULES:
        r = previous.get(module)
        if not r or not (r["survived"] or r["no_tests"]):
            continue
        lines += [f"### `{module}`", ""]
        for key in r["survived"] + r["no_tests"]:
            status = "survived" if key in r["survived"] else "no tests"
            diff = r.get("diffs", {}).get(key, "")
            lines.append(f"- `{key.rsplit('.', 1)[-1]}` ({status}): `{diff}`" if diff else f"- `{key}` ({status})")
        lines.append("")
    # the staging folder is a path of this machine: printed by the run, never stored here
    stored = [{k: v for k, v in r.items() if k != "staging"} for r in previous.values()]
    lines += ["<!-- rows: " + json.dumps(stored) + " -->", ""]
    manual = _manual_section()
    RESULTS.write_text("\n".join(lines) + manual)


def _previous_rows() -> dict[str, dict]:
    if not RESULTS.exists():
        return {}
    m = re.search(r"<!-- rows: (.*) -->", RESULTS.read_text())
    return {r["module"]: r for r in json.loads(m.group(1))} if m else {}


def _manual_section() -> str:
    """Everything after the generated part (from `## Equivalent` on) is kept as written by hand."""
    if not RESULTS.exists():
        return ""
    text = RESULTS.read_text()
    i = text.find("\n## Equivalent")
    return text[i:] if i >= 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="module paths (default: all, see --list)")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant runs (default 1: 2 shared cores here)")
    parser.add_argument("--list", action="store_true", help="print the modules and their tests, then exit")
    parser.add_argument("--sample", type=int, metavar="N", help="measure N mutants drawn at random (seed 0) instead of all")
    parser.add_argument("--tests-from", metavar="REV", help="measure the tests of git revision REV (e.g. a 'before' score); prints only, writes no results")
    args = parser.parse_args()
    if args.list:
        for module, tests in MODULES.items():
            print(f"{module}: {' '.join(tests)}")
        return
    try:
        import mutmut  # noqa: F401
    except ImportError:
        raise SystemExit("mutmut not found: .venv/bin/pip install -r requirements.txt (it pins mutmut)") from None
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        raise SystemExit(f"unknown module(s) {unknown}; one of: {', '.join(MODULES)}")
    engine = {m: engine_tests(m) for m in modules}
    if any(engine.values()):
        raise SystemExit(
            "these tests run the Pulumi program (devtools.mock_engine), which spins in mutmut's forked children "
            f"until its CPU limit kills them (counted as killed): {engine}; list the pack's own tests instead"
        )
    rows = []
    for module in modules:
        r = run(module, args.max_children, args.tests_from, args.sample)
        if args.tests_from:
            print(f"{module} with the tests of {args.tests_from}: {r['killed']}/{r['total']} killed ({r['score']} %), {len(r['survived'])} survived, {len(r['no_tests'])} without tests, {r['seconds']} s", flush=True)
            continue
        mutated = Path(r["staging"]) / "mutants" / module.replace("policies/litellm_policies/", "src/litellm_policies/")
        r["diffs"] = diffs_of(mutated, r["survived"] + r["no_tests"])
        r["command"] = command_line([module], args.max_children, args.sample)
        sampled = f" (a sample of {r['sample_of']}: 95 % interval {r['interval'][0]}-{r['interval'][1]} %)" if "sample_of" in r else ""
        print(
            f"{module}: {r['killed']}/{r['total']} killed ({r['score']} %){sampled}, {r['timeouts']} of them by timeout, "
            f"{len(r['survived'])} survived, {r['seconds']} s",
            flush=True,
        )
        rows.append(r)
        write(rows)


if __name__ == "__main__":
    main()

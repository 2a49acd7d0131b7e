"""Every command the READMEs tell a user to run works on a set-up machine (issue 18).

A new user followed the README's two commands and then `benchmarks.load --quick`, which stopped
on a missing wrk, then on a missing matplotlib: documented, never run. Here each documented
command (`python -m` of a package of this repository, and `scripts/*`) runs twice: its `--help`,
and its cheapest real mode: a dry run that makes the same preflight checks as a real run, a
listing, a tiny real run, or the error path that reaches the real CLI, all in seconds. The modes
that deploy or load something for minutes run in the engine, Docker and fault tests named in
`elsewhere`. A command documented without a case here fails (a new one cannot go unchecked), and
so does a case that is no longer documented.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.pulumi_project import ROOT, toolchain_env

DOCS = ("README.md", "benchmarks/README.md", "policies/README.md")
PYTHON_M = re.compile(r"python -m ([a-z_]+(?:\.[a-z_]+)?)(?: ([a-z][a-z-]+))?")
SCRIPT = re.compile(r"(?<![\w/.-])scripts/[\w.-]+[\w]")
MISSING_STACK = "lg-doc-no-such-stack"  # never created: the error path reaches the real CLI
PY = ".venv/bin/python"


@dataclass(frozen=True)
class Case:
    """One documented command: how to ask for its help and run its cheapest real mode.

    `real` is an argv (relative to the repository; `{tmp}` is a fresh directory), `rc` and
    `says` (a regex) what that mode must exit with and print; `elsewhere` names the test file
    that runs the expensive real mode, and must mention the command."""

    help: tuple[str, ...] | None
    real: tuple[str, ...] | None
    rc: int = 0
    says: str = ""
    elsewhere: str | None = None


def _py(*args: str) -> tuple[str, ...]:
    return (PY, "-m", *args)


CASES: dict[str, Case] = {
    "ops": Case(_py("ops", "--help"), None),  # its sub-commands are the cases below
    "ops check": Case(_py("ops", "check", "--help"), _py("ops", "check", "--stack", MISSING_STACK), 2,
                      f"no stack named '{MISSING_STACK}'", "tests/e2e/test_scripts_up.py"),
    "ops probe": Case(_py("ops", "probe", "--help"), _py("ops", "probe", "--stack", MISSING_STACK), 2,
                      f"no stack named '{MISSING_STACK}'", "tests/e2e/test_scripts_up.py"),
    "ops render": Case(_py("ops", "render", "--help"), _py("ops", "render", "--stack", "prod", "--out", "{tmp}/m"), 0,
                       r"wrote \d+ manifests to"),
    "ops backup": Case(_py("ops", "backup", "--help"), _py("ops", "backup", "--stack", MISSING_STACK, "{tmp}/x.dump"), 2,
                       f"cannot read stack '{MISSING_STACK}'", "tests/e2e/test_backup_restore.py"),
    "ops restore": Case(_py("ops", "restore", "--help"), _py("ops", "restore", "--stack", MISSING_STACK, "README.md"), 2,
                        "is not a pg_dump custom-format file", "tests/e2e/test_backup_restore.py"),
    "components.capacity": Case(_py("components.capacity", "--help"), _py("components.capacity", "Pulumi.prod.yaml", "--json"), 0,
                                r'"workers": 4'),
    "benchmarks.load": Case(_py("benchmarks.load", "--help"), _py("benchmarks.load", "--quick", "--dry-run"), 0,
                            r"dry run: nothing started(.|\n)*hardened(.|\n)*--num_workers 2"),
    "benchmarks.profile": Case(_py("benchmarks.profile", "--help"), _py("benchmarks.profile", "--dry-run"), 0,
                               r"dry run: nothing started. Would profile bare, hardened"),
    "benchmarks.soak": Case(_py("benchmarks.soak", "--help"), _py("benchmarks.soak", "--dry-run"), 0,
                            r"dry run: nothing started(.|\n)*no-recycling"),
    "benchmarks.preview": Case(_py("benchmarks.preview", "--help"), _py("benchmarks.preview", "--dry-run"), 0,
                               r"dry run: prod(.|\n)*dry run: dev"),
    "benchmarks.policy_pack": Case(_py("benchmarks.policy_pack", "--help"),
                                   _py("benchmarks.policy_pack", "--runs", "1", "--out", "{tmp}/pack.md"), 0,
                                   r"judging the prod stack: \d+ resources"),
    "benchmarks.mutation": Case(_py("benchmarks.mutation", "--help"), _py("benchmarks.mutation", "--list"), 0,
                                r"policies/litellm_policies/health\.py: tests/"),
    "scripts/setup": Case(("scripts/setup", "--help"), ("scripts/setup", "python", "policies"), 0,
                          "==> policy pack virtualenv: done"),
    "scripts/test": Case(("scripts/test", "--help"), ("scripts/test", "tests/test_capacity.py", "-q", "-p", "no:cacheprovider"), 0,
                         r"\d+ passed"),
    "scripts/up": Case(("scripts/up", "--help"), ("scripts/up", "--skip-setup", "--stack", MISSING_STACK), 2,
                       f"no stack file Pulumi.{MISSING_STACK}.yaml", "tests/e2e/test_scripts_up.py"),
    "scripts/pr-check": Case(("scripts/pr-check", "--help"), ("scripts/pr-check", "--stack", "prod", "--offline"), 0,
                             r"policy check: stack `prod` passed"),
    "scripts/toolchain.sh": Case(("scripts/toolchain.sh", "--help"), ("scripts/toolchain.sh", "--print-path"), 0,
                                 r"pulumi-v3\.259\.0/bin"),
    "scripts/kube-toolchain.sh": Case(("scripts/kube-toolchain.sh", "--help"), ("scripts/kube-toolchain.sh", "--print-path"), 0,
                                      r"kube-v1\.36\.0/bin"),
    "scripts/kube-cluster.sh": Case(("scripts/kube-cluster.sh", "--help"), ("scripts/kube-cluster.sh", "status", "--dir", "{tmp}/c"), 1,
                                    "API server: not answering", "tests/kube/conftest.py"),
    "scripts/kube-node.sh": Case(("scripts/kube-node.sh", "--help"), ("scripts/kube-node.sh", "status", "--name", "lg-doc-no-such-node"), 1,
                                 "container lg-doc-no-such-node: not running", "tests/kube/test_real_node.py"),
    "scripts/docker-engine.sh": Case(("scripts/docker-engine.sh", "--help"), ("scripts/docker-engine.sh",), 0,
                                     "Docker engine already answering"),
    "scripts/images.sh": Case(("scripts/images.sh", "--help"), ("scripts/images.sh", "--list"), 0,
                              r"litellm-gateway/litellm:\S+"),
    # sourced, not run: the README's `source scripts/lib.sh && pulumi_stack_env dev`
    "scripts/lib.sh": Case(None, ("bash", "-c", "source scripts/lib.sh && pulumi_stack_env dev && pulumi version"), 0,
                           r"v3\.259\.0"),
}  # fmt: skip


def documented() -> set[str]:
    """The project's commands the docs name: `python -m PKG[.MOD] [SUBCOMMAND]` where PKG is a
    folder of this repository, and `scripts/NAME`, in prose, code blocks and the layout table
    (which lists scripts without their folder: "| `scripts/` | `setup`, `test`, ...")."""
    found: set[str] = set()
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        for module, sub in PYTHON_M.findall(text):
            if (ROOT / module.split(".")[0]).is_dir():
                found.add(f"{module} {sub}" if module == "ops" and sub else module)
        found.update(SCRIPT.findall(text))
        for row in re.findall(r"(?m)^\| `scripts/` \|(.*)\|\s*$", text):
            found.update(f"scripts/{name}" for name in re.findall(r"`([\w.-]+)`", row))
    return found


def run(argv: tuple[str, ...], tmp: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a documented command from the repository root as a user would after scripts/setup:
    the pinned CLI on PATH, and a throwaway backend and passphrase, so no stack or passphrase of
    the machine's is read or created."""
    env = {**os.environ, **toolchain_env(), "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "doc-test"}
    (tmp / "state").mkdir(exist_ok=True)
    args = [a.replace("{tmp}", str(tmp)) for a in argv]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_every_documented_command_has_a_case():
    docs = documented()
    assert docs - set(CASES) == set(), "documented commands without a case here: add one (help + cheapest real mode)"
    assert set(CASES) - docs == set(), "cases of commands no README documents any more: drop them"


def test_the_scan_finds_what_a_user_reads():
    """The scan itself can fail: the README's own examples must be among what it finds."""
    assert {"scripts/up", "scripts/test", "ops check", "benchmarks.load", "components.capacity", "scripts/images.sh"} <= documented()


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.help])
def test_help(name: str, tmp_path: Path):
    proc = run(CASES[name].help, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "usage" in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.real])
def test_cheapest_real_mode(name: str, tmp_path: Path):
    case = CASES[name]
    proc = run(case.real, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == case.rc, f"exit {proc.returncode}, wanted {case.rc}:\n{out[-3000:]}"
    assert re.search(case.says, out), f"wanted /{case.says}/ in:\n{out[-3000:]}"
    assert "Traceback" not in out, out[-3000:]


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.elsewhere])
def test_expensive_mode_is_run_elsewhere(name: str):
    """A deploying or long mode is not run here; the named test must exist and run the command."""
    text = (ROOT / CASES[name].elsewhere).read_text()
    command = name.split("/")[-1].split(" ")[-1]
    assert command in text, f"{CASES[name].elsewhere} does not mention {command!r}"


def test_capacity_json_is_one_object(tmp_path: Path):
    """The documented `--json` is machine-readable: one object whose integers stay integers."""
    proc = run(CASES["components.capacity"].real, tmp_path)
    assert isinstance(json.loads(proc.stdout)["workers"], int)

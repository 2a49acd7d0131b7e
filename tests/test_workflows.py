"""The GitHub workflows: actionlint (built by scripts/setup) accepts them, and each job gets
least privilege: read-only by default, `pull-requests: write` only where a job comments."""

import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
COMMENTING_JOBS = {("pr-check.yml", "preview"), ("policy-pack.yml", "preview")}


def actionlint(folder: Path) -> subprocess.CompletedProcess:
    bin_dir = subprocess.run([str(ROOT / "scripts/kube-toolchain.sh"), "--print-path", "actionlint"], capture_output=True, text=True, check=True)
    binary = Path(bin_dir.stdout.strip()) / "actionlint"
    assert binary.exists(), f"no actionlint at {binary}: scripts/setup builds it (scripts/kube-toolchain.sh actionlint)"
    return subprocess.run([str(binary), "-no-color"], cwd=folder, capture_output=True, text=True, timeout=120)


def test_actionlint_accepts_every_workflow():
    assert {w.name for w in WORKFLOWS} == {"ci.yml", "pr-check.yml", "policy-pack.yml"}
    result = actionlint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_refuses_a_broken_workflow(tmp_path):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    broken = (ROOT / ".github/workflows/pr-check.yml").read_text().replace("${{ matrix.stack }}", "${{ matrix.stak }}")
    (tmp_path / ".github/workflows/pr-check.yml").write_text(broken)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # actionlint looks for a repository
    result = actionlint(tmp_path)
    assert result.returncode != 0 and 'property "stak" is not defined' in result.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_least_privilege(workflow):
    doc = yaml.safe_load(workflow.read_text())
    assert doc["permissions"] == {"contents": "read"}
    for name, job in doc["jobs"].items():
        granted = job.get("permissions", {})
        assert granted != "write-all" and set(granted.values()) <= {"read", "write"}
        writes = {scope for scope, level in granted.items() if level == "write"}
        expected = {"pull-requests"} if (workflow.name, name) in COMMENTING_JOBS else set()
        assert writes == expected, (workflow.name, name, writes)


def test_the_pr_workflow_runs_the_project_script_with_the_pack():
    steps = yaml.safe_load((ROOT / ".github/workflows/pr-check.yml").read_text())["jobs"]["preview"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "scripts/pr-check --stack" in runs and "--out pr-check.md" in runs
    assert (ROOT / "scripts/pr-check").stat().st_mode & 0o111

"""The GitHub workflows: actionlint (built by scripts/setup) accepts them, and each job gets
least privilege: read-only by default, `pull-requests: write` only where a job comments."""

import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
COMMENTING_JOBS = {("pr-check.yml", "comment"), ("policy-pack.yml", "preview")}


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
    broken = (ROOT / ".github/workflows/pr-check.yml").read_text().replace("needs: [offline, preview]", "needs: [offline, previw]")
    (tmp_path / ".github/workflows/pr-check.yml").write_text(broken)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # actionlint looks for a repository
    result = actionlint(tmp_path)
    assert result.returncode != 0 and 'needs job "previw" which does not exist' in result.stdout, result.stdout


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


def _pr_workflow() -> dict:
    doc = yaml.safe_load((ROOT / ".github/workflows/pr-check.yml").read_text())
    return {"on": doc.get("on", doc.get(True)), "jobs": doc["jobs"]}


def _checks_out_the_pr(step: dict) -> bool:
    return "pull_request.head" in str(step.get("with", {}).get("ref", ""))


def test_the_pr_is_judged_by_the_base_branchs_pack_never_its_own():
    """Issue 15: the workflow file, the pack, its config and the judging scripts come from the
    base branch (pull_request_target, base/ checkout); the PR supplies only --program pr."""
    wf = _pr_workflow()
    assert set(wf["on"]) == {"pull_request_target"}  # the workflow itself is the base branch's
    for name in ("offline", "preview"):
        steps = wf["jobs"][name]["steps"]
        checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout")]
        assert [s["with"]["path"] for s in checkouts] == ["base", "pr"] and _checks_out_the_pr(checkouts[1])
        assert not _checks_out_the_pr(checkouts[0]) and all(s["with"]["persist-credentials"] is False for s in checkouts)
        runs = [s["run"] for s in steps if "pr-check" in s.get("run", "")]
        assert len(runs) == 1 and runs[0].startswith("base/scripts/pr-check ") and "--program pr" in runs[0], runs
        assert "policy-pack" not in runs[0]  # the script takes the pack from its own checkout (base/)
    assert (ROOT / "scripts/pr-check").stat().st_mode & 0o111


def test_the_prs_code_gets_credentials_only_in_the_approved_preview_job():
    jobs = _pr_workflow()["jobs"]
    for name, job in jobs.items():
        text = yaml.safe_dump(job)
        runs_pr_code = any(_checks_out_the_pr(s) for s in job["steps"])
        if "secrets." in text:
            assert name == "preview" and job["environment"] == "preview" and "head.repo.full_name == github.repository" in job["if"]
        if runs_pr_code:
            assert job["permissions"] == {"contents": "read"}, name  # never a write token next to the change's code
        assert "cache" not in text, name  # nothing the change's code could poison for the base branch
    assert not any(_checks_out_the_pr(s) or "checkout" in str(s.get("uses", "")) for s in jobs["comment"]["steps"])

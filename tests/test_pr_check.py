"""scripts/pr-check: a clean change passes, a broken one fails with its rule ID, and the
summary reads the real engine's streamed preview events."""

import json
import subprocess
from pathlib import Path

import pytest

from devtools.pulumi_project import Project, copy_checkout
from ops import pr_check

CHECKOUT = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "components", "devtools", "ops", "policies", "scripts")


def checkout(tmp: Path) -> Path:
    """A copy of the repository to change, as a pull request would."""
    return copy_checkout(tmp / "repo", CHECKOUT)


def run_offline(repo: Path, tmp: Path) -> tuple[int, str, str]:
    out = tmp / "summary.md"
    result = subprocess.run(
        [str(repo / "scripts/pr-check"), "--offline", "--stack", "prod", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return result.returncode, result.stdout, out.read_text() if out.exists() else ""


def test_a_clean_change_passes(tmp_path):
    code, stdout, summary = run_offline(checkout(tmp_path), tmp_path)
    assert code == 0, stdout
    assert "stack `prod` passed" in summary and "Policy violations: 0 mandatory, 0 advisory" in summary
    assert "22 to create" in summary and summary == stdout.rstrip("\n") + "\n"


def test_s1_a_change_that_unprotects_the_salt_key_fails_with_the_rule(tmp_path):
    repo = checkout(tmp_path)
    secrets = repo / "components/secrets.py"
    source = secrets.read_text()
    assert 'generator("salt-key", KEY_LENGTH, protect=True, keepers=adopted_keepers(existing))' in source
    secrets.write_text(source.replace('generator("salt-key", KEY_LENGTH, protect=True, keepers=adopted_keepers(existing))', 'generator("salt-key", KEY_LENGTH, keepers=adopted_keepers(existing))'))
    code, _, summary = run_offline(repo, tmp_path)
    assert code == 1
    assert "stack `prod` FAILED" in summary and "Policy violations: 1 mandatory" in summary
    assert "| mandatory | `litellm-s1-" in summary and "[S1]" in summary and "Fix:" in summary


def test_p1_a_broken_stack_config_fails_before_any_resource(tmp_path):
    repo = checkout(tmp_path)
    stack = repo / "Pulumi.prod.yaml"
    stack.write_text(stack.read_text().replace("  litellm-gateway:replicas: 3\n", "  litellm-gateway:replicas: 3\n  litellm-gateway:workers: 9\n"))
    code, _, summary = run_offline(repo, tmp_path)
    assert code == 1
    assert "[P1] litellm-gateway:workers = 9: between 1 and the 4 vCPU of class standard" in summary
    assert "Changes: no changes" in summary and "Resources" not in summary


def _event(seq: int, **payload) -> str:
    return json.dumps({"sequence": seq, "timestamp": 0, **payload})


def test_policy_events_of_the_preview_stream_become_the_verdict():
    """Field names as in Pulumi v3.259's sdk/go/common/apitype/events.go."""
    urn = "urn:pulumi:prod::litellm-gateway::litellm-gateway:index:Gateway$random:index/randomPassword:RandomPassword::lg-prod-secrets-salt-key"
    lines = [
        _event(1, resourcePreEvent={"metadata": {"op": "create", "urn": urn, "type": "random:index/randomPassword:RandomPassword"}}),
        _event(2, resourcePreEvent={"metadata": {"op": "same", "urn": urn + "x", "type": "kubernetes:core/v1:Namespace"}}),
        _event(3, policyEvent={"resourceUrn": urn, "message": "[S1] not protected. Fix: protect it", "color": "never",
                               "policyName": "litellm-s1-salt-key-protected", "policyPackName": "litellm-gateway-hardening",
                               "policyPackVersion": "", "policyPackVersionTag": "", "enforcementLevel": "mandatory"}),  # fmt: skip
        _event(4, policyEvent={"message": "[N4] one replica", "color": "never", "policyName": "litellm-n4-replicas-and-pdb",
                               "policyPackName": "p", "policyPackVersion": "", "policyPackVersionTag": "", "enforcementLevel": "advisory"}),  # fmt: skip
        _event(5, summaryEvent={"maybeCorrupt": False, "durationSeconds": 3, "resourceChanges": {"create": 1, "same": 1}, "PolicyPacks": {}}),
    ]
    summary = pr_check.from_event_log("prod", lines, preview_status=255)
    assert summary.steps == [("create", "random:index/randomPassword:RandomPassword", "lg-prod-secrets-salt-key")]
    assert [(v.policy, v.level, v.resource) for v in summary.mandatory] == [("litellm-s1-salt-key-protected", "mandatory", "lg-prod-secrets-salt-key")]
    assert not summary.passed and summary.errors == []  # the violation explains the failed preview
    advisory_only = pr_check.from_event_log("prod", [lines[3], lines[4]], preview_status=0)
    assert advisory_only.passed and "0 mandatory, 1 advisory" in pr_check.markdown(advisory_only)


@pytest.mark.engine
def test_p1_the_real_engines_event_stream_names_the_rule(tmp_path):
    """The real CLI's streamed `preview --json` on a broken stack config, read by the same parser.
    (Without the pack: the language host buildable here cannot start Python policy packs.)"""
    project = Project.copy(tmp_path, "prod", "Pulumi.prod.yaml", workers=9)
    for key in ("openaiApiKey", "anthropicApiKey"):
        project.set_secret(key, "not-a-real-key")
    result = subprocess.run(
        ["pulumi", "preview", "--stack", "prod", "--non-interactive", "--json"],
        cwd=project.dir, env={**project.env, "PULUMI_ENABLE_STREAMING_JSON_PREVIEW": "true"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    summary = pr_check.from_event_log("prod", result.stdout.splitlines(), result.returncode)
    assert result.returncode != 0 and not summary.passed
    assert any("[P1] litellm-gateway:workers = 9" in e for e in summary.errors), summary.errors
    assert summary.steps == [] and "not-a-real-key" not in pr_check.markdown(summary)


def test_a_pull_request_cannot_weaken_the_pack_that_judges_it(tmp_path):
    """Before: the check ran the PR's own policies/ and config/prod.json, so a PR could set the
    rule it breaks to advisory (or edit it) and pass. Now the base checkout's pack and config
    judge the PR's program (scripts/pr-check --program, as .github/workflows/pr-check.yml runs it)."""
    base, pr = copy_checkout(tmp_path / "base", CHECKOUT), copy_checkout(tmp_path / "pr", CHECKOUT)
    secrets = pr / "components/secrets.py"
    secrets.write_text(secrets.read_text().replace("protect=protect", "protect=False"))
    config = pr / "policies/config/prod.json"
    config.write_text(json.dumps({name: "advisory" for name in json.loads(config.read_text())}))
    rule = pr / "policies/litellm_policies/secrets.py"
    rule.write_text(rule.read_text().replace("def s1_salt_resource_protected(res: Resource, stack: Stack) -> list[Finding]:\n", "def s1_salt_resource_protected(res: Resource, stack: Stack) -> list[Finding]:\n    return []\n"))
    out = tmp_path / "summary.md"
    judged_by_itself = subprocess.run([str(pr / "scripts/pr-check"), "--offline", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert judged_by_itself.returncode == 0, judged_by_itself.stdout  # the bypass, had the PR judged itself
    result = subprocess.run(
        [str(base / "scripts/pr-check"), "--offline", "--program", str(pr), "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 1, result.stdout + result.stderr
    summary = out.read_text()
    assert "stack `prod` FAILED" in summary and "| mandatory | `litellm-s1-" in summary, summary


def test_the_program_option_needs_a_program(tmp_path):
    result = subprocess.run([str(Path(__file__).parents[1] / "scripts/pr-check"), "--offline", "--program", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no stack file Pulumi.prod.yaml" in result.stderr

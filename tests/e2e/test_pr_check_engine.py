"""The pull-request check in preview mode, end to end: `pulumi preview` with the policy pack
through the real engine and providers, read from the engine's event stream (ops/pr_check.py),
on new stacks of both kinds: a clean change passes, an unprotected salt key fails naming the S1
policy, a budget-breaking config fails naming D2. The prod previews point at a closed loopback
port: a preview must not need the cluster."""

from __future__ import annotations

import pytest

from devtools.pulumi_project import Project, closed_kubeconfig, require_plugins
from ops import pr_check

pytestmark = pytest.mark.engine

SECRETS = {"dev": ["mockApiKey"], "prod": ["openaiApiKey", "anthropicApiKey"]}


def new_stack(tmp_path, stack: str, **config) -> Project:
    require_plugins("random", "docker" if stack == "dev" else "kubernetes")
    project = Project.copy(tmp_path, stack, f"Pulumi.{stack}.yaml", **config)
    project.env["KUBECONFIG"] = str(closed_kubeconfig(tmp_path))
    for key in SECRETS[stack]:
        project.set_secret(key, "test-key-value-0123456789")
    return project


def check(project: Project, monkeypatch) -> tuple[pr_check.Summary, str]:
    for key, value in project.env.items():
        monkeypatch.setenv(key, value)
    summary = pr_check.preview(project.stack, project.dir)
    return summary, pr_check.markdown(summary)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_clean_change_passes_with_a_summary_of_changes(tmp_path, monkeypatch, stack):
    summary, text = check(new_stack(tmp_path, stack), monkeypatch)
    assert summary.passed, text
    assert summary.errors == [] and summary.mandatory == [], text
    assert summary.changes["create"] >= 15 and f"stack `{stack}` passed" in text, text
    assert "test-key-value-0123456789" not in text


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_unprotected_salt_key_fails_naming_s1(tmp_path, monkeypatch, stack):
    project = new_stack(tmp_path, stack)
    with project.edited("components/secrets.py", ("protect=protect", "protect=False")):
        summary, text = check(project, monkeypatch)
    assert not summary.passed
    assert [v.policy for v in summary.mandatory] == ["litellm-s1-salt-resource-protected"], text


def test_a_budget_breaking_config_fails_naming_d2(tmp_path, monkeypatch):
    project = new_stack(tmp_path, "prod", postgresMaxConnections=100)  # the plan needs 530
    summary, text = check(project, monkeypatch)
    assert not summary.passed
    assert any("[D2] litellm-gateway:postgresMaxConnections = 100" in e for e in summary.errors), text
    assert summary.steps == []  # refused before any resource


def test_a_config_that_holds_the_autoscaler_maximum_but_not_a_rollout_fails_naming_d2(tmp_path, monkeypatch):
    """250 = 10 x 4 x 6 + 10 holds prod's 6 pods; a rolling update holds 2 x 6 + 1 = 13 pods' pools."""
    project = new_stack(tmp_path, "prod", postgresMaxConnections=250)
    summary, text = check(project, monkeypatch)
    assert not summary.passed
    (error,) = [e for e in summary.errors if "[D2] litellm-gateway:postgresMaxConnections = 250: at least 530" in e]
    assert "instances in an update: 13 = 2 x 6 + 1 (RollingUpdate, maxSurge 1" in error, text
    assert summary.steps == []


def test_a_postgres_sized_for_the_autoscaler_maximum_only_fails_the_pack_naming_d2(tmp_path, monkeypatch):
    """The program edited to give Postgres the budget without rollouts (250): the pack reads the
    proxy Deployment's maxSurge 1 and the autoscaler's 6, and needs 10 x 4 x 13 + 10 = 530."""
    project = new_stack(tmp_path, "prod")
    with project.edited("components/platforms/common.py", ('f"max_connections={plan.postgres_max_connections}"', '"max_connections=250"')):
        summary, text = check(project, monkeypatch)
    assert not summary.passed
    assert [v.policy for v in summary.mandatory] == ["litellm-d2-connection-budget"], text
    (d2,) = summary.mandatory
    assert "found max_connections 250" in d2.message and "× 4 workers × 13 instances (rollout 2R + S = 2 × 6 + 1" in d2.message, text
    assert "required max_connections ≥ 530" in d2.message, text

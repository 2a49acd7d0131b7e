"""`python -m ops render`: one file per Kubernetes object, Secrets with placeholders only, and no
way to put a real secret into a rendered file."""

import subprocess
import sys

from conftest import ROOT

from ops import render


def ops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ops", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_render_writes_every_object_and_secrets_hold_placeholders(tmp_path):
    result = ops("render", "--stack", "prod", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in tmp_path.glob("*.yaml"))
    assert len(files) == 17 and files[0] == "01-namespace-litellm.yaml"
    assert "persistentvolumeclaim-lg-prod-postgres-data" in " ".join(files)  # D6: the stack's own claim
    secrets = [p for p in tmp_path.glob("*-secret-*.yaml")]
    assert len(secrets) == 3 and "PLACEHOLDERS" in result.stdout
    for secret in secrets:
        text = secret.read_text()
        assert text.startswith("# NOT A DEPLOYABLE SECRET") and "rendered-placeholder-" in text


def test_s4_render_refuses_a_secret_value_on_the_command_line(tmp_path):
    result = ops("render", "--stack", "prod", "--out", str(tmp_path), "--set", "openaiApiKey=sk-real-looking-value")
    assert result.returncode == 2 and "litellm-gateway:openaiApiKey is a secret" in result.stderr
    assert "sk-real-looking-value" not in result.stderr + result.stdout and list(tmp_path.iterdir()) == []


def test_render_names_are_stable_and_follow_content_for_configmaps():
    first, again = render.render("prod"), render.render("prod")
    assert [m.name for m in first] == [m.name for m in again]
    scaled = {m.kind + m.file.split("-", 1)[1].rsplit("-", 1)[0]: m.name for m in render.render("prod", {"dbPoolPerWorker": 5})}
    before = {m.kind + m.file.split("-", 1)[1].rsplit("-", 1)[0]: m.name for m in first}
    config_key = next(k for k in before if k.startswith("ConfigMap"))
    deployment_key = next(k for k in before if k.startswith("Deployment") and "proxy" in k)
    assert scaled[config_key] != before[config_key]  # new content, new ConfigMap: the pods roll
    assert scaled[deployment_key] == before[deployment_key]  # the Deployment is updated in place

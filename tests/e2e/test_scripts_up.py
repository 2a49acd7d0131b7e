"""The README's first command, `scripts/up`, as a newcomer runs it: preview and up with the pack
through the real engine, `ops check` and `ops probe` passing, and how to reach the gateway; with
a provider plugin missing, it deploys nothing and names the command that builds it.

Runs on a copy of the checkout with a stack of its own (`upcheck-<random>`: the dev stack's
config on free loopback ports), its own state folder and a throwaway passphrase, so a dev
deployment on this machine is never touched. Setup is skipped: scripts/test has done it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest
import yaml
from e2e.dockerutil import docker, free_port, names_with_prefix

from devtools.pulumi_project import ROOT, copy_checkout, require_plugins

pytestmark = [pytest.mark.engine, pytest.mark.docker]

CHECKOUT = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "components", "policies", "ops", "devtools", "scripts", "toolchain")


@pytest.fixture
def upcheck(tmp_path: Path):
    stack = f"upcheck-{secrets.token_hex(2)}"
    project = copy_checkout(tmp_path / "checkout", CHECKOUT)
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config["config"]["litellm-gateway:docker"] = {"proxyPort": free_port(), "healthPort": free_port()}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (project / f"policies/config/{stack}.json").write_text((ROOT / "policies/config/dev.json").read_text())
    (tmp_path / "state").mkdir()
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "throwaway-" + secrets.token_hex(8),
    }
    env.pop("PULUMI_ACCESS_TOKEN", None)
    up = [str(project / "scripts/up"), "--skip-setup", "--stack", stack]
    yield stack, project, env, up
    teardown = "pulumi_env && pulumi state unprotect --all --yes --stack {0} && pulumi destroy --yes --skip-preview --stack {0}"
    subprocess.run(
        ["bash", "-c", f"source scripts/lib.sh && {teardown.format(stack)}"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    for name in names_with_prefix("volume", f"lg-{stack}-"):
        docker("volume", "rm", "-f", name, check=False)


def test_scripts_up_deploys_with_the_engine_and_shows_the_gateway_working(upcheck) -> None:
    require_plugins("random", "docker")
    stack, _, env, up = upcheck
    result = subprocess.run(up, env=env, capture_output=True, text=True, timeout=1500)
    out = result.stdout + result.stderr
    print(out[-4000:])
    assert result.returncode == 0, out[-4000:]
    for expected in (
        f"pulumi preview --stack {stack} (with the policy pack): done",
        f"pulumi up --stack {stack} (with the policy pack): done",
        f"check of stack {stack}: all ok",
        f"probe of stack {stack}: all ok",
        f"stack {stack} is up",
    ):
        assert expected in out, expected
    assert names_with_prefix("ps", f"lg-{stack}-proxy") == [f"lg-{stack}-proxy", f"lg-{stack}-proxy-migrate"]
    again = subprocess.run(up, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0 and "unchanged" in again.stdout, again.stdout[-3000:]  # idempotent


def test_scripts_up_without_a_plugin_deploys_nothing_and_names_the_build(upcheck, tmp_path: Path) -> None:
    stack, _, env, up = upcheck
    env = {**env, "PULUMI_HOME": str(tmp_path / "empty-pulumi-home")}  # no plugin installed there
    result = subprocess.run(up, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "missing Pulumi provider plugins: random docker" in result.stderr
    assert "scripts/toolchain.sh random" in result.stderr and "scripts/toolchain.sh docker" in result.stderr
    assert names_with_prefix("ps", f"lg-{stack}-") == []

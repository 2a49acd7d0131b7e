"""The README's first command, `scripts/up`, on a machine without the provider plugins: it says
which plugins are missing, falls back to the docker CLI for the dev stack, and ends with
`ops check` and `ops probe` passing; `--require-engine` refuses and deploys nothing.

Runs on a copy of the checkout with a stack of its own (`upcheck-<random>`: the dev stack's
config on free loopback ports), its own state folder and a throwaway passphrase, so a dev
deployment on this machine is never touched. Setup is skipped: scripts/test has done it.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from devtools import docker_apply
from devtools.pulumi_project import ROOT, copy_checkout

pytestmark = pytest.mark.docker

CHECKOUT = ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "components", "policies", "ops", "devtools", "scripts")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scripts_up_falls_back_to_the_docker_cli_and_shows_the_gateway_working(tmp_path: Path) -> None:
    stack = f"upcheck-{secrets.token_hex(2)}"
    project = copy_checkout(tmp_path / "checkout", CHECKOUT)
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    config["config"]["litellm-gateway:docker"] = {"proxyPort": free_port(), "healthPort": free_port()}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (project / f"policies/config/{stack}.json").write_text((ROOT / "policies/config/dev.json").read_text())  # the pack's dev settings
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "throwaway-" + secrets.token_hex(8),
    }
    env.pop("PULUMI_ACCESS_TOKEN", None)
    plugins = subprocess.run(
        ["bash", "-c", f"source {project}/scripts/lib.sh && pulumi_env && require_providers {stack}"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert plugins.returncode == 3, (
        "the provider plugins are installed: this test covers the fallback without them; the engine path's "
        "tests (tests/e2e/test_dev_stack.py, commit ef337ae) belong here now"
    )
    up = [str(project / "scripts/up"), "--skip-setup", "--stack", stack]
    ours = f"name=lg-{stack}-"  # whoever created them: the fallback's label or a real `pulumi up`
    try:
        refused = subprocess.run([*up, "--require-engine"], env=env, capture_output=True, text=True, timeout=300)
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert "missing Pulumi provider plugins" in refused.stderr and "Nothing was deployed" in refused.stderr
        assert not docker_apply.docker("ps", "-aq", "--filter", ours).split()

        result = subprocess.run(up, env=env, capture_output=True, text=True, timeout=900)
        out = result.stdout + result.stderr
        print(out[-4000:])
        assert result.returncode == 0, out[-4000:]
        assert "falling back to the docker CLI" in out
        assert f"policy check: stack `{stack}` passed" in out and "Policy violations: 0 mandatory" in out, out[-4000:]
        assert f"check of stack {stack}: all ok" in out and f"probe of stack {stack}: all ok" in out, out[-4000:]
        assert "done in" in result.stdout.splitlines()[-1] and "docker CLI fallback" in result.stdout.splitlines()[-1]
    finally:
        docker_apply.down(stack, progress=lambda _: None)

"""`pulumi preview` with the real engine and the policy pack, on the dev and prod stacks."""

import pytest
from devtools.pulumi_project import Project, closed_kubeconfig

pytestmark = pytest.mark.engine

BROKEN_PROGRAM = '''
"""Another team's LiteLLM on Docker, written by hand and breaking several rules."""
import pulumi_docker as docker
docker.Container("team-litellm", image="ghcr.io/berriai/litellm:latest",
    command=["--port", "4000", "--num_workers", "1"],
    envs=["LITELLM_LOG=INFO", "LITELLM_MASTER_KEY=sk-plaintext-in-the-program"],
    ports=[docker.ContainerPortArgs(internal=4000, external=4000)],
    healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "curl", "-f", "http://127.0.0.1:4000/health"], timeout="30s"))
'''


@pytest.fixture
def kubeconfig(tmp_path):
    return closed_kubeconfig(tmp_path)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_preview_with_policy_pack_passes(tmp_path, kubeconfig, stack):
    project = Project.copy(tmp_path, stack, f"Pulumi.{stack}.yaml")
    project.env["KUBECONFIG"] = str(kubeconfig)
    for key in {"dev": ["mockApiKey"], "prod": ["openaiApiKey", "anthropicApiKey"]}[stack]:
        project.set_secret(key, "test-key-value")
    result = project.run("preview", *project.with_pack(stack))
    assert "litellm-gateway-hardening" in result.stdout + result.stderr
    assert "mandatory" not in result.stdout.lower().split("policy violations")[-1] or "error" not in result.stderr.lower()


def test_broken_stack_config_is_refused_by_the_program_naming_the_rule(tmp_path):
    project = Project.copy(tmp_path, "dev", "Pulumi.dev.yaml", workers=3)
    project.set_secret("mockApiKey", "test-key-value")
    result = project.run("preview", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "[P1] litellm-gateway:workers = 3: between 1 and the 2 vCPU of class small" in output
    assert "Traceback" not in output
    assert "lg-dev" not in output.split("[P1]")[0].split("+ ")[-1]  # nothing was registered before the error


def test_hand_written_broken_program_is_refused_by_the_pack(tmp_path):
    project = Project.copy(tmp_path, "dev", "Pulumi.dev.yaml")
    (project.dir / "__main__.py").write_text(BROKEN_PROGRAM)
    result = project.run("preview", *project.with_pack("prod"), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for rule in ("N2", "P6", "H2", "H3"):
        assert rule in output, f"{rule} missing from:\n{output[-3000:]}"
    assert "sk-plaintext-in-the-program" not in output

"""The program on the real Pulumi engine (CLI v3.259.0 from scripts/toolchain.sh): stack config
is validated before any resource is registered, and secrets stay encrypted. The deployments
themselves are in test_dev_stack.py (dev) and tests/kube (prod).
"""

import pytest

from devtools.pulumi_project import Project

pytestmark = pytest.mark.engine

SECRET = "mock-key-that-must-stay-encrypted"


def preview_output(project: Project) -> tuple[int, str]:
    result = project.run("preview", check=False, timeout=300)
    return result.returncode, result.stdout + result.stderr


def test_p1_bad_stack_config_refused_by_the_real_engine_before_any_resource(tmp_path):
    project = Project.copy(tmp_path, "dev", "Pulumi.dev.yaml", workers=3)
    project.set_secret("mockApiKey", SECRET)
    code, output = preview_output(project)
    assert code != 0
    assert "[P1] litellm-gateway:workers = 3: between 1 and the 2 vCPU of class small" in output
    assert "Traceback" not in output
    assert "+ 1 to create" in output  # only the stack itself: no resource was registered
    assert "lg-dev" not in output


def test_s6_missing_key_secret_named_by_the_real_engine(tmp_path):
    project = Project.copy(tmp_path, "prod", "Pulumi.prod.yaml")
    project.set_secret("openaiApiKey", SECRET)
    code, output = preview_output(project)
    assert code != 0
    assert "[S6] litellm-gateway:models[1].apiKeySecret = 'anthropicApiKey'" in output
    assert SECRET not in output and "Traceback" not in output


def test_s4_secret_config_encrypted_in_the_stack_file(tmp_path):
    project = Project.copy(tmp_path, "dev", "Pulumi.dev.yaml")
    project.set_secret("mockApiKey", SECRET)
    stack_file = (project.dir / "Pulumi.dev.yaml").read_text()
    assert SECRET not in stack_file and "secure: v1:" in stack_file
    assert project.run("config", "get", "mockApiKey").stdout.strip() == SECRET


def test_s4_plaintext_provider_key_refused_by_the_real_engine(tmp_path):
    project = Project.copy(tmp_path, "dev", "Pulumi.dev.yaml")
    project.set_secret("mockApiKey", SECRET)
    project.run("config", "set", "openaiApiKey", "sk-plaintext-0123456789")
    code, output = preview_output(project)
    assert code != 0 and "[S4] litellm-gateway:openaiApiKey = a plaintext value" in output
    assert "sk-plaintext-0123456789" not in output

"""Shared fixtures: the committed stack files as plain config, and a way to vary one key."""

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

# LiteLLM fetches its model cost map from the internet at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parent.parent
NS = "litellm-gateway"


def stack_values(stack: str) -> dict[str, Any]:
    """The `litellm-gateway:*` values of a committed stack file, keys without the namespace."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{NS}:")}


def stack_secrets(stack: str) -> set[str]:
    """The secret keys a stack's models need; tests pretend they were set with --secret."""
    return {m["apiKeySecret"] for m in stack_values(stack)["models"] if m.get("apiKeySecret")}


@pytest.fixture(params=["dev", "prod"])
def stack(request) -> str:
    return request.param

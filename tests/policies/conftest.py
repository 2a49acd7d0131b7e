"""Fixtures for the policy-pack tests: fresh compliant stacks that each test mutates."""

import pytest
from .policy_fixtures import docker_stack, k8s_stack


@pytest.fixture
def k8s():
    """A compliant Kubernetes (prod) LiteLLM deployment: name -> Resource."""
    return k8s_stack()


@pytest.fixture
def docker():
    """A compliant Docker (dev) LiteLLM deployment: name -> Resource."""
    return docker_stack()

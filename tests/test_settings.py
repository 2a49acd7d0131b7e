"""Stack settings: each kind of bad input is refused with the key, the value and what is allowed."""

import copy
import json

import pytest
from conftest import stack_secrets, stack_values

from components.errors import ConfigError
from components.settings import load_settings


def load(stack: str, secrets: set[str] | None = None, **changes):
    values = copy.deepcopy(stack_values(stack))
    values.update(changes)
    return load_settings(values, stack_secrets(stack) if secrets is None else secrets)


def refused(stack: str, pattern: str, secrets: set[str] | None = None, **changes) -> str:
    with pytest.raises(ConfigError, match=pattern) as err:
        load(stack, secrets, **changes)
    return str(err.value)


def test_committed_stacks_are_valid(stack):
    settings = load(stack)
    assert settings.platform == {"dev": "docker", "prod": "kubernetes"}[stack]


def test_prod_stack_is_standard_class_three_replicas_scaling_to_six():
    settings = load("prod")
    assert (settings.machine_class, settings.replicas, settings.max_instances) == ("standard", 3, 6)


def test_unknown_machine_class_lists_allowed_classes():
    refused("prod", r"machineClass = 'huge': 'huge' is not a machine class; allowed: small, standard, large, xlarge", machineClass="huge")


def test_p1_workers_above_vcpu():
    refused("prod", r"\[P1\] litellm-gateway:workers = 5: between 1 and the 4 vCPU of class standard", workers=5)


def test_zero_replicas():
    refused("dev", r"litellm-gateway:replicas = 0: Input should be greater than or equal to 1", replicas=0)


def test_autoscaling_min_above_max():
    refused("prod", r"autoscaling = .*minReplicas 7 is above maxReplicas 6", autoscaling={"minReplicas": 7, "maxReplicas": 6})


def test_d2_pool_that_overflows_postgres():
    message = refused("prod", r"\[D2\] litellm-gateway:postgresMaxConnections = 100: at least", postgresMaxConnections=100)
    assert "pool 10 x 4 workers x 6 instances = 240" in message


def test_d2_pool_override_that_overflows_explicit_max_connections():
    refused("prod", r"\[D2\].*pool 50 x 4 workers x 6 instances = 1200", dbPoolPerWorker=50, postgresMaxConnections=300)


def test_s6_model_naming_a_missing_key_secret():
    refused("prod", r"\[S6\] litellm-gateway:models\[1\]\.apiKeySecret = 'anthropicApiKey': set it first: pulumi config set --secret anthropicApiKey", secrets={"openaiApiKey"})


@pytest.mark.parametrize("ref", ["litellm-gateway/litellm:latest", "litellm-gateway/litellm", "postgres:16", "redis:stable"])
def test_n2_unpinned_image(ref):
    refused("prod", r"\[N2\] litellm-gateway:images\.proxy = .*is not pinned", images={**stack_values("prod")["images"], "proxy": ref})


@pytest.mark.parametrize("version", ["1.82.7", "1.82.8"])
def test_n2_compromised_litellm_version(version):
    images = {**stack_values("prod")["images"], "proxy": f"ghcr.io/berriai/litellm:{version}"}
    refused("prod", r"\[N2\].*compromised LiteLLM release", images=images)


def test_n2_digest_is_pinned():
    digest = "ghcr.io/berriai/litellm@sha256:" + "a" * 64
    assert load("prod", images={**stack_values("prod")["images"], "proxy": digest}).images.proxy == digest


def test_n4_prod_needs_two_replicas():
    refused("prod", r"\[N4\] litellm-gateway:replicas = 1: at least 2 proxy replicas", replicas=1, autoscaling=None)


def test_f5_fallback_must_name_another_model():
    models = copy.deepcopy(stack_values("prod")["models"])
    models[0]["fallbacks"] = ["nope"]
    refused("prod", r"\[F5\] litellm-gateway:models\[0\]\.fallbacks = 'nope': another model's name", models=models)


def test_malformed_model_list():
    refused("prod", r"models\[0\]\.model = 'gpt4': String should match pattern", models=[{"name": "x", "model": "gpt4"}])
    refused("prod", r"models = missing|models = \[\]", models=[])


def test_s4_plaintext_value_for_an_unknown_key_is_not_echoed():
    values = {**stack_values("prod"), "openaiApiKey": "sk-live-123456"}
    with pytest.raises(ConfigError) as err:
        load_settings(values, {"anthropicApiKey"})
    assert "[S4] litellm-gateway:openaiApiKey = a plaintext value" in str(err.value)
    assert "sk-live-123456" not in str(err.value)


def test_typo_in_nested_key_is_named():
    refused("prod", r"kubernetes\.namespce = an unknown key", kubernetes={"namespce": "x"})


def test_docker_runs_one_proxy():
    refused("dev", r"litellm-gateway:replicas = 2: 1 without autoscaling on platform docker", replicas=2)


def test_json_text_from_pulumi_config_env_is_decoded():
    values = {k: v for k, v in stack_values("prod").items()}

    values["autoscaling"] = json.dumps(values["autoscaling"])
    values["replicas"] = "3"
    assert load_settings(values, stack_secrets("prod")).max_instances == 6


def test_every_problem_is_reported_at_once():
    message = refused("prod", r"3 problem", machineClass="huge", replicas=0, platform="nomad")
    assert "platform = 'nomad'" in message and "replicas = 0" in message


def test_n2_dev_stack_uses_the_tags_the_image_script_builds():
    """images/versions.env is what scripts/images.sh tags; the dev stack must deploy exactly that."""
    from conftest import ROOT

    versions = dict(
        line.split("=", 1) for line in (ROOT / "images/versions.env").read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    images = stack_values("dev")["images"]
    assert images == {
        "proxy": versions["LITELLM_IMAGE"],
        "postgres": versions["POSTGRES_IMAGE"],
        "redis": versions["REDIS_IMAGE"],
        "mockUpstream": versions["MOCK_UPSTREAM_IMAGE"],
    }

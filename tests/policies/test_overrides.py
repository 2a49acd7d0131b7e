"""P10 (litellm-p10-settings-in-sight): the env vars the rules judge are not set behind the
container's env, by config.yaml's environment_variables or by a shell assignment. Whole
messages and the resource each finding is filed against: what an operator reads."""

import yaml

from litellm_policies import UNKNOWN

from .policy_fixtures import container, pod, reported, run, set_arg, update_config

PROXY_URN = "urn:pulumi:prod::litellm-gateway::kubernetes:apps/v1:Deployment::litellm-proxy"
DOCKER_URN = "urn:pulumi:prod::litellm-gateway::docker:index/container:Container::litellm-proxy"
POLICY = "(policy litellm-p10-settings-in-sight)"


def in_sight(resources) -> list[tuple[str, str | None]]:
    """This rule's findings (P10 has other policies: config provided, config valid)."""
    return [(m, u) for m, u in reported(run(resources), "P10") if "environment_variables" in m or "shell" in m]


def test_p10_judged_variables_in_the_configs_environment_variables_are_named_sorted(k8s):
    update_config(k8s["config"], lambda d: d.update(environment_variables={"LITELLM_LOG": "DEBUG", "JSON_LOGS": "false", "OTEL_X": "1"}))
    assert in_sight(k8s) == [(
        "[P10] Deployment 'litellm-proxy' container 'proxy': found environment_variables in ConfigMap 'litellm-config' key "
        "'config.yaml' setting JSON_LOGS, LITELLM_LOG, which LiteLLM applies after start-up, out of the env the rules "
        "judge; required these variables only in the container's env. Fix: move JSON_LOGS, LITELLM_LOG from the "
        "config's environment_variables to the container's env",
        PROXY_URN,
    )]  # fmt: skip


def test_p10_variables_no_rule_reads_may_stay_in_the_config(k8s):
    update_config(k8s["config"], lambda d: d.update(environment_variables={"OTEL_SERVICE_NAME": "gateway"}))
    assert in_sight(k8s) == []


def test_p10_environment_variables_that_are_not_a_mapping_set_nothing(k8s):
    update_config(k8s["config"], lambda d: d.update(environment_variables=["LITELLM_LOG=DEBUG"]))
    assert in_sight(k8s) == []


def test_p10_a_config_computed_at_apply_defers_its_environment_variables(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert in_sight(k8s) == [(
        f"[P10] deferred: value unknown until apply: environment_variables of ConfigMap 'litellm-config' key 'config.yaml' {POLICY}",
        PROXY_URN,
    )]  # fmt: skip


def test_p10_a_config_that_cannot_be_found_yet_is_deferred(k8s):
    pod(k8s["proxy"])["volumes"] = UNKNOWN
    assert in_sight(k8s) == [(
        f"[P10] deferred: value unknown until apply: the config's environment_variables of Deployment 'litellm-proxy' container 'proxy' {POLICY}",
        PROXY_URN,
    )]  # fmt: skip


def test_p10_every_config_a_proxy_may_load_is_judged_after_an_unknown_one(docker):
    """--config unknown: the proxy may load any of its uploads; the first is computed at apply,
    the second sets LITELLM_LOG, and is still reported."""
    props = docker["proxy"].props
    props["command"] = set_arg(props["command"], "--config", UNKNOWN)
    props["uploads"][0]["content"] = UNKNOWN
    props["uploads"].append({"file": "/app/b.yaml", "content": yaml.safe_dump({"model_list": [], "environment_variables": {"LITELLM_LOG": "DEBUG"}})})
    assert in_sight(docker) == [
        (f"[P10] deferred: value unknown until apply: environment_variables of Container 'litellm-proxy' upload '/app/config.yaml' {POLICY}", DOCKER_URN),
        (
            "[P10] Container 'litellm-proxy': found environment_variables in Container 'litellm-proxy' upload '/app/b.yaml' "
            "setting LITELLM_LOG, which LiteLLM applies after start-up, out of the env the rules judge; required these "
            "variables only in the container's env. Fix: move LITELLM_LOG from the config's environment_variables to "
            "the container's env",
            DOCKER_URN,
        ),
    ]  # fmt: skip


def test_p10_shell_assignments_in_the_migration_job_are_named_sorted(k8s):
    """The pack sees a command as words (a script's too), so the script is read back whole."""
    container(k8s["migrate"])["command"] = [
        "/bin/sh", "-c", "LITELLM_LOG=DEBUG; export JSON_LOGS=false; exec python litellm/proxy/prisma_migration.py",
    ]  # fmt: skip
    assert in_sight(k8s) == [(
        "[P10] Job 'litellm-migrate' container 'migrate': found a shell command assigning JSON_LOGS, LITELLM_LOG before "
        "LiteLLM starts; required these variables only in the container's env. Fix: set JSON_LOGS, LITELLM_LOG in the "
        "container's env and run LiteLLM without the shell assignment",
        "urn:pulumi:prod::litellm-gateway::kubernetes:batch/v1:Job::litellm-migrate",
    )]  # fmt: skip


def test_p10_a_shell_assignment_in_a_docker_proxy_is_reported(docker):
    props = docker["proxy"].props
    props["entrypoints"] = ["sh", "-c", "env LITELLM_MODE=DEV litellm " + " ".join(props.pop("command"))]
    assert in_sight(docker) == [(
        "[P10] Container 'litellm-proxy': found a shell command assigning LITELLM_MODE before LiteLLM starts; required "
        "these variables only in the container's env. Fix: set LITELLM_MODE in the container's env and run LiteLLM "
        "without the shell assignment",
        DOCKER_URN,
    )]  # fmt: skip

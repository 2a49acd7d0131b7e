"""Stack settings: each kind of bad input is refused with the key, the value and what is allowed."""

import copy
import json

import pytest
from conftest import ROOT as ROOT_PATH
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
    assert "pool 10 x 4 workers x 13 instances = 520" in message  # a rolling update of 6: 2 x 6 + 1


def test_d2_pool_override_that_overflows_explicit_max_connections():
    refused("prod", r"\[D2\].*pool 50 x 4 workers x 13 instances = 2600", dbPoolPerWorker=50, postgresMaxConnections=300)


def test_d2_max_connections_that_holds_the_autoscaler_maximum_but_not_a_rollout_is_refused():
    """250 = 10 x 4 x 6 + 10 held prod's 6 pods; a rolling update holds 6 new pods, 1 surge and 6
    replaced ones still draining: 10 x 4 x 13 + 10 = 530."""
    message = refused("prod", r"\[D2\] litellm-gateway:postgresMaxConnections = 250: at least 530: ", postgresMaxConnections=250)
    assert "instances in an update: 13 = 2 x 6 + 1 (RollingUpdate, maxSurge 1: " in message
    assert load("prod", postgresMaxConnections=530).plan().postgres_max_connections == 530


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
    digest = "registry.example/mirror/litellm-gateway/litellm@sha256:" + "a" * 64
    assert load("prod", images={**stack_values("prod")["images"], "proxy": digest}).images.proxy == digest


OFFICIAL_REFS = ["ghcr.io/berriai/litellm:v1.106.2-stable", "registry.example/mirror/berriai/litellm@sha256:" + "b" * 64, "berriai/litellm-database:1.106.2"]


@pytest.mark.parametrize("ref", OFFICIAL_REFS)
def test_h1_litellms_own_image_runs_on_kubernetes_with_its_own_layout(ref):
    """Issue 16 part 3: accepted on Kubernetes, where the platform adds what our image would
    (tests/test_official_images.py renders it)."""
    settings = load("prod", images={**stack_values("prod")["images"], "proxy": ref})
    assert settings.proxy_layout.name == "official" and settings.proxy_layout.health_command


@pytest.mark.parametrize("ref", OFFICIAL_REFS)
def test_s4_h1_litellms_own_image_on_docker_is_refused_saying_why(ref):
    """On Docker the secrets are NAME_FILE files only our entry point reads: refused, not run."""
    message = refused("dev", r"\[S4\] litellm-gateway:images\.proxy = .*kubernetes only", images={**stack_values("dev")["images"], "proxy": ref})
    assert "NAME_FILE" in message and "master key" in message and "Traceback" not in message


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


# ------------------------------------------------- behaviour a stack author relies on, key by key


def test_s6_api_key_env_is_the_secret_name_in_screaming_snake_case():
    models = [
        {"name": "a", "model": "openai/a", "apiKeySecret": "openaiApiKey"},
        {"name": "b", "model": "openai/b", "apiKeySecret": "my-team-key"},
        {"name": "c", "model": "openai/c"},
    ]
    settings = load("prod", {"openaiApiKey", "my-team-key"}, models=models)
    assert [m.api_key_env for m in settings.models] == ["OPENAI_API_KEY", "MY_TEAM_KEY", None]


def test_d2_max_instances_is_the_autoscaler_maximum_or_the_replica_count():
    assert load("prod", replicas=3, autoscaling={"minReplicas": 2, "maxReplicas": 9}).max_instances == 9
    assert load("prod", replicas=4, autoscaling=None).max_instances == 4
    assert load("dev").max_instances == 1


def test_autoscaling_target_cpu_defaults_to_70_and_is_bounded():
    assert load("prod").autoscaling.target_cpu_percent == 70
    assert load("prod", autoscaling={"minReplicas": 3, "maxReplicas": 6, "targetCpuPercent": 10}).autoscaling.target_cpu_percent == 10
    assert load("prod", autoscaling={"minReplicas": 3, "maxReplicas": 6, "targetCpuPercent": 100}).autoscaling.target_cpu_percent == 100
    refused("prod", r"targetCpuPercent = 9: Input should be greater than or equal to 10", autoscaling={"minReplicas": 3, "maxReplicas": 6, "targetCpuPercent": 9})
    refused("prod", r"targetCpuPercent = 101: Input should be less than or equal to 100", autoscaling={"minReplicas": 3, "maxReplicas": 6, "targetCpuPercent": 101})
    assert load("prod", autoscaling={"minReplicas": 6, "maxReplicas": 6}).max_instances == 6


def test_p7_longest_model_timeout_sizes_the_drain_chain():
    assert load("dev").plan().request_timeout_seconds == 600  # no per-model timeout: P7's 600 s
    models = copy.deepcopy(stack_values("prod")["models"])
    models[1]["timeout"] = 300  # shorter than 600: the default still rules
    assert load("prod", models=models).plan().request_timeout_seconds == 600
    models[0]["timeout"] = 1200
    assert load("prod", models=models).plan().graceful_shutdown_seconds == 1230
    models[0]["timeout"] = 0
    refused("prod", r"models\[0\]\.timeout = 0: Input should be greater than or equal to 1", models=models)


def test_overrides_reach_the_plan():
    plan = load("prod", workers=2, dbPoolPerWorker=5, postgresMaxConnections=500).plan()
    # 5 x 2 workers x 13 instances (a rolling update of 6: 2 x 6 + 1)
    assert (plan.workers, plan.db_pool_per_worker, plan.db_connections, plan.postgres_max_connections) == (2, 5, 130, 500)


@pytest.mark.parametrize(
    "ref",
    [
        "litellm-gateway/litellm:1.106.2",
        "litellm-gateway/litellm:v1.106.2",
        "ghcr.io/berriai/litellm:v1.106.2-stable",
        "registry.local:5000/litellm-gateway/postgres:15.20",
        "postgres:16.4-alpine3.20",
        "postgres:1.82.7",  # the compromised versions are LiteLLM's only
    ],
)
def test_n2_exact_tags_are_pinned(ref):
    assert load("prod", images={**stack_values("prod")["images"], "postgres": ref}).images.postgres == ref


@pytest.mark.parametrize(
    "ref",
    ["registry.local:5000/litellm", "postgres:16-latest", "postgres:", ":1.2.3", "postgres:1", "redis@sha256:abc", "postgres:main-1.2"],
)
def test_n2_unpinned_references_are_refused(ref):
    refused("prod", rf"\[N2\] litellm-gateway:images\.redis = .*is not pinned: use an exact version tag", images={**stack_values("prod")["images"], "redis": ref})


@pytest.mark.parametrize("tag", ["v1.82.7", "1.82.8-stable", "1.82.7-nightly"])
def test_n2_compromised_litellm_under_any_spelling(tag):
    refused("prod", r"\[N2\] litellm-gateway:images\.proxy = .*compromised LiteLLM release", images={**stack_values("prod")["images"], "proxy": f"ghcr.io/berriai/litellm:{tag}"})


def test_n2_mock_upstream_image_is_pinned_too_and_optional():
    refused("dev", r"\[N2\] litellm-gateway:images\.mockUpstream = .*is not pinned", images={**stack_values("dev")["images"], "mockUpstream": "mock:latest"})
    images = {k: v for k, v in stack_values("prod")["images"].items()}
    assert load("prod", images=images).images.mock_upstream is None


def test_mock_upstream_needs_its_image():
    images = {k: v for k, v in stack_values("dev")["images"].items() if k != "mockUpstream"}
    refused("dev", r"images\.mockUpstream = unset: an image reference when mockUpstream is true", images=images)
    assert load("dev", images=images, mockUpstream=False).mock_upstream is False


@pytest.mark.parametrize(("key", "value", "pattern"), [
    ("proxyPort", 1023, r"docker\.proxyPort = 1023: Input should be greater than or equal to 1024"),
    ("healthPort", 65536, r"docker\.healthPort = 65536: Input should be less than or equal to 65535"),
])  # fmt: skip
def test_n1_docker_ports_are_unprivileged(key, value, pattern):
    refused("dev", pattern, docker={key: value})


def test_docker_ports_default_to_4000_and_4001_and_accept_the_bounds():
    assert (load("dev").docker.proxy_port, load("dev").docker.health_port) == (4000, 4001)
    docker = load("dev", docker={"proxyPort": 1024, "healthPort": 65535}).docker
    assert (docker.proxy_port, docker.health_port) == (1024, 65535)


def test_kubernetes_namespace_and_storage():
    k8s = load("prod", kubernetes={}).kubernetes
    assert (k8s.namespace, k8s.storage_class, k8s.postgres_storage_gib) == ("litellm", None, 20)
    assert load("prod", kubernetes={"namespace": "a" * 63, "postgresStorageGib": 1}).kubernetes.postgres_storage_gib == 1
    refused("prod", r"kubernetes\.namespace = 'Team_A': String should match pattern", kubernetes={"namespace": "Team_A"})
    refused("prod", r"kubernetes\.namespace = .*at most 63 characters", kubernetes={"namespace": "a" * 64})
    refused("prod", r"kubernetes\.postgresStorageGib = 0: Input should be greater than or equal to 1", kubernetes={"postgresStorageGib": 0})


def test_model_names_must_be_unique():
    models = copy.deepcopy(stack_values("prod")["models"])
    models[1]["name"] = models[0]["name"]
    models[0]["fallbacks"] = []
    message = refused("prod", r"models\[0\]\.name = 'gpt-4o': model names must be unique", models=models)
    assert "models[1].name = 'gpt-4o'" in message


def test_f5_a_model_cannot_fall_back_to_itself():
    models = copy.deepcopy(stack_values("prod")["models"])
    models[0]["fallbacks"] = ["gpt-4o"]
    refused("prod", r"\[F5\] litellm-gateway:models\[0\]\.fallbacks = 'gpt-4o': another model's name: gpt-4o, claude-sonnet", models=models)


def test_s6_missing_secrets_tolerated_only_when_not_required():
    values = copy.deepcopy(stack_values("prod"))
    with pytest.raises(ConfigError, match=r"\[S6\]"):
        load_settings(values, set())
    assert load_settings(values, set(), require_secrets=False).machine_class == "standard"


def test_secret_keys_are_accepted_and_drive_slack_alerting():
    values = {**stack_values("prod"), "slackWebhookUrl": "https://hooks.example/x"}
    settings = load_settings(values, stack_secrets("prod") | {"slackWebhookUrl"})
    assert settings.slack_alerting is True
    assert load("prod").slack_alerting is False


def test_docker_refuses_autoscaling_and_kubernetes_counts_the_autoscaler_minimum():
    refused("dev", r"replicas = 1: 1 without autoscaling on platform docker", autoscaling={"minReplicas": 1, "maxReplicas": 2})
    refused("prod", r"\[N4\] litellm-gateway:replicas = 3: at least 2 proxy replicas", autoscaling={"minReplicas": 1, "maxReplicas": 6})
    assert load("prod", replicas=1, autoscaling={"minReplicas": 2, "maxReplicas": 6}).max_instances == 6
    assert load("prod", replicas=2, autoscaling=None).max_instances == 2


def test_defaults_of_the_optional_settings():
    settings = load("prod")
    assert (settings.proxy_server, settings.allow_requests_on_db_unavailable, settings.connect_database, settings.mock_upstream) == (
        "uvicorn", False, True, False,
    )  # fmt: skip
    assert load("dev").connect_database is False
    assert settings.response_cache == "opt-in"


def test_response_cache_is_opt_in_or_always_and_names_both_when_wrong():
    assert load("prod", responseCache="always").response_cache == "always"
    refused("prod", r"litellm-gateway:responseCache = 'sometimes': Input should be 'opt-in' or 'always'", responseCache="sometimes")


def test_json_text_that_is_not_json_is_kept_as_text():
    values = {**stack_values("prod"), "machineClass": "[standard"}
    with pytest.raises(ConfigError, match=r"machineClass = '\[standard': '\[standard' is not a machine class"):
        load_settings(values, stack_secrets("prod"))
    values = {**stack_values("prod"), "models": json.dumps(stack_values("prod")["models"])}
    assert [m.name for m in load_settings(values, stack_secrets("prod")).models] == ["gpt-4o", "claude-sonnet"]


def test_long_bad_values_are_shortened_in_messages():
    with pytest.raises(ConfigError) as err:
        load("prod", replicas="r" * 200, machineClass="x" * 80)
    found = {p.key: p.found for p in err.value.problems}
    assert found["replicas"] == "'" + "r" * 76 + "..."  # 80 characters at most
    assert found["machineClass"] == "'" + "x" * 76 + "..."
    with pytest.raises(ConfigError) as err:
        load("prod", replicas="r" * 78)
    assert [p.found for p in err.value.problems] == ["'" + "r" * 78 + "'"]  # 80 exactly: kept whole


def test_problem_paths_read_like_the_stack_file():
    message = refused("prod", r"models\[0\]\.apiKeySecret = 5: Input should be a valid string", models=[{"name": "x", "model": "a/b", "apiKeySecret": 5}])
    assert "litellm-gateway:models[0].apiKeySecret" in message
    message = refused("prod", r"litellm-gateway:images\.proxy = missing: Field required", images={"postgres": "p:1.0", "redis": "r:1.0"})
    assert "[N2]" not in message


def test_rule_id_is_taken_out_of_the_message_into_the_prefix():
    message = refused("prod", r"\[N2\] litellm-gateway:images\.proxy = 'p:latest': 'p:latest' is not pinned", images={**stack_values("prod")["images"], "proxy": "p:latest"})
    assert "[N2]\n" not in message and not message.rstrip().endswith("[N2]")


# ----------------------------------------------------------------- Pulumi.<stack>.yaml files


def write_stack(tmp_path, text: str):
    path = tmp_path / "Pulumi.test.yaml"
    path.write_text(text)
    return path


def test_stack_file_secure_values_count_as_secrets_and_other_namespaces_are_ignored(tmp_path):
    from components.settings import load_stack_file

    text = (ROOT_PATH / "Pulumi.prod.yaml").read_text()
    text += "  litellm-gateway:openaiApiKey:\n    secure: AAABAx\n  litellm-gateway:anthropicApiKey:\n    secure: AAABAy\n"
    text = text.replace("config:\n", "config:\n  aws:region: eu-west-1\n", 1)  # another namespace, first
    settings = load_stack_file(write_stack(tmp_path, text))
    assert settings.secret_keys == frozenset({"openaiApiKey", "anthropicApiKey"})
    with pytest.raises(ConfigError, match=r"\[S6\]"):
        load_stack_file(write_stack(tmp_path, (ROOT_PATH / "Pulumi.prod.yaml").read_text()))
    assert load_stack_file(write_stack(tmp_path, (ROOT_PATH / "Pulumi.prod.yaml").read_text()), require_secrets=False).max_instances == 6


@pytest.mark.parametrize(("text", "allowed"), [
    ("", "a YAML mapping with a `config:` section"),
    ("- a list\n", "a YAML mapping with a `config:` section"),
    ("config: 3\n", "a YAML mapping with a `config:` section"),
    ("config: [unclosed\n", "a readable YAML stack file"),
])  # fmt: skip
def test_stack_file_that_is_not_a_stack_file(tmp_path, text, allowed):
    from components.settings import load_stack_file

    path = write_stack(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_stack_file(path)
    (problem,) = err.value.problems
    assert (problem.key, problem.found) == ("(file)", str(path)) and problem.allowed.startswith(allowed)


def test_missing_stack_file_is_a_config_error(tmp_path):
    from components.settings import load_stack_file

    with pytest.raises(ConfigError, match=r"\(file\) = .*missing\.yaml: a readable YAML stack file"):
        load_stack_file(tmp_path / "missing.yaml")


def test_plaintext_unknown_key_message_lists_every_setting():
    values = {**stack_values("prod"), "secretKeys": "x"}
    with pytest.raises(ConfigError) as err:
        load_settings(values, stack_secrets("prod"))
    (problem,) = err.value.problems
    assert (problem.key, problem.found, problem.rule) == ("secretKeys", "a plaintext value", "S4")
    assert problem.allowed == (
        "not a setting (settings: admissionTargetSeconds, allowRequestsOnDbUnavailable, autoscaling, connectDatabase,"
        " dbPoolPerWorker, docker,"
        " images, ingress, kubernetes, loadBalancer, machineClass, mockUpstream, models, platform, postgres,"
        " postgresMaxConnections, proxyServer, redis, replicas, responseCache, scheduling, workers); a secret must be set with --secret"
    )


def test_unknown_key_and_rule_suffix_messages_in_full():
    with pytest.raises(ConfigError) as err:
        load("prod", kubernetes={"namespce": "x"})
    assert [str(p) for p in err.value.problems] == [
        "litellm-gateway:kubernetes.namespce = an unknown key: remove it or fix its spelling (see README's config reference)"
    ]
    with pytest.raises(ConfigError) as err:
        load("prod", images={**stack_values("prod")["images"], "proxy": "p:latest"})
    (problem,) = err.value.problems
    assert problem.allowed == "'p:latest' is not pinned: use an exact version tag (name:1.2.3) or a digest (@sha256:...)"
    assert problem.rule == "N2"


def test_found_values_are_json_for_structures_and_cut_above_80_characters():
    with pytest.raises(ConfigError) as err:
        load("prod", machineClass={"a": 1})
    assert err.value.problems[0].found == '{"a": 1}'
    with pytest.raises(ConfigError) as err:
        load("prod", replicas="r" * 79)  # repr: 81 characters
    assert err.value.problems[0].found == "'" + "r" * 76 + "..."


def test_n4_message_in_full():
    with pytest.raises(ConfigError) as err:
        load("prod", replicas=1, autoscaling=None)
    assert [str(p) for p in err.value.problems] == [
        "[N4] litellm-gateway:replicas = 1: at least 2 proxy replicas (or autoscaling.minReplicas >= 2) on kubernetes"
    ]


def test_cross_problems_requires_secrets_unless_told_otherwise():
    settings = load_settings(copy.deepcopy(stack_values("prod")), set(), require_secrets=False)
    assert [p.rule for p in settings.cross_problems()] == ["S6", "S6"]
    assert settings.cross_problems(require_secrets=False) == []

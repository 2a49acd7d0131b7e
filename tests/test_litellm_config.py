"""Rendered LiteLLM config, command line and environment: one assertion per rule ID, every key
checked against the pinned LiteLLM release, and LiteLLM's own validator run on each stack (P10)."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import stack_secrets, stack_values

from components import hardening as h
from components import litellm_config as lc
from components.errors import ConfigError
from components.settings import load_settings


def rendered(stack: str, secrets: set[str] | None = None):
    settings = load_settings(stack_values(stack), stack_secrets(stack) if secrets is None else secrets)
    plan = settings.plan()
    return settings, plan, lc.render_config(settings, plan)


@pytest.fixture  # per test, not per module: rendering is cheap, and mutation testing sees which test reads what
def prod():
    return rendered("prod", {"openaiApiKey", "anthropicApiKey", "slackWebhookUrl"})


def test_d1_pool_per_worker(prod):
    assert prod[2]["general_settings"]["database_connection_pool_limit"] == 10


def test_d3_batch_writes(prod):
    assert prod[2]["general_settings"]["proxy_batch_write_at"] == 60


def test_d4_error_logs_off(prod):
    assert prod[2]["general_settings"]["disable_error_logs"] is True


def test_d5_proxy_never_migrates(prod):
    env = lc.proxy_env(prod[1], redis_host="r")
    assert env["DISABLE_SCHEMA_UPDATE"] == "true" and env["USE_PRISMA_MIGRATE"] == "true"


def test_d7_db_unavailable_is_a_stack_choice():
    assert rendered("prod")[2]["general_settings"]["allow_requests_on_db_unavailable"] is False
    values = {**stack_values("prod"), "allowRequestsOnDbUnavailable": True}
    settings = load_settings(values, stack_secrets("prod"))
    assert lc.render_config(settings, settings.plan())["general_settings"]["allow_requests_on_db_unavailable"] is True


def test_f1_f2_routing_and_circuit_breaker(prod):
    router = prod[2]["router_settings"]
    assert (router["routing_strategy"], router["allowed_fails"], router["cooldown_time"]) == ("simple-shuffle", 3, 30)


def test_f3_permanent_errors_never_retried(prod):
    policy = prod[2]["router_settings"]["retry_policy"]
    assert policy["AuthenticationErrorRetries"] == 0 and policy["ContentPolicyViolationErrorRetries"] == 0
    transient = ("TimeoutErrorRetries", "RateLimitErrorRetries", "InternalServerErrorRetries", "ServiceUnavailableErrorRetries")
    assert [policy[k] for k in transient] == [3, 3, 3, 3]
    assert prod[2]["router_settings"]["num_retries"] == 3  # 502/504: no field of their own in the policy


def test_f4_allowed_fails_policy(prod):
    assert prod[2]["router_settings"]["allowed_fails_policy"] == {
        "BadRequestErrorAllowedFails": 1000,
        "AuthenticationErrorAllowedFails": 10,
        "TimeoutErrorAllowedFails": 12,
        "RateLimitErrorAllowedFails": 10000,
        "ContentPolicyViolationErrorAllowedFails": 15,
        "InternalServerErrorAllowedFails": 20,
    }


def test_f5_fallbacks_from_stack_config(prod):
    assert prod[2]["router_settings"]["fallbacks"] == [{"gpt-4o": ["claude-sonnet"]}]


def test_f6_admission_control_per_worker_sheds_at_once(prod):
    # the default 30 s target: 80 requests a second per worker (12.5 ms each) x 30 s / 2 (p99 = 2 x mean)
    general = prod[2]["general_settings"]
    assert general["max_in_flight_requests_per_worker"] == 1200
    assert general["max_queued_requests_per_worker"] == 0


def test_f6_the_cap_follows_the_stacks_target_latency():
    settings = load_settings({**stack_values("prod"), "admissionTargetSeconds": 1}, stack_secrets("prod"))
    general = lc.render_config(settings, settings.plan())["general_settings"]
    assert general["max_in_flight_requests_per_worker"] == 40  # 80 a second x 1 s / 2


def test_f6_a_bad_target_names_the_key_the_value_and_the_rule():
    with pytest.raises(ConfigError) as err:
        load_settings({**stack_values("prod"), "admissionTargetSeconds": 0}, stack_secrets("prod")).plan()
    assert "[F6] litellm-gateway:admissionTargetSeconds = 0: between 0.1 and the request timeout (600 s, P7)" in str(err.value)


def test_p6_production_mode_and_quiet_logs(prod):
    env = lc.proxy_env(prod[1], redis_host="r")
    assert (env["LITELLM_MODE"], env["LITELLM_LOG"], env["JSON_LOGS"]) == ("PRODUCTION", "ERROR", "true")
    assert prod[2]["litellm_settings"]["set_verbose"] is False and prod[2]["litellm_settings"]["json_logs"] is True


def test_p7_request_timeout_and_per_model_override(prod):
    assert prod[2]["litellm_settings"]["request_timeout"] == 600
    claude = next(m for m in prod[2]["model_list"] if m["model_name"] == "claude-sonnet")
    assert claude["litellm_params"]["timeout"] == 900
    assert prod[1].request_timeout_seconds == 900  # the drain chain covers the longest model


def test_r1_redis_by_host_port_password_never_url(prod):
    text = yaml.safe_dump(prod[2])
    assert "redis_url" not in text and "url" not in prod[2]["litellm_settings"]["cache_params"]
    assert prod[2]["router_settings"]["redis_password"] == "os.environ/REDIS_PASSWORD"


def test_r2_redis_client_pool_per_worker(prod):
    assert prod[2]["litellm_settings"]["cache_params"]["max_connections"] == 50  # R2: 50 per worker (seed 000)


def test_o1_o3_prometheus_with_separate_metrics_process(prod):
    settings, plan, config = prod
    assert "prometheus" in config["litellm_settings"]["callbacks"]
    args = lc.proxy_args(settings, plan)
    assert args[args.index("--prometheus_metrics_port") + 1] == "9090"  # README, O3
    assert lc.proxy_env(plan, redis_host="r")["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus_multiproc"


def test_o2_slack_only_with_a_webhook_and_threshold_in_seconds(prod):
    assert prod[2]["general_settings"]["alerting"] == ["slack"]
    # README: LiteLLM reads seconds; 300 s alerts before P7's 600 s timeout (the seeds' 1000 would not)
    assert prod[2]["general_settings"]["alerting_threshold"] == 300 < prod[2]["litellm_settings"]["request_timeout"]
    assert "alerting" not in rendered("prod")[2]["general_settings"]


def test_p1_p3_p8_command_line(prod):
    args = lc.proxy_args(prod[0], prod[1])
    assert args[args.index("--num_workers") + 1] == "4"
    assert args[args.index("--max_requests_before_restart") + 1] == "10000"
    jitter = int(args[args.index("--max_requests_before_restart_jitter") + 1])
    assert 0 < jitter < 10000  # P8: workers restart apart, and still within one more limit's worth
    assert lc.proxy_env(prod[1], redis_host="r")["MAX_REQUESTS_BEFORE_RESTART"] == "10000"


def test_p8_no_recycling_with_one_worker():
    settings = load_settings({**stack_values("dev"), "workers": 1}, stack_secrets("dev"))
    assert "--max_requests_before_restart" not in lc.proxy_args(settings, settings.plan())


def test_p2_gunicorn_when_chosen():
    settings = load_settings({**stack_values("prod"), "proxyServer": "gunicorn"}, stack_secrets("prod"))
    assert "--run_gunicorn" in lc.proxy_args(settings, settings.plan())
    assert "--run_gunicorn" not in lc.proxy_args(*rendered("prod")[:2])


def test_h1_p4_p9_health_app_and_shutdown_env(prod):
    env = lc.proxy_env(prod[1], redis_host="r")
    assert (env["SEPARATE_HEALTH_APP"], env["SEPARATE_HEALTH_PORT"]) == ("1", "4001")
    assert int(env["SUPERVISORD_STOPWAITSECS"]) >= 3600
    assert prod[1].request_timeout_seconds <= int(env["GRACEFUL_SHUTDOWN_TIMEOUT"]) < prod[1].stop_grace_seconds
    assert prod[2]["general_settings"]["enable_drain_endpoint"] is True


def test_no_internet_fetch_of_the_cost_map(prod):
    assert lc.proxy_env(prod[1], redis_host="r")["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert lc.migration_env(prod[0], postgres_host="p")["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"


def test_s4_secrets_only_by_reference(prod):
    for model in prod[2]["model_list"]:
        assert model["litellm_params"]["api_key"].startswith("os.environ/")
    assert prod[2]["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"
    names = lc.secret_env_names(prod[0])
    assert {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "DATABASE_URL", "REDIS_PASSWORD", "OPENAI_API_KEY"} <= set(names)
    assert not set(names) & set(lc.proxy_env(prod[1], redis_host="r"))


def _litellm_sources() -> str:
    import litellm

    root = Path(litellm.__file__).parent
    return "\n".join(p.read_text(errors="replace") for p in (root / "proxy").rglob("*.py"))


def test_every_rendered_key_is_read_by_the_pinned_litellm(prod):
    """--validate_config ignores unknown general_settings keys, so look each up in 1.106.2:
    general_settings keys in the proxy's sources, litellm_settings keys as module attributes,
    router_settings keys as Router parameters, cache_params as Cache or RedisCache parameters."""
    import litellm
    from litellm.caching.caching import Cache
    from litellm.caching.redis_cache import RedisCache
    from litellm.router import Router

    config = prod[2]
    sources = _litellm_sources()
    unread = [k for k in config["general_settings"] if f'"{k}"' not in sources and f"'{k}'" not in sources]
    assert unread == []
    assert [k for k in config["litellm_settings"] if k != "cache_params" and not hasattr(litellm, k)] == []
    assert set(config["router_settings"]) - set(inspect.signature(Router.__init__).parameters) == set()
    cache_keys = set(config["litellm_settings"]["cache_params"]) - {"type"}
    cache_params = set(inspect.signature(Cache.__init__).parameters) | set(inspect.signature(RedisCache.__init__).parameters)
    assert cache_keys - cache_params - {"max_connections"} == set()
    assert "max_connections" in _redis_kwargs()


def _redis_kwargs() -> tuple[str, ...]:
    from litellm._redis import _get_redis_kwargs

    return tuple(_get_redis_kwargs())


def test_pinned_litellm_version_is_the_one_installed():
    from importlib.metadata import version

    from conftest import ROOT

    assert version("litellm") == h.LITELLM_VERSION == "1.106.2"
    assert "litellm[proxy]==1.106.2" in (ROOT / "requirements.txt").read_text().splitlines()
    assert h.COMPROMISED_LITELLM_VERSIONS == {"1.82.7", "1.82.8"}  # N2, March 2026


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_p10_rendered_config_passes_litellms_own_validator(stack_name, tmp_path: Path):
    settings, plan, _ = rendered(stack_name, stack_secrets(stack_name) | {"slackWebhookUrl"})
    config_file = tmp_path / "config.yaml"
    config_file.write_text(lc.render_config_yaml(settings, plan))
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": "sk-test",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "1",  # nothing listens: validation must not need Redis
        "REDIS_PASSWORD": "test",
        **{m.api_key_env: "test" for m in settings.models if m.api_key_env},
    }
    litellm_cli = Path(sys.executable).with_name("litellm")
    result = subprocess.run(
        [str(litellm_cli), "--config", str(config_file), "--validate_config"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "config OK" in result.stdout + result.stderr


def test_p10_validator_catches_a_broken_config(tmp_path: Path):
    """The check above can fail: a bad routing strategy exits 1."""
    settings, plan, config = rendered("dev")
    config["router_settings"]["routing_strategy"] = "bogus"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "1", "MOCK_API_KEY": "x"}
    result = subprocess.run(
        [str(Path(sys.executable).with_name("litellm")), "--config", str(tmp_path / "config.yaml"), "--validate_config"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 1 and "routing_strategy" in result.stdout + result.stderr


# ------------------------------------- what the container runs, written down from HARDENING.md


def test_p1_p2_p3_p8_o3_the_whole_command_line(prod):
    assert lc.proxy_args(prod[0], prod[1]) == [
        "--config", "/app/config/config.yaml",  # where each platform mounts the rendered file
        "--port", "4000",
        "--num_workers", "4",  # P1: the standard class's 4 vCPU
        "--max_requests_before_restart", "10000",  # P3
        "--max_requests_before_restart_jitter", "1000",  # P8
        "--prometheus_metrics_port", "9090",  # O3 (README)
    ]  # fmt: skip
    dev = rendered("dev")
    assert lc.proxy_args(*dev[:2])[:6] == ["--config", "/app/config/config.yaml", "--port", "4000", "--num_workers", "2"]


def test_p6_h1_p3_p4_p9_d5_the_whole_proxy_environment(prod):
    assert lc.proxy_env(prod[1], redis_host="redis.litellm") == {
        "LITELLM_MODE": "PRODUCTION",
        "LITELLM_LOG": "ERROR",
        "JSON_LOGS": "true",
        "SEPARATE_HEALTH_APP": "1",
        "SEPARATE_HEALTH_PORT": "4001",
        "MAX_REQUESTS_BEFORE_RESTART": "10000",
        "SUPERVISORD_STOPWAITSECS": "3600",
        "GRACEFUL_SHUTDOWN_TIMEOUT": "930",  # the 900 s model + 30
        "TIMEOUT_WORKER_HEALTHCHECK": "30",  # uvicorn's 5 s ping killed starting workers on a busy machine
        "DISABLE_SCHEMA_UPDATE": "true",
        "USE_PRISMA_MIGRATE": "true",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PROMETHEUS_MULTIPROC_DIR": "/tmp/prometheus_multiproc",
        "REDIS_HOST": "redis.litellm",
        "REDIS_PORT": "6379",
    }


def test_d5_migration_step_environment():
    prod = rendered("prod")[0]
    assert lc.migration_env(prod, postgres_host="pg") == {
        "USE_PRISMA_MIGRATE": "true",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "POSTGRES_HOST": "pg",
        "POSTGRES_PORT": "5432",
    }
    dev = rendered("dev")[0]  # connectDatabase: false: only wait for Postgres
    assert lc.migration_env(dev, postgres_host="pg")["LITELLM_GATEWAY_MIGRATE_MODE"] == "check-only"


def test_s4_secret_env_names_of_each_stack(prod):
    assert lc.secret_env_names(prod[0]) == [
        "ANTHROPIC_API_KEY", "DATABASE_URL", "DRAIN_ENDPOINT_TOKEN", "LITELLM_MASTER_KEY", "LITELLM_SALT_KEY",
        "OPENAI_API_KEY", "REDIS_PASSWORD", "SLACK_WEBHOOK_URL",
    ]  # fmt: skip
    dev = rendered("dev")[0]  # no database connection, no Slack
    assert lc.secret_env_names(dev) == ["DRAIN_ENDPOINT_TOKEN", "LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "MOCK_API_KEY", "REDIS_PASSWORD"]


def test_model_list_entries(prod):
    assert prod[2]["model_list"] == [
        {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/OPENAI_API_KEY"}},
        {
            "model_name": "claude-sonnet",
            "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_key": "os.environ/ANTHROPIC_API_KEY", "timeout": 900},
        },
    ]
    (mock,) = rendered("dev")[2]["model_list"]
    assert mock["litellm_params"] == {"model": "openai/mock-gpt", "api_key": "os.environ/MOCK_API_KEY", "api_base": "http://mock-upstream:8080/v1"}


def test_a_model_without_key_names_no_key():
    values = {**stack_values("dev"), "models": [{"name": "local", "model": "ollama/llama3", "apiBase": "http://ollama:11434"}]}
    settings = load_settings(values, set())
    (entry,) = lc.render_config(settings, settings.plan())["model_list"]
    assert entry == {"model_name": "local", "litellm_params": {"model": "ollama/llama3", "api_base": "http://ollama:11434"}}
    assert "MOCK_API_KEY" not in lc.secret_env_names(settings)


def test_response_cache_answers_every_request_only_when_always():
    """opt-in: LiteLLM's `default_off`, a request asks with `"cache": {"use-cache": true}`;
    always: `default_on`, every request is looked up and written (tests/faults show both on the
    real proxy)."""
    for choice, mode in (("opt-in", "default_off"), ("always", "default_on")):
        settings = load_settings({**stack_values("prod"), "responseCache": choice}, stack_secrets("prod"))
        litellm_settings = lc.render_config(settings, settings.plan())["litellm_settings"]
        assert (litellm_settings["cache"], litellm_settings["cache_params"]["mode"]) == (True, mode)


def test_r1_r2_cache_and_router_reach_redis_through_the_env(prod):
    assert prod[2]["litellm_settings"]["cache"] is True
    assert prod[2]["litellm_settings"]["cache_params"] == {
        "type": "redis",
        "host": "os.environ/REDIS_HOST",
        "port": "os.environ/REDIS_PORT",
        "password": "os.environ/REDIS_PASSWORD",
        "max_connections": 50,  # R2: 50 per worker
        "mode": "default_off",  # responseCache: opt-in
    }
    router = prod[2]["router_settings"]
    assert (router["redis_host"], router["redis_port"], router["redis_password"]) == (
        "os.environ/REDIS_HOST", "os.environ/REDIS_PORT", "os.environ/REDIS_PASSWORD",
    )  # fmt: skip


def test_o1_prometheus_is_the_one_callback(prod):
    assert prod[2]["litellm_settings"]["callbacks"] == ["prometheus"]


def test_f5_no_fallbacks_when_no_model_names_one():
    assert rendered("dev")[2]["router_settings"]["fallbacks"] == []


def test_general_settings_of_prod_are_exactly_these(prod):
    assert prod[2]["general_settings"] == {
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "database_connection_pool_limit": 10,  # D1
        "proxy_batch_write_at": 60,  # D3
        "disable_error_logs": True,  # D4
        "allow_requests_on_db_unavailable": False,  # D7
        "enable_drain_endpoint": True,  # P9
        "max_in_flight_requests_per_worker": 1200,  # F6: 30 s target
        "max_queued_requests_per_worker": 0,  # F6: the excess refused at once
        "alerting": ["slack"],  # O2
        "alerting_threshold": 300,  # O2: seconds (README)
    }


def test_the_yaml_file_keeps_the_documented_order_and_round_trips(prod):
    text = lc.render_config_yaml(prod[0], prod[1])
    assert yaml.safe_load(text) == prod[2]
    tops = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "-"))]
    assert tops == ["model_list", "general_settings", "litellm_settings", "router_settings"]

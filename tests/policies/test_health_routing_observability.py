"""H1-H3 (health), F1-F6 (routing), O1-O3 (observability)."""

import pytest
from .policy_fixtures import container, messages, run, set_arg, set_env, set_envs, update_config

from litellm_policies import UNKNOWN


def deferred_for(vs, rule_id):
    return [v for v in vs if v.deferred and v.rule_id == rule_id]


# ---------------------------------------------------------------- H1


def test_h1_health_app_disabled(k8s, docker):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", remove=True)
    set_envs(docker["proxy"].props, "SEPARATE_HEALTH_APP", "0")
    for st in (k8s, docker):
        m = messages(run(st), "H1")
        assert len(m) == 1 and "SEPARATE_HEALTH_APP" in m[0]


def test_h1_health_port_missing_or_equal_to_proxy_port(k8s):
    c = container(k8s["proxy"])
    set_env(c, "SEPARATE_HEALTH_PORT", "4000")
    assert any("equal to the proxy port" in m for m in messages(run(k8s), "H1"))
    set_env(c, "SEPARATE_HEALTH_PORT", remove=True)
    assert any("no SEPARATE_HEALTH_PORT" in m for m in messages(run(k8s), "H1"))


def test_h1_entrypoint_override_bypasses_health_app(k8s):
    container(k8s["proxy"])["command"] = ["litellm"]
    assert any("replacing the image entrypoint" in m for m in messages(run(k8s), "H1"))


# ---------------------------------------------------------------- H2


@pytest.mark.parametrize(
    "probe,change,expect",
    [
        ("livenessProbe", {"httpGet": {"path": "/health/liveliness", "port": 4000}}, "port 4000"),
        ("readinessProbe", {"httpGet": {"path": "/health/readiness", "port": "http"}}, "port 4000"),
        ("readinessProbe", {"httpGet": {"path": "/health", "port": 4001}}, "path '/health'"),
        ("livenessProbe", {"tcpSocket": {"port": 4001}}, "tcpSocket"),
        ("livenessProbe", None, "no livenessProbe"),
    ],
)
def test_h2_k8s_probes(k8s, probe, change, expect):
    c = container(k8s["proxy"])
    if change is None:
        c.pop(probe)
    else:
        c[probe] = dict(change, timeoutSeconds=5)
    m = messages(run(k8s), "H2")
    assert len(m) == 1 and expect in m[0] and "[H2]" in m[0]


def test_h2_exec_probe_on_health_port_passes(k8s):
    container(k8s["proxy"])["livenessProbe"] = {"exec": {"command": ["curl", "-f", "http://127.0.0.1:4001/health/liveliness"]}}
    assert not messages(run(k8s), "H2")


def test_h2_docker_healthcheck(docker):
    hc = docker["proxy"].props["healthcheck"]
    hc["tests"] = ["CMD", "curl", "-f", "http://localhost:4000/health/liveliness"]
    assert any("healthcheck on port 4000" in m for m in messages(run(docker), "H2"))
    docker["proxy"].props.pop("healthcheck")
    assert any("no healthcheck" in m for m in messages(run(docker), "H2"))


def test_h2_unknown_health_port_deferred(k8s):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_PORT", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "H2") and deferred_for(vs, "H2")


# ---------------------------------------------------------------- H3


def test_h3_timeouts(k8s, docker):
    container(k8s["proxy"])["readinessProbe"]["timeoutSeconds"] = 10
    m = messages(run(k8s), "H3")
    assert len(m) == 1 and "readinessProbe.timeoutSeconds 10" in m[0]
    docker["proxy"].props["healthcheck"]["timeout"] = "10s"
    assert any("healthcheck.timeout '10s'" in x for x in messages(run(docker), "H3"))
    docker["proxy"].props["healthcheck"].pop("timeout")
    assert any("Docker default 30s" in x for x in messages(run(docker), "H3"))


def test_h3_k8s_default_timeout_is_fine(k8s):
    container(k8s["proxy"])["livenessProbe"].pop("timeoutSeconds")
    assert not messages(run(k8s), "H3")


# ---------------------------------------------------------------- F1-F6


@pytest.mark.parametrize(
    "rule,mutate,expect",
    [
        ("F1", lambda d: d["router_settings"].update(routing_strategy="least-busy"), "'least-busy'"),
        ("F2", lambda d: d["router_settings"].update(allowed_fails=5), "allowed_fails 5"),
        ("F2", lambda d: d["router_settings"].pop("cooldown_time"), "LiteLLM default 5"),
        ("F3", lambda d: d["router_settings"]["retry_policy"].update(AuthenticationErrorRetries=2), "AuthenticationErrorRetries 2"),
        ("F3", lambda d: d["router_settings"]["retry_policy"].pop("RateLimitErrorRetries"), "RateLimitErrorRetries nothing"),
        ("F3", lambda d: d["router_settings"].pop("retry_policy"), "no router_settings.retry_policy"),
        ("F4", lambda d: d["router_settings"]["allowed_fails_policy"].update(TimeoutErrorAllowedFails=20), "TimeoutErrorAllowedFails 20"),
        ("F4", lambda d: d["router_settings"].pop("allowed_fails_policy"), "no router_settings.allowed_fails_policy"),
        ("F5", lambda d: d["router_settings"].update(fallbacks=[{"gpt-4o": ["claude-3"]}]), "'claude-3'"),
        ("F6", lambda d: d["general_settings"].pop("max_in_flight_requests_per_worker"), "max_in_flight_requests_per_worker nothing"),
    ],
)
@pytest.mark.parametrize("platform", ["k8s", "docker"])
def test_routing_rules(k8s, docker, platform, rule, mutate, expect):
    st = k8s if platform == "k8s" else docker
    update_config(st["config"] if platform == "k8s" else st["proxy"], mutate)
    m = messages(run(st), rule)
    assert len(m) == 1, m
    assert m[0].startswith(f"[{rule}]") and expect in m[0]


def test_f1_default_strategy_passes(k8s):
    update_config(k8s["config"], lambda d: d["router_settings"].pop("routing_strategy"))
    assert not messages(run(k8s), "F1")


# ---------------------------------------------------------------- O1-O3


def test_o1_prometheus_callback(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("callbacks"))
    m = messages(run(k8s), "O1")
    assert len(m) == 1 and "'prometheus'" in m[0]


def test_o1_o3_multi_worker_metrics(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--prometheus_metrics_port", remove=True)
    set_env(c, "PROMETHEUS_MULTIPROC_DIR", remove=True)
    vs = run(k8s)
    assert any("--prometheus_metrics_port" in m for m in messages(vs, "O3"))
    assert any("PROMETHEUS_MULTIPROC_DIR" in m for m in messages(vs, "O3"))


def test_o3_single_worker_needs_nothing(docker):
    docker["proxy"].props["command"] = set_arg(docker["proxy"].props["command"], "--prometheus_metrics_port", remove=True)
    docker["proxy"].props["command"] = set_arg(docker["proxy"].props["command"], "--num_workers", "1")
    assert not messages(run(docker), "O3")


def test_o2_slack(k8s, docker):
    update_config(k8s["config"], lambda d: d["general_settings"].update(alerting_threshold=1000))
    m = messages(run(k8s), "O2")
    assert len(m) == 1 and "alerting_threshold 1000 s" in m[0] and "seconds" in m[0]
    update_config(docker["proxy"], lambda d: d["general_settings"].pop("alerting"))
    assert any("lacks 'slack'" in x for x in messages(run(docker), "O2"))


def test_o2_slack_without_webhook(k8s):
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", remove=True)
    assert any("without SLACK_WEBHOOK_URL" in m for m in messages(run(k8s), "O2"))

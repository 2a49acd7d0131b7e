"""H1-H3 (health), F1-F6 (routing), O1-O3 (observability)."""

import pytest
import yaml
from .policy_fixtures import (T_CM, T_SECRET, R, container, findings, messages, run, pod, second_proxy, second_proxy_container, set_arg, set_env,
                              set_envs, update_config)

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
    assert not findings(run(k8s), "H2")


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
    assert any("no healthcheck.timeout (Docker runs 30s)" in x for x in messages(run(docker), "H3"))


def test_h3_k8s_default_timeout_is_fine(k8s):
    container(k8s["proxy"])["livenessProbe"].pop("timeoutSeconds")
    assert not findings(run(k8s), "H3")


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
    assert not findings(run(k8s), "F1")


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
    assert not findings(run(docker), "O3")


def test_o2_slack(k8s, docker):
    update_config(k8s["config"], lambda d: d["general_settings"].update(alerting_threshold=1000))
    m = messages(run(k8s), "O2")
    assert len(m) == 1 and "alerting_threshold 1000 s" in m[0] and "seconds" in m[0]
    update_config(docker["proxy"], lambda d: d["general_settings"].pop("alerting"))
    assert any("lacks 'slack'" in x for x in messages(run(docker), "O2"))


def test_o2_slack_without_webhook(k8s):
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", remove=True)
    assert any("without SLACK_WEBHOOK_URL" in m for m in messages(run(k8s), "O2"))


# ------------------------------------------- O1-O3: what an operator reads and which inputs pass

PROXY = "Deployment 'litellm-proxy' container 'proxy'"


def test_o1_message_in_full(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("callbacks"))
    assert messages(run(k8s), "O1") == [
        "[O1] ConfigMap 'litellm-config' key 'config.yaml': found no 'prometheus' callback; required"
        " litellm_settings.callbacks including 'prometheus'. Fix: add litellm_settings.callbacks: ['prometheus']"
    ]


@pytest.mark.parametrize(
    ("litellm_settings", "ok"),
    [
        ({"callbacks": "prometheus"}, True),  # one callback as a string
        ({"success_callback": ["langfuse", "prometheus"]}, True),
        ({"callbacks": ["langfuse"], "success_callback": "prometheus"}, True),
        ({"callbacks": ["langfuse"]}, False),
        ({"callbacks": "langfuse"}, False),
        ({"callbacks": {"prometheus": True}}, False),  # not a list LiteLLM reads
    ],
)
def test_o1_prometheus_as_a_callback_or_success_callback(k8s, litellm_settings, ok):
    def edit(d):
        d["litellm_settings"].pop("callbacks")
        d["litellm_settings"].update(litellm_settings)

    update_config(k8s["config"], edit)
    assert (not findings(run(k8s), "O1")) == ok


def test_o3_messages_in_full(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--prometheus_metrics_port", remove=True)
    set_env(c, "PROMETHEUS_MULTIPROC_DIR", remove=True)
    assert messages(run(k8s), "O3") == [
        f"[O3] {PROXY}: found 4 workers and no --prometheus_metrics_port; required a separate metrics process."
        " Fix: add --prometheus_metrics_port 9090 (keep it off public ingress)",
        f"[O3] {PROXY}: found 4 workers and no PROMETHEUS_MULTIPROC_DIR; required PROMETHEUS_MULTIPROC_DIR on a"
        " writable volume. Fix: set PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus_multiproc (emptyDir)",
    ]


def test_o3_metrics_port_from_the_environment_and_an_empty_dir_value(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--prometheus_metrics_port", remove=True)
    set_env(c, "PROMETHEUS_METRICS_PORT", "9090")
    assert not findings(run(k8s), "O3")
    set_env(c, "PROMETHEUS_MULTIPROC_DIR", "")
    assert [m.split(": found ")[1].split(";")[0] for m in messages(run(k8s), "O3")] == ["4 workers and no PROMETHEUS_MULTIPROC_DIR"]


def test_o3_two_workers_need_it_and_unknowns_defer(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", "2"), "--prometheus_metrics_port", remove=True)
    assert [m.split(": found ")[1].split(";")[0] for m in messages(run(k8s), "O3")] == ["2 workers and no --prometheus_metrics_port"]
    c["args"] = set_arg(c["args"], "--num_workers", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "O3") and ["--num_workers" in v.message for v in deferred_for(vs, "O3")] == [True]
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", "4"), "--prometheus_metrics_port", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "O3") and ["--prometheus_metrics_port / PROMETHEUS_MULTIPROC_DIR" in v.message for v in deferred_for(vs, "O3")] == [True]


def test_o2_messages_in_full(k8s, docker):
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting_threshold"))
    assert messages(run(k8s), "O2") == [
        f"[O2] {PROXY}: found alerting_threshold nothing (not set) (LiteLLM default 600 s) with request_timeout 600 s:"
        " slow responses would never alert; required 0 < alerting_threshold < 600 (seconds, the unit LiteLLM reads;"
        " the seed's 1000 is not ms). Fix: set general_settings.alerting_threshold to e.g. 300"
    ]
    update_config(docker["proxy"], lambda d: d["general_settings"].pop("alerting"))
    assert messages(run(docker), "O2") == [
        "[O2] Container 'litellm-proxy': found SLACK_WEBHOOK_URL set but general_settings.alerting lacks 'slack';"
        " required alerting: ['slack']. Fix: add general_settings.alerting: ['slack']"
    ]


def test_o2_slack_without_webhook_message_and_urn(k8s):
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", remove=True)
    (v,) = [v for v in run(k8s) if v.rule_id == "O2"]
    assert v.message == (
        f"[O2] {PROXY}: found alerting ['slack'] without SLACK_WEBHOOK_URL; required the webhook from a Secret."
        " Fix: add SLACK_WEBHOOK_URL (secretKeyRef) or remove 'slack' alerting"
    )
    assert v.urn == k8s["proxy"].urn


@pytest.mark.parametrize(("threshold", "ok"), [(300, True), ("300", True), (599, True), (600, False), (0, False), (-5, False), ("soon", False)])
def test_o2_threshold_must_be_a_positive_number_of_seconds_below_the_request_timeout(k8s, threshold, ok):
    update_config(k8s["config"], lambda d: d["general_settings"].update(alerting_threshold=threshold))
    assert (not findings(run(k8s), "O2")) == ok


def test_o2_alerting_as_a_string_and_an_empty_webhook(k8s):
    update_config(k8s["config"], lambda d: d["general_settings"].update(alerting="slack"))
    assert not findings(run(k8s), "O2")
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting"))
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", "")  # set but empty: nothing to alert to
    assert not findings(run(k8s), "O2")
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", remove=True)
    assert not findings(run(k8s), "O2")  # neither webhook nor slack alerting: O2 does not apply


def test_o2_unknowns_defer(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "O2") and [("general_settings.alerting" in v.message, v.urn) for v in deferred_for(vs, "O2")] == [(True, k8s["proxy"].urn)]
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", remove=True)
    assert not findings(run(k8s), "O2")  # no webhook: nothing to wait for


# ------------------------------------------- H1-H3: what an operator reads and which inputs pass


def test_h1_messages_in_full(k8s, docker):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", remove=True)
    assert messages(run(k8s), "H1") == [
        f"[H1] {PROXY}: found SEPARATE_HEALTH_APP nothing (not set); required SEPARATE_HEALTH_APP=1."
        " Fix: set SEPARATE_HEALTH_APP=1 and SEPARATE_HEALTH_PORT=4001"
    ]
    set_envs(docker["proxy"].props, "SEPARATE_HEALTH_PORT", remove=True)
    assert messages(run(docker), "H1") == [
        "[H1] Container 'litellm-proxy': found no SEPARATE_HEALTH_PORT (image default 4001); required"
        " SEPARATE_HEALTH_PORT set explicitly. Fix: set SEPARATE_HEALTH_PORT=4001"
    ]


@pytest.mark.parametrize(("value", "ok"), [("1", True), (" 1 ", True), ("true", False), ("0", False), ("", False)])
def test_h1_only_1_turns_the_health_app_on(k8s, value, ok):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", value)
    assert (not findings(run(k8s), "H1")) == ok


@pytest.mark.parametrize(
    ("command", "ok"),
    [(["litellm"], False), (["/usr/local/bin/python3", "-m", "litellm"], False), (["uvicorn"], False), (["gunicorn"], False),
     (["python"], False), (["/docker-entrypoint.sh"], True), ([], True)],
)  # fmt: skip
def test_h1_entrypoint_override_by_any_server_binary(k8s, command, ok):
    container(k8s["proxy"])["command"] = command
    assert (not findings(run(k8s), "H1")) == ok


def test_h1_entrypoint_override_message_names_the_knob_of_each_platform(k8s, docker):
    container(k8s["proxy"])["command"] = ["litellm"]
    (m,) = messages(run(k8s), "H1")
    assert "found command 'litellm' replacing the image entrypoint" in m and "Fix: remove `command` and pass the proxy flags as args" in m
    docker["proxy"].props["entrypoints"] = ["litellm"]
    (m,) = messages(run(docker), "H1")
    assert "found entrypoints 'litellm' replacing the image entrypoint" in m and "Fix: remove `entrypoints` and pass the proxy flags as command" in m


def test_h1_unknowns_defer(k8s):
    c = container(k8s["proxy"])
    set_env(c, "SEPARATE_HEALTH_APP", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "H1") and ["SEPARATE_HEALTH_APP" in v.message for v in deferred_for(vs, "H1")] == [True]
    set_env(c, "SEPARATE_HEALTH_APP", "1")
    set_env(c, "SEPARATE_HEALTH_PORT", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "H1") and ["SEPARATE_HEALTH_PORT / the proxy port" in v.message for v in deferred_for(vs, "H1")] == [True]


def test_h2_message_in_full(k8s):
    container(k8s["proxy"])["livenessProbe"] = {"httpGet": {"path": "/health/liveliness", "port": 4000}, "timeoutSeconds": 5}
    assert messages(run(k8s), "H2") == [
        f"[H2] {PROXY}: found livenessProbe httpGet on port 4000 path '/health/liveliness'; required port 4001 path"
        " /health/liveliness or /health/liveness. Fix: set livenessProbe.httpGet to port 4001 path /health/liveliness"
    ]


@pytest.mark.parametrize(
    ("probe", "ok"),
    [
        ({"httpGet": {"path": "/health/liveness", "port": 4001}}, True),
        ({"httpGet": {"path": "/health/readiness", "port": 4001}}, False),  # readiness is not liveness
        ({"exec": {"command": ["sh", "-c", "curl -fsS localhost:4001/health/liveliness"]}}, True),
        ({"exec": {"command": ["curl", "http://[::1]:4000/health/liveliness"]}}, False),
        ({"grpc": {"port": 4001}}, False),
        ({"exec": {"command": "curl localhost:4001/health/liveliness"}}, False),  # not a list: no target
        ({}, False),
    ],
)
def test_h2_liveness_targets(k8s, probe, ok):
    container(k8s["proxy"])["livenessProbe"] = dict(probe, timeoutSeconds=5)
    assert (not findings(run(k8s), "H2")) == ok


def test_h2_startup_probe_is_optional_but_judged_when_present(k8s):
    c = container(k8s["proxy"])
    c.pop("startupProbe", None)
    assert not findings(run(k8s), "H2")
    c["startupProbe"] = {"httpGet": {"path": "/health/readiness", "port": 4001}}
    assert not findings(run(k8s), "H2")
    c["startupProbe"] = {"httpGet": {"path": "/", "port": 4001}}
    (m,) = messages(run(k8s), "H2")
    assert "startupProbe httpGet on port 4001 path '/'" in m and "/health/liveliness or /health/liveness or /health/readiness" in m


def test_h2_docker_message_in_full(docker):
    docker["proxy"].props.pop("healthcheck")
    assert messages(run(docker), "H2") == [
        "[H2] Container 'litellm-proxy': found no healthcheck; required a healthcheck on port 4001. Fix: add healthcheck"
        " tests ['CMD', 'curl', '-fsS', 'http://localhost:4001/health/liveliness']"
    ]


def test_h2_unknown_probe_or_test_defers(k8s, docker):
    container(k8s["proxy"])["readinessProbe"] = {"httpGet": {"path": UNKNOWN, "port": 4001}}
    vs = run(k8s)
    assert not messages(vs, "H2") and ["readinessProbe port/path" in v.message for v in deferred_for(vs, "H2")] == [True]
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD", "curl", UNKNOWN]
    vs = run(docker)
    assert not messages(vs, "H2") and ["healthcheck.tests" in v.message for v in deferred_for(vs, "H2")] == [True]


@pytest.mark.parametrize(("seconds", "ok"), [(5, True), ("5", True), (1, True), (6, False)])
def test_h3_kubernetes_timeout_at_most_5_seconds(k8s, seconds, ok):
    container(k8s["proxy"])["readinessProbe"]["timeoutSeconds"] = seconds
    assert (not findings(run(k8s), "H3")) == ok


@pytest.mark.parametrize(("timeout", "ok"), [("5s", True), ("2s", True), ("6s", False), ("1m", False), ("soon", False)])
def test_h3_docker_timeout_at_most_5_seconds(docker, timeout, ok):
    docker["proxy"].props["healthcheck"]["timeout"] = timeout
    assert (not findings(run(docker), "H3")) == ok


def test_h3_messages_and_deferrals(k8s, docker):
    container(k8s["proxy"])["livenessProbe"]["timeoutSeconds"] = 10
    assert messages(run(k8s), "H3") == [f"[H3] {PROXY}: found livenessProbe.timeoutSeconds 10; required ≤ 5. Fix: set livenessProbe.timeoutSeconds: 5"]
    container(k8s["proxy"])["livenessProbe"]["timeoutSeconds"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "H3") and ["livenessProbe.timeoutSeconds" in v.message for v in deferred_for(vs, "H3")] == [True]
    docker["proxy"].props["healthcheck"]["timeout"] = "10s"
    assert messages(run(docker), "H3") == ["[H3] Container 'litellm-proxy': found healthcheck.timeout '10s'; required ≤ 5s. Fix: set healthcheck timeout '5s'"]


# ------------------------------------------- F1-F6: what an operator reads and which inputs pass

CONFIG = "ConfigMap 'litellm-config' key 'config.yaml'"
SEED_RETRIES = "AuthenticationErrorRetries: 0, ContentPolicyViolationErrorRetries: 0, TimeoutErrorRetries: 3, RateLimitErrorRetries: 3, InternalServerErrorRetries: 3"
SEED_FAILS = (
    "BadRequestErrorAllowedFails: 1000, AuthenticationErrorAllowedFails: 10, TimeoutErrorAllowedFails: 12,"
    " RateLimitErrorAllowedFails: 10000, ContentPolicyViolationErrorAllowedFails: 15, InternalServerErrorAllowedFails: 20"
)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["router_settings"].update(routing_strategy="least-busy"),
         "found router_settings.routing_strategy 'least-busy'; required 'simple-shuffle'. Fix: set router_settings.routing_strategy: simple-shuffle"),
        (lambda d: d["router_settings"].pop("cooldown_time"),
         "found cooldown_time not set (LiteLLM default 5); required cooldown_time: 30. Fix: set router_settings.cooldown_time: 30"),
        (lambda d: d["router_settings"].update(allowed_fails=5),
         "found router_settings.allowed_fails 5; required allowed_fails: 3. Fix: set router_settings.allowed_fails: 3"),
        (lambda d: d["router_settings"].pop("retry_policy"),
         f"found no router_settings.retry_policy; required router_settings.retry_policy with {SEED_RETRIES}. Fix: add router_settings.retry_policy: {{{SEED_RETRIES}}}"),
        (lambda d: d["router_settings"].update(retry_policy=[1]),
         f"found router_settings.retry_policy [1]; required a mapping. Fix: set {SEED_RETRIES}"),
        (lambda d: d["router_settings"]["retry_policy"].update(AuthenticationErrorRetries=2),
         "found router_settings.retry_policy.AuthenticationErrorRetries 2; required AuthenticationErrorRetries: 0. Fix: set router_settings.retry_policy.AuthenticationErrorRetries: 0"),
        (lambda d: d["router_settings"].pop("allowed_fails_policy"),
         f"found no router_settings.allowed_fails_policy; required router_settings.allowed_fails_policy with {SEED_FAILS}. Fix: add router_settings.allowed_fails_policy: {{{SEED_FAILS}}}"),
        (lambda d: d["router_settings"].update(fallbacks=[{"gpt-4o": ["claude-3"]}]),
         "found router_settings.fallbacks names model group 'claude-3' that is not in model_list; required fallbacks between existing model groups. Fix: add a model_list entry with model_name 'claude-3' or remove it from fallbacks"),
        (lambda d: d["general_settings"].pop("max_in_flight_requests_per_worker"),
         "found general_settings.max_in_flight_requests_per_worker nothing (not set); required a positive integer sized from the machine class. Fix: set general_settings.max_in_flight_requests_per_worker (measured in the load benchmark)"),
        (lambda d: d["general_settings"].pop("max_queued_requests_per_worker"),
         "found general_settings.max_queued_requests_per_worker unset (LiteLLM then queues as many as it admits: 50); required 0: requests beyond the cap are refused at once (503, Retry-After) instead of waiting in a queue until admission_queue_timeout_seconds. Fix: set general_settings.max_queued_requests_per_worker: 0"),
        (lambda d: d["general_settings"].update(max_queued_requests_per_worker=100),
         "found general_settings.max_queued_requests_per_worker 100; required 0: requests beyond the cap are refused at once (503, Retry-After) instead of waiting in a queue until admission_queue_timeout_seconds. Fix: set general_settings.max_queued_requests_per_worker: 0"),
    ],
)  # fmt: skip
def test_f_messages_in_full(k8s, edit, expected):
    update_config(k8s["config"], edit)
    (v,) = [v for v in run(k8s) if v.rule_id.startswith("F")]
    assert v.message == f"[{v.rule_id}] {CONFIG}: {expected}"


@pytest.mark.parametrize(("settings", "ok"), [
    ({"allowed_fails": 3, "cooldown_time": 30}, True),
    ({"allowed_fails": "3", "cooldown_time": "30"}, True),
    ({"cooldown_time": 30}, True),  # allowed_fails: LiteLLM's default is already 3
    ({"allowed_fails": 3}, False),  # cooldown_time: LiteLLM's default is 5
    ({"allowed_fails": 4, "cooldown_time": 30}, False),
    ({"allowed_fails": 3, "cooldown_time": 31}, False),
])  # fmt: skip
def test_f2_circuit_breaker_values(k8s, settings, ok):
    def edit(d):
        for key in ("allowed_fails", "cooldown_time"):
            d["router_settings"].pop(key, None)
        d["router_settings"].update(settings)

    update_config(k8s["config"], edit)
    assert (not findings(run(k8s), "F2")) == ok


def test_f2_f3_litellm_settings_is_the_fallback_place(k8s):
    def edit(d):
        d["litellm_settings"]["cooldown_time"] = d["router_settings"].pop("cooldown_time")
        d["litellm_settings"]["retry_policy"] = d["router_settings"].pop("retry_policy")

    update_config(k8s["config"], edit)
    assert not findings(run(k8s), "F2") and not findings(run(k8s), "F3")


@pytest.mark.parametrize("key", ["AuthenticationErrorRetries", "ContentPolicyViolationErrorRetries", "TimeoutErrorRetries", "RateLimitErrorRetries", "InternalServerErrorRetries"])
def test_f3_every_seed_retry_count_is_checked(k8s, key):
    update_config(k8s["config"], lambda d: d["router_settings"]["retry_policy"].update({key: 1}))
    (m,) = messages(run(k8s), "F3")
    assert f"retry_policy.{key} 1;" in m


@pytest.mark.parametrize(("key", "seed"), [("BadRequestErrorAllowedFails", 1000), ("AuthenticationErrorAllowedFails", 10), ("TimeoutErrorAllowedFails", 12),
                                           ("RateLimitErrorAllowedFails", 10000), ("ContentPolicyViolationErrorAllowedFails", 15), ("InternalServerErrorAllowedFails", 20)])  # fmt: skip
def test_f4_every_seed_allowed_fails_value_is_checked(k8s, key, seed):
    update_config(k8s["config"], lambda d: d["router_settings"]["allowed_fails_policy"].update({key: seed + 1}))
    (m,) = messages(run(k8s), "F4")
    assert f"allowed_fails_policy.{key} {seed + 1};" in m and f"required {key}: {seed}." in m
    update_config(k8s["config"], lambda d: d["router_settings"]["allowed_fails_policy"].update({key: str(seed)}))
    assert not findings(run(k8s), "F4")


@pytest.mark.parametrize(("fallbacks", "missing"), [
    ({"gpt-4o": "nope"}, ["'nope'"]),  # one target, not a list; the mapping form
    ([{"nope": ["gpt-4o"]}], ["'nope'"]),  # the group itself must exist
    ([{"gpt-4o": ["gpt-4o-mini"]}, "junk"], []),
])  # fmt: skip
def test_f5_fallback_forms(k8s, fallbacks, missing):
    update_config(k8s["config"], lambda d: d["router_settings"].update(fallbacks=fallbacks))
    assert [m.split("names model group ")[1].split(" that")[0] for m in messages(run(k8s), "F5")] == missing


@pytest.mark.parametrize("section", ["router_settings", "litellm_settings"])
@pytest.mark.parametrize("key", ["fallbacks", "context_window_fallbacks", "content_policy_fallbacks"])
def test_f5_every_fallback_list_is_checked(k8s, section, key):
    update_config(k8s["config"], lambda d: d.setdefault(section, {}).update({key: [{"gpt-4o": ["ghost"]}]}))
    assert [m for m in messages(run(k8s), "F5") if f"found {section}.{key} names model group 'ghost'" in m]


def test_f5_wildcard_model_group_accepts_any_name(k8s):
    def edit(d):
        d["model_list"].append({"model_name": "openai/*", "litellm_params": {"model": "openai/*"}})
        d["router_settings"]["fallbacks"] = [{"gpt-4o": ["anything"]}]

    update_config(k8s["config"], edit)
    assert not findings(run(k8s), "F5")


@pytest.mark.parametrize(("value", "ok"), [(50, True), ("50", True), (1, True), (0, False), (-1, False), (2.5, False), ("many", False)])
def test_f6_admission_cap_must_be_a_positive_integer(k8s, value, ok):
    update_config(k8s["config"], lambda d: d["general_settings"].update(max_in_flight_requests_per_worker=value))
    assert (not findings(run(k8s), "F6")) == ok


@pytest.mark.parametrize(("value", "ok"), [(0, True), ("0", True), (1, False), (100, False), ("none", False)])
def test_f6_nothing_waits_in_a_queue(k8s, value, ok):
    update_config(k8s["config"], lambda d: d["general_settings"].update(max_queued_requests_per_worker=value))
    assert (not findings(run(k8s), "F6")) == ok


def test_h_deferrals_in_full_name_the_value_and_the_workload(k8s, docker):
    def deferred_messages(st, rule):
        return [(v.message, v.urn) for v in deferred_for(run(st), rule)]

    urn = k8s["proxy"].urn
    c = container(k8s["proxy"])
    set_env(c, "SEPARATE_HEALTH_APP", UNKNOWN)
    assert deferred_messages(k8s, "H1") == [
        (f"[H1] deferred: value unknown until apply: SEPARATE_HEALTH_APP (value unknown until apply) of {PROXY} (policy litellm-h1-separate-health-app)", urn)
    ]
    set_env(c, "SEPARATE_HEALTH_APP", "1")
    set_env(c, "SEPARATE_HEALTH_PORT", UNKNOWN)
    assert deferred_messages(k8s, "H1") == [
        (f"[H1] deferred: value unknown until apply: SEPARATE_HEALTH_PORT / the proxy port of {PROXY} (policy litellm-h1-separate-health-app)", urn)
    ]
    assert deferred_messages(k8s, "H2") == [
        (f"[H2] deferred: value unknown until apply: the health app port of {PROXY} (policy litellm-h2-probes-on-health-port)", urn)
    ]
    set_env(c, "SEPARATE_HEALTH_PORT", "4001")
    c["readinessProbe"] = {"httpGet": {"path": UNKNOWN, "port": 4001}}
    assert deferred_messages(k8s, "H2") == [
        (f"[H2] deferred: value unknown until apply: readinessProbe port/path of {PROXY} (policy litellm-h2-probes-on-health-port)", urn)
    ]
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD", UNKNOWN]
    assert deferred_messages(docker, "H2") == [
        ("[H2] deferred: value unknown until apply: healthcheck.tests of Container 'litellm-proxy' (policy litellm-h2-probes-on-health-port)", docker["proxy"].urn)
    ]


def test_h1_equal_port_message_in_full(k8s):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_PORT", "4000")
    assert [(v.message, v.urn) for v in run(k8s) if v.rule_id == "H1"] == [
        (f"[H1] {PROXY}: found SEPARATE_HEALTH_PORT '4000' equal to the proxy port; required a separate port. Fix: set SEPARATE_HEALTH_PORT=4001", k8s["proxy"].urn)
    ]


def test_h2_docker_healthcheck_without_tests_and_findings_point_at_the_proxy(docker, k8s):
    docker["proxy"].props["healthcheck"].pop("tests")
    assert [(v.message.split(": found ")[1].split(";")[0], v.urn) for v in run(docker) if v.rule_id == "H2"] == [("no healthcheck", docker["proxy"].urn)]
    container(k8s["proxy"])["livenessProbe"] = {"tcpSocket": {"port": "health"}, "timeoutSeconds": 5}
    assert [(v.message.split(": found ")[1].split(";")[0], v.urn) for v in run(k8s) if v.rule_id == "H2"] == [
        ("livenessProbe tcpSocket on port 4001 path nothing (not set)", k8s["proxy"].urn)
    ]


@pytest.mark.parametrize(
    ("probe", "found"),
    [
        ({"grpc": {"port": "health"}}, "livenessProbe grpc on port 4001 path nothing (not set)"),
        ({"tcpSocket": {"port": "nope"}}, "livenessProbe tcpSocket on port nothing (not set) path nothing (not set)"),
        ({"httpGet": {"path": "/health/liveliness", "port": "health"}}, None),
        ({"exec": {"command": ["check", "/health/liveliness"]}}, "a livenessProbe command that cannot fail when the health app does: 'check', not an HTTP client whose exit status is the request's"),
        ({"exec": {"command": ["curl", "-f", "http://localhost:4000/health/liveliness"]}}, "livenessProbe exec on port 4000 path '/health/liveliness'"),
    ],
)
def test_h2_named_ports_and_targets_without_a_port(k8s, probe, found):
    container(k8s["proxy"])["livenessProbe"] = dict(probe, timeoutSeconds=5)
    assert [m.split(": found ")[1].split(";")[0] for m in messages(run(k8s), "H2")] == ([found] if found else [])


def test_h2_a_named_port_with_unknown_ports_defers(k8s):
    c = container(k8s["proxy"])
    c["ports"] = [UNKNOWN]
    c["livenessProbe"] = {"tcpSocket": {"port": "health"}, "timeoutSeconds": 5}
    vs = run(k8s)
    assert not messages(vs, "H2") and any("livenessProbe port/path" in v.message for v in deferred_for(vs, "H2"))


def test_o2_threshold_of_one_second_is_positive(k8s):
    update_config(k8s["config"], lambda d: d["general_settings"].update(alerting_threshold=1))
    assert not findings(run(k8s), "O2")


def test_o2_deferrals_in_full(k8s):
    def edit(d):
        d["litellm_settings"].pop("request_timeout")

    update_config(k8s["config"], edit)
    set_env(container(k8s["proxy"]), "REQUEST_TIMEOUT", UNKNOWN)
    assert [(v.message, v.urn) for v in deferred_for(run(k8s), "O2")] == [
        (f"[O2] deferred: value unknown until apply: request_timeout of {PROXY} (policy litellm-o2-slack-alerting)", k8s["proxy"].urn)
    ]
    set_env(container(k8s["proxy"]), "REQUEST_TIMEOUT", "600")
    c = container(k8s["proxy"])
    set_env(c, "SLACK_WEBHOOK_URL", remove=True)
    c["env"].append(UNKNOWN)  # an env entry computed at apply: the webhook may be in it
    vs = run(k8s)
    assert not messages(vs, "O2")
    assert [(v.message, v.urn) for v in deferred_for(vs, "O2")] == [
        (f"[O2] deferred: value unknown until apply: SLACK_WEBHOOK_URL of {PROXY} (policy litellm-o2-slack-alerting)", k8s["proxy"].urn)
    ]


def test_o3_deferral_in_full(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--num_workers", UNKNOWN)
    assert [v.message for v in deferred_for(run(k8s), "O3")] == [
        f"[O3] deferred: value unknown until apply: --num_workers of {PROXY} (policy litellm-o3-separate-metrics-process)"
    ]


# ------------------------------------------- H1-H3: every proxy judged, every probe, every handler

CANARY = "Deployment 'litellm-proxy-canary' container 'proxy'"
PROXY_B = "Deployment 'litellm-proxy' container 'proxy-b'"


def found_of(vs, rule_id) -> list[tuple[str, str]]:
    """(where, what was found) of each definite finding, deferred ones as (where, 'deferred: WHAT')."""
    out = []
    for v in vs:
        if v.rule_id != rule_id:
            continue
        if v.deferred:
            what, where = v.message.split(": ", 2)[2].rsplit(" of ", 1)
            out.append((where.split(" (policy")[0], f"deferred: {what}"))
        else:
            where, rest = v.message[len(f"[{rule_id}] "):].split(": found ", 1)
            out.append((where, rest.split("; required")[0]))
    return out


@pytest.mark.parametrize(
    ("rule", "edit", "found"),
    [
        ("H1", lambda c: set_env(c, "SEPARATE_HEALTH_APP", UNKNOWN), "deferred: SEPARATE_HEALTH_APP (value unknown until apply)"),
        ("H1", lambda c: set_env(c, "SEPARATE_HEALTH_APP", "0"), "SEPARATE_HEALTH_APP '0'"),
        ("H1", lambda c: set_env(c, "SEPARATE_HEALTH_PORT", UNKNOWN), "deferred: SEPARATE_HEALTH_PORT / the proxy port"),
        ("O3", lambda c: c.update(args=set_arg(c["args"], "--num_workers", UNKNOWN)), "deferred: --num_workers"),
        ("O3", lambda c: c.update(args=set_arg(c["args"], "--prometheus_metrics_port", remove=True)), "4 workers and no --prometheus_metrics_port"),
        ("O3", lambda c: set_env(c, "PROMETHEUS_MULTIPROC_DIR", UNKNOWN), "deferred: --prometheus_metrics_port / PROMETHEUS_MULTIPROC_DIR"),
    ],
)
def test_every_proxy_container_of_a_pod_is_judged(k8s, rule, edit, found):
    """Two proxy containers in one pod, both wrong the same way: both are reported, not the first."""
    b = second_proxy_container(k8s["proxy"])
    assert not findings(run(k8s), rule)
    edit(container(k8s["proxy"]))
    edit(b)
    assert found_of(run(k8s), rule) == [(PROXY, found), (PROXY_B, found)]


def test_h1_an_unknown_proxy_port_defers(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--port", UNKNOWN)
    assert found_of(run(k8s), "H1") == [(PROXY, "deferred: SEPARATE_HEALTH_PORT / the proxy port")]


def test_h1_messages_in_full_for_a_wrong_value_and_a_replaced_entrypoint(k8s):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", "0")
    assert messages(run(k8s), "H1") == [
        f"[H1] {PROXY}: found SEPARATE_HEALTH_APP '0'; required SEPARATE_HEALTH_APP=1. Fix: set SEPARATE_HEALTH_APP=1 and SEPARATE_HEALTH_PORT=4001"
    ]
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", "1")
    container(k8s["proxy"])["command"] = ["/usr/bin/litellm"]
    assert messages(run(k8s), "H1") == [
        f"[H1] {PROXY}: found command '/usr/bin/litellm' replacing the image entrypoint (the health app is started by the"
        " entrypoint's supervisord) and no health app container beside it; required the image entrypoint kept, proxy flags"
        " in args; or (Kubernetes) a health app container in the same pod. Fix: remove `command` and pass the proxy flags as args"
    ]


def test_h1_h3_a_litellm_container_whose_command_is_unknown_defers(docker):
    """Proxy or one-shot migration job? Unknown until apply: the rules say so instead of passing."""
    docker["proxy"].props["command"] = UNKNOWN
    vs = run(docker)
    for rule in ("H1", "H3"):
        assert found_of(vs, rule) == [("Container 'litellm-proxy'", "deferred: whether it is the proxy or a one-shot job (its command)")]


def test_h2_judges_every_proxy_workload(k8s, docker):
    """Two proxy workloads with the same gap: the second is reported too."""
    second_proxy(k8s)
    for c in (container(k8s["proxy"]), container(k8s["proxy2"])):
        set_env(c, "SEPARATE_HEALTH_PORT", UNKNOWN)
    assert found_of(run(k8s), "H2") == [(PROXY, "deferred: the health app port"), (CANARY, "deferred: the health app port")]
    second_proxy(docker)
    for res in (docker["proxy"], docker["proxy2"]):
        res.props.pop("healthcheck")
    assert found_of(run(docker), "H2") == [("Container 'litellm-proxy'", "no healthcheck"), ("Container 'litellm-proxy-2'", "no healthcheck")]
    for res in (docker["proxy"], docker["proxy2"]):
        res.props["healthcheck"] = {"tests": ["CMD", UNKNOWN], "timeout": "5s"}
    assert found_of(run(docker), "H2") == [("Container 'litellm-proxy'", "deferred: healthcheck.tests"), ("Container 'litellm-proxy-2'", "deferred: healthcheck.tests")]


@pytest.mark.parametrize(
    ("liveness", "found"),
    [
        (UNKNOWN, "deferred: livenessProbe"),
        (None, "no livenessProbe"),
        ({"httpGet": {"path": UNKNOWN, "port": 4001}}, "deferred: livenessProbe port/path"),
    ],
)
def test_h2_a_liveness_gap_does_not_hide_the_readiness_probe(k8s, liveness, found):
    c = container(k8s["proxy"])
    c["livenessProbe"] = liveness
    c["readinessProbe"] = {"httpGet": {"path": "/health/readiness", "port": 4000}, "timeoutSeconds": 5}
    assert found_of(run(k8s), "H2") == [(PROXY, found), (PROXY, "readinessProbe httpGet on port 4000 path '/health/readiness'")]


def test_h2_missing_probes_in_full(k8s):
    c = container(k8s["proxy"])
    c.pop("livenessProbe")
    c.pop("readinessProbe")
    assert [(v.message, v.urn) for v in run(k8s) if v.rule_id == "H2"] == [
        (f"[H2] {PROXY}: found no livenessProbe; required a livenessProbe on port 4001 path /health/liveliness. Fix: add livenessProbe.httpGet {{port: 4001, path: /health/liveliness}}", k8s["proxy"].urn),
        (f"[H2] {PROXY}: found no readinessProbe; required a readinessProbe on port 4001 path /health/readiness. Fix: add readinessProbe.httpGet {{port: 4001, path: /health/readiness}}", k8s["proxy"].urn),
    ]


def test_h2_an_unknown_probe_defers_in_full(k8s):
    container(k8s["proxy"])["livenessProbe"] = UNKNOWN
    assert [(v.message, v.urn) for v in run(k8s) if v.rule_id == "H2"] == [
        (f"[H2] deferred: value unknown until apply: livenessProbe of {PROXY} (policy litellm-h2-probes-on-health-port)", k8s["proxy"].urn)
    ]


@pytest.mark.parametrize("handler", ["httpGet", "exec", "tcpSocket", "grpc"])
def test_h2_a_probe_handler_unknown_until_apply_defers(k8s, handler):
    container(k8s["proxy"])["livenessProbe"] = {handler: UNKNOWN, "timeoutSeconds": 5}
    assert found_of(run(k8s), "H2") == [(PROXY, "deferred: livenessProbe port/path")]


def test_h2_an_exec_probe_whose_command_is_unknown_defers(k8s):
    container(k8s["proxy"])["livenessProbe"] = {"exec": {"command": UNKNOWN}, "timeoutSeconds": 5}
    assert found_of(run(k8s), "H2") == [(PROXY, "deferred: livenessProbe port/path")]


def test_h2_a_probe_without_handler_says_so(k8s):
    container(k8s["proxy"])["livenessProbe"] = {"timeoutSeconds": 5}
    assert found_of(run(k8s), "H2") == [(PROXY, "livenessProbe no handler on port nothing (not set) path nothing (not set)")]


def test_h2_without_a_health_app_the_fix_names_its_default_port(k8s, docker):
    """With SEPARATE_HEALTH_APP off there is no health port to compare with: every probe is
    wrong, and the fix points at the health app's default port, 4001 (H1 reports the app)."""
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", remove=True)
    assert messages(run(k8s), "H2") == [
        f"[H2] {PROXY}: found livenessProbe httpGet on port 4001 path '/health/liveliness'; required the separate health app's"
        " port (none: see H1) path /health/liveliness or /health/liveness. Fix: set livenessProbe.httpGet to port 4001 path /health/liveliness",
        f"[H2] {PROXY}: found readinessProbe httpGet on port 4001 path '/health/readiness'; required the separate health app's"
        " port (none: see H1) path /health/readiness. Fix: set readinessProbe.httpGet to port 4001 path /health/readiness",
    ]
    set_envs(docker["proxy"].props, "SEPARATE_HEALTH_APP", remove=True)
    assert [(v.message, v.urn) for v in run(docker) if v.rule_id == "H2"] == [
        ("[H2] Container 'litellm-proxy': found healthcheck on port 4001 path '/health/liveliness'; required the separate"
         " health app's port (none: see H1) path /health/liveliness or /health/readiness. Fix: set healthcheck tests to curl"
         " http://localhost:4001/health/liveliness", docker["proxy"].urn)
    ]


@pytest.mark.parametrize(
    ("test", "ok"),
    [
        (["CMD", "curl", "-fsS", "http://localhost:4001/health/liveliness"], True),
        (["CMD", "curl", "-fsS", "http://localhost:4001/health/readiness"], True),
        (["CMD-SHELL", "curl -f http://127.0.0.1:4001/health/liveness || exit 1"], True),
        (["CMD", "curl", "-fsS", "http://localhost:4000/health/liveliness"], False),
        (["CMD", "curl", "-fsS", "http://localhost:4001/metrics"], False),
    ],
)
def test_h2_docker_healthcheck_targets(docker, test, ok):
    docker["proxy"].props["healthcheck"]["tests"] = test
    assert (not findings(run(docker), "H2")) == ok


def test_h2_a_docker_healthcheck_on_the_proxy_port_in_full(docker):
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD", "curl", "-fsS", "http://localhost:4000/health/liveliness"]
    assert [(v.message, v.urn) for v in run(docker) if v.rule_id == "H2"] == [
        ("[H2] Container 'litellm-proxy': found healthcheck on port 4000 path '/health/liveliness'; required port 4001 path"
         " /health/liveliness or /health/readiness. Fix: set healthcheck tests to curl http://localhost:4001/health/liveliness", docker["proxy"].urn)
    ]


def test_h2_health_settings_from_a_configmap_are_read(k8s):
    """SEPARATE_HEALTH_APP/PORT given through a ConfigMap of the stack: the stack rule reads it
    there and judges the probes, instead of deferring as if the values were unknown."""
    health_configmap(k8s)
    c = container(k8s["proxy"])
    assert not findings(run(k8s), "H2")
    c["readinessProbe"]["httpGet"]["port"] = 4000
    assert found_of(run(k8s), "H2") == [(PROXY, "readinessProbe httpGet on port 4000 path '/health/readiness'")]


def test_h2_a_readiness_probe_is_required(k8s):
    container(k8s["proxy"]).pop("readinessProbe")
    assert found_of(run(k8s), "H2") == [(PROXY, "no readinessProbe")]


def test_h3_every_probe_is_judged_the_startup_probe_too(k8s):
    c = container(k8s["proxy"])
    c.pop("livenessProbe")
    c["readinessProbe"]["timeoutSeconds"] = 10
    c["startupProbe"] = {"httpGet": {"path": "/health/readiness", "port": 4001}, "timeoutSeconds": 30}
    assert found_of(run(k8s), "H3") == [(PROXY, "readinessProbe.timeoutSeconds 10"), (PROXY, "startupProbe.timeoutSeconds 30")]


def test_h3_deferrals_and_the_docker_default_in_full(k8s, docker):
    container(k8s["proxy"])["readinessProbe"]["timeoutSeconds"] = UNKNOWN
    assert [v.message for v in run(k8s) if v.rule_id == "H3"] == [
        f"[H3] deferred: value unknown until apply: readinessProbe.timeoutSeconds of {PROXY} (policy litellm-h3-probe-timeout)"
    ]
    docker["proxy"].props["healthcheck"]["timeout"] = UNKNOWN
    assert [v.message for v in run(docker) if v.rule_id == "H3"] == [
        "[H3] deferred: value unknown until apply: healthcheck.timeout of Container 'litellm-proxy' (policy litellm-h3-probe-timeout)"
    ]
    docker["proxy"].props["healthcheck"].pop("timeout")
    assert messages(run(docker), "H3") == [
        "[H3] Container 'litellm-proxy': found no healthcheck.timeout (Docker runs 30s); required ≤ 5s. Fix: set healthcheck timeout '5s'"
    ]


# ------------------------------------------- O2-O3: every proxy judged, values read where they are

WEBHOOK = "https://hooks.example/T000/B000/XXXX"


def own_config(stack, res, edit) -> None:
    """Gives the proxy workload `res` a ConfigMap of its own (`<name>-config`), edited by `edit`,
    so two proxies of one stack can run different LiteLLM configs."""
    name = f"{res.name}-config"
    data = yaml.safe_load(stack["config"].props["data"]["config.yaml"])
    edit(data)
    stack[name] = R(T_CM, name, {"metadata": {"name": name, "namespace": "litellm"}, "data": {"config.yaml": yaml.safe_dump(data)}})
    for v in res.props["spec"]["template"]["spec"]["volumes"]:
        if "configMap" in v:
            v["configMap"]["name"] = name


def test_o3_a_compliant_multi_worker_proxy_passes(k8s, docker):
    assert not findings(run(k8s), "O3") and not findings(run(docker), "O3")


def test_o3_a_single_worker_container_does_not_hide_the_next_one(k8s):
    b = second_proxy_container(k8s["proxy"])
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--num_workers", "1")
    b["args"] = set_arg(b["args"], "--prometheus_metrics_port", remove=True)
    assert found_of(run(k8s), "O3") == [(PROXY_B, "4 workers and no --prometheus_metrics_port")]


def test_o3_deferral_of_the_metrics_settings_in_full(k8s, docker):
    set_env(container(k8s["proxy"]), "PROMETHEUS_MULTIPROC_DIR", UNKNOWN)
    assert [v.message for v in run(k8s) if v.rule_id == "O3"] == [
        f"[O3] deferred: value unknown until apply: --prometheus_metrics_port / PROMETHEUS_MULTIPROC_DIR of {PROXY} (policy litellm-o3-separate-metrics-process)"
    ]
    docker["proxy"].props["command"] = UNKNOWN
    assert found_of(run(docker), "O3") == [("Container 'litellm-proxy'", "deferred: whether it is the proxy or a one-shot job (its command)")]


def test_o2_judges_every_proxy_workload(k8s):
    second_proxy(k8s)
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting"))
    assert found_of(run(k8s), "O2") == [(PROXY, "SLACK_WEBHOOK_URL set but general_settings.alerting lacks 'slack'"),
                                        (CANARY, "SLACK_WEBHOOK_URL set but general_settings.alerting lacks 'slack'")]  # fmt: skip
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert found_of(run(k8s), "O2") == [(PROXY, "deferred: general_settings.alerting"), (CANARY, "deferred: general_settings.alerting")]


@pytest.mark.parametrize(
    ("first", "found"),
    [
        (lambda d: d["general_settings"].pop("alerting"), "SLACK_WEBHOOK_URL set but general_settings.alerting lacks 'slack'"),
        (lambda d: None, None),
    ],
)
def test_o2_a_first_proxy_passing_or_failing_does_not_hide_the_second(k8s, first, found):
    """The canary runs its own config with a threshold above the request timeout: reported
    whatever the first proxy's verdict."""
    second_proxy(k8s)
    own_config(k8s, k8s["proxy2"], lambda d: d["general_settings"].update(alerting_threshold=900))
    update_config(k8s["config"], first)
    expected = [(PROXY, found)] if found else []
    assert found_of(run(k8s), "O2") == expected + [(CANARY, "alerting_threshold 900 s with request_timeout 600 s: slow responses would never alert")]


def test_o2_without_webhook_or_slack_the_second_proxy_is_still_judged(k8s):
    second_proxy(k8s)
    own_config(k8s, k8s["proxy2"], lambda d: d["general_settings"].update(alerting_threshold=900))
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", remove=True)
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting"))
    assert found_of(run(k8s), "O2") == [(CANARY, "alerting_threshold 900 s with request_timeout 600 s: slow responses would never alert")]


def test_o2_findings_point_at_the_proxy_workload(k8s):
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting"))
    assert [v.urn for v in run(k8s) if v.rule_id == "O2"] == [k8s["proxy"].urn]
    update_config(k8s["config"], lambda d: d["general_settings"].update(alerting=["slack"], alerting_threshold=900))
    assert [v.urn for v in run(k8s) if v.rule_id == "O2"] == [k8s["proxy"].urn]


def test_o2_unknown_config_deferral_in_full(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert [(v.message, v.urn) for v in run(k8s) if v.rule_id == "O2"] == [
        (f"[O2] deferred: value unknown until apply: general_settings.alerting of {PROXY} (policy litellm-o2-slack-alerting)", k8s["proxy"].urn)
    ]


def test_o2_an_unknown_config_reference_defers(k8s):
    """Which ConfigMap the proxy mounts is known only at apply: with a webhook, O2 waits."""
    for v in pod(k8s["proxy"])["volumes"]:
        if "configMap" in v:
            v["configMap"]["name"] = UNKNOWN
    assert found_of(run(k8s), "O2") == [(PROXY, "deferred: general_settings.alerting")]


def test_o2_the_webhook_through_envfrom_of_a_secret_is_seen(k8s):
    """SLACK_WEBHOOK_URL delivered by `envFrom: secretRef`: the stack rule lists the Secret's keys."""
    c = container(k8s["proxy"])
    set_env(c, "SLACK_WEBHOOK_URL", remove=True)
    k8s["alerts"] = R(T_SECRET, "litellm-alerts", {"metadata": {"name": "litellm-alerts", "namespace": "litellm"}, "type": "Opaque", "stringData": {"SLACK_WEBHOOK_URL": WEBHOOK}})
    c["envFrom"] = [{"secretRef": {"name": "litellm-alerts"}}]
    assert not findings(run(k8s), "O2")
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting"))
    assert found_of(run(k8s), "O2") == [(PROXY, "SLACK_WEBHOOK_URL set but general_settings.alerting lacks 'slack'")]


def test_o2_slack_alerting_with_a_secret_that_lacks_the_webhook(k8s):
    """Every env source is known (a Secret of the stack without the key): a definite violation, not a deferral."""
    c = container(k8s["proxy"])
    set_env(c, "SLACK_WEBHOOK_URL", remove=True)
    k8s["alerts"] = R(T_SECRET, "litellm-alerts", {"metadata": {"name": "litellm-alerts", "namespace": "litellm"}, "type": "Opaque", "stringData": {"OTHER": "x"}})
    c["envFrom"] = [{"secretRef": {"name": "litellm-alerts"}}]
    assert found_of(run(k8s), "O2") == [(PROXY, "alerting ['slack'] without SLACK_WEBHOOK_URL")]


def test_o2_an_empty_webhook_from_a_configmap_turns_alerting_off(k8s):
    k8s["alerts"] = R(T_CM, "litellm-alerts", {"metadata": {"name": "litellm-alerts", "namespace": "litellm"}, "data": {"webhook": ""}})
    set_env(container(k8s["proxy"]), "SLACK_WEBHOOK_URL", value_from={"configMapKeyRef": {"name": "litellm-alerts", "key": "webhook"}})
    update_config(k8s["config"], lambda d: d["general_settings"].pop("alerting"))
    assert not findings(run(k8s), "O2")


def health_configmap(k8s, app: str = "1", port: str = "4001") -> None:
    """SEPARATE_HEALTH_APP/PORT delivered through a ConfigMap of the stack (configMapKeyRef)."""
    k8s["health_cm"] = R(T_CM, "litellm-health", {"metadata": {"name": "litellm-health", "namespace": "litellm"}, "data": {"app": app, "port": port}})
    c = container(k8s["proxy"])
    for name, key in (("SEPARATE_HEALTH_APP", "app"), ("SEPARATE_HEALTH_PORT", "port")):
        set_env(c, name, value_from={"configMapKeyRef": {"name": "litellm-health", "key": key}})


@pytest.mark.parametrize(("app", "port", "found"), [("1", "4001", None), ("0", "4001", "SEPARATE_HEALTH_APP '0'"),
                                                     ("1", "4000", "SEPARATE_HEALTH_PORT '4000' equal to the proxy port")])  # fmt: skip
def test_h1_settings_from_a_configmap_of_the_stack_are_judged(k8s, app, port, found):
    """The ConfigMap is in the stack: H1 reads it there and judges, never defers."""
    health_configmap(k8s, app, port)
    assert found_of(run(k8s), "H1") == ([(PROXY, found)] if found else [])


def test_h1_a_setting_from_a_configmap_outside_the_stack_defers_naming_it(k8s):
    set_env(container(k8s["proxy"]), "SEPARATE_HEALTH_APP", value_from={"configMapKeyRef": {"name": "litellm-health", "key": "app"}})
    assert [v.message for v in run(k8s) if v.rule_id == "H1"] == [
        f"[H1] deferred: value unknown until apply: SEPARATE_HEALTH_APP (it comes from ConfigMap litellm-health (configMapKeyRef),"
        f" not found in the stack) of {PROXY} (policy litellm-h1-separate-health-app)"
    ]


def test_h2_without_a_health_app_a_missing_probe_or_healthcheck_names_port_4001(k8s, docker):
    c = container(k8s["proxy"])
    set_env(c, "SEPARATE_HEALTH_APP", remove=True)
    c.pop("livenessProbe")
    (m, _) = messages(run(k8s), "H2")
    assert m.endswith("Fix: add livenessProbe.httpGet {port: 4001, path: /health/liveliness}"), m
    set_envs(docker["proxy"].props, "SEPARATE_HEALTH_APP", remove=True)
    docker["proxy"].props.pop("healthcheck")
    (m,) = messages(run(docker), "H2")
    assert m.endswith("Fix: add healthcheck tests ['CMD', 'curl', '-fsS', 'http://localhost:4001/health/liveliness']"), m


@pytest.mark.parametrize("name", ["PROMETHEUS_MULTIPROC_DIR", "PROMETHEUS_METRICS_PORT", "NUM_WORKERS"])
def test_o3_settings_from_a_configmap_of_the_stack_are_read(k8s, name):
    """The metrics directory, the metrics port or the worker count from a ConfigMap of the
    stack: O3 reads them there and passes, or reports what the value says."""
    values = {"PROMETHEUS_MULTIPROC_DIR": "/tmp/prometheus", "PROMETHEUS_METRICS_PORT": "9090", "NUM_WORKERS": "4"}
    k8s["metrics_cm"] = R(T_CM, "litellm-metrics", {"metadata": {"name": "litellm-metrics", "namespace": "litellm"}, "data": {"v": values[name]}})
    c = container(k8s["proxy"])
    flag = {"PROMETHEUS_METRICS_PORT": "--prometheus_metrics_port", "NUM_WORKERS": "--num_workers"}.get(name)
    if flag:
        c["args"] = set_arg(c["args"], flag, remove=True)
    set_env(c, name, value_from={"configMapKeyRef": {"name": "litellm-metrics", "key": "v"}})
    assert not findings(run(k8s), "O3")
    if name == "NUM_WORKERS":
        set_env(c, "PROMETHEUS_MULTIPROC_DIR", remove=True)
        assert found_of(run(k8s), "O3") == [(PROXY, "4 workers and no PROMETHEUS_MULTIPROC_DIR")]


# ------------------------------------------- H2: an exec probe must be able to fail (issue 15)

CANNOT_FAIL = "a livenessProbe command that cannot fail when the health app does: "
URL = "http://localhost:4001/health/liveliness"


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (["curl", "-sf", URL], None),
        (["curl", "--fail", URL], None),
        (["curl", "--fail-with-body", URL], None),
        (["/usr/bin/curl", "-f", URL], None),
        (["/bin/sh", "-c", f"curl -f {URL}"], None),
        (["/usr/bin/wget", "-q", URL], None),
        (["python3", "-c", f"import urllib.request as u; u.urlopen('{URL}')"], None),
        (["curl", URL], "curl without -f/--fail (it exits 0 on an HTTP error status)"),
        (["curl", "--silent", URL], "curl without -f/--fail (it exits 0 on an HTTP error status)"),
        (["sh", "-c", f"curl -f {URL} && echo ok"], f"a shell script ('curl -f {URL} && echo ok') whose exit status is not the request's"),
        (["sh", "-c", f"curl -f {URL} | cat"], f"a shell script ('curl -f {URL} | cat') whose exit status is not the request's"),
        (["sh", "-c", f"curl -f '{URL}"], "a shell script that does not parse"),
        (["sh", "-c", ""], "an empty command"),
        ([], "no command"),
        (["python3", "-c", f"import urllib.request as u\ntry: u.urlopen('{URL}')\nexcept: pass"],
         "python code that does not just urlopen the URL (an error must fail it)"),
        (["python3", "-c", f"print('{URL}')"], "python code that does not just urlopen the URL (an error must fail it)"),
        (["python3", "-c"], "python code that does not just urlopen the URL (an error must fail it)"),
        (["python", "check.py", URL], "'python', not an HTTP client whose exit status is the request's"),
        (["echo", URL], "'echo', not an HTTP client whose exit status is the request's"),
        (["wget", "-q", URL, "http://localhost:4000/health/liveliness"], "more than one URL requested"),
        (["wget", "-q"], "no URL requested"),
        (["wget", URL], None),
        (["curl", "--retry-connrefused", URL], "curl without -f/--fail (it exits 0 on an HTTP error status)"),
    ],
)  # fmt: skip
def test_h2_an_exec_probe_passes_only_when_its_exit_status_is_the_requests(k8s, command, problem):
    container(k8s["proxy"])["livenessProbe"] = {"exec": {"command": command}, "timeoutSeconds": 5}
    assert found_of(run(k8s), "H2") == ([(PROXY, CANNOT_FAIL + problem)] if problem else [])


def test_h2_a_probe_that_cannot_fail_in_full(k8s, docker):
    container(k8s["proxy"])["readinessProbe"] = {"exec": {"command": ["curl", "http://localhost:4001/health/readiness"]}, "timeoutSeconds": 5}
    assert [(v.message, v.urn) for v in run(k8s) if v.rule_id == "H2"] == [
        (f"[H2] {PROXY}: found a readinessProbe command that cannot fail when the health app does: curl without -f/--fail (it exits 0"
         " on an HTTP error status); required an httpGet probe, or an exec of curl -f/--fail, wget, or python's urllib urlopen of the"
         " health URL, alone (a shell may add `|| exit 1`). Fix: use httpGet {port: 4001, path: /health/readiness} (Docker: ['CMD',"
         " 'curl', '-fsS', 'http://localhost:4001/health/readiness'])", k8s["proxy"].urn)
    ]
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD", "curl", URL]
    assert [(v.message, v.urn) for v in run(docker) if v.rule_id == "H2"] == [
        ("[H2] Container 'litellm-proxy': found a healthcheck command that cannot fail when the health app does: curl without -f/--fail"
         " (it exits 0 on an HTTP error status); required an httpGet probe, or an exec of curl -f/--fail, wget, or python's urllib"
         " urlopen of the health URL, alone (a shell may add `|| exit 1`). Fix: use httpGet {port: 4001, path: /health/liveliness}"
         " (Docker: ['CMD', 'curl', '-fsS', 'http://localhost:4001/health/liveliness'])", docker["proxy"].urn)
    ]


def test_h2_without_a_health_app_a_probe_that_cannot_fail_names_port_4001(k8s):
    c = container(k8s["proxy"])
    set_env(c, "SEPARATE_HEALTH_APP", remove=True)
    c["livenessProbe"] = {"exec": {"command": ["curl", URL]}, "timeoutSeconds": 5}
    first = messages(run(k8s), "H2")[0]
    assert "Fix: use httpGet {port: 4001, path: /health/liveliness}" in first, first


def test_h2_a_probe_that_cannot_fail_does_not_hide_the_next_probe_or_proxy(k8s, docker):
    c = container(k8s["proxy"])
    c["livenessProbe"] = {"exec": {"command": ["curl", URL]}, "timeoutSeconds": 5}
    c["readinessProbe"]["httpGet"]["port"] = 4000
    assert found_of(run(k8s), "H2") == [(PROXY, CANNOT_FAIL + "curl without -f/--fail (it exits 0 on an HTTP error status)"),
                                        (PROXY, "readinessProbe httpGet on port 4000 path '/health/readiness'")]  # fmt: skip
    second_proxy(docker)
    for res in (docker["proxy"], docker["proxy2"]):
        res.props["healthcheck"]["tests"] = ["CMD", "curl", URL]
    problem = "a healthcheck command that cannot fail when the health app does: curl without -f/--fail (it exits 0 on an HTTP error status)"
    assert found_of(run(docker), "H2") == [("Container 'litellm-proxy'", problem), ("Container 'litellm-proxy-2'", problem)]


@pytest.mark.parametrize(
    ("timeout", "found"),
    [("0s", "healthcheck.timeout '0s' (Docker runs 30s)"), (0, "healthcheck.timeout 0 (Docker runs 30s)"),
     ("30s", "healthcheck.timeout '30s'"), ("6s", "healthcheck.timeout '6s'"), ("5s", None), ("1s", None)],
)  # fmt: skip
def test_h3_a_zero_docker_timeout_is_the_30s_docker_runs_and_says_so(docker, timeout, found):
    """The provider reads an unset timeout back as 0s, which Docker runs as 30 s: a violation
    that says so; an explicit 30s is reported as written."""
    docker["proxy"].props["healthcheck"]["timeout"] = timeout
    assert found_of(run(docker), "H3") == ([("Container 'litellm-proxy'", found)] if found else [])


def test_o2_slack_alerting_without_a_webhook_is_reported_for_every_proxy(k8s):
    second_proxy(k8s)
    for res in (k8s["proxy"], k8s["proxy2"]):
        set_env(container(res), "SLACK_WEBHOOK_URL", remove=True)
    assert found_of(run(k8s), "O2") == [(PROXY, "alerting ['slack'] without SLACK_WEBHOOK_URL"), (CANARY, "alerting ['slack'] without SLACK_WEBHOOK_URL")]


@pytest.mark.parametrize("script", [f"curl -f {URL}; exit 0", f"curl -f {URL}\nexit 0", f"curl -f `echo {URL}`", f"curl -f $(echo {URL})"])
def test_h2_a_shell_script_that_runs_more_than_the_request_cannot_fail(k8s, script):
    """`;`, a new line or a command substitution: the script's exit status is another command's."""
    container(k8s["proxy"])["livenessProbe"] = {"exec": {"command": ["sh", "-c", script]}, "timeoutSeconds": 5}
    assert found_of(run(k8s), "H2") == [(PROXY, CANNOT_FAIL + f"a shell script ({script!r}) whose exit status is not the request's")]


def test_h2_the_fix_of_a_probe_that_cannot_fail_names_the_configured_health_port(k8s, docker):
    c = container(k8s["proxy"])
    set_env(c, "SEPARATE_HEALTH_PORT", "4101")
    c["readinessProbe"] = {"httpGet": {"path": "/health/readiness", "port": 4101}, "timeoutSeconds": 5}
    c["livenessProbe"] = {"exec": {"command": ["curl", "http://localhost:4101/health/liveliness"]}, "timeoutSeconds": 5}
    (m,) = messages(run(k8s), "H2")
    assert "Fix: use httpGet {port: 4101, path: /health/liveliness}" in m, m
    set_envs(docker["proxy"].props, "SEPARATE_HEALTH_PORT", "4101")
    docker["proxy"].props["healthcheck"]["tests"] = ["CMD", "curl", "http://localhost:4101/health/liveliness"]
    (m,) = messages(run(docker), "H2")
    assert "Fix: use httpGet {port: 4101, path: /health/liveliness}" in m, m


def test_h1_the_proxy_port_from_a_configmap_of_the_stack_is_compared(k8s):
    """PORT read from a ConfigMap of the stack: a health port equal to it is reported, not deferred."""
    k8s["port_cm"] = R(T_CM, "litellm-port", {"metadata": {"name": "litellm-port", "namespace": "litellm"}, "data": {"port": "4001"}})
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--port", remove=True)
    set_env(c, "PORT", value_from={"configMapKeyRef": {"name": "litellm-port", "key": "port"}})
    assert found_of(run(k8s), "H1") == [(PROXY, "SEPARATE_HEALTH_PORT '4001' equal to the proxy port")]

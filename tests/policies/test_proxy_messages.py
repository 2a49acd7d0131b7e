"""P1-P10 (proxy.py): every finding of a rule in full, as (message, resource), deferred ones
included: what an operator reads, and where it is filed. Each test starts from a compliant stack
of policy_fixtures, changes one thing and pins the rule's whole finding list; boundaries are
pinned from both sides (memory exactly at the need passes, one byte less fails)."""

import pytest

from litellm_policies import UNKNOWN

from .policy_fixtures import (
    T_CM,
    R,
    container,
    pod,
    reported,
    run,
    second_proxy,
    second_proxy_container,
    set_arg,
    set_env,
    set_envs,
    update_config,
)

PROXY = "Deployment 'litellm-proxy' container 'proxy'"
PROXY_B = "Deployment 'litellm-proxy' container 'proxy-b'"
DOCKER = "Container 'litellm-proxy'"
DOCKER_2 = "Container 'litellm-proxy-2'"
CONFIG = "ConfigMap 'litellm-config' key 'config.yaml'"
DEFER = "deferred: value unknown until apply"
MIB = 2**20
RULES = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10")


def env_config_map(stack, data, name="proxy-env"):
    """A ConfigMap of the stack the proxy reads env vars from (so the resource policy alone,
    which sees one resource, cannot judge them and the -in-stack twin must)."""
    stack["env_cm"] = R(T_CM, name, {"metadata": {"name": name, "namespace": "litellm"}, "data": data})


def from_config_map(key, name="proxy-env"):
    return {"configMapKeyRef": {"name": name, "key": key}}


def test_the_compliant_stacks_have_no_proxy_finding(k8s, docker):
    for stack in (k8s, docker):
        vs = run(stack)
        assert {rule: reported(vs, rule) for rule in RULES} == {rule: [] for rule in RULES}


@pytest.mark.parametrize(
    ("rule", "policy"),
    [
        ("P1", "litellm-p1-workers-match-cpu"),
        ("P2", "litellm-p2-process-manager"),
        ("P3", "litellm-p3-worker-recycling"),
        ("P5", "litellm-p5-resources"),
        ("P6", "litellm-p6-production-mode"),
    ],
)
def test_a_litellm_container_of_unknown_command_defers_each_proxy_rule(docker, rule, policy):
    """Docker computes the entrypoint the program leaves to the image: with the args unknown
    too, the container may be the proxy or a one-shot job, and no rule guesses which."""
    docker["proxy"].props["command"] = UNKNOWN
    docker["proxy"].props["entrypoints"] = UNKNOWN
    assert reported(run(docker), rule) == [
        (f"[{rule}] {DEFER}: whether it is the proxy or a one-shot job (its command) of {DOCKER} (policy {policy})", docker["proxy"].urn)
    ]


# ---------------------------------------------------------------- P1 / P2: every container


def test_p1_a_deferred_container_does_not_hide_the_next(k8s):
    container(k8s["proxy"])["resources"]["limits"]["cpu"] = UNKNOWN
    second_proxy_container(k8s["proxy"])["resources"]["limits"]["cpu"] = "2"  # 4 workers
    assert reported(run(k8s), "P1") == [
        (
            f"[P1] {PROXY_B}: found 4 workers with a CPU limit of 2 cores; required --num_workers 2 (= the CPU limit in whole cores)."
            " Fix: set --num_workers 2, or change the CPU limit to 4",
            k8s["proxy"].urn,
        ),
        (f"[P1] {DEFER}: --num_workers / the CPU limit of {PROXY} (policy litellm-p1-workers-match-cpu)", k8s["proxy"].urn),
    ]  # a resource rule's violations come first, then the deferrals its -in-stack twin confirms


def test_p2_a_container_under_gunicorn_does_not_hide_the_next(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", "1"), "--run_gunicorn", remove=True)
    c["resources"]["limits"]["cpu"] = "1"
    second_proxy_container(k8s["proxy"])
    c["args"].append("--run_gunicorn")  # the first is managed by gunicorn, the second is not
    assert reported(run(k8s), "P2") == [
        (
            f"[P2] {PROXY_B}: found one uvicorn worker without --run_gunicorn; required --run_gunicorn or --num_workers >= 2."
            " Fix: add --run_gunicorn or raise --num_workers",
            k8s["proxy"].urn,
        )
    ]


# ---------------------------------------------------------------- P3

P3_FIX = "required recycling after 10000 requests. Fix: pass --max_requests_before_restart 10000 and set MAX_REQUESTS_BEFORE_RESTART=10000"


def test_p3_the_arg_from_a_variable_of_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", "$(RECYCLE_AFTER)")
    set_env(c, "RECYCLE_AFTER", value_from=from_config_map("recycle"))
    env_config_map(k8s, {"recycle": "500"})
    assert reported(run(k8s), "P3") == [(f"[P3] {PROXY}: found --max_requests_before_restart '500'; {P3_FIX}", k8s["proxy"].urn)]


def test_p3_the_arg_alone_is_enough(k8s):
    set_env(container(k8s["proxy"]), "MAX_REQUESTS_BEFORE_RESTART", remove=True)
    assert reported(run(k8s), "P3") == []


def test_p3_no_arg_and_the_env_set_beside_an_env_from_outside_the_stack(k8s):
    """The env var is set in the container's own env; an envFrom of a Secret the stack does not
    hold cannot hide it (the container's env wins), so P3 judges it and it passes."""
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", remove=True)
    c["envFrom"] = [{"secretRef": {"name": "elsewhere"}}]
    assert reported(run(k8s), "P3") == []


def test_p3_the_env_set_at_apply_beside_the_arg_defers(k8s):
    """The arg says 10000 and MAX_REQUESTS_BEFORE_RESTART is computed at apply: it may disagree
    with the arg, so the pair is judged on the next preview, never passed on the arg alone."""
    set_env(container(k8s["proxy"]), "MAX_REQUESTS_BEFORE_RESTART", UNKNOWN)
    assert reported(run(k8s), "P3") == [
        (f"[P3] {DEFER}: MAX_REQUESTS_BEFORE_RESTART beside --max_requests_before_restart of {PROXY} (policy litellm-p3-worker-recycling)", k8s["proxy"].urn),
    ]


def test_p3_a_deferred_container_does_not_hide_the_next(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", UNKNOWN)
    b = second_proxy_container(k8s["proxy"])
    b["args"] = set_arg(b["args"], "--max_requests_before_restart", "500")
    assert reported(run(k8s), "P3") == [
        (f"[P3] {PROXY_B}: found --max_requests_before_restart '500'; {P3_FIX}", k8s["proxy"].urn),
        (f"[P3] {DEFER}: --max_requests_before_restart / MAX_REQUESTS_BEFORE_RESTART of {PROXY} (policy litellm-p3-worker-recycling)", k8s["proxy"].urn),
    ]


# ---------------------------------------------------------------- P5


def test_p5_docker_without_cpus_or_memory(docker):
    docker["proxy"].props.pop("cpus")
    assert reported(run(docker), "P5") == [
        (f"[P5] {DOCKER}: found no cpus limit; required cpus from the machine class. Fix: set cpus (e.g. '4') on the container", docker["proxy"].urn)
    ]
    docker["proxy"].props["cpus"] = "2"
    docker["proxy"].props.pop("memory")
    assert reported(run(docker), "P5") == [
        (f"[P5] {DOCKER}: found no memory limit; required memory from the machine class. Fix: set memory (MB) on the container", docker["proxy"].urn)
    ]


def test_p5_kubernetes_each_missing_request_and_limit_is_named(k8s):
    resources = container(k8s["proxy"])["resources"]
    resources.pop("requests")
    resources["limits"].pop("memory")
    assert reported(run(k8s), "P5") == [
        (f"[P5] {PROXY}: found no resources.{kind}.{r}; required resources.{kind}.{r} from the machine class. Fix: set resources.{kind}.{r}", k8s["proxy"].urn)
        for kind, r in (("requests", "cpu"), ("requests", "memory"), ("limits", "memory"))
    ]


@pytest.mark.parametrize(
    ("health", "need_mib", "sum_"),
    [(True, 1838, "4 × 330 MiB + 306 MiB master + 212 MiB health app"), (False, 1626, "4 × 330 MiB + 306 MiB master")],
    ids=["health app", "no health app"],
)
def test_p5_memory_exactly_at_the_need_passes_one_byte_less_fails(k8s, health, need_mib, sum_):
    """4 workers: 4 × 330 MiB + 306 MiB for the master (+ 212 MiB with the separate health app).
    One byte short reads as one MiB less than required, never as the same figure on both sides."""
    c = container(k8s["proxy"])
    if not health:
        set_env(c, "SEPARATE_HEALTH_APP", remove=True)
    c["resources"]["limits"]["memory"] = need_mib * MIB
    assert reported(run(k8s), "P5") == []
    c["resources"]["limits"]["memory"] = need_mib * MIB - 1
    assert reported(run(k8s), "P5") == [
        (
            f"[P5] {PROXY}: found a memory limit of {need_mib - 1} MiB for 4 workers; required ≥ {need_mib} MiB ({sum_})."
            f" Fix: raise the memory limit to at least {need_mib} MiB or lower --num_workers",
            k8s["proxy"].urn,
        )
    ]


def test_p5_memory_messages_in_full(k8s):
    c = container(k8s["proxy"])
    c["resources"]["limits"]["memory"] = "1Gi"
    assert reported(run(k8s), "P5") == [
        (
            f"[P5] {PROXY}: found a memory limit of 1024 MiB for 4 workers; required ≥ 1838 MiB (4 × 330 MiB + 306 MiB master + 212 MiB health app)."
            " Fix: raise the memory limit to at least 1838 MiB or lower --num_workers",
            k8s["proxy"].urn,
        )
    ]
    set_env(c, "SEPARATE_HEALTH_APP", "0")
    c["args"] = set_arg(c["args"], "--num_workers", "2")
    c["resources"]["limits"]["cpu"] = "2"
    c["resources"]["limits"]["memory"] = "512Mi"
    assert reported(run(k8s), "P5") == [
        (
            f"[P5] {PROXY}: found a memory limit of 512 MiB for 2 workers; required ≥ 966 MiB (2 × 330 MiB + 306 MiB master)."
            " Fix: raise the memory limit to at least 966 MiB or lower --num_workers",
            k8s["proxy"].urn,
        )
    ]


def test_p5_workers_and_the_health_app_from_a_config_map_of_the_stack(k8s):
    """8 workers and the health app, both read from a ConfigMap the stack holds: need 3158 MiB."""
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--num_workers", remove=True)
    set_env(c, "NUM_WORKERS", value_from=from_config_map("workers"))
    set_env(c, "SEPARATE_HEALTH_APP", value_from=from_config_map("health"))
    env_config_map(k8s, {"workers": "8", "health": "1"})
    c["resources"]["limits"]["memory"] = 3158 * MIB
    assert reported(run(k8s), "P5") == []
    c["resources"]["limits"]["memory"] = 3158 * MIB - 1
    assert reported(run(k8s), "P5") == [
        (
            f"[P5] {PROXY}: found a memory limit of 3157 MiB for 8 workers; required ≥ 3158 MiB (8 × 330 MiB + 306 MiB master + 212 MiB health app)."
            " Fix: raise the memory limit to at least 3158 MiB or lower --num_workers",
            k8s["proxy"].urn,
        )
    ]


P5_DEFERRED = f"[P5] {DEFER}: the memory limit / workers of {{}} (policy litellm-p5-resources)"


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c["resources"]["limits"].update(memory=UNKNOWN),
        lambda c: c.update(args=set_arg(c["args"], "--num_workers", UNKNOWN)),
        lambda c: set_env(c, "SEPARATE_HEALTH_APP", UNKNOWN),
    ],
    ids=["memory", "workers", "health app"],
)
def test_p5_an_unknown_memory_limit_workers_or_health_app_defers(k8s, edit):
    edit(container(k8s["proxy"]))
    assert reported(run(k8s), "P5") == [(P5_DEFERRED.format(PROXY), k8s["proxy"].urn)]


def test_p5_a_container_without_a_memory_limit_or_deferred_does_not_hide_the_next(k8s):
    c = container(k8s["proxy"])
    b = second_proxy_container(k8s["proxy"])
    b["resources"]["limits"]["memory"] = "1Gi"
    low = (
        f"[P5] {PROXY_B}: found a memory limit of 1024 MiB for 4 workers; required ≥ 1838 MiB (4 × 330 MiB + 306 MiB master + 212 MiB health app)."
        " Fix: raise the memory limit to at least 1838 MiB or lower --num_workers"
    )
    c["resources"]["limits"].pop("memory")
    assert reported(run(k8s), "P5") == [
        (f"[P5] {PROXY}: found no resources.limits.memory; required resources.limits.memory from the machine class. Fix: set resources.limits.memory", k8s["proxy"].urn),
        (low, k8s["proxy"].urn),
    ]
    c["resources"]["limits"]["memory"] = UNKNOWN
    assert reported(run(k8s), "P5") == [(low, k8s["proxy"].urn), (P5_DEFERRED.format(PROXY), k8s["proxy"].urn)]


# ---------------------------------------------------------------- P6: production mode


def _p6(name, found, want):
    return f"[P6] {PROXY}: found {name} {found}; required {name}={want}. Fix: set the env var {name}={want}"


def test_p6_mode_and_log_level_messages_in_full(k8s):
    c = container(k8s["proxy"])
    set_env(c, "LITELLM_MODE", "DEV")
    set_env(c, "LITELLM_LOG", remove=True)
    assert reported(run(k8s), "P6") == [
        (_p6("LITELLM_MODE", "'DEV'", "PRODUCTION"), k8s["proxy"].urn),
        (_p6("LITELLM_LOG", "nothing (not set)", "ERROR"), k8s["proxy"].urn),
    ]
    set_env(c, "LITELLM_MODE", " production ")  # compared trimmed, in any case
    set_env(c, "LITELLM_LOG", "error")
    assert reported(run(k8s), "P6") == []


def test_p6_an_env_var_from_a_config_map_missing_from_the_stack_defers_saying_so(k8s):
    c = container(k8s["proxy"])
    set_env(c, "LITELLM_MODE", UNKNOWN)
    set_env(c, "LITELLM_LOG", value_from=from_config_map("log", name="missing"))
    assert reported(run(k8s), "P6") == [
        (f"[P6] {DEFER}: LITELLM_MODE (value unknown until apply) of {PROXY} (policy litellm-p6-production-mode)", k8s["proxy"].urn),
        (
            f"[P6] {DEFER}: LITELLM_LOG (it comes from ConfigMap missing (configMapKeyRef), not found in the stack) of {PROXY}"
            " (policy litellm-p6-production-mode)",
            k8s["proxy"].urn,
        ),
    ]


def test_p6_json_logs_false_from_a_config_map_of_the_stack(k8s):
    set_env(container(k8s["proxy"]), "JSON_LOGS", value_from=from_config_map("json"))
    env_config_map(k8s, {"json": "false"})
    assert reported(run(k8s), "P6") == [
        (f"[P6] {PROXY}: found JSON_LOGS 'false'; required JSON_LOGS=true. Fix: set JSON_LOGS=true", k8s["proxy"].urn)
    ]


@pytest.mark.parametrize("flag", ["--debug", "--detailed_debug"])
def test_p6_debug_flags(k8s, flag):
    container(k8s["proxy"])["args"].append(flag)
    assert reported(run(k8s), "P6") == [
        (
            f"[P6] {PROXY}: found --debug/--detailed_debug in the args; required no debug logging. Fix: remove --debug/--detailed_debug",
            k8s["proxy"].urn,
        )
    ]


# ---------------------------------------------------------------- P6: the config (quiet, JSON logs)


def test_p6_verbose_config_and_json_logs_false_in_it(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].update(set_verbose=True, json_logs=False))
    assert reported(run(k8s), "P6") == [
        (f"[P6] {CONFIG}: found litellm_settings.set_verbose true; required false. Fix: set litellm_settings.set_verbose: false", k8s["config"].urn),
        (f"[P6] {CONFIG}: found litellm_settings.json_logs false; required true. Fix: set litellm_settings.json_logs: true", k8s["config"].urn),
    ]  # JSON_LOGS=true in the env still gives JSON logs: no finding of litellm-p6-json-logs


def test_p6_json_logs_from_the_config_alone(k8s):
    set_env(container(k8s["proxy"]), "JSON_LOGS", remove=True)
    assert reported(run(k8s), "P6") == []
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("json_logs"))
    assert reported(run(k8s), "P6") == [
        (
            f"[P6] {PROXY}: found no JSON logs (neither litellm_settings.json_logs nor JSON_LOGS); required json_logs: true."
            " Fix: set litellm_settings.json_logs: true and JSON_LOGS=true",
            k8s["proxy"].urn,
        )
    ]


def test_p6_json_logs_from_a_config_map_of_the_stack(k8s):
    set_env(container(k8s["proxy"]), "JSON_LOGS", value_from=from_config_map("json"))
    env_config_map(k8s, {"json": "true"})
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("json_logs"))
    assert reported(run(k8s), "P6") == []


def test_p6_a_config_computed_at_apply_defers(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    quiet = (f"[P6] {DEFER}: the LiteLLM config content of {CONFIG} (policy litellm-p6-quiet-config)", k8s["config"].urn)
    assert reported(run(k8s), "P6") == [quiet]  # JSON_LOGS=true: the config need not say it
    set_env(container(k8s["proxy"]), "JSON_LOGS", remove=True)
    assert reported(run(k8s), "P6") == [
        quiet,
        (f"[P6] {DEFER}: json_logs in the proxy's config of {PROXY} (policy litellm-p6-json-logs)", k8s["proxy"].urn),
    ]


def test_p6_configs_that_cannot_be_found_yet_defer_json_logs(k8s):
    pod(k8s["proxy"])["volumes"] = UNKNOWN
    set_env(container(k8s["proxy"]), "JSON_LOGS", remove=True)
    assert reported(run(k8s), "P6") == [
        (f"[P6] {DEFER}: json_logs in the proxy's config of {PROXY} (policy litellm-p6-json-logs)", k8s["proxy"].urn)
    ]


def test_p6_an_unknown_json_logs_env_defers_saying_why(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("json_logs"))
    set_env(container(k8s["proxy"]), "JSON_LOGS", value_from=from_config_map("json", name="missing"))
    assert reported(run(k8s), "P6") == [
        (
            f"[P6] {DEFER}: JSON_LOGS (it comes from ConfigMap missing (configMapKeyRef), not found in the stack) of {PROXY}"
            " (policy litellm-p6-json-logs)",
            k8s["proxy"].urn,
        )
    ]


P6_NO_JSON = (
    "found no JSON logs (neither litellm_settings.json_logs nor JSON_LOGS); required json_logs: true."
    " Fix: set litellm_settings.json_logs: true and JSON_LOGS=true"
)


@pytest.mark.parametrize(
    ("first", "first_findings"),
    [
        (lambda r: set_envs(r.props, "JSON_LOGS", "true"), []),  # JSON by its env
        (lambda r: update_config(r, lambda d: d["litellm_settings"].update(json_logs=True)), []),  # by its config
        (
            lambda r: r.props["uploads"][0].update(content=UNKNOWN),
            [
                f"[P6] {DEFER}: the LiteLLM config content of {DOCKER} upload '/app/config.yaml' (policy litellm-p6-quiet-config)",
                f"[P6] {DEFER}: json_logs in the proxy's config of {DOCKER} (policy litellm-p6-json-logs)",
            ],
        ),
        (lambda r: r.props["envs"].append(UNKNOWN), [f"[P6] {DEFER}: JSON_LOGS (an `envs` entry is unknown until apply) of {DOCKER} (policy litellm-p6-json-logs)"]),
    ],
    ids=["env", "config", "config unknown", "env unknown"],
)
def test_p6_json_logs_of_one_proxy_do_not_hide_the_next(docker, first, first_findings):
    """Two Docker proxies, each with its own config upload; neither has JSON logs but the first
    passes (or defers) by one of the ways P6 reads: the second is still reported."""
    second_proxy(docker)
    for res in (docker["proxy"], docker["proxy2"]):
        set_envs(res.props, "JSON_LOGS", remove=True)
        update_config(res, lambda d: d["litellm_settings"].pop("json_logs"))
    first(docker["proxy"])
    expected = [(f, docker["proxy"].urn) for f in first_findings]
    assert reported(run(docker), "P6") == expected + [(f"[P6] {DOCKER_2}: {P6_NO_JSON}", docker["proxy2"].urn)]


# ---------------------------------------------------------------- P4 / P7: graceful shutdown, request timeout

#: the longest request of the fixtures: model gpt-4o's timeout, 900 s, in the config it is read from
MODEL_TIMEOUT = "litellm_params.timeout of model 'gpt-4o' in {}"
K8S_LONGEST = "900 s (" + MODEL_TIMEOUT.format(CONFIG) + ")"
DOCKER_LONGEST = "900 s (" + MODEL_TIMEOUT.format(f"{DOCKER} upload '/app/config.yaml'") + ")"


def _p4_grace(where, found, knob):
    longest = DOCKER_LONGEST if knob == "stop_timeout" else K8S_LONGEST
    return (
        f"[P4] {where}: found {found} below the longest request, {longest};"
        f" required a stop grace ≥ 900 s. Fix: set {knob} above request_timeout (e.g. 900 + drain margin)"
    )


def test_p4_stopwaitsecs_and_a_grace_one_second_short(k8s):
    set_env(container(k8s["proxy"]), "SUPERVISORD_STOPWAITSECS", "600")
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 899
    assert reported(run(k8s), "P4") == [
        (f"[P4] {PROXY}: found SUPERVISORD_STOPWAITSECS '600'; required 3600. Fix: set SUPERVISORD_STOPWAITSECS=3600", k8s["proxy"].urn),
        (_p4_grace(PROXY, "terminationGracePeriodSeconds 899", "terminationGracePeriodSeconds"), k8s["proxy"].urn),
    ]
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 900  # exactly the longest request
    set_env(container(k8s["proxy"]), "SUPERVISORD_STOPWAITSECS", "3600")
    assert reported(run(k8s), "P4") == []


def test_p4_platform_defaults_are_named(k8s, docker):
    pod(k8s["proxy"]).pop("terminationGracePeriodSeconds")
    assert reported(run(k8s), "P4") == [
        (_p4_grace(PROXY, "terminationGracePeriodSeconds 30 (Kubernetes default)", "terminationGracePeriodSeconds"), k8s["proxy"].urn)
    ]
    docker["proxy"].props.pop("stopTimeout")
    assert reported(run(docker), "P4") == [(_p4_grace(DOCKER, "stopTimeout 10 (Docker default)", "stop_timeout"), docker["proxy"].urn)]
    docker["proxy"].props["stopTimeout"] = 100
    assert reported(run(docker), "P4") == [(_p4_grace(DOCKER, "stopTimeout 100", "stop_timeout"), docker["proxy"].urn)]


def test_p4_stopwaitsecs_from_a_config_map_of_the_stack(k8s):
    set_env(container(k8s["proxy"]), "SUPERVISORD_STOPWAITSECS", value_from=from_config_map("stopwait"))
    env_config_map(k8s, {"stopwait": "600"})
    assert reported(run(k8s), "P4") == [
        (f"[P4] {PROXY}: found SUPERVISORD_STOPWAITSECS '600'; required 3600. Fix: set SUPERVISORD_STOPWAITSECS=3600", k8s["proxy"].urn)
    ]


def test_p4_unknowns_defer_saying_which(k8s):
    set_env(container(k8s["proxy"]), "SUPERVISORD_STOPWAITSECS", value_from=from_config_map("stopwait", name="missing"))
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = UNKNOWN
    assert reported(run(k8s), "P4") == [
        (
            f"[P4] {DEFER}: SUPERVISORD_STOPWAITSECS (it comes from ConfigMap missing (configMapKeyRef), not found in the stack) of {PROXY}"
            " (policy litellm-p4-graceful-shutdown)",
            k8s["proxy"].urn,
        ),
        (
            f"[P4] {DEFER}: the stop grace / request_timeout ({MODEL_TIMEOUT.format(CONFIG)}) of {PROXY} (policy litellm-p4-graceful-shutdown)",
            k8s["proxy"].urn,
        ),
    ]


def test_p7_request_timeout_unset_or_other(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("request_timeout"))
    assert reported(run(k8s), "P7") == [
        (
            f"[P7] {CONFIG}: found litellm_settings.request_timeout nothing (not set) (LiteLLM default 6000 s); required 600."
            " Fix: set litellm_settings.request_timeout: 600",
            k8s["config"].urn,
        )
    ]
    update_config(k8s["config"], lambda d: d["litellm_settings"].update(request_timeout=120))
    assert reported(run(k8s), "P7") == [
        (f"[P7] {CONFIG}: found litellm_settings.request_timeout 120; required 600. Fix: set litellm_settings.request_timeout: 600", k8s["config"].urn)
    ]
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert reported(run(k8s), "P7") == [
        (f"[P7] {DEFER}: the LiteLLM config content of {CONFIG} (policy litellm-p7-request-timeout)", k8s["config"].urn)
    ]


# ---------------------------------------------------------------- P8

P8_ONE_WORKER = (
    "found recycling after '10000' requests with 1 worker; required ≥ 2 workers when recycling."
    " Fix: run --num_workers 2 or more (P1: one per core), or drop --max_requests_before_restart"
)


def _p8_jitter(found):
    return (
        f"found no --max_requests_before_restart_jitter ({found}); required a positive jitter so workers do not restart together."
        " Fix: add --max_requests_before_restart_jitter 1000 (10% of the limit)"
    )


def test_p8_one_worker_and_no_jitter_messages_in_full(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", "1"), "--max_requests_before_restart_jitter", remove=True)
    c["resources"]["limits"]["cpu"] = "1"
    assert reported(run(k8s), "P8") == [
        (f"[P8] {PROXY}: {P8_ONE_WORKER}", k8s["proxy"].urn),
        (f"[P8] {PROXY}: {_p8_jitter('nothing (not set)')}", k8s["proxy"].urn),
    ]


@pytest.mark.parametrize(("jitter", "found"), [("0", "0"), ("-5", "-5"), ("1", None)])
def test_p8_jitter_must_be_positive(k8s, jitter, found):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart_jitter", jitter)
    assert reported(run(k8s), "P8") == ([(f"[P8] {PROXY}: {_p8_jitter(found)}", k8s["proxy"].urn)] if found else [])


def test_p8_two_workers_suffice_and_the_values_may_come_from_the_env(docker):
    props = docker["proxy"].props
    cmd = set_arg(props["command"], "--max_requests_before_restart", remove=True)
    props["command"] = set_arg(cmd, "--max_requests_before_restart_jitter", remove=True)
    set_envs(props, "MAX_REQUESTS_BEFORE_RESTART_JITTER", "1000")  # the limit and the jitter from the env
    assert reported(run(docker), "P8") == []
    set_envs(props, "MAX_REQUESTS_BEFORE_RESTART_JITTER", "0")
    assert reported(run(docker), "P8") == [(f"[P8] {DOCKER}: {_p8_jitter('0')}", docker["proxy"].urn)]


def test_p8_values_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", remove=True), "--max_requests_before_restart_jitter", remove=True)
    for name, key in (("NUM_WORKERS", "workers"), ("MAX_REQUESTS_BEFORE_RESTART_JITTER", "jitter")):
        set_env(c, name, value_from=from_config_map(key))
    env_config_map(k8s, {"workers": "1", "jitter": "0"})
    c["resources"]["limits"]["cpu"] = "1"
    assert reported(run(k8s), "P8") == [
        (f"[P8] {PROXY}: {P8_ONE_WORKER}", k8s["proxy"].urn),
        (f"[P8] {PROXY}: {_p8_jitter('0')}", k8s["proxy"].urn),
    ]


@pytest.mark.parametrize("flag", ["--max_requests_before_restart", "--max_requests_before_restart_jitter", "--num_workers"])
def test_p8_an_unknown_setting_defers_and_does_not_hide_the_next_proxy(k8s, flag):
    canary = container(second_proxy(k8s))
    canary["args"] = set_arg(canary["args"], "--max_requests_before_restart_jitter", "0")
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], flag, UNKNOWN)
    assert reported(run(k8s), "P8") == [
        (f"[P8] {DEFER}: workers / recycling / jitter settings of {PROXY} (policy litellm-p8-recycling-needs-workers)", k8s["proxy"].urn),
        (f"[P8] Deployment 'litellm-proxy-canary' container 'proxy': {_p8_jitter('0')}", k8s["proxy2"].urn),
    ]


def test_p8_a_proxy_without_recycling_does_not_hide_the_next(k8s):
    c = container(k8s["proxy"])
    set_env(c, "MAX_REQUESTS_BEFORE_RESTART", remove=True)
    canary = container(second_proxy(k8s))
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", remove=True)
    canary["args"] = set_arg(canary["args"], "--max_requests_before_restart_jitter", "0")
    assert reported(run(k8s), "P8") == [(f"[P8] Deployment 'litellm-proxy-canary' container 'proxy': {_p8_jitter('0')}", k8s["proxy2"].urn)]


# ---------------------------------------------------------------- P9: shutdown order

P9_ORDER = "(policy litellm-p9-shutdown-order)"


def _p9_not_above(where, grace, gst):
    return (
        f"[P9] {where}: found {grace} not above GRACEFUL_SHUTDOWN_TIMEOUT {gst}; required the platform grace > 900 s."
        " Fix: set the platform grace (terminationGracePeriodSeconds / stop_timeout) above 900"
    )


def test_p9_graceful_shutdown_against_the_longest_request(k8s):
    c = container(k8s["proxy"])
    set_env(c, "GRACEFUL_SHUTDOWN_TIMEOUT", "899")  # one second short of the 900 s model timeout
    assert reported(run(k8s), "P9") == [
        (
            f"[P9] {PROXY}: found GRACEFUL_SHUTDOWN_TIMEOUT '899' below the longest request, {K8S_LONGEST}: it is cut at shutdown;"
            " required GRACEFUL_SHUTDOWN_TIMEOUT ≥ 900. Fix: set GRACEFUL_SHUTDOWN_TIMEOUT=900",
            k8s["proxy"].urn,
        )
    ]
    set_env(c, "GRACEFUL_SHUTDOWN_TIMEOUT", remove=True)
    assert reported(run(k8s), "P9") == [
        (
            f"[P9] {PROXY}: found GRACEFUL_SHUTDOWN_TIMEOUT 30 (LiteLLM default) below the longest request, {K8S_LONGEST}: it is cut at"
            " shutdown; required GRACEFUL_SHUTDOWN_TIMEOUT ≥ 900. Fix: set GRACEFUL_SHUTDOWN_TIMEOUT=900",
            k8s["proxy"].urn,
        )
    ]


def test_p9_a_graceful_shutdown_that_is_no_number(k8s):
    set_env(container(k8s["proxy"]), "GRACEFUL_SHUTDOWN_TIMEOUT", "abc")
    assert reported(run(k8s), "P9") == [
        (f"[P9] {PROXY}: found GRACEFUL_SHUTDOWN_TIMEOUT 'abc'; required a number of seconds. Fix: set GRACEFUL_SHUTDOWN_TIMEOUT to request_timeout", k8s["proxy"].urn)
    ]


def test_p9_the_grace_strictly_above_graceful_shutdown(k8s, docker):
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 900
    assert reported(run(k8s), "P9") == [(_p9_not_above(PROXY, "terminationGracePeriodSeconds 900", "'900'"), k8s["proxy"].urn)]
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 901
    assert reported(run(k8s), "P9") == []
    docker["proxy"].props.pop("stopTimeout")
    assert reported(run(docker), "P9") == [(_p9_not_above(DOCKER, "stopTimeout 10 (Docker default)", "'900'"), docker["proxy"].urn)]


def test_p9_the_grace_within_stopwaitsecs_when_supervisord_runs(k8s):
    """SUPERVISORD_STOPWAITSECS unset: prod_entrypoint.sh's 3600. Without the separate health app
    there is no supervisord, and no upper bound."""
    c = container(k8s["proxy"])
    set_env(c, "SUPERVISORD_STOPWAITSECS", remove=True)
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 3600
    assert reported(run(k8s), "P9") == []
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 3601
    assert reported(run(k8s), "P9") == [
        (
            f"[P9] {PROXY}: found terminationGracePeriodSeconds 3601 above SUPERVISORD_STOPWAITSECS 3600; required grace ≤ SUPERVISORD_STOPWAITSECS."
            " Fix: raise SUPERVISORD_STOPWAITSECS to at least 3601",
            k8s["proxy"].urn,
        )
    ]
    set_env(c, "SEPARATE_HEALTH_APP", remove=True)
    assert reported(run(k8s), "P9") == []


def test_p9_timeouts_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    for name, key in (("GRACEFUL_SHUTDOWN_TIMEOUT", "graceful"), ("SUPERVISORD_STOPWAITSECS", "stopwait"), ("SEPARATE_HEALTH_APP", "health")):
        set_env(c, name, value_from=from_config_map(key))
    env_config_map(k8s, {"graceful": "960", "stopwait": "900", "health": "1"})
    assert reported(run(k8s), "P9") == [
        (_p9_not_above(PROXY, "terminationGracePeriodSeconds 960", "'960'").replace("> 900 s", "> 960 s").replace("above 900", "above 960"), k8s["proxy"].urn),
        (
            f"[P9] {PROXY}: found terminationGracePeriodSeconds 960 above SUPERVISORD_STOPWAITSECS 900; required grace ≤ SUPERVISORD_STOPWAITSECS."
            " Fix: raise SUPERVISORD_STOPWAITSECS to at least 960",
            k8s["proxy"].urn,
        ),
    ]


@pytest.mark.parametrize(
    "edit",
    [
        lambda st: set_env(container(st["proxy"]), "GRACEFUL_SHUTDOWN_TIMEOUT", UNKNOWN),
        lambda st: set_env(container(st["proxy"]), "SUPERVISORD_STOPWAITSECS", UNKNOWN),
        lambda st: set_env(container(st["proxy"]), "SEPARATE_HEALTH_APP", UNKNOWN),
        lambda st: pod(st["proxy"]).update(terminationGracePeriodSeconds=UNKNOWN),
        lambda st: (update_config(st["config"], lambda d: d["litellm_settings"].pop("request_timeout")), set_env(container(st["proxy"]), "REQUEST_TIMEOUT", UNKNOWN)),
    ],
    ids=["graceful", "stopwait", "health app", "grace", "request_timeout"],
)
def test_p9_an_unknown_timeout_defers_and_does_not_hide_the_next_proxy(k8s, edit):
    canary = container(second_proxy(k8s))
    set_env(canary, "GRACEFUL_SHUTDOWN_TIMEOUT", "abc")
    edit(k8s)
    assert reported(run(k8s), "P9") == [
        (f"[P9] {DEFER}: the shutdown timeouts of {PROXY} {P9_ORDER}", k8s["proxy"].urn),
        (
            "[P9] Deployment 'litellm-proxy-canary' container 'proxy': found GRACEFUL_SHUTDOWN_TIMEOUT 'abc'; required a number of seconds."
            " Fix: set GRACEFUL_SHUTDOWN_TIMEOUT to request_timeout",
            k8s["proxy2"].urn,
        ),
    ]


def test_p9_a_graceful_shutdown_that_is_no_number_does_not_hide_the_next_proxy(k8s):
    set_env(container(second_proxy(k8s)), "GRACEFUL_SHUTDOWN_TIMEOUT", "899")
    set_env(container(k8s["proxy"]), "GRACEFUL_SHUTDOWN_TIMEOUT", "abc")
    assert [m.split(":")[0] for m, _ in reported(run(k8s), "P9")] == [f"[P9] {PROXY}", "[P9] Deployment 'litellm-proxy-canary' container 'proxy'"]


# ---------------------------------------------------------------- P9: the drain hook, endpoint and token

P9_DRAIN = "(policy litellm-p9-drain-hook)"


def test_p9_drain_endpoint_not_enabled(k8s):
    update_config(k8s["config"], lambda d: d["general_settings"].update(enable_drain_endpoint="true"))  # a string is not true
    assert reported(run(k8s), "P9") == [
        (
            f"[P9] {PROXY}: found general_settings.enable_drain_endpoint not true in the proxy's config; required enable_drain_endpoint: true."
            " Fix: set general_settings.enable_drain_endpoint: true",
            k8s["proxy"].urn,
        )
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: set_env(c, "DRAIN_ENDPOINT_TOKEN", remove=True), (
            "found no drain token (anyone reaching the pod could drain it); required DRAIN_ENDPOINT_TOKEN from a Secret."
            " Fix: set DRAIN_ENDPOINT_TOKEN via secretKeyRef and send it as X-Drain-Token from the preStop hook"
        )),
        (lambda c: set_env(c, "DRAIN_ENDPOINT_TOKEN", "literal"), (
            "found the drain token from a value source; required a secretKeyRef. Fix: source DRAIN_ENDPOINT_TOKEN from a Secret"
        )),
        (lambda c: set_env(c, "DRAIN_ENDPOINT_TOKEN", value_from=from_config_map("token")), (
            "found the drain token from a configmap source; required a secretKeyRef. Fix: source DRAIN_ENDPOINT_TOKEN from a Secret"
        )),
        (lambda c: (set_env(c, "DRAIN_ENDPOINT_TOKEN", remove=True), c.update(envFrom=[{"secretRef": {"name": "elsewhere"}}])),
         f"{DEFER}: DRAIN_ENDPOINT_TOKEN (envFrom Secret elsewhere is not in the stack) of {PROXY} {P9_DRAIN}"),
        (lambda c: set_env(c, "DRAIN_ENDPOINT_TOKEN", value_from=UNKNOWN), f"{DEFER}: the source of DRAIN_ENDPOINT_TOKEN of {PROXY} {P9_DRAIN}"),
    ],
    ids=["none", "literal", "config map", "maybe envFrom", "unknown source"],
)
def test_p9_drain_token(k8s, edit, expected):
    env_config_map(k8s, {"token": "t" * 32})
    edit(container(k8s["proxy"]))
    message = f"[P9] {expected}" if expected.startswith("deferred") else f"[P9] {PROXY}: {expected}"
    assert reported(run(k8s), "P9") == [(message, k8s["proxy"].urn)]


def test_p9_drain_token_named_by_the_config(k8s):
    """general_settings.drain_endpoint_token: os.environ/NAME makes LiteLLM read NAME instead."""
    c = container(k8s["proxy"])
    set_env(c, "DRAIN_ENDPOINT_TOKEN", remove=True)
    set_env(c, "MY_TOKEN", value_from={"secretKeyRef": {"name": "litellm-secrets", "key": "drain-token"}})
    update_config(k8s["config"], lambda d: d["general_settings"].update(drain_endpoint_token="os.environ/MY_TOKEN"))
    assert reported(run(k8s), "P9") == []
    set_env(c, "MY_TOKEN", "literal")
    assert reported(run(k8s), "P9") == [
        (f"[P9] {PROXY}: found the drain token from a value source; required a secretKeyRef. Fix: source DRAIN_ENDPOINT_TOKEN from a Secret", k8s["proxy"].urn)
    ]


def test_p9_configs_that_cannot_be_found_yet_defer_the_drain_endpoint(k8s):
    pod(k8s["proxy"])["volumes"] = UNKNOWN
    assert reported(run(k8s), "P9") == [
        (f"[P9] {DEFER}: the shutdown timeouts of {PROXY} {P9_ORDER}", k8s["proxy"].urn),
        (f"[P9] {DEFER}: general_settings.enable_drain_endpoint of {PROXY} {P9_DRAIN}", k8s["proxy"].urn),
    ]
    pod(k8s["proxy"])["volumes"] = [{"name": "config", "configMap": {"name": "litellm-config"}}, {"name": "prometheus", "emptyDir": {}}]
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert (f"[P9] {DEFER}: general_settings.enable_drain_endpoint of {PROXY} {P9_DRAIN}", k8s["proxy"].urn) in reported(run(k8s), "P9")


def test_p9_a_docker_proxy_needs_no_hook_and_does_not_hide_a_kubernetes_one(k8s, docker):
    """One stack with a Docker proxy first: the drain hook is a Kubernetes rule, and the
    Kubernetes proxy after the Docker one is still judged."""
    container(k8s["proxy"])["lifecycle"].pop("preStop")
    stack = {"docker_proxy": docker["proxy"], **k8s}
    drain = [(m, u) for m, u in reported(run(stack), "P9") if P9_DRAIN not in m and "preStop" in m]
    assert drain == [
        (
            f"[P9] {PROXY}: found no preStop hook; required a preStop hook calling /health/drain."
            " Fix: add lifecycle.preStop that calls /health/drain with the X-Drain-Token header",
            k8s["proxy"].urn,
        )
    ]


# ---------------------------------------------------------------- P10: the config is valid and provided


def test_p10_config_errors_in_full(k8s):
    def bad(d):
        d["litellm_setting"] = {}
        d["general_settings"] = [1]
        d["router_settings"] = "x"
        d["model_list"].append({"model_name": "x", "litellm_params": {}})

    update_config(k8s["config"], bad)
    where = f"[P10] {CONFIG}: found"
    assert reported(run(k8s), "P10") == [
        (f"{where} top-level key 'litellm_setting' that LiteLLM does not read; required only LiteLLM config sections. Fix: remove or move"
         " 'litellm_setting' (did you mean one of general_settings / litellm_settings / router_settings?)", k8s["config"].urn),
        (f"{where} general_settings [1]; required a mapping. Fix: make general_settings a mapping", k8s["config"].urn),
        (f"{where} router_settings 'x'; required a mapping. Fix: make router_settings a mapping", k8s["config"].urn),
        (f"{where} model_list[2] without model_name or litellm_params.model; required both set. Fix: complete model_list[2]", k8s["config"].urn),
    ]  # fmt: skip


@pytest.mark.parametrize("entry", ["gpt", {"litellm_params": {"model": "openai/x"}}, {"model_name": "x"}, {"model_name": "", "litellm_params": {"model": "m"}}])
def test_p10_a_model_entry_needs_its_name_and_model(k8s, entry):
    update_config(k8s["config"], lambda d: d["model_list"].insert(0, entry))
    assert reported(run(k8s), "P10") == [
        (f"[P10] {CONFIG}: found model_list[0] without model_name or litellm_params.model; required both set. Fix: complete model_list[0]", k8s["config"].urn)
    ]


def test_p10_model_list_not_a_list_and_every_known_section(k8s):
    from litellm_policies.proxy import KNOWN_TOP_LEVEL

    update_config(k8s["config"], lambda d: d.update({k: d.get(k, {}) for k in KNOWN_TOP_LEVEL if k != "model_list"}, model_list={"a": 1}))
    assert reported(run(k8s), "P10") == [
        (f"[P10] {CONFIG}: found model_list that is not a list; required a list of models. Fix: make model_list a list", k8s["config"].urn)
    ]


def test_p10_a_config_that_does_not_parse_or_is_unknown(k8s):
    k8s["config"].props["data"]["config.yaml"] = "model_list: [\n  - {model_name: a"
    (message, urn), = [(m, u) for m, u in reported(run(k8s), "P10") if u == k8s["config"].urn]
    assert message.startswith(f"[P10] {CONFIG}: found a LiteLLM config that does not parse as YAML") and urn == k8s["config"].urn
    assert message.endswith("; required valid YAML. Fix: fix the YAML syntax")
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert (f"[P10] {DEFER}: the LiteLLM config content of {CONFIG} (policy litellm-p10-config-valid)", k8s["config"].urn) in reported(run(k8s), "P10")


def test_p10_config_provided_in_full(k8s, docker):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--config", "/etc/litellm/config.yaml")
    provided = "(policy litellm-p10-config-provided)"
    assert reported(run(k8s), "P10") == [
        (
            f"[P10] {PROXY}: found --config /etc/litellm/config.yaml but no ConfigMap/Secret/upload in the stack provides it;"
            " required the config provided at that path. Fix: mount the config at /etc/litellm/config.yaml",
            k8s["proxy"].urn,
        )
    ]
    pod(k8s["proxy"])["volumes"] = UNKNOWN
    assert (f"[P10] {DEFER}: the config at /etc/litellm/config.yaml of {PROXY} {provided}", k8s["proxy"].urn) in reported(run(k8s), "P10")
    props = docker["proxy"].props
    props["command"] = set_arg(props["command"], "--config", remove=True)
    assert reported(run(docker), "P10") == [
        (
            f"[P10] {DOCKER}: found no --config and no CONFIG_FILE_PATH; required a config file. Fix: pass --config /app/config.yaml and mount the config there",
            docker["proxy"].urn,
        )
    ]
    props["command"] = set_arg(props["command"], "--config", UNKNOWN)
    assert reported(run(docker), "P10") == []  # the path is unknown, but the proxy's upload is there
    props["uploads"] = []
    assert (f"[P10] {DEFER}: --config / CONFIG_FILE_PATH of {DOCKER} {provided}", docker["proxy"].urn) in reported(run(docker), "P10")


# ---------------------------------------------------------------- cases added after the measured run (their survivors)


def test_p8_the_limit_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", remove=True)
    set_env(c, "MAX_REQUESTS_BEFORE_RESTART", value_from=from_config_map("recycle"))
    env_config_map(k8s, {"recycle": "10000"})
    assert reported(run(k8s), "P8") == []
    c["args"] = set_arg(c["args"], "--max_requests_before_restart_jitter", "0")
    assert reported(run(k8s), "P8") == [(f"[P8] {PROXY}: {_p8_jitter('0')}", k8s["proxy"].urn)]


def test_p10_litellm_settings_not_a_mapping(k8s):
    update_config(k8s["config"], lambda d: d.update(litellm_settings="x"))
    assert (
        f"[P10] {CONFIG}: found litellm_settings 'x'; required a mapping. Fix: make litellm_settings a mapping",
        k8s["config"].urn,
    ) in reported(run(k8s), "P10")


@pytest.mark.parametrize("first", ["model_list: [\n  - {model_name: a", UNKNOWN], ids=["does not parse", "unknown"])
def test_p10_a_broken_or_unknown_upload_does_not_hide_the_next(docker, first):
    import yaml

    props = docker["proxy"].props
    props["uploads"][0]["content"] = first
    props["uploads"].append({"file": "/app/b.yaml", "content": yaml.safe_dump({"model_list": [], "litellm_setting": {}})})
    found = [m for m, _ in reported(run(docker), "P10") if "(policy litellm-p10-settings-in-sight)" not in m]
    assert (
        f"[P10] {DOCKER} upload '/app/b.yaml': found top-level key 'litellm_setting' that LiteLLM does not read; required only LiteLLM"
        " config sections. Fix: remove or move 'litellm_setting' (did you mean one of general_settings / litellm_settings / router_settings?)"
    ) in found


def test_p10_a_proxy_without_a_config_does_not_hide_the_next(docker):
    second_proxy(docker)
    for res, edit in ((docker["proxy"], "remove"), (docker["proxy2"], "/etc/other.yaml")):
        cmd = res.props["command"]
        res.props["command"] = set_arg(cmd, "--config", remove=True) if edit == "remove" else set_arg(cmd, "--config", edit)
    assert reported(run(docker), "P10") == [
        (
            f"[P10] {DOCKER}: found no --config and no CONFIG_FILE_PATH; required a config file. Fix: pass --config /app/config.yaml and mount the config there",
            docker["proxy"].urn,
        ),
        (
            f"[P10] {DOCKER_2}: found --config /etc/other.yaml but no ConfigMap/Secret/upload in the stack provides it;"
            " required the config provided at that path. Fix: mount the config at /etc/other.yaml",
            docker["proxy2"].urn,
        ),
    ]
    docker["proxy"].props["command"] = set_arg(docker["proxy"].props["command"], "--config", UNKNOWN)  # its upload may be it
    assert [u for _, u in reported(run(docker), "P10")] == [docker["proxy2"].urn]

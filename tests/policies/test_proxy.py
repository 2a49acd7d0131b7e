"""P1-P10: the proxy process."""

import pytest
from .policy_fixtures import (T_CM, R, container, findings, k8s_stack, messages, pod, reported, run, second_proxy_container, set_arg, set_env,
                              set_envs, update_config)

from litellm_policies import UNKNOWN


def deferred_for(vs, rule_id):
    return [v for v in vs if v.deferred and v.rule_id == rule_id]


def k8s_args(st):
    return container(st["proxy"])["args"]


# ---------------------------------------------------------------- P1


@pytest.mark.parametrize("cpu,ok", [("4", True), ("4000m", True), (4, True), ("2", False), ("2000m", False), ("8", False)])
def test_p1_workers_equal_cpu_limit(k8s, cpu, ok):
    container(k8s["proxy"])["resources"]["limits"]["cpu"] = cpu
    m = messages(run(k8s), "P1")
    assert (not m) == ok, m
    if not ok:
        assert "4 workers with a CPU limit of" in m[0]


def test_p1_num_workers_env_and_docker_cpus(k8s, docker):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--num_workers", remove=True)
    set_env(c, "NUM_WORKERS", "4")
    assert not findings(run(k8s), "P1")
    set_env(c, "NUM_WORKERS", remove=True)  # LiteLLM default: 1 worker
    assert any("found 1 workers" in m for m in messages(run(k8s), "P1"))
    docker["proxy"].props["cpus"] = "4"
    assert any("--num_workers 4" in m for m in messages(run(docker), "P1"))


def test_p1_unknown_workers_deferred(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--num_workers", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "P1") and deferred_for(vs, "P1")


# ---------------------------------------------------------------- P2 / P3


def test_p2_process_manager(k8s, docker):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--run_gunicorn", remove=True)
    docker["proxy"].props["command"] = set_arg(docker["proxy"].props["command"], "--run_gunicorn", remove=True)
    for st in (k8s, docker):  # uvicorn's multi-worker supervisor is a process manager too
        assert not findings(run(st), "P2")
    c["args"] = set_arg(c["args"], "--num_workers", "1")
    docker["proxy"].props["command"] = set_arg(docker["proxy"].props["command"], "--num_workers", "1")
    for st in (k8s, docker):
        m = messages(run(st), "P2")
        assert len(m) == 1 and "one uvicorn worker without --run_gunicorn" in m[0]


def test_p3_recycling(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", "5000")
    assert any("--max_requests_before_restart '5000'" in m for m in messages(run(k8s), "P3"))
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", remove=True)
    assert not findings(run(k8s), "P3")  # the env var carries it
    set_env(c, "MAX_REQUESTS_BEFORE_RESTART", remove=True)
    assert any("no worker recycling" in m for m in messages(run(k8s), "P3"))


def test_p3_env_disagrees_with_arg(docker):
    set_envs(docker["proxy"].props, "MAX_REQUESTS_BEFORE_RESTART", "500")
    assert any("disagreeing" in m for m in messages(run(docker), "P3"))


# ---------------------------------------------------------------- P4 / P9


def test_p4_stopwaitsecs_and_grace(k8s, docker):
    set_env(container(k8s["proxy"]), "SUPERVISORD_STOPWAITSECS", "600")
    assert any("SUPERVISORD_STOPWAITSECS '600'" in m for m in messages(run(k8s), "P4"))
    docker["proxy"].props.pop("stopTimeout")
    m = messages(run(docker), "P4")
    assert any("stopTimeout 10 (Docker default)" in x and "longest request, 900 s" in x for x in m)


def test_p4_k8s_default_grace(k8s):
    pod(k8s["proxy"]).pop("terminationGracePeriodSeconds")
    assert any("terminationGracePeriodSeconds 30 (Kubernetes default)" in m for m in messages(run(k8s), "P4"))


def test_p9_graceful_shutdown_default_cuts_long_requests(k8s):
    set_env(container(k8s["proxy"]), "GRACEFUL_SHUTDOWN_TIMEOUT", remove=True)
    m = messages(run(k8s), "P9")
    assert len(m) == 1 and "GRACEFUL_SHUTDOWN_TIMEOUT 30 (LiteLLM default) below the longest request, 900 s" in m[0]


def test_p9_order_grace_vs_graceful_and_stopwait(k8s):
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 900
    assert any("not above GRACEFUL_SHUTDOWN_TIMEOUT" in m for m in messages(run(k8s), "P9"))
    pod(k8s["proxy"])["terminationGracePeriodSeconds"] = 4000
    assert any("above SUPERVISORD_STOPWAITSECS 3600" in m for m in messages(run(k8s), "P9"))


def test_p9_request_timeout_from_env_when_config_lacks_it(docker):
    def drop(d):
        d["litellm_settings"].pop("request_timeout")
        d["model_list"][0]["litellm_params"].pop("timeout")

    update_config(docker["proxy"], drop)
    set_envs(docker["proxy"].props, "REQUEST_TIMEOUT", "1200")
    assert any("1200 s (REQUEST_TIMEOUT env)" in m for m in messages(run(docker), "P9"))


def test_p4_p9_per_model_timeout_is_the_longest_request(k8s):
    update_config(k8s["config"], lambda d: d["model_list"][0]["litellm_params"].update(timeout=1800))
    vs = run(k8s)
    assert any("model 'gpt-4o'" in m and "1800 s" in m for m in messages(vs, "P4"))
    assert any("GRACEFUL_SHUTDOWN_TIMEOUT '900' below the longest request, 1800 s" in m for m in messages(vs, "P9"))


def test_p9_drain_hook(k8s):
    c = container(k8s["proxy"])
    c["lifecycle"]["preStop"] = {"sleep": {"seconds": 10}}
    assert any("preStop sleep" in m for m in messages(run(k8s), "P9"))
    c.pop("lifecycle")
    assert any("no preStop hook" in m for m in messages(run(k8s), "P9"))


def test_p9_drain_endpoint_and_token(k8s):
    update_config(k8s["config"], lambda d: d["general_settings"].pop("enable_drain_endpoint"))
    assert any("enable_drain_endpoint not true" in m for m in messages(run(k8s), "P9"))
    k8s2 = k8s_stack()
    set_env(container(k8s2["proxy"]), "DRAIN_ENDPOINT_TOKEN", remove=True)
    assert any("no drain token" in m for m in messages(run(k8s2), "P9"))


def test_p9_drain_not_required_on_docker(docker):
    assert not findings(run(docker), "P9")


# ---------------------------------------------------------------- P5


def test_p5_missing_resources(k8s, docker):
    container(k8s["proxy"])["resources"].pop("requests")
    m = messages(run(k8s), "P5")
    assert len(m) == 2 and any("resources.requests.cpu" in x for x in m)
    docker["proxy"].props.pop("memory")
    assert any("no memory limit" in x for x in messages(run(docker), "P5"))


def test_p5_memory_budget(k8s):
    container(k8s["proxy"])["resources"]["limits"]["memory"] = "1Gi"
    m = messages(run(k8s), "P5")
    assert len(m) == 1 and "4 × 330 MiB + 306 MiB master + 212 MiB health app" in m[0]


# ---------------------------------------------------------------- P6


@pytest.mark.parametrize("name,value", [("LITELLM_MODE", "DEV"), ("LITELLM_LOG", "INFO"), ("LITELLM_LOG", None), ("JSON_LOGS", "false")])
def test_p6_env(k8s, name, value):
    c = container(k8s["proxy"])
    if value is None:
        set_env(c, name, remove=True)
    else:
        set_env(c, name, value)
    m = messages(run(k8s), "P6")
    assert m and all(x.startswith("[P6]") for x in m) and any(name in x for x in m)


def test_p6_debug_flag(docker):
    docker["proxy"].props["command"] = docker["proxy"].props["command"] + ["--detailed_debug"]
    assert any("--detailed_debug" in m for m in messages(run(docker), "P6"))


def test_p6_config_verbose_and_json(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].update(set_verbose=True))
    assert any("set_verbose true" in m for m in messages(run(k8s), "P6"))


def test_p6_json_logs_from_config_or_env(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].pop("json_logs"))
    assert not findings(run(k8s), "P6")  # JSON_LOGS=true still set
    set_env(container(k8s["proxy"]), "JSON_LOGS", remove=True)
    assert any("no JSON logs" in m for m in messages(run(k8s), "P6"))


def test_p6_envfrom_configmap_judged_in_the_stack_not_deferred(k8s):
    from .policy_fixtures import T_CM, R

    c = container(k8s["proxy"])
    set_env(c, "LITELLM_LOG", remove=True)
    c["envFrom"] = [{"configMapRef": {"name": "proxy-env"}}]
    k8s["proxy_env"] = R(T_CM, "proxy-env", {"metadata": {"name": "proxy-env", "namespace": "litellm"}, "data": {"LITELLM_LOG": "ERROR"}})
    vs = run(k8s)
    assert not messages(vs, "P6") and not deferred_for(vs, "P6")


# ---------------------------------------------------------------- P7 / P8


def test_p7_request_timeout(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"].update(request_timeout=120))
    m = messages(run(k8s), "P7")
    assert len(m) == 1 and "request_timeout 120" in m[0]


def test_p8_recycling_with_one_worker_and_no_jitter(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", "1"), "--max_requests_before_restart_jitter", remove=True)
    c["resources"]["limits"]["cpu"] = "1"
    m = messages(run(k8s), "P8")
    assert any("with 1 worker" in x for x in m) and any("no --max_requests_before_restart_jitter" in x for x in m)


def test_p8_no_recycling_no_violation(docker):
    cmd = set_arg(docker["proxy"].props["command"], "--max_requests_before_restart", remove=True)
    docker["proxy"].props["command"] = set_arg(cmd, "--max_requests_before_restart_jitter", remove=True)
    set_envs(docker["proxy"].props, "MAX_REQUESTS_BEFORE_RESTART", remove=True)
    assert not findings(run(docker), "P8")


# ---------------------------------------------------------------- P10


def test_p10_unknown_top_level_key_and_bad_model(k8s):
    def bad(d):
        d["litellm_setting"] = {"request_timeout": 600}
        d["model_list"].append({"model_name": "x"})

    update_config(k8s["config"], bad)
    m = messages(run(k8s), "P10")
    assert any("'litellm_setting'" in x for x in m) and any("model_list[2]" in x for x in m)


def test_p10_config_does_not_parse(k8s):
    k8s["config"].props["data"]["config.yaml"] = "model_list: [\n  - {model_name: a"
    assert any("does not parse as YAML" in m for m in messages(run(k8s), "P10"))


def test_p10_config_not_provided(k8s, docker):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--config", "/etc/litellm/config.yaml")
    m = messages(run(k8s), "P10")
    assert any("--config /etc/litellm/config.yaml but no" in x for x in m)
    docker["proxy"].props["command"] = set_arg(docker["proxy"].props["command"], "--config", remove=True)
    assert any("no --config" in x for x in messages(run(docker), "P10"))


def test_p10_config_dir_mount_and_config_file_path_env(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--config", remove=True)
    set_env(c, "CONFIG_FILE_PATH", "/etc/litellm/config.yaml")
    c["volumeMounts"][0] = {"name": "config", "mountPath": "/etc/litellm"}
    assert not findings(run(k8s), "P10")
    # the D1 check of the proxy's own config runs on the ConfigMap it mounts
    update_config(k8s["config"], lambda d: d["general_settings"].update(database_connection_pool_limit=99))
    assert messages(run(k8s), "D1")


# ------------------------------------------------------- P1/P2: whole messages, deferrals, every container

PROXY = "Deployment 'litellm-proxy' container 'proxy'"
DEFER = "deferred: value unknown until apply"


def _p1(workers, cpu, want):
    return (
        f"found {workers} workers with a CPU limit of {cpu} cores; required --num_workers {want} (= the CPU limit in whole cores)."
        f" Fix: set --num_workers {want}, or change the CPU limit to {workers}"
    )


@pytest.mark.parametrize(("cpu", "workers", "expected"), [("2500m", "4", _p1(4, 2.5, 2)), ("500m", "2", _p1(2, 0.5, 1)), ("500m", "1", None)])
def test_p1_messages_in_full(k8s, cpu, workers, expected):
    c = container(k8s["proxy"])
    c["resources"]["limits"]["cpu"] = cpu
    c["args"] = set_arg(c["args"], "--num_workers", workers)
    assert reported(run(k8s), "P1") == ([(f"[P1] {PROXY}: {expected}", k8s["proxy"].urn)] if expected else [])


def test_p1_unknown_limit_defers_and_a_container_without_one_does_not_hide_the_next(k8s):
    c = container(k8s["proxy"])
    c["resources"]["limits"]["cpu"] = UNKNOWN
    assert reported(run(k8s), "P1") == [(f"[P1] {DEFER}: --num_workers / the CPU limit of {PROXY} (policy litellm-p1-workers-match-cpu)", k8s["proxy"].urn)]
    second_proxy_container(k8s["proxy"])["resources"]["limits"]["cpu"] = "2"  # 4 workers
    c["resources"]["limits"].pop("cpu")  # no limit: P5's, not P1's
    assert reported(run(k8s), "P1") == [(f"[P1] Deployment 'litellm-proxy' container 'proxy-b': {_p1(4, 2, 2)}", k8s["proxy"].urn)]


def test_p1_p2_workers_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", remove=True), "--run_gunicorn", remove=True)
    k8s["env_cm"] = R(T_CM, "proxy-env", {"metadata": {"name": "proxy-env", "namespace": "litellm"}, "data": {"NUM_WORKERS": "3"}})
    c["env"].append({"name": "NUM_WORKERS", "valueFrom": {"configMapKeyRef": {"name": "proxy-env", "key": "NUM_WORKERS"}}})
    vs = run(k8s)
    assert reported(vs, "P1") == [(f"[P1] {PROXY}: {_p1(3, 4, 4)}", k8s["proxy"].urn)]
    assert not findings(vs, "P2")  # 3 uvicorn workers under LiteLLM's supervisor


P2_ONE_WORKER = (
    "found one uvicorn worker without --run_gunicorn; required --run_gunicorn or --num_workers >= 2."
    " Fix: add --run_gunicorn or raise --num_workers"
)


def _one_worker(k8s, extra=()):
    c = container(k8s["proxy"])
    c["args"] = set_arg(set_arg(c["args"], "--num_workers", "1"), "--run_gunicorn", remove=True) + list(extra)
    c["resources"]["limits"]["cpu"] = "1"
    return c


def test_p2_every_proxy_container_with_one_worker_is_named(k8s):
    _one_worker(k8s)
    second_proxy_container(k8s["proxy"])
    assert reported(run(k8s), "P2") == [
        (f"[P2] Deployment 'litellm-proxy' container '{name}': {P2_ONE_WORKER}", k8s["proxy"].urn) for name in ("proxy", "proxy-b")
    ]


@pytest.mark.parametrize("edit", [lambda c: c.update(args=set_arg(c["args"], "--num_workers", UNKNOWN)), lambda c: c["args"].append(UNKNOWN)])
def test_p2_unknown_args_defer(k8s, edit):
    edit(_one_worker(k8s))
    assert reported(run(k8s), "P2") == [
        (f"[P2] {DEFER}: --run_gunicorn / --num_workers (args unknown) of {PROXY} (policy litellm-p2-process-manager)", k8s["proxy"].urn)
    ]
    container(k8s["proxy"])["args"].append("--run_gunicorn")  # gunicorn: the workers' count does not matter
    assert not findings(run(k8s), "P2")


P3_FIX = "required recycling after 10000 requests. Fix: pass --max_requests_before_restart 10000 and set MAX_REQUESTS_BEFORE_RESTART=10000"


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        ("500", "10000", f"found --max_requests_before_restart '500'; {P3_FIX}"),
        (None, "500", f"found MAX_REQUESTS_BEFORE_RESTART '500'; {P3_FIX}"),
        (None, None, f"found no worker recycling; {P3_FIX}"),
        ("10000", "500", "found MAX_REQUESTS_BEFORE_RESTART '500' disagreeing with the arg; required 10000 in both. Fix: set MAX_REQUESTS_BEFORE_RESTART=10000"),
        (UNKNOWN, "10000", "deferred"),
        (None, UNKNOWN, "deferred"),
        (None, "10000", None),
    ],
)
def test_p3_messages_in_full(k8s, arg, env, expected):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", arg, remove=arg is None)
    set_env(c, "MAX_REQUESTS_BEFORE_RESTART", env, remove=env is None)
    if expected == "deferred":
        message = f"[P3] {DEFER}: --max_requests_before_restart / MAX_REQUESTS_BEFORE_RESTART of {PROXY} (policy litellm-p3-worker-recycling)"
    else:
        message = expected and f"[P3] {PROXY}: {expected}"
    assert reported(run(k8s), "P3") == ([(message, k8s["proxy"].urn)] if message else [])


def test_p3_every_container_and_the_env_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--max_requests_before_restart", remove=True)
    set_env(c, "MAX_REQUESTS_BEFORE_RESTART", value_from={"configMapKeyRef": {"name": "proxy-env", "key": "M"}})
    k8s["env_cm"] = R(T_CM, "proxy-env", {"metadata": {"name": "proxy-env", "namespace": "litellm"}, "data": {"M": "500"}})
    second_proxy_container(k8s["proxy"])
    assert reported(run(k8s), "P3") == [
        (f"[P3] Deployment 'litellm-proxy' container '{name}': found MAX_REQUESTS_BEFORE_RESTART '500'; {P3_FIX}", k8s["proxy"].urn)
        for name in ("proxy", "proxy-b")
    ]


P9_HOOK = "required a preStop hook calling /health/drain. Fix: add lifecycle.preStop that calls /health/drain with the X-Drain-Token header"


def _p9_deferred(what):
    return f"[P9] {DEFER}: {what} of {PROXY} (policy litellm-p9-drain-hook)"


@pytest.mark.parametrize(
    ("pre_stop", "expected"),
    [
        (None, f"[P9] {PROXY}: found no preStop hook; {P9_HOOK}"),
        ({"httpGet": {"path": "/x", "port": 4000}}, f"[P9] {PROXY}: found preStop httpGet '/x'; {P9_HOOK}"),
        ({"exec": {"command": ["sleep", "5"]}}, f"[P9] {PROXY}: found preStop exec; {P9_HOOK}"),
        ({"sleep": {"seconds": 5}}, f"[P9] {PROXY}: found preStop sleep; {P9_HOOK}"),
        ({}, f"[P9] {PROXY}: found preStop without /health/drain; {P9_HOOK}"),
        (UNKNOWN, _p9_deferred("lifecycle.preStop")),
        ({"httpGet": UNKNOWN}, _p9_deferred("lifecycle.preStop")),
        ({"exec": {"command": UNKNOWN}}, _p9_deferred("lifecycle.preStop")),
        ({"httpGet": {"path": UNKNOWN, "port": 4000}}, _p9_deferred("preStop httpGet an unknown value")),
        ({"exec": {"command": ["sh", "-c", UNKNOWN]}}, _p9_deferred("preStop exec")),
        ({"httpGet": {"path": "/health/drain", "port": 4000}}, None),
        ({"exec": {"command": ["curl", "http://127.0.0.1:4000/health/drain"]}}, None),  # the URL in any argument
        ({"exec": {"command": [UNKNOWN, "http://127.0.0.1:4000/health/drain"]}}, None),
    ],
)
def test_p9_drain_hook_shapes(k8s, pre_stop, expected):
    lifecycle = container(k8s["proxy"])["lifecycle"]
    if pre_stop is None:
        lifecycle.pop("preStop")
    else:
        lifecycle["preStop"] = pre_stop
    found = [(m, urn) for m, urn in reported(run(k8s), "P9") if "preStop" in m]
    assert found == ([(expected, k8s["proxy"].urn)] if expected else [])

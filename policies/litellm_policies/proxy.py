"""Proxy process rules P1-P10."""

from __future__ import annotations

import math
from typing import Any

from .catalogue import MAX_REQUESTS_BEFORE_RESTART, REQUEST_TIMEOUT_SECONDS, SUPERVISORD_STOPWAITSECS
from .common import config_checks, fixed_setting, longest_request, proxies, same_number, setting
from .detect import Container, LiteLLMConfig, Stack, configs_in
from .model import UNKNOWN, Finding, Resource, deferred, fmt, is_unknown, violation
from .registry import ADVISORY, resource_policy, stack_policy
from .values import get, is_true, num, to_number

PROXY_WORKLOADS = "LiteLLM proxy containers (kubernetes workloads, docker Container)"
CONFIG_HOLDERS = "kubernetes ConfigMap/Secret, docker Container (uploads)"

RECYCLE = MAX_REQUESTS_BEFORE_RESTART
STOPWAITSECS = SUPERVISORD_STOPWAITSECS
DEFAULT_GRACEFUL_SHUTDOWN = 30
DEFAULT_K8S_GRACE = 30
DEFAULT_DOCKER_STOP = 10
MB = 2**20
# HARDENING "Reference measurement": ≈ 330 MB per worker (counted as MiB: the larger unit) + the gunicorn master (~306 MB) + the health app (~212 MB)
MEM_PER_WORKER = 330 * MB
MEM_MASTER = 306 * MB
MEM_HEALTH_APP = 212 * MB


@resource_policy(
    "litellm-p1-workers-match-cpu",
    "P1",
    "P1: gunicorn/uvicorn workers (--num_workers or NUM_WORKERS) equal the container's CPU limit in whole cores. "
    "Fix: set --num_workers to the CPU limit (e.g. limits.cpu '4' -> --num_workers 4) or adjust the limit.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def p1_workers_match_cpu(res: Resource, stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for c in proxies(stack, "P1", out):
        cpu = c.cpu_limit()
        workers = c.workers(stack)
        if cpu is None:
            continue  # no limit: P5 reports it
        if is_unknown(cpu) or is_unknown(workers):
            out.append(deferred("P1", c.label, "--num_workers / the CPU limit"))
            continue
        want = max(1, math.floor(cpu))
        if workers != want:
            out.append(
                violation(
                    "P1",
                    c.label,
                    f"{num(workers)} workers with a CPU limit of {num(cpu)} cores",
                    f"--num_workers {want} (= the CPU limit in whole cores)",
                    f"set --num_workers {want}, or change the CPU limit to {num(workers)}",
                )
            )
    return out


@resource_policy(
    "litellm-p2-process-manager",
    "P2",
    "P2: the proxy's workers run under a process manager that restarts them: gunicorn (--run_gunicorn) "
    "or LiteLLM's multi-worker uvicorn supervisor (--num_workers >= 2). On LiteLLM 1.106 uvicorn workers are "
    "preferred: its gunicorn mode logs every request (P11) and cuts requests after 30 s on shutdown (P9). "
    "Fix: add --run_gunicorn, or run at least 2 uvicorn workers.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def p2_process_manager(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "P2", out):
        flag, workers = c.has_flag("--run_gunicorn"), c.workers(stack)
        if flag is True or (not is_unknown(workers) and workers >= 2):
            continue
        if is_unknown(flag) or is_unknown(workers):
            out.append(deferred("P2", c.label, "--run_gunicorn / --num_workers (args unknown)"))
        else:
            out.append(
                violation("P2", c.label, "one uvicorn worker without --run_gunicorn", "--run_gunicorn or --num_workers >= 2", "add --run_gunicorn or raise --num_workers")
            )
    return out


@resource_policy(
    "litellm-p3-worker-recycling",
    "P3",
    f"P3: workers recycle after {RECYCLE} requests (--max_requests_before_restart {RECYCLE} / "
    f"MAX_REQUESTS_BEFORE_RESTART={RECYCLE}; when both are set they agree). "
    f"Fix: pass --max_requests_before_restart {RECYCLE} and set MAX_REQUESTS_BEFORE_RESTART={RECYCLE}.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def p3_worker_recycling(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "P3", out):
        arg = c.option("--max_requests_before_restart", None, stack)
        env = c.env_value("MAX_REQUESTS_BEFORE_RESTART", stack)
        eff = arg if arg is not None else env
        if is_unknown(eff):
            out.append(deferred("P3", c.label, "--max_requests_before_restart / MAX_REQUESTS_BEFORE_RESTART"))
            continue
        if not same_number(eff, RECYCLE):
            src = "--max_requests_before_restart" if arg is not None else "MAX_REQUESTS_BEFORE_RESTART"
            found = f"{src} {fmt(eff)}" if eff is not None else "no worker recycling"
            out.append(
                violation("P3", c.label, found, f"recycling after {RECYCLE} requests", f"pass --max_requests_before_restart {RECYCLE} and set MAX_REQUESTS_BEFORE_RESTART={RECYCLE}")
            )
        elif arg is not None and is_unknown(env):
            # set at apply: it may disagree with the arg (the pair is judged, not the arg alone)
            out.append(deferred("P3", c.label, "MAX_REQUESTS_BEFORE_RESTART beside --max_requests_before_restart"))
        elif arg is not None and env is not None and not same_number(env, RECYCLE):
            out.append(
                violation("P3", c.label, f"MAX_REQUESTS_BEFORE_RESTART {fmt(env)} disagreeing with the arg", f"{RECYCLE} in both", f"set MAX_REQUESTS_BEFORE_RESTART={RECYCLE}")
            )
    return out


@resource_policy(
    "litellm-p5-resources",
    "P5",
    "P5: the proxy container has CPU and memory requests and limits (Kubernetes) or cpus and memory (Docker), "
    "and the memory limit covers ≈ 330 MiB per worker + 306 MiB for the master + 212 MiB for the health app. "
    "Fix: set resources from the machine class (e.g. standard: 4 CPU / 8Gi).",
    ADVISORY,
    PROXY_WORKLOADS,
)
def p5_resources(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "P5", out):
        if c.platform == "k8s":
            for kind in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    v = get(c.spec, f"resources.{kind}.{r}")
                    if v is None:
                        out.append(
                            violation("P5", c.label, f"no resources.{kind}.{r}", f"resources.{kind}.{r} from the machine class", f"set resources.{kind}.{r}")
                        )
        else:
            if c.cpu_limit() is None:
                out.append(violation("P5", c.label, "no cpus limit", "cpus from the machine class", "set cpus (e.g. '4') on the container"))
            if c.memory_limit() is None:
                out.append(violation("P5", c.label, "no memory limit", "memory from the machine class", "set memory (MB) on the container"))
        mem = c.memory_limit()
        workers = c.workers(stack)
        health = c.health_app_enabled(stack)
        if mem is None:
            continue
        if is_unknown(mem) or is_unknown(workers) or is_unknown(health):
            out.append(deferred("P5", c.label, "the memory limit / workers"))
            continue
        need = workers * MEM_PER_WORKER + MEM_MASTER + (MEM_HEALTH_APP if health else 0)
        if mem < need:
            # whole MiB, the limit rounded down and the need up: both sides never print the same
            have, want = f"{math.floor(mem / MB)} MiB", f"{math.ceil(need / MB)} MiB"
            parts = f"{num(workers)} × 330 MiB + 306 MiB master" + (" + 212 MiB health app" if health else "")
            out.append(
                violation(
                    "P5",
                    c.label,
                    f"a memory limit of {have} for {num(workers)} workers",
                    f"≥ {want} ({parts})",
                    f"raise the memory limit to at least {want} or lower --num_workers",
                )
            )
    return out


@resource_policy(
    "litellm-p6-production-mode",
    "P6",
    "P6: the proxy runs in production mode with error-level logs: LITELLM_MODE=PRODUCTION and LITELLM_LOG=ERROR "
    "(JSON_LOGS, when set, is true). Fix: set these env vars on the proxy container.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def p6_production_mode(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "P6", out):
        for name, want in (("LITELLM_MODE", "PRODUCTION"), ("LITELLM_LOG", "ERROR")):
            v = c.env_value(name, stack)
            if is_unknown(v):
                out.append(deferred("P6", c.label, f"{name} ({c.env_reason(name, stack)})"))
            elif (v or "").strip().upper() != want:
                out.append(violation("P6", c.label, f"{name} {fmt(v)}", f"{name}={want}", f"set the env var {name}={want}"))
        j = c.env_value("JSON_LOGS", stack)
        if isinstance(j, str) and is_true(j) is False:
            out.append(violation("P6", c.label, f"JSON_LOGS {fmt(j)}", "JSON_LOGS=true", "set JSON_LOGS=true"))
        if c.has_flag("--detailed_debug") is True or c.has_flag("--debug") is True:
            out.append(violation("P6", c.label, "--debug/--detailed_debug in the args", "no debug logging", "remove --debug/--detailed_debug"))
    return out


@resource_policy(
    "litellm-p6-quiet-config",
    "P6",
    "P6: the config does not turn on verbose logging (litellm_settings.set_verbose is false or absent; "
    "json_logs is not false). Fix: set litellm_settings.set_verbose: false and json_logs: true.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def p6_quiet_config(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        out = []
        v = setting(cfg.data, "litellm_settings.set_verbose")
        if is_true(v) is True:
            out.append(violation("P6", cfg.where, "litellm_settings.set_verbose true", "false", "set litellm_settings.set_verbose: false"))
        j = setting(cfg.data, "litellm_settings.json_logs")
        if j is not None and is_true(j) is False:
            out.append(violation("P6", cfg.where, f"litellm_settings.json_logs {fmt(j)}", "true", "set litellm_settings.json_logs: true"))
        return out

    return config_checks(res, "P6", check)


@stack_policy(
    "litellm-p6-json-logs",
    "P6",
    "P6: the proxy writes JSON logs: litellm_settings.json_logs: true in its config, or JSON_LOGS=true. "
    "Fix: set litellm_settings.json_logs: true (and JSON_LOGS=true).",
    ADVISORY,
    "proxy workloads + LiteLLM config",
)
def p6_json_logs(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        env = c.env_value("JSON_LOGS", stack)
        if is_true(env) is True:
            continue
        cfgs = stack.configs_for(c)
        if is_unknown(cfgs) or (isinstance(cfgs, list) and any(is_unknown(x.data) for x in cfgs)):
            out.append(deferred("P6", c.label, "json_logs in the proxy's config", urn=c.res.urn))
            continue
        if any(is_true(setting(x.data, "litellm_settings.json_logs")) is True for x in cfgs if isinstance(x.data, dict)):
            continue
        if is_unknown(env):
            out.append(deferred("P6", c.label, f"JSON_LOGS ({c.env_reason('JSON_LOGS', stack)})", urn=c.res.urn))
            continue
        out.append(
            violation("P6", c.label, "no JSON logs (neither litellm_settings.json_logs nor JSON_LOGS)", "json_logs: true", "set litellm_settings.json_logs: true and JSON_LOGS=true", urn=c.res.urn)
        )
    return out


@resource_policy(
    "litellm-p7-request-timeout",
    "P7",
    f"P7: litellm_settings.request_timeout is {REQUEST_TIMEOUT_SECONDS} s (reasoning models; per-model timeout overrides allowed). "
    f"Fix: set litellm_settings.request_timeout: {REQUEST_TIMEOUT_SECONDS}.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def p7_request_timeout(res: Resource, stack) -> list[Finding]:
    return fixed_setting(res, "P7", "litellm_settings.request_timeout", REQUEST_TIMEOUT_SECONDS, str(REQUEST_TIMEOUT_SECONDS), "LiteLLM default 6000 s")


def platform_grace(c: Container) -> tuple[Any, str]:
    """Kubernetes terminationGracePeriodSeconds / Docker stop timeout, in seconds."""
    if c.platform == "k8s":
        v = to_number(get(c.pod or {}, "terminationGracePeriodSeconds"))
        if v is None:
            return DEFAULT_K8S_GRACE, f"terminationGracePeriodSeconds {DEFAULT_K8S_GRACE} (Kubernetes default)"
        return v, f"terminationGracePeriodSeconds {fmt(v)}"
    v = to_number(get(c.spec, "stopTimeout"))
    if v is None:
        return DEFAULT_DOCKER_STOP, f"stopTimeout {DEFAULT_DOCKER_STOP} (Docker default)"
    return v, f"stopTimeout {fmt(v)}"


@stack_policy(
    "litellm-p4-graceful-shutdown",
    "P4",
    f"P4: graceful shutdown outlasts the longest request: SUPERVISORD_STOPWAITSECS={STOPWAITSECS} and the platform's "
    "stop grace (Kubernetes terminationGracePeriodSeconds, Docker stop timeout) ≥ request_timeout. "
    f"Fix: set SUPERVISORD_STOPWAITSECS={STOPWAITSECS} and terminationGracePeriodSeconds / stop_timeout above request_timeout.",
    ADVISORY,
    "proxy workloads + LiteLLM config",
)
def p4_graceful_shutdown(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        urn = c.res.urn
        sw = c.env_value("SUPERVISORD_STOPWAITSECS", stack)
        if is_unknown(sw):
            out.append(deferred("P4", c.label, f"SUPERVISORD_STOPWAITSECS ({c.env_reason('SUPERVISORD_STOPWAITSECS', stack)})", urn=urn))
        elif not same_number(sw, STOPWAITSECS):
            out.append(
                violation("P4", c.label, f"SUPERVISORD_STOPWAITSECS {fmt(sw)}", f"{STOPWAITSECS}", f"set SUPERVISORD_STOPWAITSECS={STOPWAITSECS}", urn=urn)
            )
        grace, gsrc = platform_grace(c)
        rt, rsrc = longest_request(stack, c)
        if is_unknown(grace) or is_unknown(rt):
            out.append(deferred("P4", c.label, f"the stop grace / request_timeout ({rsrc})", urn=urn))
        elif grace < rt:
            knob = "terminationGracePeriodSeconds" if c.platform == "k8s" else "stop_timeout"
            out.append(
                violation(
                    "P4",
                    c.label,
                    f"{gsrc} below the longest request, {num(rt)} s ({rsrc})",
                    f"a stop grace ≥ {num(rt)} s",
                    f"set {knob} above request_timeout (e.g. {num(rt)} + drain margin)",
                    urn=urn,
                )
            )
    return out


@stack_policy(
    "litellm-p8-recycling-needs-workers",
    "P8",
    "P8: worker recycling only with ≥ 2 workers and with --max_requests_before_restart_jitter "
    "(with one worker, hitting the limit stops all serving). Fix: run ≥ 2 workers and add "
    "--max_requests_before_restart_jitter (e.g. 10% of the limit), or turn recycling off.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def p8_recycling(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        urn = c.res.urn
        limit = c.option("--max_requests_before_restart", "MAX_REQUESTS_BEFORE_RESTART", stack)
        if limit is None:
            continue
        workers = c.workers(stack)
        jitter = to_number(c.option("--max_requests_before_restart_jitter", "MAX_REQUESTS_BEFORE_RESTART_JITTER", stack))
        if is_unknown(limit) or is_unknown(workers) or is_unknown(jitter):
            out.append(deferred("P8", c.label, "workers / recycling / jitter settings", urn=urn))
            continue
        if workers < 2:
            out.append(
                violation(
                    "P8",
                    c.label,
                    f"recycling after {fmt(limit)} requests with {num(workers)} worker",
                    "≥ 2 workers when recycling",
                    "run --num_workers 2 or more (P1: one per core), or drop --max_requests_before_restart",
                    urn=urn,
                )
            )
        if not jitter or jitter <= 0:
            out.append(
                violation(
                    "P8",
                    c.label,
                    f"no --max_requests_before_restart_jitter ({fmt(jitter)})",
                    "a positive jitter so workers do not restart together",
                    "add --max_requests_before_restart_jitter 1000 (10% of the limit)",
                    urn=urn,
                )
            )
    return out


@stack_policy(
    "litellm-p9-shutdown-order",
    "P9",
    "P9: shutdown timeouts are ordered request_timeout ≤ GRACEFUL_SHUTDOWN_TIMEOUT (LiteLLM default 30 s) < "
    "platform grace (terminationGracePeriodSeconds / Docker stop timeout) ≤ SUPERVISORD_STOPWAITSECS. "
    "Fix: e.g. request_timeout 600, GRACEFUL_SHUTDOWN_TIMEOUT=600, grace 660, SUPERVISORD_STOPWAITSECS=3600.",
    ADVISORY,
    "proxy workloads + LiteLLM config",
)
def p9_shutdown_order(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        urn = c.res.urn
        rt, rsrc = longest_request(stack, c)
        gst_raw = c.env_value("GRACEFUL_SHUTDOWN_TIMEOUT", stack)
        gst = to_number(gst_raw) if gst_raw is not None else DEFAULT_GRACEFUL_SHUTDOWN
        grace, gsrc = platform_grace(c)
        sup = c.health_app_enabled(stack)
        sw_raw = c.env_value("SUPERVISORD_STOPWAITSECS", stack)
        sw = to_number(sw_raw) if sw_raw is not None else STOPWAITSECS  # prod_entrypoint.sh default
        if any(is_unknown(x) for x in (rt, gst, grace, sup, sw)):
            out.append(deferred("P9", c.label, "the shutdown timeouts", urn=urn))
            continue
        gsrc_s = "GRACEFUL_SHUTDOWN_TIMEOUT " + (fmt(gst_raw) if gst_raw is not None else f"{DEFAULT_GRACEFUL_SHUTDOWN} (LiteLLM default)")
        if gst is None:
            out.append(violation("P9", c.label, gsrc_s, "a number of seconds", "set GRACEFUL_SHUTDOWN_TIMEOUT to request_timeout", urn=urn))
            continue
        if rt > gst:
            out.append(
                violation(
                    "P9",
                    c.label,
                    f"{gsrc_s} below the longest request, {num(rt)} s ({rsrc}): it is cut at shutdown",
                    f"GRACEFUL_SHUTDOWN_TIMEOUT ≥ {num(rt)}",
                    f"set GRACEFUL_SHUTDOWN_TIMEOUT={num(rt)}",
                    urn=urn,
                )
            )
        if not gst < grace:
            out.append(
                violation(
                    "P9",
                    c.label,
                    f"{gsrc} not above {gsrc_s}",
                    f"the platform grace > {num(gst)} s",
                    f"set the platform grace (terminationGracePeriodSeconds / stop_timeout) above {num(gst)}",
                    urn=urn,
                )
            )
        if sup and sw is not None and grace > sw:
            out.append(
                violation(
                    "P9",
                    c.label,
                    f"{gsrc} above SUPERVISORD_STOPWAITSECS {num(sw)}",
                    "grace ≤ SUPERVISORD_STOPWAITSECS",
                    f"raise SUPERVISORD_STOPWAITSECS to at least {num(grace)}",
                    urn=urn,
                )
            )
    return out


def _prestop_drain(c: Container) -> tuple[Any, str]:
    """(calls /health/drain?, how)."""
    ps = get(c.spec, "lifecycle.preStop")
    if is_unknown(ps):
        return UNKNOWN, "lifecycle.preStop"
    if not isinstance(ps, dict):
        return False, "no preStop hook"
    http, ex = ps.get("httpGet"), get(ps, "exec.command")
    if is_unknown(http) or is_unknown(ex):
        return UNKNOWN, "lifecycle.preStop"
    if isinstance(http, dict):
        path = http.get("path")
        return (UNKNOWN if is_unknown(path) else path == "/health/drain"), f"preStop httpGet {fmt(path)}"
    if isinstance(ex, list):
        text = " ".join(str(x) for x in ex if not is_unknown(x))
        if "/health/drain" in text:
            return True, "preStop exec"
        return (UNKNOWN if any(is_unknown(x) for x in ex) else False), "preStop exec"
    if isinstance(ps.get("sleep"), dict):
        return False, "preStop sleep"
    return False, "preStop without /health/drain"


@stack_policy(
    "litellm-p9-drain-hook",
    "P9",
    "P9: on Kubernetes a preStop hook calls /health/drain, general_settings.enable_drain_endpoint is true, and the "
    "drain token (DRAIN_ENDPOINT_TOKEN / X-Drain-Token) comes from a Secret. Fix: add lifecycle.preStop exec "
    "`curl -fsS -H \"X-Drain-Token: $DRAIN_ENDPOINT_TOKEN\" http://127.0.0.1:4000/health/drain`, set "
    "enable_drain_endpoint: true, and DRAIN_ENDPOINT_TOKEN via secretKeyRef.",
    ADVISORY,
    "kubernetes proxy workloads + LiteLLM config",
)
def p9_drain_hook(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        if c.platform != "k8s":
            continue
        urn = c.res.urn
        ok, how = _prestop_drain(c)
        if is_unknown(ok):
            out.append(deferred("P9", c.label, how, urn=urn))
        elif not ok:
            out.append(
                violation("P9", c.label, how, "a preStop hook calling /health/drain", "add lifecycle.preStop that calls /health/drain with the X-Drain-Token header", urn=urn)
            )
        cfgs = stack.configs_for(c)
        if is_unknown(cfgs) or (isinstance(cfgs, list) and any(is_unknown(x.data) for x in cfgs)):
            out.append(deferred("P9", c.label, "general_settings.enable_drain_endpoint", urn=urn))
        else:
            enabled = any(setting(x.data, "general_settings.enable_drain_endpoint") is True for x in cfgs if isinstance(x.data, dict))
            if not enabled:
                out.append(
                    violation("P9", c.label, "general_settings.enable_drain_endpoint not true in the proxy's config", "enable_drain_endpoint: true", "set general_settings.enable_drain_endpoint: true", urn=urn)
                )
            cfg_token = next(
                (setting(x.data, "general_settings.drain_endpoint_token") for x in cfgs if isinstance(x.data, dict) and setting(x.data, "general_settings.drain_endpoint_token") is not None),
                None,
            )
            env = c.env(stack)
            token_var = env.vars.get("DRAIN_ENDPOINT_TOKEN")
            if isinstance(cfg_token, str) and cfg_token.startswith("os.environ/"):
                token_var = env.vars.get(cfg_token[len("os.environ/"):])
            if token_var is None:
                if not env.complete:
                    out.append(deferred("P9", c.label, f"DRAIN_ENDPOINT_TOKEN ({env.gap_reason()})", urn=urn))
                else:
                    out.append(
                        violation("P9", c.label, "no drain token (anyone reaching the pod could drain it)", "DRAIN_ENDPOINT_TOKEN from a Secret", "set DRAIN_ENDPOINT_TOKEN via secretKeyRef and send it as X-Drain-Token from the preStop hook", urn=urn)
                    )
            elif token_var.source == "unknown":
                out.append(deferred("P9", c.label, "the source of DRAIN_ENDPOINT_TOKEN", urn=urn))
            elif token_var.source != "secret":
                out.append(
                    violation("P9", c.label, f"the drain token from a {token_var.source} source", "a secretKeyRef", "source DRAIN_ENDPOINT_TOKEN from a Secret", urn=urn)
                )
    return out


# ---------------------------------------------------------------- P10

KNOWN_TOP_LEVEL = {
    "model_list",
    "general_settings",
    "litellm_settings",
    "router_settings",
    "environment_variables",
    "callback_settings",
    "credential_list",
    "include",
    "mcp_servers",
    "mcp_tools",
    "search_tools",
    "sandbox_tools",
    "vector_store_registry",
    "prompts",
    "policies",
    "policy_attachments",
    "guardrails",
    "pass_through_endpoints",
    "finetune_settings",
    "files_settings",
    "assistant_settings",
    "agents",
    "agent_list",
    "worker_registry",
}


@resource_policy(
    "litellm-p10-config-valid",
    "P10",
    "P10: (partial; LiteLLM's own `--validate_config` is the full check) the LiteLLM config parses, is a mapping, "
    "uses only top-level sections LiteLLM 1.106 reads, and each model_list entry has model_name and "
    "litellm_params.model. Fix: correct the config; run `litellm --config FILE --validate_config` before deploying.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def p10_config_valid(res: Resource, stack) -> list[Finding]:
    out = []
    for cfg in configs_in(res):
        if cfg.error:
            out.append(violation("P10", cfg.where, f"a LiteLLM config that {cfg.error}", "valid YAML", "fix the YAML syntax"))
            continue
        if is_unknown(cfg.data):
            out.append(deferred("P10", cfg.where, "the LiteLLM config content"))
            continue
        for k in cfg.data:
            if k not in KNOWN_TOP_LEVEL:
                out.append(
                    violation("P10", cfg.where, f"top-level key {fmt(k)} that LiteLLM does not read", "only LiteLLM config sections", f"remove or move {fmt(k)} (did you mean one of general_settings / litellm_settings / router_settings?)")
                )
        for section in ("general_settings", "litellm_settings", "router_settings"):
            v = cfg.data.get(section)
            if v is not None and not isinstance(v, dict):
                out.append(violation("P10", cfg.where, f"{section} {fmt(v)}", "a mapping", f"make {section} a mapping"))
        models = cfg.data.get("model_list")
        if models is not None and not isinstance(models, list):
            out.append(violation("P10", cfg.where, "model_list that is not a list", "a list of models", "make model_list a list"))
        for i, m in enumerate(models if isinstance(models, list) else []):
            if not isinstance(m, dict) or not m.get("model_name") or not get(m, "litellm_params.model"):
                out.append(
                    violation("P10", cfg.where, f"model_list[{i}] without model_name or litellm_params.model", "both set", f"complete model_list[{i}]")
                )
    return out


@stack_policy(
    "litellm-p10-config-provided",
    "P10",
    "P10: every proxy loads a config (--config PATH or CONFIG_FILE_PATH) that the stack provides: a ConfigMap/Secret "
    "mounted at that path, or a Docker upload to that file. Fix: mount the rendered config.yaml at the path "
    "given to --config.",
    ADVISORY,
    "proxy workloads + ConfigMap/Secret volumes, docker uploads",
)
def p10_config_provided(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        path = stack.config_path(c)
        if is_unknown(path):
            cfgs = stack.configs_for(c)
            if not (isinstance(cfgs, list) and cfgs):
                out.append(deferred("P10", c.label, "--config / CONFIG_FILE_PATH", urn=c.res.urn))
            continue
        if path is None:
            out.append(
                violation("P10", c.label, "no --config and no CONFIG_FILE_PATH", "a config file", "pass --config /app/config.yaml and mount the config there", urn=c.res.urn)
            )
            continue
        cfgs = stack.configs_for(c)
        if is_unknown(cfgs):
            out.append(deferred("P10", c.label, f"the config at {path}", urn=c.res.urn))
        elif not cfgs:
            out.append(
                violation("P10", c.label, f"--config {path} but no ConfigMap/Secret/upload in the stack provides it", "the config provided at that path", f"mount the config at {path}", urn=c.res.urn)
            )
    return out

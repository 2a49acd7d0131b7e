"""Observability rules O1-O3."""

from __future__ import annotations

from .common import config_checks, effective_request_timeout, proxies, setting
from .detect import LiteLLMConfig, Stack
from .model import Finding, Resource, deferred, fmt, is_unknown, violation
from .registry import ADVISORY, resource_policy, stack_policy
from .values import num, to_number


def _listed(value, item: str) -> bool:
    if isinstance(value, str):
        return value == item
    return isinstance(value, list) and item in value


@resource_policy(
    "litellm-o1-prometheus-metrics",
    "O1",
    "O1: Prometheus metrics are on: 'prometheus' in litellm_settings.callbacks (or success_callback). "
    "Fix: add litellm_settings.callbacks: ['prometheus'].",
    ADVISORY,
    "kubernetes ConfigMap/Secret, docker Container (uploads)",
)
def o1_prometheus(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        if any(_listed(setting(cfg.data, f"litellm_settings.{k}"), "prometheus") for k in ("callbacks", "success_callback")):
            return []
        return [
            violation("O1", cfg.where, "no 'prometheus' callback", "litellm_settings.callbacks including 'prometheus'", "add litellm_settings.callbacks: ['prometheus']")
        ]

    return config_checks(res, "O1", check)


@resource_policy(
    "litellm-o3-separate-metrics-process",
    "O3",
    "O1/O3: with several workers, metrics are aggregated in PROMETHEUS_MULTIPROC_DIR and served by LiteLLM's "
    "separate metrics process (--prometheus_metrics_port / PROMETHEUS_METRICS_PORT), never by an inference worker. "
    "Fix: set PROMETHEUS_MULTIPROC_DIR (an emptyDir/tmpfs) and --prometheus_metrics_port 9090.",
    ADVISORY,
    "LiteLLM proxy containers (kubernetes workloads, docker Container)",
)
def o3_metrics_process(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "O3", out):
        workers = c.workers(stack)
        if is_unknown(workers):
            out.append(deferred("O3", c.label, "--num_workers"))
            continue
        if workers < 2:
            continue
        port = c.option("--prometheus_metrics_port", "PROMETHEUS_METRICS_PORT", stack)
        mdir = c.env_value("PROMETHEUS_MULTIPROC_DIR", stack)
        if is_unknown(port) or is_unknown(mdir):
            out.append(deferred("O3", c.label, "--prometheus_metrics_port / PROMETHEUS_MULTIPROC_DIR"))
            continue
        if port is None:
            out.append(
                violation("O3", c.label, f"{num(workers)} workers and no --prometheus_metrics_port", "a separate metrics process", "add --prometheus_metrics_port 9090 (keep it off public ingress)")
            )
        if not mdir:
            out.append(
                violation("O3", c.label, f"{num(workers)} workers and no PROMETHEUS_MULTIPROC_DIR", "PROMETHEUS_MULTIPROC_DIR on a writable volume", "set PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus_multiproc (emptyDir)")
            )
    return out


@stack_policy(
    "litellm-o2-slack-alerting",
    "O2",
    "O2: when SLACK_WEBHOOK_URL is given to the proxy, general_settings.alerting includes 'slack' with an "
    "alerting_threshold in seconds (LiteLLM's unit) below request_timeout; 'slack' alerting needs the webhook. "
    "Fix: set alerting: ['slack'] and alerting_threshold (e.g. 300) when the webhook secret exists.",
    ADVISORY,
    "proxy workloads + LiteLLM config",
)
def o2_slack(stack: Stack) -> list[Finding]:
    out = []
    for c in stack.proxies:
        urn = c.res.urn
        hook = c.env_value("SLACK_WEBHOOK_URL", stack)
        has_hook = c.env(stack).vars.get("SLACK_WEBHOOK_URL") is not None
        cfgs = stack.configs_for(c)
        if is_unknown(cfgs) or (isinstance(cfgs, list) and any(is_unknown(x.data) for x in cfgs)):
            if has_hook:
                out.append(deferred("O2", c.label, "general_settings.alerting", urn=urn))
            continue
        datas = [x for x in cfgs if isinstance(x.data, dict)]
        slack = any(_listed(setting(x.data, "general_settings.alerting"), "slack") for x in datas)
        if has_hook and hook != "" and not slack:
            out.append(
                violation("O2", c.label, "SLACK_WEBHOOK_URL set but general_settings.alerting lacks 'slack'", "alerting: ['slack']", "add general_settings.alerting: ['slack']", urn=urn)
            )
            continue
        if slack and not has_hook:
            if not c.env(stack).complete:
                out.append(deferred("O2", c.label, "SLACK_WEBHOOK_URL", urn=urn))
            else:
                out.append(
                    violation("O2", c.label, "alerting ['slack'] without SLACK_WEBHOOK_URL", "the webhook from a Secret", "add SLACK_WEBHOOK_URL (secretKeyRef) or remove 'slack' alerting", urn=urn)
                )
            continue
        if not slack:
            continue
        raw = next((setting(x.data, "general_settings.alerting_threshold") for x in datas if setting(x.data, "general_settings.alerting_threshold") is not None), None)
        rt, rsrc = effective_request_timeout(stack, c)
        t = to_number(raw)
        if is_unknown(rt):
            out.append(deferred("O2", c.label, "request_timeout", urn=urn))
        elif t is None or t <= 0 or t >= rt:
            found = f"alerting_threshold {fmt(raw)}" + (" (LiteLLM default 600 s)" if raw is None else " s")
            out.append(
                violation(
                    "O2",
                    c.label,
                    f"{found} with request_timeout {num(rt)} s: slow responses would never alert",
                    f"0 < alerting_threshold < {num(rt)} (seconds, the unit LiteLLM reads; the seed's 1000 is not ms)",
                    "set general_settings.alerting_threshold to e.g. 300",
                    urn=urn,
                )
            )
    return out

"""Routing and reliability rules (F1-F6), judged on the LiteLLM config wherever it is
held: a ConfigMap/Secret data key or a Docker container upload."""

from __future__ import annotations

from typing import Any

from .catalogue import (
    ALLOWED_FAILS,
    ALLOWED_FAILS_POLICY,
    COOLDOWN_SECONDS,
    MAX_QUEUED_PER_WORKER,
    RETRY_POLICY,
    ROUTING_STRATEGY,
)
from .common import config_checks, setting
from .detect import LiteLLMConfig
from .model import Finding, Resource, fmt, is_unknown, violation
from .registry import ADVISORY, resource_policy
from .values import to_number

CONFIG_HOLDERS = "kubernetes ConfigMap/Secret, docker Container (uploads)"



def _router(cfg: LiteLLMConfig, key: str) -> Any:
    """router_settings.<key>, falling back to litellm_settings.<key> (module defaults)."""
    v = setting(cfg.data, f"router_settings.{key}")
    return v if v is not None else setting(cfg.data, f"litellm_settings.{key}")


@resource_policy(
    "litellm-f1-routing-strategy",
    "F1",
    f"F1: the router uses routing_strategy {ROUTING_STRATEGY} (LiteLLM's fastest). "
    f"Fix: set router_settings.routing_strategy: {ROUTING_STRATEGY} (or leave it unset).",
    ADVISORY,
    CONFIG_HOLDERS,
)
def f1_routing_strategy(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        v = setting(cfg.data, "router_settings.routing_strategy")
        if v is None or v == ROUTING_STRATEGY:
            return []
        return [
            violation(
                "F1",
                cfg.where,
                f"router_settings.routing_strategy {fmt(v)}",
                "'simple-shuffle'",
                "set router_settings.routing_strategy: simple-shuffle",
            )
        ]

    return config_checks(res, "F1", check)


@resource_policy(
    "litellm-f2-circuit-breaker",
    "F2",
    f"F2: circuit breaker allowed_fails {ALLOWED_FAILS} and cooldown_time {COOLDOWN_SECONDS} s. "
    f"Fix: set router_settings.allowed_fails: {ALLOWED_FAILS} and router_settings.cooldown_time: {COOLDOWN_SECONDS}.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def f2_circuit_breaker(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        out = []
        # LiteLLM defaults: allowed_fails 3 (litellm.allowed_fails), cooldown_time 5 s
        for key, required, default in (("allowed_fails", ALLOWED_FAILS, 3), ("cooldown_time", COOLDOWN_SECONDS, 5)):
            raw = _router(cfg, key)
            v = to_number(raw) if raw is not None else default
            if is_unknown(v):
                continue
            if v != required:
                found = f"router_settings.{key} {fmt(raw)}" if raw is not None else f"{key} not set (LiteLLM default {default})"
                out.append(
                    violation("F2", cfg.where, found, f"{key}: {required}", f"set router_settings.{key}: {required}")
                )
        return out

    return config_checks(res, "F2", check)


def _policy_check(cfg: LiteLLMConfig, rule_id: str, key: str, required: dict[str, int]) -> list[Finding]:
    pol = _router(cfg, key)
    wanted = ", ".join(f"{k}: {v}" for k, v in required.items())
    if pol is None:
        return [
            violation(
                rule_id,
                cfg.where,
                f"no router_settings.{key}",
                f"router_settings.{key} with {wanted}",
                f"add router_settings.{key}: {{{wanted}}}",
            )
        ]
    if not isinstance(pol, dict):
        return [violation(rule_id, cfg.where, f"router_settings.{key} {fmt(pol)}", "a mapping", f"set {wanted}")]
    out = []
    for k, want in required.items():
        got = pol.get(k)
        n = to_number(got)
        if is_unknown(n):
            continue
        if n != want:
            out.append(
                violation(
                    rule_id,
                    cfg.where,
                    f"router_settings.{key}.{k} {fmt(got)}",
                    f"{k}: {want}",
                    f"set router_settings.{key}.{k}: {want}",
                )
            )
    return out


@resource_policy(
    "litellm-f3-retry-policy",
    "F3",
    "F3: permanent errors are never retried: retry_policy "
    + ", ".join(f"{k} {v}" for k, v in RETRY_POLICY.items())
    + ". Fix: set router_settings.retry_policy with these values.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def f3_retry_policy(res: Resource, stack) -> list[Finding]:
    return config_checks(res, "F3", lambda cfg: _policy_check(cfg, "F3", "retry_policy", RETRY_POLICY))


@resource_policy(
    "litellm-f4-allowed-fails-policy",
    "F4",
    "F4: allowed-fails policy "
    + ", ".join(f"{k.removesuffix('ErrorAllowedFails')} {v}" for k, v in ALLOWED_FAILS_POLICY.items())
    + ". Fix: set router_settings.allowed_fails_policy with the <Error>AllowedFails keys and these values.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def f4_allowed_fails_policy(res: Resource, stack) -> list[Finding]:
    return config_checks(
        res, "F4", lambda cfg: _policy_check(cfg, "F4", "allowed_fails_policy", ALLOWED_FAILS_POLICY)
    )


def _fallback_entries(value: Any) -> list[tuple[Any, list]]:
    out = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                for group, targets in item.items():
                    out.append((group, targets if isinstance(targets, list) else [targets]))
    elif isinstance(value, dict):
        for group, targets in value.items():
            out.append((group, targets if isinstance(targets, list) else [targets]))
    return out


@resource_policy(
    "litellm-f5-fallbacks-resolve",
    "F5",
    "F5: every fallback chain names model groups that exist in model_list. "
    "Fix: correct the fallbacks (router_settings/litellm_settings fallbacks, context_window_fallbacks, "
    "content_policy_fallbacks) or add the missing model_list entries.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def f5_fallbacks(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        models = setting(cfg.data, "model_list")
        if not isinstance(models, list) or any(is_unknown(m) for m in models):
            return []
        names = {m.get("model_name") for m in models if isinstance(m, dict)}
        if any(is_unknown(n) for n in names):
            return []
        wildcard = any(isinstance(n, str) and "*" in n for n in names)
        out = []
        for section in ("router_settings", "litellm_settings"):
            for key in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
                for group, targets in _fallback_entries(setting(cfg.data, f"{section}.{key}")):
                    for name in [group, *targets]:
                        if is_unknown(name) or name in names or wildcard:
                            continue
                        out.append(
                            violation(
                                "F5",
                                cfg.where,
                                f"{section}.{key} names model group {fmt(name)} that is not in model_list",
                                "fallbacks between existing model groups",
                                f"add a model_list entry with model_name {fmt(name)} or remove it from {key}",
                            )
                        )
        return out

    return config_checks(res, "F5", check)


@resource_policy(
    "litellm-f6-admission-control",
    "F6",
    "F6: admission control per worker: general_settings.max_in_flight_requests_per_worker is set "
    "(sized from the workers' throughput and a target latency) and max_queued_requests_per_worker is "
    f"{MAX_QUEUED_PER_WORKER}, so overload is refused at once with 503 instead of waiting out a queue. "
    "Fix: set general_settings.max_in_flight_requests_per_worker to a positive integer and "
    f"general_settings.max_queued_requests_per_worker to {MAX_QUEUED_PER_WORKER}.",
    ADVISORY,
    CONFIG_HOLDERS,
)
def f6_admission_control(res: Resource, stack) -> list[Finding]:
    def check(cfg: LiteLLMConfig) -> list[Finding]:
        raw = setting(cfg.data, "general_settings.max_in_flight_requests_per_worker")
        n = to_number(raw)
        if is_unknown(n):
            return []
        if n is None or n <= 0 or not float(n).is_integer():
            return [
                violation(
                    "F6",
                    cfg.where,
                    f"general_settings.max_in_flight_requests_per_worker {fmt(raw)}",
                    "a positive integer sized from the machine class",
                    "set general_settings.max_in_flight_requests_per_worker (measured in the load benchmark)",
                )
            ]
        raw_queue = setting(cfg.data, "general_settings.max_queued_requests_per_worker")
        queue = to_number(raw_queue)
        if is_unknown(queue) or queue == MAX_QUEUED_PER_WORKER:
            return []
        queued = f"{fmt(raw_queue)}" if raw_queue is not None else f"unset (LiteLLM then queues as many as it admits: {fmt(raw)})"
        return [
            violation(
                "F6",
                cfg.where,
                f"general_settings.max_queued_requests_per_worker {queued}",
                f"{MAX_QUEUED_PER_WORKER}: requests beyond the cap are refused at once (503, Retry-After) instead of"
                " waiting in a queue until admission_queue_timeout_seconds",
                f"set general_settings.max_queued_requests_per_worker: {MAX_QUEUED_PER_WORKER}",
            )
        ]

    return config_checks(res, "F6", check)

"""Helpers shared by the rule modules."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from .detect import Container, LiteLLMConfig, Stack, configs_in
from .model import UNKNOWN, Finding, Resource, deferred, fmt, is_unknown, violation
from .values import get, to_number


def config_checks(res: Resource, rule_id: str, check: Callable[[LiteLLMConfig], list[Finding]]) -> list[Finding]:
    """Run `check` on every LiteLLM config this resource holds; an unknown config
    content defers the check; a config that does not parse is left to P10."""
    out: list[Finding] = []
    for cfg in configs_in(res):
        if cfg.error:
            continue
        if is_unknown(cfg.data):
            out.append(deferred(rule_id, cfg.where, "the LiteLLM config content"))
            continue
        out.extend(check(cfg))
    return out


def fixed_setting(res: Resource, rule_id: str, path: str, want: float, required: str, unset_note: str = "") -> list[Finding]:
    """The config value at `path` must be the number `want`; `unset_note` says what LiteLLM
    does when it is missing (its default), so the finding explains the risk."""

    def check(cfg: LiteLLMConfig) -> list[Finding]:
        v = setting(cfg.data, path)
        if same_number(v, want):
            return []
        found = f"{path} {fmt(v)}" + (f" ({unset_note})" if v is None and unset_note else "")
        return [violation(rule_id, cfg.where, found, required, f"set {path}: {want:g}")]

    return config_checks(res, rule_id, check)


def containers(stack: Stack, *roles: str) -> list[Container]:
    return [c for c in stack.containers if c.role in roles]


def proxies(stack: Stack, rule_id: str, out: list[Finding]) -> list[Container]:
    """The proxy containers a resource rule judges; a LiteLLM container whose command is
    unknown (proxy or one-shot job?) defers the rule instead of being guessed."""
    for c in stack.containers:
        if c.role == "litellm?":
            out.append(deferred(rule_id, c.label, "whether it is the proxy or a one-shot job (its command)"))
    return [c for c in stack.containers if c.role == "proxy"]


def setting(cfg_data: Any, path: str) -> Any:
    """A config value (None when absent, UNKNOWN when computed)."""
    return get(cfg_data, path)


def config_number(stack: Stack, c: Container, path: str) -> tuple[Any, str] | None:
    """A number the proxy's config sets at `path`: (n | UNKNOWN, where), or None when unset."""
    cfgs = stack.configs_for(c)
    if is_unknown(cfgs):
        return UNKNOWN, "the proxy's config"
    for cfg in cfgs:
        if is_unknown(cfg.data):
            return UNKNOWN, cfg.where
        v = get(cfg.data, path)
        if v is not None:
            n = to_number(v)
            return (UNKNOWN if n is None else n), f"{v!r} ({path} in {cfg.where})"
    return None


def same_number(value: Any, required: float) -> bool:
    n = to_number(value)
    return n is not None and not is_unknown(n) and float(n) == float(required)


def proxy_configs(stack: Stack, c: Container) -> Any:
    """Configs the proxy loads (list) or UNKNOWN; [] when none is found."""
    return stack.configs_for(c)


def effective_request_timeout(stack: Stack, c: Container) -> tuple[Any, str]:
    """LiteLLM's request timeout for a proxy: litellm_settings.request_timeout, else the
    REQUEST_TIMEOUT env var, else LiteLLM's default 6000 s. Returns (seconds|UNKNOWN, source)."""
    cfgs = stack.configs_for(c)
    if is_unknown(cfgs):
        return UNKNOWN, "the proxy's config (unknown until apply)"
    for cfg in cfgs:
        if is_unknown(cfg.data):
            return UNKNOWN, f"{cfg.where} (unknown until apply)"
        v = get(cfg.data, "litellm_settings.request_timeout")
        if v is not None:
            n = to_number(v)
            return (n if n is not None else UNKNOWN), f"litellm_settings.request_timeout in {cfg.where}"
    env = to_number(c.env_value("REQUEST_TIMEOUT", stack))
    if is_unknown(env):
        return UNKNOWN, "REQUEST_TIMEOUT env (unknown until apply)"
    if env is not None:
        return env, "REQUEST_TIMEOUT env"
    return 6000, "LiteLLM default, nothing set"


def longest_request(stack: Stack, c: Container) -> tuple[Any, str]:
    """The longest a request may run: request_timeout, or a larger per-model
    `litellm_params.timeout` override (HARDENING P7 allows them)."""
    rt, src = effective_request_timeout(stack, c)
    if is_unknown(rt):
        return rt, src
    cfgs = stack.configs_for(c)
    best, best_src = rt, src
    for cfg in cfgs if isinstance(cfgs, list) else []:
        models = get(cfg.data, "model_list") if isinstance(cfg.data, dict) else None
        for m in models if isinstance(models, list) else []:
            t = to_number(get(m, "litellm_params.timeout"))
            if isinstance(t, (int, float)) and not is_unknown(t) and t > best:
                best, best_src = t, f"litellm_params.timeout of model {m.get('model_name')!r} in {cfg.where}"
    return best, best_src


def first_known(values: Iterable[Any]) -> Any:
    for v in values:
        if v is not None:
            return v
    return None

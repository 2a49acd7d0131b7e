"""P10: settings the rules judge are set where the proxy's environment says, not behind it.

LiteLLM copies config.yaml's `environment_variables` into its environment after start-up, and a
shell command can assign a variable before `exec litellm`: either way the value the process uses
is not the one in the container's env, which the rules judge (LITELLM_LOG=DEBUG there passed).
Rather than guess which of LiteLLM's reads happen before or after the copy, the pack refuses
both places for every variable a rule reads.
"""

from __future__ import annotations

import re

from .common import containers
from .detect import Container, Stack, runs_shell_script
from .model import Finding, deferred, is_unknown, violation
from .registry import ADVISORY, stack_policy
from .values import get

#: The env vars the pack's rules judge on a LiteLLM container.
JUDGED_ENV = frozenset(
    {"LITELLM_LOG", "LITELLM_MODE", "JSON_LOGS", "DISABLE_SCHEMA_UPDATE", "USE_PRISMA_MIGRATE", "SEPARATE_HEALTH_APP",
     "SEPARATE_HEALTH_PORT", "MAX_REQUESTS_BEFORE_RESTART", "SUPERVISORD_STOPWAITSECS", "GRACEFUL_SHUTDOWN_TIMEOUT",
     "REQUEST_TIMEOUT", "PROMETHEUS_MULTIPROC_DIR", "LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "CONFIG_FILE_PATH",
     "REDIS_MAX_CONNECTIONS", "SLACK_WEBHOOK_URL"}
)  # fmt: skip
_ASSIGNMENT = re.compile(r"(?:^|[\s;&|(])(?:export\s+|env\s+)?([A-Z_][A-Z0-9_]*)=")


def _shell_assignments(c: Container) -> list[str]:
    tokens = [t for t in c.tokens if isinstance(t, str)]
    if not runs_shell_script(tokens):
        return []
    return sorted({m for m in _ASSIGNMENT.findall(" ".join(tokens[2:])) if m in JUDGED_ENV})


def _config_overrides(stack: Stack, c: Container) -> list[Finding]:
    cfgs = stack.configs_for(c)
    if is_unknown(cfgs):
        return [deferred("P10", c.label, "the config's environment_variables", urn=c.res.urn)]
    out = []
    for cfg in cfgs:
        # UNKNOWN when the content is computed at apply (deferred), None when it is not a mapping
        env = get(cfg.data, "environment_variables")
        if is_unknown(env):
            out.append(deferred("P10", cfg.where, "environment_variables", urn=c.res.urn))
            continue
        judged = sorted(k for k in env if k in JUDGED_ENV) if isinstance(env, dict) else []
        if judged:
            out.append(
                violation(
                    "P10",
                    c.label,
                    f"environment_variables in {cfg.where} setting {', '.join(judged)}, which LiteLLM applies after "
                    "start-up, out of the env the rules judge",
                    "these variables only in the container's env",
                    f"move {', '.join(judged)} from the config's environment_variables to the container's env",
                    urn=c.res.urn,
                )
            )
    return out


@stack_policy(
    "litellm-p10-settings-in-sight",
    "P10",
    "P10: the env vars the rules judge (LITELLM_LOG, DISABLE_SCHEMA_UPDATE, LITELLM_MASTER_KEY, ...) are set in the "
    "container's env only: not in config.yaml's environment_variables (LiteLLM applies them after start-up) and not "
    "by a shell assignment before `exec litellm`. Fix: set them in the container's env.",
    ADVISORY,
    "LiteLLM proxy containers and the config they load",
)
def p10_settings_in_sight(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for c in containers(stack, "proxy", "migration"):
        assigned = _shell_assignments(c)
        if assigned:
            out.append(
                violation(
                    "P10",
                    c.label,
                    f"a shell command assigning {', '.join(assigned)} before LiteLLM starts",
                    "these variables only in the container's env",
                    f"set {', '.join(assigned)} in the container's env and run LiteLLM without the shell assignment",
                    urn=c.res.urn,
                )
            )
        if c.role == "proxy":
            out.extend(_config_overrides(stack, c))
    return out

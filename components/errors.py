"""The one error type for bad stack configuration.

Every message names the config key, the value found and what is allowed, so the program, the
capacity report and the tests show the same text and never a bare traceback. Values of secret
keys are never part of a message: only their names.
"""

from dataclasses import dataclass

CONFIG_NAMESPACE = "litellm-gateway"


@dataclass(frozen=True)
class Problem:
    """One bad config value; `rule` is the HARDENING.md rule ID it protects, when there is one."""

    key: str
    found: str
    allowed: str
    rule: str | None = None

    def __str__(self) -> str:
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{rule}{CONFIG_NAMESPACE}:{self.key} = {self.found}: {self.allowed}"


class ConfigError(ValueError):
    """Raised before any resource is registered when the stack config cannot be deployed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack configuration ({len(problems)} problem(s)):\n{lines}")

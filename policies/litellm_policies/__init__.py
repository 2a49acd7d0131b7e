"""CrossGuard policies enforcing the LiteLLM gateway hardening rules (HARDENING.md).

Pure rules over plain data; `evaluate` runs them all on a list of resources, e.g.
resources recorded from Pulumi mocks. `adapter.build_policies()` wraps them for
pulumi_policy (only that module imports pulumi_policy).
"""

from .model import UNKNOWN, Finding, Resource, Violation, is_unknown
from .registry import (
    ADVISORY,
    DEFERRED_RESOURCE_POLICY,
    DEFERRED_STACK_POLICY,
    MANDATORY,
    PolicySpec,
    enforcement_for,
    evaluate,
    policy_names,
    specs,
)

__all__ = [
    "ADVISORY",
    "DEFERRED_RESOURCE_POLICY",
    "DEFERRED_STACK_POLICY",
    "MANDATORY",
    "UNKNOWN",
    "Finding",
    "PolicySpec",
    "Resource",
    "Violation",
    "enforcement_for",
    "evaluate",
    "is_unknown",
    "policy_names",
    "specs",
]

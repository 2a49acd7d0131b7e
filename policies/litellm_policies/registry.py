"""Policy specs (name, rule ID, kind, enforcement per config) and `evaluate`.

Rule modules register their rule functions with `@resource_policy(...)` or
`@stack_policy(...)`. A resource rule is `fn(res: Resource, stack: Stack) -> list[Finding]`
and is given a `Stack` holding only that resource (exactly what a CrossGuard resource
policy sees); a stack rule is `fn(stack: Stack) -> list[Finding]`.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

from .detect import Stack
from .model import Finding, Resource, Violation

MANDATORY = "mandatory"
ADVISORY = "advisory"
DISABLED = "disabled"
LEVELS = (MANDATORY, ADVISORY, DISABLED, "remediate")

DEFERRED_RESOURCE_POLICY = "litellm-deferred-resource-checks"
DEFERRED_STACK_POLICY = "litellm-deferred-stack-checks"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    rule_id: str
    kind: str  # "resource" | "stack"
    fn: Callable[..., list[Finding]]
    description: str
    dev: str  # enforcement in config/dev.json (prod.json: mandatory)
    applies_to: str  # resource types it judges, for the docs
    settings: Mapping[str, "Setting"] = field(default_factory=dict)

    def settings_from(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The policy's settings: its pack-config entry's values over the defaults."""
        given = given if isinstance(given, Mapping) else {}
        return {k: given.get(k, s.default) for k, s in self.settings.items()}


@dataclass(frozen=True)
class Setting:
    """A value of a policy's pack-config entry (lists that change without a new pack version)."""

    schema: dict[str, Any]
    default: Any


_SPECS: list[PolicySpec] = []


def _register(kind: str, name: str, rule_id: str, description: str, dev: str, applies_to: str, settings: Mapping[str, Setting] | None = None):
    assert name.startswith("litellm-") and name == name.lower(), name
    assert f"-{rule_id.lower()}-" in name, (name, rule_id)
    assert dev in (MANDATORY, ADVISORY), dev
    assert "Fix:" in description, name
    assert kind == "stack" or not settings, "settings only on stack policies: a resource rule's -in-stack twin would need them too"

    def deco(fn):
        if any(s.name == name for s in _SPECS):
            raise ValueError(f"duplicate policy {name}")
        _SPECS.append(PolicySpec(name, rule_id, kind, fn, description, dev, applies_to, dict(settings or {})))
        fn.policy_name = name
        fn.rule_id = rule_id
        return fn

    return deco


def resource_policy(name: str, rule_id: str, description: str, dev: str, applies_to: str):
    return _register("resource", name, rule_id, description, dev, applies_to)


def stack_policy(name: str, rule_id: str, description: str, dev: str, applies_to: str, settings: Mapping[str, Setting] | None = None):
    return _register("stack", name, rule_id, description, dev, applies_to, settings)


def specs() -> list[PolicySpec]:
    from . import (  # noqa: F401  (importing registers the rules)
        cache,
        database,
        exposure,
        external_stores,
        health,
        observability,
        overrides,
        platform,
        proxy,
        references,
        routing,
        scheduling,
        secrets,
    )

    return list(_SPECS)


#: A resource rule's second policy: the same rule on each resource with the whole stack visible.
IN_STACK_SUFFIX = "-in-stack"


def in_stack_name(spec: PolicySpec) -> str:
    return spec.name + IN_STACK_SUFFIX


def policy_names() -> list[str]:
    """Every policy of the pack, in the pack's order (a resource rule's -in-stack policy follows it)."""
    names = [n for s in specs() for n in ((s.name, in_stack_name(s)) if s.kind == "resource" else (s.name,))]
    return names + [DEFERRED_RESOURCE_POLICY, DEFERRED_STACK_POLICY]


def run_resource_rule(spec: PolicySpec, res: Resource) -> list[Finding]:
    return _guard(spec, lambda: spec.fn(res, Stack([res], partial=True)), res.urn)


def in_stack_findings(spec: PolicySpec, stack: Stack) -> list[Finding]:
    """A resource rule judged on every resource with the whole stack visible: what a ConfigMap
    loaded by `envFrom`, a mounted Secret or another resource decides is judged here, where the
    resource policy (one resource, as CrossGuard gives it) could only defer. Violations the
    resource policy already reports are left out; deferrals are the ones the stack cannot
    resolve either."""
    out: list[Finding] = []
    for res in stack.resources:
        reported = {f.message for f in run_resource_rule(spec, res) if not f.deferred}
        focused = Stack(stack.resources, focus=res)
        full = _guard(spec, lambda: spec.fn(res, focused), res.urn)
        out.extend(replace(f, urn=f.urn or res.urn) for f in full if f.deferred or f.message not in reported)
    return out


def run_stack_rule(spec: PolicySpec, stack: Stack, given: Mapping[str, Any] | None = None) -> list[Finding]:
    """`given`: the policy's pack-config entry (its settings; the enforcement level is not read here)."""
    stack.settings = spec.settings_from(given)
    return _guard(spec, lambda: spec.fn(stack), None)


def _guard(spec: PolicySpec, call: Callable[[], list[Finding]], urn: str | None) -> list[Finding]:
    """A rule that raises must not pass silently nor crash the pack: its error becomes
    a finding of that policy (so a mandatory policy still blocks)."""
    try:
        return list(call() or [])
    except Exception as e:  # noqa: BLE001
        tb = traceback.extract_tb(e.__traceback__)[-1]
        return [
            Finding(
                f"[{spec.rule_id}] rule error in {spec.name}: {type(e).__name__}: {e} "
                f"(at {tb.filename.rsplit('/', 1)[-1]}:{tb.lineno}); the check could not run. "
                "Fix: report this to the policy pack owners.",
                urn=urn,
            )
        ]


def enforcement_for(policy_name: str, config: Mapping[str, Any] | None, default: str = MANDATORY) -> str:
    """Enforcement level as `pulumi --policy-pack-config` would set it: the policy's own
    entry (a level, or an object with `enforcementLevel`), else `all`, else the default."""
    if config:
        for key in (policy_name, "all"):
            v = config.get(key)
            if isinstance(v, str):
                return v
            if isinstance(v, dict) and isinstance(v.get("enforcementLevel"), str):
                return v["enforcementLevel"]
    return default


def _as_resource(r: Any) -> Resource:
    if isinstance(r, Resource):
        return r
    if isinstance(r, Mapping):
        return Resource.make(
            r["type"],
            r["name"],
            r.get("props"),
            r.get("protect", False),
            r.get("dependencies", ()),
            r.get("property_dependencies"),
            r.get("urn"),
            r.get("additional_secret_outputs", ()),
        )
    if isinstance(r, Sequence):
        return Resource.make(*r)
    raise TypeError(f"cannot make a Resource from {type(r).__name__}")


def evaluate(resources: Iterable[Any], config: Mapping[str, Any] | None = None) -> list[Violation]:
    """Run every policy (resource and stack) on plain data, as CrossGuard would.

    `resources`: `Resource` objects, or tuples (type, name, props, protect,
    dependencies, property_dependencies) as recorded from Pulumi mocks, or dicts with
    those keys. `config`: the parsed `--policy-pack-config` JSON (None = every rule
    mandatory). Deferred checks come back under the litellm-deferred-* policies with
    `deferred=True` and their own (advisory) enforcement.
    """
    res_list = [_as_resource(r) for r in resources]
    stack = Stack(res_list)
    out: list[Violation] = []
    deferred_res_level = enforcement_for(DEFERRED_RESOURCE_POLICY, config, ADVISORY)
    deferred_stack_level = enforcement_for(DEFERRED_STACK_POLICY, config, ADVISORY)
    for spec in specs():
        level = enforcement_for(spec.name, config)
        if spec.kind == "resource":
            for res in res_list:
                for f in run_resource_rule(spec, res):
                    out.extend(_to_violation(spec, f, res.urn, level, DISABLED, DEFERRED_RESOURCE_POLICY))
            companion_level = enforcement_for(in_stack_name(spec), config)
            for f in in_stack_findings(spec, stack):
                out.extend(_to_violation(spec, f, f.urn, companion_level, deferred_res_level, DEFERRED_RESOURCE_POLICY, in_stack_name(spec)))
        else:
            for f in run_stack_rule(spec, stack, (config or {}).get(spec.name)):
                out.extend(_to_violation(spec, f, f.urn, level, deferred_stack_level, DEFERRED_STACK_POLICY))
    return out


def _to_violation(
    spec: PolicySpec, f: Finding, urn: str | None, level: str, dlevel: str, dname: str, name: str | None = None
) -> list[Violation]:
    """A finding as CrossGuard reports it: under `name` (default: the rule's policy), or, when
    deferred, under the deferred-checks policy `dname` naming the rule's policy."""
    if f.deferred:
        if dlevel == DISABLED:
            return []
        return [Violation(dname, spec.rule_id, urn, f"{f.message} (policy {spec.name})", dlevel, True)]
    if level == DISABLED:
        return []
    return [Violation(name or spec.name, spec.rule_id, urn, f.message, MANDATORY if level == "remediate" else level)]

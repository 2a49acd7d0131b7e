"""The only module that imports pulumi_policy: turns `ResourceValidationArgs` /
`StackValidationArgs` into plain `Resource`s and wraps every rule into a
`ResourceValidationPolicy` / `StackValidationPolicy`.

Unknown values: pulumi_policy 1.21.0 hands props over wrapped in proxies that raise
`UnknownValueError` when an unknown value is read (the SDK then reports "can't run
policy ... during preview" once, advisory, for the whole policy). We unwrap the proxies
without reading through them, so the sentinels reach `model.normalize` and become
UNKNOWN; each rule then decides per check, and deferred checks are reported by the
advisory `litellm-deferred-resource-checks` / `litellm-deferred-stack-checks` policies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from .detect import Stack
from .model import Resource
from .registry import (
    DEFERRED_RESOURCE_POLICY,
    DEFERRED_STACK_POLICY,
    PolicySpec,
    in_stack_findings,
    in_stack_name,
    run_resource_rule,
    run_stack_rule,
    specs,
)

PACK_NAME = "litellm-gateway-hardening"


def unwrap(value: Any) -> Any:
    """Plain dicts/lists from pulumi_policy's unknown-checking / secrets proxies,
    without triggering UnknownValueError (sentinel strings are kept)."""
    cls = type(value).__name__
    if cls in ("_DictProxy", "_ListProxy", "_DictSecretsProxy", "_ListSecretsProxy"):
        return unwrap(value["__target"])
    if cls == "Secret" and hasattr(value, "value"):
        return unwrap(value.value)
    if isinstance(value, Mapping):
        return {k: unwrap(_raw_item(value, k)) for k in value}
    if isinstance(value, (list, tuple)):
        return [unwrap(v) for v in value]
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [unwrap(v) for v in value]
    return value


def _raw_item(mapping: Mapping, key: Any) -> Any:
    target = getattr(mapping, "_DictProxy__target", None)
    if target is not None:
        return target[key]
    return mapping[key]


def _opt(opts: Any, name: str, default: Any) -> Any:
    return getattr(opts, name, default) if opts is not None else default


def resource_from_args(args: ResourceValidationArgs) -> Resource:
    return Resource(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        props=unwrap(args.props) or {},
        protect=bool(_opt(args.opts, "protect", False)),
        dependencies=[],
        property_dependencies={},
        additional_secret_outputs=list(_opt(args.opts, "additional_secret_outputs", []) or []),
        parent=_opt(args.opts, "parent", None),
    )


def resource_from_policy_resource(r: PolicyResource) -> Resource:
    return Resource(
        urn=r.urn,
        type=r.resource_type,
        name=r.name,
        props=unwrap(r.props) or {},
        protect=bool(_opt(r.opts, "protect", False)),
        dependencies=[d.urn for d in (r.dependencies or [])],
        property_dependencies={k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()},
        additional_secret_outputs=list(_opt(r.opts, "additional_secret_outputs", []) or []),
        parent=r.parent.urn if getattr(r, "parent", None) is not None else None,
    )


def _resource_validate(spec: PolicySpec):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        res = resource_from_args(args)
        for f in run_resource_rule(spec, res):
            if not f.deferred:
                report_violation(f.message, None)

    return validate


def _in_stack_validate(spec: PolicySpec):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        stack = Stack([resource_from_policy_resource(r) for r in args.resources])
        for f in in_stack_findings(spec, stack):
            if not f.deferred:
                report_violation(f.message, f.urn)

    return validate


def _stack_validate(spec: PolicySpec):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        stack = Stack([resource_from_policy_resource(r) for r in args.resources])
        for f in run_stack_rule(spec, stack, args.get_config()):
            if not f.deferred:
                report_violation(f.message, f.urn)

    return validate


def merge_deferred(items: list[tuple[PolicySpec, Any]]) -> list[tuple[str, Any]]:
    """One line per (resource, deferred check): the same unknown value deferring several
    rules (e.g. a computed config.yaml) is reported once, listing every rule ID and policy."""
    groups: dict[tuple, list[PolicySpec]] = {}
    for spec, f in items:
        text = f.message.split("] ", 1)[1] if f.message.startswith("[") else f.message
        groups.setdefault((f.urn, text), []).append(spec)
    out = []
    for (urn, text), group in groups.items():
        ids = ", ".join(dict.fromkeys(s.rule_id for s in group))
        names = ", ".join(dict.fromkeys(s.name for s in group))
        out.append((f"[{ids}] {text} (policies: {names})", urn))
    return out


def _deferred_resource_validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack([resource_from_policy_resource(r) for r in args.resources])
    items = [(spec, f) for spec in specs() if spec.kind == "resource" for f in in_stack_findings(spec, stack) if f.deferred]
    for message, urn in merge_deferred(items):
        report_violation(message, urn)


def _deferred_stack_validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack([resource_from_policy_resource(r) for r in args.resources])
    items = [(spec, f) for spec in specs() if spec.kind == "stack" for f in run_stack_rule(spec, stack) if f.deferred]
    for message, urn in merge_deferred(items):
        report_violation(message, urn)


def build_policies() -> list:
    """Every rule as a CrossGuard policy (default enforcement mandatory; the config
    files set the levels), plus the two advisory deferred-check reporters."""
    policies: list = []
    for spec in specs():
        if spec.kind == "resource":
            policies.append(
                ResourceValidationPolicy(
                    name=spec.name,
                    description=spec.description,
                    validate=_resource_validate(spec),
                    enforcement_level=EnforcementLevel.MANDATORY,
                )
            )
            policies.append(
                StackValidationPolicy(
                    name=in_stack_name(spec),
                    description=f"{spec.description} (Judged with every resource of the stack visible: what another "
                    "resource decides, e.g. a ConfigMap loaded by envFrom, which the resource policy cannot see.)",
                    validate=_in_stack_validate(spec),
                    enforcement_level=EnforcementLevel.MANDATORY,
                )
            )
        else:
            policies.append(
                StackValidationPolicy(
                    name=spec.name,
                    description=spec.description,
                    validate=_stack_validate(spec),
                    enforcement_level=EnforcementLevel.MANDATORY,
                    config_schema=PolicyConfigSchema({k: {**v.schema, "default": v.default} for k, v in spec.settings.items()})
                    if spec.settings
                    else None,
                )
            )
    policies.append(
        StackValidationPolicy(
            name=DEFERRED_RESOURCE_POLICY,
            description=(
                "Checks of litellm-* resource policies deferred because a value is unknown until apply, even with "
                "every resource of the stack visible. Not a pass: they run again with known values on `pulumi up`. "
                "Fix: nothing now; re-run the preview after apply, or set the value inline."
            ),
            validate=_deferred_resource_validate,
            enforcement_level=EnforcementLevel.ADVISORY,
        )
    )
    policies.append(
        StackValidationPolicy(
            name=DEFERRED_STACK_POLICY,
            description=(
                "Checks of litellm-* stack policies deferred because a value is unknown until apply. Not a pass: "
                "they run again with known values on `pulumi up`. Fix: nothing now; re-run the preview after apply."
            ),
            validate=_deferred_stack_validate,
            enforcement_level=EnforcementLevel.ADVISORY,
        )
    )
    return policies

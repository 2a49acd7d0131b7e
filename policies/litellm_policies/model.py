"""Plain data the rules operate on: no pulumi_policy import here.

`Resource` is what a rule sees of one Pulumi resource. Values the engine does not
know yet (computed outputs during `pulumi preview`) are the `UNKNOWN` singleton;
the four-part sentinel strings pulumi_policy leaves in `props` are normalised to it
when a `Resource` is built, so rules never compare against sentinel strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

# pulumi_policy 1.21.0 (pulumi_policy/proxy.py) marks values unknown during preview with
# these sentinel strings (boolean, number, string, array, asset, archive, object).
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class _Unknown:
    """A value that is only known after `pulumi up` (a computed output in preview)."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown value is never silently truthy
        return False

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def normalize(value: Any) -> Any:
    """Deep-copy plain data, turning unknown sentinels into UNKNOWN and any
    Mapping/Sequence (including pulumi_policy's proxies) into dict/list."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    return value


def has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def make_urn(type_: str, name: str, stack: str = "stack", project: str = "project") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


@dataclass
class Resource:
    """One resource as the rules see it.

    urn, type (e.g. `kubernetes:apps/v1:Deployment`), name (the Pulumi resource name),
    props (inputs in resource policies, outputs in stack policies; camelCase as in the
    engine), protect (the resource option), dependencies (URNs, or resource names when
    fed from a test harness), property_dependencies (top-level property -> URNs/names),
    additional_secret_outputs (the resource option).
    """

    urn: str
    type: str
    name: str
    props: dict = field(default_factory=dict)
    protect: bool = False
    dependencies: list = field(default_factory=list)
    property_dependencies: dict = field(default_factory=dict)
    additional_secret_outputs: list = field(default_factory=list)
    parent: str | None = None

    def __post_init__(self) -> None:
        self.props = normalize(self.props or {})
        self.dependencies = list(self.dependencies or [])
        self.property_dependencies = {k: list(v) for k, v in (self.property_dependencies or {}).items()}
        self.additional_secret_outputs = list(self.additional_secret_outputs or [])
        if not self.urn:
            self.urn = make_urn(self.type, self.name)

    @classmethod
    def make(
        cls,
        type_: str,
        name: str,
        props: Mapping | None = None,
        protect: bool = False,
        dependencies: Iterable[str] = (),
        property_dependencies: Mapping[str, Iterable[str]] | None = None,
        urn: str | None = None,
        additional_secret_outputs: Iterable[str] = (),
    ) -> "Resource":
        """Build a Resource from what a Pulumi-mocks harness records:
        (type, name, props, protect, dependencies, property_dependencies)."""
        return cls(
            urn=urn or make_urn(type_, name),
            type=type_,
            name=name,
            props=dict(props or {}),
            protect=bool(protect),
            dependencies=list(dependencies),
            property_dependencies={k: list(v) for k, v in (property_dependencies or {}).items()},
            additional_secret_outputs=list(additional_secret_outputs),
        )

    @property
    def kind(self) -> str:
        """Short type name: `Deployment`, `Container`, `RandomPassword`, ..."""
        return self.type.rsplit(":", 1)[-1]

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"


@dataclass(frozen=True)
class Finding:
    """What a rule returns: a violation message, or a check it had to defer.

    `urn` is set by stack rules to the resource the finding is about.
    """

    message: str
    deferred: bool = False
    urn: str | None = None


@dataclass(frozen=True)
class Violation:
    policy_name: str
    rule_id: str
    urn: str | None
    message: str
    enforcement: str
    deferred: bool = False


DEFERRED_NOTE = "value unknown until apply"


def violation(rule_id: str, where: str, found: str, required: str, fix: str, urn: str | None = None) -> Finding:
    """Uniform message: rule ID, the resource, the value found, the value required, the fix."""
    return Finding(f"[{rule_id}] {where}: found {found}; required {required}. Fix: {fix}", urn=urn)


def deferred(rule_id: str, where: str, what: str, urn: str | None = None, reason: str = DEFERRED_NOTE) -> Finding:
    """A check that could not be judged now. Never counts as compliance: it is reported
    (advisory) by the litellm-deferred-* policies, and runs again with known values."""
    return Finding(f"[{rule_id}] deferred: {reason}: {what} of {where}", deferred=True, urn=urn)


def fmt(value: Any) -> str:
    """Render a non-secret value for a message (numbers without a trailing .0)."""
    if value is None:
        return "nothing (not set)"
    if is_unknown(value):
        return "an unknown value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value)
    return str(value)

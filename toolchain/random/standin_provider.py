"""STAND-IN `pulumi-resource-random` 4.21.1: the gRPC glue around standin_password.py.

NOT the official pulumi-random provider: a small Python plugin serving only
`random:index/randomPassword:RandomPassword` to the pulumi-random 4.21.1 Python SDK, for machines
that cannot install the real plugin (see README.md beside this file). Wherever the real plugin is
installed it is used instead; state written by one should not be handed to the other.

Runs on `pulumi.provider.experimental` of pulumi==3.259.0 (launched by the `pulumi-resource-random`
script beside it, with its own virtualenv). Two quirks of that API shape the code below:
unknown values travel as the string `pulumi.runtime.rpc.UNKNOWN` (a PropertyValue holding
`Computed` cannot be marshalled), and numbers are floats.

`--self-check` imports everything, makes and verifies one password, and exits (used by
scripts/toolchain.d/random.sh after installing).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import standin_password as contract
from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import rpc

SCHEMA = {
    "name": "random",
    "version": contract.PACKAGE_VERSION,
    "description": "STAND-IN for pulumi-random (litellm-gateway toolchain/random): RandomPassword only.",
    "resources": {
        contract.TOKEN: {
            "description": "A random password (stand-in: see toolchain/random/README.md of litellm-gateway).",
            "inputProperties": {
                "keepers": {"type": "object", "additionalProperties": {"type": "string"}},
                "length": {"type": "integer"},
                "overrideSpecial": {"type": "string"},
                **{k: {"type": "boolean"} for k in contract.FLAGS},
                **{k: {"type": "integer"} for k in contract.MINIMUMS},
            },
            "requiredInputs": ["length"],
            "properties": {
                "keepers": {"type": "object", "additionalProperties": {"type": "string"}},
                "length": {"type": "integer"},
                "overrideSpecial": {"type": "string"},
                **{k: {"type": "boolean"} for k in contract.FLAGS},
                **{k: {"type": "integer"} for k in contract.MINIMUMS},
                "result": {"type": "string", "secret": True},
                "bcryptHash": {"type": "string", "secret": True},
            },
            "required": ["bcryptHash", "length", "result", *contract.FLAGS, *contract.MINIMUMS],
        }
    },
}


# --- PropertyValue <-> plain values ----------------------------------------------------------


def to_plain(value: PropertyValue) -> Any:
    """A PropertyValue as a plain Python value (secretness is tracked by the caller)."""
    v = value.value
    if isinstance(v, Computed) or v == rpc.UNKNOWN:
        return contract.UNKNOWN
    if isinstance(v, PropertyValue):  # pragma: no cover - not produced by unmarshal
        return to_plain(v)
    if isinstance(v, (str, bool, float)) or v is None:
        return v
    if hasattr(v, "items"):
        return {k: to_plain(item) for k, item in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_plain(item) for item in v]
    return v


def unwrap(properties: dict[str, PropertyValue]) -> tuple[dict[str, Any], set[str]]:
    """(plain values, keys holding a secret somewhere) of an RPC property map."""
    plain = {k: to_plain(v) for k, v in properties.items()}
    return {k: v for k, v in plain.items() if v is not None}, {k for k, v in properties.items() if v.contains_secret()}


def to_value(value: Any) -> PropertyValue:
    if value is contract.UNKNOWN:
        return PropertyValue(rpc.UNKNOWN)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, (int, float)):
        return PropertyValue(float(value))
    if isinstance(value, dict):
        return PropertyValue({k: to_value(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return PropertyValue([to_value(v) for v in value])
    raise TypeError(f"cannot send {value!r} to the engine")


def wrap(values: dict[str, Any], secret_keys: set[str] = frozenset()) -> dict[str, PropertyValue]:
    """Plain values as an RPC property map; result, bcryptHash and `secret_keys` as secrets."""
    out = {}
    for key, value in values.items():
        pv = to_value(value)
        if key in contract.SECRET_OUTPUTS or key in secret_keys:
            pv = pv.with_secret(True)
        out[key] = pv
    return out


def _failures(failures: list[contract.Failure]) -> list[p.CheckFailure]:
    return [p.CheckFailure(f.property, f.reason) for f in failures]


def resource_token(resource_type: str) -> str:
    """The resource's own type token: the SDK derives `type` from the URN, whose type part
    lists the parents' types first (`parent$child`) when the resource has a parent."""
    return resource_type.rsplit("$", 1)[-1]


def _only_password(resource_type: str) -> None:
    if resource_token(resource_type) != contract.TOKEN:
        raise ValueError(
            f"{resource_type} is not served by this stand-in pulumi-resource-random, which implements "
            f"{contract.TOKEN} only: install the real pulumi-random {contract.PACKAGE_VERSION} plugin"
        )


class RandomPasswordStandIn(p.Provider):
    """The RPC side of the contract in standin_password.py."""

    async def get_schema(self, request: p.GetSchemaRequest) -> p.GetSchemaResponse:
        return p.GetSchemaResponse(schema=json.dumps(SCHEMA))

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        # Output values and resource references are not needed, and unknowns then arrive as the
        # plain UNKNOWN string.
        return p.ConfigureResponse(accept_secrets=True, supports_preview=True, accept_resources=False, accept_outputs=False)

    async def check(self, request: p.CheckRequest) -> p.CheckResponse:
        if resource_token(request.type) != contract.TOKEN:
            return p.CheckResponse(
                inputs=request.new_inputs,
                failures=[p.CheckFailure("", f"{request.type} is not served by this stand-in pulumi-resource-random "
                                             f"({contract.TOKEN} only): install the real pulumi-random plugin")],
            )  # fmt: skip
        news, secret_keys = unwrap(request.new_inputs)
        inputs, failures = contract.check(news)
        if failures:
            return p.CheckResponse(inputs=request.new_inputs, failures=_failures(failures))
        return p.CheckResponse(inputs=wrap(inputs, secret_keys))

    async def diff(self, request: p.DiffRequest) -> p.DiffResponse:
        _only_password(request.type)
        olds, _ = unwrap(request.old_state)
        news, _ = unwrap(request.new_inputs)
        d = contract.diff(olds, news, list(request.ignore_changes or []))
        detailed = {}
        for key in d.replaces:
            kind = p.PropertyDiffKind.ADD_REPLACE if key not in olds else (
                p.PropertyDiffKind.DELETE_REPLACE if key not in news else p.PropertyDiffKind.UPDATE_REPLACE)  # fmt: skip
            detailed[key] = p.PropertyDiff(kind, input_diff=True)
        for key in d.updates:
            detailed[key] = p.PropertyDiff(p.PropertyDiffKind.DELETE if key not in news else p.PropertyDiffKind.UPDATE, input_diff=True)
        return p.DiffResponse(
            changes=d.changes,
            replaces=d.replaces,
            diffs=[*d.replaces, *d.updates],
            detailed_diff=detailed,
            delete_before_replace=False,
        )

    def _checked(self, properties: dict[str, PropertyValue]) -> tuple[dict[str, Any], set[str]]:
        values, secret_keys = unwrap(properties)
        inputs, failures = contract.check(values)
        if failures:
            raise ValueError("; ".join(f.reason for f in failures))
        return inputs, secret_keys

    async def create(self, request: p.CreateRequest) -> p.CreateResponse:
        _only_password(request.type)
        inputs, secret_keys = self._checked(request.properties)
        if request.preview:
            return p.CreateResponse(resource_id="", properties=wrap(contract.preview_state(inputs), secret_keys))
        return p.CreateResponse(resource_id=contract.RESOURCE_ID, properties=wrap(contract.create_state(inputs), secret_keys))

    async def read(self, request: p.ReadRequest) -> p.ReadResponse:
        _only_password(request.type)
        state, secret_keys = unwrap(request.properties)
        if isinstance(state.get("result"), str):  # a refresh: nothing outside the state to look at
            inputs = request.inputs or wrap(contract.input_values(state), secret_keys)
            return p.ReadResponse(resource_id=request.resource_id, properties=request.properties, inputs=inputs)
        # An import: the ID is the password to adopt.
        inputs, outputs = contract.import_state(request.resource_id)
        return p.ReadResponse(resource_id=contract.RESOURCE_ID, properties=wrap(outputs), inputs=wrap(inputs))

    async def update(self, request: p.UpdateRequest) -> p.UpdateResponse:
        _only_password(request.type)
        olds, _ = unwrap(request.olds)
        inputs, secret_keys = self._checked(request.news)
        return p.UpdateResponse(properties=wrap(contract.update_state(olds, inputs), secret_keys))

    async def delete(self, request: p.DeleteRequest) -> None:
        _only_password(request.type)  # nothing exists outside the state


def self_check() -> int:
    from importlib.metadata import version

    inputs, failures = contract.check({"length": 40.0, "special": False})
    assert not failures, failures
    state = contract.create_state(inputs)
    assert len(state["result"]) == 40 and contract.hash_matches(state["result"], state["bcryptHash"])
    print(
        f"ok: stand-in pulumi-resource-random {contract.PACKAGE_VERSION} (python {sys.version.split()[0]}, "
        f"pulumi {version('pulumi')}, bcrypt {version('bcrypt')})"
    )
    return 0


def main() -> None:
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    from pulumi.provider.experimental import server

    server.main(sys.argv[1:], contract.PACKAGE_VERSION, RandomPasswordStandIn())


if __name__ == "__main__":
    main()

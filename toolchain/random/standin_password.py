"""STAND-IN for pulumi-random 4.21.1's `random:index/randomPassword:RandomPassword`: the contract.

This is NOT the official pulumi-random provider. It exists for machines that cannot install the
real plugin (no release downloads, and no Go module of pulumi-random served: see
toolchain/random/README.md). Wherever the real `pulumi-resource-random` 4.21.1 is installed it is
used instead (scripts/toolchain.sh never replaces it). State written by this stand-in should not
be handed to the real provider, nor the other way round.

This module holds the pure part (no RPC, no engine): validation with the defaults, generation,
the bcrypt hash, the diff and the import, copied from the behaviour of the real provider, which
is hashicorp/terraform-provider-random's `random_password` (schema version 3) wrapped by the
Pulumi bridge:

- wire names: keepers, length, lower, minLower, minNumeric, minSpecial, minUpper, number,
  numeric, overrideSpecial, special, upper (inputs); result and bcryptHash (secret outputs);
  the resource ID is always "none";
- defaults are stored: lower/upper/special/numeric/number true, min* 0; `number` (deprecated)
  and `numeric` always agree: one set gives the other its value, both set must be equal;
- length >= 1 and >= minUpper + minLower + minNumeric + minSpecial; at least one of upper,
  lower, numeric and special true;
- generation: the minimum of each class first (upstream applies a min* even when its class flag
  is false), then the rest from the enabled classes, then a shuffle, all with the `secrets`
  module; specials `!@#$%&*()-_=+[]{}<>:?` unless overrideSpecial is non-empty;
- bcryptHash: bcrypt, cost 10, "$2a$" prefix (Go's), of the first 72 bytes of the result
  (upstream truncates like golang.org/x/crypto before v0.5.0 did);
- every input change forces a replacement; two exceptions copied from upstream: keepers compare
  without their null values (an empty map equals no map), and overrideSpecial going from "" to
  null is an in-place update;
- import: the ID is the password; length is its length in UTF-8 bytes (Go's len), the flags
  true and the min* 0, no keepers, no overrideSpecial.

Values use the wire names and plain Python types; numbers may arrive as floats (Pulumi's wire
has no integers). An input whose value is not known yet (a preview) is `UNKNOWN`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import bcrypt

TOKEN = "random:index/randomPassword:RandomPassword"
PACKAGE_VERSION = "4.21.1"
RESOURCE_ID = "none"

UPPER_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER_CHARS = "abcdefghijklmnopqrstuvwxyz"
NUMERIC_CHARS = "0123456789"
DEFAULT_SPECIAL_CHARS = "!@#$%&*()-_=+[]{}<>:?"
BCRYPT_COST = 10
BCRYPT_MAX_BYTES = 72

FLAGS = ("lower", "upper", "special", "number", "numeric")  # default true
MINIMUMS = ("minUpper", "minLower", "minNumeric", "minSpecial")  # default 0
INPUTS = ("keepers", "length", "overrideSpecial", *FLAGS, *MINIMUMS)
SECRET_OUTPUTS = ("result", "bcryptHash")


class _Unknown:
    """A value the engine does not know yet (during a preview)."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Failure:
    """A check failure: the wire name of the property and a sentence saying what to change."""

    property: str
    reason: str


@dataclass
class Diff:
    replaces: list[str] = field(default_factory=list)
    updates: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


class ContractError(ValueError):
    """Inputs that cannot make a password (only reachable when check was bypassed)."""


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and float(value).is_integer()


def check(news: dict[str, Any]) -> tuple[dict[str, Any], list[Failure]]:
    """Validates the program's inputs and returns them with the defaults filled in.

    Mirrors the real provider's validators and plan modifiers; unknown values pass (they are
    checked again once known). The returned inputs are what the engine stores.
    """
    failures: list[Failure] = []
    inputs: dict[str, Any] = {}
    for key, value in news.items():
        if value is None:
            continue
        if key.startswith("__"):  # bridge bookkeeping such as __defaults; never an input here
            continue
        if key not in INPUTS:
            failures.append(Failure(key, f"'{key}' is not an input of {TOKEN} (inputs: {', '.join(INPUTS)})"))
            continue
        inputs[key] = value

    for key, value in inputs.items():
        if value is UNKNOWN:
            continue
        if key in FLAGS and not isinstance(value, bool):
            failures.append(Failure(key, f"{key} must be true or false, got {value!r}"))
        elif key == "length" or key in MINIMUMS:
            if not _is_int(value):
                failures.append(Failure(key, f"{key} must be a whole number, got {value!r}"))
            else:
                inputs[key] = int(value)
        elif key == "overrideSpecial" and not isinstance(value, str):
            failures.append(Failure(key, f"overrideSpecial must be a string, got {value!r}"))
        elif key == "keepers":
            if not isinstance(value, dict):
                failures.append(Failure(key, f"keepers must be a map of strings, got {value!r}"))
            else:
                bad = sorted(k for k, v in value.items() if v is not None and v is not UNKNOWN and not isinstance(v, str))
                if bad:
                    failures.append(Failure(key, f"keepers must be a map of strings; not a string: {', '.join(bad)}"))

    # number (deprecated) and numeric: both set must agree, else one gives the other its value.
    number, numeric = inputs.get("number"), inputs.get("numeric")
    if isinstance(number, bool) and isinstance(numeric, bool) and number != numeric:
        failures.append(Failure("number", "number and numeric are both set, to different values: number is deprecated, use numeric only"))
    inputs = with_defaults(inputs)

    length = inputs.get("length")
    if "length" not in inputs:
        failures.append(Failure("length", "length is required: the number of characters of the password (at least 1)"))
    elif _is_int(length):
        if length < 1:
            failures.append(Failure("length", f"length must be at least 1, got {length}"))
        minimums = [inputs[k] for k in MINIMUMS]
        if length >= 1 and all(_is_int(m) for m in minimums) and length < sum(minimums):
            failures.append(
                Failure(
                    "length",
                    f"length ({length}) must be at least minUpper + minLower + minNumeric + minSpecial "
                    f"({' + '.join(str(m) for m in minimums)} = {sum(minimums)})",
                )
            )
    for key in MINIMUMS:
        if _is_int(inputs[key]) and inputs[key] < 0:
            # Upstream has no validator here (a negative minimum crashes it); refused clearly instead.
            failures.append(Failure(key, f"{key} must be at least 0, got {inputs[key]}"))

    classes = [inputs[k] for k in ("upper", "lower", "numeric", "special")]
    if all(isinstance(c, bool) for c in classes) and not any(classes):
        failures.append(Failure("numeric", "at least one of upper, lower, numeric and special must be true"))
    return inputs, failures


def with_defaults(inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs with the stored defaults: flags true, min* 0, number and numeric in step."""
    out = {k: v for k, v in inputs.items() if v is not None}
    for key in ("lower", "upper", "special"):
        out.setdefault(key, True)
    for key in MINIMUMS:
        out.setdefault(key, 0)
    if "number" in out and "numeric" not in out:
        out["numeric"] = out["number"]
    elif "numeric" in out and "number" not in out:
        out["number"] = out["numeric"]
    else:
        out.setdefault("number", True)
        out.setdefault("numeric", True)
    return out


def _require_known(inputs: dict[str, Any]) -> None:
    unknown = sorted(k for k, v in inputs.items() if v is UNKNOWN)
    if unknown:
        raise ContractError(f"cannot generate a password while inputs are unknown: {', '.join(unknown)}")


def generate(inputs: dict[str, Any]) -> str:
    """A new password for checked inputs (see check): minimum per class, fill, shuffle."""
    inputs = with_defaults(inputs)
    _require_known(inputs)
    special = inputs.get("overrideSpecial") or DEFAULT_SPECIAL_CHARS
    pool = "".join(
        chars
        for flag, chars in (("upper", UPPER_CHARS), ("lower", LOWER_CHARS), ("numeric", NUMERIC_CHARS), ("special", special))
        if inputs[flag]
    )
    length = int(inputs["length"])
    chars: list[str] = []
    for key, charset in (("minNumeric", NUMERIC_CHARS), ("minLower", LOWER_CHARS), ("minUpper", UPPER_CHARS), ("minSpecial", special)):
        chars.extend(secrets.choice(charset) for _ in range(int(inputs[key])))
    rest = length - len(chars)
    if rest > 0 and not pool:
        raise ContractError("at least one of upper, lower, numeric and special must be true")
    chars.extend(secrets.choice(pool) for _ in range(max(rest, 0)))
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def bcrypt_hash(password: str) -> str:
    """bcrypt, cost 10, Go's "$2a$" prefix, of the first 72 bytes (as the real provider does)."""
    secret = password.encode()[:BCRYPT_MAX_BYTES]
    return bcrypt.hashpw(secret, bcrypt.gensalt(rounds=BCRYPT_COST, prefix=b"2a")).decode()


def hash_matches(password: str, hashed: str) -> bool:
    return bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], hashed.encode())


def input_values(state: dict[str, Any]) -> dict[str, Any]:
    """The input properties found in a stored state (outputs), with the defaults filled in."""
    return with_defaults({k: v for k, v in state.items() if k in INPUTS})


def create_state(inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs of a created password: the inputs with defaults, id, result and bcryptHash."""
    inputs = with_defaults(inputs)
    password = generate(inputs)
    return {**inputs, "id": RESOURCE_ID, "result": password, "bcryptHash": bcrypt_hash(password)}


def preview_state(inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs planned during a preview: result, bcryptHash and id are not known yet."""
    return {**with_defaults(inputs), "id": UNKNOWN, "result": UNKNOWN, "bcryptHash": UNKNOWN}


def import_state(password: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inputs, outputs) for `pulumi import` of an existing password (the import ID)."""
    if not password:
        raise ContractError("the import ID is the password to adopt, and it is empty")
    inputs = with_defaults({"length": len(password.encode())})
    return inputs, {**inputs, "id": RESOURCE_ID, "result": password, "bcryptHash": bcrypt_hash(password)}


def update_state(old_state: dict[str, Any], new_inputs: dict[str, Any]) -> dict[str, Any]:
    """An in-place update keeps the password: the new inputs, the old id/result/bcryptHash."""
    kept = {k: old_state[k] for k in ("id", *SECRET_OUTPUTS) if k in old_state}
    return {**with_defaults(new_inputs), "id": RESOURCE_ID, **kept}


def _keepers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v is not None} or None
    return value


def diff(old_state: dict[str, Any], new_inputs: dict[str, Any], ignore_changes: list[str] | tuple[str, ...] = ()) -> Diff:
    """Which inputs changed between a stored state and the checked new inputs.

    Every change is a replacement (upstream's RequiresReplace on every attribute); an unknown
    new value counts as a change.
    """
    olds, news = input_values(old_state), with_defaults(new_inputs)
    result = Diff()
    for key in INPUTS:
        if key in ignore_changes:
            continue
        old, new = olds.get(key), news.get(key)
        if key == "keepers":
            old, new = _keepers(old), _keepers(new)
        if new is UNKNOWN:
            result.replaces.append(key)
        elif old == new and type(old) is type(new):
            continue
        elif _is_int(old) and _is_int(new) and old == new:
            continue
        elif key == "overrideSpecial" and old == "" and new is None:
            result.updates.append(key)  # RequiresReplaceUnlessEmptyStringToNull
        else:
            result.replaces.append(key)
    return result

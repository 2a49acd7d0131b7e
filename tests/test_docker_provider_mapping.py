"""The installed pulumi-resource-docker 5.1.0 speaks the wire names of the pulumi-docker 5.1.0
SDK for what this project uses: Container, Network, Volume, RemoteImage and the provider's
configuration, nested types included.

Here the plugin is built by `scripts/toolchain.sh docker` (the terraform bridge over the upstream
provider, mapped by toolchain/docker/resources.go), not released by Pulumi: a name the bridge
derives differently from Pulumi's own build (`commands` for `command`, say) would be dropped or
refused at `up`. The schema is asked from the plugin the engine would run (the plugin cache),
so an official plugin installed there passes the same test.

Fails when: an SDK input is missing from the provider's inputs (under its camelCase wire name),
has another shape (list, map, object, scalar type), or is required by the provider but optional
in the SDK. Listed but allowed: inputs only the provider has (its upstream is v4.6.0, the SDK's
v4.5.0) and inputs the SDK requires but the provider does not.
"""

import functools
import inspect
import json
import os
import re
import subprocess
import typing
from collections.abc import Awaitable, Mapping, Sequence
from pathlib import Path

import pulumi_docker
import pytest
from pulumi import _types  # the SDK's own view of its input types
from pulumi.output import Output

from devtools.pulumi_project import toolchain_env

pytestmark = pytest.mark.engine

VERSION = "5.1.0"
BUILD = "scripts/toolchain.sh docker"
# The SDK classes this project constructs (components/platforms/docker.py), and the provider.
RESOURCES = ["Container", "Network", "Volume", "RemoteImage"]


def plugin_binary() -> Path:
    home = Path(os.environ.get("PULUMI_HOME", Path.home() / ".pulumi"))
    return home / "plugins" / f"resource-docker-v{VERSION}" / "pulumi-resource-docker"


@functools.cache
def provider_schema() -> dict:
    """The installed plugin's schema; a missing plugin fails each test (it is not skipped)."""
    plugin = plugin_binary()
    if not plugin.exists():
        pytest.fail(f"pulumi-resource-docker {VERSION} is not in the plugin cache ({plugin.parent}): "
                    f"build and install it with `{BUILD}`")  # fmt: skip
    env = {**os.environ, **toolchain_env()}
    result = subprocess.run(
        ["pulumi", "package", "get-schema", str(plugin)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"pulumi package get-schema {plugin} failed:\n{result.stderr[-3000:]}"
    spec = json.loads(result.stdout)
    assert spec.get("resources"), f"{plugin} answered an empty schema: rebuild it with `{BUILD}`"
    return spec


# --- the SDK's side ----------------------------------------------------------------------------


def _unwrap_input(tp):
    """Input[T] (Union[T, Awaitable[T], Output[T]]) and Optional[T] -> T."""
    while typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        plain = [a for a in args if typing.get_origin(a) not in (Awaitable,) and a is not Output
                 and typing.get_origin(a) is not Output]  # fmt: skip
        tp = plain[0] if plain else args[0]
    return tp


def sdk_shape(tp) -> tuple[str, object]:
    """('list'|'map', element type), ('object', Args class) or ('string'|'boolean'|..., None)."""
    tp = _unwrap_input(tp)
    origin = typing.get_origin(tp)
    if origin in (Sequence, list, typing.Sequence):
        return "list", typing.get_args(tp)[0]
    if origin in (Mapping, dict, typing.Mapping):
        return "map", typing.get_args(tp)[1]
    if isinstance(tp, type) and _types.is_input_type(tp):
        return "object", tp
    for py, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string")):
        if isinstance(tp, type) and issubclass(tp, py):
            return name, None
    return "any", None


def sdk_inputs(args_cls: type) -> tuple[dict[str, object], set[str]]:
    """Wire name -> type hint of every input of an Args class, and the required wire names."""
    names = _types.input_type_py_to_pulumi_names(args_cls)
    inputs = _types.input_type_types(args_cls)  # keyed by wire name
    params = inspect.signature(args_cls.__init__).parameters
    required = {names[p.name] for p in params.values() if p.name in names and p.default is inspect.Parameter.empty}
    return inputs, required


# --- the provider's side -----------------------------------------------------------------------


def schema_shape(prop: dict) -> tuple[str, dict | None]:
    ref = prop.get("$ref", "")
    if ref.startswith("#/types/"):
        return "object", {"$ref": ref}
    if ref:
        return "any", None
    kind = prop.get("type", "any")
    if kind == "array":
        return "list", prop["items"]
    if kind == "object":
        return ("map", prop["additionalProperties"]) if "additionalProperties" in prop else ("any", None)
    return kind, None


def compare(args_cls, props: dict, required: list[str], where: str, spec: dict, report: dict, seen: set) -> None:
    """Adds to report['missing'/'shape'/'required'/'extra'/'sdk-required'] what differs."""
    if (args_cls, where) in seen:
        return
    seen.add((args_cls, where))
    inputs, sdk_required = sdk_inputs(args_cls)
    for name in sorted(set(inputs) - set(props)):
        report["missing"].append(f"{where}.{name}")
    for name in sorted(set(props) - set(inputs)):
        report["extra"].append(f"{where}.{name}")
    for name in sorted(set(required) - sdk_required):
        report["required"].append(f"{where}.{name}")
    for name in sorted(sdk_required - set(required)):
        report["sdk-required"].append(f"{where}.{name}")
    for name in sorted(set(inputs) & set(props)):
        compare_value(inputs[name], props[name], f"{where}.{name}", spec, report, seen)


def compare_value(hint, prop: dict, where: str, spec: dict, report: dict, seen: set) -> None:
    (kind, inner), (skind, sinner) = sdk_shape(hint), schema_shape(prop)
    if "any" in (kind, skind) or (kind, skind) == ("number", "integer"):
        return
    if kind != skind:
        report["shape"].append(f"{where}: SDK {kind}, provider {skind}")
    elif kind in ("list", "map"):
        compare_value(inner, sinner, f"{where}[]", spec, report, seen)
    elif kind == "object":
        token = sinner["$ref"].removeprefix("#/types/")
        typ = spec.get("types", {}).get(token)
        if typ is None:
            report["shape"].append(f"{where}: provider type {token} not in its schema")
        else:
            compare(inner, typ.get("properties", {}), typ.get("required", []), where, spec, report, seen)


def new_report() -> dict[str, list[str]]:
    return {k: [] for k in ("missing", "shape", "required", "extra", "sdk-required")}


def check(report: dict, what: str) -> None:
    lines = [f"{what} against pulumi-docker {VERSION}:"]
    for key, label in (
        ("missing", "SDK inputs the provider lacks"),
        ("shape", "inputs with another shape"),
        ("required", "required by the provider, optional in the SDK"),
        ("extra", "provider inputs the SDK lacks (allowed)"),
        ("sdk-required", "required by the SDK, optional in the provider (allowed)"),
    ):
        lines.append(f"  {label}: {', '.join(report[key]) or 'none'}")
    text = "\n".join(lines)
    print(text)  # shown with -rP or -s; on failure in the message
    assert not (report["missing"] or report["shape"] or report["required"]), (
        f"{text}\nthe mapping in toolchain/docker/resources.go needs a name override (then `{BUILD}`)"
    )


def resource_token(name: str) -> str:
    """The type token the SDK class registers with (read from its module's source)."""
    source = inspect.getsource(inspect.getmodule(getattr(pulumi_docker, name)))
    tokens = set(re.findall(r"'(docker:index/\w+:\w+)'", source))
    assert len(tokens) == 1, f"pulumi_docker.{name}: cannot tell its type token from {tokens}"
    return tokens.pop()


@pytest.mark.parametrize("name", RESOURCES)
def test_resource_inputs_match_the_sdk(name):
    schema = provider_schema()
    token = resource_token(name)
    assert token in schema["resources"], (
        f"the provider has no resource {token} (pulumi_docker.{name}); it has: {sorted(schema['resources'])}"
    )
    res = schema["resources"][token]
    report = new_report()
    compare(getattr(pulumi_docker, f"{name}Args"), res.get("inputProperties", {}), res.get("requiredInputs", []),
            name, schema, report, set())  # fmt: skip
    check(report, f"{token}")


def test_provider_config_matches_the_sdk():
    schema = provider_schema()
    prov = schema["provider"]
    report = new_report()
    compare(pulumi_docker.ProviderArgs, prov.get("inputProperties", {}), prov.get("requiredInputs", []),
            "Provider", schema, report, set())  # fmt: skip
    check(report, "the provider's configuration")


def test_compare_catches_a_renamed_input():
    """The comparison itself: a provider that said `commands` (the bridge's default) fails it."""
    schema = provider_schema()
    res = json.loads(json.dumps(schema["resources"][resource_token("Container")]))
    res["inputProperties"]["commands"] = res["inputProperties"].pop("command")
    report = new_report()
    compare(pulumi_docker.ContainerArgs, res["inputProperties"], res.get("requiredInputs", []), "Container", schema, report, set())
    assert report["missing"] == ["Container.command"] and "Container.commands" in report["extra"]

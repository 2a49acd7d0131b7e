"""Run the real __main__.py under Pulumi's mocks and record every registration request.

The recording keeps what Pulumi's own Mocks hide: the resource options the engine receives
(protect, parent, dependencies) and which input properties arrive as secrets. The tests, the
offline PR check and the manifest renderer all judge what the program really registers, without
providers, a cluster or a state backend.
"""

import json
import os
import pickle
import subprocess
import sys
import runpy
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "litellm-gateway"
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    protect: bool
    retain_on_delete: bool
    custom: bool
    inputs: dict[str, Any]
    secret_inputs: set[str]
    dependencies: list[str]
    ignore_changes: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


def _secret_paths(value: Any, path: str = "") -> set[str]:
    """Dotted paths of every secret-wrapped value in a protobuf-as-dict tree."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return {path}
        return set().union(*(_secret_paths(v, f"{path}.{k}" if path else k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(_secret_paths(v, f"{path}[{i}]") for i, v in enumerate(value)))
    return set()


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request):  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                    custom=bool(request.custom),
                    inputs=rpc.deserialize_properties_unwrap_secrets(request.object)[0],
                    secret_inputs=_secret_paths(raw),
                    dependencies=list(request.dependencies),
                    ignore_changes=list(request.ignoreChanges),
                    property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                    outputs=self.resources[response.urn].state if response.urn in self.resources else {},
                )
            )
        return response


class Mocks(pulumi.runtime.Mocks):
    """Resources echo their inputs; a Kubernetes object gets a metadata.name like the provider's
    auto-name, a RandomPassword the result `random_result` gives (never a real secret), and a
    one-shot Docker container the exit code 0."""

    def kubernetes_name(self, name: str, inputs: dict[str, Any]) -> str:
        return f"{name}-mock"

    def random_result(self, name: str, length: int) -> str:
        return "x" * length

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        state = dict(args.inputs)
        if args.typ.startswith("kubernetes:") and isinstance(state.get("metadata"), dict):
            state["metadata"] = {"name": self.kubernetes_name(args.name, args.inputs), **state["metadata"]}
        if args.typ == "random:index/randomPassword:RandomPassword":
            state["result"] = self.random_result(args.name, int(args.inputs.get("length", 16)))
        if args.typ == "docker:index/container:Container" and args.inputs.get("mustRun") is False:
            state["exitCode"] = 0  # a one-shot container (the migration) that succeeded
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@contextmanager
def _config_env(config: dict[str, Any], secret_keys: list[str]):
    saved = {k: os.environ.get(k) for k in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")}
    os.environ["PULUMI_CONFIG"] = json.dumps({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def stack_file_config(stack: str, secret_value: Callable[[str], str], program: Path = ROOT) -> tuple[dict[str, Any], list[str]]:
    """A committed stack file's config as the engine would pass it, without its secrets: every
    `secure:` value and every model key the file names but does not hold becomes
    `secret_value(key)` and is marked secret."""
    config = yaml.safe_load((program / f"Pulumi.{stack}.yaml").read_text())["config"]
    models = config.get(f"{NAMESPACE}:models") or []
    needed = {f"{NAMESPACE}:{m['apiKeySecret']}" for m in models if isinstance(m, dict) and m.get("apiKeySecret")}
    secret_keys = sorted(needed | {k for k, v in config.items() if isinstance(v, dict) and set(v) == {"secure"}})
    config.update({key: secret_value(key.split(":", 1)[1]) for key in secret_keys})
    return config, secret_keys


class FirstPreviewMocks(Mocks):
    """A new stack's first `pulumi preview`: nothing exists yet, so what providers compute
    (a RandomPassword's result, a one-shot container's exit code) is unknown, and so is
    everything built from it."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, state = super().new_resource(args)
        state.pop("result", None)
        state.pop("exitCode", None)
        return resource_id, state


class ProgramFailed(Exception):
    """The program raised while running: its message and what it had registered until then."""

    def __init__(self, message: str, registrations: list[Registration]):
        super().__init__(message, registrations)
        self.message, self.registrations = message, registrations

    def __str__(self) -> str:
        return self.message


class FailedMigrationMocks(Mocks):
    """The Docker migration container exits with `exit_code` (the provider reports it)."""

    def __init__(self, exit_code: int):
        self.exit_code = exit_code

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, state = super().new_resource(args)
        if args.name.endswith("-migrate") and "exitCode" in state:
            state["exitCode"] = self.exit_code
        return resource_id, state


def run_program(
    stack: str,
    config: dict[str, Any],
    secret_keys: list[str],
    mocks: Mocks | None = None,
    *,
    preview: bool = False,
    isolated: bool = False,
    program: Path = ROOT,
) -> list[Registration]:
    """Run __main__.py for `stack` with `config` (full `litellm-gateway:key` names); `preview`
    runs it as a preview does (with FirstPreviewMocks: the first one of a new stack).

    A preview, and an `isolated` run, run in a fresh interpreter: the SDK's settings are context
    variables that its event loop keeps from the process's first run, so after a non-preview run
    `preview=True` would silently resolve unknowns as known `None` (seen: a Secret lost its
    stringData); and a program that fails leaves the SDK's tasks behind (seen: CPython's
    "AST constructor recursion depth mismatch" when pytest later imported a module). A failed
    program raises ProgramFailed either way. `program`: another checkout's program (the pull
    request's, judged by this checkout's pack); it always runs in a fresh interpreter, so its
    `components` never mix with this checkout's."""
    if preview or isolated or program != ROOT:
        job = pickle.dumps((stack, config, secret_keys, mocks, str(program), preview))
        done = subprocess.run([sys.executable, "-m", "devtools.mock_engine"], input=job, capture_output=True, cwd=ROOT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the isolated run failed:\n{done.stderr.decode(errors='replace')[-4000:]}")
        result = pickle.loads(done.stdout)
        if isinstance(result, ProgramFailed):
            raise result
        return result
    return record_program(stack, config, secret_keys, mocks)


def record_program(
    stack: str, config: dict[str, Any], secret_keys: list[str], mocks: Mocks | None = None, program: str | Path = ROOT, *, preview: bool = False
) -> list[Registration]:
    """run_program in this interpreter."""
    mocks = mocks or Mocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="litellm-gateway", stack=stack, preview=preview, monitor=monitor)

    main = Path(program) / "__main__.py"

    @pulumi.runtime.test
    def run():
        runpy.run_path(str(main), run_name="__main__")
        # Wait for the exports too, so registrations made inside their applies are recorded.
        return pulumi.Output.all(**pulumi.runtime.settings.get_root_resource().outputs)

    with _config_env(config, secret_keys):
        try:
            run()
        except Exception as err:
            err.registrations = monitor.registrations  # for an isolated run's ProgramFailed
            raise
    return monitor.registrations


if __name__ == "__main__":  # an isolated run_program: pickled job in, registrations (or ProgramFailed) out
    from devtools import mock_engine  # the module's own classes, not __main__'s copies, go into the pickle

    *_job, _program, _preview = pickle.loads(sys.stdin.buffer.read())
    sys.path.insert(0, _program)  # the program's own `components` first
    try:
        _result: Any = mock_engine.record_program(*_job, _program, preview=_preview)
    except Exception as err:  # noqa: BLE001 - any failure of the program is the result
        _result = mock_engine.ProgramFailed(str(err), getattr(err, "registrations", []))
    sys.stdout.buffer.write(pickle.dumps(_result))

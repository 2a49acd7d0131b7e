"""Kubernetes manifests of a stack without a cluster, a provider or a state backend.

The program runs under Pulumi's mocks (devtools.mock_engine), exactly as `pulumi up` would run
it, and every Kubernetes object it registers is written as one YAML file, dependencies first
(then by kind and name, so the numbering is the same on every render). What the provider would add is imitated: auto-named objects get
`<resource name>-<8 hex>`, stable across renders, and ConfigMaps and Secrets get a suffix
derived from their content, as the provider replaces them when their data changes.

Secret values are never rendered: stack secrets cannot be decrypted here and generated
passwords do not exist before `pulumi up`, so every Secret holds `placeholder(...)` strings.
The files are safe to commit to a review, and are not a deployment.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools.mock_engine import Mocks, Registration, run_program, stack_file_config

CONTENT_NAMED = {"ConfigMap", "Secret"}


def placeholder(name: str) -> str:
    """The value that stands for the secret `name` in rendered manifests (and in tests that
    check no object but a Secret carries one)."""
    return f"rendered-placeholder-{name}-not-a-secret"


def _suffix(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


class RenderMocks(Mocks):
    def kubernetes_name(self, name: str, inputs: dict[str, Any]) -> str:
        content = json.dumps(inputs, sort_keys=True, default=str) if inputs.get("kind") in CONTENT_NAMED else ""
        return f"{name}-{_suffix(name + content)}"

    def random_result(self, name: str, length: int) -> str:
        return placeholder(name)


def _plain(value: Any) -> Any:
    """Wire values back to manifest values: whole floats are integers (ports, replicas)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Manifest:
    file: str
    kind: str
    name: str
    body: dict[str, Any]


KIND_ORDER = ["Namespace", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service", "NetworkPolicy", "StatefulSet", "Job", "Deployment"]


def _ordered(registrations: list[Registration]) -> list[Registration]:
    """Dependencies first, otherwise by kind and name: the engine's registration order varies
    from run to run, the files' numbering must not."""
    pending = {r.urn: r for r in registrations}
    done: list[Registration] = []
    while pending:
        ready = [r for r in pending.values() if not any(d in pending for d in r.dependencies)] or list(pending.values())
        kind = lambda r: r.inputs.get("kind", "")  # noqa: E731
        first = min(ready, key=lambda r: (KIND_ORDER.index(kind(r)) if kind(r) in KIND_ORDER else len(KIND_ORDER), r.name))
        done.append(pending.pop(first.urn))
    return done


def manifests(registrations: list[Registration]) -> list[Manifest]:
    found = []
    for reg in _ordered([r for r in registrations if r.custom and r.type.startswith("kubernetes:")]):
        body = _plain(reg.inputs)
        body["metadata"] = {"name": reg.outputs["metadata"]["name"], **body.get("metadata", {})}
        kind, name = body["kind"], body["metadata"]["name"]
        found.append(Manifest(f"{len(found) + 1:02d}-{kind.lower()}-{name}.yaml", kind, name, body))
    return found


def render(stack: str, changes: dict[str, Any] | None = None) -> list[Manifest]:
    """The stack's Kubernetes objects, with `changes` (keys without the namespace) applied to
    its committed config first."""
    config, secret_keys = stack_file_config(stack, placeholder)
    for key, value in (changes or {}).items():
        if f"litellm-gateway:{key}" in secret_keys:
            raise ValueError(f"litellm-gateway:{key} is a secret: render never writes secret values, it keeps the placeholder")
        config[f"litellm-gateway:{key}"] = value
    platform = config.get("litellm-gateway:platform")
    if platform != "kubernetes":
        raise ValueError(f"stack {stack} deploys to {platform!r}: only a kubernetes stack has manifests")
    return manifests(run_program(stack, config, secret_keys, RenderMocks()))


SECRET_HEADER = (
    "# NOT A DEPLOYABLE SECRET: every value below is a placeholder written by `python -m ops render`.\n"
    "# The real values exist only in the Pulumi stack (encrypted) and in the cluster.\n"
)


def write(found: list[Manifest], out: Path) -> None:
    """Writes one file per object; files of an earlier render in `out` are replaced."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]-*.yaml"):
        old.unlink()
    for m in found:
        header = SECRET_HEADER if m.kind == "Secret" else ""
        (out / m.file).write_text(header + yaml.safe_dump(m.body, sort_keys=False))

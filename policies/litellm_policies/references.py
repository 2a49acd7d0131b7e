"""S7 (beyond the seeds): every object a LiteLLM, Postgres or Redis container reads is in the
stack, or trusted by name in the pack config.

A value read from a Secret or ConfigMap outside the stack can never be judged: not at preview,
not after apply, so the rules that need it (the salt key's protection S1, key strength S2/S3,
LITELLM_LOG P6, ...) would defer forever. An unknown name (an output of the stack, known after
apply) is not an outside reference: those checks run on the next preview.
"""

from __future__ import annotations

from typing import Any, Iterator

from .common import containers
from .detect import Container, Stack, _known_list, _volume_sources, k8s_namespace
from .model import Finding, violation
from .registry import MANDATORY, Setting, stack_policy
from .values import get

SETTING = "trustedExternalObjects"
POLICY = "litellm-s7-outside-references-trusted"
JUDGED_ROLES = ("proxy", "migration", "migration-init", "postgres", "redis")


def _dicts(value: Any) -> list[dict]:
    return [x for x in _known_list(value) if isinstance(x, dict)]


def references(c: Container) -> Iterator[tuple[str, Any, str]]:
    """(kind, name, how) of every Secret / ConfigMap the container reads."""
    for e in _dicts(get(c.spec, "env")):
        vf = e.get("valueFrom")
        for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            ref = vf.get(key) if isinstance(vf, dict) else None
            if isinstance(ref, dict):
                yield kind, ref.get("name"), f"env {e.get('name')}"
    for ef in _dicts(get(c.spec, "envFrom")):
        for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            if isinstance(ef.get(key), dict):
                yield kind, ef[key].get("name"), "envFrom"
    mounted = {m.get("name") for m in _dicts(get(c.spec, "volumeMounts")) if isinstance(m.get("name"), str)}
    for v in _dicts(get(c.pod or {}, "volumes")):
        if isinstance(v.get("name"), str) and v["name"] in mounted:
            for kind, name, _ in _volume_sources(v):
                yield kind, name, f"volume {v.get('name')}"


def _trusted(kind: str, namespace: Any, name: str, trusted: set[str]) -> bool:
    return f"{kind}/{name}" in trusted or (isinstance(namespace, str) and f"{kind}/{namespace}/{name}" in trusted)


@stack_policy(
    POLICY,
    "S7",
    "S7: every Secret / ConfigMap a LiteLLM, Postgres or Redis container reads (env, envFrom, volumes) is in the stack, "
    f"or named in this policy's pack config {SETTING} (\"Kind/namespace/name\" or \"Kind/name\"): a value from "
    "outside the stack can never be judged, so the rules needing it would defer forever. "
    "Fix: create the object in the stack, or check it yourself and add it to trustedExternalObjects.",
    MANDATORY,
    "kubernetes workloads running LiteLLM, Postgres or Redis, Secret, ConfigMap",
    {SETTING: Setting({"type": "array", "items": {"type": "string"}}, [])},
)
def s7_outside_references(stack: Stack) -> list[Finding]:
    trusted = {str(t) for t in stack.settings[SETTING] or []}
    out: list[Finding] = []
    for c in containers(stack, *JUDGED_ROLES):
        if c.platform != "k8s":
            continue
        ns = k8s_namespace(c.res)
        for kind, name, how in references(c):
            # in the stack, in the pod's namespace (UNKNOWN: named by an output of it, judged on
            # the next preview; a stack policy sees every resource, so a known name is never
            # UNKNOWN here)
            if not isinstance(name, str) or stack.k8s_named(kind, name, ns, c.res) is not None:
                continue
            if _trusted(kind, ns, name, trusted):
                continue
            where = f"{ns}/{name}" if isinstance(ns, str) else name
            out.append(
                violation(
                    "S7",
                    c.label,
                    f"{kind} '{where}' from outside the stack ({how}): its values can never be judged",
                    "every object the container reads in the stack, or trusted in the pack config",
                    f"create it in the stack, or check it yourself and add \"{kind}/{where}\" to {SETTING} of {POLICY} "
                    "in the --policy-pack-config file",
                    urn=c.res.urn,
                )
            )
    return out

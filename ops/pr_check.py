"""A pull-request check: what a change would deploy and which hardening rules it breaks, as a
short Markdown summary for a PR comment, and an exit status CI can gate on.

Two ways to get there, one summary:
- `preview` (default): `pulumi preview --json` with the policy pack and its stack config, and
  PULUMI_ENABLE_STREAMING_JSON_PREVIEW set: the plain `--json` digest leaves policy events out
  (Pulumi v3.259's display/json.go), the streamed engine events keep them. Needs the provider
  plugins and the stack's backend.
- `offline`: the program under Pulumi's mocks, judged by the same rules in-process
  (litellm_policies.registry). Needs nothing but the project's virtualenv; every resource shows
  as a create, since there is no state to diff against.
Exit status: 0 clean (advisories allowed), 1 a mandatory violation or a failed preview, 2 the
check itself could not run.
"""

import copy
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

from pulumi.output import Unknown
from pulumi.runtime import rpc

from devtools.mock_engine import ROOT, Registration, run_program, stack_file_config
from ops.render import placeholder

sys.path.insert(0, str(ROOT / "policies"))
from litellm_policies.model import UNKNOWN, Resource  # noqa: E402 - the pack is a folder, not a package
from litellm_policies.registry import MANDATORY, evaluate  # noqa: E402

PREVIEW_TIMEOUT_S = 1800
MAX_LISTED = 40  # a PR comment stays readable; the counts are always complete


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    resource: str
    message: str


@dataclass
class Summary:
    stack: str
    mode: str
    changes: Counter = field(default_factory=Counter)
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # op, type, name
    violations: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Finding]:
        return [v for v in self.violations if v.level == MANDATORY]

    @property
    def passed(self) -> bool:
        return not self.mandatory and not self.errors


def policy_config(stack: str) -> dict:
    """The pack's enforcement config for a stack (policies/config/<stack>.json)."""
    return json.loads((ROOT / "policies/config" / f"{stack}.json").read_text())


def policy_resources(registrations: list[Registration]) -> list[Resource]:
    """What CrossGuard sees: inputs after the provider's check, which gives auto-named
    Kubernetes objects their metadata.name (the mocks' state holds the same name)."""
    found = []
    for r in registrations:
        if not r.custom:
            continue
        props = _unknowns_as_the_pack_sees_them(copy.deepcopy(r.inputs))
        if r.type.startswith("kubernetes:") and "name" not in props.get("metadata", {}):
            props.setdefault("metadata", {})["name"] = r.outputs["metadata"]["name"]
        found.append(
            Resource(
                urn=r.urn, type=r.type, name=r.name, props=props, protect=r.protect,
                dependencies=r.dependencies, property_dependencies=r.property_dependencies,
            )
        )  # fmt: skip
    return found


def _unknowns_as_the_pack_sees_them(value: Any) -> Any:
    """A value unknown at preview reaches the monitor as the engine's unknown marker; CrossGuard
    hands it to the pack as unknown, which the pack's adapter turns into UNKNOWN."""
    if isinstance(value, Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unknowns_as_the_pack_sees_them(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns_as_the_pack_sees_them(v) for v in value]
    return value


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def offline(stack: str, program: Path = ROOT) -> Summary:
    """The program in `program` (e.g. a pull request's checkout) under mocks, judged by this
    checkout's pack and enforcement config: a change cannot weaken the pack that judges it."""
    summary = Summary(stack, "offline: the program under Pulumi's mocks, no state to diff against")
    config, secret_keys = stack_file_config(stack, placeholder, program)
    try:
        registered = policy_resources(run_program(stack, config, secret_keys, program=program))
    except Exception as err:  # the program's own message (ConfigError) is the finding
        summary.errors.append(str(err))
        return summary
    for res in registered:
        summary.changes["create"] += 1
        summary.steps.append(("create", res.type, res.name))
    for v in evaluate(registered, policy_config(stack)):
        level = "advisory (deferred until apply)" if v.deferred else v.enforcement
        summary.violations.append(Finding(v.policy_name, level, _name(v.urn or ""), v.message))
    return summary


def from_event_log(stack: str, lines: list[str], preview_status: int) -> Summary:
    """A summary from the streamed `pulumi preview --json` (one apitype.EngineEvent per line)."""
    summary = Summary(stack, "pulumi preview with the policy pack")
    for line in lines:
        if not line.startswith("{"):  # the engine's events are one JSON object per line
            continue
        try:
            event = json.loads(line)
        except ValueError:
            summary.errors.append(f"unreadable preview event: {line[:200]}")
            continue
        if pre := event.get("resourcePreEvent"):
            meta = pre["metadata"]
            if meta["op"] != "same" and meta["type"] != "pulumi:pulumi:Stack":
                summary.steps.append((meta["op"], meta["type"], _name(meta["urn"])))
        elif policy := event.get("policyEvent"):
            summary.violations.append(
                Finding(policy["policyName"], policy["enforcementLevel"], _name(policy.get("resourceUrn", "")), policy["message"].strip())
            )
        elif diag := event.get("diagnosticEvent"):
            if diag.get("severity") == "error":
                summary.errors.append(diag["message"].strip())
        elif done := event.get("summaryEvent"):
            summary.changes = Counter({op: n for op, n in done.get("resourceChanges", {}).items() if n})
    if preview_status != 0 and not summary.errors and not summary.mandatory:
        summary.errors.append(f"pulumi preview exited with status {preview_status} (its output is in the job log)")
    return summary


def preview(stack: str, program: Path = ROOT) -> Summary:
    """`pulumi preview` of the program in `program` (a checkout of this repository, e.g. the
    pull request's) with this checkout's pack and enforcement config, never the program's."""
    cmd = [
        "pulumi", "preview", "--stack", stack, "--non-interactive", "--json",
        "--policy-pack", str(ROOT / "policies"), "--policy-pack-config", str(ROOT / "policies/config" / f"{stack}.json"),
    ]  # fmt: skip
    # With this variable --json streams one engine event per line, policy events included.
    env = {**os.environ, "PULUMI_ENABLE_STREAMING_JSON_PREVIEW": "true"}
    try:
        result = subprocess.run(cmd, cwd=program, env=env, stdout=subprocess.PIPE, text=True, timeout=PREVIEW_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return Summary(stack, "pulumi preview with the policy pack", errors=[f"pulumi preview ran over {PREVIEW_TIMEOUT_S} s and was stopped"])
    return from_event_log(stack, result.stdout.splitlines(), result.returncode)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(s: Summary) -> str:
    verdict = "passed" if s.passed else "FAILED"
    changes = ", ".join(f"{n} to {op}" for op, n in sorted(s.changes.items())) or "no changes"
    out = [
        f"### litellm-gateway policy check: stack `{s.stack}` {verdict}",
        "",
        f"Mode: {s.mode}. Changes: {changes}. Policy violations: {len(s.mandatory)} mandatory, "
        f"{len(s.violations) - len(s.mandatory)} advisory.",
    ]
    if s.errors:
        out += ["", "**Errors** (nothing was deployed):", ""]
        out += [f"```\n{e}\n```" for e in s.errors]
    if s.violations:
        ordered = sorted(s.violations, key=lambda v: (v.level != MANDATORY, v.policy))
        out += ["", "| level | policy | resource | message |", "|---|---|---|---|"]
        out += [f"| {v.level} | `{v.policy}` | {v.resource} | {_cell(v.message)} |" for v in ordered[:MAX_LISTED]]
        if len(ordered) > MAX_LISTED:
            out.append(f"\n… and {len(ordered) - MAX_LISTED} more (see the job log).")
    if s.steps:
        out += ["", "<details><summary>Resources</summary>", "", "| change | type | name |", "|---|---|---|"]
        out += [f"| {op} | `{t}` | {n} |" for op, t, n in s.steps[:MAX_LISTED]]
        if len(s.steps) > MAX_LISTED:
            out.append(f"\n… and {len(s.steps) - MAX_LISTED} more.")
        out += ["", "</details>"]
    return "\n".join(out) + "\n"

"""What the operator commands know of a deployment: the stack's outputs, read through the CLI,
so nobody types a URL or a key."""

import json
import subprocess
from dataclasses import dataclass
from typing import Any


class OpsError(RuntimeError):
    """A problem the operator can act on; printed without a traceback."""


@dataclass(frozen=True)
class Deployment:
    stack: str
    platform: str
    proxy_url: str
    health_url: str
    master_key: str
    models: list[dict[str, Any]]
    plan: dict[str, Any]
    containers: dict[str, str]
    redis_password: str
    namespace: str | None = None  # Kubernetes: where the proxy's Service lives


def read(stack: str) -> Deployment:
    try:
        result = subprocess.run(
            ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except FileNotFoundError:
        raise OpsError("no `pulumi` on PATH: run `source scripts/lib.sh && pulumi_stack_env dev` first") from None
    if result.returncode != 0:
        raise OpsError(f"cannot read the outputs of stack {stack!r}: {result.stderr.strip()[-500:]}")
    return deployment_from_outputs(stack, json.loads(result.stdout))


def deployment_from_outputs(stack: str, out: dict[str, Any]) -> Deployment:
    """A Deployment from a stack's outputs as `pulumi stack output --json --show-secrets` prints them."""
    missing = [k for k in ("proxy_url", "health_url", "master_key", "models", "plan") if k not in out]
    if missing:
        raise OpsError(f"stack {stack!r} has no output {', '.join(missing)}: deploy it first (scripts/up)")
    return Deployment(
        stack=stack,
        platform=out.get("platform", "docker"),
        proxy_url=out["proxy_url"],
        health_url=out["health_url"],
        master_key=out["master_key"],
        models=out["models"],
        plan=out["plan"],
        containers=out.get("containers") or {},
        redis_password=out.get("redis_password", ""),
        namespace=out.get("namespace"),
    )

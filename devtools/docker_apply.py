"""Create a Docker stack's containers with the docker CLI from what the program registers.

Why: pulumi-docker and pulumi-random cannot be built on machines that reach only package
registries (issue 5), so `pulumi up --stack dev` stops at provider loading. This runs the real
__main__.py under Pulumi's mocks (devtools/mock_engine.py), then creates exactly the networks,
volumes and containers it registered, in registration order, with random secrets made here; so
the program's dev deployment and the operator commands (`ops check`, `ops probe`) can be
exercised against real Postgres, Redis, mock upstream and LiteLLM processes.

It is not a deployment tool: no state, no diff, no update. Every object carries a label with
the stack's name; `down` removes them all, volumes included. A container input this module
does not translate fails the run (UnsupportedInput) rather than being dropped silently.
Secrets go to containers through a 0600 env file deleted right after `docker create`, and
uploads through `docker cp` from memory: never a command line, never a file left behind.
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import shlex
import string
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from devtools.mock_engine import Mocks, Registration, record_program, stack_file_config

LABEL = "litellm-gateway.docker-apply"
DOCKER_TIMEOUT_S = 180
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
CONTAINER = "docker:index/container:Container"
# Inputs this module turns into `docker` flags or start/wait behaviour, by resource type.
NETWORK_INPUTS = {"name", "driver"}
VOLUME_INPUTS = {"name"}
HANDLED = {
    "name", "image", "command", "envs", "user", "networksAdvanced", "ports", "volumes", "uploads",
    "healthcheck", "memory", "cpus", "stopTimeout", "destroyGraceSeconds", "restart", "wait",
    "waitTimeout", "mustRun", "attach",
}  # fmt: skip


class UnsupportedInput(RuntimeError):
    """The program registered something this module cannot reproduce faithfully."""


class RandomSecrets(Mocks):
    """Real random values for the program's RandomPassword resources (alphanumeric, as the
    program asks for `special=False`), so no two applies share a key."""

    def random_result(self, name: str, length: int) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(length))


def docker(*args: str, input_bytes: bytes | None = None, timeout: float = DOCKER_TIMEOUT_S) -> str:
    result = subprocess.run(["docker", *args], input=input_bytes, capture_output=True, timeout=timeout)
    if result.returncode != 0:
        err = result.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"docker {args[0]} {args[-1] if len(args) > 1 else ''} failed ({result.returncode}): {err}")
    return result.stdout.decode(errors="replace")


def record(
    stack: str, config_from: str | None = None, overrides: dict[str, Any] | None = None
) -> tuple[list[Registration], dict[str, Any]]:
    """The registrations and outputs of the program as stack `stack` (which names every object)
    with the config of Pulumi.<config_from>.yaml (default: the same stack) and `overrides`.
    Secret config (model API keys) gets throwaway values: meant for the mock upstream, which ignores them."""
    config, secret_keys = stack_file_config(config_from or stack, lambda key: "throwaway-" + secrets.token_hex(12))
    config.update({f"litellm-gateway:{k}": v for k, v in (overrides or {}).items()})
    monitor = record_program(stack, config, secret_keys, RandomSecrets())
    if monitor.stack_outputs.get("platform") != "docker":
        raise UnsupportedInput(f"stack {stack!r} is not a docker stack (platform {monitor.stack_outputs.get('platform')!r})")
    return monitor.registrations, monitor.stack_outputs


def _health_flags(check: dict[str, Any]) -> list[str]:
    tests = list(check["tests"])
    if tests[0] != "CMD":
        raise UnsupportedInput(f"healthcheck {tests[0]!r}: only the exec form CMD is translated")
    # `docker create` takes the command as one shell string (CMD-SHELL); quoting keeps the argv.
    # startInterval is left out: Docker 20.10 has no such flag (the checks then start at `interval`).
    return [
        "--health-cmd", shlex.join(tests[1:]), "--health-interval", check["interval"], "--health-timeout", check["timeout"],
        "--health-retries", str(int(check["retries"])), "--health-start-period", check["startPeriod"],
    ]  # fmt: skip


def _refuse_unknown(kind: str, inputs: dict[str, Any], handled: set[str]) -> None:
    unknown = set(inputs) - handled
    if unknown:
        raise UnsupportedInput(f"{kind} {inputs.get('name')!r}: inputs {sorted(unknown)} are not translated")


def create_flags(inputs: dict[str, Any], label: str) -> list[str]:
    """`docker create` flags for one registered Container, without its env (see _create)."""
    _refuse_unknown("container", inputs, HANDLED)
    flags = ["--name", inputs["name"], "--label", label, "--restart", inputs.get("restart", "no")]
    if "user" in inputs:
        flags += ["--user", inputs["user"]]
    networks = inputs.get("networksAdvanced") or []
    if len(networks) != 1:
        raise UnsupportedInput(f"container {inputs['name']!r}: {len(networks)} networks, exactly one is translated")
    flags += ["--network", networks[0]["name"], *[f"--network-alias={a}" for a in networks[0].get("aliases", [])]]
    for port in inputs.get("ports") or []:
        flags += ["-p", f"{port['ip']}:{int(port.get('external') or 0) or ''}:{int(port['internal'])}"]
    for vol in inputs.get("volumes") or []:
        flags += ["-v", f"{vol['volumeName']}:{vol['containerPath']}"]
    if "healthcheck" in inputs:
        flags += _health_flags(inputs["healthcheck"])
    if "memory" in inputs:
        flags += ["--memory", f"{int(inputs['memory'])}m"]
    if "cpus" in inputs:
        flags += ["--cpus", inputs["cpus"]]
    if "stopTimeout" in inputs:
        flags += ["--stop-timeout", str(int(inputs["stopTimeout"]))]
    return flags


def _uploads_tar(uploads: list[dict[str, Any]]) -> bytes:
    """The uploaded files as one tar rooted at /, file entries only (as the provider sends them:
    Docker creates missing parents, and a directory entry would reset an existing one's owner
    and mode, e.g. /tmp's 1777), mode 0644 owned by root: readable by the container's user."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for up in uploads:
            data = up["content"].encode()
            info = tarfile.TarInfo(up["file"].lstrip("/"))
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _create(inputs: dict[str, Any], label: str) -> None:
    with tempfile.TemporaryDirectory(prefix="lg-apply-") as tmp:
        env_file = Path(tmp) / "env"
        env_file.touch(mode=0o600)
        env_file.write_text("".join(f"{e}\n" for e in inputs.get("envs") or []))
        docker("create", *create_flags(inputs, label), "--env-file", str(env_file), inputs["image"], *inputs.get("command", []))
    if inputs.get("uploads"):
        docker("cp", "-", f"{inputs['name']}:/", input_bytes=_uploads_tar(inputs["uploads"]))


def _wait_healthy(name: str, timeout: float, progress: Any) -> None:
    deadline = time.monotonic() + timeout
    while True:
        state = json.loads(docker("inspect", "--format", "{{json .State}}", name))
        health = (state.get("Health") or {}).get("Status")
        if health == "healthy":
            return
        if not state.get("Running"):
            raise RuntimeError(f"{name} exited ({state.get('ExitCode')}) before it was healthy:\n{_tail(name)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} not healthy after {timeout:.0f} s (health {health}):\n{_tail(name)}")
        progress(f"  waiting for {name} to be healthy ({health})")
        time.sleep(3)


def _tail(name: str) -> str:
    result = subprocess.run(["docker", "logs", "--tail", "30", name], capture_output=True, text=True, timeout=60)
    return (result.stdout + result.stderr)[-3000:]


def label_for(stack: str) -> str:
    return f"{LABEL}={stack}"


def up(registrations: list[Registration], stack: str, progress: Any = print) -> None:
    """Create the registered Docker objects in registration order (the program registers a
    resource only after what it depends on). Whatever an earlier run left is removed first."""
    down(stack, progress)
    label = label_for(stack)
    for reg in registrations:
        if reg.type == NETWORK:
            _refuse_unknown("network", reg.inputs, NETWORK_INPUTS)
            docker("network", "create", "--label", label, "--driver", reg.inputs.get("driver", "bridge"), reg.inputs["name"])
        elif reg.type == VOLUME:
            _refuse_unknown("volume", reg.inputs, VOLUME_INPUTS)
            docker("volume", "create", "--label", label, reg.inputs["name"])
        elif reg.type == CONTAINER:
            inputs = reg.inputs
            _create(inputs, label)
            started = time.monotonic()
            if inputs.get("attach"):  # a one-shot step: it must exit 0 before anything after it
                timeout = float(inputs.get("waitTimeout", 300))
                try:
                    result = subprocess.run(["docker", "start", "-a", inputs["name"]], capture_output=True, text=True, timeout=timeout)
                except subprocess.TimeoutExpired:
                    docker("rm", "-f", inputs["name"])
                    raise RuntimeError(f"{inputs['name']} did not exit within {timeout:.0f} s; removed it") from None
                if result.returncode != 0:
                    raise RuntimeError(f"{inputs['name']} exited {result.returncode}:\n{(result.stdout + result.stderr)[-3000:]}")
            else:
                docker("start", inputs["name"])
                if inputs.get("wait"):
                    _wait_healthy(inputs["name"], float(inputs.get("waitTimeout", 60)), progress)
            progress(f"{reg.inputs['name']}: {'exited 0' if inputs.get('attach') else 'running'} ({time.monotonic() - started:.1f} s)")
        elif reg.custom and not reg.type.startswith("random:"):
            raise UnsupportedInput(f"{reg.type} {reg.name}: not a Docker network, volume or container")


def down(stack: str, progress: Any = print) -> None:
    """Remove every container, network and volume labelled for `stack` (containers first)."""
    label = f"label={label_for(stack)}"
    containers = docker("ps", "-aq", "--filter", label).split()
    if containers:
        docker("rm", "-f", "-v", *containers)
    for kind in ("network", "volume"):
        found = docker(kind, "ls", "-q", "--filter", label).split()
        if found:
            docker(kind, "rm", *found)
    if containers:
        progress(f"removed {len(containers)} container(s) of stack {stack} and their networks and volumes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.docker_apply", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("action", choices=("up", "down"), help="up: create and run ops check + probe; down: remove everything")
    parser.add_argument("--stack", default="dev", help="a docker stack whose Pulumi.<stack>.yaml exists (default: dev)")
    args = parser.parse_args(argv)
    if args.action == "down":
        try:
            down(args.stack)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    from components.litellm_config import MASTER_KEY_ENV
    from ops import check, probe
    from ops.report import print_results
    from ops.stack import deployment_from_outputs

    try:
        registrations, outputs = record(args.stack)
        up(registrations, args.stack)
    except (UnsupportedInput, RuntimeError, subprocess.TimeoutExpired) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    deployment = deployment_from_outputs(args.stack, outputs)
    healthy = print_results("check", args.stack, check.run(deployment)) & print_results("probe", args.stack, probe.run(deployment))
    proxy = outputs["containers"]["proxy"]
    print(f"\nthe gateway answers on {outputs['proxy_url']}; its master key: docker exec {proxy} printenv {MASTER_KEY_ENV}")
    print(f"remove it with: .venv/bin/python -m devtools.docker_apply down --stack {args.stack}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())

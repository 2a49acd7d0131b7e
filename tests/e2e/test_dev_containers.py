"""The dev stack's containers, created from the program's registrations with the docker CLI
(devtools/docker_apply.py: the providers cannot be built here, issue 5), checked by the
operator commands as an operator would run them after `pulumi up --stack dev`.

The stack is named `e2e-<random>` (so nothing clashes with a dev deployment on this machine)
with the committed Pulumi.dev.yaml's config and the proxy published on free loopback ports.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from devtools import docker_apply
from ops import check, probe
from ops.report import print_results
from ops.stack import deployment_from_outputs

pytestmark = pytest.mark.docker

STACK = f"e2e-{secrets.token_hex(3)}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def deployed() -> Iterator[tuple[list[Any], dict[str, Any]]]:
    ports = {"proxyPort": free_port(), "healthPort": free_port()}
    registrations, outputs = docker_apply.record(STACK, config_from="dev", overrides={"docker": ports})
    try:
        docker_apply.up(registrations, STACK, progress=lambda msg: print(f"[apply] {msg}"))
        yield registrations, outputs
    finally:
        docker_apply.down(STACK)


def test_ops_check_passes_on_the_dev_containers(deployed) -> None:
    _, outputs = deployed
    results = check.run(deployment_from_outputs(STACK, outputs))
    print("\n" + "\n".join(f"{r.name}: {'ok' if r.ok else 'FAIL'} ({r.detail})" for r in results))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    names = " ".join(r.name for r in results)
    for rule in ("H1", "S3", "P1", "D2", "S5", "R2"):  # every check ran, on the planned values
        assert rule in names, names
    workers = next(r for r in results if r.name.startswith("P1"))
    assert workers.detail.startswith(f"{outputs['plan']['workers']} running"), workers


def test_ops_probe_reaches_every_model_through_the_proxy(deployed) -> None:
    _, outputs = deployed
    results = probe.run(deployment_from_outputs(STACK, outputs))
    assert [(r.model, r.ok, r.status) for r in results] == [(m["name"], True, 200) for m in outputs["models"]], results


def test_ops_check_fails_when_the_proxy_is_down(deployed, capsys) -> None:
    """What scripts gate on: stop the proxy, check reports it and `print_results` (the CLI's exit
    status: 0 only when it returns True) says unhealthy; then start it again."""
    _, outputs = deployed
    proxy = outputs["containers"]["proxy"]
    docker_apply.docker("stop", "-t", "20", proxy)
    try:
        results = check.run(deployment_from_outputs(STACK, outputs), wait_seconds=0)
        failed = {r.name for r in results if not r.ok}
        assert "H1 health app readiness (4001)" in failed and "S3 master key accepted" in failed, results
        assert print_results("check", STACK, results) is False
        assert "check of stack" in capsys.readouterr().out
    finally:
        docker_apply.docker("start", proxy)
        docker_apply._wait_healthy(proxy, 300, progress=lambda _: None)


def test_no_secret_in_command_lines_labels_or_logs(deployed) -> None:
    """S4: secrets reach containers as env or uploaded files, never where `docker inspect`'s
    Cmd, labels or `ps` show them without access to the container's environment."""
    registrations, outputs = deployed
    secret_values = {outputs["master_key"], outputs["redis_password"]}
    for reg in registrations:
        if reg.type == docker_apply.CONTAINER:
            secret_values |= {e.split("=", 1)[1] for e in reg.inputs.get("envs") or [] if "KEY" in e or "PASSWORD" in e or "TOKEN" in e}
    secret_values = {v for v in secret_values if len(v) >= 16}
    assert len(secret_values) >= 4, "the secrets to look for were not found"
    names = [r.inputs["name"] for r in registrations if r.type == docker_apply.CONTAINER]
    info = json.loads(docker_apply.docker("inspect", *names))
    visible = json.dumps([{"cmd": c["Config"]["Cmd"], "args": c["Args"], "labels": c["Config"]["Labels"]} for c in info])
    for name in names:
        if json.loads(docker_apply.docker("inspect", "--format", "{{json .State.Running}}", name)):
            visible += docker_apply.docker("top", name, "-eo", "pid,args")
        visible += subprocess.run(["docker", "logs", name], capture_output=True, text=True, timeout=60).stdout
    leaked = [v[:4] + "…" for v in secret_values if v in visible]
    assert not leaked, f"secrets visible in command lines, labels, process lists or logs: {leaked}"


def test_unknown_container_input_is_refused() -> None:
    """A property the translator does not know must stop the apply, not be dropped silently."""
    with pytest.raises(docker_apply.UnsupportedInput, match="privileged"):
        docker_apply.create_flags({"name": "x", "image": "y", "privileged": True}, "l=x")


def test_down_removes_every_object_of_the_stack() -> None:
    """Runs last in this module (the fixture's teardown does the same): an apply leaves nothing."""
    stack = f"e2e-down-{secrets.token_hex(2)}"
    label = f"label={docker_apply.label_for(stack)}"
    docker_apply.docker("network", "create", "--label", docker_apply.label_for(stack), f"{stack}-net")
    docker_apply.docker("volume", "create", "--label", docker_apply.label_for(stack), f"{stack}-data")
    docker_apply.docker("create", "--label", docker_apply.label_for(stack), "--name", f"{stack}-c", "--network", f"{stack}-net",
                        "-v", f"{stack}-data:/data", "litellm-gateway/redis:7.0.15")  # fmt: skip
    docker_apply.down(stack, progress=lambda _: None)
    assert [docker_apply.docker(kind, "ls" if kind != "ps" else "-a", "-q", "--filter", label).split()
            for kind in ("network", "volume", "ps")] == [[], [], []]  # fmt: skip

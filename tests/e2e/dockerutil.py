"""The docker CLI as the end-to-end tests use it: to look at what the engine created."""

from __future__ import annotations

import json
import socket
import subprocess


def docker(*args: str, check: bool = True, merge_stderr: bool = False) -> str:
    result = subprocess.run(
        ["docker", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True, timeout=120,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {result.stderr or result.stdout}")
    return result.stdout


def inspect(name: str) -> dict:
    return json.loads(docker("inspect", name))[0]


def names_with_prefix(kind: str, prefix: str) -> list[str]:
    """Containers (`ps`, stopped ones too), volumes or networks whose name starts with `prefix`."""
    listing = {"ps": ("ps", "-a"), "volume": ("volume", "ls"), "network": ("network", "ls")}[kind]
    names = docker(*listing, "--format", "{{.Names}}" if kind == "ps" else "{{.Name}}").split()
    return sorted(n for n in names if n.startswith(prefix))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(container: str, sql: str) -> str:
    """One statement in the stack's Postgres over its local socket (no password needed there)."""
    return docker("exec", container, "psql", "-U", "litellm", "-d", "litellm", "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql).strip()

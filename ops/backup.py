"""`backup` and `restore`: a stack's Postgres database to a file and back.

Both run the Postgres tools *inside* the stack's Postgres container (Docker) or pod
(Kubernetes), through `docker exec` or `kubectl exec`, so:
- nothing is published to reach Postgres (N1 stays true) and the client is always the server's
  own version;
- no password is handled: the images trust their local Unix socket (images/postgres's entry
  point, like the official image), so the commands read no secret from the stack at all. They
  read its outputs without `--show-secrets` and its state without decrypting it.

The dump (`pg_dump --format=custom`) holds LiteLLM's hashed virtual keys, spend and the
credentials it encrypted with the salt key, so it is written like any other secret of the
project: created with mode 0600, written to a temporary file beside FILE and renamed into place
only when complete (an interrupted backup never leaves a truncated FILE), never over an
existing FILE unless asked. Its credentials are readable only with the source stack's salt key,
which is not in the dump: the stack that receives it must adopt that key (README: "Backup and
restore").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from components.specs import POSTGRES_DB, POSTGRES_USER
from ops.stack import OpsError

#: The first bytes of every `pg_dump --format=custom` file; checked before a restore touches
#: the target and after a backup, so a file of error text is never taken for a dump.
DUMP_MAGIC = b"PGDMP"
#: The container of the Postgres pod (components/platforms/kubernetes.py).
POD_CONTAINER = "postgres"
STATEFULSET_TYPE = "kubernetes:apps/v1:StatefulSet"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """Where a stack's Postgres runs and how to run a command in it."""

    stack: str
    platform: str
    where: str  # for people: "container lg-dev-postgres", "pod litellm/lg-prod-postgres-ab12cd34-0"
    exec_prefix: tuple[str, ...]  # a command appended to this runs inside, with stdin attached

    def command(self, *args: str) -> list[str]:
        return [*self.exec_prefix, *args]


def docker_target(stack: str, container: str) -> Target:
    return Target(stack, "docker", f"container {container}", ("docker", "exec", "-i", container))


def kubernetes_target(stack: str, namespace: str, pod: str) -> Target:
    prefix = ("kubectl", "exec", "-i", "--namespace", namespace, pod, "--container", POD_CONTAINER, "--")
    return Target(stack, "kubernetes", f"pod {namespace}/{pod}", prefix)


def _pulumi_json(stack: str, *args: str) -> Any:
    """A pulumi subcommand's JSON. Never with `--show-secrets`: these commands need no secret,
    and a secret they never hold is one they cannot print."""
    try:
        result = subprocess.run(["pulumi", *args, "--stack", stack], capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise OpsError("no `pulumi` on PATH: run `source scripts/lib.sh && pulumi_stack_env STACK` first") from None
    if result.returncode != 0:
        raise OpsError(f"cannot read stack {stack!r}: {_first_error(result.stderr)}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        raise OpsError(f"`pulumi {' '.join(args)}` of stack {stack!r} printed no JSON") from None


def postgres_statefulset(stack: str, resources: list[dict[str, Any]]) -> tuple[str, str]:
    """(namespace, pod) of the stack's Postgres from its state: the StatefulSet is auto-named,
    so its live name is only known there; it runs one replica, whose pod is `<name>-0`."""
    found = [
        r["outputs"]["metadata"]
        for r in resources
        if r.get("type") == STATEFULSET_TYPE
        and ((r.get("outputs") or {}).get("metadata") or {}).get("labels", {}).get("app.kubernetes.io/name") == "postgres"
    ]
    if len(found) != 1:
        raise OpsError(f"stack {stack!r} has {len(found)} Postgres StatefulSets in its state, expected 1: is it deployed?")
    return found[0]["namespace"], f"{found[0]['name']}-0"


def find_postgres(stack: str) -> Target:
    """The stack's Postgres, from its outputs (platform, Docker container names) and, on
    Kubernetes, its state."""
    outputs = _pulumi_json(stack, "stack", "output", "--json")
    platform = outputs.get("platform")
    if platform == "docker":
        container = (outputs.get("containers") or {}).get("postgres")
        if not container:
            raise OpsError(f"stack {stack!r} exports no Postgres container name (output `containers`): deploy it first")
        return docker_target(stack, container)
    if platform == "kubernetes":
        resources = _pulumi_json(stack, "stack", "export").get("deployment", {}).get("resources") or []
        return kubernetes_target(stack, *postgres_statefulset(stack, resources))
    raise OpsError(f"stack {stack!r} has no `platform` output (found {platform!r}): deploy it first")


def dump_command(target: Target) -> list[str]:
    return target.command("pg_dump", "--format=custom", "--username", POSTGRES_USER, "--dbname", POSTGRES_DB)


def restore_command(target: Target) -> list[str]:
    """--clean --if-exists: each object in the dump replaces the target's (a fresh stack's
    migration may have created them already); --no-owner: the target's user owns them;
    --single-transaction: a failed restore changes nothing."""
    return target.command(
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
        "--username", POSTGRES_USER, "--dbname", POSTGRES_DB,
    )  # fmt: skip


def _first_error(stderr: str) -> str:
    """One line of a tool's error output: the first that says `error`, else the last. Never the
    DETAIL, CONTEXT or `Command was` lines, which quote rows of the dump."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    quoting = ("DETAIL:", "CONTEXT:", "Command was:", "LINE ")
    lines = [line for line in lines if not line.startswith(quoting)]
    errors = [line for line in lines if "error" in line.lower()]
    line = (errors or lines[-1:] or ["(no message)"])[0]
    return line if len(line) <= 300 else line[:297] + "..."


def _run_tool(target: Target, argv: list[str], stdin: BinaryIO | int, stdout: BinaryIO | int) -> None:
    """Runs a Postgres tool in the target (`argv` from dump_command or restore_command); an
    OpsError with its first error line on failure."""
    client, tool = argv[0], argv[len(target.exec_prefix)]
    if shutil.which(client) is None:
        raise OpsError(f"no `{client}` on PATH: {target.platform} stack {target.stack!r} is reached through it")
    result = subprocess.run(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise OpsError(f"{tool} in {target.where} failed: {_first_error(result.stderr.decode(errors='replace'))}")


def _is_dump(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(DUMP_MAGIC)) == DUMP_MAGIC


def _publish(temp: Path, file: Path, force: bool) -> None:
    """Moves the finished dump to FILE in one step. Without --force a hard link, which fails if
    FILE exists, so a file created meanwhile is not overwritten either."""
    if force:
        os.replace(temp, file)
        return
    try:
        os.link(temp, file)
    except FileExistsError:
        raise OpsError(f"{file} exists: refusing to overwrite it (use --force)") from None
    except OSError:  # a filesystem without hard links: the check is no longer atomic
        if file.exists():
            raise OpsError(f"{file} exists: refusing to overwrite it (use --force)") from None
        os.replace(temp, file)
        return
    temp.unlink()


def backup(stack: str, file: Path, *, force: bool = False, say: Say = print) -> int:
    """Dumps the stack's database to FILE (mode 0600, atomically); returns its size in bytes."""
    if file.exists() and not force:
        raise OpsError(f"{file} exists: refusing to overwrite it (use --force)")
    if not file.parent.is_dir():
        raise OpsError(f"{file.parent} is not a folder")
    start = time.monotonic()
    target = find_postgres(stack)
    say(f"backup: stack {stack} ({target.platform}): pg_dump in {target.where}")
    # mkstemp creates the file with mode 0600 whatever the umask; beside FILE so the rename is atomic.
    fd, name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".partial", dir=file.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            _run_tool(target, dump_command(target), subprocess.DEVNULL, out)
            out.flush()
            os.fsync(out.fileno())
        if not _is_dump(temp):
            raise OpsError(f"pg_dump in {target.where} wrote no custom-format dump")
        size = temp.stat().st_size
        _publish(temp, file, force)
    finally:
        temp.unlink(missing_ok=True)
    say(f"backup: wrote {file} ({size} bytes, mode 0600) in {time.monotonic() - start:.1f} s")
    return size


def _check_dump(file: Path, say: Say) -> None:
    """Refuses what is not a readable custom-format dump before anything touches the target."""
    if not file.is_file():
        raise OpsError(f"{file} is not a file")
    if not _is_dump(file):
        raise OpsError(f"{file} is not a pg_dump custom-format file (made by `python -m ops backup`)")
    mode = file.stat().st_mode & 0o777
    if mode & 0o077:
        say(f"restore: warning: {file} is readable by others (mode {mode:04o}); it holds the database: chmod 600 {file}")


def restore(stack: str, file: Path, *, say: Say = print) -> None:
    """Restores FILE into the stack's database, replacing the objects the dump holds."""
    _check_dump(file, say)
    start = time.monotonic()
    target = find_postgres(stack)
    say(f"restore: stack {stack} ({target.platform}): pg_restore of {file} ({file.stat().st_size} bytes) into {target.where}")
    with file.open("rb") as dump:
        _run_tool(target, restore_command(target), dump, subprocess.DEVNULL)
    say(f"restore: done in {time.monotonic() - start:.1f} s. Stored credentials are readable only if stack {stack} "
        "runs with the source stack's salt key (existingSaltKey)")  # fmt: skip


def main_backup(stack: str, file: Path, force: bool) -> int:
    """The CLI's `backup`: 0, or 2 with one line on stderr (no traceback)."""
    return _cli(lambda: backup(stack, file, force=force))


def main_restore(stack: str, file: Path) -> int:
    """The CLI's `restore`: 0, or 2 with one line on stderr (no traceback)."""
    return _cli(lambda: restore(stack, file))


def _cli(action: Callable[[], object]) -> int:
    try:
        action()
    except (OpsError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (a backup leaves no file; a restore runs in one transaction)", file=sys.stderr)
        return 130
    return 0

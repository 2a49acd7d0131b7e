"""Backup and restore through the real engine and a real Docker engine (issue 14): a row written
to one dev stack's Postgres comes back in a fresh stack after `python -m ops backup` and
`python -m ops restore`, and a credential encrypted with the first stack's salt key is readable
in the second only because it adopted that key from the first stack's state.

The stacks are `bk-<hex>` and `rs-<hex>` (containers `lg-bk-…-*`, `lg-rs-…-*`) on free loopback
ports, each in its own copy of the program with its own state folder, so neither collides with
another test or another developer's run. The source stack is removed before the restore: a
backup must not need it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.dockerutil import docker, free_port, names_with_prefix, psql

from devtools.pulumi_project import ROOT, Project, require_plugins

pytestmark = [pytest.mark.engine, pytest.mark.docker]

RANDOM_TYPE = "random:index/randomPassword:RandomPassword"
SECRET_FILE = "/run/secrets/litellm-gateway/LITELLM_SALT_KEY"
#: What LiteLLM keeps: a virtual key's SHA-256 (LiteLLM_VerificationToken.token), its spend, and a
#: provider credential encrypted with the salt key (LiteLLM_CredentialsTable's values).
VIRTUAL_KEY = "sk-probe-" + secrets.token_hex(8)
CREDENTIAL = "upstream-credential-" + secrets.token_hex(8)
# LiteLLM's own at-rest encryption (the legacy default: XSalsa20-Poly1305 under SHA-256 of the key,
# URL-safe base64), run in the proxy container with the stack's salt key as the proxy has it.
ENCRYPT = (
    "import base64, sys\n"
    "from litellm.proxy.common_utils.encrypt_decrypt_utils import encrypt_value\n"
    f"key = open({SECRET_FILE!r}).read().rstrip('\\n')\n"
    "print(base64.urlsafe_b64encode(encrypt_value(sys.argv[1], key)).decode())\n"
)
DECRYPT = (
    "import sys\n"
    "from litellm.proxy.common_utils.encrypt_decrypt_utils import decrypt_if_encrypted_with\n"
    f"key = sys.argv[2] if len(sys.argv) > 2 else open({SECRET_FILE!r}).read().rstrip('\\n')\n"
    "print(decrypt_if_encrypted_with(sys.argv[1], key))\n"
)


def deploy(tmp: Path, stack: str, timings: dict[str, float], salt_key: str | None = None) -> Project:
    """A dev stack through the engine; with `salt_key`, adopting it as README says (from stdin,
    so the key is on no command line)."""
    project = Project.copy(tmp, stack, "Pulumi.dev.yaml", docker={"proxyPort": free_port(), "healthPort": free_port()})
    project.set_secret("mockApiKey", "mock-key-" + secrets.token_hex(8))
    if salt_key is not None:
        config_set = subprocess.run(
            ["pulumi", "config", "set", "--secret", "existingSaltKey", "--stack", stack, "--non-interactive"],
            input=salt_key, cwd=project.dir, env=project.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert config_set.returncode == 0, config_set.stderr
    project.timed(f"up {stack}", "up", "--yes", "--skip-preview", timeout=1500)
    timings[f"up {stack}"] = project.timings[f"up {stack}"]
    return project


def salt_key_from_state(project: Project) -> str:
    """The generated salt key, read from `pulumi stack export --show-secrets` by the very command
    README's "Backup and restore" pipes it through."""
    found = re.search(r"\.venv/bin/python -c '(.+?)'; \}\)", (ROOT / "README.md").read_text(), re.S)
    assert found, "README's 'Backup and restore' no longer shows the salt key pipeline this test runs"
    export = project.run("stack", "export", "--show-secrets", "--stack", project.stack).stdout
    result = subprocess.run([sys.executable, "-c", found.group(1)], input=export, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.rstrip("\n")


def stack_secrets(project: Project) -> list[str]:
    """Every secret the stack holds in plaintext (generated passwords and the master key)."""
    resources = project.export(show_secrets=True)["deployment"]["resources"]
    values = [json.loads(r["outputs"]["result"]["plaintext"]) for r in resources if r["type"] == RANDOM_TYPE]
    return [*values, project.outputs()["master_key"]]


def ops(project: Project, *args: str) -> subprocess.CompletedProcess:
    """`python -m ops ...` as an operator runs it, against the project's backend."""
    env = {**project.env, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ops", *args], cwd=project.dir, env=env, capture_output=True, text=True, timeout=900
    )


def in_proxy(container: str, script: str, *args: str) -> str:
    return docker("exec", container, "python3", "-c", script, *args).strip()


def remove(project: Project | None, prefix: str) -> None:
    """Everything of one stack, protected resources and retained volume included."""
    if project is not None:
        project.remove_everything()
    for name in names_with_prefix("ps", prefix):
        docker("rm", "-f", "-v", name, check=False)
    for name in names_with_prefix("volume", prefix):
        docker("volume", "rm", "-f", name, check=False)
    for name in names_with_prefix("network", prefix):
        docker("network", "rm", name, check=False)


class Stacks:
    """The two stacks of the scenario, removed whatever happens."""

    def __init__(self) -> None:
        suffix = secrets.token_hex(3)
        self.source_name, self.target_name = f"bk-{suffix}", f"rs-{suffix}"
        self.source: Project | None = None
        self.target: Project | None = None
        self.timings: dict[str, float] = {}

    def prefix(self, stack: str) -> str:
        return f"lg-{stack}-"


@pytest.fixture
def stacks() -> Iterator[Stacks]:
    require_plugins("random", "docker")
    me = Stacks()
    try:
        yield me
    finally:
        print(f"[backup/restore] timings (s): {me.timings}")
        remove(me.source, me.prefix(me.source_name))
        remove(me.target, me.prefix(me.target_name))


def timed(timings: dict[str, float], name: str, result_of):
    start = time.monotonic()
    result = result_of()
    timings[name] = round(time.monotonic() - start, 1)
    return result


def test_a_row_backed_up_from_one_stack_comes_back_in_a_fresh_stack(stacks: Stacks, tmp_path: Path) -> None:
    source_dir, target_dir = tmp_path / "source", tmp_path / "target"
    source_dir.mkdir()
    target_dir.mkdir()
    stacks.source = deploy(source_dir, stacks.source_name, stacks.timings)
    postgres, proxy = stacks.prefix(stacks.source_name) + "postgres", stacks.prefix(stacks.source_name) + "proxy"

    # A key record with spend and an encrypted credential, written to Postgres directly (the dev
    # proxy runs without a database: README "Offline limits").
    encrypted = in_proxy(proxy, ENCRYPT, CREDENTIAL)
    assert encrypted and CREDENTIAL not in encrypted
    token = hashlib.sha256(VIRTUAL_KEY.encode()).hexdigest()
    psql(postgres, "CREATE TABLE lg_backup_probe (token text PRIMARY KEY, key_alias text, spend double precision, credential text)")
    psql(postgres, f"INSERT INTO lg_backup_probe VALUES ('{token}', 'probe', 12.5, '{encrypted}')")
    row = f"{token}|probe|12.5|{encrypted}"

    dump = tmp_path / "gateway.dump"
    backup = timed(stacks.timings, "ops backup", lambda: ops(stacks.source, "backup", "--stack", stacks.source_name, str(dump)))
    assert backup.returncode == 0, backup.stderr
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600 and dump.read_bytes()[:5] == b"PGDMP"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gateway.dump", "source", "target"], "a temporary file was left"
    again = ops(stacks.source, "backup", "--stack", stacks.source_name, str(dump))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr and "Traceback" not in again.stderr

    # The source's salt key from its state, its secrets to look for in the output; then it goes.
    salt_key = salt_key_from_state(stacks.source)
    leaked = stack_secrets(stacks.source)
    timed(stacks.timings, "remove source", lambda: remove(stacks.source, stacks.prefix(stacks.source_name)))
    stacks.source = None

    stacks.target = deploy(target_dir, stacks.target_name, stacks.timings, salt_key=salt_key)
    postgres, proxy = stacks.prefix(stacks.target_name) + "postgres", stacks.prefix(stacks.target_name) + "proxy"
    assert psql(postgres, "SELECT to_regclass('lg_backup_probe') IS NULL") == "t", "the fresh stack's database is not empty"

    refused = ops(stacks.target, "restore", str(dump))
    assert refused.returncode == 2 and "--stack" in refused.stderr  # no default target
    restore = timed(stacks.timings, "ops restore", lambda: ops(stacks.target, "restore", "--stack", stacks.target_name, str(dump)))
    assert restore.returncode == 0, restore.stderr
    assert psql(postgres, "SELECT token, key_alias, spend, credential FROM lg_backup_probe") == row

    # The credential is readable with the adopted key, and only with it.
    assert in_proxy(proxy, DECRYPT, encrypted) == CREDENTIAL
    assert in_proxy(proxy, DECRYPT, encrypted, secrets.token_hex(32)) == "None"

    leaked += stack_secrets(stacks.target)
    said = "\n".join([backup.stdout, backup.stderr, again.stdout, again.stderr, restore.stdout, restore.stderr])
    assert "pg_dump in container" in said and "pg_restore of" in said, said
    assert [i for i, value in enumerate(leaked) if value in said] == [], "a stack secret was printed"
    print(f"[backup/restore] backup said:\n{backup.stdout}\nrestore said:\n{restore.stdout}")

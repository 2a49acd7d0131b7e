"""The dev stack through the real Pulumi engine, real providers and a real Docker engine: one
deployment (preview and up with the policy pack), then what the hardening promises, checked in
order on the running containers, ending with `destroy`.

The stack is `e2e-<random>` (containers `lg-e2e-…-*`) on free loopback ports, in a copy of the
program with its own state folder and throwaway passphrase: a developer's own dev stack is never
touched. When a toolchain piece is missing these tests fail, naming the command that builds it.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.dockerutil import docker, free_port, inspect, names_with_prefix, psql

from devtools.pulumi_project import Project, require_plugins
from ops import check, probe
from ops.http import call
from ops.stack import deployment_from_outputs

pytestmark = [pytest.mark.engine, pytest.mark.docker]

MOCK_KEY = "mock-key-e2e-" + secrets.token_hex(8)
RANDOM_TYPE = "random:index/randomPassword:RandomPassword"


class Deployed:
    """The deployed stack and what the tests learn along the way."""

    def __init__(self, project: Project, prefix: str):
        self.project = project
        self.prefix = prefix

    def outputs(self) -> dict:
        return self.project.outputs()

    def resources(self, *, show_secrets: bool = False) -> list[dict]:
        return self.project.export(show_secrets=show_secrets)["deployment"]["resources"]

    def secret_values(self) -> list[str]:
        """Every secret the stack holds, in plaintext: none may appear anywhere else."""
        values = [shown(r["outputs"]["result"]) for r in self.resources(show_secrets=True) if r["type"] == RANDOM_TYPE]
        return [*values, self.outputs()["master_key"], MOCK_KEY]

    def write_row(self) -> str:
        """A row standing for the gateway's data (keys, spend): written before a change, read after."""
        token = secrets.token_hex(8)
        psql(self.prefix + "postgres", "CREATE TABLE IF NOT EXISTS lg_probe (token text PRIMARY KEY)")
        psql(self.prefix + "postgres", f"INSERT INTO lg_probe VALUES ('{token}')")
        return token

    def has_row(self, token: str) -> bool:
        return psql(self.prefix + "postgres", f"SELECT count(*) FROM lg_probe WHERE token = '{token}'") == "1"

    def salt_key(self) -> str:
        return shown(next(r["outputs"]["result"] for r in self.resources(show_secrets=True) if r["urn"].endswith("salt-key")))


def shown(value: object) -> str:
    """A secret as `pulumi stack export --show-secrets` writes it: {sig, plaintext: JSON}."""
    assert isinstance(value, dict) and "plaintext" in value, value
    text = json.loads(value["plaintext"])
    assert isinstance(text, str) and len(text) >= 32
    return text


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> Iterator[Deployed]:
    require_plugins("random", "docker")
    stack = f"e2e-{secrets.token_hex(2)}"
    project = Project.copy(
        tmp_path_factory.mktemp("dev-stack"), stack, "Pulumi.dev.yaml",
        docker={"proxyPort": free_port(), "healthPort": free_port()},
    )  # fmt: skip
    project.set_secret("mockApiKey", MOCK_KEY)
    me = Deployed(project, f"lg-{stack}-")
    try:
        yield me
    finally:
        print(f"[e2e dev stack] timings (s): {project.timings}")
        project.remove_everything()  # whatever the tests left
        for name in names_with_prefix("ps", me.prefix):
            docker("rm", "-f", name, check=False)
        for name in names_with_prefix("volume", me.prefix):
            docker("volume", "rm", "-f", name, check=False)
        for name in names_with_prefix("network", me.prefix):
            docker("network", "rm", name, check=False)


def test_preview_with_the_pack_passes_then_up_creates_healthy_containers(deployed: Deployed) -> None:
    project = deployed.project
    preview = project.timed("preview", "preview", "--diff=false", *project.with_pack("dev"), timeout=600)
    assert "litellm-gateway-hardening" in preview.stdout, preview.stdout[-3000:]
    assert not re.search(r"\bmandatory\b.*\bviolat", preview.stdout.lower().split("policies:")[-1]), preview.stdout[-3000:]
    project.timed("up", "up", "--yes", *project.with_pack("dev"), timeout=1500)
    for name in ("postgres", "redis", "proxy", "mock-upstream"):
        state = inspect(deployed.prefix + name)["State"]
        assert state["Running"] and state["Health"]["Status"] == "healthy", (name, state)
    assert inspect(deployed.prefix + "proxy-migrate")["State"]["ExitCode"] == 0  # D5


def test_no_perpetual_diff_after_up_and_after_refresh(deployed: Deployed) -> None:
    project = deployed.project
    project.timed("preview-no-changes", "preview", "--expect-no-changes", "--diff", timeout=600)
    project.timed("refresh", "refresh", "--yes", "--skip-preview", timeout=600)
    project.run("preview", "--expect-no-changes", "--diff", timeout=600)
    project.timed("second-up", "up", "--yes", "--expect-no-changes", *project.with_pack("dev"), timeout=900)


def test_ops_check_and_probe_pass_on_the_stack_outputs(deployed: Deployed) -> None:
    deployment = deployment_from_outputs(deployed.project.stack, deployed.outputs())
    results = check.run(deployment)
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]
    # What check compared, so a check that compares nothing cannot pass: P1, D2, R2 rows.
    names = " ".join(r.name for r in results)
    for rule in ("P1", "D2", "R2"):
        assert rule in names, names
    results = probe.run(deployment)
    assert [r.ok for r in results] == [True], results


def test_chat_completion_needs_the_master_key(deployed: Deployed) -> None:
    out = deployed.outputs()
    url, body = f"{out['proxy_url']}/v1/chat/completions", {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]}
    reply = call(url, body=body, key=out["master_key"], timeout=60)
    assert reply.status == 200 and reply.body["choices"][0]["message"]["content"], reply
    assert call(url, body=body).status in (401, 403)
    # LiteLLM without a database answers an unknown key 400 "No connected db" (ops check agrees).
    assert call(url, body=body, key="sk-" + "x" * 64).status in (400, 401, 403)
    assert call(f"{out['health_url']}/health/readiness").status == 200  # H1


def test_s4_no_plaintext_secret_in_state_inspect_or_logs(deployed: Deployed) -> None:
    values = deployed.secret_values()
    assert len(values) == 7, "five generated secrets, the master key as exported, the mock key"
    places = {"pulumi stack export": json.dumps(deployed.project.export())}
    for name in names_with_prefix("ps", deployed.prefix):
        places[f"docker inspect {name}"] = docker("inspect", name)
        places[f"docker logs {name}"] = docker("logs", name, merge_stderr=True)
    leaks = [(where, i) for where, text in places.items() for i, value in enumerate(values) if value in text]
    assert not leaks, f"plaintext secrets (index into the secret list) found in: {leaks}"
    assert len(places) >= 1 + 2 * 5  # export plus 5 containers' inspect and logs


def test_s1_adopting_another_key_onto_a_generated_one_is_refused_and_changes_nothing(deployed: Deployed) -> None:
    """Before: setting `existingSaltKey` on a running stack handed the proxy the new key (the
    generated one was simply no longer used). Now the protected salt resource keeps the
    adoption's fingerprint, and the replacement it asks for is refused before the proxy moves."""
    project, row = deployed.project, deployed.write_row()
    before = deployed.salt_key()
    project.set_secret("existingSaltKey", "sk-other-" + secrets.token_hex(24))
    try:
        result = project.run("up", "--yes", "--skip-preview", check=False, timeout=900)
    finally:
        project.run("config", "rm", "existingSaltKey")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "salt-key" in output and "protect" in output.lower(), output[-3000:]
    assert deployed.salt_key() == before
    served = docker("exec", deployed.prefix + "proxy", "cat", "/run/secrets/litellm-gateway/LITELLM_SALT_KEY")
    assert served == before, "the proxy was given another salt key"
    after = project.run("preview", "--expect-no-changes", "--diff", check=False, timeout=600)
    assert after.returncode == 0, after.stdout[-3000:]
    assert deployed.has_row(row)


def test_d5_a_failed_migration_fails_up_and_the_running_proxy_keeps_serving(deployed: Deployed) -> None:
    """Before: the provider waited for the migration but ignored its exit code, so `up` went on
    and replaced the proxy. Now `up` fails naming the migration, and the proxy is untouched."""
    project, proxy, row = deployed.project, deployed.prefix + "proxy", deployed.write_row()
    running = inspect(proxy)["Id"]
    with project.edited("components/platforms/docker.py", ('command=["litellm-migrate"]', 'command=["sh", "-c", "exit 3"]')):
        result = project.run("up", "--yes", "--skip-preview", check=False, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert f"[D5] the database migration ({deployed.prefix}proxy-migrate) exited with code 3" in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert inspect(deployed.prefix + "proxy-migrate")["State"]["ExitCode"] == 3
    assert inspect(proxy)["Id"] == running and inspect(proxy)["State"]["Running"]
    assert call(f"{deployed.outputs()['health_url']}/health/readiness").status == 200
    # fixed: the migration reruns, succeeds, and the proxy is still the same container
    project.run("up", "--yes", "--skip-preview", timeout=900)
    assert inspect(deployed.prefix + "proxy-migrate")["State"]["ExitCode"] == 0
    assert inspect(proxy)["Id"] == running and deployed.has_row(row)


def test_s1_engine_refuses_to_replace_the_protected_salt_key(deployed: Deployed) -> None:
    project = deployed.project
    before = deployed.salt_key()
    with project.edited("components/secrets.py", ("KEY_LENGTH = 64", "KEY_LENGTH = 65")):
        result = project.run("up", "--yes", "--skip-preview", check=False, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "protect" in output.lower(), output[-3000:]
    assert deployed.salt_key() == before


def test_s1_pack_refuses_removing_protect_and_replacing_in_one_update(deployed: Deployed) -> None:
    project = deployed.project
    before = deployed.salt_key()
    edits = (("KEY_LENGTH = 64", "KEY_LENGTH = 65"), ("protect=protect", "protect=False"))
    with project.edited("components/secrets.py", *edits):
        result = project.run("up", "--yes", *project.with_pack("dev"), check=False, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "litellm-s1-" in output and "mandatory" in output, output[-3000:]
    assert deployed.salt_key() == before


def test_destroy_keeps_what_readme_says_and_nothing_else(deployed: Deployed) -> None:
    project, row = deployed.project, deployed.write_row()
    project.timed("destroy", "destroy", "--yes", "--exclude-protected", "--skip-preview", timeout=900)
    assert names_with_prefix("ps", deployed.prefix) == []
    assert names_with_prefix("network", deployed.prefix) == []
    assert names_with_prefix("volume", deployed.prefix) == [deployed.prefix + "postgres-data"]  # D6
    left = sorted(
        r["urn"].rsplit("::", 1)[1] for r in deployed.resources() if r.get("custom") and not r["type"].startswith("pulumi:providers:")
    )
    kept = ("postgres-data", "secrets-postgres-password", "secrets-salt-key")  # D6, S1: README "Tear down"
    assert left == [deployed.prefix + k for k in kept], left
    # and a later `up` finds the data where it was, readable with the password it kept
    project.timed("up-after-destroy", "up", "--yes", "--skip-preview", timeout=1500)
    assert deployed.has_row(row)


def test_mandatory_violation_stops_up_before_any_resource_exists(tmp_path: Path) -> None:
    """A published Postgres port (N1) is refused by the pack at preview, so nothing is created."""
    require_plugins("random", "docker")
    stack = f"e2e-n1-{secrets.token_hex(2)}"
    project = Project.copy(tmp_path, stack, "Pulumi.dev.yaml", docker={"proxyPort": free_port(), "healthPort": free_port()})
    project.set_secret("mockApiKey", MOCK_KEY)
    published = (
        '        networks_advanced=_network(network_name, spec.name),\n        healthcheck=_health("pg_isready"',
        '        networks_advanced=_network(network_name, spec.name),\n'
        '        ports=[docker.ContainerPortArgs(internal=5432, external=free_postgres_port)],\n'
        '        healthcheck=_health("pg_isready"',
    )  # fmt: skip
    port = ("REDIS_AUTH_FILE = ", f"free_postgres_port = {free_port()}\nREDIS_AUTH_FILE = ")
    prefix = f"lg-{stack}-"
    try:
        with project.edited("components/platforms/docker.py", published, port):
            result = project.run("up", "--yes", *project.with_pack("dev"), check=False, timeout=900)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        assert "litellm-n1-" in output and "5432" in output, output[-3000:]
        for kind in ("ps", "volume", "network"):
            assert names_with_prefix(kind, prefix) == [], kind
        assert project.export()["deployment"].get("resources") in (None, []), "the engine recorded resources"
    finally:
        project.run("state", "unprotect", "--all", "--yes", check=False)
        project.run("destroy", "--yes", "--skip-preview", check=False, timeout=600)
        for name in names_with_prefix("volume", prefix):
            docker("volume", "rm", "-f", name, check=False)

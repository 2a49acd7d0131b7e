"""`python -m components.capacity`: the plan of a stack file, as a table or JSON."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

REQUIRED_KEYS = ("workers", "db_pool_per_worker", "max_instances", "rollout_max_surge", "rollout_instances",
                 "db_connections", "postgres_max_connections", "redis_clients", "redis_maxclients")  # fmt: skip


def capacity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "components.capacity", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_prod_json_plan_d2_r2():
    result = capacity("Pulumi.prod.yaml", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert all(isinstance(plan[k], int) for k in REQUIRED_KEYS)
    assert (plan["workers"], plan["db_pool_per_worker"], plan["max_instances"]) == (4, 10, 6)
    assert (plan["rollout_max_surge"], plan["rollout_instances"]) == (1, 2 * 6 + 1)
    assert plan["rollout_formula"].startswith("13 = 2 x 6 + 1 (RollingUpdate, maxSurge 1")
    assert plan["db_connections"] == 4 * 10 * 13
    assert plan["postgres_max_connections"] >= plan["db_connections"]
    assert plan["redis_maxclients"] >= plan["redis_clients"] == 50 * 4 * 13


def test_prod_table_shows_the_update_formula():
    result = capacity("Pulumi.prod.yaml")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "proxy instances in an update" in line)
    assert "13 = 2 x 6 + 1" in row and "D2, R2" in row


def test_dev_table_names_the_rules():
    result = capacity("Pulumi.dev.yaml")
    assert result.returncode == 0, result.stderr
    assert "Postgres max_connections" in result.stdout and "D2" in result.stdout
    assert "small (2 vCPU)" in result.stdout


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("config:\n  litellm-gateway:machineClass: huge\n", "machineClass = 'huge'"),
        ("just text", "a YAML mapping with a `config:` section"),
    ],
)
def test_invalid_input_exits_non_zero_with_the_programs_message(tmp_path, yaml_text, message):
    stack_file = tmp_path / "Pulumi.bad.yaml"
    stack_file.write_text(yaml_text)
    result = capacity(str(stack_file))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_help_explains_usage():
    result = capacity("--help")
    assert result.returncode == 0 and "stack_file" in result.stdout and "--json" in result.stdout

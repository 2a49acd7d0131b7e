"""One source for every rule's values (issue 15): the program's components/hardening.py and the
pack's litellm_policies/catalogue.py hold the same numbers under the same names (the pack is
published on its own and cannot import the program), and README's rule table states them."""

import re

import pytest
from conftest import ROOT

from components import hardening as program
from litellm_policies import catalogue as pack

#: Every value the pack judges, by its name in both modules: removing one from either fails here.
SHARED = (
    "PROXY_PORT", "HEALTH_PORT", "DB_POOL_PER_WORKER", "DB_RESERVED_CONNECTIONS", "BATCH_WRITE_SECONDS",
    "REDIS_POOL_PER_WORKER", "REDIS_RESERVED_CLIENTS", "REQUEST_TIMEOUT_SECONDS", "MAX_REQUESTS_BEFORE_RESTART",
    "SUPERVISORD_STOPWAITSECS", "PROBE_TIMEOUT_SECONDS", "ROUTING_STRATEGY", "ALLOWED_FAILS", "COOLDOWN_SECONDS",
    "ALLOWED_FAILS_POLICY", "COMPROMISED_LITELLM_VERSIONS", "MAX_QUEUED_PER_WORKER",
)  # fmt: skip


@pytest.mark.parametrize("name", SHARED)
def test_the_program_and_the_pack_hold_the_same_value(name):
    assert getattr(program, name) == getattr(pack, name), name


def test_the_pack_has_no_value_the_program_lacks():
    values = {n for n in dir(pack) if n.isupper()}
    assert values - set(SHARED) == {"RETRY_POLICY"}, sorted(values - set(SHARED))


def test_the_programs_retry_policy_holds_every_value_the_pack_requires():
    """F3: the program may retry more (503s, beyond the seeds), never differently."""
    assert pack.RETRY_POLICY.items() <= program.RETRY_POLICY.items()


def _readme_row(rule: str) -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(rf"^\| {rule} \|(.*)$", readme, re.M)
    assert match, f"README's rule table has no {rule} row"
    return match.group(1)


@pytest.mark.parametrize(
    ("rule", "stated"),
    [
        ("D1", f"database_connection_pool_limit: {pack.DB_POOL_PER_WORKER}"),
        ("D3", f"proxy_batch_write_at: {pack.BATCH_WRITE_SECONDS}"),
        ("P7", f"request_timeout: {pack.REQUEST_TIMEOUT_SECONDS}"),
        ("F1", pack.ROUTING_STRATEGY),
        ("F2", f"allowed_fails: {pack.ALLOWED_FAILS}"),
        ("F2", f"cooldown_time: {pack.COOLDOWN_SECONDS}"),
        ("R2", f"{pack.REDIS_POOL_PER_WORKER} per worker"),
        ("H3", f"{pack.PROBE_TIMEOUT_SECONDS} s"),
        ("P3", f"{pack.MAX_REQUESTS_BEFORE_RESTART:,}".replace(",", " ")),
        ("P4", f"SUPERVISORD_STOPWAITSECS={pack.SUPERVISORD_STOPWAITSECS}"),
        ("F6", f"max_queued_requests_per_worker: {pack.MAX_QUEUED_PER_WORKER}"),
    ],
)
def test_readme_states_the_values(rule, stated):
    assert stated in _readme_row(rule), (rule, stated, _readme_row(rule))


def test_readme_states_the_retry_and_allowed_fails_policies():
    f3, f4 = _readme_row("F3"), _readme_row("F4")
    for key, value in pack.RETRY_POLICY.items():
        assert f"{key}: {value}" in f3 or f"{key} {value}" in f3, (key, f3)
    for key, value in pack.ALLOWED_FAILS_POLICY.items():
        short = key.removesuffix("ErrorAllowedFails")
        assert re.search(rf"{short}\w* {value:,}".replace(",", "[ ,]?"), f4), (short, value, f4)

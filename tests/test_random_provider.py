"""The stand-in pulumi-resource-random 4.21.1 (toolchain/random): RandomPassword's contract.

Unit tests call the pure contract (standin_password.py) and the RPC glue (standin_provider.py)
in-process, without an engine. The one `engine` test runs the real CLI with the installed plugin
(scripts/toolchain.sh random) on a throwaway project: up, a change refused because of protect,
and `pulumi import`.
"""

import asyncio
import json
import os
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import bcrypt
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "toolchain/random"))

import standin_password as contract  # noqa: E402
import standin_provider as glue  # noqa: E402
from pulumi.provider.experimental import provider as p  # noqa: E402
from pulumi.provider.experimental.property_value import PropertyValue  # noqa: E402
from pulumi.runtime import rpc  # noqa: E402

URN = f"urn:pulumi:dev::litellm-gateway::{contract.TOKEN}::lg-dev-secrets-salt-key"
DEFAULTS = {"lower": True, "upper": True, "special": True, "number": True, "numeric": True,
            "minLower": 0, "minNumeric": 0, "minSpecial": 0, "minUpper": 0}  # fmt: skip
SPECIALS = set(contract.DEFAULT_SPECIAL_CHARS)
ALNUM = set(string.ascii_letters + string.digits)


def checked(**news) -> dict:
    inputs, failures = contract.check(news)
    assert failures == []
    return inputs


def failures_of(**news) -> dict[str, str]:
    return {f.property: f.reason for f in contract.check(news)[1]}


def pv(values: dict) -> dict[str, PropertyValue]:
    return glue.wrap(values)


def run(coro):
    # Not asyncio.run: it leaves the thread without a current event loop, which breaks tests
    # that run later in the same process and call asyncio.get_event_loop() (Pulumi's mocks).
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


PROVIDER = glue.RandomPasswordStandIn()


def rpc_check(**news) -> p.CheckResponse:
    return run(PROVIDER.check(p.CheckRequest(URN, {}, pv(news), b"")))


def rpc_create(preview: bool = False, **inputs) -> p.CreateResponse:
    checked_inputs = rpc_check(**inputs).inputs
    return run(PROVIDER.create(p.CreateRequest(URN, checked_inputs, 60, preview)))


def plain(properties: dict[str, PropertyValue]) -> dict:
    return glue.unwrap(properties)[0]


# --- check: defaults and validation ----------------------------------------------------------


def test_defaults_are_stored_with_numbers_from_the_wire_as_floats():
    assert checked(length=40.0) == {"length": 40, **DEFAULTS}
    state = contract.create_state(checked(length=40.0))
    assert {k: state[k] for k in DEFAULTS} == DEFAULTS and state["id"] == "none"
    # Through the RPC glue: numbers go back to the engine as floats, flags as bools.
    inputs = rpc_check(length=40.0).inputs
    assert inputs["length"] == PropertyValue(40.0) and inputs["minSpecial"] == PropertyValue(0.0)
    assert inputs["numeric"] == PropertyValue(True)


def test_the_programs_own_inputs_are_accepted_and_honoured():
    # components/secrets.py: length 64 or 40, special=False (alphanumeric, safe in DATABASE_URL).
    for length in (64, 40):
        state = contract.create_state(checked(length=float(length), special=False))
        assert len(state["result"]) == length and set(state["result"]) <= ALNUM


@pytest.mark.parametrize(
    ("news", "prop", "words"),
    [
        ({"length": 0.0}, "length", "length must be at least 1, got 0"),
        ({"length": -3.0}, "length", "at least 1"),
        ({}, "length", "length is required"),
        ({"length": 12.5}, "length", "whole number"),
        ({"length": "12"}, "length", "whole number"),
        ({"length": 3.0, "minUpper": 2.0, "minNumeric": 2.0}, "length", "length (3) must be at least minUpper + minLower + minNumeric + minSpecial (2 + 0 + 2 + 0 = 4)"),
        ({"length": 8.0, "minSpecial": -1.0}, "minSpecial", "at least 0"),
        ({"length": 8.0, "upper": False, "lower": False, "numeric": False, "special": False}, "numeric", "at least one of upper, lower, numeric and special must be true"),
        ({"length": 8.0, "number": True, "numeric": False}, "number", "number and numeric are both set, to different values"),
        ({"length": 8.0, "special": "no"}, "special", "true or false"),
        ({"length": 8.0, "keepers": {"a": 1.0}}, "keepers", "map of strings"),
        ({"length": 8.0, "lenght": 9.0}, "lenght", "not an input"),
    ],
)  # fmt: skip
def test_invalid_inputs_are_check_failures_with_a_clear_message(news, prop, words):
    found = failures_of(**news)
    assert prop in found and words in found[prop], found


def test_a_bad_length_is_a_check_failure_over_rpc_not_an_exception():
    response = rpc_check(length=0.0, special=False)
    assert [(f.property, f.reason) for f in response.failures] == [("length", "length must be at least 1, got 0")]
    # The engine gets its inputs back unchanged, to show next to the failure.
    assert response.inputs["length"] == PropertyValue(0.0)
    other = run(PROVIDER.check(p.CheckRequest(URN.replace("randomPassword:RandomPassword", "randomString:RandomString"), {}, pv({"length": 8.0}), b"")))
    assert other.failures and "RandomPassword only" in other.failures[0].reason


def test_a_password_inside_a_component_is_served():
    """The engine's type for a child names its parents first (`Parent$child`): the program's
    passwords all live in the GatewaySecrets component."""
    urn = URN.replace("::random:index/", "::litellm-gateway:index:GatewaySecrets$random:index/")
    assert "$random:index/randomPassword:RandomPassword" in urn
    response = run(PROVIDER.check(p.CheckRequest(urn, {}, pv({"length": 8.0}), b"")))
    assert not response.failures
    created = run(PROVIDER.create(p.CreateRequest(urn, response.inputs, 60.0, False)))
    assert len(plain(created.properties)["result"]) == 8


def test_unknown_inputs_pass_check_during_a_preview():
    inputs = rpc_check(length=contract.UNKNOWN, minUpper=2.0).inputs
    assert inputs["length"].value == rpc.UNKNOWN and inputs["minUpper"] == PropertyValue(2.0)


def test_number_and_numeric_always_agree():
    assert checked(length=8.0, number=False)["numeric"] is False
    assert checked(length=8.0, numeric=False)["number"] is False
    assert checked(length=8.0, number=False, numeric=False)["number"] is False
    for inputs in (checked(length=200.0, number=False), checked(length=200.0, numeric=False)):
        assert not set(contract.generate(inputs)) & set(string.digits)


# --- generation -------------------------------------------------------------------------------


def test_lengths_and_minimums_are_respected():
    for _ in range(50):
        inputs = checked(length=8.0, minUpper=2.0, minLower=2.0, minNumeric=2.0, minSpecial=2.0)
        result = contract.generate(inputs)
        counts = Counter("upper" if c.isupper() else "lower" if c.islower() else "digit" if c.isdigit() else "special" for c in result)
        assert len(result) == 8 and counts == {"upper": 2, "lower": 2, "digit": 2, "special": 2}
    result = contract.generate(checked(length=30.0, minNumeric=25.0))
    assert len(result) == 30 and sum(c.isdigit() for c in result) >= 25


def test_character_classes_are_honoured():
    for _ in range(20):
        assert set(contract.generate(checked(length=100.0, special=False))) <= ALNUM
        assert set(contract.generate(checked(length=100.0, upper=False, lower=False, special=False))) <= set(string.digits)
        only_specials = contract.generate(checked(length=100.0, upper=False, lower=False, numeric=False))
        assert set(only_specials) <= SPECIALS


def test_override_special_replaces_the_default_specials():
    for _ in range(20):
        result = contract.generate(checked(length=60.0, overrideSpecial="_%", minSpecial=10.0))
        specials = {c for c in result if not c.isalnum()}
        assert specials <= {"_", "%"} and sum(c in "_%" for c in result) >= 10
    # An empty overrideSpecial means the default set (upstream: `if OverrideSpecial != ""`).
    result = contract.generate(checked(length=100.0, upper=False, lower=False, numeric=False, overrideSpecial=""))
    assert set(result) <= SPECIALS


def test_a_minimum_applies_even_when_its_class_is_off_as_upstream_does():
    result = contract.generate(checked(length=10.0, special=False, minSpecial=3.0))
    assert sum(c in SPECIALS for c in result) == 3


def test_randomness_two_creates_differ():
    results = {contract.generate(checked(length=20.0)) for _ in range(20)}
    assert len(results) == 20
    first, second = rpc_create(length=64.0, special=False), rpc_create(length=64.0, special=False)
    assert first.properties["result"].value != second.properties["result"].value


# --- outputs: secrets and bcrypt ---------------------------------------------------------------


def test_result_and_bcrypt_hash_are_secret_and_the_id_is_none():
    response = rpc_create(length=40.0, special=False)
    assert response.resource_id == "none"
    props = response.properties
    assert props["result"].is_secret and props["bcryptHash"].is_secret
    assert not props["length"].is_secret and not props["special"].is_secret
    assert props["special"] == PropertyValue(False) and props["length"] == PropertyValue(40.0)


def test_a_secret_input_stays_secret_in_the_outputs():
    news = pv({"length": 12.0})
    news["overrideSpecial"] = PropertyValue("_-", is_secret=True)
    checked_inputs = run(PROVIDER.check(p.CheckRequest(URN, {}, news, b""))).inputs
    assert checked_inputs["overrideSpecial"].is_secret
    props = run(PROVIDER.create(p.CreateRequest(URN, checked_inputs, 60, False))).properties
    assert props["overrideSpecial"].is_secret and not props["length"].is_secret


def test_a_preview_plans_unknown_secret_outputs():
    response = rpc_create(preview=True, length=40.0)
    for key in ("result", "bcryptHash"):
        assert response.properties[key].value == rpc.UNKNOWN and response.properties[key].is_secret
    assert response.properties["lower"] == PropertyValue(True)


def test_the_bcrypt_hash_verifies_the_result_at_cost_10():
    props = plain(rpc_create(length=40.0).properties)
    assert props["bcryptHash"].startswith("$2a$10$")
    assert bcrypt.checkpw(props["result"].encode(), props["bcryptHash"].encode())
    assert not bcrypt.checkpw(b"something else", props["bcryptHash"].encode())


def test_results_over_72_bytes_are_hashed_on_their_first_72_bytes_as_upstream():
    state = contract.create_state(checked(length=256.0))
    assert len(state["result"]) == 256
    assert bcrypt.checkpw(state["result"].encode()[:72], state["bcryptHash"].encode())


# --- diff: every input change replaces ----------------------------------------------------------

STORED = contract.create_state(checked(length=40.0, special=False, keepers={"rotation": "1"}))
CHANGES = {
    "length": 41.0, "lower": False, "upper": False, "special": True, "number": False, "numeric": False,
    "minLower": 1.0, "minNumeric": 1.0, "minSpecial": 1.0, "minUpper": 1.0, "overrideSpecial": "_",
    "keepers": {"rotation": "2"},
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_every_input_change_forces_a_replacement(key):
    news = {"length": 40.0, "special": False, "keepers": {"rotation": "1"}, key: CHANGES[key]}
    inputs = checked(**news)
    d = contract.diff(STORED, inputs)
    expected = {key} | ({"number", "numeric"} if key in ("number", "numeric") else set())
    assert set(d.replaces) == expected and d.updates == []
    response = run(PROVIDER.diff(p.DiffRequest(URN, "none", pv(STORED), pv(inputs), [])))
    assert response.changes is True and set(response.replaces) == expected
    assert response.detailed_diff[key].kind in (p.PropertyDiffKind.UPDATE_REPLACE, p.PropertyDiffKind.ADD_REPLACE)
    assert response.delete_before_replace is False


def test_no_change_no_diff_and_explicit_defaults_equal_omitted_ones():
    assert not contract.diff(STORED, checked(length=40.0, special=False, keepers={"rotation": "1"})).changes
    explicit = checked(length=40.0, special=False, keepers={"rotation": "1"}, **{k: v for k, v in DEFAULTS.items() if k != "special"})
    assert not contract.diff(STORED, explicit).changes
    response = run(PROVIDER.diff(p.DiffRequest(URN, "none", pv(STORED), pv(explicit), [])))
    assert response.changes is False and response.replaces == []


def test_diff_edges_copied_from_upstream():
    dropped = checked(length=40.0, special=False)  # keepers removed
    assert contract.diff(STORED, dropped).replaces == ["keepers"]
    no_keepers = contract.create_state(checked(length=8.0))
    assert not contract.diff(no_keepers, checked(length=8.0, keepers={})).changes
    with_empty = contract.create_state(checked(length=8.0, overrideSpecial=""))
    assert contract.diff(with_empty, checked(length=8.0)).updates == ["overrideSpecial"]
    assert contract.diff(STORED, checked(length=contract.UNKNOWN, special=False, keepers={"rotation": "1"})).replaces == ["length"]
    assert not contract.diff(STORED, checked(length=99.0, special=False, keepers={"rotation": "1"}), ["length"]).changes


def test_an_update_keeps_the_password():
    old = contract.create_state(checked(length=8.0, overrideSpecial=""))
    response = run(PROVIDER.update(p.UpdateRequest(URN, "none", pv(old), pv(checked(length=8.0)), 60, [], False)))
    new = plain(response.properties)
    assert new["result"] == old["result"] and new["bcryptHash"] == old["bcryptHash"] and "overrideSpecial" not in new


# --- read: refresh and import ---------------------------------------------------------------------


def test_import_adopts_the_id_as_the_password():
    value = "Adopted-Value_123"
    response = run(PROVIDER.read(p.ReadRequest(URN, value, {}, {})))
    assert response.resource_id == "none"
    props = plain(response.properties)
    assert props["result"] == value and response.properties["result"].is_secret and response.properties["bcryptHash"].is_secret
    assert bcrypt.checkpw(value.encode(), props["bcryptHash"].encode()) and props["bcryptHash"].startswith("$2a$10$")
    assert plain(response.inputs) == {"length": 17, **DEFAULTS}
    # Length in UTF-8 bytes, as upstream's Go len().
    assert contract.import_state("pässword")[0]["length"] == 9


def test_refresh_returns_the_state_unchanged():
    state = pv(STORED)
    inputs = pv(checked(length=40.0, special=False, keepers={"rotation": "1"}))
    response = run(PROVIDER.read(p.ReadRequest(URN, "none", state, inputs)))
    assert response.resource_id == "none" and response.properties == state and response.inputs == inputs


def test_the_launcher_runs_the_provider_module_with_its_own_virtualenv():
    launcher = (ROOT / "toolchain/random/pulumi-resource-random").read_text()
    assert os.access(ROOT / "toolchain/random/pulumi-resource-random", os.X_OK)
    assert "STAND-IN" in launcher and "venv/bin/python" in launcher and "standin_provider.py" in launcher
    # A PulumiPlugin.yaml would make the engine start it through the language host instead.
    assert not (ROOT / "toolchain/random/PulumiPlugin.yaml").exists()


# --- the real engine --------------------------------------------------------------------------------

BUILD = "scripts/toolchain.sh cli && scripts/toolchain.sh random"
PROGRAM = '''"""Throwaway program for tests/test_random_provider.py."""
import pulumi
import pulumi_random as random

password = random.RandomPassword(
    "salt-key",
    length=pulumi.Config().require_int("length"),
    special=False,
    opts=pulumi.ResourceOptions(protect=True),
)
pulumi.export("result", password.result)
pulumi.export("bcryptHash", password.bcrypt_hash)
'''


def engine_env(tmp: Path) -> dict[str, str]:
    """The CLI built by scripts/toolchain.sh and the random plugin in the plugin cache, or a
    failure naming the command that builds them (never a skip)."""
    bin_dir = subprocess.run([str(ROOT / "scripts/toolchain.sh"), "--print-path"], capture_output=True, text=True, check=True).stdout.strip()
    if not (Path(bin_dir) / "pulumi").exists():
        pytest.fail(f"no Pulumi CLI in {bin_dir}: build it and the random plugin with: {BUILD}")
    (tmp / "state").mkdir()
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv/bin'}:{bin_dir}:{os.environ['PATH']}",
        "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "throwaway-test-passphrase",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    plugins = json.loads(subprocess.run(["pulumi", "plugin", "ls", "--json"], env=env, capture_output=True, text=True, check=True).stdout or "[]")
    if not any(pl.get("name") == "random" and pl.get("kind") == "resource" and pl.get("version") == contract.PACKAGE_VERSION for pl in plugins):
        pytest.fail(f"no random {contract.PACKAGE_VERSION} resource plugin in the plugin cache: install it with: {BUILD}")
    return env


@pytest.mark.engine
def test_engine_up_protect_and_import_with_the_installed_plugin(tmp_path):
    env = engine_env(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: random-plugin-check\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM)

    def pulumi(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def outputs() -> dict:
        return json.loads(pulumi("stack", "output", "--json", "--show-secrets").stdout)

    pulumi("stack", "init", "test")
    pulumi("config", "set", "length", "40")
    pulumi("up", "--yes")
    first = outputs()
    assert len(first["result"]) == 40 and set(first["result"]) <= ALNUM
    assert first["bcryptHash"].startswith("$2a$10$") and bcrypt.checkpw(first["result"].encode(), first["bcryptHash"].encode())
    assert first["result"] not in pulumi("stack", "export").stdout  # a secret in the state

    # A new length means a replacement, which the engine refuses because of protect.
    pulumi("config", "set", "length", "20")
    refused = pulumi("up", "--yes", check=False)
    assert refused.returncode != 0
    assert "marked for protection" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    assert outputs()["result"] == first["result"]

    # A bad length is a check failure from the provider, not a traceback.
    pulumi("config", "set", "length", "0")
    bad = pulumi("preview", check=False)
    assert bad.returncode != 0 and "length must be at least 1, got 0" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stdout + bad.stderr

    # `pulumi import` adopts a given value (the ID is the password).
    value = "Adopted-Value_0123456789"
    pulumi("import", contract.TOKEN, "adopted", value, "--generate-code=false", "--yes")
    state = json.loads(pulumi("stack", "export", "--show-secrets").stdout)
    adopted = [r for r in state["deployment"]["resources"] if r["urn"].endswith(f"{contract.TOKEN}::adopted")]
    assert len(adopted) == 1 and adopted[0]["id"] == "none"
    out = adopted[0]["outputs"]
    result, hashed = (json.loads(out[k]["plaintext"]) for k in ("result", "bcryptHash"))  # secrets, shown
    assert result == value and hashed.startswith("$2a$10$") and bcrypt.checkpw(value.encode(), hashed.encode())
    assert adopted[0]["inputs"]["length"] == len(value) and adopted[0]["protect"] is True

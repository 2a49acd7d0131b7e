"""The policy pack judges what the program really registers (Pulumi mocks): our dev and prod
stacks pass every rule, and each deliberately broken variant is rejected by the right rule."""


import pytest
from litellm_policies.model import Resource
from litellm_policies.registry import evaluate
from test_components import stack_config

from devtools.mock_engine import Registration, run_program
from ops.pr_check import policy_config as config
from ops.pr_check import policy_resources as resources

DEV_ADVISORY_ONLY = {"N4"}  # one proxy container on Docker, by design (README)


@pytest.fixture(scope="module")
def dev() -> list[Registration]:
    return run_program("dev", *stack_config("dev"))


@pytest.fixture(scope="module")
def prod() -> list[Registration]:
    return run_program("prod", *stack_config("prod"))


def failing(found, *, mandatory_only: bool = True) -> list:
    """Violations that block (or, with mandatory_only=False, also advise). Deferred findings are
    not violations, but under the mocks every value is known, so the tests below require none."""
    return [v for v in found if not v.deferred and (v.enforcement == "mandatory" or not mandatory_only)]


def deferrals(found) -> list[str]:
    return [v.message for v in found if v.deferred]


def test_prod_passes_every_rule(prod):
    found = evaluate(resources(prod), config("prod"))
    # every value is known under the mocks: a deferral here means a rule could not judge ours
    assert deferrals(found) == []
    assert [v.message for v in found] == []


def test_dev_passes_every_mandatory_rule_and_only_n4_advises(dev):
    found = evaluate(resources(dev), config("dev"))
    assert deferrals(found) == []
    assert failing(found) == []
    assert {v.rule_id for v in failing(found, mandatory_only=False)} == DEV_ADVISORY_ONLY


def test_a_deferral_under_the_mocks_fails_the_check(prod):
    """The checks above can fail: a value the rules cannot read (as a preview's unknown) defers
    the rules that need it, and `deferrals` reports it."""
    from litellm_policies import UNKNOWN

    res = resources(prod)
    find(res, "proxy-config").props["data"]["config.yaml"] = UNKNOWN
    found = evaluate(res, config("prod"))
    assert failing(found, mandatory_only=False) == []  # deferred findings are not violations...
    assert deferrals(found)  # ...but they are counted


def find(res: list[Resource], name_part: str) -> Resource:
    (match,) = [r for r in res if name_part in r.name]
    return match


def proxy_container(res: list[Resource]) -> dict:
    return find(res, "proxy-deployment").props["spec"]["template"]["spec"]["containers"][0]


def set_env(container: dict, name: str, value: str) -> None:
    container["env"] = [e for e in container["env"] if e["name"] != name] + [{"name": name, "value": value}]


def edit_config(res: list[Resource], edit) -> None:
    config_map = find(res, "proxy-config")
    import yaml

    data = yaml.safe_load(config_map.props["data"]["config.yaml"])
    edit(data)
    config_map.props["data"]["config.yaml"] = yaml.safe_dump(data)


def _workers_not_vcpu(res):
    args = proxy_container(res)["args"]
    args[args.index("--num_workers") + 1] = "8"


def _pool_overflows_postgres(res):
    edit_config(res, lambda c: c["general_settings"].update(database_connection_pool_limit=50))


def _probes_on_4000(res):
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        proxy_container(res)[probe]["httpGet"]["port"] = 4000


def _log_info(res):
    set_env(proxy_container(res), "LITELLM_LOG", "INFO")


def _retries_on_auth(res):
    edit_config(res, lambda c: c["router_settings"]["retry_policy"].update(AuthenticationErrorRetries=3))


def _salt_unprotected(res):
    find(res, "salt-key").protect = False


def _secret_literal(res):
    set_env(proxy_container(res), "LITELLM_MASTER_KEY", "sk-literal-value-in-the-manifest")


def _latest_image(res):
    proxy_container(res)["image"] = "ghcr.io/berriai/litellm:latest"


def _compromised(res):
    proxy_container(res)["image"] = "ghcr.io/berriai/litellm:1.82.7"


def _datastore_exposed(res):
    find(res, "postgres-service").props["spec"]["type"] = "LoadBalancer"


BROKEN = [
    ("P1", _workers_not_vcpu),
    ("D2", _pool_overflows_postgres),
    ("H2", _probes_on_4000),
    ("P6", _log_info),
    ("F3", _retries_on_auth),
    ("S1", _salt_unprotected),
    ("S4", _secret_literal),
    ("N2", _latest_image),
    ("N2", _compromised),
    ("N1", _datastore_exposed),
]


def breaker_ids(broken: list) -> list[str]:
    return [f"{r}-{b.__name__.strip('_')}" for r, b in broken]


def assert_rejected_by(rule: str, res: list[Resource]) -> None:
    """The prod pack's mandatory rules reject `res` by `rule`, each message naming its rule ID and
    none repeating the literal secret a breaker may plant."""
    rejected = failing(evaluate(res, config("prod")))
    assert rule in {v.rule_id for v in rejected}, [v.message for v in rejected]
    assert all(f"[{v.rule_id}]" in v.message for v in rejected)
    assert "sk-literal-value-in-the-manifest" not in " ".join(v.message for v in rejected)


@pytest.mark.parametrize(("rule", "breaker"), BROKEN, ids=breaker_ids(BROKEN))
def test_broken_prod_variant_is_rejected_by_the_right_rule(prod, rule, breaker):
    res = resources(prod)
    breaker(res)
    assert_rejected_by(rule, res)


def test_n1_dev_data_store_port_published_is_rejected(dev):
    res = resources(dev)
    find(res, "postgres-container").props["ports"] = [{"internal": 5432, "external": 5432, "ip": "0.0.0.0", "protocol": "tcp"}]
    assert "N1" in {v.rule_id for v in failing(evaluate(res, config("dev")))}


def test_s1_dev_salt_key_unprotected_is_mandatory_even_in_dev(dev):
    res = resources(dev)
    find(res, "salt-key").protect = False
    assert "S1" in {v.rule_id for v in failing(evaluate(res, config("dev")))}

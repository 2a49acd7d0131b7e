"""`postgres.external` / `redis.external`: managed data stores instead of the in-cluster ones. No
Postgres or Redis is created, the proxy uses the URLs' servers, and the D2/R2 budgets are held
against the servers' stated limits by the program and by the pack."""

import copy
import json

import pytest
from conftest import stack_secrets, stack_values
from litellm_policies.registry import evaluate
from test_components import one, pod_spec, stack_config

from components.errors import ConfigError
from components.external_stores import redis_env
from components.settings import load_settings
from devtools.mock_engine import ProgramFailed, run_program
from ops.pr_check import policy_config, policy_resources

PG_URL = "postgresql://litellm:pg-secret-password-of-32-characters-or-more@db.internal.example:5432/litellm?sslmode=require"
REDIS_URL = "rediss://:redis-secret-password-of-32-characters-or-more@cache.internal.example:6380"
POSTGRES = {"external": {"urlSecret": "postgresUrl", "maxConnections": 600}}
REDIS = {"external": {"urlSecret": "redisUrl", "maxClients": 3000}}
T_SECRET = "kubernetes:core/v1:Secret"
T_DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def load(secrets=("postgresUrl", "redisUrl"), **changes):
    values = {**copy.deepcopy(stack_values("prod")), "postgres": POSTGRES, "redis": REDIS, **changes}
    return load_settings(values, stack_secrets("prod") | set(secrets))


def refused(pattern: str, **changes) -> str:
    with pytest.raises(ConfigError, match=pattern) as err:
        load(**changes)
    return str(err.value)


def external_config(pg_url=PG_URL, redis_url=REDIS_URL, **changes):
    config, secrets = stack_config("prod", postgres=POSTGRES, redis=REDIS, **changes)
    config |= {"litellm-gateway:postgresUrl": pg_url, "litellm-gateway:redisUrl": redis_url}
    return config, secrets + ["litellm-gateway:postgresUrl", "litellm-gateway:redisUrl"]


# ---------------------------------------------------------------- settings


def test_the_plan_holds_the_external_servers_limits():
    plan = load().plan()
    assert (plan.postgres_max_connections, plan.redis_maxclients) == (600, 3000)  # the servers', not sized ones
    assert (plan.db_connections, plan.redis_clients) == (520, 2600)  # 13 instances in a rolling update of 6


def test_d2_an_external_postgres_too_small_for_the_budget_is_refused():
    message = refused(r"\[D2\] litellm-gateway:postgres\.external\.maxConnections = 500: at least 530: pool 10 x 4 workers x 13 instances = 520", postgres={"external": {**POSTGRES["external"], "maxConnections": 500}})
    assert "instances in an update: 13 = 2 x 6 + 1" in message


def test_r2_an_external_redis_too_small_for_the_budget_is_refused():
    refused(r"\[R2\] litellm-gateway:redis\.external\.maxClients = 2000: at least 2610: pool 50 x 4 workers x 13 instances = 2600", redis={"external": {**REDIS["external"], "maxClients": 2000}})


def test_s4_the_url_must_be_a_secret_that_is_set():
    refused(r"\[S4\] litellm-gateway:postgres\.external\.urlSecret = 'postgresUrl': set it first: pulumi config set --secret postgresUrl", secrets=("redisUrl",))


def test_external_stores_are_kubernetes_only_and_replace_the_max_connections_override():
    refused(r"\[D2\] litellm-gateway:postgresMaxConnections = 700: unset with postgres\.external", postgresMaxConnections=700)
    values = {**copy.deepcopy(stack_values("dev")), "postgres": POSTGRES}
    with pytest.raises(ConfigError, match=r"litellm-gateway:postgres\.external = set: only on platform kubernetes"):
        load_settings(values, stack_secrets("dev") | {"postgresUrl"})


def test_r1_an_external_redis_reaches_litellm_as_host_port_password_and_tls():
    assert redis_env(REDIS_URL) == {"REDIS_HOST": "cache.internal.example", "REDIS_PORT": "6380", "REDIS_PASSWORD": "redis-secret-password-of-32-characters-or-more", "REDIS_SSL": "true"}
    assert redis_env("redis://:p%40ss@cache:6379/0")["REDIS_PASSWORD"] == "p@ss" and redis_env("redis://:p@cache")["REDIS_SSL"] == "false"


@pytest.mark.parametrize("pg_url,redis_url,key", [
    ("mysql://u:p@h/db", REDIS_URL, "postgresUrl"),
    ("postgresql://u@h:5432/db", REDIS_URL, "postgresUrl"),  # no password
    ("postgresql://u:p@h:5432/", REDIS_URL, "postgresUrl"),  # no database
    (PG_URL, "rediss://cache:6380", "redisUrl"),  # S5: Redis requires its password
    (PG_URL, "http://:p@cache", "redisUrl"),
])  # fmt: skip
def test_malformed_urls_are_refused_without_quoting_them(pg_url, redis_url, key):
    with pytest.raises(ProgramFailed) as err:
        run_program("prod", *external_config(pg_url, redis_url), isolated=True)
    message = str(err.value)
    assert f"litellm-gateway:{key} = a secret value: a URL of the form" in message
    assert "secret-password" not in message and pg_url not in message and redis_url not in message


# ---------------------------------------------------------------- registered objects


@pytest.fixture(scope="module")
def external():
    return run_program("prod", *external_config())


def test_no_in_cluster_data_store_is_created(external):
    # (the generated passwords stay: the Postgres one is protected, so a stack moving to a managed
    # server keeps it rather than fail the update deleting it)
    names = [r.name for r in external if r.custom and "-secrets-" not in r.name]
    assert not [n for n in names if "-postgres-" in n or "-redis-" in n], names
    assert not [r for r in external if r.type in ("kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:PersistentVolumeClaim")]


def test_the_proxy_and_migration_use_the_external_servers_from_their_secret(external):
    secret = one(external, T_SECRET, "proxy-stores")  # not beside the generated secrets: none feeds these
    assert secret.inputs["stringData"] == {"DATABASE_URL": PG_URL, **redis_env(REDIS_URL)}  # sslmode=require reaches Prisma as written
    assert "stringData" in secret.secret_inputs
    assert not {"DATABASE_URL", "REDIS_PASSWORD"} & set(one(external, T_SECRET, "proxy-env").inputs["stringData"])
    container = pod_spec(one(external, T_DEPLOYMENT, "proxy-deployment"))["containers"][0]
    plain = {e["name"]: e.get("value") for e in container["env"] if "value" in e}
    assert "REDIS_HOST" not in plain and "REDIS_PORT" not in plain  # they come from the Secret
    text = json.dumps([r.inputs for r in external if r.type != T_SECRET])
    assert "secret-password" not in text and "db.internal.example" not in text  # S4: only in the Secret
    job = pod_spec(one(external, "kubernetes:batch/v1:Job", "proxy-migrate"))["containers"][0]
    assert [e["name"] for e in job["env"] if "valueFrom" in e] == ["DATABASE_URL"] and "POSTGRES_HOST" not in json.dumps(job)


def test_the_limits_are_stated_for_the_pack_and_it_passes(external):
    annotations = one(external, T_DEPLOYMENT, "proxy-deployment").inputs["metadata"]["annotations"]
    assert annotations == {"litellm-gateway/postgres-max-connections": "600", "litellm-gateway/redis-maxclients": "3000"}
    assert [v.message for v in evaluate(policy_resources(external), policy_config("prod"))] == []


@pytest.mark.parametrize("annotation,value,expect", [
    ("litellm-gateway/postgres-max-connections", "500", "[D2] Deployment 'lg-prod-proxy-deployment': found the external postgres server's max_connections 500"),
    ("litellm-gateway/redis-maxclients", "100", "[R2] Deployment 'lg-prod-proxy-deployment': found the external redis server's maxclients 100"),
    ("litellm-gateway/postgres-max-connections", None, "[D2] Deployment 'lg-prod-proxy-deployment': found a postgres server outside the stack whose max_connections is not stated"),
])  # fmt: skip
def test_d2_r2_the_pack_judges_the_budget_against_the_stated_limit(external, annotation, value, expect):
    resources = policy_resources(external)
    deployment = next(r for r in resources if r.type == T_DEPLOYMENT and "proxy" in r.name)
    if value is None:
        del deployment.props["metadata"]["annotations"][annotation]
    else:
        deployment.props["metadata"]["annotations"][annotation] = value
    found = [v for v in evaluate(resources, policy_config("prod")) if not v.deferred]
    assert len(found) == 1 and found[0].message.startswith(expect) and found[0].enforcement == "mandatory", [v.message for v in found]

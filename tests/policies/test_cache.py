"""R1-R3: Redis."""

import pytest
from .policy_fixtures import container, findings, messages, run, set_env, set_envs, update_config

from litellm_policies import UNKNOWN


def deferred_for(vs, rule_id):
    return [v for v in vs if v.deferred and v.rule_id == rule_id]


def test_r1_redis_url_in_config(k8s, docker):
    update_config(k8s["config"], lambda d: d["router_settings"].update(redis_url="redis://redis:6379"))
    update_config(docker["proxy"], lambda d: d["litellm_settings"]["cache_params"].update(url="redis://redis:6379"))
    m = messages(run(k8s), "R1")
    assert len(m) == 1 and "router_settings.redis_url" in m[0]
    m = messages(run(docker), "R1")
    assert len(m) == 1 and "cache_params.url" in m[0]


def test_r1_redis_url_env(k8s, docker):
    set_env(container(k8s["proxy"]), "REDIS_URL", value_from={"secretKeyRef": {"name": "litellm-secrets", "key": "redis-url"}})
    set_envs(docker["proxy"].props, "REDIS_URL", "redis://redis:6379")
    for st in (k8s, docker):
        m = messages(run(st), "R1")
        assert len(m) == 1 and "REDIS_URL" in m[0]


def test_r2_client_budget(k8s):
    container(k8s["redis"])["args"][3] = "500"  # 50 × 4 × (2 × 3 + 1) + 10 = 1410 > 500
    m = messages(run(k8s), "R2")
    assert len(m) == 1 and "maxclients 500" in m[0] and "= 1400 clients + 10 reserve = 1410" in m[0]


def test_r2_configured_pool_and_default_maxclients(docker):
    update_config(docker["proxy"], lambda d: d["litellm_settings"]["cache_params"].update(max_connections=6000))
    docker["redis"].props["command"] = ["redis-server", "--requirepass", "r" * 32, "--maxmemory", "400mb", "--maxmemory-policy", "allkeys-lru"]
    m = messages(run(docker), "R2")  # 6000 × 2 + 10 > 10000 default
    assert m and "Redis default maxclients 10000" in m[0] and "r" * 32 not in m[0]


def test_r2_unknown_maxclients_is_deferred(k8s):
    container(k8s["redis"])["args"][3] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "R2") and deferred_for(vs, "R2")


def test_r3_no_maxmemory_and_noeviction(k8s):
    container(k8s["redis"])["args"] = ["--requirepass", "$(REDIS_PASSWORD)", "--maxclients", "1000"]
    m = messages(run(k8s), "R3")
    assert any("unbounded" in x for x in m) and any("noeviction" in x for x in m)


def test_r3_maxmemory_above_limit(k8s, docker):
    container(k8s["redis"])["resources"]["limits"]["memory"] = "256Mi"
    m = messages(run(k8s), "R3")
    assert len(m) == 1 and "maxmemory 400 MiB ≥ memory limit 256 MiB" in m[0]
    docker["redis"].props.pop("memory")
    assert any("no container memory limit" in x for x in messages(run(docker), "R3"))


# ------------------------------------------- R1-R3: what an operator reads and which inputs pass

REDIS = "Deployment 'redis' container 'redis'"


def test_r1_messages_in_full(k8s, docker):
    update_config(k8s["config"], lambda d: d["router_settings"].update(redis_url="redis://redis:6379"))
    assert messages(run(k8s), "R1") == [
        "[R1] ConfigMap 'litellm-config' key 'config.yaml': found router_settings.redis_url set; required Redis by"
        " host/port/password. Fix: remove router_settings.redis_url; set redis_host/redis_port/redis_password"
    ]
    set_envs(docker["proxy"].props, "REDIS_URL", "redis://redis:6379")
    assert messages(run(docker), "R1") == [
        "[R1] Container 'litellm-proxy': found env var REDIS_URL; required REDIS_HOST / REDIS_PORT / REDIS_PASSWORD."
        " Fix: remove REDIS_URL; set REDIS_HOST, REDIS_PORT and REDIS_PASSWORD"
    ]


def test_r1_redis_url_anywhere_in_the_config_is_named_by_its_path(k8s):
    def edit(d):
        d["litellm_settings"]["cache_params"]["url"] = "redis://r"
        d["model_list"] = [{"model_name": "m", "litellm_params": {"model": "a/b", "redis_url": "redis://r"}}]

    update_config(k8s["config"], edit)
    found = sorted(m.split(": found ")[1].split(" set;")[0] for m in messages(run(k8s), "R1"))
    assert found == ["litellm_settings.cache_params.url", "model_list[0].litellm_params.redis_url"]


def test_r1_null_cache_url_is_not_a_url(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"]["cache_params"].update(url=None))
    assert not findings(run(k8s), "R1")


def test_r2_message_in_full(k8s):
    container(k8s["redis"])["args"][3] = "500"
    assert messages(run(k8s), "R2") == [
        f"[R2] {REDIS}: found maxclients 500 ({REDIS} args) but the proxies can open 50 (pool 50 (HARDENING R2)) × 4 workers"
        " × 7 instances (rollout 2R + S = 2 × 3 + 1: R = HorizontalPodAutoscaler 'litellm-proxy-hpa' maxReplicas 3,"
        " S = maxSurge 1 of Deployment 'litellm-proxy' (the default 25% of 3, rounded up); replaced pods keep their"
        " pools while they drain) = 1400 clients + 10 reserve = 1410; required maxclients ≥ 1410. Fix: run Redis with"
        " --maxclients 1410 (or more), or lower the pool / workers / autoscaler maximum / maxSurge"
    ]


@pytest.mark.parametrize(("maxclients", "ok"), [("1410", True), ("1409", False)])
def test_r2_budget_boundary_is_pool_times_workers_times_instances_in_an_update_plus_10(k8s, maxclients, ok):
    container(k8s["redis"])["args"][3] = maxclients
    assert (not findings(run(k8s), "R2")) == ok


def test_r2_maxclients_that_fits_the_replicas_but_not_the_rollout_fails(k8s):
    """The fixture's proxy (4 workers, autoscaler maximum R = 3) with the strategy the program
    renders: a rolling update holds 2 x 3 + 1 = 7 pods' pools, 50 x 4 x 7 + 10 = 1410 clients
    (the same formula as D2, tests/policies/test_database.py)."""
    k8s["proxy"].props["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    container(k8s["redis"])["args"][3] = "610"  # 50 x 4 x 3 + 10: enough between rollouts
    (m,) = messages(run(k8s), "R2")
    assert "× 4 workers × 7 instances (rollout 2R + S = 2 × 3 + 1: R = HorizontalPodAutoscaler" in m
    assert "= 1400 clients + 10 reserve = 1410; required maxclients ≥ 1410." in m
    assert m.endswith("Fix: run Redis with --maxclients 1410 (or more), or lower the pool / workers / autoscaler maximum / maxSurge")
    container(k8s["redis"])["args"][3] = "1410"
    assert not findings(run(k8s), "R2")


def test_r2_pool_from_redis_max_connections_env(k8s):
    update_config(k8s["config"], lambda d: d["litellm_settings"]["cache_params"].pop("max_connections", None))
    set_env(container(k8s["proxy"]), "REDIS_MAX_CONNECTIONS", "70")  # 70 x 4 x 7 + 10 = 1970 <= 2000
    assert not findings(run(k8s), "R2")
    set_env(container(k8s["proxy"]), "REDIS_MAX_CONNECTIONS", "80")  # 2250 > 2000
    (m,) = messages(run(k8s), "R2")
    assert "open 80 (pool 80 (REDIS_MAX_CONNECTIONS)) × 4 workers" in m and "= 2240 clients + 10 reserve = 2250" in m
    set_env(container(k8s["proxy"]), "REDIS_MAX_CONNECTIONS", UNKNOWN)
    vs = run(k8s)
    assert not messages(vs, "R2") and deferred_for(vs, "R2")


def test_r3_messages_in_full(k8s, docker):
    container(k8s["redis"])["args"] = ["--requirepass", "$(REDIS_PASSWORD)", "--maxclients", "1000"]
    assert messages(run(k8s), "R3") == [
        f"[R3] {REDIS}: found maxmemory nothing (not set) (unbounded); required maxmemory below the container memory"
        " limit. Fix: add --maxmemory <e.g. 80% of the limit>",
        f"[R3] {REDIS}: found maxmemory-policy nothing (not set) (Redis default noeviction); required an eviction policy"
        " fit for a cache (allkeys-lru, allkeys-lfu, volatile-*). Fix: add --maxmemory-policy allkeys-lru",
    ]
    k = container(k8s["redis"])
    k["args"] = ["--maxmemory", "600mb", "--maxmemory-policy", "allkeys-lru"]
    assert messages(run(k8s), "R3") == [
        f"[R3] {REDIS}: found maxmemory 600 MiB ≥ memory limit 512 MiB; required maxmemory below the limit (room for"
        " fragmentation and clients). Fix: lower --maxmemory to about 80% of the limit"
    ]
    docker["redis"].props.pop("memory")
    assert messages(run(docker), "R3") == [
        "[R3] Container 'redis': found no container memory limit; required a memory limit above maxmemory 400 MiB."
        " Fix: set a memory limit on the Redis container"
    ]


@pytest.mark.parametrize(("maxmemory", "ok"), [("511mb", True), ("512mb", False), ("0", False), ("lots", False)])
def test_r3_maxmemory_strictly_below_the_limit(k8s, maxmemory, ok):
    args = container(k8s["redis"])["args"]
    args[args.index("--maxmemory") + 1] = maxmemory
    assert (not findings(run(k8s), "R3")) == ok


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "volatile-ttl", "allkeys-random", "volatile-random"])
def test_r3_every_cache_eviction_policy_passes(k8s, policy):
    args = container(k8s["redis"])["args"]
    args[args.index("--maxmemory-policy") + 1] = policy
    assert not findings(run(k8s), "R3")


def test_r3_noeviction_is_named_and_unknowns_defer(k8s):
    args = container(k8s["redis"])["args"]
    args[args.index("--maxmemory-policy") + 1] = "noeviction"
    (m,) = messages(run(k8s), "R3")
    assert "found maxmemory-policy 'noeviction';" in m or "found maxmemory-policy noeviction;" in m
    args[args.index("--maxmemory-policy") + 1] = UNKNOWN
    args[args.index("--maxmemory") + 1] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "R3")
    assert sorted(v.message.split("deferred: ")[1].split(" of ")[0].split(": ")[-1] for v in deferred_for(vs, "R3")) == [
        "maxmemory / memory limit", "maxmemory-policy",
    ]  # fmt: skip
    assert {v.urn for v in deferred_for(vs, "R3")} == {k8s["redis"].urn}


@pytest.mark.parametrize("env", ["REDIS_ARGS", "REDIS_EXTRA_FLAGS"])
def test_r3_memory_settings_from_the_images_env_variables(k8s, env):
    """The official image reads extra server flags from REDIS_ARGS (Bitnami: REDIS_EXTRA_FLAGS)."""
    c = container(k8s["redis"])
    c["args"] = ["--requirepass", "$(REDIS_PASSWORD)", "--maxclients", "1000"]
    set_env(c, env, "--maxmemory 400mb --maxmemory-policy allkeys-lru")
    assert not findings(run(k8s), "R3")
    set_env(c, env, "--maxmemory 600mb --maxmemory-policy allkeys-lru")
    (m,) = messages(run(k8s), "R3")
    assert "maxmemory 600 MiB ≥ memory limit 512 MiB" in m


def test_r3_findings_point_at_the_redis_workload(k8s, docker):
    container(k8s["redis"])["args"] = ["--maxmemory", "600mb"]  # above the limit, and no eviction policy
    assert [(v.urn, v.message.split(": found ")[0]) for v in run(k8s) if v.rule_id == "R3"] == [(k8s["redis"].urn, f"[R3] {REDIS}")] * 2
    docker["redis"].props.pop("memory")
    assert [v.urn for v in run(docker) if v.rule_id == "R3"] == [docker["redis"].urn]
    container(k8s["redis"])["args"] = []
    assert [v.urn for v in run(k8s) if v.rule_id == "R3"] == [k8s["redis"].urn] * 2

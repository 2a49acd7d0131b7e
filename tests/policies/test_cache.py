"""R1-R3: Redis."""

from .policy_fixtures import container, messages, run, set_env, set_envs, update_config

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
    container(k8s["redis"])["args"][3] = "500"  # 50 × 4 × 3 + 10 = 610 > 500
    m = messages(run(k8s), "R2")
    assert len(m) == 1 and "maxclients 500" in m[0] and "= 600 clients + 10 reserve = 610" in m[0]


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

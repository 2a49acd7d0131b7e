"""D1-D7: database."""

import pytest
from .policy_fixtures import (
    T_JOB,
    T_VOLUME,
    container,
    findings,
    messages,
    pod,
    run,
    set_env,
    set_envs,
    update_config,
)

from litellm_policies import UNKNOWN


def deferred_for(vs, rule_id):
    return [v for v in vs if v.deferred and v.rule_id == rule_id]


@pytest.mark.parametrize(
    "key,value,rule,expect",
    [
        ("database_connection_pool_limit", 50, "D1", "database_connection_pool_limit 50"),
        ("database_connection_pool_limit", None, "D1", "nothing (not set)"),
        ("proxy_batch_write_at", 10, "D3", "proxy_batch_write_at 10"),
        ("proxy_batch_write_at", None, "D3", "LiteLLM default 10 s"),
        ("disable_error_logs", False, "D4", "disable_error_logs false"),
        ("disable_error_logs", None, "D4", "disable_error_logs nothing"),
    ],
)
@pytest.mark.parametrize("platform", ["k8s", "docker"])
def test_config_values(k8s, docker, platform, key, value, rule, expect):
    st = k8s if platform == "k8s" else docker
    holder = st["config"] if platform == "k8s" else st["proxy"]

    def mutate(d):
        if value is None:
            d["general_settings"].pop(key)
        else:
            d["general_settings"][key] = value

    update_config(holder, mutate)
    msgs = messages(run(st), rule)
    assert len(msgs) == 1, msgs
    assert msgs[0].startswith(f"[{rule}] ") and expect in msgs[0] and "Fix:" in msgs[0]


def test_config_unknown_content_is_deferred(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "D1")
    assert deferred_for(vs, "D1") and deferred_for(vs, "D3") and deferred_for(vs, "D4")
    assert all(v.enforcement == "advisory" for v in vs if v.deferred)


# ---------------------------------------------------------------- D2


def test_d2_budget_uses_hpa_max(k8s):
    # a rolling update of 20 (maxSurge unset: 25 % of 20 = 5): 2 × 20 + 5 = 45; 10 × 4 × 45 + 10 = 1810 > 300
    k8s["hpa"].props["spec"]["maxReplicas"] = 20
    msgs = messages(run(k8s), "D2")
    assert len(msgs) == 1
    m = msgs[0]
    assert "StatefulSet 'postgres'" in m and "max_connections 300" in m
    assert "× 4 workers × 45 instances (rollout 2R + S = 2 × 20 + 5: R = HorizontalPodAutoscaler" in m
    assert "= 1800 connections + 10 reserve = 1810" in m and "max_connections ≥ 1810" in m


def test_d2_replicas_without_hpa(k8s):
    k8s.pop("hpa")
    k8s["proxy"].props["spec"]["replicas"] = 4  # 2 × 4 + 1 = 9 pods: 10 × 4 × 9 + 10 = 370 > 300
    assert any("reserve = 370" in m for m in messages(run(k8s), "D2"))


def test_d2_two_item_c_args_and_pool(k8s):
    container(k8s["postgres"])["args"] = ["-c", "max_connections=100"]  # need 10 × 4 × 7 + 10 = 290
    assert messages(run(k8s), "D2")
    container(k8s["postgres"])["args"] = ["-c max_connections=290"]
    assert not findings(run(k8s), "D2")


def test_d2_postgres_default_when_unset(docker):
    docker["postgres"].props["command"] = ["postgres"]
    update_config(docker["proxy"], lambda d: d["general_settings"].update(database_connection_pool_limit=50))
    msgs = messages(run(docker), "D2")  # 50 × 2 × 1 + 10 = 110 > 100 default
    assert msgs and "Postgres default max_connections 100" in msgs[0]


def test_d2_postgresql_conf_in_configmap(k8s):
    from .policy_fixtures import T_CM, R

    k8s["pgconf"] = R(T_CM, "pg-conf", {"metadata": {"name": "pg-conf", "namespace": "litellm"}, "data": {"postgresql.conf": "listen_addresses = '*'\nmax_connections = 120 # small\n"}})
    c = container(k8s["postgres"])
    c["args"] = ["-c", "config_file=/etc/postgresql/postgresql.conf"]
    c["volumeMounts"].append({"name": "conf", "mountPath": "/etc/postgresql"})
    pod(k8s["postgres"])["volumes"] = [{"name": "conf", "configMap": {"name": "pg-conf"}}]
    msgs = messages(run(k8s), "D2")
    assert msgs and "max_connections 120 (ConfigMap 'pg-conf' key 'postgresql.conf')" in msgs[0]


def test_d2_unknown_max_replicas_is_deferred(k8s):
    k8s["hpa"].props["spec"]["maxReplicas"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "D2") and deferred_for(vs, "D2")

# ------------------------------------------- D2/R2: a rollout's surge and its draining pods
#
# The fixture's proxy runs 4 workers with pool 10 under an autoscaler maximum R = 3. Worked out
# by hand from README's formula (RollingUpdate: 2R + S pods hold pools at once, S = maxSurge, a
# percentage of R rounded up, 25 % when unset; Recreate: R):
#   maxSurge 1 (what the program renders)  2 x 3 + 1 = 7 pods   10 x 4 x 7 + 10 = 290
#   maxSurge unset: 25 % of 3 -> 1         7 pods               290
#   maxSurge 50 %: 1.5 -> 2                8 pods               330
#   maxSurge 0, maxUnavailable 1           6 pods               250  (draining pods still overlap)
#   Recreate                               3 pods               130  (what D2 counted before)

ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
PG = "StatefulSet 'postgres' container 'postgres'"


def with_budget(k8s, strategy, max_connections):
    """The fixture with this proxy strategy (None: unset) and this Postgres max_connections."""
    spec = k8s["proxy"].props["spec"]
    spec.pop("strategy", None)
    if strategy is not None:
        spec["strategy"] = strategy
    container(k8s["postgres"])["args"] = ["-c", f"max_connections={max_connections}"]
    return k8s


def test_d2_max_connections_that_fits_the_replicas_but_not_the_rollout_fails(k8s):
    (m,) = messages(run(with_budget(k8s, ROLLING, 130)), "D2")  # 130 = 10 x 4 x 3 + 10: enough between rollouts
    assert m.startswith(f"[D2] {PG}: found max_connections 130 ({PG} args) but the proxies can open 10 (pool 10 ")
    assert (
        " × 4 workers × 7 instances (rollout 2R + S = 2 × 3 + 1: R = HorizontalPodAutoscaler 'litellm-proxy-hpa'"
        " maxReplicas 3, S = maxSurge 1 of Deployment 'litellm-proxy'; replaced pods keep their pools while they drain)"
        " = 280 connections + 10 reserve = 290; required max_connections ≥ 290."
    ) in m
    assert m.endswith(
        "Fix: set Postgres max_connections to at least 290 (-c max_connections=290) or lower the pool / workers /"
        " autoscaler maximum / maxSurge"
    )


@pytest.mark.parametrize(
    ("strategy", "need", "instances"),
    [
        (ROLLING, 290, "7 instances (rollout 2R + S = 2 × 3 + 1"),
        (None, 290, "S = maxSurge 1 of Deployment 'litellm-proxy' (the default 25% of 3, rounded up)"),
        ({"type": "RollingUpdate"}, 290, "S = maxSurge 1 of Deployment 'litellm-proxy' (the default 25% of 3, rounded up)"),
        ({"rollingUpdate": {"maxSurge": "50%"}}, 330, "8 instances (rollout 2R + S = 2 × 3 + 2: R = "),
        ({"rollingUpdate": {"maxSurge": "50%"}}, 330, "S = maxSurge 2 of Deployment 'litellm-proxy' (50% of 3, rounded up)"),
        ({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}, 250, "6 instances (rollout 2R + S = 2 × 3 + 0"),
        ({"type": "Recreate"}, 130, "3 instances (HorizontalPodAutoscaler 'litellm-proxy-hpa' maxReplicas 3; strategy Recreate"),
    ],
)
def test_d2_boundary_follows_the_proxy_deployments_strategy(k8s, strategy, need, instances):
    assert not findings(run(with_budget(k8s, strategy, need)), "D2")
    (m,) = messages(run(with_budget(k8s, strategy, need - 1)), "D2")
    assert instances in m and f"required max_connections ≥ {need}." in m


def test_d2_rollout_without_an_autoscaler_counts_the_replicas(k8s):
    k8s.pop("hpa")
    k8s["proxy"].props["spec"]["replicas"] = 4  # 2 x 4 + ceil(25 % of 4) = 9 pods: 10 x 4 x 9 + 10 = 370
    (m,) = messages(run(with_budget(k8s, None, 369)), "D2")
    assert "9 instances (rollout 2R + S = 2 × 4 + 1: R = Deployment 'litellm-proxy' replicas 4" in m and "≥ 370." in m


@pytest.mark.parametrize("where", ["spec.strategy", "spec.strategy.type", "spec.strategy.rollingUpdate.maxSurge"])
def test_d2_unknown_strategy_is_deferred(k8s, where):
    spec = with_budget(k8s, {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}, 10_000)["proxy"].props["spec"]
    *path, last = where.split(".")[1:]
    holder = spec
    for part in path:
        holder = holder[part]
    holder[last] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "D2") and deferred_for(vs, "D2")


def test_d2_docker_counts_one_container_replaced_delete_then_create(docker):
    docker["postgres"].props["command"] = ["postgres", "-c", "max_connections=29"]  # 10 x 2 x 1 + 10 = 30
    (m,) = messages(run(docker), "D2")
    assert "× 2 workers × 1 instances (1 Docker container, replaced delete-then-create) = 20 connections" in m


# ---------------------------------------------------------------- D5


def test_d5_proxy_without_disable_schema_update(k8s, docker):
    set_env(container(k8s["proxy"]), "DISABLE_SCHEMA_UPDATE", remove=True)
    set_envs(docker["proxy"].props, "DISABLE_SCHEMA_UPDATE", "false")
    for st in (k8s, docker):
        msgs = messages(run(st), "D5")
        assert len(msgs) == 1 and "DISABLE_SCHEMA_UPDATE" in msgs[0]


def test_d5_migrating_init_container(k8s):
    mig = container(k8s["migrate"])
    pod(k8s["proxy"])["initContainers"] = [dict(mig, name="migrate")]
    assert any("init container" in m for m in messages(run(k8s), "D5"))


def test_d5_no_migration_job(k8s):
    k8s.pop("migrate")
    k8s["proxy"].dependencies = [d for d in k8s["proxy"].dependencies if T_JOB not in d]
    msgs = messages(run(k8s), "D5")
    assert msgs and "no migration Job/container" in msgs[0]


def test_d5_proxy_not_ordered_after_migration(k8s, docker):
    k8s["proxy"].dependencies = [d for d in k8s["proxy"].dependencies if T_JOB not in d]
    docker["proxy"].dependencies = [d for d in docker["proxy"].dependencies if "litellm-migrate" not in d]
    for st in (k8s, docker):
        msgs = messages(run(st), "D5")
        assert msgs and "no dependency on the migration" in msgs[0]


def test_d5_migration_must_be_awaited(k8s, docker):
    k8s["migrate"].props["metadata"]["annotations"] = {"pulumi.com/skipAwait": "true"}
    assert any("skipAwait" in m for m in messages(run(k8s), "D5"))
    docker["migrate"].props.pop("attach")
    assert any("attach" in m for m in messages(run(docker), "D5"))


def test_d5_dependencies_may_be_names(k8s):
    # a mocks harness may record dependencies by resource name
    k8s["proxy"].dependencies = ["litellm-migrate"]
    assert not findings(run(k8s), "D5")


# ---------------------------------------------------------------- D6


def test_d6_emptydir_data(k8s):
    sts = k8s["postgres"]
    sts.props["spec"].pop("volumeClaimTemplates")
    pod(sts)["volumes"] = [{"name": "data", "emptyDir": {}}]
    msgs = messages(run(k8s), "D6")
    assert msgs and "'emptyDir' volume" in msgs[0]


def test_d6_no_volume_and_retention_delete(k8s):
    sts = k8s["postgres"]
    sts.props["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete"}
    assert any("whenDeleted 'Delete'" in m for m in messages(run(k8s), "D6"))
    container(sts)["volumeMounts"] = []
    assert any("no volume mounted at the data directory" in m for m in messages(run(k8s), "D6"))


def test_d6_unprotected_pvc(k8s):
    from .policy_fixtures import R

    sts = k8s["postgres"]
    sts.props["spec"].pop("volumeClaimTemplates")
    pod(sts)["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "pg-data"}}]
    k8s["pvc"] = R("kubernetes:core/v1:PersistentVolumeClaim", "pg-data", {"metadata": {"name": "pg-data", "namespace": "litellm"}})
    assert any("PersistentVolumeClaim 'pg-data'" in m for m in messages(run(k8s), "D6"))
    k8s["pvc"].protect = True
    assert not findings(run(k8s), "D6")


def test_d6_docker_volume_unprotected_or_anonymous(docker):
    docker["volume"].protect = False
    assert any("Volume 'pgdata'" in m and "protect" in m for m in messages(run(docker), "D6"))
    docker["postgres"].props["volumes"] = [{"containerPath": "/var/lib/postgresql/data"}]
    assert any("anonymous volume" in m for m in messages(run(docker), "D6"))
    docker["postgres"].props["volumes"] = []
    assert any("no volume" in m for m in messages(run(docker), "D6"))


def test_d6_docker_volume_found_by_dependency_when_name_unknown(docker):
    docker["postgres"].props["volumes"][0]["volumeName"] = UNKNOWN
    docker["volume"].props["name"] = UNKNOWN
    assert not findings(run(docker), "D6")
    docker["volume"].protect = False
    assert messages(run(docker), "D6")


def test_d6_docker_volume_type_exists():
    assert T_VOLUME.endswith("Volume")


# ---------------------------------------------------------------- D7


def test_d7_db_unavailable_on_public_proxy(k8s, docker):
    update_config(k8s["config"], lambda d: d["general_settings"].update(allow_requests_on_db_unavailable=True))
    assert not findings(run(k8s), "D7")  # private: ClusterIP only
    k8s["proxy_svc"].props["spec"]["type"] = "LoadBalancer"
    msgs = messages(run(k8s), "D7")
    assert msgs and "LoadBalancer" in msgs[0]
    k8s["proxy_svc"].props["metadata"]["annotations"] = {"networking.gke.io/load-balancer-type": "Internal"}
    assert not findings(run(k8s), "D7")
    update_config(docker["proxy"], lambda d: d["general_settings"].update(allow_requests_on_db_unavailable=True))
    docker["proxy"].props["ports"][0]["ip"] = "0.0.0.0"
    assert any("published on 0.0.0.0" in m for m in messages(run(docker), "D7"))


def test_d6_auto_named_statefulset_with_claim_templates(k8s):
    """Before: passed. A replacement of an auto-named StatefulSet names its claim anew, so
    Postgres starts on an empty one (the issue's storage-change scenario)."""
    sts = k8s["postgres"]
    sts.props["metadata"]["annotations"] = {"pulumi.com/autonamed": "true"}
    msgs = messages(run(k8s), "D6")
    assert len(msgs) == 1 and "auto-named StatefulSet" in msgs[0] and "new, empty claim" in msgs[0]
    sts.props["metadata"].pop("annotations")
    assert not findings(run(k8s), "D6")  # a fixed name keeps the claim's name
    sts.props["metadata"].pop("name")
    assert messages(run(k8s), "D6")

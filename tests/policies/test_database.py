"""D1-D7: database."""

import copy

import pytest
from .policy_fixtures import (
    T_CM,
    T_CONTAINER,
    T_JOB,
    T_VOLUME,
    R,
    container,
    findings,
    messages,
    pod,
    reported,
    run,
    second_proxy,
    second_proxy_container,
    set_arg,
    set_env,
    set_envs,
    update_config,
)

from litellm_policies import UNKNOWN
from litellm_policies.model import UNKNOWN_SENTINELS


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
    assert msgs and "on volume 'data' of kind 'emptyDir' (lost with the pod)" in msgs[0]


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


# ------------------------------------------------------- D2/D5/D6/D7: whole messages and urns
#
# What an operator reads: the rule, the resource (and container), the value found, what is
# required and the fix, or, deferred, which value is unknown of which workload; and the
# resource the finding is filed against. Each case below is one behaviour, so a rule that
# names the wrong thing, stops at the first proxy or server, or passes on an unknown fails.

PROXY = "Deployment 'litellm-proxy' container 'proxy'"
DEFER = "deferred: value unknown until apply"
D5_RES = "(policy litellm-d5-proxy-never-migrates)"
D5_STACK = "(policy litellm-d5-migration-before-proxy)"
D2_POLICY = "(policy litellm-d2-connection-budget)"
D6_POLICY = "(policy litellm-d6-postgres-persistent-volume)"
D5_SCHEMA = (
    "found DISABLE_SCHEMA_UPDATE 'false'; required DISABLE_SCHEMA_UPDATE=true (proxy instances never migrate)."
    " Fix: set the env var DISABLE_SCHEMA_UPDATE=true on the proxy container"
)


def test_d5_every_proxy_container_that_may_migrate_is_named(k8s):
    set_env(container(k8s["proxy"]), "DISABLE_SCHEMA_UPDATE", "false")
    second_proxy_container(k8s["proxy"])  # a copy: DISABLE_SCHEMA_UPDATE false too
    urn = k8s["proxy"].urn
    assert reported(run(k8s), "D5") == [
        (f"[D5] {PROXY}: {D5_SCHEMA}", urn),
        (f"[D5] Deployment 'litellm-proxy' container 'proxy-b': {D5_SCHEMA}", urn),
    ]


def test_d5_init_container_and_db_push_messages(k8s):
    pod(k8s["proxy"])["initContainers"] = [dict(container(k8s["migrate"]), name="migrate")]
    container(k8s["proxy"])["args"].append("--use_prisma_db_push")
    urn = k8s["proxy"].urn
    assert reported(run(k8s), "D5") == [
        (
            "[D5] Deployment 'litellm-proxy' init container 'migrate': found a LiteLLM init container in the proxy pod"
            " (it migrates on every pod start); required migrations once per deploy in a dedicated Job."
            " Fix: move the migration into a Job the proxy Deployment depends on",
            urn,
        ),
        (
            f"[D5] {PROXY}: found --use_prisma_db_push in the proxy args; required no schema changes from proxy instances."
            " Fix: remove --use_prisma_db_push; migrate in the dedicated job",
            urn,
        ),
    ]


def test_d5_unknowns_defer_naming_the_value_and_the_container(k8s, docker):
    set_env(container(k8s["proxy"]), "DISABLE_SCHEMA_UPDATE", UNKNOWN)
    assert reported(run(k8s), "D5") == [
        (f"[D5] {DEFER}: DISABLE_SCHEMA_UPDATE (value unknown until apply) of {PROXY} {D5_RES}", k8s["proxy"].urn)
    ]
    docker["proxy"].props["command"] = UNKNOWN
    docker["proxy"].props["entrypoints"] = UNKNOWN  # a proxy or a one-shot job?
    assert [m for m, urn in reported(run(docker), "D5") if urn == docker["proxy"].urn][0] == (
        f"[D5] {DEFER}: whether it is the proxy or a one-shot job (its command) of Container 'litellm-proxy' {D5_RES}"
    )


def test_d5_a_proxy_without_a_database_needs_no_migration(k8s):
    set_env(container(k8s["proxy"]), "DISABLE_SCHEMA_UPDATE", "false")
    set_env(container(k8s["proxy"]), "DATABASE_URL", remove=True)
    k8s.pop("migrate")
    assert not findings(run(k8s), "D5")


def _unordered(k8s):
    k8s["proxy"].dependencies = [d for d in k8s["proxy"].dependencies if T_JOB not in d]


@pytest.mark.parametrize(
    ("edit", "where", "found"),
    [
        (
            lambda k: k.pop("migrate"),
            "Deployment '{}' container 'proxy'",
            "found no migration Job/container in the stack; required a dedicated LiteLLM migration Job/container that runs"
            " before the proxy. Fix: add a Job running `python litellm/proxy/prisma_migration.py` (or a Docker container with"
            " attach: true) and make the proxy depend on it",
        ),
        (
            _unordered,
            "Deployment '{}'",
            "found no dependency on the migration Job 'litellm-migrate'; required the proxy starts only after the migration"
            " finished. Fix: add depends_on=[<migration job/container>] to the proxy's resource options",
        ),
    ],
)
def test_d5_every_proxy_without_a_migration_before_it_is_named(k8s, edit, where, found):
    edit(k8s)
    second_proxy(k8s)  # a copy of the proxy, with its dependencies
    assert reported(run(k8s), "D5") == [
        (f"[D5] {where.format(name)}: {found}", k8s[key].urn) for key, name in (("proxy", "litellm-proxy"), ("proxy2", "litellm-proxy-canary"))
    ]


def test_d5_no_migration_beside_a_workload_whose_containers_are_unknown_defers(k8s):
    k8s.pop("migrate")
    pod(k8s["redis"])["containers"] = UNKNOWN  # it may be the migration job
    assert reported(run(k8s), "D5") == [
        (f"[D5] {DEFER}: the containers (is it the migration job?) of Deployment 'redis' {D5_STACK}", k8s["redis"].urn)
    ]


def test_d5_migration_job_messages(k8s, docker):
    k8s["migrate"].props["metadata"]["annotations"] = {"pulumi.com/skipAwait": "True"}  # any case
    assert reported(run(k8s), "D5") == [
        (
            "[D5] Job 'litellm-migrate' container 'migrate': found annotation pulumi.com/skipAwait: true; required Pulumi"
            " waits for the migration Job to complete. Fix: remove the pulumi.com/skipAwait annotation from the migration Job",
            k8s["migrate"].urn,
        )
    ]
    docker["migrate"].props["attach"] = False
    assert reported(run(docker), "D5") == [
        (
            "[D5] Container 'litellm-migrate': found attach false; required attach: true (Pulumi waits until the migration"
            " container exits). Fix: set attach=True (and must_run=False) on the migration container",
            docker["migrate"].urn,
        )
    ]
    docker["migrate"].props["attach"] = UNKNOWN
    assert reported(run(docker), "D5") == [(f"[D5] {DEFER}: attach of Container 'litellm-migrate' {D5_STACK}", docker["migrate"].urn)]


def test_d5_a_dependency_through_another_resource_orders_the_proxy(k8s):
    k8s["proxy"].dependencies = [k8s["config"].urn]
    k8s["config"].dependencies = [k8s["migrate"].urn]
    assert not findings(run(k8s), "D5")


# D2: what makes the budget unknown is named, per proxy and per server


def _workers(res, n):
    c = container(res)
    c["args"] = set_arg(c["args"], "--num_workers", n)


def _pg_args(k8s, args):
    container(k8s["postgres"])["args"] = args


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda k: _workers(k["proxy"], UNKNOWN), f"--num_workers of {PROXY}"),
        (lambda k: k["hpa"].props["spec"].update(maxReplicas=UNKNOWN), f"the instance count of {PROXY}"),
        (lambda k: k["config"].props["data"].update({"config.yaml": UNKNOWN}), f"the pool of {PROXY}"),
        (lambda k: _pg_args(k, UNKNOWN), f"max_connections ({PG} args (unknown until apply))"),
        (
            lambda k: (k["hpa"].props["spec"].update(maxReplicas=UNKNOWN), _pg_args(k, ["-c", UNKNOWN])),
            f"the instance count of {PROXY}; max_connections ({PG} args (unknown until apply))",
        ),
        (
            lambda k: (_workers(k["proxy"], UNKNOWN), _workers(second_proxy(k), UNKNOWN)),
            f"--num_workers of {PROXY}; --num_workers of Deployment 'litellm-proxy-canary' container 'proxy'",
        ),
    ],
)
def test_d2_unknowns_defer_naming_each_unknown(k8s, edit, what):
    edit(k8s)
    assert reported(run(k8s), "D2") == [(f"[D2] {DEFER}: {what} of {PG} {D2_POLICY}", k8s["postgres"].urn)]


def test_d2_the_pools_of_every_proxy_add_up(k8s):
    second_proxy(k8s)  # no autoscaler: 2 replicas, 2 x 2 + 1 = 5 instances
    (m,) = messages(run(k8s), "D2")
    assert " × 4 workers × 7 instances (rollout 2R + S = 2 × 3 + 1" in m
    assert ") + 10 (pool 10 " in m and " × 4 workers × 5 instances (rollout 2R + S = 2 × 2 + 1: R = Deployment 'litellm-proxy-canary'" in m
    assert "= 480 connections + 10 reserve = 490; required max_connections ≥ 490." in m  # 280 + 200 + 10


def test_d2_workers_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["proxy"])
    c["args"] = set_arg(c["args"], "--num_workers", remove=True)
    k8s["env_cm"] = R(T_CM, "proxy-env", {"metadata": {"name": "proxy-env", "namespace": "litellm"}, "data": {"NUM_WORKERS": "8"}})
    c["env"].append({"name": "NUM_WORKERS", "valueFrom": {"configMapKeyRef": {"name": "proxy-env", "key": "NUM_WORKERS"}}})
    (m,) = messages(run(k8s), "D2")
    assert " × 8 workers × 7 instances " in m and "= 560 connections + 10 reserve = 570;" in m


def _second_postgres(docker, command):
    docker["postgres"].props["command"] = command
    docker["pg2"] = R(T_CONTAINER, "postgres-2", dict(copy.deepcopy(docker["postgres"].props), name="postgres-2"))


def test_d2_every_postgres_server_is_judged(docker):
    _second_postgres(docker, ["postgres", "-c", "max_connections=29"])
    assert [(m.split(": found ")[0], urn) for m, urn in reported(run(docker), "D2")] == [
        ("[D2] Container 'postgres'", docker["postgres"].urn),
        ("[D2] Container 'postgres-2'", docker["pg2"].urn),
    ]
    _second_postgres(docker, ["postgres", "-c", UNKNOWN])
    assert reported(run(docker), "D2") == [
        (f"[D2] {DEFER}: max_connections (Container '{n}' args (unknown until apply)) of Container '{n}' {D2_POLICY}", docker[k].urn)
        for k, n in (("postgres", "postgres"), ("pg2", "postgres-2"))
    ]
    set_envs(docker["proxy"].props, "DATABASE_URL", remove=True)  # no proxy connects: no budget
    assert not findings(run(docker), "D2")


# D6 on Kubernetes: each way the data directory can be unsafe or unknown

PGDATA_DIR = "/var/lib/postgresql/data/pgdata"
AUTO_NAMED = (
    "[D6] StatefulSet 'postgres': found an auto-named StatefulSet with volumeClaimTemplates (a replacement gives Postgres"
    " a new, empty claim); required a fixed metadata.name, or a protected PersistentVolumeClaim mounted as a volume."
    " Fix: set metadata.name on the StatefulSet, or create the claim as a protected PersistentVolumeClaim"
)


def _no_data_mount(data_dir):
    return (
        f"[D6] {PG}: found no volume mounted at the data directory {data_dir}; required a persistent volume."
        f" Fix: mount a volumeClaimTemplate (StatefulSet) or a protected PersistentVolumeClaim at {data_dir}"
    )


def _pg_mounts(path, name="data"):
    def edit(k):
        container(k["postgres"])["volumeMounts"] = [{"name": name, "mountPath": path}]

    return edit


def _pg_volume(volume):
    def edit(k):
        k["postgres"].props["spec"].pop("volumeClaimTemplates")
        pod(k["postgres"])["volumes"] = [dict(volume, name="data")]

    return edit


def _pgdata(value, then=None):
    def edit(k):
        set_env(container(k["postgres"]), "PGDATA", value, remove=value is None)
        if then:
            then(k)

    return edit


def _meta(**values):
    return lambda k: k["postgres"].props["metadata"].update(values)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_pgdata(UNKNOWN), f"{DEFER}: PGDATA"),
        (lambda k: container(k["postgres"]).update(volumeMounts=UNKNOWN), f"{DEFER}: volumeMounts"),
        (_pg_mounts(UNKNOWN), f"{DEFER}: volumeMounts"),
        (lambda k: k["postgres"].props["spec"].update(volumeClaimTemplates=UNKNOWN), f"{DEFER}: volumes / volumeClaimTemplates"),
        (lambda k: pod(k["postgres"]).update(volumes=UNKNOWN), f"{DEFER}: volumes / volumeClaimTemplates"),
        (lambda k: container(k["postgres"]).update(volumeMounts=[{"mountPath": "/var/lib/postgresql/data"}]), f"{DEFER}: the data volume's name"),
        (_meta(name=UNKNOWN), f"{DEFER}: the StatefulSet's metadata.name"),
        (_meta(annotations=UNKNOWN), f"{DEFER}: the StatefulSet's metadata.name"),
        (_meta(annotations={"pulumi.com/autonamed": UNKNOWN}), f"{DEFER}: the StatefulSet's metadata.name"),
        (
            lambda k: k["postgres"].props["spec"].update(persistentVolumeClaimRetentionPolicy={"whenDeleted": UNKNOWN}),
            f"{DEFER}: persistentVolumeClaimRetentionPolicy.whenDeleted",
        ),
        (_pg_volume({"persistentVolumeClaim": {"claimName": UNKNOWN}}), f"{DEFER}: PersistentVolumeClaim UNKNOWN"),
        (lambda k: k["postgres"].props["spec"].pop("volumeClaimTemplates"), "deferred: volume not found: volume data"),
    ],
)
def test_d6_kubernetes_unknowns_defer_naming_the_value(k8s, edit, expected):
    edit(k8s)
    assert reported(run(k8s), "D6") == [(f"[D6] {expected} of {PG} {D6_POLICY}", k8s["postgres"].urn)]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_meta(annotations={"pulumi.com/autonamed": "true"}), AUTO_NAMED),
        (_meta(name=""), AUTO_NAMED),
        (
            lambda k: k["postgres"].props["spec"].update(persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete"}),
            "[D6] StatefulSet 'postgres': found persistentVolumeClaimRetentionPolicy.whenDeleted 'Delete'; required Retain"
            " (the data PVC survives deleting the StatefulSet). Fix: set whenDeleted: Retain (the default)",
        ),
        (
            _pg_volume({"hostPath": {"path": "/srv/pg"}}),
            f"[D6] {PG}: found the data directory on volume 'data' of kind 'hostPath' (lost with the pod); required a persistent volume."
            f" Fix: mount a volumeClaimTemplate (StatefulSet) or a protected PersistentVolumeClaim at {PGDATA_DIR}",
        ),
        (
            _pgdata(UNKNOWN, lambda k: container(k["postgres"]).update(volumeMounts=[])),
            f"[D6] {PG}: found no volume mounted at all (the data lives and dies with the container); required a persistent"
            " volume at the data directory. Fix: mount a protected PersistentVolumeClaim (Kubernetes) or a protected named"
            " docker.Volume at the data directory",
        ),
        (_pg_mounts(PGDATA_DIR + "/below"), _no_data_mount(PGDATA_DIR)),  # below the data directory: not all of it
        (_pg_mounts("/"), _no_data_mount(PGDATA_DIR)),
        (_pgdata("/srv/pg"), _no_data_mount("/srv/pg")),
        (_pgdata("/var/lib/postgresql/data", _pg_mounts("/var/lib/postgresql/data-old")), _no_data_mount("/var/lib/postgresql/data")),
        (_pgdata(None, _pg_mounts("/")), _no_data_mount("/var/lib/postgresql/data")),
    ],
)
def test_d6_kubernetes_violations_in_full(k8s, edit, expected):
    edit(k8s)
    assert reported(run(k8s), "D6") == [(expected, k8s["postgres"].urn)]


@pytest.mark.parametrize(
    "edit",
    [
        _pg_mounts("/var/lib/postgresql/"),  # a parent of PGDATA, with a trailing slash
        _pg_mounts("/var/lib/postgresql/data/"),
        _pgdata(None, _pg_mounts("/var/lib/postgresql")),  # no PGDATA: the image's data directory, or a parent
        _pgdata(None, _pg_mounts("/bitnami/postgresql")),
        _pgdata(None, _pg_mounts("/var/lib/postgresql/data/")),
        _pg_volume({"persistentVolumeClaim": {"claimName": "made-elsewhere"}}),  # not in the stack: not deleted with it
    ],
)
def test_d6_kubernetes_data_directory_on_a_claim_passes(k8s, edit):
    edit(k8s)
    assert not findings(run(k8s), "D6")


def test_d6_unprotected_claim_is_filed_against_the_claim(k8s):
    _pg_volume({"persistentVolumeClaim": {"claimName": "pg-data"}})(k8s)
    k8s["pvc"] = R("kubernetes:core/v1:PersistentVolumeClaim", "pg-data", {"metadata": {"name": "pg-data", "namespace": "litellm"}})
    assert reported(run(k8s), "D6") == [
        (
            "[D6] PersistentVolumeClaim 'pg-data': found protect false on the Postgres data claim; required protect=True."
            " Fix: add opts=pulumi.ResourceOptions(protect=True) to the PersistentVolumeClaim",
            k8s["pvc"].urn,
        )
    ]


# D6 on Docker

PG_DATA = "/var/lib/postgresql/data"
DOCKER_FIX = f"Fix: mount a named docker.Volume (protect=True) at {PG_DATA}"
UNPROTECTED_VOLUME = (
    "[D6] Volume 'pgdata': found protect false on the Postgres data volume; required protect=True."
    " Fix: add opts=pulumi.ResourceOptions(protect=True) to the docker.Volume"
)


def _docker_pg(docker, **props):
    docker["postgres"].props.update(props)
    return docker


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"volumes": UNKNOWN}, f"{DEFER}: volumes"),
        ({"mounts": UNKNOWN}, f"{DEFER}: volumes"),
        ({"volumes": [{"volumeName": "litellm-pgdata", "containerPath": UNKNOWN}]}, f"{DEFER}: volumes"),
        ({"volumes": [], "mounts": [{"type": "volume", "source": "x", "target": UNKNOWN}]}, f"{DEFER}: volumes"),
    ],
)
def test_d6_docker_unknowns_defer(docker, props, expected):
    _docker_pg(docker, **props)
    assert reported(run(docker), "D6") == [(f"[D6] {expected} of Container 'postgres' {D6_POLICY}", docker["postgres"].urn)]


@pytest.mark.parametrize(
    ("props", "found"),
    [
        ({"volumes": [{"containerPath": PG_DATA}]}, f"an anonymous volume at {PG_DATA}"),
        ({"volumes": [], "mounts": [{"type": "tmpfs", "target": PG_DATA}]}, f"a tmpfs volume at {PG_DATA}"),
        ({"volumes": [], "mounts": [{"type": "volume", "source": "litellm-pgdata", "target": "/tmp"}]}, f"no volume at the data directory {PG_DATA}"),
    ],
)
def test_d6_docker_violations_in_full(docker, props, found):
    _docker_pg(docker, **props)
    assert reported(run(docker), "D6") == [
        (f"[D6] Container 'postgres': found {found}; required a persistent named volume. {DOCKER_FIX}", docker["postgres"].urn)
    ]


@pytest.mark.parametrize(
    "props",
    [
        {"volumes": [{"hostPath": "/srv/pg", "containerPath": PG_DATA}]},  # a bind mount outlives the container
        {"volumes": [], "mounts": [{"type": "bind", "source": "/srv/pg", "target": PG_DATA}]},
        {"volumes": [], "mounts": [{"type": "volume", "source": "litellm-pgdata", "target": PG_DATA}]},
        {"volumes": [{"volumeName": "litellm-pgdata", "containerPath": "/var/lib/postgresql"}]},
        {"volumes": [{"volumeName": "litellm-pgdata", "containerPath": PG_DATA}, {"containerPath": "/tmp"}]},
    ],
)
def test_d6_docker_persistent_data_passes(docker, props):
    assert not findings(run(_docker_pg(docker, **props)), "D6")


def test_d6_docker_data_volume_found_by_name_or_dependency(docker):
    docker["volume"].protect = False
    assert reported(run(docker), "D6") == [(UNPROTECTED_VOLUME, docker["volume"].urn)]
    docker["other"] = R(T_VOLUME, "other", {"name": "other"})  # another volume it depends on, unprotected too
    docker["postgres"].dependencies.append(docker["other"].urn)
    assert reported(run(docker), "D6") == [(UNPROTECTED_VOLUME, docker["volume"].urn)]
    _docker_pg(docker, volumes=[{"volumeName": "made-elsewhere", "containerPath": PG_DATA}])  # by its dependency then
    docker["postgres"].dependencies.remove(docker["other"].urn)
    assert reported(run(docker), "D6") == [(UNPROTECTED_VOLUME, docker["volume"].urn)]


def test_d6_docker_volume_of_unknown_name_is_the_dependency_whose_name_is_unknown(docker):
    _docker_pg(docker, volumes=[{"volumeName": UNKNOWN, "containerPath": PG_DATA}])
    docker["volume"].props["name"] = UNKNOWN
    docker["other"] = R(T_VOLUME, "other", {"name": "other"})  # unprotected, but named: not the data volume
    docker["postgres"].dependencies.insert(0, docker["other"].urn)
    assert not findings(run(docker), "D6")
    docker["volume"].protect = False
    assert reported(run(docker), "D6") == [(UNPROTECTED_VOLUME, docker["volume"].urn)]
    docker["postgres"].dependencies = [d for d in docker["postgres"].dependencies if T_VOLUME not in d]
    docker["postgres"].property_dependencies = {}
    assert reported(run(docker), "D6") == [(f"[D6] {DEFER}: the data volume name of Container 'postgres' {D6_POLICY}", docker["postgres"].urn)]


def test_d6_every_postgres_is_judged(docker):
    _second_postgres(docker, ["postgres"])
    for k in ("postgres", "pg2"):
        docker[k].props["volumes"] = []
    assert [(m.split(": found ")[0], urn) for m, urn in reported(run(docker), "D6")] == [
        ("[D6] Container 'postgres'", docker["postgres"].urn),
        ("[D6] Container 'postgres-2'", docker["pg2"].urn),
    ]


def test_d6_a_kubernetes_volume_without_a_source_is_an_empty_dir(k8s):
    """Kubernetes makes a volume that names no source an emptyDir (before: "a 'unknown' volume")."""
    _pg_volume({})(k8s)
    (m,) = messages(run(k8s), "D6")
    assert m.startswith(f"[D6] {PG}: found the data directory on volume 'data' of kind 'emptyDir' (lost with the pod);")


# D7: which exposures make a proxy public, and unknowns that leave it open

D7_FOUND = "found allow_requests_on_db_unavailable: true while the proxy is public ({}); required false, or a private deployment."
D7_FIX = " Fix: set general_settings.allow_requests_on_db_unavailable: false or make the proxy private"
D7_POLICY = "(policy litellm-d7-db-unavailable-private-only)"
DOCKER_CFG = "Container 'litellm-proxy' upload '/app/config.yaml'"
K8S_CFG = "ConfigMap 'litellm-config' key 'config.yaml'"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def _allow_on_db_unavailable(holder, value=True):
    update_config(holder, lambda d: d["general_settings"].update(allow_requests_on_db_unavailable=value))


def _docker_ports(docker, *ports):
    _allow_on_db_unavailable(docker["proxy"])
    docker["proxy"].props["ports"] = list(ports)
    return docker


@pytest.mark.parametrize(
    ("ports", "public"),
    [
        ([{"internal": 4000, "external": 4000}], "port 4000 published on 0.0.0.0"),  # Docker's default: every address
        ([{"internal": 4000, "ip": ""}], "port 4000 published on 0.0.0.0"),
        ([{"internal": 4000, "ip": "10.0.0.5"}], "port 4000 published on 10.0.0.5"),
        ([{"internal": 4000, "ip": "0.0.0.0"}, {"internal": 4001}], "port 4000 published on 0.0.0.0; port 4001 published on 0.0.0.0"),
        ([{"internal": 4000, "ip": "127.0.0.1"}], None),
        ([{"internal": 4000, "ip": "::1"}], None),
        ([{"internal": 4000, "ip": "localhost"}], None),
        ([], None),
    ],
)
def test_d7_docker_published_ports(docker, ports, public):
    expected = [(f"[D7] {DOCKER_CFG}: {D7_FOUND.format(public)}{D7_FIX}", docker["proxy"].urn)] if public else []
    assert reported(run(_docker_ports(docker, *ports)), "D7") == expected


def _k8s_public(k8s, svc_type="LoadBalancer", annotations=None):
    _allow_on_db_unavailable(k8s["config"])
    k8s["proxy_svc"].props["spec"]["type"] = svc_type
    if annotations is not None:
        k8s["proxy_svc"].props["metadata"]["annotations"] = annotations
    return k8s


AWS_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"


@pytest.mark.parametrize(
    ("svc_type", "annotations", "public"),
    [
        ("NodePort", None, True),
        ("NodePort", {"networking.gke.io/load-balancer-type": "Internal"}, True),  # only a load balancer can be internal
        ("LoadBalancer", None, True),
        ("LoadBalancer", {AWS_SCHEME: "internet-facing"}, True),
        ("LoadBalancer", {"service.beta.kubernetes.io/aws-load-balancer-internal": True}, True),  # not the string Kubernetes takes
        ("LoadBalancer", {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}, False),
        ("LoadBalancer", {AWS_SCHEME: "internal-facing"}, False),
        ("LoadBalancer", {"cloud.google.com/load-balancer-type": "Internal"}, False),
        ("LoadBalancer", {"service.beta.kubernetes.io/azure-load-balancer-internal": "TRUE"}, False),
        ("LoadBalancer", {"service.beta.kubernetes.io/oci-load-balancer-internal": "true"}, False),
        ("ClusterIP", None, False),
    ],
)
def test_d7_kubernetes_service_types_and_internal_load_balancers(k8s, svc_type, annotations, public):
    expected = f"[D7] {K8S_CFG}: {D7_FOUND.format(f'Service {chr(39)}litellm-proxy-svc{chr(39)} type {svc_type}')}{D7_FIX}"
    assert reported(run(_k8s_public(k8s, svc_type, annotations)), "D7") == ([(expected, k8s["config"].urn)] if public else [])


def test_d7_an_ingress_or_a_service_of_another_workload(k8s):
    _allow_on_db_unavailable(k8s["config"])
    k8s["redis_svc"].props["spec"]["type"] = "LoadBalancer"  # selects Redis, not the proxy
    assert not findings(run(k8s), "D7")
    k8s["ingress"] = R(INGRESS, "litellm", {"metadata": {"name": "litellm", "namespace": "litellm"}, "spec": {}})
    k8s["proxy_svc"].props["spec"]["type"] = "NodePort"
    assert reported(run(k8s), "D7") == [
        (f"[D7] {K8S_CFG}: {D7_FOUND.format(chr(59).join(['Service ' + repr('litellm-proxy-svc') + ' type NodePort', ' an Ingress in the stack']))}{D7_FIX}", k8s["config"].urn)
    ]


def test_d7_the_setting_as_a_string_counts(k8s):
    _k8s_public(k8s, "NodePort")
    _allow_on_db_unavailable(k8s["config"], "true")
    assert messages(run(k8s), "D7")
    _allow_on_db_unavailable(k8s["config"], False)
    assert not findings(run(k8s), "D7")


def _d7_deferred(what, where):
    return f"[D7] {DEFER}: {what} of {where} {D7_POLICY}"


def test_d7_unknowns_defer_instead_of_passing(k8s, docker):
    """Before: a mandatory rule passed on each of these (an unknown address, Service type or
    selector was taken for private, an unknown config or setting for false)."""
    _docker_ports(docker, {"internal": 4000, "ip": UNKNOWN})
    assert reported(run(docker), "D7") == [(_d7_deferred("whether the proxy is public: the host address of port 4000", DOCKER_CFG), docker["proxy"].urn)]
    docker["proxy"].props["ports"] = UNKNOWN
    assert reported(run(docker), "D7") == [
        (_d7_deferred("whether the proxy is public: the published ports of Container 'litellm-proxy'", DOCKER_CFG), docker["proxy"].urn)
    ]
    svc = k8s["proxy_svc"].props
    _k8s_public(k8s, UNKNOWN)
    assert reported(run(k8s), "D7") == [
        (_d7_deferred("whether the proxy is public: the type of Service 'litellm-proxy-svc'", K8S_CFG), k8s["config"].urn)
    ]
    svc["spec"].update(type="LoadBalancer", selector=UNKNOWN)
    assert reported(run(k8s), "D7") == [
        (_d7_deferred("whether the proxy is public: the selector of Service 'litellm-proxy-svc'", K8S_CFG), k8s["config"].urn)
    ]
    svc["spec"]["selector"] = {"app": "litellm-proxy"}
    for annotations in (UNKNOWN, {AWS_SCHEME: UNKNOWN}):
        svc["metadata"]["annotations"] = annotations
        assert reported(run(k8s), "D7") == [
            (
                _d7_deferred("whether the proxy is public: the annotations of Service 'litellm-proxy-svc' (an internal load balancer?)", K8S_CFG),
                k8s["config"].urn,
            )
        ]
    svc["metadata"]["annotations"] = {AWS_SCHEME: UNKNOWN, "cloud.google.com/load-balancer-type": "Internal"}
    assert not findings(run(k8s), "D7")  # internal by another annotation
    svc["metadata"].pop("annotations")
    _allow_on_db_unavailable(k8s["config"], sorted(UNKNOWN_SENTINELS)[0])  # the engine's unknown, put in the text by hand
    assert reported(run(k8s), "D7") == [(_d7_deferred("general_settings.allow_requests_on_db_unavailable", K8S_CFG), k8s["config"].urn)]
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert reported(run(k8s), "D7") == [
        (_d7_deferred("the LiteLLM config content (general_settings.allow_requests_on_db_unavailable)", K8S_CFG), k8s["config"].urn)
    ]
    svc["spec"]["type"] = "ClusterIP"  # private: whatever the config says
    assert not findings(run(k8s), "D7")


# D1/D3/D4 and the compliant stacks, whole


def test_compliant_stacks_have_no_database_findings(k8s, docker):
    for st in (k8s, docker):
        assert [v.message for v in run(st) if v.rule_id.startswith("D")] == []


@pytest.mark.parametrize(
    ("key", "value", "rule", "found", "required", "fix"),
    [
        ("database_connection_pool_limit", 50, "D1", "general_settings.database_connection_pool_limit 50", "10 (per worker process)", "general_settings.database_connection_pool_limit: 10"),
        ("proxy_batch_write_at", None, "D3", "general_settings.proxy_batch_write_at nothing (not set) (LiteLLM default 10 s)", "60", "general_settings.proxy_batch_write_at: 60"),
        ("proxy_batch_write_at", 10, "D3", "general_settings.proxy_batch_write_at 10", "60", "general_settings.proxy_batch_write_at: 60"),
        ("disable_error_logs", "no", "D4", "general_settings.disable_error_logs 'no'", "true", "general_settings.disable_error_logs: true"),
    ],
)
def test_config_value_messages_in_full(k8s, key, value, rule, found, required, fix):
    update_config(k8s["config"], lambda d: d["general_settings"].pop(key) if value is None else d["general_settings"].update({key: value}))
    assert reported(run(k8s), rule) == [
        (f"[{rule}] ConfigMap 'litellm-config' key 'config.yaml': found {found}; required {required}. Fix: set {fix}", k8s["config"].urn)
    ]


@pytest.mark.parametrize("value", [True, "true", "yes", 1])
def test_d4_any_true_spelling_passes(k8s, value):
    update_config(k8s["config"], lambda d: d["general_settings"].update(disable_error_logs=value))
    assert not findings(run(k8s), "D4")


# D6: more than one mount at the data directory, each judged; claims and volumes found by name


SCRATCH = {"name": "scratch", "mountPath": "/var/lib/postgresql"}  # a parent of PGDATA: a second data mount


@pytest.mark.parametrize(
    ("first", "volumes", "first_finding"),
    [
        ({"mountPath": PG_DATA}, [], f"[D6] {DEFER}: the data volume's name of {PG} {D6_POLICY}"),
        ({"name": "data", "mountPath": PG_DATA}, None, None),  # the claim template
        ({"name": "gone", "mountPath": PG_DATA}, [], f"[D6] deferred: volume not found: volume gone of {PG} {D6_POLICY}"),
        ({"name": "claim", "mountPath": PG_DATA}, [{"name": "claim", "persistentVolumeClaim": {"claimName": "made-elsewhere"}}], None),
    ],
)
def test_d6_kubernetes_every_data_mount_is_judged(k8s, first, volumes, first_finding):
    container(k8s["postgres"])["volumeMounts"] = [first, SCRATCH]
    pod(k8s["postgres"])["volumes"] = (volumes or []) + [{"name": "scratch", "emptyDir": {}}]
    scratch = (
        f"[D6] {PG}: found the data directory on volume 'scratch' of kind 'emptyDir' (lost with the pod); required a persistent"
        f" volume. Fix: mount a volumeClaimTemplate (StatefulSet) or a protected PersistentVolumeClaim at {PGDATA_DIR}"
    )
    assert [m for m, _ in reported(run(k8s), "D6")] == ([first_finding] if first_finding else []) + [scratch]


def test_d6_kubernetes_malformed_volumes_and_templates_are_skipped(k8s):
    pod(k8s["postgres"])["volumes"] = [None, "junk", {"emptyDir": {}}]
    k8s["postgres"].props["spec"]["volumeClaimTemplates"].insert(0, "junk")
    assert not findings(run(k8s), "D6")


def test_d6_claim_of_unknown_name_is_the_claim_the_statefulset_depends_on(k8s):
    _pg_volume({"persistentVolumeClaim": {"claimName": UNKNOWN}})(k8s)
    k8s["pvc"] = R("kubernetes:core/v1:PersistentVolumeClaim", "pg-data", {"metadata": {"namespace": "litellm"}})  # auto-named
    k8s["postgres"].dependencies.append(k8s["pvc"].urn)
    ((m, urn),) = reported(run(k8s), "D6")
    assert m.startswith("[D6] PersistentVolumeClaim 'pg-data': found protect false on the Postgres data claim;") and urn == k8s["pvc"].urn


@pytest.mark.parametrize(
    ("pgdata", "path"),
    [
        ("/var/lib/postgresql/data", "/var/lib/postgresql/dataX"),  # a sibling with a longer name
        ("/var/lib/postgresql/data", "/var/lib/postgresql/data-old"),
    ],
)
def test_d6_a_mount_beside_the_data_directory_does_not_hold_it(k8s, pgdata, path):
    _pgdata(pgdata, _pg_mounts(path))(k8s)
    assert reported(run(k8s), "D6") == [(_no_data_mount(pgdata), k8s["postgres"].urn)]


@pytest.mark.parametrize("path", ["/bitnami/postgresql/data", "/var/lib", "/var/lib/postgresql/data/"])
def test_d6_without_pgdata_a_mount_at_or_around_an_images_data_directory_holds_it(k8s, path):
    _pgdata(None, _pg_mounts(path))(k8s)
    assert not findings(run(k8s), "D6")


def _docker_pgdata(docker, value):
    docker["postgres"].props["envs"].append(f"PGDATA={value}")


def test_d6_docker_pgdata_elsewhere_needs_a_volume_there(docker):
    _docker_pgdata(docker, "/srv/pg")
    fix = "required a persistent named volume. Fix: mount a named docker.Volume (protect=True) at /srv/pg"
    expected = [("[D6] Container 'postgres': found no volume at the data directory /srv/pg; " + fix, docker["postgres"].urn)]
    assert reported(run(docker), "D6") == expected  # the volume at the image's default directory does not hold it
    _docker_pg(docker, volumes=[], mounts=[{"type": "volume", "source": "litellm-pgdata", "target": PG_DATA}])
    assert reported(run(docker), "D6") == expected


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"volumes": [], "mounts": []}, "no volume"),
        ({"volumes": [], "mounts": [{"type": "volume", "source": "litellm-pgdata", "target": PG_DATA}]}, "PGDATA"),
        ({}, "PGDATA"),  # a named volume: wherever PGDATA points, it may hold it
        ({"volumes": [{"containerPath": UNKNOWN}]}, "PGDATA"),
    ],
)
def test_d6_docker_pgdata_unknown_defers_unless_nothing_is_mounted(docker, props, expected):
    docker["postgres"].props["envs"].append(f"PGDATA={sorted(UNKNOWN_SENTINELS)[0]}")
    _docker_pg(docker, **props)
    ((m, urn),) = reported(run(docker), "D6")
    if expected == "no volume":
        assert m.startswith("[D6] Container 'postgres': found no volume mounted at all (the data lives and dies with the container);")
    else:
        assert m == f"[D6] {DEFER}: PGDATA of Container 'postgres' {D6_POLICY}"


@pytest.mark.parametrize(
    "props",
    [
        {"volumes": [{"hostPath": "/srv/pg", "containerPath": PG_DATA}]},
        {"volumes": [], "mounts": [{"type": "bind", "source": "/srv/pg", "target": PG_DATA}]},
    ],
)
def test_d6_docker_bind_mount_is_not_taken_for_the_volume_it_depends_on(docker, props):
    docker["volume"].protect = False  # a dependency, but not what holds the data
    assert not findings(run(_docker_pg(docker, **props)), "D6")


def test_d6_docker_every_data_mount_is_judged(docker):
    anonymous = f"[D6] Container 'postgres': found an anonymous volume at {PG_DATA}; required a persistent named volume. {DOCKER_FIX}"
    _docker_pg(docker, volumes=[{"hostPath": "/srv/pg", "containerPath": PG_DATA}, {"containerPath": "/var/lib/postgresql"}])
    assert [m for m, _ in reported(run(docker), "D6")] == [anonymous]
    docker["volume"].protect = False
    _docker_pg(docker, volumes=[{"containerPath": "/var/lib/postgresql"}, {"volumeName": "litellm-pgdata", "containerPath": PG_DATA}])
    assert [m for m, _ in reported(run(docker), "D6")] == [anonymous, UNPROTECTED_VOLUME]


def test_d6_docker_volume_found_by_name_without_a_dependency(docker):
    docker["volume"].protect = False
    docker["postgres"].dependencies = [d for d in docker["postgres"].dependencies if T_VOLUME not in d]
    docker["postgres"].property_dependencies = {}
    assert reported(run(docker), "D6") == [(UNPROTECTED_VOLUME, docker["volume"].urn)]
    _docker_pg(docker, volumes=[], mounts=[{"type": "volume", "source": "litellm-pgdata", "target": PG_DATA}])
    assert reported(run(docker), "D6") == [(UNPROTECTED_VOLUME, docker["volume"].urn)]


def test_d5_a_value_from_a_config_map_outside_the_stack_says_where_it_comes_from(k8s):
    set_env(container(k8s["proxy"]), "DISABLE_SCHEMA_UPDATE", value_from={"configMapKeyRef": {"name": "proxy-env", "key": "DSU"}})
    assert reported(run(k8s), "D5") == [
        (
            f"[D5] {DEFER}: DISABLE_SCHEMA_UPDATE (it comes from ConfigMap proxy-env (configMapKeyRef), not found in the stack)"
            f" of {PROXY} {D5_RES}",
            k8s["proxy"].urn,
        )
    ]


def test_d5_a_proxy_container_without_a_database_does_not_hide_the_next(k8s):
    set_env(container(k8s["proxy"]), "DISABLE_SCHEMA_UPDATE", "false")
    second_proxy_container(k8s["proxy"])
    set_env(container(k8s["proxy"]), "DATABASE_URL", remove=True)  # the first never connects
    assert reported(run(k8s), "D5") == [(f"[D5] Deployment 'litellm-proxy' container 'proxy-b': {D5_SCHEMA}", k8s["proxy"].urn)]


def test_d5_a_workload_with_two_proxy_containers_is_named_once(k8s):
    _unordered(k8s)
    second_proxy_container(k8s["proxy"])
    second_proxy(k8s)  # after it in the stack: still judged
    assert [urn for _, urn in reported(run(k8s), "D5")] == [k8s["proxy"].urn, k8s["proxy2"].urn]


def test_d6_docker_a_volume_of_unknown_name_does_not_hide_the_next_mount(docker):
    _docker_pg(docker, volumes=[{"volumeName": UNKNOWN, "containerPath": PG_DATA}, {"containerPath": "/var/lib/postgresql"}])
    docker["postgres"].dependencies = [d for d in docker["postgres"].dependencies if T_VOLUME not in d]
    docker["postgres"].property_dependencies = {}
    assert [m for m, _ in reported(run(docker), "D6")] == [
        f"[D6] {DEFER}: the data volume name of Container 'postgres' {D6_POLICY}",
        f"[D6] Container 'postgres': found an anonymous volume at {PG_DATA}; required a persistent named volume. {DOCKER_FIX}",
    ]


def test_d5_args_unknown_in_part_defer_the_db_push_check(k8s):
    """An arg unknown at preview may be --use_prisma_db_push: deferred, not a pass."""
    container(k8s["proxy"])["args"].append(UNKNOWN)
    assert reported(run(k8s), "D5") == [
        (f"[D5] {DEFER}: whether its args hold --use_prisma_db_push of {PROXY} {D5_RES}", k8s["proxy"].urn)
    ]


def test_d2_a_proxy_whose_config_is_unknown_and_env_names_no_database_is_deferred_not_passed(k8s):
    """The config may set general_settings.database_url: until it is known, whether the proxy
    counts in the budget is not (workloads._connects took an unknown config for "no database")."""
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] not in ("DATABASE_URL", "DATABASE_HOST")]
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert findings(run(k8s), "D2") == [
        "[D2] deferred: value unknown until apply: the pool of Deployment 'litellm-proxy' container 'proxy' of "
        "StatefulSet 'postgres' container 'postgres' (policy litellm-d2-connection-budget)"
    ]

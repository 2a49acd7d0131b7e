"""workloads.py, the helpers D2/R2 (connection budgets), N4 and the secret rules share: how many
copies of a proxy can hold connections (autoscalers incl. KEDA ScaledObjects, replicas, maxSurge)
and what a Postgres / Redis server is configured with (args, env, a mounted .conf file). Whole
findings: the limit D2/R2 found and where it was read, the instance count and how it was
derived. Direct calls where the rule's text would hide the difference (a deferral names only
what is unknown, not why)."""

import base64

import pytest
from .policy_fixtures import (
    T_CM,
    T_HPA,
    T_SECRET,
    R,
    container,
    pod,
    reported,
    secret_ref,
    run,
    set_arg,
    update_config,
)

from litellm_policies import UNKNOWN, workloads
from litellm_policies.detect import Stack

PG = "StatefulSet 'postgres' container 'postgres'"
PG_URN = "urn:pulumi:prod::litellm-gateway::kubernetes:apps/v1:StatefulSet::postgres"
PROXY = "Deployment 'litellm-proxy' container 'proxy'"
DEPLOY = "Deployment 'litellm-proxy'"
HPA = "HorizontalPodAutoscaler 'litellm-proxy-hpa'"
POOL = "10 (pool 10 (general_settings.database_connection_pool_limit in ConfigMap 'litellm-config' key 'config.yaml')) × 4 workers"
DEFER = "deferred: value unknown until apply"
D2_POLICY = "(policy litellm-d2-connection-budget)"
T_SCALED = "kubernetes:keda.sh/v1alpha1:ScaledObject"


def d2(instances: int, how: str, limit=10, where=f"{PG} args") -> tuple[str, str]:
    """The whole D2 finding of the fixture's proxy (pool 10 × 4 workers) against `limit`."""
    total = 10 * 4 * instances
    need = total + 10
    return (
        f"[D2] {PG}: found max_connections {limit} ({where}) but the proxies can open {POOL} × {instances} instances ({how})"
        f" = {total} connections + 10 reserve = {need}; required max_connections ≥ {need}. Fix: set Postgres max_connections"
        f" to at least {need} (-c max_connections={need}) or lower the pool / workers / autoscaler maximum / maxSurge",
        PG_URN,
    )


def rollout(r: int, r_how: str, s: int, s_how: str) -> str:
    return f"rollout 2R + S = 2 × {r} + {s}: R = {r_how}, S = {s_how}; replaced pods keep their pools while they drain"


def default_surge(s: int, r: int) -> str:
    return f"maxSurge {s} of {DEPLOY} (the default 25% of {r}, rounded up)"


def d2_deferred(what: str) -> list[tuple[str, str]]:
    return [(f"[D2] {DEFER}: {what} of {PG} {D2_POLICY}", PG_URN)]


def tight(k8s):
    """Postgres admits 10 connections: every D2 run reports the whole budget it computed."""
    container(k8s["postgres"])["args"] = ["-c", "max_connections=10"]
    return k8s


def hpa(name: str, ref, max_replicas: int, **kw) -> R:
    return R(T_HPA, name, {"metadata": {"name": name, "namespace": "litellm"}, "spec": {"scaleTargetRef": ref, "minReplicas": 1, "maxReplicas": max_replicas}}, **kw)


def scaled_object(name="litellm-proxy-keda", **spec) -> R:
    return R(T_SCALED, name, {"metadata": {"name": name, "namespace": "litellm"}, "spec": {"scaleTargetRef": {"name": "litellm-proxy"}, **spec}})


def stack_of(resources) -> Stack:
    return Stack(list(resources.values()) if isinstance(resources, dict) else list(resources))


def server(stack: Stack, res):
    (c,) = [c for c in stack.containers if c.res is res]
    return c


# ---------------------------------------------------------------- autoscalers


@pytest.mark.parametrize(
    ("spec", "r", "s"),
    [({"maxReplicaCount": 6}, 6, 2), ({}, 100, 25)],  # KEDA's default maxReplicaCount is 100
)
def test_a_keda_scaled_object_bounds_the_instances_like_an_hpa(k8s, spec, r, s):
    del k8s["hpa"]
    k8s["keda"] = scaled_object(**spec)
    how = rollout(r, f"ScaledObject 'litellm-proxy-keda' maxReplicas {r}", s, default_surge(s, r))
    assert reported(run(tight(k8s)), "D2") == [d2(2 * r + s, how)]


def test_the_fewest_instances_an_autoscaler_allows_and_its_defaults(k8s):
    """min_instances (N4, the PDB rule): an HPA's minReplicas defaults to 1, a ScaledObject's
    minReplicaCount to 0 (KEDA scales to zero)."""
    del k8s["hpa"].props["spec"]["minReplicas"]
    assert workloads.min_instances(stack_of(k8s), k8s["proxy"]) == (1, f"{HPA} minReplicas 1")
    del k8s["hpa"]
    k8s["keda"] = scaled_object(maxReplicaCount=4)
    assert workloads.min_instances(stack_of(k8s), k8s["proxy"]) == (0, "ScaledObject 'litellm-proxy-keda' minReplicas 0")
    k8s["keda"].props["spec"]["minReplicaCount"] = 2
    assert workloads.min_instances(stack_of(k8s), k8s["proxy"]) == (2, "ScaledObject 'litellm-proxy-keda' minReplicas 2")
    k8s["keda"].props["spec"]["minReplicaCount"] = UNKNOWN
    assert workloads.min_instances(stack_of(k8s), k8s["proxy"]) == (UNKNOWN, "minReplicas of ScaledObject 'litellm-proxy-keda'")


def test_autoscalers_of_other_workloads_listed_first_do_not_count_nor_stop_the_search(k8s):
    """Before the proxy's own HPA: a resource of another provider, HPAs of another Deployment,
    of a StatefulSet of the proxy's name, with a malformed or an unknown target it does not
    depend on, and a ScaledObject of another Deployment. Only the proxy's HPA bounds it."""
    others = [
        k8s["random_master"],
        hpa("redis-hpa", {"kind": "Deployment", "name": "redis"}, 50),
        hpa("sts-hpa", {"kind": "StatefulSet", "name": "litellm-proxy"}, 40),
        hpa("odd-hpa", "litellm-proxy", 30),
        hpa("unknown-hpa", UNKNOWN, 20),
        hpa("unknown-name-hpa", {"kind": "Deployment", "name": UNKNOWN}, 20),
        scaled_object("other-keda", scaleTargetRef={"name": "redis"}, maxReplicaCount=60),
    ]
    how = rollout(3, f"{HPA} maxReplicas 3", 1, default_surge(1, 3))
    assert reported(run([*others, *tight(k8s).values()]), "D2") == [d2(7, how)]


@pytest.mark.parametrize(
    "ref",
    [UNKNOWN, {"kind": UNKNOWN, "name": "x"}, {"kind": "Deployment", "name": UNKNOWN}],
)
def test_an_autoscaler_whose_target_is_unknown_counts_for_the_workload_it_depends_on(k8s, ref):
    k8s["hpa"].props["spec"]["scaleTargetRef"] = ref
    how = rollout(3, f"{HPA} maxReplicas 3", 1, default_surge(1, 3))
    assert reported(run(tight(k8s)), "D2") == [d2(7, how)]
    k8s["hpa"].dependencies.clear()  # it targets some workload, not the proxy
    how = rollout(2, f"{DEPLOY} replicas 2", 1, default_surge(1, 2))
    assert reported(run(k8s), "D2") == [d2(5, how)]


def test_an_autoscaler_finds_its_workload_by_the_kubernetes_name_or_unnamed_by_the_pulumi_name(k8s):
    meta = k8s["proxy"].props["metadata"]
    meta["name"] = "proxy-prod"  # the HPA still targets "litellm-proxy", the Pulumi name
    tight(k8s)
    assert reported(run(k8s), "D2") == [d2(5, rollout(2, f"{DEPLOY} replicas 2", 1, default_surge(1, 2)))]
    k8s["hpa"].props["spec"]["scaleTargetRef"]["name"] = "proxy-prod"
    how = rollout(3, f"{HPA} maxReplicas 3", 1, default_surge(1, 3))
    assert reported(run(k8s), "D2") == [d2(7, how)]
    del meta["name"]  # auto-named: the Pulumi name is the one an HPA of the stack targets
    k8s["hpa"].props["spec"]["scaleTargetRef"]["name"] = "litellm-proxy"
    assert reported(run(k8s), "D2") == [d2(7, how)]


def test_an_unknown_workload_name_is_matched_through_the_dependency(k8s):
    k8s["proxy"].props["metadata"]["name"] = UNKNOWN
    how = rollout(3, f"{HPA} maxReplicas 3", 1, default_surge(1, 3))
    assert reported(run(tight(k8s)), "D2") == [d2(7, how)]


# ---------------------------------------------------------------- replicas and maxSurge


def test_replicas_default_to_one(k8s):
    del k8s["hpa"]
    del k8s["proxy"].props["spec"]["replicas"]
    how = rollout(1, f"{DEPLOY} replicas 1 (default)", 1, default_surge(1, 1))
    assert reported(run(tight(k8s)), "D2") == [d2(3, how)]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda k: (k.pop("hpa"), k["proxy"].props["spec"].update(replicas=UNKNOWN)), (UNKNOWN, f"spec.replicas of {DEPLOY}")),
        (lambda k: k["hpa"].props["spec"].update(maxReplicas=UNKNOWN), (UNKNOWN, f"maxReplicas of {HPA}")),
        (lambda k: k["hpa"].props["spec"].pop("maxReplicas"), (UNKNOWN, f"maxReplicas of {HPA}")),
        (lambda k: k["proxy"].props["spec"].update(strategy={"type": UNKNOWN}), (UNKNOWN, f"spec.strategy of {DEPLOY}")),
        (lambda k: k["proxy"].props["spec"].update(strategy={"rollingUpdate": {"maxSurge": UNKNOWN}}), (UNKNOWN, f"maxSurge of {DEPLOY}")),
    ],
)
def test_an_unknown_count_makes_the_instances_unknown_and_says_which(k8s, edit, expected):
    edit(k8s)
    assert workloads.rollout_instances(stack_of(k8s), k8s["proxy"]) == expected
    assert reported(run(tight(k8s)), "D2") == d2_deferred(f"the instance count of {PROXY}")


@pytest.mark.parametrize(
    ("surge", "s", "s_how"),
    [
        (1, 1, f"maxSurge 1 of {DEPLOY}"),
        (10, 10, f"maxSurge 10 of {DEPLOY}"),  # a count is taken as it is, not as a percentage
        (0, 0, f"maxSurge 0 of {DEPLOY}"),
        ("0%", 0, f"maxSurge 0 of {DEPLOY} (0% of 3, rounded up)"),
        ("67%", 3, f"maxSurge 3 of {DEPLOY} (67% of 3, rounded up)"),  # 2.01 -> 3
        ("34%", 2, f"maxSurge 2 of {DEPLOY} (34% of 3, rounded up)"),  # 1.02 -> 2
        (" 100% ", 3, f"maxSurge 3 of {DEPLOY} (100% of 3, rounded up)"),
        ("200%", 6, f"maxSurge 6 of {DEPLOY} (200% of 3, rounded up)"),
    ],
)
def test_max_surge_as_the_deployment_controller_resolves_it(k8s, surge, s, s_how):
    """intstr.GetScaledValueFromIntOrPercent(maxSurge, replicas, roundUp=true): an integer as
    it is, "N%" as ceil(N × replicas / 100)."""
    k8s["proxy"].props["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge}}
    assert reported(run(tight(k8s)), "D2") == [d2(6 + s, rollout(3, f"{HPA} maxReplicas 3", s, s_how))]


@pytest.mark.parametrize("surge", ["1.5%", "-10%", -1, "abc", "%", 1.5, True])
def test_a_malformed_max_surge_defers(k8s, surge):
    """The API server refuses these; the pack does not guess a count for them."""
    k8s["proxy"].props["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": surge}}
    assert workloads.rollout_instances(stack_of(k8s), k8s["proxy"]) == (
        UNKNOWN,
        f"maxSurge of {DEPLOY} ({surge!r} is not a count or a percentage)",
    )
    assert reported(run(tight(k8s)), "D2") == d2_deferred(f"the instance count of {PROXY}")


def test_instances_of_other_workload_kinds(k8s):
    st = stack_of(k8s)
    ds = R("kubernetes:apps/v1:DaemonSet", "agent", {"metadata": {"name": "agent"}, "spec": {}})
    job = k8s["migrate"]
    assert workloads.max_instances(st, ds) == (UNKNOWN, "DaemonSet 'agent' runs one pod per node")
    assert workloads.max_instances(st, job) == (1, "Job 'litellm-migrate'")
    assert workloads.rollout_instances(st, job) == (1, "Job 'litellm-migrate'")
    assert workloads.rollout_instances(st, k8s["postgres"]) == (1, "StatefulSet 'postgres' replicas 1")


# ---------------------------------------------------------------- settings read from a mounted .conf file


def conf_map(name: str, text: str, kind=T_CM, field="data", key="postgresql.conf") -> R:
    value = base64.b64encode(text.encode()).decode() if (kind == T_SECRET and field == "data") else text
    return R(kind, name, {"metadata": {"name": name, "namespace": "litellm"}, field: {key: value}})


def pg_reads_conf(k8s, volume: dict, mount=None) -> None:
    """Postgres runs with config_file=/etc/postgresql/postgresql.conf from the volume `conf`."""
    c = container(k8s["postgres"])
    c["args"] = ["-c", "config_file=/etc/postgresql/postgresql.conf"]
    c["volumeMounts"].append(mount or {"name": "conf", "mountPath": "/etc/postgresql"})
    pod(k8s["postgres"])["volumes"] = [{"name": "conf", **volume}]


BUDGET = rollout(3, f"{HPA} maxReplicas 3", 1, default_surge(1, 3))


@pytest.mark.parametrize(
    "text",
    [
        "max_connections = 50",
        "max_connections=50",
        "max_connections 50",
        "max_connections = '50'",
        'MAX_CONNECTIONS = "50"',
        "listen_addresses = '*'\n\n# max_connections = 5000\nmax_connections = 50   # was 100 # then 200\n",
        "\n   \n# max_connections = 5000\nshared_buffers = 128MB\nmax_connections = 50\n",
    ],
)
def test_postgresql_conf_lines(k8s, text):
    k8s["pg_conf"] = conf_map("pg-conf", text)
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'postgresql.conf'")]


@pytest.mark.parametrize("field", ["stringData", "data"])
def test_postgresql_conf_from_a_secret(k8s, field):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n", T_SECRET, field)
    pg_reads_conf(k8s, {"secret": {"secretName": "pg-conf"}})
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "Secret 'pg-conf' key 'postgresql.conf'")]


def test_a_conf_file_mounted_by_sub_path_from_any_key(k8s):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n", key="pg")
    mount = {"name": "conf", "mountPath": "/etc/postgresql/postgresql.conf", "subPath": "pg"}
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}}, mount)
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'pg'")]


def test_redis_maxclients_from_a_redis_conf_in_a_secret(k8s):
    c = container(k8s["redis"])
    c["args"] = ["/usr/local/etc/redis/redis.conf", *set_arg(set_arg(c["args"], "--maxclients", remove=True), "--requirepass", remove=True)]
    c["volumeMounts"] = [{"name": "conf", "mountPath": "/usr/local/etc/redis"}]
    pod(k8s["redis"])["volumes"] = [{"name": "conf", "secret": {"secretName": "redis-conf"}}]
    k8s["redis_conf"] = conf_map("redis-conf", "# clients\nMaxClients 100\nrequirepass 'XsecretX'\n", T_SECRET, key="redis.conf")
    (m, urn) = reported(run(k8s), "R2")[0]
    assert m.startswith("[R2] Deployment 'redis' container 'redis': found maxclients 100 (Secret 'redis-conf' key 'redis.conf') but ")
    assert urn == k8s["redis"].urn
    redis = server(stack_of(k8s), k8s["redis"])
    assert workloads.server_setting(stack_of(k8s), redis, "requirepass") == ("XsecretX", "Secret 'redis-conf' key 'redis.conf'")
    assert workloads.redis_maxclients(stack_of(k8s), redis) == (100, "Secret 'redis-conf' key 'redis.conf'")


def test_docker_reads_the_uploaded_conf_file_it_is_started_with(docker):
    """Only the upload at the path Postgres reads: another .conf uploaded beside it is not its
    configuration (before: the first .conf upload was read, here a max_connections of 1000)."""
    pg = docker["postgres"].props
    pg["command"] = ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"]
    pg["uploads"] = [
        {"file": "/etc/postgresql/other.conf", "content": "max_connections = 1000\n"},
        {"file": "/etc/postgresql/postgresql.conf", "content": "max_connections = 25\n"},
    ]
    (m, urn) = reported(run(docker), "D2")[0]
    assert m.startswith("[D2] Container 'postgres': found max_connections 25 (Container 'postgres' upload '/etc/postgresql/postgresql.conf') but ")
    assert urn == docker["postgres"].urn


def test_a_volume_this_container_does_not_mount_is_not_its_configuration(k8s):
    """A ConfigMap in a volume of the pod that Postgres does not mount (a sidecar's, or left
    over) is not what Postgres reads. Before: it was read first, and max_connections 1000 passed
    a Postgres that admits 50."""
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    k8s["old_conf"] = conf_map("old-conf", "max_connections = 1000\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    pod(k8s["postgres"])["volumes"].insert(0, {"name": "old", "configMap": {"name": "old-conf"}})
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'postgresql.conf'")]


def test_a_volume_mounted_elsewhere_is_not_its_configuration(k8s):
    """A certificate Secret from outside the stack, mounted beside the configuration, neither
    hides nor defers the max_connections of the file Postgres reads."""
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    pod(k8s["postgres"])["volumes"].insert(0, {"name": "tls", "secret": {"secretName": "pg-tls"}})
    container(k8s["postgres"])["volumeMounts"].insert(0, {"name": "tls", "mountPath": "/etc/postgresql-tls"})
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'postgresql.conf'")]


def small_budget(k8s):
    """Pool 5, at most 1 replica: 5 × 4 × (2 × 1 + 1) + 10 = 70 connections, below Postgres'
    default 100, so D2 passes unless it reads a lower limit."""
    update_config(k8s["config"], lambda d: d["general_settings"].update(database_connection_pool_limit=5))
    k8s["hpa"].props["spec"]["maxReplicas"] = 1
    return k8s


@pytest.mark.parametrize(
    ("volume", "what"),
    [
        ({"configMap": {"name": "pg-conf"}}, "ConfigMap 'pg-conf' (not in the stack)"),
        ({"secret": {"secretName": "pg-conf"}}, "Secret 'pg-conf' (not in the stack)"),
        ({"secret": {"secretName": UNKNOWN}}, "a Secret named at apply (unknown until apply)"),
    ],
)
def test_a_conf_file_the_pack_cannot_read_defers_instead_of_assuming_the_default(k8s, volume, what):
    """The file may set max_connections 20: assuming Postgres' default 100 passed this budget of
    70 (a pass by default; fixed, this test failed before)."""
    pg_reads_conf(small_budget(k8s), volume)
    assert reported(run(k8s), "D2") == d2_deferred(f"max_connections ({what})")


def test_a_conf_map_of_that_name_in_another_namespace_is_not_the_one_postgres_mounts(k8s):
    """A pod mounts ConfigMaps of its own namespace: the stack's pg-conf in namespace 'other'
    (max_connections 1000) is not litellm/pg-conf, which is not in the stack (before: it was read)."""
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 1000\n")
    k8s["pg_conf"].props["metadata"]["namespace"] = "other"
    pg_reads_conf(small_budget(k8s), {"configMap": {"name": "pg-conf"}})
    assert reported(run(k8s), "D2") == d2_deferred("max_connections (ConfigMap 'pg-conf' (not in the stack))")
    del k8s["pg_conf"].props["metadata"]["namespace"]  # the provider's default namespace: may be the pod's
    assert reported(run(k8s), "D2") == []


def test_of_two_conf_maps_of_that_name_the_one_of_the_pods_namespace_is_read(k8s):
    k8s["other_conf"] = conf_map("pg-conf", "max_connections = 1000\n")
    k8s["other_conf"].props["metadata"]["namespace"] = "other"
    k8s["pg_conf"] = R(T_CM, "pg-conf-litellm", {"metadata": {"name": "pg-conf", "namespace": "litellm"}, "data": {"postgresql.conf": "max_connections = 50"}})
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf-litellm' key 'postgresql.conf'")]


@pytest.mark.parametrize(
    "volume",
    [
        {"configMap": {"name": "pg-conf", "items": [{"key": "pg", "path": "postgresql.conf"}]}},
        {"projected": {"sources": [
            {"configMap": {"name": "other-conf", "items": [{"key": "other.conf", "path": "other.conf"}]}},
            {"configMap": {"name": "pg-conf", "items": [{"key": "pg", "path": "postgresql.conf"}]}},
        ]}},
    ],
)
def test_items_and_projected_sources_say_which_key_is_the_file(k8s, volume):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n", key="pg")
    k8s["other_conf"] = conf_map("other-conf", "max_connections = 1000\n", key="other.conf")
    pg_reads_conf(k8s, volume)
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'pg'")]


def test_redis_reads_the_file_it_is_started_with_not_another_mounted_conf(k8s):
    c = container(k8s["redis"])
    c["args"] = ["/usr/local/etc/redis/redis.conf", *set_arg(c["args"], "--maxclients", remove=True)]
    c["volumeMounts"] = [{"name": "other", "mountPath": "/etc/other"}, {"name": "conf", "mountPath": "/usr/local/etc/redis"}]
    pod(k8s["redis"])["volumes"] = [{"name": "other", "configMap": {"name": "other-conf"}}, {"name": "conf", "configMap": {"name": "redis-conf"}}]
    k8s["other_conf"] = conf_map("other-conf", "maxclients 5000\n", key="other.conf")
    k8s["redis_conf"] = conf_map("redis-conf", "maxclients 100\n", key="redis.conf")
    st = stack_of(k8s)
    assert workloads.redis_maxclients(st, server(st, k8s["redis"])) == (100, "ConfigMap 'redis-conf' key 'redis.conf'")


def test_postgres_long_option_with_dashes_names_the_config_file(k8s):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    container(k8s["postgres"])["args"] = ["--config-file=/etc/postgresql/postgresql.conf"]
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'postgresql.conf'")]


def test_a_conf_file_given_as_another_setting_is_not_where_max_connections_is_read(k8s):
    """hba_file=/etc/postgresql/pg_hba.conf: Postgres still reads its settings from the data
    directory's postgresql.conf, not from a .conf mounted beside pg_hba.conf."""
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    container(k8s["postgres"])["args"] = ["-c", "hba_file=/etc/postgresql/pg_hba.conf"]
    st = stack_of(k8s)
    assert workloads.pg_max_connections(st, server(st, k8s["postgres"])) == (100, "Postgres default max_connections 100 (not set)")


def test_a_conf_file_no_volume_provides_defers(k8s, docker):
    """From the image (Kubernetes, no volume there) or a bind mount (Docker, no upload there):
    the pack cannot read it, so max_connections is unknown (before: Postgres' default 100)."""
    container(small_budget(k8s)["postgres"])["args"] = ["-c", "config_file=/etc/postgresql/postgresql.conf"]
    path = "/etc/postgresql/postgresql.conf"
    assert reported(run(k8s), "D2") == d2_deferred(f"max_connections ({path} of {PG} (not from a ConfigMap or Secret of the stack))")
    docker["postgres"].props["command"] = ["postgres", "-c", f"config_file={path}"]
    st = stack_of(docker)
    assert workloads.pg_max_connections(st, server(st, docker["postgres"])) == (UNKNOWN, f"{path} of Container 'postgres' (not uploaded by the stack)")


@pytest.mark.parametrize(
    "edit",
    [
        lambda k: container(k["postgres"])["volumeMounts"].insert(0, UNKNOWN),
        lambda k: container(k["postgres"])["volumeMounts"][-1].update(name=UNKNOWN),
        lambda k: container(k["postgres"])["volumeMounts"][-1].update(subPath=UNKNOWN),
        lambda k: pod(k["postgres"]).update(volumes=[UNKNOWN]),
        lambda k: pod(k["postgres"])["volumes"][0].update(name=UNKNOWN),
    ],
)
def test_an_unknown_mount_or_volume_entry_defers(k8s, edit):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(small_budget(k8s), {"configMap": {"name": "pg-conf"}})
    edit(k8s)
    assert reported(run(k8s), "D2") == d2_deferred(f"max_connections (the volumes of {PG} (unknown until apply))")


def test_malformed_or_unknown_entries_beside_the_mount_do_not_hide_it(k8s):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    pod(k8s["postgres"])["volumes"] += [UNKNOWN, "junk"]
    container(k8s["postgres"])["volumeMounts"].insert(0, "junk")
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'postgresql.conf'")]


def test_a_secret_named_at_apply_is_the_one_postgres_depends_on(k8s):
    k8s["pg_conf"] = R(T_SECRET, "pg-conf", {"metadata": {"name": UNKNOWN, "namespace": "litellm"}, "stringData": {"postgresql.conf": "max_connections = 50"}})
    k8s["postgres"].dependencies.append(k8s["pg_conf"].urn)
    pg_reads_conf(k8s, {"secret": {"secretName": UNKNOWN}})
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "Secret 'pg-conf' key 'postgresql.conf'")]


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda k: pod(k["postgres"]).update(volumes=UNKNOWN), f"the volumes of {PG} (unknown until apply)"),
        (lambda k: container(k["postgres"]).update(volumeMounts=UNKNOWN), f"the volumes of {PG} (unknown until apply)"),
        (lambda k: container(k["postgres"])["volumeMounts"][-1].update(mountPath=UNKNOWN), f"the volumes of {PG} (unknown until apply)"),
        (lambda k: k["pg_conf"].props.update(data=UNKNOWN), "ConfigMap 'pg-conf' key 'postgresql.conf' (unknown until apply)"),
    ],
)
def test_unknown_volumes_or_conf_content_defer(k8s, edit, what):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(small_budget(k8s), {"configMap": {"name": "pg-conf"}})
    edit(k8s)
    assert reported(run(k8s), "D2") == d2_deferred(f"max_connections ({what})")


def test_docker_redis_conf_upload(docker):
    r = docker["redis"].props
    r["command"] = ["redis-server", "/tmp/redis.conf", "--maxmemory", "400mb"]
    r["uploads"] = [{"file": "/tmp/redis.conf", "content": "maxclients 50\n"}]
    assert workloads.redis_maxclients(stack_of(docker), server(stack_of(docker), docker["redis"])) == (50, "Container 'redis' upload '/tmp/redis.conf'")


# ---------------------------------------------------------------- settings read from args and env

PG_ARGS = f"{PG} args"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["-c", "max_connections=50"], {}, (50, PG_ARGS)),
        (["-c", "MAX_CONNECTIONS=50"], {}, (50, PG_ARGS)),
        (["-cmax_connections=50"], {}, (50, PG_ARGS)),
        (["--max_connections=50"], {}, (50, PG_ARGS)),
        (["--max-connections=50"], {}, (50, PG_ARGS)),
        (["-c", "shared_buffers=1GB", "-c", "max_connections=50"], {}, (50, PG_ARGS)),
        (["-c", "max_connections=many"], {}, (UNKNOWN, PG_ARGS)),
        ([], {"POSTGRESQL_MAX_CONNECTIONS": "60"}, (60, f"POSTGRESQL_MAX_CONNECTIONS env of {PG}")),
        ([], {"POSTGRESQL_MAX_CONNECTIONS": ""}, (100, "Postgres default max_connections 100 (not set)")),
        ([], {"POSTGRESQL_MAX_CONNECTIONS": UNKNOWN}, (UNKNOWN, f"POSTGRESQL_MAX_CONNECTIONS env of {PG}")),
        (["-c", "max_connections=50"], {"POSTGRESQL_MAX_CONNECTIONS": "60"}, (50, PG_ARGS)),  # args first
        ([], {}, (100, "Postgres default max_connections 100 (not set)")),
        (UNKNOWN, {}, (UNKNOWN, f"{PG} args (unknown until apply)")),
    ],
)
def test_postgres_max_connections_from_args_and_env(k8s, args, env, expected):
    c = container(k8s["postgres"])
    c["args"] = args
    c["env"] += [{"name": n, "value": v} for n, v in env.items()]
    assert workloads.pg_max_connections(stack_of(k8s), server(stack_of(k8s), k8s["postgres"])) == expected


REDIS = "Deployment 'redis' container 'redis'"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--maxclients", "70"], {}, (70, f"{REDIS} args")),
        (["--MaxClients", "70"], {}, (70, f"{REDIS} args")),  # redis-server lower-cases directive names
        (["--port", "6379", "--maxclients"], {}, (UNKNOWN, f"{REDIS} args")),
        (["--maxclients", "$(UNSET_VAR)"], {}, (UNKNOWN, f"{REDIS} args")),
        ([], {"REDIS_ARGS": "--save '' --maxclients 80"}, (80, f"REDIS_ARGS env of {REDIS}")),
        ([], {"REDIS_ARGS": "--save ''", "REDIS_EXTRA_FLAGS": "--maxclients 90"}, (90, f"REDIS_EXTRA_FLAGS env of {REDIS}")),
        ([], {"REDIS_ARGS": "--maxclients"}, (10000, "Redis default maxclients 10000 (not set)")),
        ([], {"REDIS_ARGS": UNKNOWN}, (UNKNOWN, f"REDIS_ARGS env of {REDIS}")),
        ([], {}, (10000, "Redis default maxclients 10000 (not set)")),
    ],
)
def test_redis_maxclients_from_args_and_env(k8s, args, env, expected):
    c = container(k8s["redis"])
    c["args"] = args
    c["env"] += [{"name": n, "value": v} for n, v in env.items()]
    assert workloads.redis_maxclients(stack_of(k8s), server(stack_of(k8s), k8s["redis"])) == expected


# ---------------------------------------------------------------- does a proxy connect to Postgres / Redis


def without_redis(d: dict) -> None:
    d["router_settings"].pop("redis_host")
    d["litellm_settings"].pop("cache")
    d["litellm_settings"].pop("cache_params")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: None, False),
        (lambda d: d["router_settings"].update(redis_host="redis"), True),
        (lambda d: d["litellm_settings"].update(cache=True), True),
        (lambda d: d["litellm_settings"].update(cache="yes"), False),  # LiteLLM tests `is True`
        (lambda d: d["litellm_settings"].update(cache_params={"host": "redis"}), True),
        (lambda d: d["general_settings"].update(use_redis_transaction_buffer=True), True),
        (lambda d: d["general_settings"].update(use_redis_transaction_buffer=False), False),
    ],
)
def test_a_proxy_uses_redis_when_its_config_says_so(k8s, edit, expected):
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] not in ("REDIS_HOST", "REDIS_URL")]
    update_config(k8s["config"], lambda d: (without_redis(d), edit(d)))
    st = stack_of(k8s)
    assert workloads.uses_redis(st, server(st, k8s["proxy"])) is expected


@pytest.mark.parametrize(
    ("env", "config_url", "expected"),
    [
        ({"DATABASE_URL": "postgresql://x"}, None, True),
        ({"DATABASE_HOST": "postgres"}, None, True),
        ({"DATABASE_URL": ""}, None, False),
        ({}, "os.environ/DATABASE_URL", True),
        ({}, None, False),
        ({"DATABASE_URL": UNKNOWN}, None, UNKNOWN),
    ],
)
def test_a_proxy_uses_the_database_when_env_or_config_names_it(k8s, env, config_url, expected):
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "DATABASE_URL"] + [{"name": n, "value": v} for n, v in env.items()]
    if config_url:
        update_config(k8s["config"], lambda d: d["general_settings"].update(database_url=config_url))
    st = stack_of(k8s)
    assert workloads.uses_db(st, server(st, k8s["proxy"])) is expected


def test_a_config_unknown_until_apply_may_name_the_database(k8s):
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "DATABASE_URL"]
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    st = stack_of(k8s)
    assert workloads.uses_db(st, server(st, k8s["proxy"])) is UNKNOWN


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"REDIS_HOST": "redis"}, True),
        ({"REDIS_URL": "redis://redis:6379"}, True),
        ({"REDIS_HOST": ""}, False),
        ({"REDIS_URL": UNKNOWN}, UNKNOWN),
    ],
)
def test_a_proxy_uses_redis_when_its_env_names_it(k8s, env, expected):
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] not in ("REDIS_HOST", "REDIS_URL")] + [{"name": n, "value": v} for n, v in env.items()]
    update_config(k8s["config"], without_redis)
    st = stack_of(k8s)
    assert workloads.uses_redis(st, server(st, k8s["proxy"])) is expected


def test_an_env_value_from_a_secret_of_the_stack_names_the_server(k8s):
    """The fixture's DATABASE_URL comes from the stack's Secret: known, so the proxy connects; a
    REDIS_URL from it likewise (the config naming no Redis)."""
    st = stack_of(k8s)
    assert workloads.uses_db(st, server(st, k8s["proxy"])) is True
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "REDIS_HOST"] + [secret_ref("REDIS_URL", "redis-password")]
    update_config(k8s["config"], without_redis)
    st = stack_of(k8s)
    assert workloads.uses_redis(st, server(st, k8s["proxy"])) is True


def test_unknown_config_mounts_may_name_the_database_but_a_partial_stack_leaves_it_to_the_stack_rule(k8s):
    c = container(k8s["proxy"])
    c["env"] = [e for e in c["env"] if e["name"] != "DATABASE_URL"]
    pod(k8s["proxy"])["volumes"] = UNKNOWN
    st = stack_of(k8s)
    assert workloads.uses_db(st, server(st, k8s["proxy"])) is UNKNOWN
    pod(k8s["proxy"])["volumes"] = [{"name": "config", "configMap": {"name": "litellm-config"}}]
    partial = Stack([k8s["proxy"]], partial=True)
    assert workloads.uses_db(partial, server(partial, k8s["proxy"])) is False


def test_malformed_replicas_are_unknown_and_docker_runs_one(k8s, docker):
    del k8s["hpa"]
    k8s["proxy"].props["spec"]["replicas"] = "many"
    assert workloads.max_instances(stack_of(k8s), k8s["proxy"]) == (UNKNOWN, f"spec.replicas of {DEPLOY}")
    assert workloads.min_instances(stack_of(k8s), k8s["proxy"]) == (UNKNOWN, f"spec.replicas of {DEPLOY}")
    assert workloads.min_instances(stack_of(docker), docker["proxy"]) == (1, "1 Docker container")
    assert workloads.max_instances(stack_of(docker), docker["proxy"]) == (1, "1 Docker container")


def test_a_read_conf_file_that_does_not_set_the_value_leaves_the_default(k8s, docker):
    """The file is read and sets no max_connections: Postgres' default, on either platform."""
    k8s["pg_conf"] = conf_map("pg-conf", "shared_buffers = 128MB\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    st = stack_of(k8s)
    assert workloads.pg_max_connections(st, server(st, k8s["postgres"])) == (100, "Postgres default max_connections 100 (not set)")
    path = "/etc/postgresql/postgresql.conf"
    docker["postgres"].props["command"] = ["postgres", "-c", f"config_file={path}"]
    docker["postgres"].props["uploads"] = [{"file": path, "content": "shared_buffers = 128MB\n"}]
    st = stack_of(docker)
    assert workloads.pg_max_connections(st, server(st, docker["postgres"])) == (100, "Postgres default max_connections 100 (not set)")


def test_a_mount_at_the_path_of_a_volume_the_pod_lacks_is_no_readable_file(k8s):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    pod(k8s["postgres"])["volumes"][0]["name"] = "renamed"  # the mount 'conf' names no volume
    st = stack_of(k8s)
    path = "/etc/postgresql/postgresql.conf"
    assert workloads.pg_max_connections(st, server(st, k8s["postgres"])) == (UNKNOWN, f"{path} of {PG} (not from a ConfigMap or Secret of the stack)")


@pytest.mark.parametrize(
    "args",
    [["--primary_conninfo=host=db"], ["-cprimary_conninfo=host=db"], ["-c", "primary_conninfo=host=db"]],
)
def test_a_setting_whose_value_holds_an_equals_sign(k8s, args):
    container(k8s["postgres"])["args"] = args
    st = stack_of(k8s)
    assert workloads.server_setting(st, server(st, k8s["postgres"]), "primary_conninfo") == ("host=db", f"{PG} args")


def test_a_trailing_dash_c_sets_nothing(k8s):
    container(k8s["postgres"])["args"] = ["-c"]
    st = stack_of(k8s)
    assert workloads.pg_max_connections(st, server(st, k8s["postgres"])) == (100, "Postgres default max_connections 100 (not set)")


def test_unknown_volumes_of_a_server_without_a_config_file_change_nothing(k8s):
    container(k8s["postgres"])["args"] = ["-c", "shared_buffers=1GB"]
    pod(k8s["postgres"])["volumes"] = UNKNOWN
    st = stack_of(k8s)
    assert workloads.pg_max_connections(st, server(st, k8s["postgres"])) == (100, "Postgres default max_connections 100 (not set)")


def test_the_env_setting_from_a_config_map_of_the_stack(k8s):
    k8s["pg_env"] = R(T_CM, "pg-env", {"metadata": {"name": "pg-env", "namespace": "litellm"}, "data": {"max": "60"}})
    container(k8s["postgres"])["args"] = []
    container(k8s["postgres"])["env"].append({"name": "POSTGRESQL_MAX_CONNECTIONS", "valueFrom": {"configMapKeyRef": {"name": "pg-env", "key": "max"}}})
    st = stack_of(k8s)
    assert workloads.pg_max_connections(st, server(st, k8s["postgres"])) == (60, f"POSTGRESQL_MAX_CONNECTIONS env of {PG}")


def test_a_config_file_named_without_the_conf_suffix(k8s):
    k8s["pg_conf"] = conf_map("pg-conf", "max_connections = 50\n", key="pg.cfg")
    pg_reads_conf(k8s, {"configMap": {"name": "pg-conf"}})
    container(k8s["postgres"])["args"] = ["-c", "config_file=/etc/postgresql/pg.cfg"]
    assert reported(run(k8s), "D2") == [d2(7, BUDGET, 50, "ConfigMap 'pg-conf' key 'pg.cfg'")]

"""D2/R2 against a managed Postgres or Redis (litellm-d2-external-postgres-budget,
litellm-r2-external-redis-budget): the server is not in the stack, so the proxy workload states
its limit in an annotation and the proxies' budget, rollouts included, is held against it."""

import pytest
from .policy_fixtures import PROD, T_DEPLOY, R, container, k8s_stack, run, second_proxy, second_proxy_container, set_arg, set_env, update_config

from litellm_policies import UNKNOWN
from ops.pr_check import policy_config

PG = "litellm-gateway/postgres-max-connections"
REDIS = "litellm-gateway/redis-maxclients"
PROXY = "Deployment 'litellm-proxy'"
DEFER = "deferred: value unknown until apply"
D2_EXT = "litellm-d2-external-postgres-budget"
R2_EXT = "litellm-r2-external-redis-budget"

#: what one proxy Deployment of the compliant stack can open: pool × 4 workers × 7 instances
#: (HPA maximum 3, maxSurge 25 % of 3 rounded up: 2 × 3 + 1)
ROLLOUT = (
    "7 instances (rollout 2R + S = 2 × 3 + 1: R = HorizontalPodAutoscaler 'litellm-proxy-hpa' maxReplicas 3,"
    " S = maxSurge 1 of Deployment 'litellm-proxy' (the default 25% of 3, rounded up); replaced pods keep their pools while they drain)"
)
PG_PART = f"10 (pool 10 (general_settings.database_connection_pool_limit in ConfigMap 'litellm-config' key 'config.yaml')) × 4 workers × {ROLLOUT}"
#: the canary Deployment of `second_proxy`: 2 replicas (no autoscaler targets it), 2 × 2 + 1 in an update
CANARY_ROLLOUT = (
    "5 instances (rollout 2R + S = 2 × 2 + 1: R = Deployment 'litellm-proxy-canary' replicas 2, S = maxSurge 1 of"
    " Deployment 'litellm-proxy-canary' (the default 25% of 2, rounded up); replaced pods keep their pools while they drain)"
)
#: prod's own settings: D2/R2 mandatory, deferrals advisory
PROD_SETTINGS = policy_config("prod")
REDIS_PART = f"50 (pool 50 (HARDENING R2)) × 4 workers × {ROLLOUT}"


def external(pg="600", redis="3000"):
    """The compliant Kubernetes stack with a managed Postgres and Redis: no data store (nor its
    Service or NetworkPolicy) in the stack, the limits stated on the proxy Deployment."""
    s = k8s_stack()
    for k in ("postgres", "pg_svc", "pg_np", "redis", "redis_svc", "redis_np"):
        s.pop(k)
    annotations = {k: v for k, v in ((PG, pg), (REDIS, redis)) if v is not None}
    s["proxy"].props["metadata"]["annotations"] = annotations
    return s


def ext_findings(vs):
    """(message, urn) of both external budget rules, deferrals included."""
    return [(v.message, v.urn) for v in vs if v.rule_id in ("D2", "R2")]


def too_small(rule, role, setting, annotation, limit, parts, total, unit, label=PROXY):
    need = total + 10
    return (
        f"[{rule}] {label}: found the external {role} server's {setting} {limit} ({annotation}) but the proxies can open "
        f"{parts} = {total} {unit} + 10 reserve = {need}; required {setting} ≥ {need}. Fix: raise the managed server's {setting}"
        f" to {need} (and the annotation with it), or lower the pool / workers / autoscaler maximum / maxSurge"
    )


def not_stated(rule, role, setting, annotation, label=PROXY):
    return (
        f"[{rule}] {label}: found a {role} server outside the stack whose {setting} is not stated; required annotation"
        f" {annotation}: <the server's {setting}> on the proxy workload, so the budget can be judged. Fix: add"
        f" metadata.annotations[{annotation!r}] with the managed server's {setting}"
    )


def d2_small(limit, parts=PG_PART, total=280, label=PROXY):
    return too_small("D2", "postgres", "max_connections", PG, limit, parts, total, "connections", label)


def r2_small(limit, parts=REDIS_PART, total=1400, label=PROXY):
    return too_small("R2", "redis", "maxclients", REDIS, limit, parts, total, "clients", label)


D2_NOT_STATED = not_stated("D2", "postgres", "max_connections", PG)
R2_NOT_STATED = not_stated("R2", "redis", "maxclients", REDIS)


def defer(what, policy, label=PROXY):
    return f"[{policy[8:10].upper()}] {DEFER}: {what} of {label} (policy {policy})"


# ---------------------------------------------------------------- what passes


def test_stated_limits_that_fit_pass_and_every_rule_is_quiet():
    assert run(external(), PROD) == []


@pytest.mark.parametrize("pg,redis", [("290", "1410"), (290, 1410), ("290.0", " 1410 ")])
def test_a_limit_exactly_at_the_budget_plus_reserve_passes(pg, redis):
    """280 connections + 10 reserve = 290; 1400 clients + 10 = 1410: equal is enough, and the
    annotation may be a number or a numeric text."""
    assert ext_findings(run(external(pg, redis))) == []


def test_one_below_the_budget_is_reported_with_the_whole_sum_against_the_proxy_workload():
    s = external("289", "1409")
    vs = [v for v in run(s, PROD) if v.rule_id in ("D2", "R2")]
    assert [(v.policy_name, v.enforcement, v.message, v.urn) for v in vs] == [
        (D2_EXT, "mandatory", d2_small(289), s["proxy"].urn),
        (R2_EXT, "mandatory", r2_small(1409), s["proxy"].urn),
    ]


def test_a_float_limit_is_printed_as_written():
    s = external("50.5", "3000")
    assert ext_findings(run(s)) == [(d2_small(50.5), s["proxy"].urn)]


# ---------------------------------------------------------------- a limit that is not stated


@pytest.mark.parametrize("missing", ["annotation", "annotations", "text"])
def test_a_limit_not_stated_is_a_violation_naming_the_annotation(missing):
    s = external()
    meta = s["proxy"].props["metadata"]
    if missing == "annotation":
        meta["annotations"] = {"unrelated": "1"}
    elif missing == "annotations":
        del meta["annotations"]
    else:
        meta["annotations"] = {PG: "lots", REDIS: "many"}  # no number: the limit is not stated
    vs = [v for v in run(s, PROD) if v.rule_id in ("D2", "R2")]
    assert [(v.policy_name, v.enforcement, v.message, v.urn) for v in vs] == [
        (D2_EXT, "mandatory", D2_NOT_STATED, s["proxy"].urn),
        (R2_EXT, "mandatory", R2_NOT_STATED, s["proxy"].urn),
    ]


def test_a_limit_not_stated_is_reported_even_when_the_budget_is_unknown():
    s = external(pg=None)
    container(s["proxy"])["args"] = set_arg(container(s["proxy"])["args"], "--num_workers", UNKNOWN)
    assert ext_findings(run(s)) == [
        (D2_NOT_STATED, s["proxy"].urn),
        (defer(f"the clients budget against {REDIS}", R2_EXT), s["proxy"].urn),
    ]


# ---------------------------------------------------------------- deferrals


def test_an_unknown_limit_defers():
    s = external(pg=UNKNOWN)
    s["proxy"].props["metadata"]["annotations"][REDIS] = UNKNOWN
    assert ext_findings(run(s)) == [
        (defer(f"the connections budget against {PG}", D2_EXT), s["proxy"].urn),
        (defer(f"the clients budget against {REDIS}", R2_EXT), s["proxy"].urn),
    ]


def test_unknown_annotations_defer():
    s = external()
    s["proxy"].props["metadata"]["annotations"] = UNKNOWN
    assert ext_findings(run(s)) == [
        (defer(f"the connections budget against {PG}", D2_EXT), s["proxy"].urn),
        (defer(f"the clients budget against {REDIS}", R2_EXT), s["proxy"].urn),
    ]


@pytest.mark.parametrize("where", ["workers", "instances"])
def test_an_unknown_budget_defers_even_with_a_limit_far_too_small(where):
    s = external("1", "1")
    if where == "workers":
        container(s["proxy"])["args"] = set_arg(container(s["proxy"])["args"], "--num_workers", UNKNOWN)
    else:
        s["hpa"].props["spec"]["maxReplicas"] = UNKNOWN
    assert ext_findings(run(s)) == [
        (defer(f"the connections budget against {PG}", D2_EXT), s["proxy"].urn),
        (defer(f"the clients budget against {REDIS}", R2_EXT), s["proxy"].urn),
    ]


def test_a_workload_of_unknown_containers_may_be_the_server_so_every_user_defers():
    s = external("1", "1")
    s["mystery"] = R(T_DEPLOY, "mystery", {"metadata": {"name": "mystery", "namespace": "litellm"}, "spec": {"template": {"spec": {"containers": UNKNOWN}}}})
    canary = second_proxy(s)
    assert [(m, u) for m, u in ext_findings(run(s)) if "server runs" in m] == [
        (defer("whether a postgres server runs in the stack", D2_EXT), s["proxy"].urn),
        (defer("whether a postgres server runs in the stack", D2_EXT, "Deployment 'litellm-proxy-canary'"), canary.urn),
        (defer("whether a redis server runs in the stack", R2_EXT), s["proxy"].urn),
        (defer("whether a redis server runs in the stack", R2_EXT, "Deployment 'litellm-proxy-canary'"), canary.urn),
    ]


def test_a_workload_of_unknown_containers_is_no_reason_to_defer_without_users():
    s = external("1", "1")
    s["mystery"] = R(T_DEPLOY, "mystery", {"metadata": {"name": "mystery", "namespace": "litellm"}, "spec": {"template": {"spec": {"containers": UNKNOWN}}}})
    c = container(s["proxy"])
    for name in ("DATABASE_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"):
        set_env(c, name, remove=True)
    s["config"].props["data"]["config.yaml"] = "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n"
    assert [m for m, _ in ext_findings(run(s)) if D2_EXT in m or R2_EXT in m] == []


# ---------------------------------------------------------------- which proxies and servers


def test_a_server_in_the_stack_is_judged_by_the_in_stack_rule_not_against_the_annotation():
    s = k8s_stack()  # Postgres and Redis run in the stack
    s["proxy"].props["metadata"]["annotations"] = {PG: "1", REDIS: "1"}
    assert ext_findings(run(s)) == []
    del s["proxy"].props["metadata"]["annotations"]
    assert ext_findings(run(s)) == []


def test_a_managed_postgres_beside_an_in_stack_redis():
    s = k8s_stack()
    for k in ("postgres", "pg_svc", "pg_np"):
        s.pop(k)
    assert ext_findings(run(s)) == [(D2_NOT_STATED, s["proxy"].urn)]
    s["proxy"].props["metadata"]["annotations"] = {PG: "289", REDIS: "1"}  # the Redis one is not read
    assert ext_findings(run(s)) == [(d2_small(289), s["proxy"].urn)]


def test_a_managed_redis_beside_an_in_stack_postgres():
    s = k8s_stack()
    for k in ("redis", "redis_svc", "redis_np"):
        s.pop(k)
    s["proxy"].props["metadata"]["annotations"] = {PG: "1", REDIS: "1409"}
    assert ext_findings(run(s)) == [(r2_small(1409), s["proxy"].urn)]


def test_a_proxy_that_does_not_connect_is_not_judged():
    s = external(None, None)
    c = container(s["proxy"])
    set_env(c, "DATABASE_URL", remove=True)
    assert ext_findings(run(s)) == [(R2_NOT_STATED, s["proxy"].urn)]
    for name in ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"):
        set_env(c, name, remove=True)
    s["config"].props["data"]["config.yaml"] = "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n"
    assert ext_findings(run(s)) == []


def test_docker_proxies_are_not_judged(docker):
    """A managed server is a Kubernetes setting: Docker containers state no annotation."""
    for k in ("postgres", "redis"):
        docker.pop(k)
    assert [v.message for v in run(docker) if v.policy_name in (D2_EXT, R2_EXT)] == []


def test_two_proxy_containers_in_one_pod_are_one_workload_counted_twice():
    s = external("559", "2809")
    second_proxy_container(s["proxy"])
    assert ext_findings(run(s)) == [
        (d2_small(559, f"{PG_PART} + {PG_PART}", 560), s["proxy"].urn),
        (r2_small(2809, f"{REDIS_PART} + {REDIS_PART}", 2800), s["proxy"].urn),
    ]
    s["proxy"].props["metadata"]["annotations"] = {PG: "570", REDIS: "2810"}
    assert ext_findings(run(s)) == []


def test_every_proxy_workload_is_held_against_its_own_annotation_with_the_whole_budget():
    s = external("490", "2409")
    canary = second_proxy(s)
    canary.props["metadata"]["annotations"] = {PG: "489", REDIS: "2410"}
    # the autoscaler targets litellm-proxy only: the canary runs its 2 replicas, 2 × 2 + 1 in an update
    canary_rollout = (
        "5 instances (rollout 2R + S = 2 × 2 + 1: R = Deployment 'litellm-proxy-canary' replicas 2, S = maxSurge 1 of"
        " Deployment 'litellm-proxy-canary' (the default 25% of 2, rounded up); replaced pods keep their pools while they drain)"
    )
    pg_parts = f"{PG_PART} + {PG_PART.replace(ROLLOUT, canary_rollout)}"  # 280 + 200 = 480 connections
    redis_parts = f"{REDIS_PART} + {REDIS_PART.replace(ROLLOUT, canary_rollout)}"  # 1400 + 1000 = 2400 clients
    assert ext_findings(run(s)) == [
        (d2_small(489, pg_parts, 480, "Deployment 'litellm-proxy-canary'"), canary.urn),
        (r2_small(2409, redis_parts, 2400), s["proxy"].urn),
    ]


def test_the_pool_comes_from_the_proxy_config():
    """pool 3 × 4 workers × 7 instances = 84, + 10 reserve = 94."""
    s = external("94", "3000")
    update_config(s["config"], lambda d: d["general_settings"].update(database_connection_pool_limit=3))
    assert ext_findings(run(s)) == []  # with the pool of 10 this would be 290
    s["proxy"].props["metadata"]["annotations"][PG] = "93"
    part = PG_PART.replace("10 (pool 10", "3 (pool 3")
    assert ext_findings(run(s)) == [(d2_small(93, part, 84), s["proxy"].urn)]


# ---------------------------------------------------------------- a proxy whose connection is unknown at preview
#
# DATABASE_URL / REDIS_HOST from a Secret whose value is only known after apply: the proxy may
# connect to the managed server or not. It is neither skipped (a pass) nor a user for sure (a
# violation): what holds whether it connects or not is judged, the rest deferred.


def unknown_connection(s):
    s["secret"].props["stringData"]["database-url"] = UNKNOWN
    return s


def test_a_proxy_whose_connection_is_unknown_and_states_no_limit_defers():
    s = unknown_connection(external(pg=None))
    assert ext_findings(run(s, PROD_SETTINGS)) == [(defer("whether it connects to a postgres server outside the stack", D2_EXT), s["proxy"].urn)]


def test_a_proxy_whose_connection_is_unknown_is_judged_against_a_stated_limit():
    """A stated limit that holds the budget with the proxy counted passes whether it connects or not;
    one that does not is deferred (it is a violation only if the proxy connects)."""
    s = unknown_connection(external(pg="290"))
    assert ext_findings(run(s, PROD_SETTINGS)) == []
    s["proxy"].props["metadata"]["annotations"][PG] = "289"
    assert ext_findings(run(s, PROD_SETTINGS)) == [
        (defer(f"the connections budget against {PG} (whether {PROXY} connects to the postgres server)", D2_EXT), s["proxy"].urn)
    ]


def test_a_proxy_whose_connection_is_unknown_counts_in_the_budget_of_the_others():
    """The canary surely connects; the first proxy may. 200 + 10 fits 250 without it, not with it
    (280 more): deferred; what is over the limit without it is a violation."""
    s = external(pg="250")
    canary = second_proxy(s)
    canary.props["metadata"]["annotations"] = {PG: "250", REDIS: "3000"}
    set_env(container(canary), "DATABASE_URL", "postgresql://litellm@db.example.com:5432/litellm")
    unknown_connection(s)
    canary_label = "Deployment 'litellm-proxy-canary'"
    pending = defer(f"the connections budget against {PG} (whether {PROXY} connects to the postgres server)", D2_EXT)
    assert [(m, u) for m, u in ext_findings(run(s, PROD_SETTINGS)) if m.startswith("[D2]")] == [
        (pending, s["proxy"].urn),
        (pending.replace(f"of {PROXY}", f"of {canary_label}"), canary.urn),
    ]
    canary.props["metadata"]["annotations"][PG] = "209"
    canary_part = PG_PART.replace(ROLLOUT, CANARY_ROLLOUT)
    assert [(m, u) for m, u in ext_findings(run(s, PROD_SETTINGS)) if m.startswith("[D2]")] == [
        (pending, s["proxy"].urn),
        (d2_small(209, canary_part, 200, canary_label), canary.urn),
    ]

"""Sizing model (HARDENING.md): the budget invariants hold for every class, count and override.

Reference values are written down here, not read from components.hardening: the worked examples
of ../shared/HARDENING.md ("10 x 4 x 1 = 40 on the reference machine", "three standard instances
need 10 x 4 x 3 = 120") and its sizing table, plus the figures the README and the stack files
document (10 connections reserved, Redis 50 per worker + 10, and the instances of an update:
2R + S on Kubernetes' RollingUpdate, R where the old instance exits first). A wrong constant or
formula in the module then fails here instead of being restated.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.errors import ConfigError
from components.sizing import (
    DOCKER_ROLLOUT,
    KUBERNETES_ROLLOUT,
    MACHINE_CLASSES,
    ROLLOUTS,
    Resources,
    Rollout,
    admission_cap,
    plan_sizing,
    rollout_instances,
)

#: HARDENING.md "Sizing model": class -> (vCPU, memory MiB, workers, DB connections per instance)
SIZING_TABLE = {
    "small": (2, 4096, 2, 20),
    "standard": (4, 8192, 4, 40),
    "large": (8, 16384, 8, 80),
    "xlarge": (16, 32768, 16, 160),
}
POOL_PER_WORKER = 10  # D1
DB_RESERVE = 10  # D2: README "pool x workers x max instances + 10 reserved"
REDIS_PER_WORKER = 50  # R2: 50 per worker (seed 000)
REDIS_RESERVE = 10  # R2: redis-cli, health checks (README, Redis maxclients 110 on dev)
REQUEST_TIMEOUT = 600  # P7
STOPWAITSECS = 3600  # P4
DRAIN_MARGIN = 30  # P9: graceful = longest request + 30 s, stop grace = graceful + 30 s

#: Updates for the tests that count instances outside them: the old instance has exited before
#: the new one starts (Docker's delete-then-create, a Deployment's Recreate), so instances = R.
ONE_AT_A_TIME = Rollout("one at a time", max_surge=0, overlap=False)

classes = st.sampled_from(sorted(MACHINE_CLASSES))
instances = st.integers(min_value=1, max_value=50)
rollouts = st.builds(Rollout, st.just("drawn"), st.integers(0, 10), st.booleans())
relaxed = settings(deadline=None)  # these machines are shared: no per-example deadline


@st.composite
def sizing_inputs(draw):
    cls = draw(classes)
    vcpu = SIZING_TABLE[cls][0]
    return dict(
        machine_class=cls,
        max_instances=draw(instances),
        rollout=draw(rollouts),
        workers=draw(st.one_of(st.none(), st.integers(1, vcpu))),
        db_pool_per_worker=draw(st.one_of(st.none(), st.integers(1, 100))),
        longest_request_seconds=draw(st.integers(1, 7200)),
    )


def test_reference_machine_d1_d2_p1_four_workers_times_ten_is_forty_connections():
    plan = plan_sizing("standard", 1, rollout=ONE_AT_A_TIME)
    assert (plan.workers, plan.db_pool_per_worker, plan.db_connections) == (4, 10, 40)
    assert plan.postgres_max_connections == 50  # 40 + 10 reserved


def test_d2_three_standard_instances_need_120_connections():
    plan = plan_sizing("standard", 3, rollout=ONE_AT_A_TIME)
    assert (plan.max_instances, plan.db_connections, plan.postgres_max_connections) == (3, 120, 130)


def test_d2_three_standard_instances_in_a_rolling_update_need_280_connections():
    """The same three, rolled with maxSurge 1: 3 new + 1 surge + 3 old still draining = 7 pods."""
    plan = plan_sizing("standard", 3, rollout=Rollout("RollingUpdate", max_surge=1, overlap=True))
    assert (plan.max_instances, plan.rollout_instances, plan.db_connections, plan.postgres_max_connections) == (3, 7, 280, 290)
    assert (plan.redis_clients, plan.redis_maxclients) == (1400, 1410)


#: D2/R2 by hand for the standard class (4 workers: 40 DB connections and 200 Redis clients per
#: instance), README "Connection budget during updates": (R, maxSurge, old instances drain beside
#: new ones, instances in an update, Postgres max_connections, Redis maxclients).
ROLLOUT_TABLE = [
    (1, 0, False, 1, 50, 210),  # one instance replaced delete-then-create (Docker)
    (5, 0, False, 5, 210, 1010),  # a Deployment's Recreate: 5
    (4, 1, True, 9, 370, 1810),  # replicas 2, autoscaler maximum 4, maxSurge 1: 2 x 4 + 1
    (6, 1, True, 13, 530, 2610),  # Pulumi.prod.yaml: maximum 6, maxSurge 1: 2 x 6 + 1
    (8, 1, True, 17, 690, 3410),  # tests/kube raises the maximum to 8: 2 x 8 + 1
    (3, 0, True, 6, 250, 1210),  # maxSurge 0 (maxUnavailable 1): the draining pods still overlap
    (5, 2, True, 12, 490, 2410),  # maxSurge 2: 2 x 5 + 2
]


@pytest.mark.parametrize(("r", "surge", "overlap", "expected", "max_connections", "maxclients"), ROLLOUT_TABLE)
def test_d2_r2_reference_values_of_an_update(r, surge, overlap, expected, max_connections, maxclients):
    rollout = Rollout("table", max_surge=surge, overlap=overlap)
    assert rollout_instances(r, rollout) == expected
    plan = plan_sizing("standard", r, rollout=rollout)
    assert (plan.max_instances, plan.rollout_max_surge, plan.rollout_instances) == (r, surge, expected)
    assert (plan.postgres_max_connections, plan.redis_maxclients) == (max_connections, maxclients)


def test_d2_r2_each_platforms_update_as_documented():
    """README: Docker replaces its one container delete-then-create; Kubernetes rolls the proxy
    Deployment with maxSurge 1 (and maxUnavailable 0), replaced pods draining beside the new ones."""
    assert (DOCKER_ROLLOUT.max_surge, DOCKER_ROLLOUT.overlap) == (0, False)
    assert (KUBERNETES_ROLLOUT.strategy, KUBERNETES_ROLLOUT.max_surge, KUBERNETES_ROLLOUT.overlap) == ("RollingUpdate", 1, True)
    assert ROLLOUTS == {"docker": DOCKER_ROLLOUT, "kubernetes": KUBERNETES_ROLLOUT}


def test_the_committed_stacks_figures():
    """What the README and tests/test_components.py show for dev (small, 1 instance) and prod
    (standard, autoscaler maximum 6 rolled with maxSurge 1, a 900 s model)."""
    dev = plan_sizing("small", 1, rollout=DOCKER_ROLLOUT)
    assert dev.rollout_instances == 1
    assert (dev.postgres_max_connections, dev.redis_clients, dev.redis_maxclients, dev.redis_maxmemory_mib) == (30, 100, 110, 384)
    assert (dev.graceful_shutdown_seconds, dev.stop_grace_seconds, dev.supervisord_stopwaitsecs) == (630, 660, 3600)
    prod = plan_sizing("standard", 6, rollout=KUBERNETES_ROLLOUT, longest_request_seconds=900)
    assert (prod.max_instances, prod.rollout_max_surge, prod.rollout_instances) == (6, 1, 13)  # 2 x 6 + 1
    assert (prod.db_connections, prod.postgres_max_connections, prod.redis_clients, prod.redis_maxclients) == (520, 530, 2600, 2610)
    assert (prod.request_timeout_seconds, prod.graceful_shutdown_seconds, prod.stop_grace_seconds) == (900, 930, 960)
    assert (prod.proxy_resources.cpu, prod.proxy_resources.memory) == ("4000m", "3072Mi")


@pytest.mark.parametrize("cls", sorted(SIZING_TABLE))
def test_sizing_table_of_every_class(cls):
    vcpu, memory_mib, workers, per_instance = SIZING_TABLE[cls]
    assert (MACHINE_CLASSES[cls].vcpu, MACHINE_CLASSES[cls].memory_mib) == (vcpu, memory_mib)
    plan = plan_sizing(cls, 1, rollout=ONE_AT_A_TIME)
    assert (plan.machine_class, plan.vcpu, plan.workers, plan.db_pool_per_worker) == (cls, vcpu, workers, POOL_PER_WORKER)
    assert plan.db_connections == per_instance
    assert plan.postgres_max_connections == per_instance + DB_RESERVE
    assert plan.recycle_workers is True  # P8: every class has >= 2 vCPU
    assert plan.request_timeout_seconds == REQUEST_TIMEOUT


#: P5/R3: resources of each class as deployed (cpu millis, memory MiB): proxy = 1 CPU per worker
#: and 1024 MiB + 512 MiB per worker (measured, hardening.py); Postgres = a quarter of the class's
#: memory and a quarter CPU per vCPU (at least one CPU); Redis = half a CPU and an eighth of the
#: memory, maxmemory three quarters of that.
RESOURCES_TABLE = {
    "small": ((2000, 2048), (1000, 1024), (500, 512), 384),
    "standard": ((4000, 3072), (1000, 2048), (500, 1024), 768),
    "large": ((8000, 5120), (2000, 4096), (500, 2048), 1536),
    "xlarge": ((16000, 9216), (4000, 8192), (500, 4096), 3072),
}


@pytest.mark.parametrize("cls", sorted(RESOURCES_TABLE))
def test_p5_r3_resources_of_every_class(cls):
    proxy, postgres, redis, maxmemory = RESOURCES_TABLE[cls]
    plan = plan_sizing(cls, 2, rollout=ONE_AT_A_TIME)
    assert (plan.proxy_resources.cpu_millis, plan.proxy_resources.memory_mib) == proxy
    assert (plan.postgres_resources.cpu_millis, plan.postgres_resources.memory_mib) == postgres
    assert (plan.redis_resources.cpu_millis, plan.redis_resources.memory_mib) == redis
    assert plan.redis_maxmemory_mib == maxmemory


def test_resources_render_as_kubernetes_quantities():
    r = Resources(cpu_millis=1500, memory_mib=768)
    assert (r.cpu, r.memory) == ("1500m", "768Mi")


def test_capacity_report_is_flat_and_keeps_integers():
    report = plan_sizing("standard", 3, rollout=ONE_AT_A_TIME).as_report()
    assert report["proxy_resources_cpu_millis"] == 4000 and report["proxy_resources_memory_mib"] == 3072
    assert report["postgres_resources_cpu_millis"] == 1000 and report["redis_resources_memory_mib"] == 1024
    assert report["db_connections"] == 120 and report["machine_class"] == "standard"
    assert report["recycle_workers"] is True
    assert not any(isinstance(v, dict) for v in report.values())
    assert "proxy_resources" not in report


@pytest.mark.parametrize(
    ("target_s", "cap"),
    [
        # worked by hand: 12.5 ms of CPU per request -> 80 a second per worker; p99 = 2 x mean at
        # saturation, so a worker may hold 80 x target / 2
        (1, 40), (2.5, 100), (30, 1200), (0.1, 4), (600, 24000),
    ],
)  # fmt: skip
def test_f6_admission_cap_from_the_target_latency(target_s, cap):
    assert {
        plan_sizing(c, 1, rollout=ONE_AT_A_TIME, admission_target_seconds=target_s).max_in_flight_per_worker
        for c in SIZING_TABLE
    } == {cap}


def test_f6_the_default_target_admits_1200_per_worker():
    plan = plan_sizing("small", 1, rollout=ONE_AT_A_TIME)
    assert (plan.admission_target_seconds, plan.max_in_flight_per_worker) == (30, 1200)


@given(st.floats(min_value=0.1, max_value=600), st.floats(min_value=0.1, max_value=600))
def test_f6_a_longer_target_never_admits_fewer(a, b):
    low, high = sorted((a, b))
    assert 1 <= admission_cap(low) <= admission_cap(high)


@pytest.mark.parametrize("target_s", [0, 0.05, -1, 601])
def test_f6_a_target_outside_its_range_is_refused_naming_the_key(target_s):
    with pytest.raises(ConfigError) as err:
        plan_sizing("small", 1, rollout=ONE_AT_A_TIME, admission_target_seconds=target_s)
    (problem,) = err.value.problems
    assert (problem.key, problem.found, problem.rule) == ("admissionTargetSeconds", f"{target_s:g}", "F6")
    assert problem.allowed == (
        "between 0.1 and the request timeout (600 s, P7): the p99 latency, upstream included, admitted requests keep"
        " while the proxy is saturated"
    )


def test_f6_a_worker_always_admits_at_least_one_request():
    assert admission_cap(0.02) == admission_cap(0.001) == 1


def test_r2_an_external_redis_too_small_names_its_setting():
    with pytest.raises(ConfigError) as err:
        plan_sizing("small", 2, rollout=ONE_AT_A_TIME, redis_maxclients=100)
    (problem,) = err.value.problems
    assert (problem.key, problem.found, problem.rule) == ("redis.external.maxClients", "100", "R2")


@relaxed
@given(sizing_inputs())
def test_d2_r2_budgets_hold_for_every_input(inputs):
    plan = plan_sizing(**inputs)
    workers = inputs["workers"] or SIZING_TABLE[inputs["machine_class"]][0]
    pool = inputs["db_pool_per_worker"] or POOL_PER_WORKER
    r, rollout = inputs["max_instances"], inputs["rollout"]
    n = 2 * r + rollout.max_surge if rollout.overlap else r  # README: 2R + S, or R
    assert (plan.workers, plan.db_pool_per_worker, plan.max_instances, plan.rollout_instances) == (workers, pool, r, n)
    assert plan.db_connections == pool * workers * n
    assert plan.postgres_max_connections == plan.db_connections + DB_RESERVE
    assert plan.redis_clients == REDIS_PER_WORKER * workers * n
    assert plan.redis_maxclients == plan.redis_clients + REDIS_RESERVE


@relaxed
@given(classes, instances)
def test_d2_connections_grow_linearly_with_instances(cls, n):
    one, many = plan_sizing(cls, 1, rollout=ONE_AT_A_TIME), plan_sizing(cls, n, rollout=ONE_AT_A_TIME)
    assert many.db_connections == n * one.db_connections
    assert many.redis_clients == n * one.redis_clients
    assert many.postgres_max_connections - many.db_connections == one.postgres_max_connections - one.db_connections


@relaxed
@given(instances, rollouts)
def test_d2_r2_an_update_never_counts_fewer_than_the_replicas(r, rollout):
    n = rollout_instances(r, rollout)
    assert n >= r
    assert (n >= 2 * r) == rollout.overlap  # overlapping: every replaced instance can still drain
    assert rollout_instances(r + 1, rollout) > n
    assert rollout_instances(r, rollout._replace(max_surge=rollout.max_surge + 1)) == n + rollout.overlap


@relaxed
@given(sizing_inputs())
def test_p1_p5_p8_workers_fit_the_class_and_cpu_matches_workers(inputs):
    plan = plan_sizing(**inputs)
    assert 1 <= plan.workers <= plan.vcpu == SIZING_TABLE[inputs["machine_class"]][0]
    assert plan.proxy_resources.cpu_millis == plan.workers * 1000
    assert plan.proxy_resources.cpu == f"{plan.workers * 1000}m"
    assert plan.proxy_resources.memory_mib == 1024 + 512 * plan.workers
    assert plan.recycle_workers == (plan.workers >= 2)


@relaxed
@given(sizing_inputs())
def test_p4_p9_shutdown_timeouts_are_ordered(inputs):
    plan = plan_sizing(**inputs)
    longest = inputs["longest_request_seconds"]
    assert plan.request_timeout_seconds == longest
    assert plan.graceful_shutdown_seconds == longest + DRAIN_MARGIN
    assert plan.stop_grace_seconds == longest + 2 * DRAIN_MARGIN
    assert plan.supervisord_stopwaitsecs == max(STOPWAITSECS, plan.stop_grace_seconds)
    assert plan.request_timeout_seconds <= plan.graceful_shutdown_seconds < plan.stop_grace_seconds <= plan.supervisord_stopwaitsecs


@relaxed
@given(sizing_inputs())
def test_r3_redis_memory_bounded_below_its_limit(inputs):
    plan = plan_sizing(**inputs)
    assert 0 < plan.redis_maxmemory_mib < plan.redis_resources.memory_mib
    assert plan.redis_resources.memory_mib + plan.postgres_resources.memory_mib < MACHINE_CLASSES[plan.machine_class].memory_mib


@relaxed
@given(sizing_inputs(), st.integers(1, 5000))
def test_d2_explicit_max_connections_accepted_only_when_it_holds_the_budget(inputs, explicit):
    plan = plan_sizing(**inputs)
    needed = plan.db_connections + DB_RESERVE
    if explicit >= needed:
        assert plan_sizing(**inputs, postgres_max_connections=explicit).postgres_max_connections == explicit
    else:
        with pytest.raises(ConfigError, match=rf"\[D2\].*postgresMaxConnections = {explicit}: at least {needed}") as err:
            plan_sizing(**inputs, postgres_max_connections=explicit)
        assert (
            f"pool {plan.db_pool_per_worker} x {plan.workers} workers x {plan.rollout_instances} instances"
            f" = {plan.db_connections}, plus {DB_RESERVE} reserved; instances in an update: "
        ) in str(err.value)


def test_d2_refusal_shows_the_update_formula_with_its_numbers():
    """Prod's 250 held the autoscaler's 6 pods, not a rolling update's 13."""
    with pytest.raises(ConfigError) as err:
        plan_sizing("standard", 6, rollout=KUBERNETES_ROLLOUT, postgres_max_connections=250)
    assert [str(p) for p in err.value.problems] == [
        "[D2] litellm-gateway:postgresMaxConnections = 250: at least 530: pool 10 x 4 workers x 13 instances = 520,"
        " plus 10 reserved; instances in an update: 13 = 2 x 6 + 1 (RollingUpdate, maxSurge 1: the replaced"
        " instances keep their pools while they drain)"
    ]
    with pytest.raises(ConfigError, match=r"instances in an update: 1 \(delete-then-create: the old instance exits before"):
        plan_sizing("small", 1, rollout=DOCKER_ROLLOUT, postgres_max_connections=29)


def test_d2_explicit_max_connections_at_exactly_the_budget_is_accepted():
    assert plan_sizing("standard", 1, rollout=ONE_AT_A_TIME, postgres_max_connections=50).postgres_max_connections == 50
    with pytest.raises(ConfigError, match=r"postgresMaxConnections = 49: at least 50"):
        plan_sizing("standard", 1, rollout=ONE_AT_A_TIME, postgres_max_connections=49)


@relaxed
@given(classes, st.integers(-3, 40))
def test_p1_worker_override_above_vcpu_is_refused(cls, workers):
    vcpu = SIZING_TABLE[cls][0]
    if 1 <= workers <= vcpu:
        assert plan_sizing(cls, 1, rollout=ONE_AT_A_TIME, workers=workers).workers == workers
    else:
        with pytest.raises(ConfigError, match=rf"\[P1\].*workers = {workers}: between 1 and the {vcpu} vCPU of class {cls}$"):
            plan_sizing(cls, 1, rollout=ONE_AT_A_TIME, workers=workers)


def test_p8_one_worker_does_not_recycle():
    assert plan_sizing("small", 1, rollout=ONE_AT_A_TIME, workers=1).recycle_workers is False
    assert plan_sizing("small", 1, rollout=ONE_AT_A_TIME, workers=2).recycle_workers is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_instances": 0}, "[D2] litellm-gateway:replicas = 0: at least 1 proxy instance"),
        ({"max_instances": 1, "db_pool_per_worker": 0}, "[D1] litellm-gateway:dbPoolPerWorker = 0: at least 1"),
        ({"max_instances": 1, "longest_request_seconds": 0}, "[P7] litellm-gateway:models[].timeout = 0: at least 1 second"),
    ],
)
def test_counts_below_one_are_refused_naming_key_and_rule(kwargs, message):
    with pytest.raises(ConfigError) as err:
        plan_sizing("standard", rollout=ONE_AT_A_TIME, **kwargs)
    assert [str(p) for p in err.value.problems] == [message]


def test_smallest_valid_counts_are_accepted():
    plan = plan_sizing("small", 1, rollout=ONE_AT_A_TIME, workers=1, db_pool_per_worker=1, longest_request_seconds=1)
    assert (plan.db_connections, plan.postgres_max_connections, plan.graceful_shutdown_seconds) == (1, 11, 31)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        plan_sizing("small", 0, rollout=ONE_AT_A_TIME, workers=3, db_pool_per_worker=0, longest_request_seconds=0)
    assert [p.rule for p in err.value.problems] == ["D2", "P1", "D1", "P7"]


def test_unknown_class_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="machineClass = 'huge': must be one of small, standard, large, xlarge"):
        plan_sizing("huge", 1, rollout=ONE_AT_A_TIME)

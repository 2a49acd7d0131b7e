"""Sizing model (HARDENING.md): the budget invariants hold for every class, count and override."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import hardening as h
from components.errors import ConfigError
from components.sizing import MACHINE_CLASSES, plan_sizing

classes = st.sampled_from(sorted(MACHINE_CLASSES))
instances = st.integers(min_value=1, max_value=50)


@st.composite
def sizing_inputs(draw):
    cls = draw(classes)
    vcpu = MACHINE_CLASSES[cls].vcpu
    return dict(
        machine_class=cls,
        max_instances=draw(instances),
        workers=draw(st.one_of(st.none(), st.integers(1, vcpu))),
        db_pool_per_worker=draw(st.one_of(st.none(), st.integers(1, 100))),
        longest_request_seconds=draw(st.integers(1, 7200)),
    )


def test_reference_machine_d1_d2_p1_four_workers_times_ten_is_forty_connections():
    plan = plan_sizing("standard", 1)
    assert (plan.workers, plan.db_pool_per_worker, plan.db_connections) == (4, 10, 40)
    assert plan.postgres_max_connections == 40 + h.DB_RESERVED_CONNECTIONS


def test_d2_three_standard_instances_need_120_connections():
    plan = plan_sizing("standard", 3)
    assert plan.db_connections == 120
    assert plan.postgres_max_connections >= 120


@pytest.mark.parametrize(("cls", "workers"), [("small", 2), ("standard", 4), ("large", 8), ("xlarge", 16)])
def test_p1_workers_equal_vcpu_for_every_class(cls, workers):
    assert plan_sizing(cls, 1).workers == workers == MACHINE_CLASSES[cls].vcpu


@given(sizing_inputs())
def test_d2_r2_budgets_hold_for_every_input(inputs):
    plan = plan_sizing(**inputs)
    assert plan.db_connections == plan.db_pool_per_worker * plan.workers * plan.max_instances
    assert plan.postgres_max_connections >= plan.db_connections + h.DB_RESERVED_CONNECTIONS
    assert plan.redis_clients == h.REDIS_POOL_PER_WORKER * plan.workers * plan.max_instances
    assert plan.redis_maxclients >= plan.redis_clients + h.REDIS_RESERVED_CLIENTS


@given(sizing_inputs())
def test_p1_p5_p8_workers_fit_the_class_and_cpu_matches_workers(inputs):
    plan = plan_sizing(**inputs)
    assert 1 <= plan.workers <= plan.vcpu
    assert plan.proxy_resources.cpu_millis == plan.workers * 1000
    assert plan.proxy_resources.memory_mib >= h.WORKER_MEMORY_MIB * plan.workers
    assert plan.recycle_workers == (plan.workers >= 2)


@given(sizing_inputs())
def test_p4_p9_shutdown_timeouts_are_ordered(inputs):
    plan = plan_sizing(**inputs)
    assert plan.request_timeout_seconds <= plan.graceful_shutdown_seconds < plan.stop_grace_seconds
    assert plan.stop_grace_seconds <= plan.supervisord_stopwaitsecs
    assert plan.supervisord_stopwaitsecs >= h.SUPERVISORD_STOPWAITSECS


@given(sizing_inputs())
def test_r3_redis_memory_bounded_below_its_limit(inputs):
    plan = plan_sizing(**inputs)
    assert 0 < plan.redis_maxmemory_mib < plan.redis_resources.memory_mib


@given(sizing_inputs(), st.integers(1, 5000))
def test_d2_explicit_max_connections_accepted_only_when_it_holds_the_budget(inputs, explicit):
    needed = plan_sizing(**inputs).postgres_max_connections
    if explicit >= needed:
        assert plan_sizing(**inputs, postgres_max_connections=explicit).postgres_max_connections == explicit
    else:
        with pytest.raises(ConfigError, match=rf"\[D2\].*postgresMaxConnections = {explicit}: at least {needed}"):
            plan_sizing(**inputs, postgres_max_connections=explicit)


@given(classes, st.integers(-3, 40))
def test_p1_worker_override_above_vcpu_is_refused(cls, workers):
    vcpu = MACHINE_CLASSES[cls].vcpu
    if 1 <= workers <= vcpu:
        assert plan_sizing(cls, 1, workers=workers).workers == workers
    else:
        with pytest.raises(ConfigError, match=rf"\[P1\].*workers = {workers}: between 1 and the {vcpu} vCPU"):
            plan_sizing(cls, 1, workers=workers)


def test_unknown_class_names_the_allowed_ones():
    with pytest.raises(ConfigError, match="machineClass = 'huge': must be one of small, standard, large, xlarge"):
        plan_sizing("huge", 1)

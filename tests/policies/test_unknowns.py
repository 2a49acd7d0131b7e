"""Unknown values during preview: rules never crash, never pass silently (they defer,
reported as advisory by the litellm-deferred-* policies), and an unknown value alone is
not turned into a definite violation."""

import contextlib
import copy
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from .policy_fixtures import container, docker_stack, k8s_stack, real, run

from litellm_policies import UNKNOWN, Resource
from litellm_policies.model import UNKNOWN_SENTINELS, _Unknown

SENTINEL_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _paths(value, prefix=()):
    """Every path to a dict value / list item (leaves and inner nodes)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from _paths(v, prefix + (i,))


def _set(value, path, new):
    for p in path[:-1]:
        value = value[p]
    value[path[-1]] = new


def _all_paths(stack):
    return [(name, path) for name, res in stack.items() for path in _paths(res.props)]


K8S_PATHS = _all_paths(k8s_stack())
DOCKER_PATHS = _all_paths(docker_stack())

# Replacing these with an unknown legitimately changes the verdict on a compliant stack:
# a secret-named env var whose literal value is computed is plaintext in the pod spec (S4).
ALLOWED = {"S4"}


@contextlib.contextmanager
def strict_unknowns():
    """Truth-testing an unknown raises: shows every place where a rule would treat an
    unknown value as false (e.g. `value or default`) instead of deferring."""

    def boom(self):
        raise AssertionError("an unknown value was truth-tested")

    old = _Unknown.__bool__
    _Unknown.__bool__ = boom
    try:
        yield
    finally:
        _Unknown.__bool__ = old


def _inject(builder, picks):
    stack = builder()
    for name, path in picks:
        try:
            _set(stack[name].props, path, UNKNOWN)
        except (KeyError, IndexError, TypeError):
            pass  # an ancestor was already replaced
    return stack


FUZZ = settings(
    max_examples=int(os.environ.get("POLICY_FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    derandomize=os.environ.get("POLICY_FUZZ_RANDOM") is None,  # deterministic in CI
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(st.lists(st.sampled_from(K8S_PATHS), min_size=1, max_size=6))
def test_unknowns_anywhere_k8s(picks):
    with strict_unknowns():
        vs = run(_inject(k8s_stack, picks))  # run() asserts: no rule error, message invariants
    bad = [v.message for v in real(vs) if v.rule_id not in ALLOWED]
    assert not bad, (picks, bad)


@FUZZ
@given(st.lists(st.sampled_from(DOCKER_PATHS), min_size=1, max_size=6))
def test_unknowns_anywhere_docker(picks):
    with strict_unknowns():
        vs = run(_inject(docker_stack, picks))
    bad = [v.message for v in real(vs) if v.rule_id not in ("N4",) + tuple(ALLOWED)]
    assert not bad, (picks, bad)


def test_sentinel_strings_become_unknown():
    r = Resource.make("kubernetes:core/v1:ConfigMap", "c", {"data": {"config.yaml": SENTINEL_STRING, "x": [SENTINEL_STRING]}})
    assert r.props["data"]["config.yaml"] is UNKNOWN and r.props["data"]["x"][0] is UNKNOWN
    assert SENTINEL_STRING in UNKNOWN_SENTINELS and len(UNKNOWN_SENTINELS) == 7


def test_preview_of_a_first_deployment():
    """What `pulumi preview` of a new stack looks like: generated secrets, auto-named
    objects' names and computed config are unknown. Nothing is a violation; the checks
    that need those values are deferred (advisory), none is silently passed."""
    stack = k8s_stack()
    for k in stack["secret"].props["stringData"]:
        stack["secret"].props["stringData"][k] = SENTINEL_STRING
    stack["config"].props["data"]["config.yaml"] = SENTINEL_STRING
    stack["hpa"].props["spec"]["maxReplicas"] = SENTINEL_STRING
    stack = {k: Resource.make(v.type, v.name, v.props, v.protect, v.dependencies, v.property_dependencies, v.urn) for k, v in stack.items()}
    vs = run(stack)
    assert not real(vs)
    deferred_rules = {v.rule_id for v in vs if v.deferred}
    # config rules (resource policies) and budget/shutdown rules (stack policies) wait for apply
    assert {"D1", "D3", "D4", "F3", "F4", "P7", "D2", "R2", "P4", "P9", "S3", "S6"} <= deferred_rules
    assert {v.policy_name for v in vs if v.deferred} == {"litellm-deferred-resource-checks", "litellm-deferred-stack-checks"}


def test_whole_spec_unknown_does_not_crash():
    stack = k8s_stack()
    stack["proxy"].props["spec"] = UNKNOWN
    stack["postgres"].props["spec"]["template"] = UNKNOWN
    stack["redis"].props = {}
    run(stack)


def test_docker_env_entries_unknown_defer_env_checks():
    stack = docker_stack()
    envs = stack["proxy"].props["envs"]
    stack["proxy"].props["envs"] = [UNKNOWN if e.startswith(("LITELLM_LOG", "LITELLM_SALT_KEY")) else e for e in envs]
    vs = run(stack)
    deferred = [v for v in vs if v.deferred]
    assert any(v.rule_id == "P6" and "`envs` entry is unknown" in v.message for v in deferred)
    assert any(v.rule_id == "S1" for v in deferred)
    assert not [v for v in real(vs) if v.rule_id in ("P6", "S1")]


def test_unknown_env_value_is_deferred_not_passed():
    stack = k8s_stack()
    c = container(stack["proxy"])
    for e in c["env"]:
        if e["name"] == "DISABLE_SCHEMA_UPDATE":
            e["value"] = UNKNOWN
    vs = run(copy.deepcopy(stack))
    assert [v.rule_id for v in vs if v.deferred] == ["D5"]


JUNK = st.sampled_from([None, 0, -1, 1.5, True, "", "x", "0", [], {}, [None], {"a": None}, UNKNOWN])


def _junk(builder, picks):
    stack = builder()
    for (name, path), value in picks:
        try:
            _set(stack[name].props, path, copy.deepcopy(value))
        except (KeyError, IndexError, TypeError):
            pass
    return stack


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(K8S_PATHS + DOCKER_PATHS), JUNK), min_size=1, max_size=8), st.booleans())
def test_malformed_values_never_crash_a_rule(picks, use_docker):
    """Whatever a program puts in a property, a rule reports or defers; it never raises
    (run() asserts there is no 'rule error' finding)."""
    paths = DOCKER_PATHS if use_docker else K8S_PATHS
    picks = [(p, v) for p, v in picks if p in paths] or [(paths[0], None)]
    run(_junk(docker_stack if use_docker else k8s_stack, picks))

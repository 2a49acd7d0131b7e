"""The pack as a whole: names, configs, evaluate() on mocks-style tuples, and the
CrossGuard adapter driven through pulumi_policy's own analyzer servicer."""

import json
import os
import re
import runpy
import sys

import pytest
from google.protobuf import struct_pb2
from .policy_fixtures import container, docker_stack, k8s_stack, real, run

import litellm_policies
from litellm_policies import enforcement_for, evaluate, policy_names, specs

POLICIES_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "policies"))
REPO_ROOT = os.path.dirname(POLICIES_DIR)
# The rule catalogue sits beside the repository in every checkout and in CI (README).
HARDENING = os.path.join(REPO_ROOT, "..", "shared", "HARDENING.md")
SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Rule IDs that cannot be judged from resource properties (see policies/README.md).
NOT_JUDGEABLE = {"P11"}


def load(name):
    with open(os.path.join(POLICIES_DIR, "config", name)) as f:
        return json.load(f)


def test_policy_names_follow_convention():
    for s in specs():
        assert re.fullmatch(r"litellm-[a-z]\d+-[a-z0-9-]+", s.name), s.name
        assert s.name.startswith(f"litellm-{s.rule_id.lower()}-")
        assert f"{s.rule_id}:" in s.description and "Fix:" in s.description
    assert len(set(policy_names())) == len(policy_names())


def catalogue_rule_ids(text: str) -> set[str]:
    """Rule IDs of HARDENING.md: the first cell of each rule table's rows."""
    return set(re.findall(r"^\| ([A-Z]\d+) \|", text, re.M))


def test_every_judgeable_rule_id_has_a_policy():
    assert os.path.isfile(HARDENING), f"the rule catalogue is missing: expected at {os.path.normpath(HARDENING)} (../shared/HARDENING.md from the repository root)"
    with open(HARDENING) as f:
        catalogue = catalogue_rule_ids(f.read())
    # every section of the catalogue was parsed (a changed table layout must not shrink the check)
    assert {"S1", "D7", "R3", "P11", "H3", "F6", "O3", "N4"} <= catalogue, sorted(catalogue)
    ids = {s.rule_id for s in specs()}
    assert catalogue - NOT_JUDGEABLE <= ids, sorted(catalogue - NOT_JUDGEABLE - ids)


def test_catalogue_parser_sees_a_new_rule_the_pack_lacks():
    """The check above can fail: a rule added to the catalogue without a policy is named."""
    ids = {s.rule_id for s in specs()}
    with open(HARDENING) as f:
        text = f.read() + "\n| X9 | a rule added later | - |\n"
    assert sorted(catalogue_rule_ids(text) - NOT_JUDGEABLE - ids) == ["X9"]


def test_config_files_cover_every_policy():
    prod, dev = load("prod.json"), load("dev.json")
    assert set(prod) == set(dev) == set(policy_names())
    deferred = {litellm_policies.DEFERRED_RESOURCE_POLICY, litellm_policies.DEFERRED_STACK_POLICY}
    assert all(prod[n] == "mandatory" for n in prod if n not in deferred)
    assert all(prod[n] == dev[n] == "advisory" for n in deferred)
    for s in specs():
        assert dev[s.name] == s.dev
        if s.rule_id.startswith("S"):
            assert dev[s.name] == "mandatory", s.name
    for scale_rule in ("litellm-d2-connection-budget", "litellm-r2-redis-client-budget", "litellm-n4-replicas-and-pdb", "litellm-p1-workers-match-cpu"):
        assert dev[scale_rule] == "advisory"


def test_enforcement_config_semantics():
    assert enforcement_for("litellm-d1-db-pool-limit", None) == "mandatory"
    assert enforcement_for("litellm-d1-db-pool-limit", {"all": "advisory"}) == "advisory"
    assert enforcement_for("litellm-d1-db-pool-limit", {"all": "advisory", "litellm-d1-db-pool-limit": {"enforcementLevel": "disabled"}}) == "disabled"
    st = k8s_stack()
    st["config"].props["data"]["config.yaml"] = st["config"].props["data"]["config.yaml"].replace("proxy_batch_write_at: 60", "proxy_batch_write_at: 30")
    assert [(v.rule_id, v.enforcement) for v in real(run(st, load("dev.json")))] == [("D3", "advisory")]
    assert [(v.rule_id, v.enforcement) for v in real(run(st, load("prod.json")))] == [("D3", "mandatory")]
    assert not real(run(st, {"litellm-d3-batch-spend-writes": "disabled"}))


def test_evaluate_accepts_mocks_tuples():
    st = k8s_stack()
    tuples = [(r.type, r.name, r.props, r.protect, [d.rsplit("::", 1)[-1] for d in r.dependencies], r.property_dependencies) for r in st.values()]
    assert not evaluate(tuples)
    # dependencies recorded by name still order the proxy after the migration job (D5)
    tuples = [t if t[1] != "litellm-proxy" else t[:4] + ([],) + t[5:] for t in tuples]
    assert [v.rule_id for v in evaluate(tuples)] == ["D5"]


def test_violation_fields():
    st = k8s_stack()
    st["random_salt"].protect = False
    (v,) = real(run(st))
    assert (v.policy_name, v.rule_id, v.urn, v.enforcement) == (
        "litellm-s1-salt-resource-protected",
        "S1",
        st["random_salt"].urn,
        "mandatory",
    )


# ---------------------------------------------------------------- the CrossGuard adapter


def _struct(d):
    s = struct_pb2.Struct()
    s.update(d)
    return s


@pytest.fixture
def servicer():
    from pulumi_policy.policy import EnforcementLevel, _PolicyAnalyzerServicer

    from litellm_policies.adapter import PACK_NAME, build_policies

    return _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", build_policies(), EnforcementLevel.MANDATORY)


def _analyze(servicer, res):
    from pulumi.runtime import proto

    req = proto.AnalyzeRequest(
        type=res.type,
        properties=_struct(res.props),
        urn=res.urn,
        name=res.name,
        options=proto.AnalyzerResourceOptions(protect=res.protect),
    )
    return servicer.Analyze(req, None).diagnostics


def _analyze_stack(servicer, resources):
    from pulumi.runtime import proto

    rs = [
        proto.AnalyzerResource(
            type=r.type,
            properties=_struct(r.props),
            urn=r.urn,
            name=r.name,
            options=proto.AnalyzerResourceOptions(protect=r.protect),
            dependencies=r.dependencies,
            propertyDependencies={k: proto.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()},
        )
        for r in resources
    ]
    return servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=rs), None).diagnostics


def test_adapter_resource_policy_with_unknowns(servicer):
    from pulumi.runtime import proto

    st = k8s_stack()
    c = container(st["proxy"])
    c["image"] = "ghcr.io/berriai/litellm:main-latest"
    for e in c["env"]:
        if e["name"] == "LITELLM_LOG":
            e["value"] = SENTINEL  # computed during preview
    diags = _analyze(servicer, st["proxy"])
    by = {d.policyName: d for d in diags}
    assert set(by) == {"litellm-n2-image-pinned"}  # deferrals are reported with the whole stack
    assert by["litellm-n2-image-pinned"].enforcementLevel == proto.MANDATORY
    assert "[N2]" in by["litellm-n2-image-pinned"].message
    stack_diags = _analyze_stack(servicer, st.values())
    by = {d.policyName: d for d in stack_diags}
    assert "litellm-n2-image-pinned-in-stack" not in by  # reported once, by the resource policy
    d = by["litellm-deferred-resource-checks"]
    assert d.enforcementLevel == proto.ADVISORY and "[P6] deferred" in d.message and "LITELLM_LOG" in d.message
    # the SDK's own "can't run policy during preview" path was never taken
    assert not any("can't run policy" in x.message for x in diags)


def test_adapter_compliant_stack_is_clean(servicer):
    for st in (k8s_stack(),):
        assert not _analyze_stack(servicer, st.values())
        for r in st.values():
            assert not _analyze(servicer, r), r.name


def test_adapter_stack_policy_reports_urn_and_protect(servicer):
    st = docker_stack()
    st["random_salt"].protect = False
    diags = [d for d in _analyze_stack(servicer, st.values()) if d.policyName != "litellm-n4-replicas-and-pdb"]
    assert not diags  # the salt generator is named *salt*: its own resource policy reports it
    assert any(d.policyName == "litellm-s1-salt-resource-protected" for d in _analyze(servicer, st["random_salt"]))
    st["random_salt"].name = "k1"
    st["random_salt"].urn = st["random_salt"].urn.replace("litellm-salt-key", "k1")
    st["proxy"].property_dependencies["envs"][1] = st["random_salt"].urn
    diags = [d for d in _analyze_stack(servicer, st.values()) if d.policyName == "litellm-s1-salt-key-protected"]
    # Docker has one `envs` dependency list: with no 'salt' in any generator's name the
    # salt key's source is ambiguous, so every unprotected candidate is reported
    assert st["random_salt"].urn in {d.urn for d in diags}
    assert all("cannot tell which" in d.message for d in diags)


def test_adapter_policy_pack_config_levels(servicer):
    from pulumi.runtime import proto

    dev = load("dev.json")
    servicer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={k: proto.PolicyConfig(enforcementLevel=proto.ADVISORY if v == "advisory" else proto.MANDATORY) for k, v in dev.items()}
        ),
        None,
    )
    st = k8s_stack()
    container(st["proxy"])["image"] = "ghcr.io/berriai/litellm:main-latest"
    (d,) = _analyze(servicer, st["proxy"])
    assert d.policyName == "litellm-n2-image-pinned" and d.enforcementLevel == proto.ADVISORY


def test_main_only_constructs_the_pack(monkeypatch):
    import pulumi_policy

    made = {}

    class FakePack:
        def __init__(self, name, policies, enforcement_level=None, **kw):
            made.update(name=name, policies=policies, level=enforcement_level)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", FakePack)
    monkeypatch.setattr(sys, "path", list(sys.path))
    runpy.run_path(os.path.join(POLICIES_DIR, "__main__.py"), run_name="__main__")
    assert made["name"] == "litellm-gateway-hardening"
    assert [p.name for p in made["policies"]] == policy_names()


def test_pack_metadata_files():
    import yaml

    meta = yaml.safe_load(open(os.path.join(POLICIES_DIR, "PulumiPolicy.yaml")))
    assert meta["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    reqs = open(os.path.join(POLICIES_DIR, "requirements.txt")).read()
    assert "pulumi==3.259.0" in reqs and "pulumi-policy==1.21.0" in reqs and "PyYAML==" in reqs


def test_rules_do_not_import_pulumi_policy():
    pkg = os.path.join(POLICIES_DIR, "litellm_policies")
    for fn in os.listdir(pkg):
        if fn.endswith(".py") and fn != "adapter.py":
            src = open(os.path.join(pkg, fn)).read()
            assert "import pulumi_policy" not in src and "from pulumi_policy" not in src, fn


def test_readme_lists_every_policy():
    readme = open(os.path.join(POLICIES_DIR, "README.md")).read()
    for name in policy_names():
        assert f"`{name}`" in readme, name
    assert "pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json" in readme


def test_adapter_merges_deferred_checks_per_unknown_value(servicer):
    from pulumi.runtime import proto

    st = k8s_stack()
    st["config"].props["data"]["config.yaml"] = SENTINEL  # rendered from outputs: unknown in preview
    assert _analyze(servicer, st["config"]) == []
    diags = [d for d in _analyze_stack(servicer, st.values()) if d.urn == st["config"].urn and d.policyName != "litellm-deferred-stack-checks"]
    assert len(diags) == 1
    (d,) = diags
    assert d.policyName == "litellm-deferred-resource-checks" and d.enforcementLevel == proto.ADVISORY
    line = d.message.splitlines()[-1]
    assert line.startswith("[D1, D3, D4") and "deferred: value unknown until apply: the LiteLLM config content" in line
    assert "litellm-f3-retry-policy" in line


def test_compliant_fixtures_are_judged_not_deferred():
    """Every value of the fixture stacks is known: each rule judges them, none defers (the
    per-rule "passes" tests rely on it). The Docker fixture runs one proxy, which only N4 reports."""
    assert [v.message for v in run(k8s_stack())] == []
    assert [(v.rule_id, v.deferred) for v in run(docker_stack())] == [("N4", False)]

"""S1-S6: secrets and identity."""

import hashlib

from .policy_fixtures import (
    PROD,
    T_RPW,
    T_SECRET,
    R,
    container,
    findings,
    messages,
    run,
    set_env,
    set_envs,
    update_config,
)

from litellm_policies import UNKNOWN

SECRET_VALUES = ("m" * 48, "s" * 44, "p" * 32, "r" * 32, "k" * 40)


def only(vs, policy):
    return [v for v in vs if v.policy_name == policy and not v.deferred]


def deferred_for(vs, rule_id):
    return [v for v in vs if v.deferred and v.rule_id == rule_id]


# ---------------------------------------------------------------- S1


def test_s1_compliant_k8s_and_docker(k8s, docker):
    assert not findings(run(k8s), "S1")
    assert not findings(run(docker), "S1")


def test_s1_salt_resource_unprotected_is_refused_before_the_step(k8s):
    k8s["random_salt"].protect = False
    vs = only(run(k8s), "litellm-s1-salt-resource-protected")
    assert len(vs) == 1 and vs[0].rule_id == "S1"
    assert "[S1] RandomBytes 'litellm-salt-key'" in vs[0].message and "protect false" in vs[0].message
    assert "protect=True" in vs[0].message and vs[0].enforcement == "mandatory"


def _separate_salt_secret(k8s, random_name="k1", protect=False, value="s" * 44, deps=True):
    gen = R(T_RPW, random_name, {"length": 48, "special": False}, protect=protect)
    sec = R(
        T_SECRET,
        "salt-secret",
        {"metadata": {"name": "salt-secret", "namespace": "litellm"}, "stringData": {"salt": value}},
        dependencies=[gen.urn] if deps else [],
        property_dependencies={"stringData": [gen.urn]} if deps else {},
    )
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": "salt-secret", "key": "salt"}})
    k8s["gen"], k8s["salt_secret"] = gen, sec
    return gen


def test_s1_traces_salt_key_to_unconventionally_named_generator(k8s):
    gen = _separate_salt_secret(k8s, "k1", protect=False)
    vs = only(run(k8s), "litellm-s1-salt-key-protected")
    assert len(vs) == 1 and vs[0].urn == gen.urn
    assert "[S1] RandomPassword 'k1'" in vs[0].message and "LITELLM_SALT_KEY" in vs[0].message


def test_s1_traced_generator_protected_passes(k8s):
    _separate_salt_secret(k8s, "k1", protect=True)
    assert not findings(run(k8s), "S1")


def test_s1_ambiguous_generators_must_all_be_protected(k8s):
    # the salt comes from a Secret fed by two random resources, neither named "salt"
    a = R(T_RPW, "key-a", {"length": 48, "special": False})
    b = R(T_RPW, "key-b", {"length": 48, "special": False}, protect=True)
    sec = R(T_SECRET, "salt-secret", {"metadata": {"name": "salt-secret"}, "stringData": {"salt": "x" * 44}}, property_dependencies={"stringData": [a.urn, b.urn]})
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": "salt-secret", "key": "salt"}})
    k8s.update(a=a, b=b, sec=sec)
    vs = only(run(k8s), "litellm-s1-salt-key-protected")
    assert [v.urn for v in vs] == [a.urn]
    assert "cannot tell which" in vs[0].message


ADOPTED = "a" * 44


def _adopted(k8s, key=ADOPTED, kept=ADOPTED, protect=True):
    """The program's shape: the adopted key reaches the proxy through a protected generator
    whose keepers hold the key's SHA-256 (so editing or removing the setting is a refused replacement)."""
    gen = _separate_salt_secret(k8s, "lg-secrets-salt-key", protect=protect, value=key)
    gen.props["keepers"] = {"existingSaltKeySha256": hashlib.sha256(kept.encode()).hexdigest()}
    k8s.pop("random_salt")
    return gen


def test_s1_adopted_salt_key_kept_by_a_protected_resource_passes(k8s):
    _adopted(k8s)
    vs = run(k8s)
    assert not findings(vs, "S1") and not findings(vs, "S2")


def test_s1_adopted_salt_key_that_nothing_keeps_is_refused(k8s):
    """Today's bypass: a salt key straight from config changes silently when the config does."""
    _separate_salt_secret(k8s, deps=False)
    k8s.pop("gen")
    msgs = messages(run(k8s), "S1")
    assert len(msgs) == 1 and "no protected resource keeps" in msgs[0] and "existingSaltKeySha256" in msgs[0]
    assert "s" * 44 not in msgs[0]


def test_s1_salt_key_other_than_the_kept_adoption_is_refused(k8s):
    gen = _adopted(k8s, key="b" * 44)
    vs = only(run(k8s), "litellm-s1-salt-key-protected")
    assert len(vs) == 1 and vs[0].urn == gen.urn and "other than the adopted one" in vs[0].message
    assert "b" * 44 not in vs[0].message


def test_s2_adopted_key_judged_by_its_length_not_the_keeping_generator(k8s):
    _adopted(k8s, key="short-salt", kept="short-salt")
    msgs = messages(run(k8s), "S2")
    assert msgs and "10 characters" in msgs[0] and "short-salt" not in msgs[0]


def test_s1_missing_salt_key(k8s):
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", remove=True)
    msgs = messages(run(k8s), "S1")
    assert any("no LITELLM_SALT_KEY" in m and "Deployment 'litellm-proxy'" in m for m in msgs)


def test_s1_unknown_source_found_by_name_when_untraceable(k8s):
    # no dependency information (e.g. a harness without property dependencies): names decide
    _separate_salt_secret(k8s, deps=False, value=UNKNOWN)
    k8s.pop("gen")
    k8s["random_salt"].name = "k9-salt"
    k8s["random_salt"].protect = False
    assert any("RandomBytes 'k9-salt'" in m for m in messages(run(k8s), "S1"))


def test_s1_unknown_source_is_deferred_not_passed(k8s):
    _separate_salt_secret(k8s, deps=False, value=UNKNOWN)
    k8s.pop("gen")
    k8s.pop("random_salt")
    vs = run(k8s)
    assert not messages(vs, "S1")
    d = deferred_for(vs, "S1")
    assert d and "deferred" in d[0].message and d[0].enforcement == "advisory"
    assert d[0].policy_name == "litellm-deferred-stack-checks"


def test_s1_docker_salt_unprotected(docker):
    docker["random_salt"].protect = False
    assert any("litellm-salt-key" in m for m in messages(run(docker), "S1"))


# ---------------------------------------------------------------- S2


def test_s2_weak_salt_generator(k8s):
    k8s["random_salt"].props["length"] = 16
    msgs = messages(run(k8s), "S2")
    assert len(msgs) == 1 and "128 bits" in msgs[0] and "≥ 256 bits" in msgs[0]


def test_s2_password_of_32_default_chars_is_below_32_bytes(k8s):
    salt = k8s["random_salt"]
    salt.type, salt.props = T_RPW, {"length": 32}
    msgs = messages(run(k8s), "S2")
    assert msgs and "83 characters" in msgs[0]


def test_s2_long_alphanumeric_password_passes(k8s):
    salt = k8s["random_salt"]
    salt.type, salt.props = T_RPW, {"length": 44, "special": False}
    assert not findings(run(k8s), "S2")


def test_s2_short_adopted_salt_key(k8s):
    _separate_salt_secret(k8s, deps=False, value="short-salt")
    k8s.pop("gen")
    msgs = messages(run(k8s), "S2")
    assert msgs and "10 characters" in msgs[0] and "short-salt" not in msgs[0]


def test_s2_unknown_length_is_deferred(k8s):
    k8s["random_salt"].props["length"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "S2") and deferred_for(vs, "S2")


# ---------------------------------------------------------------- S3


def test_s3_missing_master_key(k8s):
    set_env(container(k8s["proxy"]), "LITELLM_MASTER_KEY", remove=True)
    msgs = messages(run(k8s), "S3")
    assert any("no LITELLM_MASTER_KEY" in m for m in msgs)


def test_s3_master_key_without_sk_prefix(k8s):
    k8s["secret"].props["stringData"]["master-key"] = "m" * 48
    msgs = messages(run(k8s), "S3")
    assert len(msgs) == 1 and "'sk-'" in msgs[0] and "m" * 48 not in msgs[0]


def test_s3_weak_master_generator(docker):
    docker["random_master"].props["length"] = 20
    msgs = messages(run(docker), "S3")
    assert msgs and "RandomPassword 'litellm-master-key'" in msgs[0]


def test_s3_prefix_deferred_when_value_unknown(k8s):
    k8s["secret"].props["stringData"]["master-key"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "S3")
    assert any("'sk-' prefix" in v.message for v in deferred_for(vs, "S3"))


# ---------------------------------------------------------------- S4


def test_s4_literal_master_key_env(k8s):
    set_env(container(k8s["proxy"]), "LITELLM_MASTER_KEY", "sk-" + "m" * 48)
    vs = only(run(k8s, PROD), "litellm-s4-no-plaintext-secrets")
    assert len(vs) == 1 and vs[0].rule_id == "S4"
    assert "env LITELLM_MASTER_KEY set to a literal value" in vs[0].message
    assert "m" * 48 not in vs[0].message


def test_s4_database_url_with_literal_password(k8s):
    set_env(container(k8s["migrate"]), "DATABASE_URL", "postgresql://litellm:" + "p" * 32 + "@postgres/litellm")
    msgs = messages(run(k8s), "S4")
    assert len(msgs) == 1 and "literal password" in msgs[0] and "p" * 32 not in msgs[0]


def test_s4_database_url_referencing_secret_env_passes(k8s):
    c = container(k8s["migrate"])
    set_env(c, "DB_PASSWORD", value_from={"secretKeyRef": {"name": "litellm-secrets", "key": "postgres-password"}})
    set_env(c, "DATABASE_URL", "postgresql://litellm:$(DB_PASSWORD)@postgres:5432/litellm")
    assert not findings(run(k8s), "S4")


def test_s4_unknown_literal_is_still_plaintext(k8s):
    set_env(container(k8s["proxy"]), "OPENAI_API_KEY", UNKNOWN)
    msgs = messages(run(k8s), "S4")
    assert msgs and "computed at apply" in msgs[0]


def test_s4_secret_from_configmap_ref(k8s):
    set_env(container(k8s["proxy"]), "OPENAI_API_KEY", value_from={"configMapKeyRef": {"name": "litellm-config", "key": "openai"}})
    assert any("taken from ConfigMap" in m for m in messages(run(k8s), "S4"))


def test_s4_secret_key_in_configmap(k8s):
    k8s["config"].props["data"]["REDIS_PASSWORD"] = "r" * 32
    msgs = messages(run(k8s), "S4")
    assert len(msgs) == 1 and "ConfigMap 'litellm-config' key 'REDIS_PASSWORD'" in msgs[0]


def test_s4_literal_api_key_in_config(k8s, docker):
    def lit(d):
        d["model_list"][0]["litellm_params"]["api_key"] = "sk-" + "k" * 40

    update_config(k8s["config"], lit)
    update_config(docker["proxy"], lit)
    for st in (k8s, docker):
        msgs = messages(run(st), "S4")
        assert len(msgs) == 1 and "model_list[0].litellm_params.api_key holds a literal secret" in msgs[0]
        assert "k" * 40 not in msgs[0]


def test_s4_literal_redis_requirepass_arg(k8s):
    container(k8s["redis"])["args"][1] = "r" * 32
    msgs = messages(run(k8s), "S4")
    assert msgs and "--requirepass with a literal value" in msgs[0] and "r" * 32 not in msgs[0]


def test_s4_literal_drain_token_header(k8s):
    container(k8s["proxy"])["lifecycle"]["preStop"] = {
        "httpGet": {"path": "/health/drain", "port": 4000, "httpHeaders": [{"name": "X-Drain-Token", "value": "d" * 32}]}
    }
    msgs = messages(run(k8s), "S4")
    assert msgs and "X-Drain-Token" in msgs[0]


def test_s4_random_string_without_secret_outputs(k8s):
    k8s["random_master"].type = "random:index/randomString:RandomString"
    vs = only(run(k8s), "litellm-s4-random-secret-outputs")
    assert len(vs) == 1 and "RandomString 'litellm-master-key'" in vs[0].message
    k8s["random_master"].additional_secret_outputs = ["result"]
    assert not only(run(k8s), "litellm-s4-random-secret-outputs")


# ---------------------------------------------------------------- S5


def test_s5_redis_without_password(k8s, docker):
    c = container(k8s["redis"])
    c["args"] = c["args"][2:]
    assert any("Redis without requirepass" in m for m in messages(run(k8s), "S5"))
    docker["redis"].props["command"] = ["redis-server", "--maxclients", "1000"]
    assert any("Redis without requirepass" in m for m in messages(run(docker), "S5"))


def test_s5_short_generated_password(k8s):
    k8s["random_pg"].props["length"] = 16
    msgs = messages(run(k8s), "S5")
    assert len(msgs) == 1 and "RandomPassword 'postgres-password'" in msgs[0] and "≥ 32 characters" in msgs[0]


def test_s5_trust_auth_and_missing_password(k8s):
    c = container(k8s["postgres"])
    set_env(c, "POSTGRES_PASSWORD", remove=True)
    set_env(c, "POSTGRES_HOST_AUTH_METHOD", "trust")
    msgs = messages(run(k8s), "S5")
    assert any("trust" in m for m in msgs) and any("no POSTGRES_PASSWORD" in m for m in msgs)


def test_s5_docker_short_literal_password(docker):
    docker["random_redis"].props["length"] = 12
    msgs = messages(run(docker), "S5")
    assert any("redis-password" in m for m in msgs)


# ---------------------------------------------------------------- S6


def test_s6_model_names_missing_key(k8s):
    def add(d):
        d["model_list"].append({"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4", "api_key": "os.environ/ANTHROPIC_API_KEY"}})

    update_config(k8s["config"], add)
    msgs = messages(run(k8s), "S6")
    assert len(msgs) == 1 and "os.environ/ANTHROPIC_API_KEY" in msgs[0] and "model_list[2]" in msgs[0]


def test_s6_key_from_envfrom_secret_passes(k8s):
    def add(d):
        d["model_list"].append({"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4", "api_key": "os.environ/ANTHROPIC_API_KEY"}})

    update_config(k8s["config"], add)
    k8s["provider_keys"] = R(T_SECRET, "provider-keys", {"metadata": {"name": "provider-keys", "namespace": "litellm"}, "stringData": {"ANTHROPIC_API_KEY": "a" * 40}})
    container(k8s["proxy"])["envFrom"] = [{"secretRef": {"name": "provider-keys"}}]
    assert not findings(run(k8s), "S6")


def test_s6_docker_empty_key(docker):
    set_envs(docker["proxy"].props, "OPENAI_API_KEY", "")
    msgs = messages(run(docker), "S6")
    assert msgs and "empty value" in msgs[0]


def test_s6_deferred_when_env_hidden(k8s):
    def add(d):
        d["model_list"][0]["litellm_params"]["api_key"] = "os.environ/OTHER_KEY"

    update_config(k8s["config"], add)
    container(k8s["proxy"])["envFrom"] = [{"secretRef": {"name": UNKNOWN}}]
    vs = run(k8s)
    assert not messages(vs, "S6") and deferred_for(vs, "S6")


# ---------------------------------------------------------------- secret values never printed


def test_no_secret_value_in_any_message(k8s, docker):
    set_env(container(k8s["proxy"]), "LITELLM_MASTER_KEY", "sk-" + "m" * 48)
    set_env(container(k8s["proxy"]), "OPENAI_API_KEY", "k" * 40)
    k8s["secret"].props["stringData"]["master-key"] = "m" * 48
    docker["random_salt"].protect = False
    for st in (k8s, docker):
        for v in run(st):
            for s in SECRET_VALUES:
                assert s not in v.message, v.message


# ---------------------------------------------------------------- keepers unknown at preview


def test_s1_kept_fingerprint_unknown_is_deferred_not_passed(k8s):
    """A generator whose keepers are computed at apply may keep another key's fingerprint:
    S1 cannot say the key is the adopted one, so it waits for the values."""
    gen = _adopted(k8s, key="b" * 44)
    gen.props["keepers"] = UNKNOWN
    vs = run(k8s)
    assert not messages(vs, "S1")
    d = deferred_for(vs, "S1")
    assert len(d) == 1 and d[0].urn == gen.urn and "keepers" in d[0].message


def test_s2_generator_with_unknown_keepers_is_deferred_not_passed(k8s):
    """Unknown keepers may hold no fingerprint (a generated key): S2 must not skip its strength."""
    gen = _adopted(k8s)
    gen.props["keepers"] = UNKNOWN
    gen.props["length"] = 8
    vs = run(k8s)
    d = deferred_for(vs, "S2")
    assert not messages(vs, "S2") and len(d) == 1 and d[0].urn == gen.urn and "keepers" in d[0].message


def test_s3_master_generator_with_unknown_keepers_is_deferred_not_passed(k8s):
    k8s["random_master"].props["keepers"] = UNKNOWN
    k8s["random_master"].props["length"] = 8
    vs = run(k8s)
    d = deferred_for(vs, "S3")
    assert not messages(vs, "S3") and any(x.urn == k8s["random_master"].urn and "keepers" in x.message for x in d)

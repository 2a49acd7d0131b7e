"""S1-S6 (secrets.py): every finding of a rule in full, as (message, urn), deferred ones included:
what an operator reads, and the resource it is filed against. Each test starts from a compliant
stack of policy_fixtures, changes one thing and pins the rule's whole finding list. Boundaries
are pinned from both sides (a generator exactly strong or long enough passes, one step less
fails), and a second proxy, store or generator after one that passed or deferred is still judged.
Secret values never appear in an expected message: a message that printed one would fail."""

from __future__ import annotations

import hashlib

import pytest

from litellm_policies import UNKNOWN, Resource

from .policy_fixtures import (
    T_CM,
    T_RBYTES,
    T_RPW,
    T_SECRET,
    R,
    container,
    pod,
    reported,
    run,
    second_proxy,
    set_env,
    set_envs,
    update_config,
)

PROXY = "Deployment 'litellm-proxy' container 'proxy'"
CANARY = "Deployment 'litellm-proxy-canary' container 'proxy'"
MIGRATE = "Job 'litellm-migrate' container 'migrate'"
POSTGRES = "StatefulSet 'postgres' container 'postgres'"
REDIS = "Deployment 'redis' container 'redis'"
DOCKER = "Container 'litellm-proxy'"
DOCKER_2 = "Container 'litellm-proxy-2'"
DOCKER_REDIS = "Container 'redis'"
DOCKER_POSTGRES = "Container 'postgres'"
CONFIG = "ConfigMap 'litellm-config' key 'config.yaml'"
DEFER = "deferred: value unknown until apply"
T_RSTR = "random:index/randomString:RandomString"


def r(kind: str) -> str:
    """The pulumi-random type token of a kind (`RandomUuid7` -> random:index/randomUuid7:RandomUuid7)."""
    return f"random:index/{kind[0].lower()}{kind[1:]}:{kind}"


# ---------------------------------------------------------------- S1

S1_NO_SALT = (
    "found no LITELLM_SALT_KEY; required LITELLM_SALT_KEY from a protected pulumi-random resource (or adopted from "
    "secret config). Fix: set LITELLM_SALT_KEY (secretKeyRef on Kubernetes); without it LiteLLM encrypts stored "
    "credentials with the master key, so rotating the master key breaks them"
)


def unprotected_feeding(label: str, where: str, amb: str = "") -> str:
    return (
        f"[S1] {label}: found protect false on the resource feeding {where}{amb}; required protect=True."
        " Fix: add opts=pulumi.ResourceOptions(protect=True); never replace the salt key"
    )


def salt_secret(stack: dict[str, Resource], *generators: Resource, value=None, name: str = "salt-secret") -> Resource:
    """The proxy's LITELLM_SALT_KEY from a Secret of its own fed by `generators` (in that order)."""
    sec = R(
        T_SECRET,
        name,
        {"metadata": {"name": name, "namespace": "litellm"}, "stringData": {"salt": "s" * 44 if value is None else value}},
        dependencies=[g.urn for g in generators],
        property_dependencies={"stringData": [g.urn for g in generators]} if generators else {},
    )
    for g in generators:
        stack[g.name] = g
    stack[name] = sec
    set_env(container(stack["proxy"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": name, "key": "salt"}})
    return sec


def test_s1_an_unprotected_salt_generator_is_reported_once_by_the_resource_rule(k8s):
    """The generator named 'salt' is refused before its step (the resource policy); the stack
    rule that traces LITELLM_SALT_KEY to it leaves it to that one instead of saying it twice."""
    k8s["random_salt"].protect = False
    assert reported(run(k8s), "S1") == [
        (
            "[S1] RandomBytes 'litellm-salt-key': found protect false; required protect=True (changing the salt key"
            " breaks decryption of every credential stored in the DB). Fix: add opts=pulumi.ResourceOptions(protect=True)"
            " to the salt key resource; to migrate, adopt the existing salt key from secret config instead",
            k8s["random_salt"].urn,
        )
    ]


def test_s1_a_proxy_without_a_salt_key(k8s):
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", remove=True)
    assert reported(run(k8s), "S1") == [(f"[S1] {PROXY}: {S1_NO_SALT}", k8s["proxy"].urn)]


def test_s1_a_proxy_whose_env_is_partly_hidden_defers(k8s):
    c = container(k8s["proxy"])
    set_env(c, "LITELLM_SALT_KEY", remove=True)
    c["envFrom"] = [{"secretRef": {"name": UNKNOWN}}]
    assert reported(run(k8s), "S1") == [
        (
            f"[S1] {DEFER}: LITELLM_SALT_KEY (envFrom Secret UNKNOWN is not visible to a resource policy) of {PROXY}"
            " (policy litellm-s1-salt-key-protected)",
            k8s["proxy"].urn,
        )
    ]


def test_s1_a_second_proxy_without_a_salt_key_after_one_that_has_it(k8s):
    set_env(container(second_proxy(k8s)), "LITELLM_SALT_KEY", remove=True)
    assert reported(run(k8s), "S1") == [(f"[S1] {CANARY}: {S1_NO_SALT}", k8s["proxy2"].urn)]


def test_s1_a_salt_key_from_an_envfrom_secret_of_the_stack_is_traced(k8s):
    """envFrom is resolved through the stack: the salt key it provides is the one judged, and
    its generator's protection with it."""
    c = container(k8s["proxy"])
    set_env(c, "LITELLM_SALT_KEY", remove=True)
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    k8s["gen"] = gen
    k8s["salt_env"] = R(
        T_SECRET,
        "salt-env",
        {"metadata": {"name": "salt-env", "namespace": "litellm"}, "stringData": {"LITELLM_SALT_KEY": "s" * 44}},
        property_dependencies={"stringData": [gen.urn]},
    )
    c["envFrom"] = [{"secretRef": {"name": "salt-env"}}]
    assert reported(run(k8s), "S1") == [(unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {PROXY}"), gen.urn)]


def test_s1_a_single_generator_feeds_the_salt_key_whatever_its_name(k8s):
    """One generator behind the Secret is the salt key's, named 'salt' or not: no ambiguity."""
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    salt_secret(k8s, gen)
    assert reported(run(k8s), "S1") == [(unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {PROXY}"), gen.urn)]


def test_s1_of_two_unnamed_generators_each_unprotected_one_is_reported_with_why(k8s):
    a = R(T_RPW, "key-a", {"length": 48, "special": False})
    b = R(T_RPW, "key-b", {"length": 48, "special": False})
    salt_secret(k8s, a, b)
    amb = " (cannot tell which of RandomPassword 'key-a', RandomPassword 'key-b' feeds it, so all must be protected; or put 'salt' in the generator's name)"
    assert reported(run(k8s), "S1") == [
        (unprotected_feeding("RandomPassword 'key-a'", f"LITELLM_SALT_KEY of {PROXY}", amb), a.urn),
        (unprotected_feeding("RandomPassword 'key-b'", f"LITELLM_SALT_KEY of {PROXY}", amb), b.urn),
    ]


def test_s1_a_salt_key_from_a_secret_outside_the_stack_is_deferred_not_called_unkept(k8s):
    """Nothing in the stack says what the outside Secret holds (S7 reports the object itself):
    S1 waits rather than calling it an adopted key nobody keeps."""
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": "elsewhere", "key": "salt"}})
    k8s.pop("random_salt")
    assert reported(run(k8s), "S1") == [
        (f"[S1] {DEFER}: the resource feeding LITELLM_SALT_KEY of LITELLM_SALT_KEY of {PROXY} (policy litellm-s1-salt-key-protected)", k8s["proxy"].urn)
    ]


def test_s1_a_second_proxy_s_unprotected_generator_after_a_deferred_first_proxy(k8s):
    """The first proxy's salt key comes from a Secret outside the stack (deferred); the canary's
    from an unprotected generator, which is still reported."""
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    salt_secret(k8s, gen)
    second_proxy(k8s)  # reads salt-secret too
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": "elsewhere", "key": "salt"}})
    k8s.pop("random_salt")
    assert reported(run(k8s), "S1") == [
        (f"[S1] {DEFER}: the resource feeding LITELLM_SALT_KEY of LITELLM_SALT_KEY of {PROXY} (policy litellm-s1-salt-key-protected)", k8s["proxy"].urn),
        (unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {CANARY}"), gen.urn),
    ]


def adopt(stack: dict[str, Resource], key: str, kept: str) -> Resource:
    """The program's shape of an adopted salt key: a protected generator whose keepers hold the
    SHA-256 of the key it remembers, feeding the Secret that holds the key."""
    gen = R(T_RPW, "lg-secrets-salt-key", {"length": 48, "special": False}, protect=True)
    gen.props["keepers"] = {"existingSaltKeySha256": hashlib.sha256(kept.encode()).hexdigest()}
    salt_secret(stack, gen, value=key)
    stack.pop("random_salt")
    return gen


def test_s1_a_salt_key_other_than_the_adopted_one(k8s):
    gen = adopt(k8s, key="b" * 44, kept="a" * 44)
    assert reported(run(k8s), "S1") == [
        (
            f"[S1] LITELLM_SALT_KEY of {PROXY}: found a salt key other than the adopted one that RandomPassword"
            " 'lg-secrets-salt-key' keeps; required the adopted salt key, unchanged. Fix: restore the previous"
            " existingSaltKey; a changed salt key makes every stored credential unreadable",
            gen.urn,
        )
    ]


def test_s1_an_adopted_salt_key_nothing_keeps(k8s):
    salt_secret(k8s, value="a" * 44)
    k8s.pop("random_salt")
    assert reported(run(k8s), "S1") == [
        (
            f"[S1] LITELLM_SALT_KEY of {PROXY}: found an adopted salt key that no protected resource keeps (editing or"
            " removing the setting would change it silently); required its SHA-256 in the keepers"
            " ('existingSaltKeySha256') of a protected pulumi-random resource that feeds it. Fix: create"
            " random.RandomPassword(..., keepers={'existingSaltKeySha256': sha256(key)},"
            " opts=pulumi.ResourceOptions(protect=True)) and make the key depend on it",
            k8s["proxy"].urn,
        )
    ]


def test_s1_keepers_unknown_at_preview_defer_the_adoption_check(k8s):
    gen = adopt(k8s, key="b" * 44, kept="a" * 44)
    gen.props["keepers"] = UNKNOWN
    assert reported(run(k8s), "S1") == [
        (
            f"[S1] {DEFER}: whether the salt key is the adopted one it keeps (its keepers are unknown until apply) of"
            " RandomPassword 'lg-secrets-salt-key' (policy litellm-s1-salt-key-protected)",
            gen.urn,
        )
    ]


def test_s1_only_the_proxy_s_salt_key_is_its_concern(k8s):
    """The migration job does not encrypt credentials: a salt key it happens to carry, from an
    unprotected and weak generator, is neither S1's nor S2's business."""
    gen = R(T_RPW, "k1", {"length": 8, "special": False})
    k8s["gen"] = gen
    k8s["job_secret"] = R(
        T_SECRET, "job-secret", {"metadata": {"name": "job-secret", "namespace": "litellm"}, "stringData": {"salt": "x" * 8}},
        property_dependencies={"stringData": [gen.urn]},
    )  # fmt: skip
    set_env(container(k8s["migrate"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": "job-secret", "key": "salt"}})
    vs = run(k8s)
    assert reported(vs, "S1") == [] and reported(vs, "S2") == []


# ---------------------------------------------------------------- S2 (and the strength S3 shares)

S2_FIX = (
    "required ≥ 256 bits (32 random bytes). Fix: use random.RandomBytes(length=32) or a RandomPassword of length ≥ 43"
    " (alphanumeric) / ≥ 41 (default character set)"
)


@pytest.mark.parametrize(
    ("kind", "props", "found"),
    [
        ("RandomPassword", {"length": 40}, "255 bits of entropy (length 40 over 83 characters)"),
        ("RandomPassword", {"length": 42, "special": False}, "250 bits of entropy (length 42 over 62 characters)"),
        ("RandomPassword", {"length": 44, "special": False, "numeric": False}, "251 bits of entropy (length 44 over 52 characters)"),
        ("RandomPassword", {"length": 44, "special": False, "number": False}, "251 bits of entropy (length 44 over 52 characters)"),
        ("RandomPassword", {"length": 256, "upper": False, "lower": False, "numeric": False, "overrideSpecial": "!"}, "0 bits of entropy (length 256 over 1 characters)"),
        ("RandomString", {"length": 16}, "102 bits of entropy (length 16 over 83 characters)"),
        ("RandomBytes", {"length": 31}, "248 bits of entropy (31 bytes)"),
        ("RandomId", {"byteLength": 31}, "248 bits of entropy (byteLength 31)"),
        ("RandomUuid", {}, "122 bits of entropy (a UUIDv4)"),
        ("RandomUuid4", {}, "122 bits of entropy (a UUIDv4)"),
        ("RandomUuid7", {}, "74 bits of entropy (a UUIDv7)"),
        ("RandomPet", {}, "20 bits of entropy (a pet name)"),
        ("RandomInteger", {"min": 0, "max": 1}, "1 bits of entropy (an integer in [0, 1])"),
        ("RandomInteger", {"min": 1, "max": 1}, "0 bits of entropy (an integer in [1, 1])"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_s2_a_salt_generator_below_256_bits(k8s, kind, props, found):
    """Each kind of generator with what it is worth: a password by its length and alphabet, bytes
    and ids by their byte count, UUIDs, pet names and integers by what they can take."""
    salt = k8s["random_salt"]
    salt.type, salt.props = r(kind), props
    assert reported(run(k8s), "S2") == [(f"[S2] {kind} 'litellm-salt-key': found a salt key with {found}; {S2_FIX}", salt.urn)]


@pytest.mark.parametrize(
    ("kind", "props"),
    [
        ("RandomPassword", {"length": 41}),  # the default 83 characters: 261 bits
        ("RandomPassword", {"length": 43, "special": False}),  # 62 characters: 256.03 bits
        ("RandomPassword", {"length": 44, "special": False, "numeric": True, "number": False}),  # numeric wins over number
        ("RandomPassword", {"length": 256, "upper": False, "lower": False, "numeric": False, "overrideSpecial": "!?"}),  # 1 bit each
        ("RandomBytes", {"length": 32}),
        ("RandomId", {"byteLength": 32}),
    ],
    ids=["41 default", "43 alphanumeric", "numeric over number", "256 of two characters", "32 bytes", "byteLength 32"],
)
def test_s2_a_salt_generator_of_256_bits_or_more_passes(k8s, kind, props):
    salt = k8s["random_salt"]
    salt.type, salt.props = r(kind), props
    assert reported(run(k8s), "S2") == []


@pytest.mark.parametrize(
    ("kind", "props", "what"),
    [
        ("RandomPassword", {"length": UNKNOWN}, "length"),
        ("RandomPassword", {"length": 44, "special": UNKNOWN}, "character classes"),
        ("RandomPassword", {"length": 44, "numeric": UNKNOWN}, "character classes"),
        ("RandomString", {"length": 44, "number": UNKNOWN}, "character classes"),
        ("RandomBytes", {"length": UNKNOWN}, "length"),
        ("RandomId", {"byteLength": UNKNOWN}, "byteLength"),
        ("RandomInteger", {"min": UNKNOWN, "max": 10}, "min/max"),
        ("RandomInteger", {"min": 1, "max": UNKNOWN}, "min/max"),
        ("RandomInteger", {"min": 1}, "min/max"),  # no max recorded: nothing to judge, and no rule error
    ],
)
def test_s2_a_salt_generator_of_unknown_strength_defers(k8s, kind, props, what):
    salt = k8s["random_salt"]
    salt.type, salt.props = r(kind), props
    assert reported(run(k8s), "S2") == [(f"[S2] {DEFER}: {what} of {kind} 'litellm-salt-key' (policy litellm-s2-salt-key-strength)", salt.urn)]


def test_s2_several_unnamed_generators_defer_naming_them(k8s):
    a = R(T_RPW, "key-a", {"length": 8}, protect=True)
    b = R(T_RPW, "key-b", {"length": 48, "special": False}, protect=True)
    salt_secret(k8s, a, b)
    assert reported(run(k8s), "S2") == [
        (
            "[S2] deferred: cannot tell which random resource feeds it; put the role in its name: the generator's strength:"
            f" several random resources feed it (RandomPassword 'key-a', RandomPassword 'key-b') of LITELLM_SALT_KEY of {PROXY}"
            " (policy litellm-s2-salt-key-strength)",
            k8s["proxy"].urn,
        )
    ]


def test_s2_a_camel_case_generator_name_says_its_role(k8s):
    """Pulumi names are often camelCase (`litellmSaltKey`): 'salt' inside a word still names the
    salt key's generator among several."""
    master = R(T_RPW, "litellmMasterKey", {"length": 48, "special": False}, protect=True)
    salt = R(T_RPW, "litellmSaltKey", {"length": 20, "special": False}, protect=True)
    salt_secret(k8s, master, salt)
    k8s.pop("random_salt")
    assert reported(run(k8s), "S2") == [
        (f"[S2] RandomPassword 'litellmSaltKey': found a salt key with 119 bits of entropy (length 20 over 62 characters); {S2_FIX}", salt.urn)
    ]


def test_s2_a_short_adopted_salt_key(k8s):
    salt_secret(k8s, value="short-salt")
    k8s.pop("random_salt")
    assert reported(run(k8s), "S2") == [
        (
            f"[S2] LITELLM_SALT_KEY of {PROXY}: found an adopted salt key of 10 characters; required ≥ 32 random bytes."
            " Fix: generate it with pulumi-random (32 random bytes) or adopt a longer key",
            k8s["proxy"].urn,
        )
    ]


def test_s2_an_adopted_salt_key_of_32_characters_passes_and_31_fail(k8s):
    sec = salt_secret(k8s, value="a" * 32)
    k8s.pop("random_salt")
    assert reported(run(k8s), "S2") == []
    sec.props["stringData"]["salt"] = "a" * 31
    assert [m for m, _ in reported(run(k8s), "S2")] == [
        f"[S2] LITELLM_SALT_KEY of {PROXY}: found an adopted salt key of 31 characters; required ≥ 32 random bytes."
        " Fix: generate it with pulumi-random (32 random bytes) or adopt a longer key"
    ]


def test_s2_a_generator_whose_keepers_are_unknown_defers_its_strength(k8s):
    """Unknown keepers may hold no fingerprint, i.e. a generated key whose strength counts."""
    gen = adopt(k8s, key="a" * 44, kept="a" * 44)
    gen.props["keepers"] = UNKNOWN
    assert reported(run(k8s), "S2") == [
        (
            f"[S2] {DEFER}: the strength of a salt key (its keepers are unknown until apply) of RandomPassword"
            " 'lg-secrets-salt-key' (policy litellm-s2-salt-key-strength)",
            gen.urn,
        )
    ]


# ---------------------------------------------------------------- S3

S3_NONE = (
    "found no LITELLM_MASTER_KEY (the proxy would accept unauthenticated requests); required LITELLM_MASTER_KEY from a"
    " Secret. Fix: generate the master key with pulumi-random and pass it via secretKeyRef"
)


def test_s3_a_second_proxy_without_a_master_key_after_one_that_has_it(k8s):
    set_env(container(second_proxy(k8s)), "LITELLM_MASTER_KEY", remove=True)
    assert reported(run(k8s), "S3") == [(f"[S3] {CANARY}: {S3_NONE}", k8s["proxy2"].urn)]


def test_s3_a_master_key_in_the_config_then_a_proxy_without_one(docker):
    """The config's general_settings.master_key wins over the env var: a literal there is the
    key LiteLLM uses. The second proxy, with its own config, is judged on its own."""
    set_envs(second_proxy(docker).props, "LITELLM_MASTER_KEY", remove=True)
    update_config(docker["proxy"], lambda cfg: cfg["general_settings"].update(master_key="sk-" + "q" * 40))
    assert reported(run(docker), "S3") == [
        (
            f"[S3] {DOCKER}: found a master key written into config.yaml (general_settings.master_key), which LiteLLM uses"
            " instead of LITELLM_MASTER_KEY: plaintext and not generated; required general_settings.master_key unset, or"
            " os.environ/LITELLM_MASTER_KEY. Fix: remove general_settings.master_key from the config (LiteLLM then reads"
            " LITELLM_MASTER_KEY)",
            docker["proxy"].urn,
        ),
        (f"[S3] {DOCKER_2}: {S3_NONE}", docker["proxy2"].urn),
    ]


@pytest.mark.parametrize("hidden", ["env", "config"])
def test_s3_no_master_key_defers_while_the_env_or_the_config_is_unknown(k8s, hidden):
    """Without LITELLM_MASTER_KEY in sight, the key may still come from an envFrom Secret named
    at apply, or the config may name another variable: neither is a missing key yet."""
    set_env(container(k8s["proxy"]), "LITELLM_MASTER_KEY", remove=True)
    if hidden == "env":
        container(k8s["proxy"])["envFrom"] = [{"secretRef": {"name": UNKNOWN}}]
        why = "envFrom Secret UNKNOWN is not visible to a resource policy"
    else:
        k8s["config"].props["data"]["config.yaml"] = UNKNOWN
        why = "the config"
    assert reported(run(k8s), "S3") == [(f"[S3] {DEFER}: LITELLM_MASTER_KEY ({why}) of {PROXY} (policy litellm-s3-master-key)", k8s["proxy"].urn)]


def test_s3_a_weak_master_key_generator(k8s):
    g = k8s["random_master"]
    g.props["length"] = 20
    assert reported(run(k8s), "S3") == [
        (f"[S3] RandomPassword 'litellm-master-key': found a master key with 119 bits of entropy (length 20 over 62 characters); {S2_FIX}", g.urn)
    ]


def test_s3_a_second_proxy_without_a_master_key_after_a_deferred_one(k8s):
    canary = second_proxy(k8s)
    set_env(container(canary), "LITELLM_MASTER_KEY", remove=True)
    set_env(container(k8s["proxy"]), "LITELLM_MASTER_KEY", remove=True)
    container(k8s["proxy"])["envFrom"] = [{"secretRef": {"name": UNKNOWN}}]
    assert reported(run(k8s), "S3") == [
        (
            f"[S3] {DEFER}: LITELLM_MASTER_KEY (envFrom Secret UNKNOWN is not visible to a resource policy) of {PROXY}"
            " (policy litellm-s3-master-key)",
            k8s["proxy"].urn,
        ),
        (f"[S3] {CANARY}: {S3_NONE}", canary.urn),
    ]


def test_s3_a_master_key_without_the_sk_prefix(k8s):
    k8s["secret"].props["stringData"]["master-key"] = "m" * 48
    assert reported(run(k8s), "S3") == [
        (
            f"[S3] LITELLM_MASTER_KEY of {PROXY}: found a master key that does not start with 'sk-'; required the 'sk-'"
            " prefix LiteLLM requires. Fix: prefix the generated value: pulumi.Output.concat('sk-', key.result)",
            k8s["proxy"].urn,
        )
    ]


def test_s3_a_master_key_unknown_until_apply_defers_its_prefix(k8s):
    k8s["secret"].props["stringData"]["master-key"] = UNKNOWN
    assert reported(run(k8s), "S3") == [
        (f"[S3] {DEFER}: the 'sk-' prefix of LITELLM_MASTER_KEY of {PROXY} (policy litellm-s3-master-key)", k8s["proxy"].urn)
    ]


def test_s3_a_secret_key_ref_to_a_key_the_secret_lacks(k8s):
    """The pod would not start (or start without the key): the reference is the finding."""
    set_env(container(k8s["proxy"]), "LITELLM_MASTER_KEY", value_from={"secretKeyRef": {"name": "litellm-secrets", "key": "no-such-key"}})
    assert reported(run(k8s), "S3") == [
        (
            f"[S3] LITELLM_MASTER_KEY of {PROXY}: found a secretKeyRef to a key missing from Secret 'litellm-secrets';"
            " required the referenced key present in the Secret. Fix: add the key to the Secret or fix the secretKeyRef key",
            k8s["proxy"].urn,
        )
    ]


# ---------------------------------------------------------------- S4

S4_ENV_FIX = "required valueFrom.secretKeyRef. Fix: store it in a Kubernetes Secret and use valueFrom.secretKeyRef"


def test_s4_a_secret_key_of_a_config_map(k8s):
    k8s["config"].props["data"]["REDIS_PASSWORD"] = "r" * 32
    assert reported(run(k8s), "S4") == [
        (
            "[S4] ConfigMap 'litellm-config' key 'REDIS_PASSWORD': found a secret in a ConfigMap; required secrets only in"
            " Secret objects. Fix: move 'REDIS_PASSWORD' to a Kubernetes Secret and reference it with secretKeyRef",
            k8s["config"].urn,
        )
    ]


def test_s4_an_env_var_taken_from_a_config_map(k8s):
    set_env(container(k8s["proxy"]), "OPENAI_API_KEY", value_from={"configMapKeyRef": {"name": "litellm-config", "key": "openai"}})
    assert reported(run(k8s), "S4") == [
        (f"[S4] {PROXY}: found env OPENAI_API_KEY taken from ConfigMap litellm-config; {S4_ENV_FIX}", k8s["proxy"].urn)
    ]


def test_s4_a_literal_computed_at_apply_is_plaintext_in_the_pod_spec(k8s):
    """An env value computed at apply (a generator's output put into `value:`) ends up in the pod
    spec as it is: a literal, whatever it turns out to be."""
    set_env(container(k8s["proxy"]), "OPENAI_API_KEY", UNKNOWN)
    assert reported(run(k8s), "S4") == [
        (
            f"[S4] {PROXY}: found env OPENAI_API_KEY set to a literal value (computed at apply, written into the pod spec"
            f" in plaintext); {S4_ENV_FIX}",
            k8s["proxy"].urn,
        )
    ]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda cfg: cfg["model_list"][0]["litellm_params"].update(api_key="sk-" + "k" * 40), "model_list[0].litellm_params.api_key"),
        (lambda cfg: cfg.update(api_key="sk-" + "k" * 40), "api_key"),
    ],
    ids=["nested", "top level"],
)
def test_s4_a_literal_secret_in_the_config_names_its_key(k8s, mutate, path):
    """The fix names the key as the operator writes it, however deep it sits."""
    update_config(k8s["config"], mutate)
    assert reported(run(k8s), "S4") == [
        (
            f"[S4] {CONFIG}: found {path} holds a literal secret; required api_key: os.environ/<NAME> with NAME from a"
            " Secret. Fix: replace the literal with os.environ/NAME and provide NAME from a Secret",
            k8s["config"].urn,
        )
    ]


def test_s4_a_config_unknown_until_apply_defers(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert reported(run(k8s), "S4") == [
        (f"[S4] {DEFER}: the LiteLLM config content of {CONFIG} (policy litellm-s4-no-plaintext-secrets)", k8s["config"].urn)
    ]


@pytest.mark.parametrize("last", [False, True], ids=["first", "last"])
@pytest.mark.parametrize("flag", ["--requirepass", "--masterauth"])
def test_s4_a_literal_redis_password_in_the_args(k8s, flag, last):
    """Wherever the flag and its literal sit, the last two arguments included."""
    args = container(k8s["redis"])["args"]
    literal = [flag, "r" * 32]
    rest = args[2:] if flag == "--requirepass" else args
    args[:] = [*rest, *literal] if last else [*literal, *rest]
    assert reported(run(k8s), "S4") == [
        (
            f"[S4] {REDIS}: found {flag} with a literal value in the container args; required {flag} $(REDIS_PASSWORD)"
            " with REDIS_PASSWORD from a secretKeyRef. Fix: pass the password through an env var sourced from a Secret",
            k8s["redis"].urn,
        )
    ]


def test_s4_a_shell_variable_in_a_redis_command_is_not_a_literal(k8s):
    """`sh -c 'redis-server --requirepass "$REDIS_PASSWORD"'`: the shell expands the variable,
    which comes from the Secret; the script holds no password."""
    c = container(k8s["redis"])
    c["command"] = ["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD" --maxclients 2000 --maxmemory 400mb --maxmemory-policy allkeys-lru']
    c["args"] = []
    vs = run(k8s)
    assert reported(vs, "S4") == [] and reported(vs, "S5") == []


def test_s4_a_trailing_requirepass_holds_no_literal(k8s, docker):
    """`--requirepass` as the last argument has no value to expose (Redis refuses to start on it,
    "wrong number of arguments"): no finding, and no rule error on either platform."""
    c = container(k8s["redis"])
    c["args"] = [*c["args"][2:], "--requirepass"]
    docker["redis"].props["command"] = ["redis-server", "--maxclients", "1000", "--requirepass"]
    for stack in (k8s, docker):
        vs = run(stack)
        assert reported(vs, "S4") == [] and reported(vs, "S5") == []


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("postgresql://litellm@postgres:5432/litellm", None),  # the password comes from PGPASSWORD
        ("postgresql://litellm:$(DB_PASSWORD)@postgres:5432/litellm", None),
        ("postgresql://litellm:" + "p" * 32 + "@postgres:5432/litellm", "a connection URL with a literal password"),
        ("postgresql://litellm:" + "p" * 32 + "@[postgres/litellm", "a literal connection URL"),  # unparsable: could hold anything
        ("", None),
    ],
    ids=["no password", "a reference", "literal password", "unparsable", "empty"],
)
def test_s4_a_literal_database_url_is_a_secret_only_with_a_literal_password(k8s, url, found):
    c = container(k8s["migrate"])
    set_env(c, "DB_PASSWORD", value_from={"secretKeyRef": {"name": "litellm-secrets", "key": "postgres-password"}})
    set_env(c, "DATABASE_URL", url)
    expected = [(f"[S4] {MIGRATE}: found env DATABASE_URL set to {found}; {S4_ENV_FIX}", k8s["migrate"].urn)] if found else []
    assert reported(run(k8s), "S4") == expected


def test_s4_a_variable_the_config_reads_as_a_secret_is_one_whatever_its_name(k8s):
    """`api_key: os.environ/PROVIDER_CREDS` makes PROVIDER_CREDS a secret, even nested in the
    model list and named like nothing secret: a literal value of it in the pod spec is plaintext."""
    update_config(k8s["config"], lambda cfg: cfg["model_list"][1]["litellm_params"].update(api_key="os.environ/PROVIDER_CREDS"))
    set_env(container(k8s["proxy"]), "PROVIDER_CREDS", "k" * 40)
    assert reported(run(k8s), "S4") == [(f"[S4] {PROXY}: found env PROVIDER_CREDS set to a literal value; {S4_ENV_FIX}", k8s["proxy"].urn)]


@pytest.mark.parametrize(
    ("setting", "value", "found"),
    [
        ("general_settings", {"database_url": "postgresql://litellm@postgres:5432/litellm"}, None),
        ("general_settings", {"database_url": "postgresql://litellm:" + "p" * 32 + "@postgres:5432/litellm"}, ("general_settings.database_url", "database_url")),
        ("litellm_settings", {"redis_url": "redis://redis:6379/0"}, None),
        ("litellm_settings", {"redis_url": "redis://:" + "r" * 32 + "@redis:6379/0"}, ("litellm_settings.redis_url", "redis_url")),
        ("environment_variables", {"OPENAI_API_KEY": "k" * 40}, ("environment_variables.OPENAI_API_KEY", "OPENAI_API_KEY")),
        ("environment_variables", {"OPENAI_API_KEY": "os.environ/OPENAI_KEY_FROM_SECRET", "AZURE_API_VERSION": "2024-06-01"}, None),
    ],
    ids=["database_url without password", "database_url with password", "redis_url without password", "redis_url with password", "environment_variables literal", "environment_variables reference"],
)
def test_s4_connection_urls_and_environment_variables_of_the_config(k8s, setting, value, found):
    """A URL in the config is a secret when it holds a password; a secret-named variable the
    config sets itself is one unless it reads it from the environment. The fix names the key."""
    update_config(k8s["config"], lambda cfg: cfg.setdefault(setting, {}).update(value))
    expected = []
    if found:
        path, key = found
        expected = [
            (
                f"[S4] {CONFIG}: found {path} holds a literal secret; required {key}: os.environ/<NAME> with NAME from a"
                " Secret. Fix: replace the literal with os.environ/NAME and provide NAME from a Secret",
                k8s["config"].urn,
            )
        ]
    assert reported(run(k8s), "S4") == expected


def test_s4_settings_named_like_secrets_that_are_not_secrets(k8s):
    """How Postgres authenticates, the TLS mode and the path of a credentials file name no secret."""
    set_env(container(k8s["postgres"]), "POSTGRES_HOST_AUTH_METHOD", "scram-sha-256")
    set_env(container(k8s["proxy"]), "PGSSLMODE", "require")
    set_env(container(k8s["proxy"]), "GOOGLE_APPLICATION_CREDENTIALS", "/var/run/gcp/key.json")
    assert reported(run(k8s), "S4") == []


def test_s4_a_literal_secret_after_a_database_url_without_password(k8s):
    """The URL without a password passes, and the keys after it in the same section are still read."""
    update_config(
        k8s["config"],
        lambda cfg: cfg["general_settings"].update(database_url="postgresql://litellm@postgres:5432/litellm", master_key="sk-" + "m" * 48),
    )
    assert reported(run(k8s), "S4") == [
        (
            f"[S4] {CONFIG}: found general_settings.master_key holds a literal secret; required master_key: os.environ/<NAME>"
            " with NAME from a Secret. Fix: replace the literal with os.environ/NAME and provide NAME from a Secret",
            k8s["config"].urn,
        )
    ]


def test_s4_a_probe_header_of_a_harmless_name_is_not_a_secret(k8s):
    container(k8s["proxy"])["readinessProbe"]["httpGet"]["httpHeaders"] = [{"name": "Accept", "value": "application/json"}]
    assert reported(run(k8s), "S4") == []


@pytest.mark.parametrize(
    "headers",
    [UNKNOWN, [UNKNOWN], [{"name": UNKNOWN, "value": UNKNOWN}]],
    ids=["the list", "a header", "a header's name"],
)
def test_s4_probe_headers_unknown_until_apply_defer(k8s, headers):
    """Headers computed at apply (built from a token's Output) may carry the drain token in
    plaintext: S4 cannot tell yet, so it waits instead of passing."""
    container(k8s["proxy"])["lifecycle"]["preStop"] = {"httpGet": {"path": "/health/drain", "port": 4000, "httpHeaders": headers}}
    assert reported(run(k8s), "S4") == [
        (f"[S4] {DEFER}: the headers of lifecycle.preStop.httpGet of {PROXY} (policy litellm-s4-no-plaintext-secrets)", k8s["proxy"].urn)
    ]


def test_s4_unknown_pre_stop_headers_do_not_hide_a_probe_s_token_header(k8s):
    c = container(k8s["proxy"])
    c["lifecycle"]["preStop"] = {"httpGet": {"path": "/health/drain", "port": 4000, "httpHeaders": UNKNOWN}}
    c["readinessProbe"]["httpGet"]["httpHeaders"] = [{"name": "X-Drain-Token", "value": "d" * 32}]
    assert reported(run(k8s), "S4") == [
        (
            f"[S4] {PROXY}: found readinessProbe.httpGet header X-Drain-Token with a literal value; required the token"
            " from a Secret. Fix: use an exec preStop hook that sends the header from an env var sourced by secretKeyRef",
            k8s["proxy"].urn,
        ),
        (f"[S4] {DEFER}: the headers of lifecycle.preStop.httpGet of {PROXY} (policy litellm-s4-no-plaintext-secrets)", k8s["proxy"].urn),
    ]


def test_s4_a_token_header_in_a_pre_stop_hook(k8s):
    container(k8s["proxy"])["lifecycle"]["preStop"] = {
        "httpGet": {"path": "/health/drain", "port": 4000, "httpHeaders": [{"name": "X-Drain-Token", "value": "d" * 32}]}
    }
    assert reported(run(k8s), "S4") == [
        (
            f"[S4] {PROXY}: found lifecycle.preStop.httpGet header X-Drain-Token with a literal value; required the token"
            " from a Secret. Fix: use an exec preStop hook that sends the header from an env var sourced by secretKeyRef",
            k8s["proxy"].urn,
        )
    ]


def plaintext_outputs(kind: str, label: str, where: str, outputs: str) -> str:
    return (
        f"[S4] {kind} {label}: found a {kind} feeding {where} whose outputs are stored in plaintext; required secret"
        f" outputs. Fix: use random.RandomPassword or add additional_secret_outputs={outputs}"
    )


@pytest.mark.parametrize(
    ("kind", "props", "outputs"),
    [("RandomString", {"length": 48}, "['result']"), ("RandomId", {"byteLength": 32}, "['hex']"), ("RandomInteger", {"min": 0, "max": 9}, "['result']")],
)
def test_s4_a_generator_with_plaintext_outputs_is_reported_once(k8s, kind, props, outputs):
    """The Redis password's generator feeds the proxy and the Redis container: one finding, filed
    against the generator, naming the first consumer and the output to declare secret."""
    g = k8s["random_redis"]
    g.type, g.props = r(kind), props
    assert reported(run(k8s), "S4") == [(plaintext_outputs(kind, "'redis-password'", f"REDIS_PASSWORD of {PROXY}", outputs), g.urn)]
    g.additional_secret_outputs = [outputs[2:-2]]
    assert reported(run(k8s), "S4") == []


def test_s4_a_plaintext_generator_after_a_password_one_behind_the_same_key(k8s):
    """Two generators feed the salt key's Secret: the RandomPassword needs nothing, the
    RandomString after it is still looked at."""
    a = R(T_RPW, "key-a", {"length": 48, "special": False}, protect=True)
    b = R(T_RSTR, "key-b", {"length": 48, "special": False}, protect=True)
    salt_secret(k8s, a, b)
    assert reported(run(k8s), "S4") == [(plaintext_outputs("RandomString", "'key-b'", f"LITELLM_SALT_KEY of {PROXY}", "['result']"), b.urn)]


# ---------------------------------------------------------------- S5

NO_REQUIREPASS = (
    "found Redis without requirepass; required a password (≥ 32 characters) that Redis requires. Fix: run redis-server"
    " --requirepass $(REDIS_PASSWORD) with REDIS_PASSWORD from a Secret"
)


def test_s5_trust_auth_and_no_password(k8s):
    c = container(k8s["postgres"])
    set_env(c, "POSTGRES_PASSWORD", remove=True)
    set_env(c, "POSTGRES_HOST_AUTH_METHOD", "trust")
    assert reported(run(k8s), "S5") == [
        (
            f"[S5] {POSTGRES}: found POSTGRES_HOST_AUTH_METHOD=trust (no password); required password authentication."
            " Fix: remove POSTGRES_HOST_AUTH_METHOD=trust",
            k8s["postgres"].urn,
        ),
        (
            f"[S5] {POSTGRES}: found no POSTGRES_PASSWORD; required a generated password of ≥ 32 characters. Fix: set"
            " POSTGRES_PASSWORD from a Secret fed by random.RandomPassword(length=32)",
            k8s["postgres"].urn,
        ),
    ]


def test_s5_trust_auth_from_a_config_map_of_the_stack(k8s):
    set_env(container(k8s["postgres"]), "POSTGRES_HOST_AUTH_METHOD", value_from={"configMapKeyRef": {"name": "pg-env", "key": "auth"}})
    k8s["pg_env"] = R(T_CM, "pg-env", {"metadata": {"name": "pg-env", "namespace": "litellm"}, "data": {"auth": "trust"}})
    assert [m for m, _ in reported(run(k8s), "S5")] == [
        f"[S5] {POSTGRES}: found POSTGRES_HOST_AUTH_METHOD=trust (no password); required password authentication."
        " Fix: remove POSTGRES_HOST_AUTH_METHOD=trust"
    ]


def test_s5_no_postgres_password_in_sight_defers_while_an_env_from_is_unknown(k8s):
    c = container(k8s["postgres"])
    set_env(c, "POSTGRES_PASSWORD", remove=True)
    c["envFrom"] = [{"secretRef": {"name": UNKNOWN}}]
    assert reported(run(k8s), "S5") == [
        (
            f"[S5] {DEFER}: POSTGRES_PASSWORD (envFrom Secret UNKNOWN is not visible to a resource policy) of {POSTGRES}"
            " (policy litellm-s5-datastore-passwords)",
            k8s["postgres"].urn,
        )
    ]


@pytest.mark.parametrize("how", ["envFrom", "file"])
def test_s5_a_postgres_password_from_an_env_from_secret_or_a_file_is_a_password(k8s, how):
    c = container(k8s["postgres"])
    set_env(c, "POSTGRES_PASSWORD", remove=True)
    if how == "file":
        set_env(c, "POSTGRES_PASSWORD_FILE", "/run/secrets/postgres-password")
    else:
        k8s["pg_env"] = R(
            T_SECRET, "pg-env", {"metadata": {"name": "pg-env", "namespace": "litellm"}, "stringData": {"POSTGRES_PASSWORD": "p" * 32}},
            property_dependencies={"stringData": [k8s["random_pg"].urn]},
        )  # fmt: skip
        c["envFrom"] = [{"secretRef": {"name": "pg-env"}}]
    assert reported(run(k8s), "S5") == []


def test_s5_redis_without_requirepass(k8s):
    c = container(k8s["redis"])
    c["args"] = c["args"][2:]
    assert reported(run(k8s), "S5") == [(f"[S5] {REDIS}: {NO_REQUIREPASS}", k8s["redis"].urn)]


@pytest.mark.parametrize("env", ["REDIS_ARGS", "REDIS_EXTRA_FLAGS"])
def test_s5_requirepass_in_the_redis_args_env(k8s, env):
    """The redis-stack images read their server options from REDIS_ARGS / REDIS_EXTRA_FLAGS:
    --requirepass there is a password; REDIS_ARGS unknown until apply defers."""
    c = container(k8s["redis"])
    c["args"] = c["args"][2:]
    set_env(c, env, "--requirepass $(REDIS_PASSWORD)")
    assert reported(run(k8s), "S5") == []
    set_env(c, env, UNKNOWN)
    assert reported(run(k8s), "S5") == [
        (f"[S5] {DEFER}: requirepass ({env} env of {REDIS}) of {REDIS} (policy litellm-s5-datastore-passwords)", k8s["redis"].urn)
    ]


def redis_env_config_map(stack: dict[str, Resource], name: str, value: str) -> dict:
    """`name` of the Redis container from a ConfigMap of the stack (what a rule must look up)."""
    stack["redis_env"] = R(T_CM, "redis-env", {"metadata": {"name": "redis-env", "namespace": "litellm"}, "data": {"v": value}})
    return {"configMapKeyRef": {"name": "redis-env", "key": "v"}}


def test_s5_requirepass_in_redis_args_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["redis"])
    c["args"] = c["args"][2:]
    set_env(c, "REDIS_ARGS", value_from=redis_env_config_map(k8s, "REDIS_ARGS", "--requirepass $(REDIS_PASSWORD)"))
    assert reported(run(k8s), "S5") == []


def test_s5_bitnami_redis_password_from_an_env_from_secret_of_the_stack(k8s):
    c = container(k8s["redis"])
    c["image"], c["command"], c["args"] = "bitnami/redis:7.2.5", ["/opt/bitnami/scripts/redis/run.sh"], []
    set_env(c, "REDIS_PASSWORD", remove=True)
    k8s["redis_env"] = R(
        T_SECRET, "redis-env", {"metadata": {"name": "redis-env", "namespace": "litellm"}, "stringData": {"REDIS_PASSWORD": "r" * 32}},
        property_dependencies={"stringData": [k8s["random_redis"].urn]},
    )  # fmt: skip
    c["envFrom"] = [{"secretRef": {"name": "redis-env"}}]
    assert reported(run(k8s), "S5") == []


def test_s5_bitnami_allow_empty_password_from_a_config_map_of_the_stack(k8s):
    c = container(k8s["redis"])
    c["image"], c["command"], c["args"] = "bitnami/redis:7.2.5", ["/opt/bitnami/scripts/redis/run.sh"], []
    set_env(c, "ALLOW_EMPTY_PASSWORD", value_from=redis_env_config_map(k8s, "ALLOW_EMPTY_PASSWORD", "yes"))
    assert reported(run(k8s), "S5") == [(f"[S5] {REDIS}: {NO_REQUIREPASS}", k8s["redis"].urn)]


@pytest.mark.parametrize("allow", ["yes", "true"])
def test_s5_bitnami_redis_takes_its_password_from_redis_password_unless_empty_is_allowed(k8s, allow):
    c = container(k8s["redis"])
    c["image"], c["command"], c["args"] = "bitnami/redis:7.2.5", ["/opt/bitnami/scripts/redis/run.sh"], []
    assert reported(run(k8s), "S5") == []
    set_env(c, "ALLOW_EMPTY_PASSWORD", allow)
    assert reported(run(k8s), "S5") == [(f"[S5] {REDIS}: {NO_REQUIREPASS}", k8s["redis"].urn)]


@pytest.mark.parametrize(
    ("kind", "props", "how"),
    [
        ("RandomPassword", {"length": 31}, "length 31"),
        ("RandomString", {"length": 31}, "length 31"),
        ("RandomBytes", {"length": 21}, "21 bytes (28 base64 characters)"),
        ("RandomId", {"byteLength": 23}, "byteLength 23 (31 base64url characters)"),
        ("RandomPet", {}, "RandomPet"),
        ("RandomInteger", {"min": 0, "max": 10**9}, "RandomInteger"),
    ],
)
def test_s5_a_postgres_password_generator_below_32_characters(k8s, kind, props, how):
    g = k8s["random_pg"]
    g.type, g.props = r(kind), props
    assert reported(run(k8s), "S5") == [
        (f"[S5] {kind} 'postgres-password': found a Postgres password of {how}; required ≥ 32 characters. Fix: set length=32 (or more) on the generator", g.urn)
    ]


@pytest.mark.parametrize(
    ("kind", "props"),
    [
        ("RandomPassword", {"length": 32}),
        ("RandomString", {"length": 32}),
        ("RandomBytes", {"length": 22}),  # 4 * ceil(22 / 3) = 32 base64 characters (padded)
        ("RandomBytes", {"length": 24}),
        ("RandomId", {"byteLength": 24}),  # ceil(4 * 24 / 3) = 32 base64url characters
        ("RandomUuid", {}),
        ("RandomUuid4", {}),
        ("RandomUuid7", {}),
    ],
)
def test_s5_a_postgres_password_generator_of_32_characters_or_more_passes(k8s, kind, props):
    g = k8s["random_pg"]
    g.type, g.props = r(kind), props
    assert reported(run(k8s), "S5") == []


@pytest.mark.parametrize(("kind", "props", "what"), [("RandomPassword", {"length": UNKNOWN}, "length"), ("RandomBytes", {"length": UNKNOWN}, "length"), ("RandomId", {"byteLength": UNKNOWN}, "byteLength")])
def test_s5_a_password_generator_of_unknown_length_defers(k8s, kind, props, what):
    g = k8s["random_pg"]
    g.type, g.props = r(kind), props
    assert reported(run(k8s), "S5") == [(f"[S5] {DEFER}: {what} of {kind} 'postgres-password' (policy litellm-s5-datastore-passwords)", g.urn)]


def test_s5_a_redis_password_generator_below_32_characters(k8s):
    g = k8s["random_redis"]
    g.props["length"] = 16
    assert reported(run(k8s), "S5") == [
        (f"[S5] RandomPassword 'redis-password': found a Redis password of length 16; required ≥ 32 characters. Fix: set length=32 (or more) on the generator", g.urn)
    ]


def two_pg_generators(docker: dict[str, Resource]) -> None:
    """The Docker Postgres container's envs fed by two generators that both look like its own."""
    other = R(T_RPW, "pg-password-2", {"length": 48, "special": False})
    docker["pg2"] = other
    docker["postgres"].property_dependencies["envs"].append(other.urn)


def test_s5_two_generators_that_may_feed_the_postgres_password_defer_then_redis_is_still_judged(docker):
    two_pg_generators(docker)
    docker["redis"].props["command"] = ["redis-server", "--requirepass", "short", "--maxclients", "1000"]
    docker["redis"].property_dependencies = {}
    docker["redis"].dependencies = [docker["network"].urn]
    assert reported(run(docker), "S5") == [
        (
            "[S5] deferred: several random resources feed it; put the role in its name: the Postgres password generator"
            f" (RandomPassword 'postgres-password', RandomPassword 'pg-password-2') of POSTGRES_PASSWORD of {DOCKER_POSTGRES}"
            " (policy litellm-s5-datastore-passwords)",
            docker["postgres"].urn,
        ),
        (
            f"[S5] --requirepass of {DOCKER_REDIS}: found a Redis password of 5 characters; required ≥ 32 characters,"
            " generated. Fix: generate it with random.RandomPassword(length=32)",
            docker["redis"].urn,
        ),
    ]


SHORT_REDIS = (
    "found a Redis password of 5 characters; required ≥ 32 characters, generated. Fix: generate it with"
    " random.RandomPassword(length=32)"
)


@pytest.mark.parametrize(
    "command",
    [["redis-server", "--requirepass", "short"], ["redis-server", "--maxclients", "1000", "--requirepass", "short"]],
    ids=["first", "last"],
)
def test_s5_a_short_literal_redis_password_on_the_docker_command_line(docker, command):
    """Docker passes the password as an argument: wherever --requirepass sits, its value is
    judged (and never printed)."""
    docker["redis"].props["command"] = command
    docker["redis"].property_dependencies = {}
    docker["redis"].dependencies = [docker["network"].urn]
    assert reported(run(docker), "S5") == [(f"[S5] --requirepass of {DOCKER_REDIS}: {SHORT_REDIS}", docker["redis"].urn)]


def test_s5_a_literal_redis_password_of_32_characters_passes_and_31_fail(docker):
    docker["redis"].property_dependencies = {}
    docker["redis"].dependencies = [docker["network"].urn]
    docker["redis"].props["command"][2] = "r" * 32
    assert reported(run(docker), "S5") == []
    docker["redis"].props["command"][2] = "r" * 31
    assert [m for m, _ in reported(run(docker), "S5")] == [
        f"[S5] --requirepass of {DOCKER_REDIS}: found a Redis password of 31 characters; required ≥ 32 characters,"
        " generated. Fix: generate it with random.RandomPassword(length=32)"
    ]


def test_s5_an_empty_redis_password_is_no_password(k8s, docker):
    """Redis reads an empty requirepass as none at all (EMPTY_STRING_IS_NULL): every client then
    gets in without AUTH. Docker `--requirepass ""`, or a Secret holding "" behind
    `$(REDIS_PASSWORD)`, is a Redis without a password, reported like a short one."""
    docker["redis"].props["command"][2] = ""
    docker["redis"].property_dependencies = {}
    docker["redis"].dependencies = [docker["network"].urn]
    k8s["redis_auth"] = R(T_SECRET, "redis-auth", {"metadata": {"name": "redis-auth", "namespace": "litellm"}, "stringData": {"password": ""}})
    set_env(container(k8s["redis"]), "REDIS_PASSWORD", value_from={"secretKeyRef": {"name": "redis-auth", "key": "password"}})
    for stack, where in ((docker, f"--requirepass of {DOCKER_REDIS}"), (k8s, f"REDIS_PASSWORD of {REDIS}")):
        assert reported(run(stack), "S5") == [
            (
                f"[S5] {where}: found an empty Redis password (Redis then requires none); required ≥ 32 characters,"
                " generated. Fix: generate it with random.RandomPassword(length=32)",
                stack["redis"].urn,
            )
        ]


def redis_fed_by(docker: dict[str, Resource], prop: str, *generators: Resource, also: tuple[Resource, ...] = ()) -> None:
    """The Docker Redis password from `generators` through the container's `prop` (command or
    entrypoints); `also` are generators the container depends on for something else."""
    res = docker["redis"]
    res.props["command"][2] = UNKNOWN  # the generator's output, unknown at preview
    if prop == "entrypoints":
        res.props["entrypoints"], res.props["command"] = res.props["command"], []
    for g in (*generators, *also):
        docker[g.name] = g
    res.dependencies = [docker["network"].urn, *(g.urn for g in (*generators, *also))]
    res.property_dependencies = {prop: [g.urn for g in generators]}


@pytest.mark.parametrize("prop", ["command", "entrypoints"])
def test_s5_the_redis_password_generator_is_the_one_feeding_the_command_not_any_dependency(docker, prop):
    g = R(T_RPW, "k7", {"length": 16, "special": False})
    other = R(T_RPW, "k8", {"length": 48, "special": False})
    redis_fed_by(docker, prop, g, also=(other,))
    assert reported(run(docker), "S5") == [
        (f"[S5] RandomPassword 'k7': found a Redis password of length 16; required ≥ 32 characters. Fix: set length=32 (or more) on the generator", g.urn)
    ]


def test_s5_of_two_generators_feeding_the_redis_command_the_one_named_redis_is_its_password(docker):
    g = R(T_RPW, "cache-password", {"length": 16, "special": False})
    other = R(T_RPW, "k8", {"length": 8, "special": False})
    redis_fed_by(docker, "command", other, g)
    assert [m for m, _ in reported(run(docker), "S5")] == [
        "[S5] RandomPassword 'cache-password': found a Redis password of length 16; required ≥ 32 characters. Fix: set length=32 (or more) on the generator"
    ]


def test_s5_two_unnamed_generators_feeding_the_redis_command_defer(docker):
    a, b = R(T_RPW, "k7", {"length": 16}), R(T_RPW, "k8", {"length": 48})
    redis_fed_by(docker, "command", a, b)
    assert reported(run(docker), "S5") == [
        (
            "[S5] deferred: several random resources feed it; put the role in its name: the Redis password generator"
            f" (RandomPassword 'k7', RandomPassword 'k8') of --requirepass of {DOCKER_REDIS} (policy litellm-s5-datastore-passwords)",
            docker["redis"].urn,
        )
    ]


def test_s5_an_untraceable_redis_password_is_found_by_the_generator_s_name(docker):
    """Without dependency information (a harness that records none), the generator named for
    Redis is the password's."""
    docker["redis"].props["command"][2] = UNKNOWN
    docker["redis"].property_dependencies = {}
    docker["redis"].dependencies = []
    docker["random_redis"].props["length"] = 16
    set_envs(docker["proxy"].props, "REDIS_PASSWORD", remove=True)  # the Redis container alone reads it
    assert [m for m, _ in reported(run(docker), "S5")] == [
        "[S5] RandomPassword 'redis-password': found a Redis password of length 16; required ≥ 32 characters. Fix: set length=32 (or more) on the generator"
    ]


def test_s5_a_short_database_password_of_the_migration_job(k8s):
    """LiteLLM builds DATABASE_URL from DATABASE_HOST/USERNAME/PASSWORD/NAME: the migration job's
    DATABASE_PASSWORD is the Postgres password."""
    c = container(k8s["migrate"])
    set_env(c, "DATABASE_URL", remove=True)
    set_env(c, "DATABASE_PASSWORD", value_from={"secretKeyRef": {"name": "db-password", "key": "password"}})
    k8s["db_password"] = R(T_SECRET, "db-password", {"metadata": {"name": "db-password", "namespace": "litellm"}, "stringData": {"password": "p" * 12}})
    assert reported(run(k8s), "S5") == [
        (
            f"[S5] DATABASE_PASSWORD of {MIGRATE}: found a Postgres password of 12 characters; required ≥ 32 characters,"
            " generated. Fix: generate it with random.RandomPassword(length=32)",
            k8s["migrate"].urn,
        )
    ]


# ---------------------------------------------------------------- tracing through the stack


def test_a_salt_key_in_a_docker_file_is_traced_through_the_uploads(docker):
    """`LITELLM_SALT_KEY_FILE` plus an upload: the generator feeding the upload is the salt key's,
    and the master key's generator, which also feeds the env, is not mistaken for it."""
    proxy = docker["proxy"]
    salt = docker["random_salt"]
    proxy.props["envs"] = [e for e in proxy.props["envs"] if not e.startswith("LITELLM_SALT_KEY=")]
    proxy.props["envs"].append("LITELLM_SALT_KEY_FILE=/run/secrets/litellm-gateway/LITELLM_SALT_KEY")
    proxy.props["uploads"].append({"file": "/run/secrets/litellm-gateway/LITELLM_SALT_KEY", "content": UNKNOWN})
    proxy.property_dependencies["envs"].remove(salt.urn)
    proxy.property_dependencies["uploads"] = [docker["random_master"].urn, salt.urn]
    salt.props["length"] = 16
    assert reported(run(docker), "S2") == [(f"[S2] RandomBytes 'litellm-salt-key': found a salt key with 128 bits of entropy (16 bytes); {S2_FIX}", salt.urn)]


def test_a_generator_three_resources_behind_the_secret_is_traced(k8s):
    """The key may reach the Secret through resources that transform it (a command that formats
    it, components' outputs): the generator behind three of them is still the salt key's."""
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    k8s["gen"], prev = gen, gen
    for i in (3, 2, 1):
        prev = k8s[f"hop-{i}"] = R("command:local:Command", f"hop-{i}", {}, dependencies=[prev.urn])
    salt_secret(k8s, prev)
    k8s.pop("random_salt")
    assert reported(run(k8s), "S1") == [(unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {PROXY}"), gen.urn)]


def test_a_sidecar_listed_before_the_proxy_does_not_stop_the_tracing(k8s):
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    salt_secret(k8s, gen)
    pod(k8s["proxy"])["containers"].insert(0, {"name": "envoy", "image": "envoyproxy/envoy:v1.31.0"})
    assert reported(run(k8s), "S1") == [(unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {PROXY}"), gen.urn)]


def test_a_secret_named_at_apply_that_the_proxy_depends_on_is_the_one_it_reads(k8s):
    """An auto-named Secret (its name known after apply) the proxy depends on is the Secret its
    secretKeyRef names: its generator is traced."""
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    sec = salt_secret(k8s, gen)
    sec.props["metadata"]["name"] = UNKNOWN
    k8s["proxy"].dependencies.append(sec.urn)
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", value_from={"secretKeyRef": {"name": "salt-secret-1a2b3c", "key": "salt"}})
    assert reported(run(k8s), "S1") == [(unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {PROXY}"), gen.urn)]


def test_a_docker_salt_key_comes_from_the_generator_feeding_the_env_not_one_merely_depended_on(docker):
    """An old salt generator the container still depends on (kept, protected, for a migration)
    does not feed its env: the new one that does is judged alone, not deferred as ambiguous."""
    old = R(T_RBYTES, "old-salt-key", {"length": 32}, protect=True)
    docker["old"] = old
    docker["proxy"].dependencies.append(old.urn)
    docker["random_salt"].props["length"] = 16
    assert [m for m, _ in reported(run(docker), "S2")] == [
        f"[S2] RandomBytes 'litellm-salt-key': found a salt key with 128 bits of entropy (16 bytes); {S2_FIX}"
    ]


def test_a_salt_key_written_into_the_pod_spec_is_traced_to_the_generator_feeding_the_spec(k8s):
    """A literal LITELLM_SALT_KEY (S4 reports it) computed from a generator: that generator, not
    the ones behind the Secret the pod also reads, is the salt key's."""
    gen = R(T_RPW, "k1", {"length": 48, "special": False})
    k8s["gen"] = gen
    set_env(container(k8s["proxy"]), "LITELLM_SALT_KEY", UNKNOWN)
    k8s["proxy"].dependencies += [gen.urn, k8s["random_master"].urn]  # depends_on the master key's generator too
    k8s["proxy"].property_dependencies["spec"] = [gen.urn]
    assert reported(run(k8s), "S1") == [(unprotected_feeding("RandomPassword 'k1'", f"LITELLM_SALT_KEY of {PROXY}"), gen.urn)]


# ---------------------------------------------------------------- S6


def name_in_config(stack: dict[str, Resource], env: str, at: str = "api_key") -> None:
    """The first model reads `env` through `at: os.environ/<env>`."""
    holder = stack["config"] if "config" in stack else stack["proxy"]
    update_config(holder, lambda cfg: cfg["model_list"][0]["litellm_params"].update({at: f"os.environ/{env}"}))


def test_s6_a_variable_the_config_names_and_the_proxy_lacks(k8s):
    name_in_config(k8s, "ANTHROPIC_API_KEY")
    assert reported(run(k8s), "S6") == [
        (
            f"[S6] {PROXY}: found model_list[0].litellm_params.api_key in {CONFIG} names os.environ/ANTHROPIC_API_KEY,"
            " which the proxy does not have; required ANTHROPIC_API_KEY provided from a Secret. Fix: add ANTHROPIC_API_KEY"
            " to the proxy env (secretKeyRef to a Secret fed by stack secret config)",
            k8s["proxy"].urn,
        )
    ]


def test_s6_a_variable_the_config_sets_itself_is_provided(k8s):
    """environment_variables in the config sets the variable before the models read it (S4
    judges whether its value is a literal secret)."""

    def both(cfg: dict) -> None:
        cfg["environment_variables"] = {"AZURE_API_VERSION": "2024-06-01"}
        cfg["model_list"][0]["litellm_params"]["api_version"] = "os.environ/AZURE_API_VERSION"
        cfg["model_list"][1]["litellm_params"]["api_key"] = "os.environ/ANTHROPIC_API_KEY"

    update_config(k8s["config"], both)
    assert [m for m, _ in reported(run(k8s), "S6")] == [
        f"[S6] {PROXY}: found model_list[1].litellm_params.api_key in {CONFIG} names os.environ/ANTHROPIC_API_KEY,"
        " which the proxy does not have; required ANTHROPIC_API_KEY provided from a Secret. Fix: add ANTHROPIC_API_KEY"
        " to the proxy env (secretKeyRef to a Secret fed by stack secret config)"
    ]


def test_s6_a_hidden_env_defers_the_missing_one_and_still_reports_an_empty_one(docker):
    """The proxy's env is partly unknown: a variable not in sight may be there (deferred), but
    one in sight and empty after it is a finding now."""
    name_in_config(docker, "ANTHROPIC_API_KEY")
    docker["proxy"].props["envs"].append(UNKNOWN)
    set_envs(docker["proxy"].props, "OPENAI_API_KEY", "")
    assert reported(run(docker), "S6") == [
        (
            f"[S6] {DEFER}: env var ANTHROPIC_API_KEY named by model_list[0].litellm_params.api_key (an `envs` entry is unknown until apply) of {DOCKER}"
            " (policy litellm-s6-config-secrets-provided)",
            docker["proxy"].urn,
        ),
        (
            f"[S6] {DOCKER}: found OPENAI_API_KEY (named by model_list[1].litellm_params.api_key) set to an empty value;"
            " required a non-empty OPENAI_API_KEY. Fix: provide OPENAI_API_KEY from stack secret config",
            docker["proxy"].urn,
        ),
    ]


def test_s6_a_config_or_its_content_unknown_until_apply_defers(k8s):
    k8s["config"].props["data"]["config.yaml"] = UNKNOWN
    assert reported(run(k8s), "S6") == [
        (f"[S6] {DEFER}: the LiteLLM config content of {CONFIG} (policy litellm-s6-config-secrets-provided)", k8s["config"].urn)
    ]
    pod(k8s["proxy"])["volumes"] = UNKNOWN
    assert reported(run(k8s), "S6") == [
        (f"[S6] {DEFER}: the proxy's config of {PROXY} (policy litellm-s6-config-secrets-provided)", k8s["proxy"].urn)
    ]


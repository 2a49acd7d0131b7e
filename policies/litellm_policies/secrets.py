"""Secrets and identity rules S1-S6.

Secret values are never printed: messages name the key / env var and say "a literal
value". Which pulumi-random resource feeds a secret is traced through the stack:
env var -> secretKeyRef -> Secret -> the Secret's (property) dependencies (Kubernetes),
or the container's `envs`/`command` property dependencies (Docker); when several random
resources feed the same property, names containing the role (salt, master, db/postgres,
redis) decide; failing that the rule says it is ambiguous.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .common import config_checks, containers, setting
from .detect import (
    DOCKER_CONTAINER,
    ImageRef,
    RANDOM_PREFIX,
    Container,
    LiteLLMConfig,
    Stack,
    is_k8s,
    k8s_data_value,
    k8s_namespace,
    token_is_unknown,
)
from .model import UNKNOWN, Finding, Resource, deferred, is_unknown, violation
from .registry import MANDATORY, resource_policy, stack_policy
from .values import as_list, get, num, to_number
from .workloads import server_setting, uses_db

# ---------------------------------------------------------------- names

_SECRET_NAME = re.compile(
    r"(MASTER_KEY|SALT_KEY|API_KEY|APIKEY|SECRET|PASSWORD|PASSWD|_TOKEN$|^TOKEN$|WEBHOOK_URL|DATABASE_URL|"
    r"DIRECT_URL|REDIS_URL|PRIVATE_KEY|LICENSE|AUTH_KEY)",
    re.I,
)
_NOT_SECRET = re.compile(r"(_FILE$|_PATH$|^ALLOW_|_MIN_|_LENGTH$|_HEADER$|_POLICY$|TOKENS|_ENABLED$|^DISABLE_)", re.I)
_NOT_SECRET_NAMES = {"GOOGLE_APPLICATION_CREDENTIALS", "POSTGRES_HOST_AUTH_METHOD", "PGSSLMODE"}
_URL_NAMES = re.compile(r"(DATABASE_URL|DIRECT_URL|REDIS_URL)$", re.I)
_KREF = re.compile(r"^\$\([A-Za-z_][A-Za-z0-9_]*\)$")
_REF_ANYWHERE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")


def is_secret_name(name: str) -> bool:
    if not isinstance(name, str) or name.upper() in _NOT_SECRET_NAMES:
        return False
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET.search(name)


def literal_secret(name: str, value: Any) -> str | None:
    """Why a literal env value of a secret-named variable exposes a secret (None: it does
    not, e.g. empty, a `$(VAR)` reference, a URL without password)."""
    if is_unknown(value):
        return "a literal value (computed at apply, written into the pod spec in plaintext)"
    if not isinstance(value, str) or value == "" or _KREF.match(value):
        return None
    if _URL_NAMES.search(name):
        try:
            parts = urlsplit(value)
            pw = parts.password
        except ValueError:
            return "a literal connection URL"
        if pw is None or _REF_ANYWHERE.fullmatch(pw or ""):
            return None
        return "a connection URL with a literal password"
    return "a literal value"


# config keys whose literal values are secrets
_CONFIG_SECRET_KEY = re.compile(
    r"(^|_)(api_key|master_key|salt_key|password|passwd|secret|secret_key|secret_access_key|token|webhook_url|"
    r"database_url|redis_url|credentials|license|private_key)$",
    re.I,
)
PLACEHOLDERS = {"fake", "fake-key", "dummy", "none", "null", "not-needed", "placeholder", "mock", "unused", "x", "-", "changeme-in-secret"}


def config_literal_secrets(data: Any, path: str = "") -> list[str]:
    """Paths of config keys that hold a literal secret (not `os.environ/NAME`)."""
    hits: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            p = f"{path}.{k}" if path else str(k)
            if isinstance(k, str) and _CONFIG_SECRET_KEY.search(k) and isinstance(v, str):
                s = v.strip()
                if s and not s.startswith("os.environ/") and s.lower() not in PLACEHOLDERS:
                    if k.lower().endswith(("database_url", "redis_url")):
                        try:
                            if urlsplit(s).password is None:
                                continue
                        except ValueError:
                            pass
                    hits.append(p)
            elif k == "environment_variables" and isinstance(v, dict):
                for ek, ev in v.items():
                    if is_secret_name(str(ek)) and isinstance(ev, str) and ev and not ev.startswith("os.environ/"):
                        hits.append(f"{p}.{ek}")
            else:
                hits.extend(config_literal_secrets(v, p))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            hits.extend(config_literal_secrets(v, f"{path}[{i}]"))
    return hits


# ---------------------------------------------------------------- S4 (resource)


def config_secret_env_names(data: Any) -> set[str]:
    """Env vars a LiteLLM config reads into a secret-named key (`master_key: os.environ/X`,
    `api_key: os.environ/Y`): secrets whatever their own names say."""
    names: set[str] = set()
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and _CONFIG_SECRET_KEY.search(k) and isinstance(v, str) and v.startswith(ENV_REF):
                names.add(v[len(ENV_REF) :])
            else:
                names |= config_secret_env_names(v)
    elif isinstance(data, list):
        for v in data:
            names |= config_secret_env_names(v)
    return names


def _secret_env_names(stack: Stack, c: Container) -> set[str]:
    cfgs = stack.configs_for(c) if c.role == "proxy" else []
    return set().union(*(config_secret_env_names(cfg.data) for cfg in cfgs)) if isinstance(cfgs, list) else set()


def _k8s_workload_secrets(res: Resource, stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    cs = stack.containers
    if not any(c.kind for c in cs):
        return out
    fix_env = "store it in a Kubernetes Secret and use valueFrom.secretKeyRef"
    for c in cs:
        env = c.env(stack)
        named_by_config = _secret_env_names(stack, c)
        for name, var in env.vars.items():
            if not is_secret_name(name) and name not in named_by_config:
                continue
            if var.source == "value":
                why = literal_secret(name, var.value)
                if why:
                    out.append(violation("S4", c.label, f"env {name} set to {why}", "valueFrom.secretKeyRef", fix_env))
            elif var.source == "configmap":
                out.append(
                    violation("S4", c.label, f"env {name} taken from ConfigMap {var.ref_name!s}", "valueFrom.secretKeyRef", fix_env)
                )
        toks = c.tokens
        for i, t in enumerate(toks):
            if t in ("--requirepass", "--masterauth") and i + 1 < len(toks):
                v = toks[i + 1]
                if token_is_unknown(v) or not (_KREF.match(v) or v.startswith("$")):
                    out.append(
                        violation(
                            "S4",
                            c.label,
                            f"{t} with a literal value in the container args",
                            f"{t} $(REDIS_PASSWORD) with REDIS_PASSWORD from a secretKeyRef",
                            "pass the password through an env var sourced from a Secret",
                        )
                    )
        for probe in ("lifecycle.preStop.httpGet", "livenessProbe.httpGet", "readinessProbe.httpGet"):
            headers = as_list(get(c.spec, f"{probe}.httpHeaders"))
            if is_unknown(headers) or any(is_unknown(h) or (isinstance(h, dict) and is_unknown(h.get("name"))) for h in headers):
                # a header computed at apply may be the token itself: wait, never pass
                out.append(deferred("S4", c.label, f"the headers of {probe}"))
                continue
            for h in headers:
                if isinstance(h, dict) and is_secret_name(str(h.get("name", "")).replace("-", "_")):
                    out.append(
                        violation(
                            "S4",
                            c.label,
                            f"{probe} header {h.get('name')} with a literal value",
                            "the token from a Secret",
                            "use an exec preStop hook that sends the header from an env var sourced by secretKeyRef",
                        )
                    )
    return out


@resource_policy(
    "litellm-s4-no-plaintext-secrets",
    "S4",
    "S4: no secret in plaintext: master key, salt key, DB/Redis passwords, provider API keys, Slack webhook and "
    "tokens never appear as literal env values, in container args, in a ConfigMap or as literals in the LiteLLM "
    "config. Fix: keep them in a Kubernetes Secret referenced by valueFrom.secretKeyRef, and reference them in "
    "the config as os.environ/NAME.",
    MANDATORY,
    "kubernetes workloads / ConfigMap, docker Container (uploads)",
)
def s4_no_plaintext_secrets(res: Resource, stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    if is_k8s(res, "ConfigMap"):
        data = get(res.props, "data")
        if isinstance(data, dict):
            for k, v in data.items():
                if is_secret_name(k) and (is_unknown(v) or (isinstance(v, str) and v.strip() and not _KREF.match(v))):
                    out.append(
                        violation(
                            "S4",
                            f"{res.label} key '{k}'",
                            "a secret in a ConfigMap",
                            "secrets only in Secret objects",
                            f"move '{k}' to a Kubernetes Secret and reference it with secretKeyRef",
                        )
                    )
    elif res.type != DOCKER_CONTAINER and stack.containers:
        out.extend(_k8s_workload_secrets(res, stack))

    def check(cfg: LiteLLMConfig) -> list[Finding]:
        if cfg.in_secret:
            return []
        return [
            violation(
                "S4",
                cfg.where,
                f"{p} holds a literal secret",
                f"{p.rsplit('.', 1)[-1]}: os.environ/<NAME> with NAME from a Secret",
                "replace the literal with os.environ/NAME and provide NAME from a Secret",
            )
            for p in config_literal_secrets(cfg.data)
        ]

    out.extend(config_checks(res, "S4", check))
    return out


# ---------------------------------------------------------------- tracing secret sources

ROLE_ENV = {
    "salt": ("LITELLM_SALT_KEY",),
    "master": ("LITELLM_MASTER_KEY",),
    "postgres": ("POSTGRES_PASSWORD", "POSTGRESQL_PASSWORD", "DATABASE_PASSWORD", "PGPASSWORD"),
    "redis": ("REDIS_PASSWORD",),
}
ROLE_WORDS = {
    "salt": ("salt",),
    "master": ("master",),
    "postgres": ("postgres", "pg", "db", "database"),
    "redis": ("redis", "cache"),
}


@dataclass
class SecretSource:
    role: str
    consumer: Container
    env_name: str
    value: Any  # the value as far as known (never printed)
    randoms: list[Resource] = field(default_factory=list)
    ambiguous: bool = False
    holder: Resource | None = None

    @property
    def where(self) -> str:
        return f"{self.env_name} of {self.consumer.label}"


def _name_has(res: Resource, words: tuple[str, ...]) -> bool:
    n = res.name.lower()
    return any(re.search(rf"(^|[^a-z]){w}([^a-z]|$)", n) or (len(w) > 3 and w in n) for w in words)


def _randoms_behind(stack: Stack, res: Resource, props: tuple[str, ...]) -> list[Resource]:
    """Random resources feeding `props` of `res` (through non-random resources too)."""
    start: list[Resource] = []
    for p in props:
        start.extend(stack.deps_of(res, p))
    if not start:
        start = stack.deps_of(res)
    seen: dict[str, Resource] = {}
    todo, depth = list(start), 0
    while todo and depth < 4:
        nxt = []
        for r in todo:
            if r.urn in seen:
                continue
            seen[r.urn] = r
            if not r.type.startswith(RANDOM_PREFIX) and not is_k8s(r) and r.type != DOCKER_CONTAINER:
                nxt.extend(stack.all_deps_of(r))
        todo, depth = nxt, depth + 1
    return [r for r in seen.values() if r.type.startswith(RANDOM_PREFIX)]


def _pick(role: str, cands: list[Resource]) -> tuple[list[Resource], bool]:
    uniq = list({r.urn: r for r in cands}.values())
    if len(uniq) <= 1:
        return uniq, False
    named = [r for r in uniq if _name_has(r, ROLE_WORDS[role])]
    if len(named) == 1:
        return named, False
    return (named or uniq), True


def secret_sources(stack: Stack) -> list[SecretSource]:
    out: list[SecretSource] = []
    for c in stack.containers:
        if c.role not in ("proxy", "migration", "postgres", "redis"):
            continue
        env = c.env(stack)
        for role, names in ROLE_ENV.items():
            if role == "salt" and c.role != "proxy":
                continue
            if role == "master":
                names = master_key_env(stack, c)
            for name in names:
                var = env.vars.get(name)
                if var is None:
                    continue
                src = SecretSource(role, c, name, UNKNOWN)
                if c.platform == "k8s" and var.source == "secret":
                    obj = stack.k8s_named("Secret", var.ref_name, k8s_namespace(c.res), c.res)
                    if isinstance(obj, Resource):
                        src.holder = obj
                        src.value = k8s_data_value(obj, var.ref_key) if not is_unknown(var.ref_key) else UNKNOWN
                        cands = _randoms_behind(stack, obj, ("stringData", "data"))
                    else:
                        cands = []
                else:
                    src.holder = c.res
                    src.value = stack.env_var_value(var, c)
                    cands = _randoms_behind(stack, c.res, ("envs", "uploads") if c.platform == "docker" else ("spec",))
                if not cands and (is_unknown(src.value)):
                    cands = [r for r in stack.resources if r.type.startswith(RANDOM_PREFIX) and _name_has(r, ROLE_WORDS[role])]
                src.randoms, src.ambiguous = _pick(role, cands)
                out.append(src)
        if c.role == "redis":
            # a password passed on the command line (Docker: --requirepass <random>)
            toks = c.tokens
            if "--requirepass" in toks and c.platform == "docker":
                i = toks.index("--requirepass")
                val = UNKNOWN if i + 1 >= len(toks) or token_is_unknown(toks[i + 1]) else toks[i + 1]
                cands = _randoms_behind(stack, c.res, ("command", "entrypoints"))
                if not cands and is_unknown(val):
                    cands = [r for r in stack.resources if r.type.startswith(RANDOM_PREFIX) and _name_has(r, ROLE_WORDS["redis"])]
                picked, amb = _pick("redis", cands)
                out.append(SecretSource("redis", c, "--requirepass", val, picked, amb, c.res))
    return out


def config_master_key(stack: Stack, c: Container) -> Any:
    """general_settings.master_key of the config a proxy loads (None, UNKNOWN or the value):
    LiteLLM prefers it over LITELLM_MASTER_KEY, and `os.environ/NAME` there names the env var."""
    cfgs = stack.configs_for(c) if c.role == "proxy" else []
    if is_unknown(cfgs):
        return UNKNOWN
    for cfg in cfgs:
        if is_unknown(cfg.data):
            return UNKNOWN
        value = get(cfg.data, "general_settings.master_key")
        if value is not None:
            return value
    return None


def master_key_env(stack: Stack, c: Container) -> tuple[str, ...]:
    """The env var the proxy takes its master key from."""
    value = config_master_key(stack, c)
    if isinstance(value, str) and value.startswith(ENV_REF):
        return (value[len(ENV_REF) :],)
    return ROLE_ENV["master"]


ENV_REF = "os.environ/"


# ---------------------------------------------------------------- strength

DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"


def _flag(props: dict, key: str, default: bool = True) -> Any:
    v = props.get(key)
    if is_unknown(v):
        return UNKNOWN
    return default if v is None else bool(v)


def entropy_bits(r: Resource) -> tuple[Any, str]:
    """Entropy in bits of a pulumi-random resource's value, with how it was computed."""
    p = r.props
    kind = r.kind
    if kind in ("RandomPassword", "RandomString"):
        length = to_number(p.get("length"))
        if is_unknown(length) or length is None:
            return UNKNOWN, "length"
        flags = {k: _flag(p, k) for k in ("upper", "lower", "special")}
        numeric = _flag(p, "numeric") if p.get("numeric") is not None else _flag(p, "number")
        if any(is_unknown(v) for v in (*flags.values(), numeric)):
            return UNKNOWN, "character classes"
        special = p.get("overrideSpecial")
        nspecial = len(set(special)) if isinstance(special, str) else len(DEFAULT_SPECIAL)
        alphabet = 26 * flags["upper"] + 26 * flags["lower"] + 10 * numeric + nspecial * flags["special"]
        if alphabet <= 1:
            return 0.0, f"length {num(length)} over {alphabet} characters"
        return length * math.log2(alphabet), f"length {num(length)} over {alphabet} characters"
    if kind == "RandomBytes":
        n = to_number(p.get("length"))
        return (UNKNOWN, "length") if is_unknown(n) or n is None else (n * 8.0, f"{num(n)} bytes")
    if kind == "RandomId":
        n = to_number(p.get("byteLength"))
        return (UNKNOWN, "byteLength") if is_unknown(n) or n is None else (n * 8.0, f"byteLength {num(n)}")
    if kind in ("RandomUuid", "RandomUuid4"):
        return 122.0, "a UUIDv4"
    if kind == "RandomUuid7":
        return 74.0, "a UUIDv7"
    if kind == "RandomInteger":
        lo, hi = to_number(p.get("min")), to_number(p.get("max"))
        if is_unknown(lo) or is_unknown(hi) or lo is None or hi is None:
            return UNKNOWN, "min/max"
        return math.log2(max(hi - lo + 1, 1)), f"an integer in [{num(lo)}, {num(hi)}]"
    if kind == "RandomPet":
        return 20.0, "a pet name"
    return UNKNOWN, kind


def char_length(r: Resource) -> tuple[Any, str]:
    p = r.props
    kind = r.kind
    if kind in ("RandomPassword", "RandomString"):
        n = to_number(p.get("length"))
        return (UNKNOWN, "length") if is_unknown(n) or n is None else (n, f"length {num(n)}")
    if kind == "RandomBytes":
        n = to_number(p.get("length"))
        if is_unknown(n) or n is None:
            return UNKNOWN, "length"
        return 4 * math.ceil(n / 3), f"{num(n)} bytes ({4 * math.ceil(n / 3)} base64 characters)"
    if kind == "RandomId":
        n = to_number(p.get("byteLength"))
        if is_unknown(n) or n is None:
            return UNKNOWN, "byteLength"
        return math.ceil(4 * n / 3), f"byteLength {num(n)} ({math.ceil(4 * n / 3)} base64url characters)"
    if kind in ("RandomUuid", "RandomUuid4", "RandomUuid7"):
        return 36, "a UUID"
    return 0, kind


# ---------------------------------------------------------------- S1


@resource_policy(
    "litellm-s1-salt-resource-protected",
    "S1",
    "S1: a pulumi-random resource generating the salt key (its name contains 'salt') is protected, so no single "
    "update can remove `protect` and replace it. Checked before the step runs, also in `pulumi up`. "
    "Fix: keep opts=pulumi.ResourceOptions(protect=True) on the salt key resource; never replace it.",
    MANDATORY,
    "pulumi-random resources",
)
def s1_salt_resource_protected(res: Resource, stack: Stack) -> list[Finding]:
    if not res.type.startswith(RANDOM_PREFIX) or "salt" not in res.name.lower():
        return []
    if res.protect:
        return []
    return [
        violation(
            "S1",
            res.label,
            "protect false",
            "protect=True (changing the salt key breaks decryption of every credential stored in the DB)",
            "add opts=pulumi.ResourceOptions(protect=True) to the salt key resource; to migrate, adopt the existing "
            "salt key from secret config instead",
        )
    ]


#: S1: the keeper naming an adopted salt key's SHA-256 (components/secrets.py writes the same).
ADOPTED_KEEPER = "existingSaltKeySha256"


def adopted_fingerprint(res: Resource) -> Any:
    """The SHA-256 an adopted salt key's protected resource keeps, UNKNOWN, or None (generated)."""
    keepers = res.props.get("keepers")
    if is_unknown(keepers):
        return UNKNOWN
    return keepers.get(ADOPTED_KEEPER) if isinstance(keepers, dict) else None


def _fingerprint_differs(s: SecretSource, r: Resource) -> bool:
    kept = adopted_fingerprint(r)
    if kept is None or is_unknown(kept) or not isinstance(s.value, str):
        return False
    return hashlib.sha256(s.value.encode()).hexdigest() != kept


def _unknown_keepers(rule_id: str, r: Resource, what: str) -> Finding:
    """Keepers computed at apply may or may not hold an adopted key's fingerprint: the rule
    can tell neither a mismatch nor whether the value is generated, so it waits."""
    return deferred(rule_id, r.label, f"{what} (its keepers are unknown until apply)", urn=r.urn)


def _adoption_mismatch(s: SecretSource, r: Resource) -> Finding:
    return violation(
        "S1",
        s.where,
        f"a salt key other than the adopted one that {r.label} keeps",
        "the adopted salt key, unchanged",
        "restore the previous existingSaltKey; a changed salt key makes every stored credential unreadable",
        urn=r.urn,
    )


def _unkept_adoption(s: SecretSource) -> Finding:
    """An adopted key that nothing protected remembers changes silently when its setting does."""
    return violation(
        "S1",
        s.where,
        "an adopted salt key that no protected resource keeps (editing or removing the setting would change it silently)",
        f"its SHA-256 in the keepers ('{ADOPTED_KEEPER}') of a protected pulumi-random resource that feeds it",
        f"create random.RandomPassword(..., keepers={{'{ADOPTED_KEEPER}': sha256(key)}}, "
        "opts=pulumi.ResourceOptions(protect=True)) and make the key depend on it",
        urn=s.consumer.res.urn,
    )


@stack_policy(
    "litellm-s1-salt-key-protected",
    "S1",
    "S1: every proxy that uses the DB has LITELLM_SALT_KEY, and the pulumi-random resource feeding it (traced "
    "through Secret / env dependencies) is protected; an adopted salt key is accepted when a protected pulumi-random "
    "resource feeding it keeps its SHA-256 in keepers['existingSaltKeySha256'] and the key matches it. "
    "Fix: generate the salt key with pulumi-random and protect=True, or adopt the existing one that way.",
    MANDATORY,
    "proxy workloads, Secret, pulumi-random resources",
)
def s1_salt_key_protected(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    sources = [s for s in secret_sources(stack) if s.role == "salt"]
    for c in stack.proxies:
        db = uses_db(stack, c)
        if db is False or any(s.consumer is c for s in sources):
            continue
        env = c.env(stack)
        if not env.complete:
            out.append(deferred("S1", c.label, f"LITELLM_SALT_KEY ({env.gap_reason()})", urn=c.res.urn))
            continue
        out.append(
            violation(
                "S1",
                c.label,
                "no LITELLM_SALT_KEY",
                "LITELLM_SALT_KEY from a protected pulumi-random resource (or adopted from secret config)",
                "set LITELLM_SALT_KEY (secretKeyRef on Kubernetes); without it LiteLLM encrypts stored credentials "
                "with the master key, so rotating the master key breaks them",
                urn=c.res.urn,
            )
        )
    reported: set[str] = set()
    for s in sources:
        if not s.randoms:
            if is_unknown(s.value):
                out.append(deferred("S1", s.where, "the resource feeding LITELLM_SALT_KEY", urn=s.consumer.res.urn))
            else:
                out.append(_unkept_adoption(s))
            continue
        out.extend(_adoption_mismatch(s, r) for r in s.randoms if _fingerprint_differs(s, r))
        kept_unknown = [r for r in s.randoms if is_unknown(adopted_fingerprint(r))]
        out.extend(_unknown_keepers("S1", r, "whether the salt key is the adopted one it keeps") for r in kept_unknown)
        unprotected = [r for r in s.randoms if not r.protect and r.urn not in reported]
        for r in unprotected:
            reported.add(r.urn)
            if "salt" in r.name.lower():
                continue  # reported by litellm-s1-salt-resource-protected
            amb = (
                f" (cannot tell which of {', '.join(x.label for x in s.randoms)} feeds it, so all must be protected; "
                "or put 'salt' in the generator's name)"
                if s.ambiguous
                else ""
            )
            out.append(
                violation(
                    "S1",
                    r.label,
                    f"protect false on the resource feeding {s.where}{amb}",
                    "protect=True",
                    "add opts=pulumi.ResourceOptions(protect=True); never replace the salt key",
                    urn=r.urn,
                )
            )
    return out


# ---------------------------------------------------------------- S2 / S3 / S5

MIN_BITS = 256  # 32 random bytes


def _strength(s: SecretSource, rule_id: str, what: str) -> list[Finding]:
    out: list[Finding] = []
    if s.ambiguous:
        out.append(
            deferred(
                rule_id,
                s.where,
                f"the generator's strength: several random resources feed it ({', '.join(r.label for r in s.randoms)})",
                urn=s.consumer.res.urn,
                reason="cannot tell which random resource feeds it; put the role in its name",
            )
        )
        return out
    out.extend(_unknown_keepers(rule_id, r, f"the strength of {what}") for r in s.randoms if is_unknown(adopted_fingerprint(r)))
    generated = [r for r in s.randoms if adopted_fingerprint(r) is None]
    for r in generated:
        bits, how = entropy_bits(r)
        if is_unknown(bits):
            out.append(deferred(rule_id, r.label, how, urn=r.urn))
        elif bits < MIN_BITS:
            out.append(
                violation(
                    rule_id,
                    r.label,
                    f"{what} with {bits:.0f} bits of entropy ({how})",
                    f"≥ {MIN_BITS} bits (32 random bytes)",
                    "use random.RandomBytes(length=32) or a RandomPassword of length ≥ 43 (alphanumeric) / ≥ 41 "
                    "(default character set)",
                    urn=r.urn,
                )
            )
    if not generated and isinstance(s.value, str) and len(s.value) < 32:
        out.append(
            violation(
                rule_id,
                s.where,
                f"an adopted {what.removeprefix('a ')} of {len(s.value)} characters",
                "≥ 32 random bytes",
                "generate it with pulumi-random (32 random bytes) or adopt a longer key",
                urn=s.consumer.res.urn,
            )
        )
    return out


@stack_policy(
    "litellm-s2-salt-key-strength",
    "S2",
    "S2: the salt key has ≥ 32 random bytes (256 bits) of entropy. "
    "Fix: random.RandomBytes(length=32), or a RandomPassword long enough (≥ 43 alphanumeric characters).",
    MANDATORY,
    "pulumi-random resources feeding LITELLM_SALT_KEY",
)
def s2_salt_strength(stack: Stack) -> list[Finding]:
    out = []
    for s in secret_sources(stack):
        if s.role == "salt":
            out.extend(_strength(s, "S2", "a salt key"))
    return _dedupe(out)


@stack_policy(
    "litellm-s3-master-key",
    "S3",
    "S3: every proxy has LITELLM_MASTER_KEY, generated (≥ 32 random bytes) and starting with 'sk-'. "
    "Fix: set LITELLM_MASTER_KEY from a Secret holding 'sk-' + a pulumi-random value of ≥ 32 bytes.",
    MANDATORY,
    "proxy workloads, Secret, pulumi-random resources",
)
def s3_master_key(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    sources = [s for s in secret_sources(stack) if s.role == "master"]
    for c in stack.proxies:
        in_config = config_master_key(stack, c)
        if isinstance(in_config, str) and not in_config.startswith(ENV_REF):
            out.append(
                violation(
                    "S3",
                    c.label,
                    "a master key written into config.yaml (general_settings.master_key), which LiteLLM uses instead of "
                    "LITELLM_MASTER_KEY: plaintext and not generated",
                    "general_settings.master_key unset, or os.environ/LITELLM_MASTER_KEY",
                    "remove general_settings.master_key from the config (LiteLLM then reads LITELLM_MASTER_KEY)",
                    urn=c.res.urn,
                )
            )
            continue
        if any(s.consumer is c for s in sources):
            continue
        (name,) = master_key_env(stack, c)
        env = c.env(stack)
        if not env.complete or is_unknown(in_config):
            out.append(deferred("S3", c.label, f"{name} ({env.gap_reason() if not env.complete else 'the config'})", urn=c.res.urn))
            continue
        out.append(
            violation(
                "S3",
                c.label,
                f"no {name} (the proxy would accept unauthenticated requests)",
                f"{name} from a Secret",
                "generate the master key with pulumi-random and pass it via secretKeyRef",
                urn=c.res.urn,
            )
        )
    for s in sources:
        out.extend(_strength(s, "S3", "a master key"))
        if is_unknown(s.value):
            out.append(deferred("S3", s.where, "the 'sk-' prefix", urn=s.consumer.res.urn))
        elif isinstance(s.value, str) and not s.value.startswith("sk-"):
            out.append(
                violation(
                    "S3",
                    s.where,
                    "a master key that does not start with 'sk-'",
                    "the 'sk-' prefix LiteLLM requires",
                    "prefix the generated value: pulumi.Output.concat('sk-', key.result)",
                    urn=s.consumer.res.urn,
                )
            )
        elif s.value is None and s.holder is not None and s.holder.kind == "Secret":
            out.append(
                violation(
                    "S3",
                    s.where,
                    f"a secretKeyRef to a key missing from {s.holder.label}",
                    "the referenced key present in the Secret",
                    "add the key to the Secret or fix the secretKeyRef key",
                    urn=s.consumer.res.urn,
                )
            )
    return _dedupe(out)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if (f.message, f.urn) not in seen:
            seen.add((f.message, f.urn))
            out.append(f)
    return out


@stack_policy(
    "litellm-s5-datastore-passwords",
    "S5",
    "S5: Postgres and Redis passwords are generated with ≥ 32 characters, and Redis requires a password "
    "(no trust auth on Postgres). Fix: random.RandomPassword(length=32+) passed via a Secret; run Redis with "
    "--requirepass $(REDIS_PASSWORD).",
    MANDATORY,
    "Postgres / Redis workloads, Secret, pulumi-random resources",
)
def s5_datastore_passwords(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for pg in containers(stack, "postgres"):
        auth = pg.env_value("POSTGRES_HOST_AUTH_METHOD", stack)
        if isinstance(auth, str) and auth.lower() == "trust":
            out.append(
                violation("S5", pg.label, "POSTGRES_HOST_AUTH_METHOD=trust (no password)", "password authentication", "remove POSTGRES_HOST_AUTH_METHOD=trust", urn=pg.res.urn)
            )
        env = pg.env(stack)
        if not any(n in env.vars for n in ("POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "POSTGRESQL_PASSWORD")):
            if env.complete:
                out.append(
                    violation("S5", pg.label, "no POSTGRES_PASSWORD", "a generated password of ≥ 32 characters", "set POSTGRES_PASSWORD from a Secret fed by random.RandomPassword(length=32)", urn=pg.res.urn)
                )
            else:
                out.append(deferred("S5", pg.label, f"POSTGRES_PASSWORD ({env.gap_reason()})", urn=pg.res.urn))
    for r in containers(stack, "redis"):
        pw, where = server_setting(stack, r, "requirepass", ("REDIS_ARGS", "REDIS_EXTRA_FLAGS"))
        env = r.env(stack)
        bitnami = isinstance(r.image, ImageRef) and "bitnami" in r.image.repository
        allow_empty = r.env_value("ALLOW_EMPTY_PASSWORD", stack)
        bitnami_pw = bitnami and "REDIS_PASSWORD" in env.vars and not (isinstance(allow_empty, str) and allow_empty.lower() in ("yes", "true"))
        if pw is None and not bitnami_pw:
            out.append(
                violation("S5", r.label, "Redis without requirepass", "a password (≥ 32 characters) that Redis requires", "run redis-server --requirepass $(REDIS_PASSWORD) with REDIS_PASSWORD from a Secret", urn=r.res.urn)
            )
        elif is_unknown(pw) and not bitnami_pw and "--requirepass" not in r.tokens:
            out.append(deferred("S5", r.label, f"requirepass ({where})", urn=r.res.urn))
    for s in secret_sources(stack):
        if s.role not in ("postgres", "redis"):
            continue
        what = "Postgres password" if s.role == "postgres" else "Redis password"
        if s.ambiguous:
            out.append(
                deferred("S5", s.where, f"the {what} generator ({', '.join(r.label for r in s.randoms)})", urn=s.consumer.res.urn, reason="several random resources feed it; put the role in its name")
            )
            continue
        for g in s.randoms:
            n, how = char_length(g)
            if is_unknown(n):
                out.append(deferred("S5", g.label, how, urn=g.urn))
            elif n < 32:
                out.append(
                    violation("S5", g.label, f"a {what} of {how}", "≥ 32 characters", "set length=32 (or more) on the generator", urn=g.urn)
                )
        if not s.randoms and isinstance(s.value, str) and len(s.value) < 32 and not _KREF.match(s.value):
            # an empty requirepass is none at all (Redis reads it as NULL: no AUTH asked)
            found = f"a {what} of {len(s.value)} characters" if s.value else f"an empty {what}"
            if not s.value and s.consumer.role == "redis":
                found += " (Redis then requires none)"
            out.append(
                violation("S5", s.where, found, "≥ 32 characters, generated", "generate it with random.RandomPassword(length=32)", urn=s.consumer.res.urn)
            )
    return _dedupe(out)


SECRET_OUTPUT_KINDS = {
    "RandomString": ("result",),
    "RandomId": ("hex", "b64Std", "b64Url", "dec", "id"),
    "RandomInteger": ("result", "id"),
    "RandomUuid": ("result", "id"),
    "RandomUuid4": ("result", "id"),
    "RandomUuid7": ("result", "id"),
    "RandomPet": ("id",),
}


@stack_policy(
    "litellm-s4-random-secret-outputs",
    "S4",
    "S4: a pulumi-random resource that feeds a secret (salt/master key, DB/Redis password) has secret outputs: "
    "RandomPassword/RandomBytes, or additional_secret_outputs on RandomString/RandomId. "
    "Fix: use random.RandomPassword / random.RandomBytes, or add additional_secret_outputs=['result'].",
    MANDATORY,
    "pulumi-random resources feeding secrets",
)
def s4_random_secret_outputs(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for s in secret_sources(stack):
        for r in s.randoms:
            if r.urn in seen or r.kind not in SECRET_OUTPUT_KINDS:
                continue
            seen.add(r.urn)
            outputs = SECRET_OUTPUT_KINDS[r.kind]
            if not any(o in r.additional_secret_outputs for o in outputs):
                out.append(
                    violation(
                        "S4",
                        r.label,
                        f"a {r.kind} feeding {s.where} whose outputs are stored in plaintext",
                        "secret outputs",
                        f"use random.RandomPassword or add additional_secret_outputs={list(outputs[:1])!r}",
                        urn=r.urn,
                    )
                )
    return out


# ---------------------------------------------------------------- S6


def _env_refs(data: Any, path: str = "") -> list[tuple[str, str]]:
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.extend(_env_refs(v, f"{path}.{k}" if path else str(k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.extend(_env_refs(v, f"{path}[{i}]"))
    elif isinstance(data, str) and data.startswith("os.environ/"):
        out.append((path, data[len("os.environ/"):]))
    return out


@stack_policy(
    "litellm-s6-config-secrets-provided",
    "S6",
    "S6: every os.environ/NAME the LiteLLM config names (provider API keys, master key, ...) is provided to the "
    "proxy, with a non-empty value. Fix: add NAME to the proxy env from a Secret (secretKeyRef), or remove the "
    "model that needs it.",
    MANDATORY,
    "proxy workloads + LiteLLM config",
)
def s6_config_secrets_provided(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for c in stack.proxies:
        cfgs = stack.configs_for(c)
        if is_unknown(cfgs):
            out.append(deferred("S6", c.label, "the proxy's config", urn=c.res.urn))
            continue
        env = c.env(stack)
        for cfg in cfgs:
            if is_unknown(cfg.data):
                out.append(deferred("S6", cfg.where, "the LiteLLM config content", urn=cfg.res.urn))
                continue
            env_vars = setting(cfg.data, "environment_variables")
            from_cfg = set(env_vars) if isinstance(env_vars, dict) else set()
            for path, name in _env_refs(cfg.data):
                if name in from_cfg:
                    continue
                var = env.vars.get(name)
                if var is None:
                    if not env.complete:
                        out.append(deferred("S6", c.label, f"env var {name} named by {path} ({env.gap_reason()})", urn=c.res.urn))
                        continue
                    out.append(
                        violation(
                            "S6",
                            c.label,
                            f"{path} in {cfg.where} names os.environ/{name}, which the proxy does not have",
                            f"{name} provided from a Secret",
                            f"add {name} to the proxy env (secretKeyRef to a Secret fed by stack secret config)",
                            urn=c.res.urn,
                        )
                    )
                elif var.source == "value" and var.value == "":
                    out.append(
                        violation("S6", c.label, f"{name} (named by {path}) set to an empty value", f"a non-empty {name}", f"provide {name} from stack secret config", urn=c.res.urn)
                    )
    return out

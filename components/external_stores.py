"""Managed data stores: the `postgres.external` and `redis.external` settings.

With them no in-cluster Postgres or Redis is created: the proxy connects to the server a secret
config value's URL names, and the D2/R2 budgets are held against the limits the operator states
for that server (its `max_connections`, `maxclients`), because the program cannot size a server
it does not run. TLS is what the URL asks for: `sslmode=require` (or stricter) in a Postgres URL
is passed on as it is, a `rediss://` URL sets LiteLLM's `REDIS_SSL`. The URLs' values never enter
a message: only their config keys.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote, urlsplit

from pydantic import Field

from components.errors import Problem
from components.setting_model import SettingModel
from components.sizing import SizingPlan

if TYPE_CHECKING:  # settings.py composes this module's models
    from components.settings import StackSettings

#: The annotations with which the proxy Deployment states an external server's limit, so the
#: pack judges D2/R2 against it (policies/litellm_policies/external_stores.py reads the same).
POSTGRES_LIMIT_ANNOTATION: Final = "litellm-gateway/postgres-max-connections"
REDIS_LIMIT_ANNOTATION: Final = "litellm-gateway/redis-maxclients"

POSTGRES_URL_FORM: Final = "postgresql://USER:PASSWORD@HOST:5432/DATABASE?sslmode=require"
REDIS_URL_FORM: Final = "rediss://:PASSWORD@HOST:6380 (redis:// without TLS)"


class ExternalPostgres(SettingModel):
    url_secret: str = Field(min_length=1)
    """The secret config key holding the server's connection URL (S4: set with --secret)."""
    max_connections: int = Field(ge=1)
    """The server's `max_connections`: the D2 budget must fit in it."""


class ExternalRedis(SettingModel):
    url_secret: str = Field(min_length=1)
    """The secret config key holding the server's URL, password included (S4, S5)."""
    max_clients: int = Field(ge=1)
    """The server's `maxclients`: the R2 budget must fit in it."""


class PostgresSettings(SettingModel):
    """Where the database lives: in the cluster (default) or on a managed server."""

    external: ExternalPostgres | None = None


class RedisSettings(SettingModel):
    """Where the cache lives: in the cluster (default) or on a managed server."""

    external: ExternalRedis | None = None


def external_problems(
    platform: str, postgres: PostgresSettings, redis: RedisSettings, postgres_max_connections: int | None, secret_keys: frozenset[str] | None
) -> list[Problem]:
    """Combinations no single key shows: Kubernetes only, the URL set as a secret (unless
    `secret_keys` is None: a capacity report of a stack whose secrets live elsewhere), and no
    in-cluster sizing override beside an external server's own limit."""
    problems: list[Problem] = []
    for key, external in (("postgres.external", postgres.external), ("redis.external", redis.external)):
        if external is None:
            continue
        if platform != "kubernetes":
            problems.append(Problem(key, "set", "only on platform kubernetes (dev runs its own data stores)"))
        if secret_keys is not None and external.url_secret not in secret_keys:
            form = POSTGRES_URL_FORM if key.startswith("postgres") else REDIS_URL_FORM
            problems.append(Problem(f"{key}.urlSecret", repr(external.url_secret), f"set it first: pulumi config set --secret {external.url_secret} '{form}'", "S4"))
    if postgres.external is not None and postgres_max_connections is not None:
        problems.append(
            Problem("postgresMaxConnections", str(postgres_max_connections), "unset with postgres.external: its maxConnections is the server's limit", "D2")
        )
    return problems


def url_problems(postgres: PostgresSettings, redis: RedisSettings, secret_values: Mapping[str, str]) -> list[Problem]:
    """The URLs' shape, where the program can read the secret values (they are never quoted)."""
    problems: list[Problem] = []
    if postgres.external is not None and postgres.external.url_secret in secret_values:
        url = urlsplit(secret_values[postgres.external.url_secret])
        if url.scheme not in ("postgresql", "postgres") or not (url.hostname and url.username and url.password and url.path.strip("/")):
            problems.append(Problem(f"{postgres.external.url_secret}", "a secret value", f"a URL of the form {POSTGRES_URL_FORM}", "S4"))
    if redis.external is not None and redis.external.url_secret in secret_values:
        url = urlsplit(secret_values[redis.external.url_secret])
        if url.scheme not in ("redis", "rediss") or not url.hostname or not url.password or url.username not in (None, "", "default"):
            problems.append(Problem(f"{redis.external.url_secret}", "a secret value", f"a URL of the form {REDIS_URL_FORM}, with the password", "S5"))
    return problems


def url_secret_keys(postgres: PostgresSettings, redis: RedisSettings) -> list[str]:
    """The secret config keys that hold the external servers' URLs."""
    return [e.url_secret for e in (postgres.external, redis.external) if e is not None]


#: R1: LiteLLM is given an external Redis by host, port and password (and TLS), never by URL. The
#: values come from the secret URL, so they live in the proxy's Secret; REDIS_SSL "false" is
#: read as false (LiteLLM coerces it by redis-py's signature).
REDIS_URL_PARTS: Final = {
    "REDIS_HOST": lambda parts: parts.hostname or "",
    "REDIS_PORT": lambda parts: str(parts.port or 6379),
    "REDIS_PASSWORD": lambda parts: unquote(parts.password or ""),
    "REDIS_SSL": lambda parts: "true" if parts.scheme == "rediss" else "false",
}


def redis_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return {name: part(parts) for name, part in REDIS_URL_PARTS.items()}


def external_limit_annotations(settings: "StackSettings", plan: SizingPlan) -> dict[str, str]:
    """The external servers' limits, stated on the proxy workload for the pack (D2/R2): it cannot
    see a server outside the stack, and judges the proxies' budget against these."""
    found = {}
    if settings.postgres.external is not None:
        found[POSTGRES_LIMIT_ANNOTATION] = str(plan.postgres_max_connections)
    if settings.redis.external is not None:
        found[REDIS_LIMIT_ANNOTATION] = str(plan.redis_maxclients)
    return found

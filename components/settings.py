"""Stack settings: the `litellm-gateway:*` config of a stack, parsed and validated before any
resource exists.

Two front ends feed one validator: the running program (Pulumi's config environment) and the
capacity report (a `Pulumi.<stack>.yaml` file). Secret values never enter this model, only the
names of the secret keys that are set, so no error message can leak one.
"""

import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from components import hardening as h
from components.errors import CONFIG_NAMESPACE, ConfigError, Problem
from components.exposure import IngressSettings, LoadBalancerSettings, exposure_problems
from components.external_stores import PostgresSettings, RedisSettings, external_problems
from components.proxy_layout import ProxyLayout, layout_of, proxy_layout
from components.scheduling import SchedulingSettings, scheduling_problems
from components.setting_model import SettingModel
from components.sizing import MACHINE_CLASSES, ROLLOUTS, SizingPlan, plan_sizing

#: Secret config keys with a fixed meaning; provider API keys are named by each model.
SLACK_WEBHOOK_KEY = "slackWebhookUrl"  # O2
EXISTING_SALT_KEY = "existingSaltKey"  # S1: adopt the salt key of a running deployment

_EXACT_TAG = re.compile(r"^v?\d+(\.\d+)+([-_.+][0-9A-Za-z.]+)*$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


_Model = SettingModel


class ModelRoute(_Model):
    """One public model name routed to a provider model (an entry of LiteLLM's model_list)."""

    name: str = Field(min_length=1)
    model: str = Field(min_length=3, pattern=r"^[^/\s]+/\S+$")  # provider/model, e.g. openai/gpt-4o
    api_key_secret: str | None = None  # S6: name of the secret config key holding the API key
    api_base: str | None = None
    timeout: int | None = Field(default=None, ge=1)  # P7 per-model override, seconds
    fallbacks: tuple[str, ...] = ()  # F5

    @property
    def api_key_env(self) -> str | None:
        """The env var the proxy reads the key from: `mockApiKey` -> `MOCK_API_KEY`."""
        if self.api_key_secret is None:
            return None
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.api_key_secret).replace("-", "_").upper()


class Autoscaling(_Model):
    """A HorizontalPodAutoscaler's bounds; its maximum is the instance count of the D2 budget."""

    min_replicas: int = Field(ge=1)
    max_replicas: int = Field(ge=1)
    target_cpu_percent: int = Field(default=70, ge=10, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> "Autoscaling":
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas {self.min_replicas} is above maxReplicas {self.max_replicas}")
        return self


def _pinned(ref: str) -> str:
    """N2: an exact version tag or a digest; never `latest`, never a known-compromised LiteLLM."""
    if _DIGEST.search(ref):
        return ref
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag or not _EXACT_TAG.match(tag):
        raise ValueError(f"{ref!r} is not pinned: use an exact version tag (name:1.2.3) or a digest (@sha256:...) [N2]")
    if "litellm" in name and tag.lstrip("v").split("-")[0] in h.COMPROMISED_LITELLM_VERSIONS:
        raise ValueError(f"{ref!r} is a compromised LiteLLM release (PyPI 1.82.7/1.82.8, March 2026) [N2]")
    return ref


class Images(_Model):
    """Image references: the project's images, or a registry's copies of them pinned by digest;
    the proxy may also be LiteLLM's own image on Kubernetes (components/proxy_layout.py)."""

    proxy: str
    postgres: str
    redis: str
    mock_upstream: str | None = None

    @field_validator("proxy", "postgres", "redis", "mock_upstream")
    @classmethod
    def _check_pinned(cls, ref: str | None) -> str | None:
        return None if ref is None else _pinned(ref)


class DockerSettings(_Model):
    """Where the dev stack publishes the proxy; always on 127.0.0.1 (N1)."""

    proxy_port: int = Field(default=h.PROXY_PORT, ge=1024, le=65535)
    health_port: int = Field(default=h.HEALTH_PORT, ge=1024, le=65535)


class KubernetesSettings(_Model):
    """Namespace and storage of the prod stack."""

    namespace: str = Field(default="litellm", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
    storage_class: str | None = None
    postgres_storage_gib: int = Field(default=20, ge=1)


class StackSettings(_Model):
    """Everything a stack may choose; the rest is derived by `plan()`."""

    platform: Literal["docker", "kubernetes"]
    machine_class: str
    replicas: int = Field(default=1, ge=1)
    autoscaling: Autoscaling | None = None
    models: tuple[ModelRoute, ...] = Field(min_length=1)
    images: Images
    workers: int | None = None
    db_pool_per_worker: int | None = None
    postgres_max_connections: int | None = None
    proxy_server: Literal["uvicorn", "gunicorn"] = "uvicorn"
    admission_target_seconds: float = h.ADMISSION_TARGET_SECONDS  # F6, checked by plan_sizing
    response_cache: Literal["opt-in", "always"] = "opt-in"
    allow_requests_on_db_unavailable: bool = False  # D7
    connect_database: bool = True
    mock_upstream: bool = False
    docker: DockerSettings = DockerSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    ingress: IngressSettings | None = None  # N5-N7: clients outside the cluster, over TLS
    load_balancer: LoadBalancerSettings | None = None  # N5: the alternative to ingress
    postgres: PostgresSettings = PostgresSettings()  # D2: a managed server instead of the in-cluster one
    redis: RedisSettings = RedisSettings()  # R2: a managed server instead of the in-cluster one
    scheduling: SchedulingSettings = SchedulingSettings()  # N4: placement of the prod pods
    secret_keys: frozenset[str] = Field(default=frozenset(), exclude=True)

    @field_validator("machine_class")
    @classmethod
    def _known_class(cls, value: str) -> str:
        if value not in MACHINE_CLASSES:
            raise ValueError(f"{value!r} is not a machine class; allowed: {', '.join(MACHINE_CLASSES)}")
        return value

    @property
    def max_instances(self) -> int:
        """The most instances that run outside an update: the autoscaler's maximum when set. D2
        and R2 count more: the platform's update (`sizing.rollout_instances`)."""
        return self.autoscaling.max_replicas if self.autoscaling else self.replicas

    @property
    def proxy_layout(self) -> ProxyLayout:
        """What runs in the proxy's containers: our image's, or LiteLLM's own image's arrangement."""
        return proxy_layout(self.images.proxy, check_only=not self.connect_database)

    @property
    def slack_alerting(self) -> bool:
        return SLACK_WEBHOOK_KEY in self.secret_keys

    def plan(self) -> SizingPlan:
        """External servers' limits are limits the plan must fit in (D2, R2), as an override is."""
        pg, rd = self.postgres.external, self.redis.external
        return plan_sizing(
            self.machine_class,
            self.max_instances,
            rollout=ROLLOUTS[self.platform],
            workers=self.workers,
            db_pool_per_worker=self.db_pool_per_worker,
            postgres_max_connections=pg.max_connections if pg else self.postgres_max_connections,
            longest_request_seconds=max([h.REQUEST_TIMEOUT_SECONDS, *(m.timeout or 0 for m in self.models)]),
            postgres_limit_key="postgres.external.maxConnections" if pg else "postgresMaxConnections",
            redis_maxclients=rd.max_clients if rd else None,
            admission_target_seconds=self.admission_target_seconds,
        )

    def cross_problems(self, *, require_secrets: bool = True) -> list[Problem]:
        """Rules that span several keys; pydantic checks each key alone."""
        problems: list[Problem] = []
        names = [m.name for m in self.models]
        for i, model in enumerate(self.models):
            if names.count(model.name) > 1:
                problems.append(Problem(f"models[{i}].name", repr(model.name), "model names must be unique"))
            for target in model.fallbacks:
                if target not in names or target == model.name:
                    problems.append(
                        Problem(f"models[{i}].fallbacks", repr(target), f"another model's name: {', '.join(names)}", "F5")
                    )
            if require_secrets and model.api_key_secret and model.api_key_secret not in self.secret_keys:
                problems.append(
                    Problem(
                        f"models[{i}].apiKeySecret",
                        repr(model.api_key_secret),
                        f"set it first: pulumi config set --secret {model.api_key_secret} <key>",
                        "S6",
                    )
                )
        if self.platform == "docker" and (self.replicas != 1 or self.autoscaling):
            problems.append(
                Problem("replicas", str(self.replicas), "1 without autoscaling on platform docker; use kubernetes to scale")
            )
        if self.platform == "kubernetes" and (self.autoscaling.min_replicas if self.autoscaling else self.replicas) < 2:
            problems.append(
                Problem("replicas", str(self.replicas), "at least 2 proxy replicas (or autoscaling.minReplicas >= 2) on kubernetes", "N4")
            )
        problems += exposure_problems(self.platform, self.ingress, self.load_balancer)
        problems += scheduling_problems(self.platform, self.scheduling)
        problems += external_problems(
            self.platform, self.postgres, self.redis, self.postgres_max_connections, self.secret_keys if require_secrets else None
        )
        if self.platform == "docker" and layout_of(self.images.proxy) == "official":
            problems.append(
                Problem(
                    "images.proxy",
                    repr(self.images.proxy),
                    "the project's image on platform docker: LiteLLM's own image is supported on kubernetes only. On Docker "
                    "the secrets reach the proxy as files named by NAME_FILE variables (so `docker inspect` shows none), "
                    "and only the project's entry point reads them; LiteLLM's image would start without its master key, "
                    "salt key and Redis password (and putting them in its environment is what S4 forbids)",
                    "S4",
                )
            )
        if self.mock_upstream and not self.images.mock_upstream:
            problems.append(Problem("images.mockUpstream", "unset", "an image reference when mockUpstream is true"))
        return problems


def load_settings(values: Mapping[str, Any], secret_keys: Collection[str], *, require_secrets: bool = True) -> StackSettings:
    """Validate `litellm-gateway:*` values (keys without the namespace) and plan the sizing.

    A key that is not a setting must be a secret (a provider key named by a model, the Slack
    webhook, an adopted salt key); a plaintext one is refused (S4) without echoing its value.
    `require_secrets=False` lets the capacity report size a stack whose secrets live elsewhere.
    """
    fields = {f.alias or name for name, f in StackSettings.model_fields.items() if name != "secret_keys"}
    problems: list[Problem] = []
    settings_values: dict[str, Any] = {}
    for key, value in values.items():
        if key in fields:
            settings_values[key] = _decode(value)
        elif key not in secret_keys:
            problems.append(
                Problem(
                    key,
                    "a plaintext value",
                    f"not a setting (settings: {', '.join(sorted(fields))}); a secret must be set with --secret",
                    "S4",
                )
            )
    try:
        settings = StackSettings.model_validate({**settings_values, "secret_keys": frozenset(secret_keys)})
    except ValidationError as err:
        raise ConfigError(problems + [_problem_from(e) for e in err.errors()]) from None
    problems += settings.cross_problems(require_secrets=require_secrets)
    if problems:
        raise ConfigError(problems)
    settings.plan()  # raises ConfigError naming the key when a budget cannot hold
    return settings


def load_stack_file(path: Path, *, require_secrets: bool = True) -> StackSettings:
    """Read a `Pulumi.<stack>.yaml`: `{secure: ...}` values count as set secrets."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError([Problem("(file)", str(path), f"a readable YAML stack file ({err})")]) from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError([Problem("(file)", str(path), "a YAML mapping with a `config:` section")])
    values, secrets = {}, set()
    prefix = f"{CONFIG_NAMESPACE}:"
    for full_key, value in config.items():
        if not str(full_key).startswith(prefix):
            continue
        key = full_key[len(prefix) :]
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(key)
        values[key] = value
    return load_settings(values, secrets, require_secrets=require_secrets)


def _decode(value: Any) -> Any:
    """Pulumi's config environment holds structured values as JSON text."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _problem_from(error: Mapping[str, Any]) -> Problem:
    """Turn one pydantic error into a Problem whose key path reads like the stack file."""
    loc = [str(p) for p in error["loc"]]
    key = ""
    for part in loc:
        key += f"[{part}]" if part.isdigit() else (f".{part}" if key else part)
    found = "missing" if error["type"] == "missing" else _short(error.get("input"))
    if error["type"] == "extra_forbidden":
        found, allowed = "an unknown key", "remove it or fix its spelling (see README's config reference)"
    else:
        allowed = error["msg"].removeprefix("Value error, ")
    rule = re.search(r"\[([A-Z]\d+)\]$", allowed)
    if rule:
        allowed = allowed[: rule.start()].rstrip()
    return Problem(key or "(root)", found, allowed, rule.group(1) if rule else None)


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

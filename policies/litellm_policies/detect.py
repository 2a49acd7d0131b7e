"""Recognise LiteLLM / Postgres / Redis workloads and read what they would run.

Works on Kubernetes pod specs (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob, Pod) and pulumi-docker Containers, from resource properties only: image,
command/args, env (literal, secretKeyRef, configMapKeyRef, envFrom), the mounted
LiteLLM config (ConfigMap/Secret data or Docker `uploads`), probes, resources.

`Stack` is the set of resources a rule can see: the whole stack for stack policies,
only the resource itself for resource policies (`partial=True`): references to other
resources then resolve to UNKNOWN with a reason, so a rule defers instead of passing.
"""

from __future__ import annotations

import base64
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Iterable

import yaml

from .model import UNKNOWN, Resource, has_unknown, is_unknown
from .values import as_dict, as_list, get, parse_cpu, parse_k8s_memory, to_number

DOCKER_CONTAINER = "docker:index/container:Container"
DOCKER_VOLUME = "docker:index/volume:Volume"
DOCKER_NETWORK = "docker:index/network:Network"
DOCKER_IMAGE_TYPES = ("docker:index/remoteImage:RemoteImage", "docker:index/image:Image")
RANDOM_PREFIX = "random:index/"

K8S_POD_TEMPLATE = {
    "Deployment": "spec.template",
    "StatefulSet": "spec.template",
    "DaemonSet": "spec.template",
    "ReplicaSet": "spec.template",
    "ReplicationController": "spec.template",
    "Job": "spec.template",
    "CronJob": "spec.jobTemplate.spec.template",
}
K8S_BATCH_KINDS = {"Job", "CronJob"}

CONFIG_MARKER_KEYS = ("model_list", "general_settings", "litellm_settings", "router_settings")

#: CLI flags only `litellm` (the proxy's CLI) takes: a container passing one runs LiteLLM.
LITELLM_ONLY_FLAGS = frozenset(
    {"--num_workers", "--run_gunicorn", "--run_hypercorn", "--max_requests_before_restart", "--detailed_debug",
     "--skip_server_startup", "--use_prisma_migrate", "--prometheus_metrics_port", "--max_requests_before_restart_jitter"}
)  # fmt: skip
#: Env vars only the proxy reads (a client calling it holds the master key, never these).
LITELLM_ONLY_ENV = frozenset(
    {"LITELLM_SALT_KEY", "LITELLM_MODE", "SEPARATE_HEALTH_APP", "SEPARATE_HEALTH_PORT", "DISABLE_SCHEMA_UPDATE",
     "USE_PRISMA_MIGRATE", "STORE_MODEL_IN_DB", "PROXY_BATCH_WRITE_AT", "MAX_REQUESTS_BEFORE_RESTART"}
)  # fmt: skip

DEFAULT_MAIN_PORT = 4000
DEFAULT_HEALTH_PORT = 4001


# ---------------------------------------------------------------- kubernetes basics


def k8s_kind(res: Resource) -> str | None:
    if not res.type.startswith("kubernetes:"):
        return None
    return res.kind


def is_k8s(res: Resource, *kinds: str) -> bool:
    k = k8s_kind(res)
    return k is not None and (not kinds or k in kinds)


def k8s_name(res: Resource) -> Any:
    """metadata.name, UNKNOWN when computed, else None (auto-named)."""
    return get(res.props, "metadata.name")


def k8s_namespace(res: Resource) -> Any:
    ns = get(res.props, "metadata.namespace")
    return ns if ns is not None else None


def _other_namespace(theirs: Any, wanted: Any) -> bool:
    return isinstance(theirs, str) and isinstance(wanted, str) and theirs != wanted


def pod_template_path(res: Resource) -> str | None:
    kind = k8s_kind(res)
    if kind == "Pod":
        return ""
    return K8S_POD_TEMPLATE.get(kind or "")


def pod_spec(res: Resource) -> Any:
    base = pod_template_path(res)
    if base is None:
        return None
    spec = get(res.props, f"{base}.spec" if base else "spec")
    return spec if (isinstance(spec, dict) or is_unknown(spec)) else None


def pod_labels(res: Resource) -> Any:
    base = pod_template_path(res)
    if base is None:
        return None
    labels = get(res.props, f"{base}.metadata.labels" if base else "metadata.labels")
    if is_unknown(labels):
        return UNKNOWN
    return labels if isinstance(labels, dict) else {}


def selector_matches(selector: Any, labels: Any) -> Any:
    """matchLabels-style selector (a dict) or a LabelSelector against pod labels.
    True/False, or UNKNOWN when either side is not known."""
    if is_unknown(selector) or is_unknown(labels):
        return UNKNOWN
    if not isinstance(selector, dict):
        return False
    if "matchLabels" in selector or "matchExpressions" in selector:
        ml = selector.get("matchLabels")
        exprs = selector.get("matchExpressions")
    else:
        ml, exprs = selector, []
    if is_unknown(ml) or is_unknown(exprs):
        return UNKNOWN
    ml = ml if isinstance(ml, dict) else {}
    exprs = exprs if isinstance(exprs, list) else []
    if not ml and not exprs:
        return True  # an empty selector selects everything
    labels = labels or {}
    for k, v in ml.items():
        if is_unknown(v) or is_unknown(labels.get(k)):
            return UNKNOWN
        if labels.get(k) != v:
            return False
    for e in exprs:
        if not isinstance(e, dict):
            return UNKNOWN
        key, op, vals = e.get("key"), e.get("operator"), e.get("values")
        if any(is_unknown(x) for x in (key, op, vals)) or (isinstance(vals, list) and any(is_unknown(v) for v in vals)):
            return UNKNOWN
        vals = vals if isinstance(vals, list) else []
        present = key in labels
        if op == "In" and not (present and labels[key] in vals):
            return False
        if op == "NotIn" and present and labels[key] in vals:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


# ---------------------------------------------------------------- images


@dataclass(frozen=True)
class ImageRef:
    raw: str
    registry: str | None
    repository: str  # path without registry, e.g. berriai/litellm
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]

    @property
    def is_image_id(self) -> bool:
        """`sha256:<hex>`: a local image ID (e.g. RemoteImage.image_id): pinned by content."""
        return bool(re.fullmatch(r"sha256:[0-9a-f]{64}", self.raw))


def parse_image(raw: Any) -> Any:
    if is_unknown(raw):
        return UNKNOWN
    if not isinstance(raw, str) or not raw.strip():
        return None
    s = raw.strip()
    if re.fullmatch(r"sha256:[0-9a-f]{64}", s):
        return ImageRef(s, None, "", None, s)
    digest = None
    if "@" in s:
        s, digest = s.split("@", 1)
    tag = None
    last = s.rsplit("/", 1)[-1]
    if ":" in last:
        s, tag = s.rsplit(":", 1)
    parts = s.split("/")
    registry = None
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, parts = parts[0], parts[1:]
    return ImageRef(raw.strip(), registry, "/".join(parts), tag, digest)


_EXCLUDED_NAME_PARTS = ("exporter", "insight", "commander", "bouncer", "pgadmin", "backup", "operator")


def image_kind(img: Any) -> str | None:
    """'litellm' | 'postgres' | 'redis' | None from an ImageRef."""
    if not isinstance(img, ImageRef) or not img.repository:
        return None
    name = img.name.lower()
    if "litellm" in name:
        return "litellm"
    # The image's own name decides, not its organisation: `litellm-gateway/postgres` is Postgres.
    if any(x in name for x in _EXCLUDED_NAME_PARTS):
        return None
    if any(x in name for x in ("postgres", "pgvector", "postgis", "timescaledb")):
        return "postgres"
    if any(x in name for x in ("redis", "valkey", "keydb")):
        return "redis"
    return None


# ---------------------------------------------------------------- argv


def split_tokens(items: Any) -> tuple[list[str], bool]:
    """Flatten command/args into tokens (shell strings are split). Returns (tokens,
    complete); complete is False when some element is unknown."""
    if is_unknown(items):
        return [], False
    if items is None:
        return [], True
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        return [], True
    out: list[str] = []
    complete = True
    for it in items:
        if is_unknown(it):
            complete = False
            out.append("\x00unknown")
            continue
        if not isinstance(it, (str, int, float)):
            continue
        s = str(it)
        if any(ch.isspace() for ch in s.strip()):
            try:
                out.extend(shlex.split(s))
            except ValueError:
                out.extend(s.split())
        else:
            out.append(s)
    return out, complete


SHELLS = ("sh", "bash", "ash", "dash")


def runs_shell_script(argv: list[str]) -> bool:
    """`sh -c SCRIPT ...`: the command is a shell script (its variables and exit status are the script's)."""
    return len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in SHELLS and argv[1] == "-c"


def token_is_unknown(tok: str) -> bool:
    return tok == "\x00unknown"


_KVAR = re.compile(r"^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$")
_SHVAR = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


# ---------------------------------------------------------------- env


@dataclass
class EnvVar:
    name: str
    source: str  # value | secret | configmap | field | resource | unknown
    value: Any = None  # literal value (source == value), may be UNKNOWN
    ref_name: Any = None  # Secret/ConfigMap name for refs
    ref_key: Any = None
    via: str = ""  # "" | "envFrom"


@dataclass
class Env:
    vars: dict[str, EnvVar] = field(default_factory=dict)
    complete: bool = True
    gaps: list[str] = field(default_factory=list)  # why some names may be hidden

    def gap_reason(self) -> str:
        return "; ".join(self.gaps) if self.gaps else "value unknown until apply"


# ---------------------------------------------------------------- LiteLLM config


@dataclass
class LiteLLMConfig:
    res: Resource
    where: str  # human label, e.g. "ConfigMap 'litellm-config' key 'config.yaml'"
    key: str  # ConfigMap key or upload file path
    data: Any  # dict, or UNKNOWN when the content is computed
    error: str | None = None
    in_secret: bool = False


def _looks_like_config_text(text: str) -> bool:
    return any(k in text for k in CONFIG_MARKER_KEYS)


@lru_cache(maxsize=512)
def _parse_config(text: str) -> tuple[Any, str | None]:
    """Parsed YAML (cached by content; rules never mutate it)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return None, f"does not parse as YAML ({str(e).splitlines()[0]})"
    return data, None


def _is_config_dict(data: Any) -> bool:
    return isinstance(data, dict) and any(k in data for k in CONFIG_MARKER_KEYS)


def _decode_b64(v: Any) -> Any:
    if is_unknown(v):
        return UNKNOWN
    if not isinstance(v, str):
        return None
    try:
        return base64.b64decode(v).decode("utf-8")
    except Exception:  # noqa: BLE001 - any malformed data is simply not a config
        return None


def configs_in(res: Resource) -> list[LiteLLMConfig]:
    """LiteLLM configs held by one resource: ConfigMap data / Secret data, or a Docker
    container's uploads. A `.yaml`/`.yml` entry whose content is unknown is returned with
    data=UNKNOWN (it may be the config)."""
    out: list[LiteLLMConfig] = []
    entries: list[tuple[str, Any, str]] = []  # (key, text|UNKNOWN, where)
    in_secret = False
    if is_k8s(res, "ConfigMap", "Secret"):
        in_secret = res.kind == "Secret"
        data = as_dict(get(res.props, "data"))
        if is_unknown(data):
            return [LiteLLMConfig(res, f"{res.label} data", "data", UNKNOWN, in_secret=in_secret)]
        for k, v in data.items():
            text = _decode_b64(v) if in_secret else v
            entries.append((k, text, f"{res.label} key '{k}'"))
        sdata = as_dict(get(res.props, "stringData"))
        if isinstance(sdata, dict):
            for k, v in sdata.items():
                entries.append((k, v, f"{res.label} key '{k}'"))
    elif res.type == DOCKER_CONTAINER:
        uploads = as_list(get(res.props, "uploads"))
        if is_unknown(uploads):
            return [LiteLLMConfig(res, f"{res.label} uploads", "uploads", UNKNOWN)]
        for u in uploads:
            if is_unknown(u):
                out.append(LiteLLMConfig(res, f"{res.label} uploads", "uploads", UNKNOWN))
                continue
            if not isinstance(u, dict):
                continue
            f = u.get("file")
            text = u.get("content")
            if text is None and u.get("contentBase64") is not None:
                text = _decode_b64(u.get("contentBase64"))
            if is_unknown(f):
                entries.append((UNKNOWN, text, f"{res.label} upload (path unknown until apply)"))
                continue
            fname = f if isinstance(f, str) else "?"
            entries.append((fname, text, f"{res.label} upload '{fname}'"))
    else:
        return out
    for key, text, where in entries:
        is_yaml_name = is_unknown(key) or (isinstance(key, str) and key.lower().endswith((".yaml", ".yml")))
        if is_unknown(text):
            if is_yaml_name:
                out.append(LiteLLMConfig(res, where, key, UNKNOWN, in_secret=in_secret))
            continue
        if not isinstance(text, str):
            continue
        if not is_yaml_name and not _looks_like_config_text(text):
            continue
        data, err = _parse_config(text)
        if err:
            if _looks_like_config_text(text):
                out.append(LiteLLMConfig(res, where, key, None, err, in_secret))
            continue
        if _is_config_dict(data):
            out.append(LiteLLMConfig(res, where, key, data, None, in_secret))
    return out


def conf_files_in(res: Resource) -> list[tuple[str, Any, str]]:
    """(path, text, where) of the `.conf` files (postgresql.conf, redis.conf) a Docker container
    uploads. On Kubernetes a pod reads a .conf file only where a volume mounts it, so the
    workload rules read the mounted key itself (workloads._mounted_conf_files)."""
    out: list[tuple[str, Any, str]] = []
    if res.type == DOCKER_CONTAINER:
        uploads = as_list(get(res.props, "uploads"))
        if isinstance(uploads, list):
            for u in uploads:
                if isinstance(u, dict) and isinstance(u.get("file"), str) and u["file"].endswith(".conf"):
                    out.append((u["file"], u.get("content"), f"{res.label} upload '{u['file']}'"))
    return out


#: The app a health app container serves: our lg_health_app:app, LiteLLM's
#: litellm.proxy.health_endpoints.health_app_factory:build_health_app (not the proxy's app).
_HEALTH_APP_TARGET = re.compile(r"(health_app|health_endpoints)[\w.]*:\w+")


#: Where our images (and this project's Docker platform) take secrets from: NAME_FILE naming a
#: file in this folder becomes NAME with the file's content (images/litellm/prod_entrypoint.sh;
#: the official postgres image reads POSTGRES_PASSWORD_FILE anywhere). Only this folder counts,
#: exactly as in the entry point, so the pack never believes in a variable LiteLLM lacks.
SECRET_FILE_DIR = "/run/secrets/litellm-gateway"


def _add_secret_files(env: Env, res: Resource) -> None:
    """Docker: NAME from NAME_FILE and the container's upload of that file (its content, or
    UNKNOWN until apply; no such upload leaves NAME unset, as the entry point then fails)."""
    uploads = as_list(get(res.props, "uploads"))
    files: dict[str, Any] = {}
    uploads_unknown = is_unknown(uploads)
    for u in uploads if isinstance(uploads, list) else []:
        if isinstance(u, dict) and isinstance(u.get("file"), str):
            files[u["file"]] = u.get("content")
        elif is_unknown(u) or (isinstance(u, dict) and is_unknown(u.get("file"))):
            uploads_unknown = True
    for name, var in list(env.vars.items()):
        path = var.value
        if not name.endswith("_FILE") or not isinstance(path, str) or posixpath.dirname(path) != SECRET_FILE_DIR:
            continue
        target = name[: -len("_FILE")]
        if target in env.vars:
            continue  # set both ways: the entry point refuses to start
        if path in files:
            content = files[path]
            env.vars[target] = EnvVar(target, "value", UNKNOWN if is_unknown(content) else content)
        elif uploads_unknown:
            env.vars[target] = EnvVar(target, "value", UNKNOWN)


# ---------------------------------------------------------------- containers


@dataclass
class Container:
    res: Resource
    platform: str  # "k8s" | "docker"
    cname: str
    spec: dict  # Kubernetes container spec, or the Docker container's props
    pod: dict | None  # Kubernetes pod spec
    path: str  # property path, for messages
    init: bool = False
    image_raw: Any = None

    @property
    def label(self) -> str:
        """How messages name the container; when its image does not say LiteLLM, why it was
        taken for it, so a surprised reader can check (or rename) what gave it away."""
        why = f" (taken for a LiteLLM proxy: {self.kind_reason})" if self.kind_reason else ""
        if self.platform == "docker":
            return self.res.label + why
        kind = "init container" if self.init else "container"
        return f"{self.res.label} {kind} '{self.cname}'{why}"

    @cached_property
    def image(self) -> Any:
        return parse_image(self.image_raw)

    # command = what replaces the image's ENTRYPOINT; args = what replaces its CMD
    @property
    def command(self) -> Any:
        return get(self.spec, "entrypoints" if self.platform == "docker" else "command")

    @property
    def args(self) -> Any:
        return get(self.spec, "command" if self.platform == "docker" else "args")

    @cached_property
    def _tokens(self) -> tuple[list[str], bool]:
        c, c_ok = split_tokens(self.command)
        a, a_ok = split_tokens(self.args)
        return c + a, c_ok and a_ok

    @property
    def tokens(self) -> list[str]:
        return self._tokens[0]

    @property
    def tokens_complete(self) -> bool:
        return self._tokens[1]

    @cached_property
    def kind(self) -> str | None:
        """'litellm' | 'postgres' | 'redis' | None."""
        return self._kind[0]

    @property
    def kind_reason(self) -> str | None:
        """What made a container whose image does not say so a LiteLLM one (None otherwise)."""
        return self._kind[1]

    @cached_property
    def _kind(self) -> tuple[str | None, str | None]:
        """By the image's name first; then by what the container runs: its command, LiteLLM's
        own CLI flags, or env vars only the proxy reads (an image renamed in a private registry
        and started with its default entrypoint is still LiteLLM)."""
        k = image_kind(self.image)
        if k:
            return k, None
        toks = [t.lower() for t in self.tokens if not token_is_unknown(t)]
        bases = {posixpath.basename(t) for t in toks}
        if "litellm" in bases or "litellm-proxy" in bases or any(
            t.startswith("litellm.proxy") or "prisma_migration" in t for t in toks
        ):
            return "litellm", None
        if bases & {"redis-server", "valkey-server", "keydb-server"}:
            return "redis", None
        if toks and posixpath.basename(toks[0]) in {"postgres", "postmaster"}:
            return "postgres", None
        flags = sorted({t.split("=", 1)[0] for t in toks} & LITELLM_ONLY_FLAGS)
        if flags:
            return "litellm", f"its args {', '.join(flags)}"
        names = set(self.env_names_hint())
        proxy_env = sorted(names & LITELLM_ONLY_ENV)
        if proxy_env:
            return "litellm", f"env {', '.join(proxy_env)}"
        unknown_image = self.image is UNKNOWN or (isinstance(self.image, ImageRef) and self.image.is_image_id)
        if unknown_image and ("POSTGRES_PASSWORD" in names or "POSTGRES_DB" in names):
            return "postgres", None
        return None, None

    def env_names_hint(self) -> list[str]:
        if self.platform == "docker":
            envs = get(self.spec, "envs")
            names = [e.split("=", 1)[0] for e in envs if isinstance(e, str)] if isinstance(envs, list) else []
            return names + [n[: -len("_FILE")] for n in names if n.endswith("_FILE")]
        env = get(self.spec, "env")
        return [e.get("name") for e in env if isinstance(e, dict) and isinstance(e.get("name"), str)] if isinstance(env, list) else []

    @cached_property
    def role(self) -> str | None:
        """'proxy' | 'health' | 'migration' | 'migration-init' | 'postgres' | 'redis' | None."""
        k = self.kind
        if k in ("postgres", "redis"):
            return k if not self.init else None
        if k != "litellm":
            return None
        if not self.init and self.health_app_port() is not None:
            return "health"
        toks = " ".join(t.lower() for t in self.tokens if not token_is_unknown(t))
        migrating = any(
            x in toks for x in ("prisma_migration", "prisma migrate", "migrate deploy", "--skip_server_startup", "litellm-migrate")
        ) or bool(re.search(r"(^|\s)migrate(\s|$)", toks))
        if self.init:
            return "migration-init"
        if self.platform == "k8s" and k8s_kind(self.res) in K8S_BATCH_KINDS:
            return "migration"
        if migrating:
            return "migration"
        if self.platform == "docker" and not self.tokens_complete and not self._serves():
            return "litellm?"  # a proxy or a one-shot job: its command is unknown until apply
        return "proxy"

    def health_app_port(self) -> Any:
        """The port of a LiteLLM health app this container serves by itself (uvicorn with an app
        named like LiteLLM's health app or its factory, e.g. the health container that runs beside
        LiteLLM's own image), else None. UNKNOWN when its --port is unknown."""
        toks = [t for t in self.tokens if not token_is_unknown(t)]
        runs_uvicorn = any(posixpath.basename(t) == "uvicorn" for t in toks)
        if not runs_uvicorn or not any(_HEALTH_APP_TARGET.search(t) for t in toks if ":" in t or "." in t):
            return None
        port = to_number(self.option("--port"))
        return 8000 if port is None else port  # uvicorn's default port

    def health_containers(self, stack: "Stack") -> list["Container"]:
        """Kubernetes: the health app containers of this container's pod (they share its network)."""
        if self.platform != "k8s":
            return []
        return [c for c in stack.containers if c.res is self.res and c is not self and c.role == "health"]

    def _serves(self) -> bool:
        """Docker computes `entrypoints` when a program leaves them to the image, so a preview
        does not know them: known args that only a serving proxy takes decide (before, the dev
        stack's own proxy was judged by no proxy rule at its first preview)."""
        args, _ = split_tokens(self.args)
        known = {t.split("=", 1)[0].lower() for t in args if not token_is_unknown(t)}
        return bool(known & (LITELLM_ONLY_FLAGS - {"--skip_server_startup", "--use_prisma_migrate"} | {"--port", "--config"}))

    # ---- env
    def env(self, stack: "Stack | None" = None) -> Env:
        stack = stack or Stack([self.res], partial=True)
        return stack.env_of(self)

    def env_value(self, name: str, stack: "Stack | None" = None) -> Any:
        """The value the container would see: a str, None (not set), or UNKNOWN."""
        stack = stack or Stack([self.res], partial=True)
        env = stack.env_of(self)
        var = env.vars.get(name)
        if var is None:
            return None if env.complete else UNKNOWN
        return stack.env_var_value(var, self)

    def env_reason(self, name: str, stack: "Stack | None" = None) -> str:
        stack = stack or Stack([self.res], partial=True)
        env = stack.env_of(self)
        var = env.vars.get(name)
        if var is None:
            return env.gap_reason()
        if var.source == "configmap":
            return f"it comes from ConfigMap {var.ref_name!s} ({var.via or 'configMapKeyRef'}), " + (
                "which a resource policy cannot read" if stack.partial else "not found in the stack"
            )
        if var.source == "secret":
            return f"it comes from Secret {var.ref_name!s}"
        if var.source in ("field", "resource"):
            return "it comes from the Kubernetes downward API"
        return "value unknown until apply"

    # ---- CLI options (LiteLLM's click options, with their env fallbacks)
    def option(self, flag: str, envvar: str | None = None, stack: "Stack | None" = None) -> Any:
        """Value of `--flag V` / `--flag=V` in command+args, else of `envvar`; a
        `$(VAR)` value is resolved from the env. None when not set, UNKNOWN when unknown."""
        toks = self.tokens
        for i, t in enumerate(toks):
            if t == flag:
                if i + 1 >= len(toks) or token_is_unknown(toks[i + 1]):
                    return UNKNOWN
                return self._expand(toks[i + 1], stack)
            if t.startswith(flag + "="):
                return self._expand(t[len(flag) + 1 :], stack)
        if not self.tokens_complete:
            return UNKNOWN
        if envvar:
            return self.env_value(envvar, stack)
        return None

    def has_flag(self, flag: str) -> Any:
        if flag in self.tokens:
            return True
        return False if self.tokens_complete else UNKNOWN

    def _expand(self, value: str, stack: "Stack | None") -> Any:
        m = _KVAR.match(value) or _SHVAR.match(value)
        if m:
            return self.env_value(m.group(1), stack)
        return value

    # ---- ports
    def main_port(self, stack: "Stack | None" = None) -> Any:
        v = to_number(self.option("--port", "PORT", stack))
        return DEFAULT_MAIN_PORT if v is None else v

    def health_app_enabled(self, stack: "Stack | None" = None) -> Any:
        v = self.env_value("SEPARATE_HEALTH_APP", stack)
        if is_unknown(v):
            return UNKNOWN
        return v is not None and str(v).strip() == "1"

    def health_port(self, stack: "Stack | None" = None) -> Any:
        """The port the health app listens on (None when there is no separate health app)."""
        enabled = self.health_app_enabled(stack)
        if is_unknown(enabled):
            return UNKNOWN
        if not enabled:
            return None
        v = to_number(self.env_value("SEPARATE_HEALTH_PORT", stack))
        return DEFAULT_HEALTH_PORT if v is None else v

    def named_ports(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        ports = as_list(get(self.spec, "ports"))
        if isinstance(ports, list):
            for p in ports:
                if isinstance(p, dict) and isinstance(p.get("name"), str):
                    v = p.get("containerPort")
                    out[p["name"]] = UNKNOWN if is_unknown(v) else to_number(v)
        return out

    # ---- resources
    def cpu_limit(self) -> Any:
        """CPU limit in cores (None when not set)."""
        if self.platform == "docker":
            cpus = get(self.spec, "cpus")
            if cpus is not None:
                return parse_cpu(cpus)
            quota, period = to_number(get(self.spec, "cpuQuota")), to_number(get(self.spec, "cpuPeriod"))
            if is_unknown(quota) or is_unknown(period):
                return UNKNOWN
            if quota and quota > 0:
                return quota / (period or 100000)
            return None
        return parse_cpu(get(self.spec, "resources.limits.cpu"))

    def memory_limit(self) -> Any:
        """Memory limit in bytes (None when not set)."""
        if self.platform == "docker":
            m = to_number(get(self.spec, "memory"))
            if is_unknown(m):
                return UNKNOWN
            return float(m) * 2**20 if m else None  # pulumi-docker: MB
        return parse_k8s_memory(get(self.spec, "resources.limits.memory"))

    def workers(self, stack: "Stack | None" = None) -> Any:
        raw = self.option("--num_workers", "NUM_WORKERS", stack)
        if raw is None:
            return 1  # LiteLLM's DEFAULT_NUM_WORKERS_LITELLM_PROXY
        v = to_number(raw)
        return UNKNOWN if v is None else v  # a non-numeric value cannot be judged


def containers_of(res: Resource) -> list[Container]:
    """All containers of one resource (Kubernetes workloads incl. init containers;
    a Docker container is its own single container). Returns [] for other types."""
    if res.type == DOCKER_CONTAINER:
        return [Container(res, "docker", res.name, res.props, None, "", False, get(res.props, "image"))]
    base = pod_template_path(res)
    if base is None:
        return []
    spec_path = f"{base}.spec" if base else "spec"
    spec = get(res.props, spec_path)
    if not isinstance(spec, dict):
        return []
    out: list[Container] = []
    for field_name, init in (("initContainers", True), ("containers", False)):
        items = spec.get(field_name)
        if not isinstance(items, list):
            continue
        for i, c in enumerate(items):
            if not isinstance(c, dict):
                continue
            cname = c.get("name") if isinstance(c.get("name"), str) else f"#{i}"
            # a native sidecar (restartPolicy Always, or maybe: set at apply) runs for the pod's
            # whole life, so it is judged like any container, not as a step before them
            sidecar = c.get("restartPolicy") == "Always" or is_unknown(c.get("restartPolicy"))
            out.append(Container(res, "k8s", cname, c, spec, f"{spec_path}.{field_name}[{i}]", init and not sidecar, c.get("image")))
    return out


def pod_has_unknown_containers(res: Resource) -> bool:
    base = pod_template_path(res)
    if base is None:
        return False
    spec = get(res.props, f"{base}.spec" if base else "spec")
    if is_unknown(spec):
        return True
    if isinstance(spec, dict):
        cs = spec.get("containers")
        return is_unknown(cs) or (isinstance(cs, list) and any(is_unknown(c) for c in cs))
    return False


# ---------------------------------------------------------------- the stack


class Stack:
    """The resources a rule can see, with lookups across them."""

    def __init__(self, resources: Iterable[Resource], partial: bool = False, focus: Resource | None = None):
        self.resources = list(resources)
        self.partial = partial
        #: A resource rule judged with the whole stack visible judges `focus` only: its
        #: containers and configs; lookups (ConfigMaps, Services, autoscalers) see everything.
        self.focus = focus
        #: The running stack policy's settings from the pack config (registry.run_stack_rule).
        self.settings: dict[str, Any] = {}
        self.by_urn = {r.urn: r for r in self.resources}
        self.by_name: dict[str, list[Resource]] = {}
        for r in self.resources:
            self.by_name.setdefault(r.name, []).append(r)
        self._env_cache: dict[int, Env] = {}

    # ---- generic lookups
    def resolve(self, ref: str) -> Resource | None:
        if not isinstance(ref, str):
            return None
        if ref in self.by_urn:
            return self.by_urn[ref]
        hits = self.by_name.get(ref) or []
        return hits[0] if len(hits) == 1 else None

    def deps_of(self, res: Resource, prop: str | None = None) -> list[Resource]:
        refs = res.property_dependencies.get(prop, []) if prop else res.dependencies
        out = []
        for ref in refs:
            r = self.resolve(ref)
            if r is not None and r is not res:
                out.append(r)
        return out

    def all_deps_of(self, res: Resource) -> list[Resource]:
        seen: dict[str, Resource] = {}
        for r in self.deps_of(res):
            seen[r.urn] = r
        for prop in res.property_dependencies:
            for r in self.deps_of(res, prop):
                seen[r.urn] = r
        return list(seen.values())

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def k8s(self, *kinds: str) -> list[Resource]:
        return [r for r in self.resources if is_k8s(r, *kinds)]

    def k8s_named(self, kind: str, name: Any, namespace: Any = None, referrer: Resource | None = None) -> Any:
        """The Kubernetes object of `kind` called `name`: a Resource, None (not in the
        stack), or UNKNOWN (name unknown / not visible to a resource policy)."""
        if is_unknown(name):
            # an unknown name is the output of an auto-named object: the one dependency
            # of that kind whose own name is not known yet
            if referrer is not None:
                cands = [r for r in self.all_deps_of(referrer) if is_k8s(r, kind) and k8s_name(r) in (None, UNKNOWN)]
                if len(cands) == 1:
                    return cands[0]
            return UNKNOWN
        if not isinstance(name, str):
            return None
        # a pod reads its own namespace's objects only: one of that name in another known
        # namespace is not the object asked for, even when it is the only one of that name
        ours = [r for r in self.k8s(kind) if not _other_namespace(k8s_namespace(r), namespace)]
        cands = [r for r in ours if k8s_name(r) == name]
        if not cands:
            # auto-named objects: match on the Pulumi name as a fallback
            cands = [r for r in ours if k8s_name(r) is None and r.name == name]
        if cands:
            return cands[0]
        if self.partial:
            return UNKNOWN
        if referrer is not None:
            # the name may be an output of an auto-named object this resource depends on
            deps = [r for r in self.all_deps_of(referrer) if is_k8s(r, kind) and is_unknown(k8s_name(r))]
            if len(deps) == 1:
                return deps[0]
        return None

    # ---- containers
    @property
    def judged(self) -> list[Resource]:
        """The resources whose containers and configs the rules judge."""
        return [self.focus] if self.focus is not None else self.resources

    @cached_property
    def containers(self) -> list[Container]:
        out: list[Container] = []
        for r in self.judged:
            out.extend(containers_of(r))
        for c in out:
            if c.platform == "docker":
                c.image_raw = self.docker_image_name(c.res)
        return out

    def docker_image_name(self, res: Resource) -> Any:
        """A Docker container's image; when it is an image ID or unknown, the name of the
        RemoteImage/Image it was taken from."""
        raw = get(res.props, "image")
        img = parse_image(raw)
        if is_unknown(img) or (isinstance(img, ImageRef) and img.is_image_id):
            srcs = [r for r in self.deps_of(res, "image") or self.deps_of(res) if r.type in DOCKER_IMAGE_TYPES]
            if len(srcs) == 1:
                src = srcs[0]
                name = get(src.props, "name") if src.type.endswith("RemoteImage") else get(src.props, "imageName")
                if isinstance(name, str):
                    if isinstance(img, ImageRef) and img.is_image_id and "@" not in name:
                        return f"{name}@{img.raw}"  # an image ID pins the content
                    return name
        return raw

    @cached_property
    def opaque(self) -> list[Resource]:
        """Workloads whose containers cannot be told yet (unknown container list, or a
        Docker container with unknown image and command): they may be LiteLLM."""
        out = []
        for r in self.judged:
            if pod_template_path(r) is not None and pod_has_unknown_containers(r):
                out.append(r)
            elif r.type == DOCKER_CONTAINER:
                cs = [c for c in self.containers if c.res is r]
                if cs and cs[0].role == "litellm?":
                    out.append(r)
                elif cs and cs[0].kind is None and (is_unknown(cs[0].image) or not cs[0].tokens_complete):
                    out.append(r)
        return out

    def role(self, role: str) -> list[Container]:
        return [c for c in self.containers if c.role == role]

    @property
    def proxies(self) -> list[Container]:
        return self.role("proxy")

    @property
    def litellm_present(self) -> bool:
        return any(c.kind == "litellm" for c in self.containers)

    def workload_of(self, c: Container) -> Resource:
        return c.res

    # ---- env
    def env_of(self, c: Container) -> Env:
        key = id(c)
        if key not in self._env_cache:
            self._env_cache[key] = self._build_env(c)
        return self._env_cache[key]

    def _build_env(self, c: Container) -> Env:
        env = Env()
        if c.platform == "docker":
            envs = get(c.spec, "envs")
            if is_unknown(envs):
                env.complete = False
                env.gaps.append("the whole `envs` list is unknown until apply")
                return env
            for item in envs if isinstance(envs, list) else []:
                if is_unknown(item):
                    env.complete = False
                    if "an `envs` entry is unknown until apply" not in env.gaps:
                        env.gaps.append("an `envs` entry is unknown until apply")
                    continue
                if isinstance(item, str) and "=" in item:
                    k, v = item.split("=", 1)
                    env.vars[k] = EnvVar(k, "value", v)
                elif isinstance(item, str):
                    env.vars[item] = EnvVar(item, "value", "")
            _add_secret_files(env, c.res)
            return env
        ns = k8s_namespace(c.res)
        env_from = get(c.spec, "envFrom")
        if is_unknown(env_from):
            env.complete = False
            env.gaps.append("`envFrom` is unknown until apply")
        for ef in env_from if isinstance(env_from, list) else []:
            if is_unknown(ef) or not isinstance(ef, dict):
                env.complete = False
                env.gaps.append("an `envFrom` entry is unknown until apply")
                continue
            prefix = ef.get("prefix") if isinstance(ef.get("prefix"), str) else ""
            for kind, refkey, source in (("ConfigMap", "configMapRef", "configmap"), ("Secret", "secretRef", "secret")):
                ref = ef.get(refkey)
                if not isinstance(ref, dict):
                    continue
                name = ref.get("name")
                obj = self.k8s_named(kind, name, ns, c.res)
                if not isinstance(obj, Resource):
                    env.complete = False
                    env.gaps.append(
                        f"envFrom {kind} {name!s} "
                        + ("is not visible to a resource policy" if self.partial or is_unknown(obj) else "is not in the stack")
                    )
                    continue
                keys: set[str] = set()
                complete = True
                for data_key in ("data", "stringData"):
                    d = get(obj.props, data_key)
                    if is_unknown(d):
                        complete = False
                    elif isinstance(d, dict):
                        keys.update(d.keys())
                if not complete:
                    env.complete = False
                    env.gaps.append(f"the keys of {obj.label} are unknown until apply")
                for k in sorted(keys):
                    env.vars[prefix + k] = EnvVar(prefix + k, source, None, name, k, "envFrom")
        items = get(c.spec, "env")
        if is_unknown(items):
            env.complete = False
            env.gaps.append("`env` is unknown until apply")
            return env
        for e in items if isinstance(items, list) else []:
            if is_unknown(e) or not isinstance(e, dict):
                env.complete = False
                env.gaps.append("an `env` entry is unknown until apply")
                continue
            name = e.get("name")
            if not isinstance(name, str):
                env.complete = False
                env.gaps.append("an `env` name is unknown until apply")
                continue
            vf = e.get("valueFrom")
            if is_unknown(vf):
                env.vars[name] = EnvVar(name, "unknown", UNKNOWN)
            elif isinstance(vf, dict) and vf:
                if isinstance(vf.get("secretKeyRef"), dict):
                    r = vf["secretKeyRef"]
                    env.vars[name] = EnvVar(name, "secret", None, r.get("name"), r.get("key"))
                elif isinstance(vf.get("configMapKeyRef"), dict):
                    r = vf["configMapKeyRef"]
                    env.vars[name] = EnvVar(name, "configmap", None, r.get("name"), r.get("key"))
                elif "fieldRef" in vf:
                    env.vars[name] = EnvVar(name, "field", UNKNOWN)
                elif "resourceFieldRef" in vf:
                    env.vars[name] = EnvVar(name, "resource", UNKNOWN)
                else:
                    env.vars[name] = EnvVar(name, "unknown", UNKNOWN)
            else:
                v = e.get("value")
                env.vars[name] = EnvVar(name, "value", "" if v is None else (UNKNOWN if is_unknown(v) else str(v)))
        return env

    def env_var_value(self, var: EnvVar, c: Container) -> Any:
        if var.source == "value":
            return self._expand_k8s(var.value, c) if c.platform == "k8s" else var.value
        if var.source in ("configmap", "secret"):
            kind = "ConfigMap" if var.source == "configmap" else "Secret"
            obj = self.k8s_named(kind, var.ref_name, k8s_namespace(c.res), c.res)
            if not isinstance(obj, Resource) or is_unknown(var.ref_key):
                return UNKNOWN
            return k8s_data_value(obj, var.ref_key)
        return UNKNOWN

    def _expand_k8s(self, value: Any, c: Container) -> Any:
        if not isinstance(value, str) or "$(" not in value:
            return value
        m = _KVAR.match(value)
        if m:
            env = self.env_of(c)
            ref = env.vars.get(m.group(1))
            if ref is None or ref.name == value:
                return value
            return self.env_var_value(ref, c) if ref.source != "value" else ref.value
        return value

    # ---- LiteLLM config
    @cached_property
    def configs(self) -> list[LiteLLMConfig]:
        out: list[LiteLLMConfig] = []
        for r in self.judged:
            out.extend(configs_in(r))
        return out

    def config_path(self, c: Container) -> Any:
        """`--config PATH` or CONFIG_FILE_PATH: str, None (no config), or UNKNOWN."""
        v = c.option("--config", None, self)
        if v is None:
            v = c.env_value("CONFIG_FILE_PATH", self)
        return v

    def configs_for(self, c: Container) -> Any:
        """The LiteLLM config(s) a proxy loads: a list (empty when it loads none or the
        file is not provided by the stack), or UNKNOWN."""
        path = self.config_path(c)
        if path is None:
            return []
        if c.platform == "docker":
            mine = configs_in(c.res)
            if isinstance(path, str):
                exact = [cfg for cfg in mine if cfg.key == path]
                if exact:
                    return exact
                unknown = [cfg for cfg in mine if is_unknown(cfg.key) or (is_unknown(cfg.data) and cfg.key == "uploads")]
                return UNKNOWN if unknown else []
            return mine or UNKNOWN
        pod = c.pod or {}
        mounts = as_list(get(c.spec, "volumeMounts"))
        volumes = as_list(pod.get("volumes")) if isinstance(pod, dict) else []
        if is_unknown(mounts) or is_unknown(volumes):
            return UNKNOWN
        found: list[LiteLLMConfig] = []
        unresolved = any(is_unknown(v) or (isinstance(v, dict) and is_unknown(v.get("name"))) for v in volumes)
        vol_by_name = {v.get("name"): v for v in volumes if isinstance(v, dict) and isinstance(v.get("name"), str)}
        for m in mounts:
            if is_unknown(m):
                unresolved = True
                continue
            if not isinstance(m, dict):
                continue
            if any(is_unknown(m.get(k)) for k in ("name", "mountPath", "subPath")):
                unresolved = True
                continue
            v = vol_by_name.get(m.get("name")) if isinstance(m.get("name"), str) else None
            if not isinstance(v, dict):
                continue
            if any(is_unknown(x) for x in v.values()) or has_unknown(v):
                unresolved = True
            for kind, name, items in _volume_sources(v):
                hit, key = _mounted_key(m, items, path)
                if not hit:
                    continue
                obj = self.k8s_named(kind, name, k8s_namespace(c.res), c.res)
                if not isinstance(obj, Resource):
                    unresolved = unresolved or is_unknown(obj)
                    continue
                cfgs = configs_in(obj)
                if key is None:
                    found.extend(cfgs)
                else:
                    found.extend(cfg for cfg in cfgs if cfg.key == key or (cfg.key == "data" and is_unknown(cfg.data)))
        if found:
            return found
        if unresolved or is_unknown(path):
            return UNKNOWN
        return []


def _volume_sources(v: dict) -> list[tuple[str, Any, Any]]:
    srcs: list[tuple[str, Any, Any]] = []
    if isinstance(v.get("configMap"), dict):
        srcs.append(("ConfigMap", v["configMap"].get("name"), v["configMap"].get("items")))
    if isinstance(v.get("secret"), dict):
        srcs.append(("Secret", v["secret"].get("secretName"), v["secret"].get("items")))
    if isinstance(v.get("projected"), dict):
        for s in _known_list(v["projected"].get("sources")):
            if isinstance(s, dict) and isinstance(s.get("configMap"), dict):
                srcs.append(("ConfigMap", s["configMap"].get("name"), s["configMap"].get("items")))
            if isinstance(s, dict) and isinstance(s.get("secret"), dict):
                srcs.append(("Secret", s["secret"].get("name"), s["secret"].get("items")))
    return srcs


def _known_list(value: Any) -> list:
    """A list with unknown entries dropped; [] for UNKNOWN / absent (callers that must
    not pass on an unknown check is_unknown first)."""
    v = as_list(value)
    return [x for x in v if not is_unknown(x)] if isinstance(v, list) else []


def _mounted_key(mount: dict, items: Any, path: Any) -> tuple[bool, str | None]:
    """Does this volume mount provide the file at `path`, and from which key?
    (True, None) means: it may (path unknown), any key."""
    sub = mount.get("subPath")
    mpath = mount.get("mountPath")
    if not isinstance(mpath, str):
        return (True, None)
    mpath = mpath.rstrip("/") or "/"
    if isinstance(sub, str) and sub:
        if isinstance(path, str) and path.rstrip("/") != mpath:
            return (False, None)
        key = sub
        if isinstance(items, list):
            for it in items:
                if isinstance(it, dict) and it.get("path") == sub:
                    key = it.get("key", sub)
        return (True, key)
    if not isinstance(path, str):
        return (True, None)
    if not path.startswith(mpath + "/"):
        return (False, None)
    rel = path[len(mpath) + 1 :]
    if isinstance(items, list):
        for it in items:
            if isinstance(it, dict) and it.get("path") == rel:
                return (True, it.get("key"))
        return (False, None)
    return (True, rel)


def k8s_data_value(obj: Resource, key: str) -> Any:
    """The (decoded) value of `key` in a ConfigMap/Secret: str, None, or UNKNOWN."""
    if is_unknown(key):
        return UNKNOWN
    if not isinstance(key, str):
        return None
    sd = get(obj.props, "stringData")
    if isinstance(sd, dict) and key in sd:
        return UNKNOWN if is_unknown(sd[key]) else sd[key]
    d = get(obj.props, "data")
    if is_unknown(d) or is_unknown(sd):
        return UNKNOWN
    if isinstance(d, dict) and key in d:
        v = d[key]
        if is_unknown(v):
            return UNKNOWN
        if obj.kind == "Secret":
            return _decode_b64(v)
        return v
    return None


def random_resources(stack: Stack) -> list[Resource]:
    return [r for r in stack.resources if r.type.startswith(RANDOM_PREFIX)]

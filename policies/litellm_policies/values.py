"""Small parsers for the values found in resource properties (all pure)."""

from __future__ import annotations

import math
import re
from typing import Any

from .model import UNKNOWN, is_unknown


def get(data: Any, path: str | list, default: Any = None) -> Any:
    """Follow a dotted path (`spec.template.spec`) through dicts and lists.

    Returns UNKNOWN as soon as an unknown value is met on the way, `default` when a
    key is missing.
    """
    parts = path.split(".") if isinstance(path, str) else list(path)
    cur = data
    for part in parts:
        if is_unknown(cur):
            return UNKNOWN
        if isinstance(cur, dict):
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                return default
        else:
            return default
    if is_unknown(cur):
        return UNKNOWN
    return default if cur is None else cur


def as_list(value: Any) -> Any:
    """A list, UNKNOWN, or [] for anything absent/malformed."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, list):
        return value
    return []


def as_dict(value: Any) -> Any:
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, dict):
        return value
    return {}


def to_number(value: Any) -> Any:
    """int/float from numbers or numeric strings; UNKNOWN stays UNKNOWN; else None."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, str):
        s = value.strip()
        try:
            f = float(s)
        except ValueError:
            return None
        if math.isnan(f) or math.isinf(f):
            return None
        return int(f) if f.is_integer() else f
    return None


def is_true(value: Any) -> Any:
    """Truthiness of an env/config flag; UNKNOWN stays UNKNOWN; None when not set."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().lower() in {"1", "true", "yes", "on", "t", "y"}


_CPU_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(m?)\s*$")


def parse_cpu(value: Any) -> Any:
    """Kubernetes/Docker CPU quantity in cores: 2, "2", "2000m", "1.5"."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = _CPU_RE.match(str(value))
    if not m:
        return None
    n = float(m.group(1))
    return n / 1000.0 if m.group(2) == "m" else n


_K8S_MEM_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([A-Za-z]*)\s*$")
_K8S_MEM_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "m": 1e-3,
}


def parse_k8s_memory(value: Any) -> Any:
    """Kubernetes memory quantity in bytes: "8Gi", "512Mi", "1G", 1073741824."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = _K8S_MEM_RE.match(str(value))
    if not m or m.group(2) not in _K8S_MEM_UNITS:
        return None
    return float(m.group(1)) * _K8S_MEM_UNITS[m.group(2)]


_REDIS_MEM_RE = re.compile(r"^\s*([0-9]+)\s*([a-zA-Z]*)\s*$")
_REDIS_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 10**6, "mb": 2**20, "g": 10**9, "gb": 2**30}


def parse_redis_bytes(value: Any) -> Any:
    """Redis memory setting in bytes: "512mb", "1gb", "100000" (units as redis.conf)."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return None
    m = _REDIS_MEM_RE.match(str(value))
    if not m or m.group(2).lower() not in _REDIS_UNITS:
        return None
    return float(int(m.group(1)) * _REDIS_UNITS[m.group(2).lower()])


_DUR_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> Any:
    """Go-style duration (Docker healthcheck) in seconds: "5s", "500ms", "1m30s"; a bare
    number counts as seconds."""
    if is_unknown(value):
        return UNKNOWN
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    s = str(value).strip()
    n = to_number(s)
    if n is not None and not is_unknown(n):
        return float(n)
    pos, total = 0, 0.0
    for m in _DUR_RE.finditer(s):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _DUR_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        return None
    return total


def human_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            v = n / size
            return f"{v:.0f} {unit}" if v.is_integer() else f"{v:.1f} {unit}"
    return f"{n:.0f} B"


def num(n: Any) -> str:
    """Number for messages: 4 not 4.0."""
    if isinstance(n, float) and n.is_integer():
        return str(int(n))
    if isinstance(n, float):
        return f"{n:g}"
    return str(n)

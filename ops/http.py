"""Tiny JSON-over-HTTP client (standard library), timing each call."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when nothing answered
    body: Any
    seconds: float
    error: str = ""


def call(url: str, *, body: dict | None = None, key: str | None = None, timeout: float = 30) -> Reply:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Reply(resp.status, _json(resp.read()), time.perf_counter() - start)
    except urllib.error.HTTPError as err:
        return Reply(err.code, _json(err.read()), time.perf_counter() - start)
    except (urllib.error.URLError, OSError) as err:
        return Reply(0, None, time.perf_counter() - start, str(getattr(err, "reason", err)))


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError:
        return raw.decode(errors="replace")[:200]


def error_message(reply: Reply) -> str:
    if reply.error:
        return reply.error
    body = reply.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:200]
    return str(body)[:200]

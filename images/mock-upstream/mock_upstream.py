#!/usr/bin/env python3
"""A small OpenAI-compatible mock LLM server (Python standard library only).

Used as the upstream of the LiteLLM proxy in tests and benchmarks: nothing in the
project ever talks to a real provider. Runs in the image litellm-gateway/mock-upstream
and natively (``python3 images/mock-upstream/mock_upstream.py --port 8080``).

Endpoints:
  POST /v1/chat/completions  (also /chat/completions) -> a chat.completion with usage;
                             ``"stream": true`` answers with server-sent events
  GET  /v1/models            (also /models)           -> model list
  GET  /health               (also /health/liveliness) -> {"status": "ok"}

Environment / options:
  MOCK_HOST (default 0.0.0.0; --host), MOCK_PORT (default 8080; --port)
  MOCK_LATENCY_MS (default 0; --latency-ms): delay before each answer
  MOCK_MODELS (comma-separated ids for /v1/models; default "mock-gpt")

Fault injection: a request whose model, or whose first message's content, contains
``mock-status-<code>`` (e.g. ``mock-status-429``) gets that HTTP status with an
OpenAI-style error body. Further markers (same places):
  ``mock-delay-<ms>``         delay this answer by <ms> (on top of MOCK_LATENCY_MS)
  ``mock-fail-<n>-then-ok``   the first <n> requests with the same first message fail
                              (with the ``mock-status-<code>`` status if given, else 500),
                              later ones succeed

Test control (for fault tests; counters are per upstream model name, i.e. the ``model``
field the proxy sends):
  GET  /mock/stats   -> {"requests": {model: n}, "statuses": {model: {code: n}}, "total",
                         "in_flight", "max_in_flight", "completed", "aborted"}
                        (aborted: the client hung up before the answer was written)
  POST /mock/reset   -> zero every counter and forget fail-then-ok state and model faults
  POST /mock/faults  {"model": "primary", "status": 500}: every request for that upstream
                     model fails with that status until reset ({"status": null} clears it;
                     optional "times": n fails only the next n requests; optional
                     "retry_after": seconds sets the Retry-After header, null omits it;
                     default: "1" on 429 and 503, none otherwise)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATUS_RE = re.compile(r"mock-status-(\d{3})")
DELAY_RE = re.compile(r"mock-delay-(\d{1,7})")
FAIL_THEN_OK_RE = re.compile(r"mock-fail-(\d{1,6})-then-ok")

ERROR_TYPES = {
    400: ("invalid_request_error", "bad_request"),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "model_not_found"),
    408: ("timeout_error", "timeout"),
    409: ("conflict_error", "conflict"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", "gateway_timeout"),
}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        print(f"mock-upstream: ignoring {name}={raw!r} (not an integer)", file=sys.stderr)
        return default


def count_tokens(text: str) -> int:
    """A rough token count (words), good enough for usage numbers."""
    return max(1, len(text.split())) if text else 0


def message_text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return " ".join(
            p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def fault_status(model: str, messages: list[Any]) -> int | None:
    for text in (model, message_text(messages[0]) if messages else ""):
        m = STATUS_RE.search(text or "")
        if m:
            code = int(m.group(1))
            if 100 <= code <= 599:
                return code
    return None


def _marker(regex: "re.Pattern[str]", model: str, messages: list[Any]) -> "re.Match[str] | None":
    for text in (model, message_text(messages[0]) if messages else ""):
        m = regex.search(text or "")
        if m:
            return m
    return None


DEFAULT: Any = object()  # "not given": keep the built-in Retry-After behaviour


class Stats:
    """Thread-safe counters and fault state read and reset by the /mock/* control endpoints."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: dict[str, int] = {}
            self.statuses: dict[str, dict[str, int]] = {}
            self.total = 0
            self.in_flight = 0
            self.max_in_flight = 0
            self.completed = 0
            self.aborted = 0
            self.fail_then_ok: dict[str, int] = {}  # key -> failures already served
            self.model_faults: dict[str, dict[str, Any]] = {}  # model -> {status, times, retry_after}

    def begin(self, model: str) -> None:
        with self.lock:
            self.requests[model] = self.requests.get(model, 0) + 1
            self.total += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def end(self, model: str, status: int, ok: bool) -> None:
        with self.lock:
            self.in_flight -= 1
            per = self.statuses.setdefault(model, {})
            key = str(status) if ok else "aborted"
            per[key] = per.get(key, 0) + 1
            if ok:
                self.completed += 1
            else:
                self.aborted += 1

    def should_fail_first(self, key: str, n: int) -> bool:
        """fail-then-ok: True for the first n requests with this key."""
        with self.lock:
            served = self.fail_then_ok.get(key, 0)
            if served < n:
                self.fail_then_ok[key] = served + 1
                return True
            return False

    def set_model_fault(self, model: str, status: int | None, times: int | None, retry_after: Any = DEFAULT) -> None:
        with self.lock:
            if status is None:
                self.model_faults.pop(model, None)
            else:
                self.model_faults[model] = {"status": status, "times": times, "retry_after": retry_after}

    def model_fault(self, model: str) -> dict[str, Any] | None:
        """The fault rule for this model's next request (consuming one of its `times`)."""
        with self.lock:
            rule = self.model_faults.get(model)
            if rule is None:
                return None
            times = rule["times"]
            if times is not None:
                if times <= 0:
                    self.model_faults.pop(model, None)
                    return None
                rule["times"] = times - 1
            return dict(rule)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "statuses": {m: dict(c) for m, c in self.statuses.items()},
                "total": self.total,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "completed": self.completed,
                "aborted": self.aborted,
                "model_faults": {
                    m: {k: ("default" if v is DEFAULT else v) for k, v in r.items()} for m, r in self.model_faults.items()
                },
            }


class Handler(BaseHTTPRequestHandler):
    server_version = "litellm-gateway-mock-upstream/0.1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, like a real provider

    # set on the class by make_server()
    latency_s: float = 0.0
    models: list[str] = ["mock-gpt"]
    quiet: bool = True
    stats: Stats = Stats()

    def log_message(self, fmt: str, *args: Any) -> None:  # noqa: D401
        if not self.quiet:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    # ---- helpers -------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, retry_after: Any = DEFAULT) -> None:
        err_type, code = ERROR_TYPES.get(status, ("server_error" if status >= 500 else "invalid_request_error", str(status)))
        if retry_after is DEFAULT:
            retry_after = 1 if status in (429, 503) else None
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        self._send_json(
            status,
            {"error": {"message": message, "type": err_type, "param": None, "code": code}},
            headers,
        )

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw:
            return {}
        return json.loads(raw)

    def _delay(self, extra_s: float = 0.0) -> None:
        if self.latency_s + extra_s > 0:
            time.sleep(self.latency_s + extra_s)

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/") or "/"

    # ---- routes --------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        path = self._path()
        if path in ("/health", "/health/liveliness", "/health/readiness", "/"):
            self._send_json(200, {"status": "ok"})
        elif path == "/mock/stats":
            self._send_json(200, self.stats.snapshot())
        elif path in ("/v1/models", "/models"):
            self._delay()
            now = int(time.time())
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [{"id": m, "object": "model", "created": now, "owned_by": "litellm-gateway-mock"} for m in self.models],
                },
            )
        else:
            self._send_error(404, f"Unknown path {path}")

    def _control(self, path: str) -> None:
        try:
            body = self._read_json()
        except (ValueError, UnicodeDecodeError):
            self._send_error(400, "Request body is not valid JSON")
            return
        if path == "/mock/reset":
            self.stats.reset()
            self._send_json(200, self.stats.snapshot())
            return
        # /mock/faults
        if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"]:
            self._send_error(400, "expected {\"model\": str, \"status\": int|null, \"times\": int (optional)}")
            return
        status, times, retry_after = body.get("status"), body.get("times"), body.get("retry_after", DEFAULT)
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            self._send_error(400, "status must be an HTTP status code or null")
            return
        if times is not None and not (isinstance(times, int) and times >= 0):
            self._send_error(400, "times must be a non-negative integer")
            return
        if retry_after is not DEFAULT and retry_after is not None and not (isinstance(retry_after, int) and retry_after >= 0):
            self._send_error(400, "retry_after must be a non-negative integer or null")
            return
        self.stats.set_model_fault(body["model"], status, times, retry_after)
        self._send_json(200, self.stats.snapshot())

    def do_POST(self) -> None:  # noqa: N802
        path = self._path()
        if path in ("/mock/reset", "/mock/faults"):
            self._control(path)
            return
        if path not in ("/v1/chat/completions", "/chat/completions"):
            # drain the body so keep-alive stays usable
            try:
                self._read_json()
            except Exception:  # noqa: BLE001
                pass
            self._send_error(404, f"Unknown path {path}")
            return
        try:
            req = self._read_json()
        except (ValueError, UnicodeDecodeError):
            self._send_error(400, "Request body is not valid JSON")
            return
        if not isinstance(req, dict):
            self._send_error(400, "Request body must be a JSON object")
            return
        model = str(req.get("model") or "mock-gpt")
        messages = req.get("messages")
        if not isinstance(messages, list) or not messages:
            self._send_error(400, "'messages' must be a non-empty list")
            return

        self.stats.begin(model)
        answered, ok = 500, False
        try:
            answered = self._complete(req, model, messages)
            ok = True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client hung up before the answer was written
        finally:
            self.stats.end(model, answered, ok)

    def _complete(self, req: dict, model: str, messages: list[Any]) -> int:
        """Answer one chat completion (after counting it); returns the HTTP status sent."""
        delay = _marker(DELAY_RE, model, messages)
        self._delay(int(delay.group(1)) / 1000.0 if delay else 0.0)
        status = fault_status(model, messages)
        fail_first = _marker(FAIL_THEN_OK_RE, model, messages)
        if fail_first is not None:
            key = model + "\x00" + message_text(messages[0])
            if self.stats.should_fail_first(key, int(fail_first.group(1))):
                status = status if status is not None and status != 200 else 500
            else:
                status = None
        retry_after: Any = DEFAULT
        forced = self.stats.model_fault(model)
        if forced is not None:
            status, retry_after = forced["status"], forced["retry_after"]
        if status is not None and status != 200:
            phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "custom"
            self._send_error(status, f"mock-upstream: injected HTTP {status} ({phrase})", retry_after)
            return status

        prompt_text = " ".join(message_text(m) for m in messages)
        last = message_text(messages[-1])
        content = f"mock response to: {last[:200]}" if last else "mock response"
        prompt_tokens = count_tokens(prompt_text)
        completion_tokens = count_tokens(content)
        created = int(time.time())
        cid = "chatcmpl-mock-" + uuid.uuid4().hex[:24]
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }

        if req.get("stream"):
            self._stream(cid, created, model, content, usage, bool((req.get("stream_options") or {}).get("include_usage")))
            return 200

        self._send_json(
            200,
            {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_mock",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            },
        )
        return 200

    def _stream(self, cid: str, created: int, model: str, content: str, usage: dict, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def chunk(delta: dict, finish: str | None, extra: dict | None = None) -> bytes:
            body = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if extra:
                body.update(extra)
            return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"

        out = [chunk({"role": "assistant", "content": ""}, None)]
        for word in content.split(" "):
            out.append(chunk({"content": word + " "}, None))
        out.append(chunk({}, "stop"))
        if include_usage:
            out.append(
                b"data: "
                + json.dumps(
                    {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [], "usage": usage},
                    separators=(",", ":"),
                ).encode()
                + b"\n\n"
            )
        out.append(b"data: [DONE]\n\n")
        for part in out:
            self.wfile.write(part)
        self.wfile.flush()


def make_server(host: str, port: int, latency_ms: int, models: list[str], quiet: bool = True) -> ThreadingHTTPServer:
    handler = type(
        "MockHandler",
        (Handler,),
        {"latency_s": max(0, latency_ms) / 1000.0, "models": models, "quiet": quiet, "stats": Stats()},
    )
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 1024
    return ThreadingHTTPServer((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="OpenAI-compatible mock upstream for litellm-gateway tests")
    ap.add_argument("--host", default=os.environ.get("MOCK_HOST", "0.0.0.0"))
    ap.add_argument("--port", type=int, default=env_int("MOCK_PORT", 8080))
    ap.add_argument("--latency-ms", type=int, default=env_int("MOCK_LATENCY_MS", 0))
    ap.add_argument("--models", default=os.environ.get("MOCK_MODELS", "mock-gpt"))
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    models = [m.strip() for m in args.models.split(",") if m.strip()] or ["mock-gpt"]
    server = make_server(args.host, args.port, args.latency_ms, models, quiet=not args.verbose)

    def stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"mock-upstream listening on {host}:{port} (latency {args.latency_ms} ms, models {','.join(models)})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    print("mock-upstream stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Show a deployed gateway working: health app, an authenticated completion, an unauthenticated refusal.

    python -m components.demo --stack dev

Reads the stack's outputs through the Pulumi CLI (so no URL or key is typed), never prints the
master key, and exits non-zero when any check fails. Requests go to 127.0.0.1 only.
"""

import argparse
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any


def stack_outputs(stack: str) -> dict[str, Any]:
    result = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"error: cannot read the outputs of stack {stack}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def request(url: str, *, body: dict | None = None, key: str | None = None, timeout: float = 30) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def wait_ready(health_url: str, seconds: int = 90) -> int:
    """The proxy may still be booting right after `pulumi up`; a bounded wait, then the verdict."""
    deadline = time.monotonic() + seconds
    status = 0
    while time.monotonic() < deadline:
        try:
            status, _ = request(f"{health_url}/health/readiness", timeout=5)
            if status == 200:
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            status = 0
        time.sleep(2)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m components.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="stack whose outputs to use (default: dev)")
    args = parser.parse_args(argv)
    out = stack_outputs(args.stack)
    proxy, health, key = out["proxy_url"], out["health_url"], out["master_key"]
    model = out.get("first_model", "mock-gpt")
    results: list[tuple[str, bool, str]] = []

    status = wait_ready(health)
    results.append((f"health app readiness  {health}/health/readiness", status == 200, str(status)))
    status, _ = request(f"{health}/health/liveliness", timeout=5)
    results.append((f"health app liveliness {health}/health/liveliness", status == 200, str(status)))
    chat = {"model": model, "messages": [{"role": "user", "content": "Hello from litellm-gateway"}]}
    status, body = request(f"{proxy}/v1/chat/completions", body=chat, key=key, timeout=60)
    answer = (body.get("choices") or [{}])[0].get("message", {}).get("content", "") if status == 200 else body
    results.append((f"chat completion with the master key ({model})", status == 200, f"{status} {str(answer)[:60]}"))
    status, _ = request(f"{proxy}/v1/chat/completions", body=chat, timeout=30)
    results.append(("chat completion without a key is refused", status in (401, 403), str(status)))

    width = max(len(r[0]) for r in results)
    for name, ok, detail in results:
        print(f"  {'ok  ' if ok else 'FAIL'}  {name.ljust(width)}  {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""`probe`: one minimal request to every configured model, with a hint for each failure."""

from dataclasses import dataclass

from ops.http import Reply, call, error_message
from ops.stack import Deployment

HINTS = {
    0: "the proxy did not answer: is the stack deployed and running? (python -m ops check)",
    400: "the proxy refused the request: see the message",
    401: "the upstream rejected the API key: set it again with `pulumi config set --secret {secret}`",
    403: "the upstream refused access with this API key ({secret})",
    404: "unknown model: check `models[].model` in the stack config",
    408: "the upstream timed out: check `models[].timeout` and the upstream's health",
    429: "rate limited by the upstream: retry later or add a fallback (F5)",
    500: "the upstream failed: see the message",
    502: "the upstream is unreachable: check `models[].apiBase` and the network",
    503: "the proxy shed load (F6) or the upstream is down",
}


@dataclass(frozen=True)
class ProbeResult:
    model: str
    status: int
    latency_ms: float
    hint: str

    @property
    def ok(self) -> bool:
        return self.status == 200


def hint_for(reply: Reply, secret: str | None) -> str:
    if reply.status == 200:
        return ""
    message = error_message(reply)
    if "api key" in message.lower() or "authentication" in message.lower():
        status = 401
    elif "connection" in message.lower() and reply.status >= 500:
        status = 502
    else:
        status = reply.status
    hint = HINTS.get(status, HINTS[500] if reply.status >= 500 else "see the message")
    return f"{hint.format(secret=secret or 'its apiKeySecret')} ({message[:80]})"


def run(d: Deployment, *, timeout: float = 60) -> list[ProbeResult]:
    results = []
    for model in d.models:
        body = {"model": model["name"], "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
        reply = call(f"{d.proxy_url}/v1/chat/completions", body=body, key=d.master_key, timeout=timeout)
        results.append(ProbeResult(model["name"], reply.status, round(reply.seconds * 1000, 1), hint_for(reply, model.get("apiKeySecret"))))
    return results

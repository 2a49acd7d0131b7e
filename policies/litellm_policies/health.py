"""Health rules H1-H3."""

from __future__ import annotations

import re
import shlex
from typing import Any

from .catalogue import PROBE_TIMEOUT_SECONDS
from .common import proxies
from .detect import DEFAULT_HEALTH_PORT, Container, Stack, runs_shell_script
from .model import UNKNOWN, Finding, Resource, deferred, fmt, has_unknown, is_unknown, violation
from .registry import ADVISORY, resource_policy, stack_policy
from .values import get, num, parse_duration, to_number

PROXY_WORKLOADS = "LiteLLM proxy containers (kubernetes workloads, docker Container)"
LIVENESS_PATHS = ("/health/liveliness", "/health/liveness")
READINESS_PATHS = ("/health/readiness",)
PROBE_TIMEOUT = PROBE_TIMEOUT_SECONDS


@resource_policy(
    "litellm-h1-separate-health-app",
    "H1",
    f"H1: a separate health app answers probes: SEPARATE_HEALTH_APP=1 and SEPARATE_HEALTH_PORT (e.g. "
    f"{DEFAULT_HEALTH_PORT}) different from the proxy port, and the container keeps the image entrypoint that "
    "starts it, or (Kubernetes) a health app container in the same pod serves that port (uvicorn with LiteLLM's "
    "health app, as beside LiteLLM's own image). Fix: set SEPARATE_HEALTH_APP=1 and SEPARATE_HEALTH_PORT=4001; do "
    "not override the entrypoint with `litellm ...` unless a health app container runs beside it.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def h1_separate_health_app(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "H1", out):
        app = c.env_value("SEPARATE_HEALTH_APP", stack)
        if is_unknown(app):
            out.append(deferred("H1", c.label, f"SEPARATE_HEALTH_APP ({c.env_reason('SEPARATE_HEALTH_APP', stack)})"))
            continue
        if (app or "").strip() != "1":
            out.append(violation("H1", c.label, f"SEPARATE_HEALTH_APP {fmt(app)}", "SEPARATE_HEALTH_APP=1", "set SEPARATE_HEALTH_APP=1 and SEPARATE_HEALTH_PORT=4001"))
            continue
        port_raw = c.env_value("SEPARATE_HEALTH_PORT", stack)
        main = c.main_port(stack)
        if is_unknown(port_raw) or is_unknown(main):
            out.append(deferred("H1", c.label, "SEPARATE_HEALTH_PORT / the proxy port"))
            continue
        if port_raw is None:
            out.append(
                violation("H1", c.label, f"no SEPARATE_HEALTH_PORT (image default {DEFAULT_HEALTH_PORT})", "SEPARATE_HEALTH_PORT set explicitly", f"set SEPARATE_HEALTH_PORT={DEFAULT_HEALTH_PORT}")
            )
        elif to_number(port_raw) == main:
            out.append(
                violation("H1", c.label, f"SEPARATE_HEALTH_PORT {fmt(port_raw)} equal to the proxy port", "a separate port", f"set SEPARATE_HEALTH_PORT={DEFAULT_HEALTH_PORT}")
            )
        cmd = c.command
        if isinstance(cmd, list) and cmd and isinstance(cmd[0], str):
            head = cmd[0].rsplit("/", 1)[-1]
            if head in ("litellm", "python", "python3", "uvicorn", "gunicorn"):
                out += _health_app_beside(c, stack, cmd[0], to_number(port_raw) if port_raw is not None else DEFAULT_HEALTH_PORT)
    return out


def _health_app_beside(c: Container, stack: Stack, head: str, want: Any) -> list[Finding]:
    """The proxy's command replaces the image entrypoint, so no supervisord starts the health
    app: a health app container of the same pod must serve SEPARATE_HEALTH_PORT instead."""
    beside = c.health_containers(stack)
    ports = [h.health_app_port() for h in beside]
    if any(is_unknown(p) for p in ports):
        return [deferred("H1", c.label, "the port of the health app container beside it")]
    if want in ports:
        return []
    knob = "command" if c.platform == "k8s" else "entrypoints"
    if beside:
        found = ", ".join(f"health app container {h.cname!r} on port {num(p)}" for h, p in zip(beside, ports))
        return [violation("H1", c.label, f"{found}, not SEPARATE_HEALTH_PORT {num(want)}", f"a health app container on port {num(want)}", f"run the health app container with --port {num(want)}")]
    return [
        violation(
            "H1",
            c.label,
            f"{knob} {head!r} replacing the image entrypoint (the health app is started by the entrypoint's supervisord) "
            "and no health app container beside it",
            "the image entrypoint kept, proxy flags in args; or (Kubernetes) a health app container in the same pod",
            f"remove `{knob}` and pass the proxy flags as {'args' if c.platform == 'k8s' else 'command'}",
        )
    ]


#: Docker's healthcheck timeout when none is set (or 0).
DOCKER_DEFAULT_TIMEOUT = 30.0


def _resolve_port(c: Container, port: Any) -> Any:
    if is_unknown(port):
        return UNKNOWN
    if isinstance(port, str) and not port.isdigit():
        named = c.named_ports()
        if port in named:
            return named[port]
        ports = get(c.spec, "ports")
        known = isinstance(ports, list) and not has_unknown(ports)
        return None if known or ports is None else UNKNOWN
    return to_number(port)


_URL = re.compile(r"^(?:https?://)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|[\w.-]+):(\d+)(/[\w/.-]*)?$")
#: What a probe needs: an HTTP client whose exit status is the request's result.
CHECKS = "curl -f/--fail, wget, or python's urllib urlopen of the health URL, alone (a shell may add `|| exit 1`)"


def _url_target(token: str) -> tuple[int, str | None] | None:
    m = _URL.match(token.strip("'\""))
    return (int(m.group(1)), m.group(2)) if m else None


def _shell_script(argv: list[str]) -> str | None:
    """The script of `sh -c SCRIPT` (Docker: CMD-SHELL), else None."""
    if len(argv) == 3 and runs_shell_script(argv):
        return argv[2]
    return None


def _http_check(argv: list[str]) -> tuple[Any, Any, str | None]:
    """(port, path, problem): the URL an exec probe requests, when its exit status is the
    request's result; otherwise a problem saying why the probe cannot fail. Before, a command
    that merely mentioned the URL (`echo http://…:4001/health/liveliness; exit 0`) passed."""
    script = _shell_script(argv)
    if script is not None:
        first, *rest = script.split("||")
        if [r.strip() for r in rest] not in ([], ["exit 1"]) or any(x in first for x in (";", "&", "|", "`", "$(", "\n")):
            return None, None, f"a shell script ({script!r}) whose exit status is not the request's"
        try:
            argv = shlex.split(first)
        except ValueError:
            return None, None, "a shell script that does not parse"
    if not argv:
        return None, None, "an empty command"
    prog = argv[0].rsplit("/", 1)[-1]
    targets = [t for t in (_url_target(a) for a in argv[1:]) if t]
    if prog == "curl":
        fails = any(a in ("-f", "--fail", "--fail-with-body") or (a.startswith("-") and not a.startswith("--") and "f" in a) for a in argv[1:])
        if not fails:
            return None, None, "curl without -f/--fail (it exits 0 on an HTTP error status)"
    elif prog.startswith("python") and "-c" in argv:
        code = argv[argv.index("-c") + 1] if argv.index("-c") + 1 < len(argv) else ""
        if "urlopen(" not in code or re.search(r"\b(try|except|exit|or)\b", code):
            return None, None, "python code that does not just urlopen the URL (an error must fail it)"
        targets = [t for t in (_url_target(u) for u in re.findall(r"['\"]([^'\"]+)['\"]", code)) if t]
    elif prog != "wget":
        return None, None, f"{prog!r}, not an HTTP client whose exit status is the request's"
    if len(targets) != 1:
        return None, None, f"{'no' if not targets else 'more than one'} URL requested"
    return targets[0][0], targets[0][1], None


def _exec_target(cmd: Any) -> tuple[Any, Any, str | None]:
    """(port, path, problem) of an exec probe / Docker healthcheck command (`CMD`, `CMD-SHELL`)."""
    if is_unknown(cmd):
        return UNKNOWN, UNKNOWN, None
    if not isinstance(cmd, list) or not cmd:
        return None, None, "no command"
    if any(is_unknown(x) for x in cmd):
        return UNKNOWN, UNKNOWN, None
    argv = [str(x) for x in cmd]
    if argv[0] == "CMD-SHELL":
        argv = ["sh", "-c", " ".join(argv[1:])]
    elif argv[0] == "CMD":
        argv = argv[1:]
    return _http_check(argv)


def _probe_target(c: Container, probe: dict) -> tuple[Any, Any, str]:
    if any(is_unknown(probe.get(k)) for k in ("httpGet", "exec", "tcpSocket", "grpc")):
        return UNKNOWN, UNKNOWN, "unknown"
    if isinstance(probe.get("httpGet"), dict):
        h = probe["httpGet"]
        path = h.get("path")
        return _resolve_port(c, h.get("port")), (UNKNOWN if is_unknown(path) else path), "httpGet"
    if isinstance(probe.get("exec"), dict):
        port, path, problem = _exec_target(probe["exec"].get("command"))
        return port, path, f"exec ({problem})" if problem else "exec"
    if isinstance(probe.get("tcpSocket"), dict):
        return _resolve_port(c, probe["tcpSocket"].get("port")), None, "tcpSocket"
    if isinstance(probe.get("grpc"), dict):
        return _resolve_port(c, probe["grpc"].get("port")), None, "grpc"
    return None, None, "no handler"


def _cannot_fail(c: Container, name: str, problem: str, health: Any, path: str) -> Finding:
    port = num(health or DEFAULT_HEALTH_PORT)
    return violation(
        "H2",
        c.label,
        f"a {name} command that cannot fail when the health app does: {problem}",
        f"an httpGet probe, or an exec of {CHECKS}",
        f"use httpGet {{port: {port}, path: {path}}} (Docker: ['CMD', 'curl', '-fsS', 'http://localhost:{port}{path}'])",
        urn=c.res.urn,
    )


@stack_policy(
    "litellm-h2-probes-on-health-port",
    "H2",
    "H2: liveness and readiness probes (Kubernetes) and the container healthcheck (Docker) hit the health app's "
    "port (SEPARATE_HEALTH_PORT, 4001), never the proxy port: /health/liveliness and /health/readiness. "
    "Fix: point the probes / healthcheck at http://localhost:4001/health/liveliness and /health/readiness.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def h2_probes_on_health_port(stack: Stack) -> list[Finding]:
    out: list[Finding] = []
    for c in stack.proxies:
        urn = c.res.urn
        health = c.health_port(stack)
        main = c.main_port(stack)
        if is_unknown(health) or is_unknown(main):
            out.append(deferred("H2", c.label, "the health app port", urn=urn))
            continue
        want = f"port {num(health)}" if health is not None else "the separate health app's port (none: see H1)"
        if c.platform == "k8s":
            for name, paths, required in (
                ("livenessProbe", LIVENESS_PATHS, True),
                ("readinessProbe", READINESS_PATHS, True),
                ("startupProbe", LIVENESS_PATHS + READINESS_PATHS, False),
            ):
                probe = get(c.spec, name)
                if is_unknown(probe):
                    out.append(deferred("H2", c.label, name, urn=urn))
                    continue
                if not isinstance(probe, dict):
                    if required:
                        out.append(violation("H2", c.label, f"no {name}", f"a {name} on {want} path {paths[0]}", f"add {name}.httpGet {{port: {num(health or DEFAULT_HEALTH_PORT)}, path: {paths[0]}}}", urn=urn))
                    continue
                port, path, how = _probe_target(c, probe)
                if is_unknown(port) or is_unknown(path):
                    out.append(deferred("H2", c.label, f"{name} port/path", urn=urn))
                    continue
                if how.startswith("exec ("):
                    out.append(_cannot_fail(c, name, how[len("exec (") : -1], health, paths[0]))
                    continue
                if health is None or port != health or path not in paths:
                    out.append(
                        violation(
                            "H2",
                            c.label,
                            f"{name} {how} on port {fmt(port)} path {fmt(path)}",
                            f"{want} path {' or '.join(paths)}",
                            f"set {name}.httpGet to port {num(health or DEFAULT_HEALTH_PORT)} path {paths[0]}",
                            urn=urn,
                        )
                    )
        else:
            tests = get(c.spec, "healthcheck.tests")
            if get(c.spec, "healthcheck") is None or tests is None:
                out.append(
                    violation("H2", c.label, "no healthcheck", f"a healthcheck on {want}", f"add healthcheck tests ['CMD', 'curl', '-fsS', 'http://localhost:{num(health or DEFAULT_HEALTH_PORT)}/health/liveliness']", urn=urn)
                )
                continue
            port, path, problem = _exec_target(tests)
            if is_unknown(port) or is_unknown(path):
                out.append(deferred("H2", c.label, "healthcheck.tests", urn=urn))
                continue
            if problem:
                out.append(_cannot_fail(c, "healthcheck", problem, health, LIVENESS_PATHS[0]))
                continue
            if health is None or port != health or path not in LIVENESS_PATHS + READINESS_PATHS:
                out.append(
                    violation(
                        "H2",
                        c.label,
                        f"healthcheck on port {fmt(port)} path {fmt(path)}",
                        f"{want} path /health/liveliness or /health/readiness",
                        f"set healthcheck tests to curl http://localhost:{num(health or DEFAULT_HEALTH_PORT)}/health/liveliness",
                        urn=urn,
                    )
                )
    return out


@resource_policy(
    "litellm-h3-probe-timeout",
    "H3",
    f"H3: probe timeout ≤ {PROBE_TIMEOUT} s (Kubernetes timeoutSeconds; Docker healthcheck timeout, whose default is 30 s). "
    f"Fix: set timeoutSeconds: {PROBE_TIMEOUT} on the probes / healthcheck timeout '5s'.",
    ADVISORY,
    PROXY_WORKLOADS,
)
def h3_probe_timeout(res: Resource, stack: Stack) -> list[Finding]:
    out = []
    for c in proxies(stack, "H3", out):
        if c.platform == "k8s":
            for name in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = get(c.spec, name)
                if not isinstance(probe, dict):
                    continue
                t = to_number(probe.get("timeoutSeconds"))
                if is_unknown(t):
                    out.append(deferred("H3", c.label, f"{name}.timeoutSeconds"))
                elif t is not None and t > PROBE_TIMEOUT:
                    out.append(violation("H3", c.label, f"{name}.timeoutSeconds {num(t)}", f"≤ {PROBE_TIMEOUT}", f"set {name}.timeoutSeconds: {PROBE_TIMEOUT}"))
        else:
            hc = get(c.spec, "healthcheck")
            if not isinstance(hc, dict):
                continue
            raw = hc.get("timeout")
            t = parse_duration(raw) if raw is not None else DOCKER_DEFAULT_TIMEOUT
            if t == 0:
                t = DOCKER_DEFAULT_TIMEOUT  # Docker runs a zero timeout (what the provider reads back when unset) as its default
            if is_unknown(t):
                out.append(deferred("H3", c.label, "healthcheck.timeout"))
            elif t is None or t > PROBE_TIMEOUT:
                found = f"healthcheck.timeout {fmt(raw)}" if raw is not None else "no healthcheck.timeout"
                found += " (Docker runs 30s)" if t == DOCKER_DEFAULT_TIMEOUT and parse_duration(raw) in (None, 0.0) else ""
                out.append(violation("H3", c.label, found, f"≤ {PROBE_TIMEOUT}s", "set healthcheck timeout '5s'"))
    return out

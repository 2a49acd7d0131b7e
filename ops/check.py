"""`check`: is the deployed gateway healthy and configured as planned?

Each check is one row: what was checked, ok or not, what was found. The exit status is 0 only
when every check passes, so scripts and CI can gate on it.
"""

import subprocess
import time
from dataclasses import dataclass

from ops.http import Reply, call
from ops.stack import Deployment

BAD_KEY = "sk-not-the-master-key"


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str


def _wait_ready(url: str, seconds: float) -> Reply:
    """Right after `pulumi up` the proxy may still boot: a bounded wait for readiness."""
    deadline = time.monotonic() + seconds
    reply = call(url, timeout=5)
    while reply.status != 200 and time.monotonic() < deadline:
        time.sleep(2)
        reply = call(url, timeout=5)
    return reply


def _docker(*args: str) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)
    return result.stdout if result.returncode == 0 else f"error: {result.stderr.strip()}"


def worker_count(container: str) -> int:
    """Worker processes of the proxy: children of the `litellm ... --num_workers` process
    that serve requests (uvicorn's spawned workers or gunicorn's workers)."""
    lines = [line.split(None, 2) for line in _docker("exec", container, "ps", "-eo", "pid,ppid,args").splitlines()[1:]]
    masters = {pid for pid, _, args in lines if "--num_workers" in args and "litellm" in args}
    masters |= {pid for pid, _, args in lines if args.startswith("gunicorn: master")}
    return sum(1 for _, ppid, args in lines if ppid in masters and ("spawn_main" in args or args.startswith("gunicorn: worker")))


def run(d: Deployment, *, wait_seconds: float = 90) -> list[Result]:
    results: list[Result] = []
    ready = _wait_ready(f"{d.health_url}/health/readiness", wait_seconds)
    results.append(Result("H1 health app readiness (4001)", ready.status == 200, f"HTTP {ready.status} in {ready.seconds * 1000:.0f} ms"))
    live = call(f"{d.health_url}/health/liveliness", timeout=5)
    results.append(Result("H1 health app liveliness (4001)", live.status == 200, f"HTTP {live.status} in {live.seconds * 1000:.0f} ms"))

    models = call(f"{d.proxy_url}/v1/models", key=d.master_key)
    listed = {m.get("id") for m in (models.body or {}).get("data", [])} if models.status == 200 else set()
    results.append(Result("S3 master key accepted", models.status == 200, f"HTTP {models.status}"))
    wanted = {m["name"] for m in d.models}
    results.append(Result("models listed", wanted <= listed, f"{len(wanted & listed)}/{len(wanted)}: {', '.join(sorted(wanted - listed)) or 'all'}"))
    for label, key in (("a bad key", BAD_KEY), ("no key", None)):
        refused = call(f"{d.proxy_url}/v1/models", key=key)
        results.append(Result(f"S3 {label} refused", refused.status in (400, 401, 403), f"HTTP {refused.status}"))

    if d.platform == "docker":
        results += _docker_checks(d)
    return results


def _docker_checks(d: Deployment) -> list[Result]:
    plan = d.plan
    found = worker_count(d.containers["proxy"])
    results = [Result("P1 worker processes = plan", found == plan["workers"], f"{found} running, plan {plan['workers']}")]
    pg = _docker("exec", d.containers["postgres"], "psql", "-U", "litellm", "-d", "litellm", "-tAc", "SHOW max_connections").strip()
    results.append(Result("D2 Postgres max_connections = plan", pg == str(plan["postgres_max_connections"]), f"{pg}, plan {plan['postgres_max_connections']}"))
    redis = d.containers["redis"]
    noauth = _docker("exec", redis, "redis-cli", "ping")
    results.append(Result("S5 Redis refuses clients without the password", "NOAUTH" in noauth, noauth.strip()[:60]))
    got = _docker("exec", "-e", f"REDISCLI_AUTH={d.redis_password}", redis, "redis-cli", "--no-auth-warning", "CONFIG", "GET", "maxclients").split()
    results.append(Result("R2 Redis maxclients = plan", got[-1:] == [str(plan["redis_maxclients"])], f"{got[-1] if got else '?'}, plan {plan['redis_maxclients']}"))
    return results

"""`ops check` and `ops probe` against a Kubernetes stack from outside the cluster.

A prod stack without `ingress`/`loadBalancer` exports in-cluster URLs (`http://lg-prod-proxy:4000`)
that only pods can reach. The commands then open `kubectl port-forward` to the proxy's Service
for their own run, on ports the kernel picks, and close it when they are done, whatever happens.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.parse import urlsplit

from ops.stack import Deployment, OpsError

FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)")
WAIT_SECONDS = 30


def in_cluster_target(d: Deployment) -> tuple[str, int, int] | None:
    """(service, proxy port, health port) when the stack's URLs are in-cluster names, else None."""
    if d.platform != "kubernetes":
        return None
    proxy, health = urlsplit(d.proxy_url), urlsplit(d.health_url)
    host = proxy.hostname or ""
    if proxy.scheme != "http" or "." in host or host != health.hostname or not (proxy.port and health.port):
        return None  # a public URL (Ingress, LoadBalancer) is reached as it is
    if not d.namespace:
        raise OpsError(f"stack {d.stack!r} has no `namespace` output: run `pulumi up` once with this version")
    return host, proxy.port, health.port


@contextmanager
def reachable(d: Deployment, kubectl: str = "kubectl", wait_seconds: float = WAIT_SECONDS) -> Iterator[Deployment]:
    """The deployment with URLs this machine can reach (a port-forward for the block's duration)."""
    target = in_cluster_target(d)
    if target is None:
        yield d
        return
    service, port, health = target
    cmd = [kubectl, "port-forward", "--namespace", d.namespace, f"service/{service}", f":{port}", f":{health}"]
    print(f"==> kubectl port-forward --namespace {d.namespace} service/{service} (closed when done)", flush=True)
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise OpsError(f"no `{kubectl}` on PATH: the in-cluster URLs need a port-forward (or set ingress/loadBalancer)") from None
    try:
        local = _forwarded_ports(proc, {port, health}, wait_seconds)
        yield replace(d, proxy_url=f"http://127.0.0.1:{local[port]}", health_url=f"http://127.0.0.1:{local[health]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _forwarded_ports(proc: subprocess.Popen, wanted: set[int], wait_seconds: float) -> dict[int, int]:
    """Remote port -> local port, from kubectl's "Forwarding from 127.0.0.1:L -> R" lines (read by a
    thread: kubectl keeps its stdout open for as long as it forwards)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    found: dict[int, int] = {}
    deadline = time.monotonic() + wait_seconds
    while set(found) != wanted:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise OpsError(f"kubectl port-forward did not start within {wait_seconds:.0f} s") from None
        if not line:  # kubectl exited
            proc.wait()
            raise OpsError(f"kubectl port-forward failed: {proc.stderr.read().strip()[-300:] or f'exit {proc.returncode}'}")
        if m := FORWARDING.search(line):
            found[int(m.group(2))] = int(m.group(1))
    return found


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # end of output: kubectl exited

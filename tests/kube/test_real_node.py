"""A real Kubernetes node (scripts/kube-node.sh): pods run under runc, Services route through
kube-proxy and have names in the cluster DNS, limits land in cgroups; unlike the kwok cluster of conftest.py, where pods are
only marked Running.

The node is this module's own: a unique name and internal Docker network, started through the
script and removed by it. All traffic stays on that network: the host talks to the node's API
server, the client pod to the Redis pod; no pod is pointed anywhere else."""

from __future__ import annotations

import ipaddress
import json
import random
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = [pytest.mark.kube, pytest.mark.docker]

SCRIPT = ROOT / "scripts/kube-node.sh"
VERSIONS = dict(line.split("=", 1) for line in (ROOT / "images/versions.env").read_text().splitlines() if line and not line.startswith("#"))
REDIS_IMAGE = VERSIONS["REDIS_IMAGE"]
MEMORY_LIMIT = 64 * 1024 * 1024


def _script(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=60).stdout


def _free_subnet() -> str:
    """A /24 of 10.213.0.0/16 no Docker network of this machine uses (the script's default is
    10.213.0.0/24; the fault tests' networks take Docker's own pools, 172.x and 192.168.x)."""
    used = set()
    for net in _docker("network", "ls", "-q").split():
        for cidr in _docker("network", "inspect", net, "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}").split():
            used.add(ipaddress.ip_network(cidr, strict=False))
    while True:
        candidate = ipaddress.ip_network(f"10.213.{random.randint(100, 250)}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)


@dataclass
class Node:
    name: str
    kubeconfig: Path
    kubectl_bin: Path

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.kubectl_bin), "--kubeconfig", str(self.kubeconfig), *args],
            input=stdin, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def apply(self, *objects: dict) -> None:
        self.kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)}))

    def logs(self) -> str:
        return subprocess.run(["docker", "logs", "--tail", "40", self.name], capture_output=True, text=True, timeout=60).stdout


@pytest.fixture(scope="module")
def node() -> Node:
    name = f"lg-test-node-{secrets.token_hex(3)}"
    try:
        up = _script("up", "--name", name, "--subnet", _free_subnet(), REDIS_IMAGE, timeout=3600)
        assert up.returncode == 0, f"scripts/kube-node.sh up failed:\n{up.stdout}\n{up.stderr}"
        print(up.stdout)
        kubeconfig = Path(_script("kubeconfig", "--name", name).stdout.strip())
        bin_dir = subprocess.run([str(ROOT / "scripts/kube-toolchain.sh"), "--print-path"], capture_output=True, text=True, check=True).stdout.strip()
        yield Node(name, kubeconfig, Path(bin_dir) / "kubectl")
    finally:
        _script("down", "--name", name)


def _container(name: str, image: str, **extra) -> dict:
    return {"name": name, "image": image, "imagePullPolicy": "Never", **extra}


@pytest.fixture(scope="module")
def redis(node: Node) -> str:
    """Redis with a password generated here, behind a ClusterIP Service, and a client pod
    created after the Service (so kubelet gives it REDIS_SERVICE_HOST); returns the password."""
    password = secrets.token_urlsafe(24)
    secret_env = {"valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "password"}}}
    limits = {"cpu": "100m", "memory": str(MEMORY_LIMIT)}
    node.apply(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "redis-auth"}, "stringData": {"password": password}},
        {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "redis", "labels": {"app": "redis"}},
            "spec": {"containers": [_container(
                "redis", REDIS_IMAGE, args=["--requirepass", "$(REDIS_PASSWORD)"],
                env=[{"name": "REDIS_PASSWORD", **secret_env}], ports=[{"containerPort": 6379}],
                resources={"requests": limits, "limits": limits},
                readinessProbe={"exec": {"command": ["sh", "-c", 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG']}, "periodSeconds": 2},
            )]},
        },
        {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "redis"},
            "spec": {"type": "ClusterIP", "selector": {"app": "redis"}, "ports": [{"port": 6379, "targetPort": 6379}]},
        },
    )  # fmt: skip
    node.apply({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
        "spec": {"containers": [_container("client", REDIS_IMAGE, command=["sleep", "3600"], env=[{"name": "REDISCLI_AUTH", **secret_env}])]},
    })  # fmt: skip
    waited = node.kubectl("wait", "--for=condition=Ready", "pod/redis", "pod/client", "--timeout=180s", check=False, timeout=200)
    if waited.returncode != 0:
        pods = node.kubectl("describe", "pods", check=False).stdout
        raise AssertionError(f"pods not Ready:\n{waited.stderr}\n{pods[-4000:]}\n{node.logs()}")
    return password


def test_the_pods_really_run_on_the_node(node: Node, redis: str):
    pods = {p["metadata"]["name"]: p for p in json.loads(node.kubectl("get", "pods", "-o", "json").stdout)["items"]}
    for pod in pods.values():  # (the test's own namespace: CoreDNS runs in kube-system)
        assert pod["spec"]["nodeName"] == node.name  # placed by the scheduler
        assert pod["status"]["podIP"].startswith("10.244.")  # an address from the CNI bridge
        assert pod["status"]["containerStatuses"][0]["containerID"].startswith("containerd://")
    assert "Ready to accept connections" in node.kubectl("logs", "redis").stdout


def test_client_gets_pong_through_the_service_and_its_name(node: Node, redis: str):
    cluster_ip = node.kubectl("get", "service", "redis", "-o", "jsonpath={.spec.clusterIP}").stdout
    assert ipaddress.ip_address(cluster_ip) in ipaddress.ip_network("10.96.0.0/16")
    # The Service's address as kubelet gives it to the pod, by the Service's name.
    assert node.kubectl("exec", "client", "--", "printenv", "REDIS_SERVICE_HOST").stdout.strip() == cluster_ip
    # kube-proxy rewrites its rules a moment after the pod turns Ready (until then the
    # Service has no endpoint and iptables refuses the connection): bounded, 30 s.
    ping = ("exec", "client", "--", "sh", "-c", 'redis-cli -h "$REDIS_SERVICE_HOST" -p "$REDIS_SERVICE_PORT" ping')
    deadline = time.monotonic() + 30
    while (pong := node.kubectl(*ping, check=False)).stdout.strip() != "PONG" and time.monotonic() < deadline:
        time.sleep(1)
    assert pong.stdout.strip() == "PONG", pong.stdout + pong.stderr
    # By the Service's DNS name: the node's CoreDNS add-on answers for cluster.local.
    for name in ("redis", "redis.default.svc.cluster.local"):
        assert node.kubectl("exec", "client", "--", "redis-cli", "-h", name, "ping").stdout.strip() == "PONG", name
    resolv = node.kubectl("exec", "client", "--", "cat", "/etc/resolv.conf").stdout
    assert "nameserver 10.96.0.10" in resolv and "default.svc.cluster.local" in resolv
    # The password is really required: without it the same server refuses.
    refused = node.kubectl("exec", "client", "--", "env", "-u", "REDISCLI_AUTH", "redis-cli", "-h", cluster_ip, "ping", check=False)
    assert "NOAUTH" in refused.stdout + refused.stderr


def test_the_memory_limit_is_in_the_containers_cgroup(node: Node, redis: str):
    read = node.kubectl(
        "exec", "redis", "--", "sh", "-c",
        "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
    )  # fmt: skip
    assert int(read.stdout.strip()) == MEMORY_LIMIT


def test_down_leaves_nothing_behind(node: Node, redis: str):
    volumes = [v for v in _docker("inspect", node.name, "--format", "{{range .Mounts}}{{.Name}} {{end}}").split() if v]
    assert volumes, "the node keeps containerd's and kubelet's state in volumes"
    again = _script("up", "--name", node.name)  # a Ready node is reused, not restarted
    assert again.returncode == 0 and "reused" in again.stdout, again.stdout + again.stderr
    down = _script("down", "--name", node.name)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not _docker("ps", "-aq", "--filter", f"name=^{node.name}$").strip()
    assert not _docker("network", "ls", "-q", "--filter", f"name=^{node.name}-net$").strip()
    left = set(_docker("volume", "ls", "-q").split())
    assert not left & set(volumes)
    assert not node.kubeconfig.parent.exists()
    assert _script("down", "--name", node.name).returncode == 0  # idempotent

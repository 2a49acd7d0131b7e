"""A local Kubernetes control plane for the prod stack's tests, started and stopped by the
tests themselves (scripts/kube-cluster.sh builds the binaries on first use)."""

import base64
import contextlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

from devtools.pulumi_project import Project, require_plugins
from ops import render

# Ports 27400+ keep the tests' cluster apart from one an operator started on the default ports.
PORT_BASE = "27400"


@dataclass
class Cluster:
    dir: Path
    kubectl_bin: Path

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.kubectl_bin), "--kubeconfig", str(self.dir / "admin.kubeconfig"), *args],
            input=stdin, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def get(self, namespace: str, *what: str) -> list[dict]:
        return json.loads(self.kubectl("get", "-n", namespace, ",".join(what), "-o", "json").stdout)["items"]

    def delete_namespace(self, name: str) -> None:
        """Frees what a test deployed: the simulated node has 64 CPUs, and a prod stack's pods
        request 15 of them, so tests that leave theirs running starve the next ones (seen: a
        proxy pod Pending and `pulumi up` waiting for it)."""
        self.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=true", "--timeout=180s", timeout=240)

    def volume(self, name: str, gib: int, storage_class: str = "") -> None:
        """A PersistentVolume for the Postgres claim (the control plane has no provisioner)."""
        spec = {"capacity": {"storage": f"{gib}Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": f"/tmp/{name}"}}
        manifest = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": {**spec, "storageClassName": storage_class}}
        self.kubectl("apply", "-f", "-", stdin=json.dumps(manifest))

    def storage_class(self, name: str, *, expandable: bool) -> None:
        """A StorageClass without a provisioner: what the API server's resize admission reads."""
        manifest = {
            "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": "kubernetes.io/no-provisioner", "allowVolumeExpansion": expandable,
        }  # fmt: skip
        self.kubectl("apply", "-f", "-", stdin=json.dumps(manifest))


def _cluster_script(*args: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts/kube-cluster.sh"), *args, "--dir", str(folder)],
        env={**os.environ, "KUBE_CLUSTER_PORT_BASE": PORT_BASE},
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Cluster:
    folder = tmp_path_factory.mktemp("kube-cluster")
    try:
        started = _cluster_script("start", folder=folder)
        bin_dir = subprocess.run([str(ROOT / "scripts/kube-toolchain.sh"), "--print-path"], capture_output=True, text=True, check=True).stdout.strip()
        if started.returncode != 0:
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted((folder / "logs").glob("*.log")))
            raise AssertionError(f"scripts/kube-cluster.sh start failed:\n{started.stdout}\n{started.stderr}\n{logs}")
        yield Cluster(folder, Path(bin_dir) / "kubectl")
    finally:
        _cluster_script("stop", folder=folder)


def decoded_secret_values(secret: dict) -> list[str]:
    return [base64.b64decode(v).decode() for v in (secret.get("data") or {}).values()]


def apply_rendered(cluster: Cluster, found: list[render.Manifest], out: Path, *, skip: tuple[str, ...] = ()) -> None:
    """`kubectl apply` of rendered files in render order (dependencies first), except kinds in `skip`."""
    render.write(found, out)
    for m in found:
        if m.kind not in skip:
            cluster.kubectl("apply", "-f", str(out / m.file))


def prod_project(cluster: Cluster, folder: Path, namespace: str, **config) -> Project:
    """A copy of the prod stack deploying into `namespace` of the session cluster, with throwaway
    provider keys set (the tests of one prod setting each start from this)."""
    require_plugins("random", "kubernetes")
    project = Project.copy(folder, "prod", "Pulumi.prod.yaml", kubernetes={"namespace": namespace}, **config)
    project.env["KUBECONFIG"] = str(cluster.dir / "admin.kubeconfig")
    for key in ("openaiApiKey", "anthropicApiKey"):
        project.set_secret(key, "sk-test-" + secrets.token_hex(12))
    return project


@contextlib.contextmanager
def throwaway_prod(cluster: Cluster, folder: Path, namespace: str, what: str, **config) -> Iterator[Project]:
    """`prod_project` with a volume its Postgres claim binds to; everything removed afterwards
    (the stack, protected resources included, and its namespace). `what` names it in the timings."""
    me = prod_project(cluster, folder, namespace, **config)
    cluster.volume(f"{namespace}-data-{secrets.token_hex(2)}", 50)
    try:
        yield me
    finally:
        print(f"[{what} through the engine] timings (s): {me.timings}")
        me.remove_everything()
        cluster.delete_namespace(namespace)


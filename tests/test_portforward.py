"""ops check / probe on a Kubernetes stack from outside the cluster (issue 16, part 5): the
in-cluster URLs are reached through a `kubectl port-forward` the command opens and closes
itself. kubectl is a fake here (the local control plane's pods run nothing to forward to); it
speaks kubectl's own "Forwarding from" lines and points at a fake proxy."""

import os
import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest
from test_ops import deployment, proxy_url  # noqa: F401 - the fake proxy fixture

from ops import check
from ops.portforward import reachable
from ops.stack import OpsError

FAKE_KUBECTL = """#!/usr/bin/env bash
echo "$@" > "$FAKE_DIR/args"
echo $$ > "$FAKE_DIR/pid"
if [ -n "$FAKE_FAIL" ]; then echo "error: services \\"lg-prod-proxy\\" not found" >&2; exit 1; fi
echo "Forwarding from 127.0.0.1:$FAKE_PORT -> 4000"
echo "Forwarding from [::1]:$FAKE_PORT -> 4000"
echo "Forwarding from 127.0.0.1:$FAKE_PORT -> 4001"
exec sleep 60
"""


@pytest.fixture
def kubectl(tmp_path, monkeypatch, proxy_url) -> Path:  # noqa: F811
    fake = tmp_path / "kubectl"
    fake.write_text(FAKE_KUBECTL)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("FAKE_DIR", str(tmp_path))
    monkeypatch.setenv("FAKE_PORT", proxy_url.rsplit(":", 1)[1])
    return fake


def in_cluster():
    d = deployment("http://lg-prod-proxy:4000", ["good"])
    return replace(d, health_url="http://lg-prod-proxy:4001", namespace="litellm")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_check_runs_through_a_port_forward_it_closes_afterwards(kubectl, proxy_url):  # noqa: F811
    with reachable(in_cluster(), kubectl=str(kubectl)) as d:
        assert d.proxy_url == d.health_url == proxy_url  # both remote ports, forwarded locally
        results = check.run(d, wait_seconds=5)
        pid = int((kubectl.parent / "pid").read_text())
        assert _alive(pid)
    assert results and all(r.ok for r in results), [r for r in results if not r.ok]
    assert (kubectl.parent / "args").read_text().split() == ["port-forward", "--namespace", "litellm", "service/lg-prod-proxy", ":4000", ":4001"]
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the port-forward outlived the command"


def test_a_failed_port_forward_is_a_clear_error(kubectl, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(OpsError, match=r'kubectl port-forward failed: error: services "lg-prod-proxy" not found'):
        with reachable(in_cluster(), kubectl=str(kubectl)):
            pass


def test_public_and_docker_urls_are_used_as_they_are(kubectl):
    public = replace(in_cluster(), proxy_url="https://llm.example.com", health_url="http://lg-prod-proxy:4001")
    docker = replace(deployment("http://127.0.0.1:4000", ["good"]), platform="docker")
    for d in (public, docker):
        with reachable(d, kubectl=str(kubectl)) as same:
            assert same is d
    assert not (kubectl.parent / "args").exists()


def test_a_stack_without_the_namespace_output_says_what_to_do(kubectl):
    with pytest.raises(OpsError, match="no `namespace` output"):
        with reachable(replace(in_cluster(), namespace=None), kubectl=str(kubectl)):
            pass

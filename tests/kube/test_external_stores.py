"""Managed data stores through the real engine on the local control plane: the prod stack with
`postgres.external` and `redis.external` pointing at stand-ins for managed servers (ExternalName
Services in a namespace of their own, as operators alias a cloud database; the simulated pods
connect nowhere), previewed and deployed with the pack. No Postgres or Redis runs in the stack,
the proxy's configuration names the stand-ins, and a budget the stated limits cannot hold is
refused by the program and, for the same program changed to state a small limit, by the pack."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator

import pytest

from devtools.pulumi_project import Project

from .conftest import Cluster, prod_project

pytestmark = [pytest.mark.kube, pytest.mark.engine]

NAMESPACE = "lg-managed"
STORES_NAMESPACE = "lg-managed-stores"
PG_HOST = f"managed-postgres.{STORES_NAMESPACE}.svc"
REDIS_HOST = f"managed-redis.{STORES_NAMESPACE}.svc"
PG_PASSWORD = "pg-" + secrets.token_hex(20)
REDIS_PASSWORD = "redis-" + secrets.token_hex(20)
PG_URL = f"postgresql://litellm:{PG_PASSWORD}@{PG_HOST}:5432/litellm?sslmode=require"
REDIS_URL = f"rediss://:{REDIS_PASSWORD}@{REDIS_HOST}:6380"
POSTGRES = {"external": {"urlSecret": "postgresUrl", "maxConnections": 600}}
REDIS = {"external": {"urlSecret": "redisUrl", "maxClients": 3000}}


def stand_ins(cluster: Cluster) -> None:
    """What the URLs name: ExternalName Services (no selector, no pod) for the managed servers."""
    cluster.kubectl("create", "namespace", STORES_NAMESPACE)
    for name, target in (("managed-postgres", "db.lg-managed.test"), ("managed-redis", "cache.lg-managed.test")):
        manifest = {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": STORES_NAMESPACE},
            "spec": {"type": "ExternalName", "externalName": target},
        }  # fmt: skip
        cluster.kubectl("apply", "-f", "-", stdin=json.dumps(manifest))


@pytest.fixture(scope="module")
def project(cluster: Cluster, tmp_path_factory) -> Iterator[Project]:
    me = prod_project(cluster, tmp_path_factory.mktemp("managed"), NAMESPACE, postgres=POSTGRES, redis=REDIS)
    for key, value in {"postgresUrl": PG_URL, "redisUrl": REDIS_URL}.items():
        me.set_secret(key, value)
    stand_ins(cluster)
    try:
        yield me
    finally:
        print(f"[managed data stores through the engine] timings (s): {me.timings}")
        me.remove_everything()
        cluster.delete_namespace(NAMESPACE)
        cluster.delete_namespace(STORES_NAMESPACE)


def test_d2_r2_previewed_and_deployed_with_the_pack_without_in_cluster_stores(project: Project, cluster: Cluster) -> None:
    pack = project.with_pack("prod")
    project.timed("preview", "preview", "--diff=false", *pack, timeout=600)
    project.timed("up", "up", "--yes", *pack, timeout=1200)
    assert cluster.get(NAMESPACE, "statefulsets,persistentvolumeclaims") == []
    (deployment,) = cluster.get(NAMESPACE, "deployments")  # the proxy only: no Redis Deployment
    assert deployment["metadata"]["annotations"]["litellm-gateway/postgres-max-connections"] == "600"
    assert deployment["metadata"]["annotations"]["litellm-gateway/redis-maxclients"] == "3000"
    outputs = project.outputs()
    assert (outputs["postgres_max_connections"], outputs["redis_maxclients"]) == (600, 3000)


def test_the_proxy_and_the_migration_use_the_managed_servers(project: Project, cluster: Cluster) -> None:
    (stores,) = [s for s in cluster.get(NAMESPACE, "secrets") if "-stores" in s["metadata"]["name"]]
    data = {k: base64.b64decode(v).decode() for k, v in stores["data"].items()}
    assert data == {"DATABASE_URL": PG_URL, "REDIS_HOST": REDIS_HOST, "REDIS_PORT": "6380", "REDIS_PASSWORD": REDIS_PASSWORD, "REDIS_SSL": "true"}
    (deployment,) = cluster.get(NAMESPACE, "deployments")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in env if "valueFrom" in e}
    assert {refs[k] for k in data} == {stores["metadata"]["name"]}
    assert not [e for e in env if e.get("value") and (PG_HOST in e["value"] or REDIS_HOST in e["value"])]  # S4: only in the Secret
    (job,) = cluster.get(NAMESPACE, "jobs")
    assert job["status"].get("succeeded") == 1
    job_refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"] if "valueFrom" in e}
    assert job_refs == {"DATABASE_URL": stores["metadata"]["name"]}
    state = json.dumps(project.export())
    assert PG_PASSWORD not in state and REDIS_PASSWORD not in state


def test_d2_a_stated_limit_the_budget_overflows_is_refused_by_the_program(project: Project) -> None:
    small = {"external": {**POSTGRES["external"], "maxConnections": 500}}
    project.run("config", "set", "--path", "litellm-gateway:postgres", json.dumps(small))  # the setting as a whole, as Project.copy stored it
    try:
        result = project.run("preview", "--diff=false", check=False, timeout=600)
    finally:
        project.run("config", "set", "--path", "litellm-gateway:postgres", json.dumps(POSTGRES))
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "[D2] litellm-gateway:postgres.external.maxConnections = 500: at least 530" in output, output[-3000:]
    assert PG_PASSWORD not in output


def test_r2_the_pack_judges_the_same_budget(project: Project) -> None:
    small = ("found[REDIS_LIMIT_ANNOTATION] = str(plan.redis_maxclients)", 'found[REDIS_LIMIT_ANNOTATION] = "1000"')
    with project.edited("components/external_stores.py", small):
        result = project.run("preview", "--diff=false", *project.with_pack("prod"), check=False, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "[mandatory]  litellm-r2-external-redis-budget" in output, output[-3000:]
    assert "maxclients 1000 (litellm-gateway/redis-maxclients)" in output and "= 2610" in output, output[-3000:]

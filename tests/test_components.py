"""The program under Pulumi's mocks: what each platform registers, as the engine receives it."""

import json

import pytest

from devtools.mock_engine import FailedMigrationMocks, Mocks, ProgramFailed, Registration, run_program, stack_file_config

import pulumi

SECRET_VALUE = "provider-key-that-must-stay-secret"
RANDOM_RESULT = "x" * 40  # what the mocks return for a 40-character RandomPassword


def stack_config(stack: str, **changes) -> tuple[dict, list[str]]:
    config, secrets = stack_file_config(stack, lambda key: SECRET_VALUE)
    for key, value in changes.items():
        if value is None:
            config.pop(f"litellm-gateway:{key}", None)
        else:
            config[f"litellm-gateway:{key}"] = value
    return config, secrets


@pytest.fixture(scope="module")
def dev() -> list[Registration]:
    return run_program("dev", *stack_config("dev"))


@pytest.fixture(scope="module")
def prod() -> list[Registration]:
    return run_program("prod", *stack_config("prod"))


def one(regs: list[Registration], type_: str, name_part: str) -> Registration:
    found = [r for r in regs if r.type == type_ and name_part in r.name]
    assert len(found) == 1, [r.name for r in regs if r.type == type_]
    return found[0]


def pod_spec(reg: Registration) -> dict:
    return reg.inputs["spec"]["template"]["spec"]


CONTAINER = "docker:index/container:Container"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def test_dev_registers_the_docker_resources(dev):
    kinds = sorted((r.type, r.name) for r in dev if r.custom)
    assert ("docker:index/network:Network", "lg-dev-net") in kinds
    assert ("docker:index/volume:Volume", "lg-dev-postgres-data") in kinds
    containers = {name for t, name in kinds if t == CONTAINER}
    assert containers == {
        "lg-dev-postgres-container", "lg-dev-redis-container", "lg-dev-proxy-container",
        "lg-dev-proxy-migrate", "lg-dev-mock-upstream-container",
    }  # fmt: skip
    assert not [r for r in dev if r.type.startswith("kubernetes:")]


def test_prod_registers_the_kubernetes_resources(prod):
    kinds = {r.type for r in prod if r.custom}
    assert {
        "kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap",
        "kubernetes:apps/v1:StatefulSet", DEPLOYMENT, "kubernetes:batch/v1:Job", "kubernetes:core/v1:Service",
        "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    } <= kinds  # fmt: skip
    assert not [r for r in prod if r.type.startswith("docker:")]


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_s1_d6_salt_key_and_postgres_password_are_protected_and_only_they(fixture, request):
    """Data depends on both: stored credentials on the salt key, the data directory on the
    password it was initialised with. The other secrets may be rotated by a replacement."""
    regs = request.getfixturevalue(fixture)
    randoms = [r for r in regs if r.type.startswith("random:")]
    protected = sorted(r.name for r in randoms if r.protect)
    assert protected == [f"lg-{fixture}-secrets-postgres-password", f"lg-{fixture}-secrets-salt-key"]
    salt = one(regs, "random:index/randomPassword:RandomPassword", "salt-key")
    assert salt.inputs["length"] >= 44 and salt.inputs["special"] is False  # S2: >= 256 bits


def test_s1_adopted_salt_key_is_kept_by_the_protected_salt_resource():
    """The adopted key reaches the proxy; the protected salt resource keeps its SHA-256, so a
    later edit or removal of the setting is a replacement the engine refuses."""
    config, secrets = stack_config("dev")
    config["litellm-gateway:existingSaltKey"] = "sk-adopted"
    regs = run_program("dev", config, secrets + ["litellm-gateway:existingSaltKey"])
    salt = one(regs, "random:index/randomPassword:RandomPassword", "salt-key")
    assert salt.protect
    assert salt.inputs["keepers"] == {"existingSaltKeySha256": "a020689607a27bb7bfbd59cdf8755ee1344a075a3715e56fc30b975c5fb03697"}
    assert any(p.startswith("keepers") for p in salt.secret_inputs), salt.secret_inputs
    proxy = one(regs, CONTAINER, "proxy-container")
    assert "LITELLM_SALT_KEY_FILE=/run/secrets/litellm-gateway/LITELLM_SALT_KEY" in proxy.inputs["envs"]
    uploads = {u["file"]: u["content"] for u in proxy.inputs["uploads"]}
    assert uploads["/run/secrets/litellm-gateway/LITELLM_SALT_KEY"] == "sk-adopted"
    assert any(p.startswith("uploads") for p in proxy.secret_inputs), proxy.secret_inputs


def test_s4_docker_secrets_are_files_named_by_env_never_env_values(dev):
    """`docker inspect` shows envs: on Docker each secret is an uploaded file (a Pulumi secret)
    that a `NAME_FILE` variable names, and every `envs` entry is a plain, known string."""
    expected = {
        "postgres-container": {"POSTGRES_PASSWORD"},
        "proxy-migrate": set(),  # connectDatabase is false on dev: no DATABASE_URL
        "proxy-container": {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "REDIS_PASSWORD", "DRAIN_ENDPOINT_TOKEN", "MOCK_API_KEY"},
    }
    for suffix, names in expected.items():
        container = one(dev, CONTAINER, suffix)
        envs = container.inputs["envs"]
        assert all(isinstance(e, str) for e in envs) and not any(p.startswith("envs") for p in container.secret_inputs)
        named = {e.split("=", 1)[0][: -len("_FILE")] for e in envs if e.split("=", 1)[0].endswith("_FILE")}
        assert named == names, (suffix, named)
        files = {u["file"] for u in container.inputs.get("uploads", [])}
        assert {f"/run/secrets/litellm-gateway/{n}" for n in names} <= files
        assert not any(n + "=" in e for e in envs for n in names), suffix


def test_s3_s5_generated_secret_lengths(dev):
    lengths = {r.name.rsplit("-secrets-", 1)[1]: r.inputs["length"] for r in dev if r.type.startswith("random:")}
    assert lengths["master-key"] >= 44 and lengths["postgres-password"] >= 32 and lengths["redis-password"] >= 32


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_children_are_parented_and_prefixed_by_their_component(fixture, request):
    regs = request.getfixturevalue(fixture)
    by_urn = {r.urn: r for r in regs}
    for reg in regs:
        if reg.type == "litellm-gateway:index:Gateway":
            continue
        parent = by_urn.get(reg.parent)
        assert parent is not None, f"{reg.name} is not parented to a component"
        assert reg.name.startswith(parent.name), (reg.name, parent.name)


def test_d5_migration_finishes_before_the_proxy_starts(dev, prod):
    migrate = one(dev, CONTAINER, "proxy-migrate")
    assert migrate.inputs["mustRun"] is False and migrate.inputs["attach"] is True
    assert migrate.inputs["command"] == ["litellm-migrate"]
    assert migrate.urn in one(dev, CONTAINER, "proxy-container").dependencies
    assert one(dev, CONTAINER, "postgres-container").urn in migrate.dependencies  # the data stores first
    job = one(prod, "kubernetes:batch/v1:Job", "proxy-migrate")
    assert job.urn in one(prod, DEPLOYMENT, "proxy").dependencies
    proxy_env = {e["name"]: e for e in pod_spec(one(prod, DEPLOYMENT, "proxy"))["containers"][0]["env"]}
    assert proxy_env["DISABLE_SCHEMA_UPDATE"]["value"] == "true"


def test_d5_a_failed_docker_migration_stops_the_update_before_the_proxy():
    """The provider does not check a one-shot container's exit code: the program does, so
    `pulumi up` fails naming the migration and the running proxy is left alone."""
    with pytest.raises(ProgramFailed, match=r"\[D5\] the database migration \(lg-dev-proxy-migrate\) exited with code 3") as failed:
        run_program("dev", *stack_config("dev"), FailedMigrationMocks(3), isolated=True)
    names = [r.name for r in failed.value.registrations]
    assert "lg-dev-proxy-migrate" in names and "lg-dev-proxy-container" not in names
    assert len(run_program("dev", *stack_config("dev"), FailedMigrationMocks(0), isolated=True)) > len(names)


def test_d6_destroy_leaves_the_namespace_and_so_the_postgres_claim(prod):
    namespace = one(prod, "kubernetes:core/v1:Namespace", "namespace")
    assert namespace.retain_on_delete and namespace.inputs["metadata"]["name"] == "litellm"


def test_d6_postgres_volume_protected_and_retained(dev, prod):
    volume = one(dev, "docker:index/volume:Volume", "postgres-data")
    assert volume.protect and volume.retain_on_delete
    claim = one(prod, "kubernetes:core/v1:PersistentVolumeClaim", "postgres-data")
    assert claim.protect and claim.retain_on_delete
    assert claim.inputs["metadata"]["name"] == "lg-prod-postgres-data"  # stable: never a new, empty claim
    assert claim.inputs["spec"]["resources"]["requests"]["storage"] == "50Gi"
    sts = one(prod, "kubernetes:apps/v1:StatefulSet", "postgres")
    assert sts.inputs["metadata"]["name"] == "lg-prod-postgres" and "volumeClaimTemplates" not in sts.inputs["spec"]
    (volume,) = pod_spec(sts)["volumes"]
    assert volume == {"name": "data", "persistentVolumeClaim": {"claimName": "lg-prod-postgres-data"}}


def test_d2_postgres_max_connections_from_the_plan(dev, prod):
    assert "max_connections=30" in one(dev, CONTAINER, "postgres-container").inputs["command"]
    args = pod_spec(one(prod, "kubernetes:apps/v1:StatefulSet", "postgres"))["containers"][0]["args"]
    # 10 x 4 workers x 13 instances + 10: a rolling update holds 2 x 6 (autoscaler max) + 1 (maxSurge) pods' pools
    assert "max_connections=530" in args


def test_r2_r3_redis_limits_from_the_plan(dev, prod):
    command = one(dev, CONTAINER, "redis-container").inputs["command"]
    assert command[command.index("--maxclients") + 1] == "110"
    assert command[command.index("--maxmemory") + 1] == "384mb"
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    args = pod_spec(one(prod, DEPLOYMENT, "redis"))["containers"][0]["args"]
    assert args[args.index("--maxclients") + 1] == "2610"  # 50 x 4 workers x 13 instances + 10


def test_d2_r2_the_budget_counts_the_rollout_the_deployment_renders(prod):
    """The 530 and 2610 above count 2 x 6 + 1 pods because the proxy Deployment rolls with
    maxSurge 1 (and never below its capacity); Docker's 30 and 110 count the one container,
    replaced delete-then-create."""
    strategy = one(prod, DEPLOYMENT, "proxy").inputs["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def test_n1_data_stores_publish_no_ports_and_proxy_only_on_loopback(dev):
    for name in ("postgres-container", "redis-container", "mock-upstream-container", "proxy-migrate"):
        assert not one(dev, CONTAINER, name).inputs.get("ports")
    ports = one(dev, CONTAINER, "proxy-container").inputs["ports"]
    assert {(p["internal"], p["ip"]) for p in ports} == {(4000, "127.0.0.1"), (4001, "127.0.0.1")}


def test_n1_kubernetes_services_cluster_ip_and_network_policies(prod):
    services = [r for r in prod if r.type == "kubernetes:core/v1:Service"]
    assert {s.inputs["spec"]["type"] for s in services} == {"ClusterIP"}
    policies = {r.name: r.inputs["spec"] for r in prod if r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"}
    assert set(policies) == {"lg-prod-postgres-netpol", "lg-prod-redis-netpol"}
    proxy_labels = pod_spec_labels(one(prod, DEPLOYMENT, "proxy"))
    for spec in policies.values():
        (client_label,) = spec["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
        assert proxy_labels[client_label] == "true"


def pod_spec_labels(reg: Registration) -> dict:
    return reg.inputs["spec"]["template"]["metadata"]["labels"]


def test_h2_h3_probes_on_the_health_port_with_5s_timeout(dev, prod):
    check = one(dev, CONTAINER, "proxy-container").inputs["healthcheck"]
    assert check["timeout"] == "5s" and ":4001/health/readiness" in " ".join(check["tests"])
    container = pod_spec(one(prod, DEPLOYMENT, "proxy"))["containers"][0]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == 4001 and container[probe]["timeoutSeconds"] == 5


def test_p4_p9_stop_grace_and_drain_hook(dev, prod):
    proxy = one(dev, CONTAINER, "proxy-container").inputs
    assert proxy["stopTimeout"] == 660 and proxy["destroyGraceSeconds"] == 660
    spec = pod_spec(one(prod, DEPLOYMENT, "proxy"))
    assert spec["terminationGracePeriodSeconds"] == 960  # 900 s model timeout + 2 x 30
    hook = " ".join(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"])
    assert "/health/drain" in hook and "X-Drain-Token" in hook and "DRAIN_ENDPOINT_TOKEN" in hook


def test_p5_n3_resources_and_security_context(prod):
    spec = pod_spec(one(prod, DEPLOYMENT, "proxy"))
    container = spec["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "4000m", "memory": "3072Mi"}
    assert container["resources"]["requests"] == container["resources"]["limits"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_n3_docker_containers_run_as_numeric_non_root_users(dev):
    for reg in (r for r in dev if r.type == CONTAINER):
        assert reg.inputs["user"].isdigit() and reg.inputs["user"] != "0", reg.name


def test_n4_pdb_and_hpa(prod):
    pdb = one(prod, "kubernetes:policy/v1:PodDisruptionBudget", "proxy")
    assert pdb.inputs["spec"]["maxUnavailable"] == 1
    hpa = one(prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "proxy")
    assert (hpa.inputs["spec"]["minReplicas"], hpa.inputs["spec"]["maxReplicas"]) == (3, 6)
    deployment = one(prod, DEPLOYMENT, "proxy")
    # The first rollout starts at the HPA's minimum (tests/kube saw 1 pod without it); the HPA
    # owns the count afterwards, so an update does not reset it.
    assert deployment.inputs["spec"]["replicas"] == 3
    assert deployment.ignore_changes == ["spec.replicas"]


def test_n4_under_an_hpa_the_first_rollout_starts_at_its_minimum_whatever_replicas_says():
    regs = run_program("prod", *stack_config("prod", replicas=None, autoscaling={"minReplicas": 4, "maxReplicas": 6}))
    assert one(regs, DEPLOYMENT, "proxy").inputs["spec"]["replicas"] == 4


def test_d5_the_proxy_deployment_waits_for_the_migration_job(prod):
    job = one(prod, "kubernetes:batch/v1:Job", "migrate")
    assert job.urn in one(prod, DEPLOYMENT, "proxy").dependencies


def test_n4_without_autoscaling_the_program_owns_the_replica_count():
    regs = run_program("prod", *stack_config("prod", autoscaling=None, replicas=4))
    deployment = one(regs, DEPLOYMENT, "proxy")
    assert deployment.inputs["spec"]["replicas"] == 4 and deployment.ignore_changes == []
    assert not [r for r in regs if r.type == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"]


def test_s4_kubernetes_secrets_only_in_secret_objects(prod):
    container = pod_spec(one(prod, DEPLOYMENT, "proxy"))["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    for name in ("LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "DATABASE_URL", "REDIS_PASSWORD", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        assert "secretKeyRef" in env[name]["valueFrom"] and "value" not in env[name], name
    for secret in (r for r in prod if r.type == "kubernetes:core/v1:Secret"):
        assert {k.split(".")[0] for k in secret.secret_inputs} == {"stringData"}, secret.name
    config_map = one(prod, "kubernetes:core/v1:ConfigMap", "proxy-config")
    assert "os.environ/OPENAI_API_KEY" in config_map.inputs["data"]["config.yaml"]


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_s4_no_secret_value_outside_secret_inputs(fixture, request):
    for reg in request.getfixturevalue(fixture):
        plain = {k: v for k, v in reg.inputs.items() if not any(p == k or p.startswith(f"{k}.") or p.startswith(f"{k}[") for p in reg.secret_inputs)}
        text = json.dumps(plain)
        assert SECRET_VALUE not in text and RANDOM_RESULT not in text, reg.name


class CountingMocks(Mocks):
    """The mocks, remembering every resource (component or custom) the program asked for."""

    def __init__(self):
        super().__init__()
        self.registered: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append(f"{args.typ}::{args.name}")
        return super().new_resource(args)


def test_bad_config_registers_nothing():
    """Invalid config fails before any resource is registered (HARDENING.md, sizing model)."""
    config, secrets = stack_config("prod", workers=9, machineClass="standard")
    mocks = CountingMocks()
    with pytest.raises(pulumi.RunError, match=r"\[P1\] litellm-gateway:workers = 9"):
        run_program("prod", config, secrets, mocks)
    assert mocks.registered == []
    # the same recorder sees the registrations of a valid config: the check above can fail
    valid = CountingMocks()
    run_program("prod", *stack_config("prod"), valid)
    assert len(valid.registered) >= 10


def test_bad_config_message_lists_every_problem_without_secrets():
    config, secrets = stack_config("prod", replicas=1, autoscaling=None)
    config.pop("litellm-gateway:openaiApiKey")
    secrets.remove("litellm-gateway:openaiApiKey")
    with pytest.raises(pulumi.RunError) as err:
        run_program("prod", config, secrets)
    message = str(err.value)
    assert "[N4] litellm-gateway:replicas = 1" in message and "[S6]" in message and SECRET_VALUE not in message

"""Issue 16 part 3: the prod stack with LiteLLM's own image (ghcr.io/berriai/litellm), under
Pulumi's mocks. What our image adds comes from the platform instead: the proxy's command runs
`litellm` directly, the health app is a second container of the pod (H1, H2), the migration Job
runs LiteLLM's own migration or the check-only wait (D5), and the two files it needs come
read-only from a ConfigMap. The policy pack judges that arrangement, and passes it."""

import json

import pytest
from litellm_policies.registry import evaluate
from test_components import DEPLOYMENT, one, pod_spec, stack_config
from test_policy_harness import assert_rejected_by, breaker_ids

from components import hardening as h
from components.proxy_layout import HEALTH_APP_MEMORY_MIB, SITECUSTOMIZE_TEXT, SUPPORT_DIR, SUPPORT_FILES, SUPPORT_SOURCE
from devtools.mock_engine import Registration, run_program
from ops.pr_check import policy_config as config
from ops.pr_check import policy_resources as resources

OFFICIAL = "ghcr.io/berriai/litellm:v1.106.2-stable"
JOB = "kubernetes:batch/v1:Job"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"


def official_stack(**changes) -> list[Registration]:
    images = {"proxy": OFFICIAL, "postgres": "litellm-gateway/postgres:15.20", "redis": "litellm-gateway/redis:7.0.15"}
    return run_program("prod", *stack_config("prod", images=json.dumps(images), **changes))


@pytest.fixture(scope="module")
def official() -> list[Registration]:
    return official_stack()


@pytest.fixture(scope="module")
def official_check_only() -> list[Registration]:
    return official_stack(connectDatabase="false")


def containers(reg: Registration) -> dict[str, dict]:
    return {c["name"]: c for c in pod_spec(reg)["containers"]}


def env_of(container: dict) -> dict[str, object]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_h1_the_proxy_runs_litellm_directly_beside_a_health_app_container(official):
    pod = containers(one(official, DEPLOYMENT, "proxy-deployment"))
    assert set(pod) == {"litellm", "health"}
    proxy, health = pod["litellm"], pod["health"]
    assert proxy["command"] == ["litellm", "--host", "0.0.0.0", "--port", str(h.PROXY_PORT)]
    assert "--config" in proxy["args"] and "--num_workers" in proxy["args"]  # the rendered args, unchanged
    assert health["image"] == proxy["image"] == OFFICIAL  # one image, pinned (N2)
    assert health["command"][:6] == ["python", "-m", "uvicorn", "--app-dir", SUPPORT_DIR, "lg_health_app:app"]
    assert health["command"][health["command"].index("--port") + 1] == str(h.HEALTH_PORT)


def test_h2_h3_probes_stay_on_the_health_port_and_the_drain_hook_uses_the_images_python(official):
    proxy = containers(one(official, DEPLOYMENT, "proxy-deployment"))["litellm"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert proxy[probe]["httpGet"]["port"] == h.HEALTH_PORT and proxy[probe]["timeoutSeconds"] == h.PROBE_TIMEOUT_SECONDS
    assert proxy["lifecycle"]["preStop"]["exec"]["command"][0] == "python"


def test_h1_the_health_app_and_wait_for_db_come_read_only_from_a_configmap_of_the_images_files(official):
    (support,) = [r for r in official if r.type == CONFIGMAP and "support" in r.name]
    assert support.inputs["data"] == {
        **{name: (SUPPORT_SOURCE / name).read_text() for name in SUPPORT_FILES},
        "sitecustomize.py": SITECUSTOMIZE_TEXT,
    }
    for reg in (one(official, DEPLOYMENT, "proxy-deployment"), one(official, JOB, "migrate")):
        volumes = {v["name"]: v for v in pod_spec(reg)["volumes"]}
        assert volumes["support"]["configMap"]["name"] == support.outputs["metadata"]["name"]
    for c in pod_spec(one(official, DEPLOYMENT, "proxy-deployment"))["containers"]:
        assert {"name": "support", "mountPath": SUPPORT_DIR, "readOnly": True} in c["volumeMounts"], c["name"]


def test_p3_p8_the_proxy_loads_lg_recycle_as_our_image_does(official):
    """Our image loads it through a .pth file in its venv; here a sitecustomize on PYTHONPATH
    (uvicorn's spawned workers inherit the environment)."""
    pod = containers(one(official, DEPLOYMENT, "proxy-deployment"))
    assert env_of(pod["litellm"])["PYTHONPATH"] == SUPPORT_DIR and "PYTHONPATH" not in env_of(pod["health"])
    assert "import lg_recycle" in SITECUSTOMIZE_TEXT


def test_s4_secrets_still_only_from_secret_objects_and_the_health_app_gets_none(official):
    pod = containers(one(official, DEPLOYMENT, "proxy-deployment"))
    proxy_env = env_of(pod["litellm"])
    for name in ("LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "REDIS_PASSWORD", "DATABASE_URL", "DRAIN_ENDPOINT_TOKEN"):
        assert "secretKeyRef" in proxy_env[name], name
    assert all(isinstance(v, str) for v in env_of(pod["health"]).values())  # plain values only...
    assert not set(env_of(pod["health"])) & {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "DATABASE_URL", "REDIS_PASSWORD"}
    migrate = env_of(one(official, JOB, "migrate").inputs["spec"]["template"]["spec"]["containers"][0])
    assert "secretKeyRef" in migrate["DATABASE_URL"]


def test_d5_the_job_runs_litellms_own_migration_and_the_proxies_never_migrate(official):
    migrate = one(official, JOB, "migrate").inputs["spec"]["template"]["spec"]["containers"][0]
    assert migrate["command"] == ["litellm", "--skip_server_startup"]
    assert env_of(migrate)["DISABLE_SCHEMA_UPDATE"] == "false"
    assert env_of(containers(one(official, DEPLOYMENT, "proxy-deployment"))["litellm"])["DISABLE_SCHEMA_UPDATE"] == "true"


def test_d5_check_only_waits_for_postgres_with_the_projects_script(official_check_only):
    migrate = one(official_check_only, JOB, "migrate").inputs["spec"]["template"]["spec"]["containers"][0]
    assert migrate["command"] == ["python", f"{SUPPORT_DIR}/wait_for_db.py"]
    assert {"name": "support", "mountPath": SUPPORT_DIR, "readOnly": True} in migrate["volumeMounts"]
    assert "DISABLE_SCHEMA_UPDATE" not in env_of(migrate)


def test_p5_n3_the_pod_keeps_the_class_budget_and_every_container_is_locked_down(official):
    spec = pod_spec(one(official, DEPLOYMENT, "proxy-deployment"))
    pod = {c["name"]: c for c in spec["containers"]}
    mib = lambda q: int(q.removesuffix("Mi"))  # noqa: E731
    for c in pod.values():
        assert c["resources"]["requests"] == c["resources"]["limits"]
        assert c["securityContext"] == {"allowPrivilegeEscalation": False, "privileged": False, "capabilities": {"drop": ["ALL"]}}
    assert mib(pod["health"]["resources"]["limits"]["memory"]) == HEALTH_APP_MEMORY_MIB
    assert mib(pod["litellm"]["resources"]["limits"]["memory"]) + HEALTH_APP_MEMORY_MIB == 4 * 512 + 1024  # standard class
    assert pod["litellm"]["resources"]["limits"]["cpu"] == "4000m"  # P5: CPU = workers
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 10001
    # HOME: the official image has no home for uid 10001
    assert env_of(pod["litellm"])["HOME"] == env_of(pod["health"])["HOME"] == "/tmp"


def test_our_image_renders_as_before(official):
    """The arrangement is the official layout's only: our image keeps its entry point."""
    ours = run_program("prod", *stack_config("prod"))
    pod = containers(one(ours, DEPLOYMENT, "proxy-deployment"))
    assert set(pod) == {"litellm"} and "command" not in pod["litellm"]
    assert one(ours, JOB, "migrate").inputs["spec"]["template"]["spec"]["containers"][0]["command"] == ["litellm-migrate"]
    assert not [r for r in ours if r.type == CONFIGMAP and "support" in r.name]


# ---- the policy pack judges the arrangement (and passes it)


def test_pack_passes_the_official_image_stack_without_a_finding(official, official_check_only):
    for regs in (official, official_check_only):
        found = evaluate(resources(regs), config("prod"))
        assert [v.message for v in found] == []  # no violation, no deferral


def health_container(res) -> dict:
    (deployment,) = [r for r in res if "proxy-deployment" in r.name]
    return deployment.props["spec"]["template"]["spec"]["containers"], deployment


def _no_health_container(containers):
    del containers[1]


def _health_on_another_port(containers):
    cmd = containers[1]["command"]
    cmd[cmd.index("--port") + 1] = "4002"


def _probes_on_the_main_port(containers):
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        containers[0][probe]["httpGet"]["port"] = h.PROXY_PORT


def _health_container_privileged(containers):
    containers[1]["securityContext"]["privileged"] = True


def _proxy_migrates(containers):
    containers[0]["env"] = [e for e in containers[0]["env"] if e["name"] != "DISABLE_SCHEMA_UPDATE"] + [
        {"name": "DISABLE_SCHEMA_UPDATE", "value": "false"}
    ]


def _health_container_serves_the_proxy_app(containers):
    """Not a health app because it runs uvicorn: a second proxy, judged as one."""
    containers[1]["command"] = ["python", "-m", "uvicorn", "litellm.proxy.proxy_server:app", "--port", "4001"]


def _literal_secret_in_the_health_container(containers):
    containers[1]["env"].append({"name": "LITELLM_MASTER_KEY", "value": "sk-literal-value-in-the-manifest"})


def _health_container_unpinned(containers):
    containers[1]["image"] = "ghcr.io/berriai/litellm:main-latest"


BROKEN = [
    ("H1", _no_health_container),
    ("S4", _literal_secret_in_the_health_container),  # the health role is no way around the rules of every container
    ("N2", _health_container_unpinned),
    ("P10", _health_container_serves_the_proxy_app),
    ("H1", _health_on_another_port),
    ("H2", _probes_on_the_main_port),
    ("N3", _health_container_privileged),
    ("D5", _proxy_migrates),
]


@pytest.mark.parametrize(("rule", "breaker"), BROKEN, ids=breaker_ids(BROKEN))
def test_pack_judges_the_official_image_proxy_by_its_command(official, rule, breaker):
    """The proxy is told by what it runs (`litellm ...`), not by our entry point, so each broken
    variant is rejected by the right rule."""
    res = resources(official)
    breaker(health_container(res)[0])
    assert_rejected_by(rule, res)


def test_h1_pack_message_names_the_missing_health_app_container(official):
    res = resources(official)
    _no_health_container(health_container(res)[0])
    (message,) = [v.message for v in evaluate(res, config("prod")) if v.rule_id == "H1"]
    assert "command 'litellm' replacing the image entrypoint" in message and "no health app container beside it" in message

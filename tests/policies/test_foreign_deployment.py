"""A Kubernetes deployment of LiteLLM as another team would hand-write it (the shape of
LiteLLM's own Kubernetes docs, e.g. loaded with kubernetes.yaml.v2.ConfigGroup), judged
by the same pack: nothing here comes from our program."""

import copy

import yaml
from .policy_fixtures import NS, T_CM, T_DEPLOY, T_SECRET, R, container, k8s_stack, real, run

DOCS_CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o
      api_base: https://example-endpoint.openai.azure.com
      api_key: os.environ/AZURE_API_KEY
general_settings:
  master_key: sk-1234
"""


def docs_style_stack():
    cm = R(T_CM, "litellm-config-file", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "litellm-config-file"}, "data": {"config.yaml": DOCS_CONFIG}})
    dep = R(
        T_DEPLOY,
        "litellm-deployment",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "litellm-deployment"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "litellm"}},
                "template": {
                    "metadata": {"labels": {"app": "litellm"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "litellm",
                                "image": "ghcr.io/berriai/litellm:main-latest",
                                "args": ["--config", "/app/proxy_server_config.yaml"],
                                "ports": [{"containerPort": 4000}],
                                "env": [
                                    {"name": "LITELLM_MASTER_KEY", "value": "sk-1234"},
                                    {"name": "DATABASE_URL", "value": "postgresql://llmproxy:dbpassword9090@db:5432/litellm"},
                                    {"name": "AZURE_API_BASE", "value": "https://example-endpoint.openai.azure.com"},
                                ],
                                "volumeMounts": [{"name": "config-volume", "mountPath": "/app/proxy_server_config.yaml", "subPath": "config.yaml"}],
                                "livenessProbe": {"httpGet": {"path": "/health/liveliness", "port": 4000}, "initialDelaySeconds": 120, "periodSeconds": 15, "timeoutSeconds": 10},
                                "readinessProbe": {"httpGet": {"path": "/health/readiness", "port": 4000}, "initialDelaySeconds": 120, "periodSeconds": 15, "timeoutSeconds": 10},
                            }
                        ],
                        "volumes": [{"name": "config-volume", "configMap": {"name": "litellm-config-file"}}],
                    },
                },
            },
        },
    )
    return {"cm": cm, "dep": dep}


def test_docs_style_deployment_is_judged():
    vs = real(run(docs_style_stack()))
    by_rule = {}
    for v in vs:
        by_rule.setdefault(v.rule_id, []).append(v.message)
    expected = {
        "N2",  # main-latest
        "S4",  # literal master key / DB URL with password / master_key in the ConfigMap
        "S1",  # no salt key although the proxy uses a DB
        "S3",  # a 7-character master key
        "S6",  # AZURE_API_KEY named by the config, not provided
        "H1",  # no separate health app
        "H2",  # probes on the proxy port
        "H3",  # 10 s probe timeout
        "P2", "P3", "P5", "P6", "P7", "P4", "P9",
        "D1", "D3", "D4", "D5",
        "F2", "F3", "F4", "F6",
        "N3", "N4",
        "O1",
    }
    assert expected <= set(by_rule), sorted(expected - set(by_rule))
    assert all(v.urn for v in vs)
    s4 = " ".join(by_rule["S4"])
    assert "env LITELLM_MASTER_KEY set to a literal value" in s4
    assert "DATABASE_URL set to a connection URL with a literal password" in s4
    assert "general_settings.master_key holds a literal secret" in s4
    assert "sk-1234" not in " ".join(v.message for v in vs) and "dbpassword9090" not in " ".join(v.message for v in vs)
    assert any("livenessProbe httpGet on port 4000" in m for m in by_rule["H2"])
    assert any("Deployment 'litellm-deployment' container 'litellm'" in m for m in by_rule["P6"])


def test_unrelated_workloads_are_skipped():
    nginx = R(T_DEPLOY, "web", {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:latest", "env": [{"name": "API_KEY", "value": "literal"}]}]}}}})
    rnd = R("random:index/randomPassword:RandomPassword", "session-secret", {"length": 8})
    cm = R(T_CM, "web-config", {"metadata": {"name": "web-config"}, "data": {"app.yaml": "port: 80\n"}})
    assert not run([nginx, rnd, cm])


def test_compliant_team_variant_with_envfrom():
    """Another team's compliant layout: non-secret settings in a ConfigMap and secrets in
    a Secret, both through envFrom; different names and labels. The resource policies cannot
    see the ConfigMap; their -in-stack policies judge it (before: deferred, advisory, forever)."""
    st = copy.deepcopy(k8s_stack())
    proxy = container(st["proxy"])
    settings = {e["name"]: e["value"] for e in proxy["env"] if "value" in e}
    secrets = [e for e in proxy["env"] if "valueFrom" in e]
    proxy["env"] = []
    proxy["envFrom"] = [{"configMapRef": {"name": "gw-settings"}}, {"secretRef": {"name": "gw-secrets"}}]
    st["settings"] = R(T_CM, "gw-settings", {"metadata": {"name": "gw-settings", "namespace": NS}, "data": settings})
    sd = st["secret"].props["stringData"]
    st["gw_secrets"] = R(
        T_SECRET,
        "gw-secrets",
        {"metadata": {"name": "gw-secrets", "namespace": NS}, "stringData": {e["name"]: sd[e["valueFrom"]["secretKeyRef"]["key"]] for e in secrets}},
        property_dependencies=copy.deepcopy(st["secret"].property_dependencies),
    )
    vs = run(st)
    assert vs == [], [v.message for v in vs]
    # and the same layout with one forbidden value in the ConfigMap is a violation of its rule
    st["settings"].props["data"]["LITELLM_LOG"] = "DEBUG"
    assert [(v.rule_id, v.policy_name) for v in run(st)] == [("P6", "litellm-p6-production-mode-in-stack")]


def test_config_yaml_from_configgroup_is_found():
    st = docs_style_stack()
    st["cm"].props["data"]["config.yaml"] = yaml.safe_dump(yaml.safe_load(DOCS_CONFIG) | {"router_settings": {"redis_url": "redis://r:6379"}})
    assert any("router_settings.redis_url" in v.message for v in real(run(st)))

"""The policy pack on programs it did not write, through the real engine (issue 13, item 3).

Two hand-written Pulumi programs that deploy LiteLLM with Postgres and Redis without any of
litellm-gateway's components, as another team would write them:

* tests/e2e/foreign/k8s: pulumi_kubernetes (Namespace, Secret fed by pulumi_random passwords and
  Pulumi config secrets, ConfigMap with config.yaml, Postgres StatefulSet, Redis Deployment,
  NetworkPolicies, a migration Job, the proxy Deployment with HPA, PDB and Service);
* tests/e2e/foreign/docker: pulumi_docker (a user-defined network, a protected volume, Postgres,
  Redis, a one-shot migration container and two proxy containers whose secrets are env values
  built from Pulumi secrets, the config uploaded as a file).

Each is judged on a new stack by `pulumi preview --policy-pack policies --policy-pack-config
policies/config/prod.json` (never `up`): the compliant variant exits 0 with no mandatory
violation; the broken variant (stack config `broken: true`) exits non-zero and the mandatory
violations name exactly the rule IDs of the program's BROKEN list. No secret value set in the
stack config appears in the output. Previews need neither a cluster nor a Docker engine:
KUBECONFIG and DOCKER_HOST point at a closed loopback port.

Config: prod.json for both. A single Docker proxy container can never pass it (N4: "production
runs on Kubernetes"), but N4 accepts ≥ 2 proxy containers on Docker, so the compliant Docker
program runs two and the prod config is meaningful there too.

Deferred advisories on the compliant variants' first preview (values unknown until apply; they
are not mandatory, the previews pass):
* Kubernetes: S3 — the `sk-` prefix of LITELLM_MASTER_KEY (the Secret's stringData is one unknown
  value until the passwords exist).
* Docker: D6 (PGDATA), S5 (POSTGRES_PASSWORD, Redis requirepass), R3 (maxmemory and its policy):
  for a container being created the provider plans `envs` and `command` as wholly unknown as soon
  as one element is, and stack policies see that plan.

Findings (the pack lets part of the broken Docker variant through on a first preview; the
strict-xfail test below names them and turns into a failure once the pack judges them):
* N4 — a single proxy container is neither refused nor deferred. Stack policies see the planned
  outputs, where `entrypoints` (not set by the program, computed by the provider) is unknown, so
  the proxy container's role is "litellm?" (proxy or one-shot job) and `n4_replicas_pdb` counts
  only role "proxy": zero Docker proxies, nothing reported. The same drop silently skips every
  other stack rule about proxies on Docker (S1/S3/S6 tracing, R2, H2, O2, P4, P9, N4), whose checks
  would otherwise at least be deferred.
* H3 — a healthcheck without `timeout` reaches the pack as `timeout: "0s"` (the provider's
  default, listed in `__defaults`); Docker treats 0 as "use the default", 30 s, but the rule reads
  0 s ≤ 5 s and passes.
* D6 — Postgres with no volume and no mount at all is deferred on PGDATA instead of refused:
  wherever PGDATA points, no volume holds it.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.pulumi_project import ROOT, Project, closed_kubeconfig, require_plugins, toolchain_env

pytestmark = pytest.mark.engine

FOREIGN = Path(__file__).parent / "foreign"
PROVIDER = {"k8s": "kubernetes", "docker": "docker"}
#: Secret stack config the programs read; the values must never reach the output.
SECRETS = {"openaiApiKey": "sk-foreign-openai-7f3a9c2e5b8d1046", "slackWebhookUrl": "https://hooks.example/T0/B0/foreign-5e1d7c9a"}
#: Deferred advisories a first preview of the compliant variant shows (see the docstring).
DEFERRED_ON_FIRST_PREVIEW = {"k8s": {"S3"}, "docker": {"D6", "S5", "R3"}}
TIMINGS: dict[str, float] = {}


def program_list(kind: str, name: str) -> dict[str, str]:
    """A `NAME = {rule ID: what is broken}` literal of the program, read without running it."""
    tree = ast.parse((FOREIGN / kind / "__main__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{kind}/__main__.py has no {name}")


@dataclass
class Judged:
    returncode: int
    output: str
    mandatory: set[str]  # rule IDs of mandatory violations
    named: set[str]  # rule IDs opening a mandatory violation's message
    deferred: set[str]  # rule IDs of deferred-check advisories

    def why(self) -> str:
        return self.output[self.output.find("Policies:") :][-6000:] if "Policies:" in self.output else self.output[-6000:]


def parse(returncode: int, output: str) -> Judged:
    section = output.split("Policies:", 1)[1] if "Policies:" in output else ""
    entries = re.split(r"\n\s+- (?=\[(?:mandatory|advisory)\])", section)[1:]
    mandatory, named, deferred = set(), set(), set()
    for entry in entries:
        level, policy = re.match(r"\[(\w+)\]\s+(\S+)", entry).groups()
        if level == "mandatory":
            mandatory.add(re.match(r"litellm-([a-z]\d+)-", policy).group(1).upper())
            named.update(re.findall(r"^\s+\[([A-Z]\d+)\] ", entry, re.M))
        for ids in re.findall(r"^\s+\[([A-Z0-9, ]+)\] deferred:", entry, re.M):
            deferred.update(i.strip() for i in ids.split(","))
    return Judged(returncode, output, mandatory, named, deferred)


def new_stack(tmp: Path, kind: str, broken: bool) -> Project:
    """The foreign program alone in a folder, with a copy of the pack and its own backend."""
    require_plugins("random", PROVIDER[kind])
    project = tmp / "project"
    shutil.copytree(FOREIGN / kind, project, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "policies", project / "policies", ignore=shutil.ignore_patterns("venv", "__pycache__"))
    (project / "policies/venv").symlink_to(ROOT / "policies/venv")
    (project / ".venv").symlink_to(ROOT / ".venv")
    (tmp / "state").mkdir()
    env = {
        **os.environ,
        **toolchain_env(),
        "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "throwaway-test-passphrase",
        "KUBECONFIG": str(closed_kubeconfig(tmp)),
        "DOCKER_HOST": "tcp://127.0.0.1:1",
    }
    me = Project(project, "prod", env)
    me.run("stack", "init", "prod")
    for key, value in SECRETS.items():
        me.set_secret(key, value)
    if broken:
        me.run("config", "set", "broken", "true")
    return me


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    cache: dict[tuple[str, str], Judged] = {}

    def get(kind: str, variant: str) -> Judged:
        if (kind, variant) not in cache:
            project = new_stack(tmp_path_factory.mktemp(f"foreign-{kind}-{variant}"), kind, variant == "broken")
            start = time.monotonic()
            result = project.run("preview", "--diff=false", *project.with_pack("prod"), check=False, timeout=600)
            TIMINGS[f"{kind} {variant}"] = round(time.monotonic() - start, 2)
            cache[(kind, variant)] = parse(result.returncode, result.stdout + result.stderr)
        return cache[(kind, variant)]

    yield get
    print(f"\n[foreign programs] preview with the pack (s): {TIMINGS}")


@pytest.mark.parametrize("kind", ["k8s", "docker"])
def test_the_compliant_program_passes(judged, kind):
    out = judged(kind, "compliant")
    assert out.returncode == 0 and not out.mandatory, out.why()
    assert "[mandatory]" not in out.output and "litellm-gateway-hardening" in out.output, out.why()
    assert out.deferred == DEFERRED_ON_FIRST_PREVIEW[kind], out.why()


@pytest.mark.parametrize("kind", ["k8s", "docker"])
def test_the_broken_program_fails_naming_each_broken_rule(judged, kind):
    out = judged(kind, "broken")
    broken = set(program_list(kind, "BROKEN"))
    assert out.returncode != 0, out.why()
    assert out.mandatory == broken, f"missing {sorted(broken - out.mandatory)}, unexpected {sorted(out.mandatory - broken)}\n{out.why()}"
    assert broken <= out.named, out.why()


@pytest.mark.parametrize("kind,variant", [(k, v) for k in ("k8s", "docker") for v in ("compliant", "broken")])
def test_no_secret_value_in_the_output(judged, kind, variant):
    out = judged(kind, variant)
    assert not [key for key, value in SECRETS.items() if value in out.output]


@pytest.mark.xfail(strict=True, reason="pack findings N4, H3, D6 on Docker first previews: see the module docstring")
def test_docker_breaks_the_pack_misses_on_a_first_preview(judged):
    out = judged("docker", "broken")
    missed = set(program_list("docker", "MISSED_ON_FIRST_PREVIEW"))
    assert missed <= out.mandatory, f"not named: {sorted(missed - out.mandatory)}"

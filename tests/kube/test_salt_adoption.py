"""S1 through the real engine on the local control plane: a prod stack that adopts a running
deployment's salt key keeps it. Before: the adopted key was the config value itself, so editing
`existingSaltKey` handed the proxy another key and removing it generated a new one (a create,
which `protect` never stops). Now the protected salt resource keeps the adoption's SHA-256 and
both changes are replacements the engine refuses, before the proxy's Secret changes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from devtools.pulumi_project import Project, require_plugins

from .conftest import Cluster, decoded_secret_values

pytestmark = [pytest.mark.kube, pytest.mark.engine]

NAMESPACE = "lg-adopt"
ADOPTED = "sk-adopted-" + secrets.token_hex(24)


def served_salt_keys(cluster: Cluster) -> list[str]:
    """Which salt keys the namespace's Secrets hold (the proxy reads its own from them)."""
    values = [v for s in cluster.get(NAMESPACE, "secrets") for v in decoded_secret_values(s)]
    return [v for v in values if v.startswith("sk-adopted-") or v.startswith("sk-edited-")]


@pytest.fixture(scope="module")
def adopted(cluster: Cluster, tmp_path_factory) -> Iterator[Project]:
    require_plugins("random", "kubernetes")
    project = Project.copy(tmp_path_factory.mktemp("adopt"), "prod", "Pulumi.prod.yaml", kubernetes={"namespace": NAMESPACE})
    project.env["KUBECONFIG"] = str(cluster.dir / "admin.kubeconfig")
    for key in ("openaiApiKey", "anthropicApiKey"):
        project.set_secret(key, "sk-test-" + secrets.token_hex(12))
    project.set_secret("existingSaltKey", ADOPTED)
    cluster.volume(f"lg-adopt-data-{secrets.token_hex(2)}", 50)
    try:
        project.timed("up", "up", "--yes", *project.with_pack("prod"), timeout=1200)
        assert served_salt_keys(cluster) == [ADOPTED]
        yield project
    finally:
        print(f"[salt adoption] timings (s): {project.timings}")
        project.remove_everything()
        cluster.delete_namespace(NAMESPACE)


@pytest.mark.parametrize("change", ["edit", "remove"])
def test_s1_changing_an_adopted_salt_key_is_refused_and_the_proxy_keeps_it(adopted: Project, cluster: Cluster, change: str) -> None:
    if change == "edit":
        adopted.set_secret("existingSaltKey", "sk-edited-" + secrets.token_hex(24))
    else:
        adopted.run("config", "rm", "existingSaltKey")
    try:
        result = adopted.run("up", "--yes", "--skip-preview", check=False, timeout=900)
    finally:
        adopted.set_secret("existingSaltKey", ADOPTED)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "salt-key" in output and "protect" in output.lower(), output[-3000:]
    assert ADOPTED not in output
    assert served_salt_keys(cluster) == [ADOPTED]
    adopted.run("preview", "--expect-no-changes", timeout=600)

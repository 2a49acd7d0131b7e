"""The real Pulumi engine, driven through its CLI, on a throwaway local backend.

Each test project is a copy of the repository's program in a temporary folder (sharing the
virtualenvs by symlink), so tests can change code or config without touching the checkout,
and its stack has its own backend folder and passphrase.
"""

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: images/litellm: the files a stack with LiteLLM's own image mounts from a ConfigMap (components/proxy_layout.py)
PROGRAM_FILES = ("__main__.py", "Pulumi.yaml", "components", "policies", "images/litellm")


def toolchain_env() -> dict[str, str]:
    """PATH with the pinned CLI; refuses (not skips) when scripts/setup has not built it."""
    bin_dir = subprocess.run(
        [str(ROOT / "scripts/toolchain.sh"), "--print-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not (Path(bin_dir) / "pulumi").exists():
        raise RuntimeError(f"no Pulumi CLI in {bin_dir}: run scripts/setup (scripts/test does) before these tests")
    # The language host that can be built here (v3.79.0, see scripts/toolchain.sh) ignores
    # Pulumi.yaml's virtualenv option: the project's virtualenv goes first on PATH instead.
    return {
        "PATH": f"{ROOT / '.venv/bin'}:{bin_dir}:{os.environ['PATH']}",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


#: The plugin versions the program's SDKs are pinned to (requirements.txt); scripts/toolchain.sh
#: builds or assembles each of them.
PLUGIN_VERSIONS = {"random": "4.21.1", "docker": "5.1.0", "kubernetes": "4.25.0"}


def require_plugins(*names: str) -> None:
    """Fails (never skips) with the command that builds a missing provider plugin."""
    listing = subprocess.run(
        ["pulumi", "plugin", "ls", "--json"], env={**os.environ, **toolchain_env()}, capture_output=True, text=True, timeout=60
    )
    installed = {(p["name"], p["version"]) for p in json.loads(listing.stdout or "[]") if p.get("kind") == "resource"}
    missing = [n for n in names if (n, PLUGIN_VERSIONS[n]) not in installed]
    if missing:
        raise RuntimeError(
            f"provider plugins not installed: {', '.join(f'{n} {PLUGIN_VERSIONS[n]}' for n in missing)}; "
            f"build them with: {' && '.join(f'scripts/toolchain.sh {n}' for n in missing)}"
        )


def copy_checkout(dest: Path, names: tuple[str, ...]) -> Path:
    """Copies `names` of the repository to `dest`, sharing the virtualenvs by symlink."""
    dest.mkdir()
    for name in names:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("venv", "__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    (dest / "policies/venv").symlink_to(ROOT / "policies/venv")
    return dest


@dataclass
class Project:
    """A copy of the program with its own backend; `run` calls the pulumi CLI in it."""

    dir: Path
    stack: str
    env: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds of the runs made with `timed`

    @classmethod
    def copy(cls, tmp: Path, stack: str, stack_file: str, **config_changes) -> "Project":
        project = copy_checkout(tmp / "project", PROGRAM_FILES)
        shutil.copy2(ROOT / stack_file, project / f"Pulumi.{stack}.yaml")
        (tmp / "state").mkdir()
        env = {
            **os.environ,
            **toolchain_env(),
            "PULUMI_BACKEND_URL": f"file://{tmp / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "throwaway-test-passphrase",
            "PULUMI_HOME": os.environ.get("PULUMI_HOME", str(Path.home() / ".pulumi")),
        }
        me = cls(project, stack, env)
        me.run("stack", "init", stack)
        for key, value in config_changes.items():
            me.run("config", "set", "--path", f"litellm-gateway:{key}", json.dumps(value) if not isinstance(value, str) else value)
        return me

    def run(self, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["pulumi", *args, "--non-interactive", *(["--stack", self.stack] if args[0] not in ("stack",) else [])],
            cwd=self.dir, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def timed(self, name: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """`run`, recording its duration under `name` in `timings`."""
        start = time.monotonic()
        result = self.run(*args, **kwargs)
        self.timings[name] = round(time.monotonic() - start, 1)
        return result

    def remove_everything(self) -> None:
        """A deliberate full removal, protected resources included (a test's teardown)."""
        self.run("state", "unprotect", "--all", "--yes", check=False)
        self.run("destroy", "--yes", "--skip-preview", check=False, timeout=900)

    @contextlib.contextmanager
    def edited(self, path: str, *replacements: tuple[str, str]) -> Iterator[None]:
        """A variant of the program for the duration of the block; each `old` must occur."""
        file = self.dir / path
        original = file.read_text()
        text = original
        for old, new in replacements:
            if old not in text:
                raise AssertionError(f"{path} no longer contains {old!r}: update the test's edit")
            text = text.replace(old, new)
        file.write_text(text)
        try:
            yield
        finally:
            file.write_text(original)

    def set_secret(self, key: str, value: str) -> None:
        self.run("config", "set", "--secret", key, value)

    def with_pack(self, config: str) -> list[str]:
        return ["--policy-pack", str(self.dir / "policies"), "--policy-pack-config", str(self.dir / f"policies/config/{config}.json")]

    def outputs(self) -> dict:
        return json.loads(self.run("stack", "output", "--json", "--show-secrets", "--stack", self.stack).stdout)

    def export(self, *, show_secrets: bool = False) -> dict:
        args = ["stack", "export", "--stack", self.stack] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.run(*args).stdout)


def closed_kubeconfig(folder: Path) -> Path:
    """A kubeconfig pointing at a closed loopback port: previews must not need a cluster."""
    path = folder / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: none\n"
        "clusters: [{name: none, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: none, context: {cluster: none, user: none}}]\n"
        "users: [{name: none, user: {token: none}}]\n"
    )
    return path

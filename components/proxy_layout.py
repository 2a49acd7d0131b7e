"""What runs in the proxy's containers, by the layout of the proxy image (issue 16 part 3).

Two layouts run the same LiteLLM with the same rendered config, arguments and environment:

- **ours** (`litellm-gateway/litellm`, images/README.md): the image's entry point runs the proxy
  and the separate health app under supervisord (H1), its health app's readiness waits for port
  4000 (H2), `litellm-migrate` is the one-shot migration (D5), and it turns `NAME_FILE` files
  into `NAME` secrets (the Docker platform's way of passing them, S4).
- **official** (LiteLLM's own image, `ghcr.io/berriai/litellm` and its variants, any registry or
  mirror): litellm in the system Python, none of the above. Its entry point's health program
  needs `health_app_factory`, which no wheel up to the pinned release contains. So what our image
  adds is provided another way: the proxy's command is overridden to run `litellm` directly, the
  health app (images/litellm/lg_health_app.py, the same file our image copies) runs from the same
  image as a second container sharing the pod's network (its readiness still connects to
  127.0.0.1:4000), the migration step runs LiteLLM's own migration (or, in check-only mode,
  images/litellm/wait_for_db.py), and the proxy's processes load lg_recycle (P3/P8) through a
  sitecustomize on PYTHONPATH. These files reach the containers read-only from a ConfigMap.
  Only Kubernetes can do that; on Docker the settings refuse the combination
  (`StackSettings.cross_problems`), because secrets reach containers there as files only our
  entry point reads.

Pure data: the platform modules decide how to run it.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from components import hardening as h

#: LiteLLM's own image repositories, as their last two path parts (any registry or mirror prefix).
OFFICIAL_PROXY_REPOSITORIES: Final = ("berriai/litellm", "berriai/litellm-database", "berriai/litellm-non_root", "litellm/litellm")

#: The project's files an official image runs, from the folder our image copies them from.
SUPPORT_SOURCE: Final = Path(__file__).resolve().parents[1] / "images" / "litellm"
SUPPORT_FILES: Final = ("lg_health_app.py", "wait_for_db.py", "lg_recycle.py")
#: P3/P8: our image loads lg_recycle into every process of its venv with a .pth file; the
#: official image's system Python has no site folder of ours, so the proxy container puts
#: SUPPORT_DIR on PYTHONPATH and Python's site module imports this sitecustomize at every start
#: (uvicorn's spawned workers too). lg_recycle changes nothing unless uvicorn is the 0.54.0 it
#: mirrors. An image's own sitecustomize module is shadowed by it.
SITECUSTOMIZE: Final = "sitecustomize.py"
SITECUSTOMIZE_TEXT: Final = "# litellm-gateway (components/proxy_layout.py): P3/P8 worker recycling, as in our image\nimport lg_recycle  # noqa: F401\n"
#: Where they are mounted read-only (the same path as in our image, so lg_health_app.py's
#: documentation holds in both).
SUPPORT_DIR: Final = "/opt/litellm-gateway"

#: The health app's container (official layout): P5 counts its memory inside the class's budget
#: (the proxy container gets the rest); its CPU comes on top of the workers' (P5: proxy CPU =
#: workers). Measured by tests/e2e/test_official_images.py on the loaded 2-core machine: the
#: container used 283-288 MiB (docker stats); at 250m CPU its /health/readiness took more than
#: the probes' 5 s (H3) while the proxy started beside it, at 500m it answered every time.
HEALTH_APP_MEMORY_MIB: Final = 384
HEALTH_APP_CPU: Final = "500m"

Layout = Literal["ours", "official"]


def repository(ref: str) -> str:
    """`registry/path/name` of an image reference, without tag or digest."""
    repo = ref.split("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    return repo


def layout_of(ref: str) -> Layout:
    return "official" if "/".join(repository(ref).split("/")[-2:]) in OFFICIAL_PROXY_REPOSITORIES else "ours"


@dataclass(frozen=True)
class ProxyLayout:
    """The commands and files of one layout; an empty command keeps the image's entry point."""

    name: Layout
    proxy_command: tuple[str, ...] = ()
    proxy_env: dict[str, str] = field(default_factory=dict)  # the proxy container only
    health_command: tuple[str, ...] = ()  # a container of its own beside the proxy; () = the image runs it
    migrate_command: tuple[str, ...] = ("litellm-migrate",)
    migrate_env: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)  # every container of this image
    health_env: dict[str, str] = field(default_factory=dict)
    support_files: dict[str, str] = field(default_factory=dict)  # name -> content, read-only at SUPPORT_DIR
    python: str = "python3"  # the interpreter the preStop drain hook runs


def support_files() -> dict[str, str]:
    return {**{name: (SUPPORT_SOURCE / name).read_text() for name in SUPPORT_FILES}, SITECUSTOMIZE: SITECUSTOMIZE_TEXT}


def proxy_layout(ref: str, *, check_only: bool) -> ProxyLayout:
    """`check_only`: the migration step only waits for Postgres (`connectDatabase: false`, D5)."""
    if layout_of(ref) == "ours":
        return ProxyLayout("ours")
    # The official image has no home for a numeric user without a passwd entry (HOME would be
    # "/", not writable), and reads no cost-map default of its own: nothing fetched at start-up.
    base = {"HOME": "/tmp", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONUNBUFFERED": "1"}
    migrate = ("python", f"{SUPPORT_DIR}/wait_for_db.py") if check_only else ("litellm", "--skip_server_startup")
    return ProxyLayout(
        "official",
        # what our image's run-main.sh runs; the rendered args follow (a later --port wins)
        proxy_command=("litellm", "--host", "0.0.0.0", "--port", str(h.PROXY_PORT)),
        # No `nice` as our run-main.sh has: that orders processes of one container, and here the
        # health app has a container (a CPU allowance) of its own.
        proxy_env={"PYTHONPATH": SUPPORT_DIR},
        health_command=(
            "python", "-m", "uvicorn", "--app-dir", SUPPORT_DIR, "lg_health_app:app",
            "--host", "0.0.0.0", "--port", str(h.HEALTH_PORT), "--no-access-log", "--log-level", "warning",
        ),  # fmt: skip
        migrate_command=migrate,
        # D5: this step is the one that migrates, whatever the proxies are told (litellm-migrate
        # exports the same)
        migrate_env={} if check_only else {"DISABLE_SCHEMA_UPDATE": "false"},
        extra_env=base,
        health_env={**base, "LITELLM_LOG": "ERROR", "LITELLM_MODE": "PRODUCTION"},
        support_files=support_files(),
        python="python",
    )

"""`scripts/images.sh --check`: what the fault tests and benchmarks ask before they use an image.

Several checkouts on one machine share Docker's tags; one that rebuilds `litellm-gateway/litellm`
from its own images/ replaces what another is about to test or measure (it happened twice, and
the benchmark measured an image without the change under test). The check compares the image's
build label with this checkout's images/ folder, so it is exercised here on a copy of the
checkout whose images/redis differs by one line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import ROOT


def _check(checkout: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(checkout / "scripts/images.sh"), "--check", *names], capture_output=True, text=True, timeout=120)


def _copy_checkout(tmp_path: Path) -> Path:
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts/images.sh", copy / "scripts/images.sh")
    shutil.copytree(ROOT / "images", copy / "images")
    return copy


def test_an_image_built_from_this_checkout_is_current(tmp_path):
    result = _check(_copy_checkout(tmp_path), "redis")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split()[-1] == "current"


def test_an_image_built_from_other_sources_is_stale_and_named(tmp_path):
    copy = _copy_checkout(tmp_path)
    with (copy / "images/redis/Dockerfile").open("a") as f:
        f.write("# another checkout's change\n")
    result = _check(copy, "postgres", "redis")
    assert result.returncode == 1
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["postgres"].endswith("current")
    assert "stale: built from other sources than this checkout's images/redis" in lines["redis"]
    assert "rebuild with: scripts/images.sh postgres redis" in result.stderr

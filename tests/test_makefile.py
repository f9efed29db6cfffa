"""The Makefile's venv targets follow the lock files: up to date while nothing changed, rebuilt
from scratch (and from the locks, hash-checked) when a lock or pyproject.toml changes. Checked
with `make -q` / `make -n` on a copy, so nothing is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.paths import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The Makefile and its inputs, with a .venv whose stamps are newer than all of them."""
    for name in ("Makefile", "pyproject.toml", "requirements"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        else:
            shutil.copyfile(src, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    later = time.time() + 10
    for stamp in (".venv/.runtime", ".venv/.dev"):
        (tmp_path / stamp).touch()
        os.utime(tmp_path / stamp, (later, later + (stamp == ".venv/.dev")))
    return tmp_path


def make(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", *args], cwd=tree, capture_output=True, text=True)


@pytest.mark.parametrize("target", [".venv/.runtime", ".venv/.dev"])
def test_an_installed_venv_is_up_to_date(tree: Path, target: str) -> None:
    assert make(tree, "-q", target).returncode == 0


@pytest.mark.parametrize(
    "changed", ["requirements/lock.txt", "requirements/dev.txt", "pyproject.toml"]
)
def test_a_changed_lock_rebuilds_the_venv_from_the_locks(tree: Path, changed: str) -> None:
    res = make(tree, "-n", "-W", changed, ".venv/.dev")
    assert res.returncode == 0, res.stderr
    steps = res.stdout.splitlines()
    assert any("-m venv --clear .venv" in s for s in steps), res.stdout
    installs = [s for s in steps if " install " in s]
    assert "--require-hashes -r requirements/lock.txt" in installs[0]
    assert "--no-deps" in installs[1] and "-e ." in installs[1]
    assert "--require-hashes -r requirements/dev.txt" in installs[2]
    assert all("--require-hashes" in s or "--no-deps" in s for s in installs)


def test_tests_and_bench_get_the_provisioned_chromium(tree: Path) -> None:
    for target in ("unit", "bench-quick"):
        recipe = make(tree, "-n", target).stdout
        assert "scripts/chromium.py" in recipe and "PODREPLAY_CHROMIUM=" in recipe, recipe

"""`podreplay --version` and the `kubectl podreplay` plugin, through the installed console scripts
(and, for the plugin, a real kubectl: plugins need no cluster)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest

from tests.support.paths import ROOT, SAMPLE_LOGS

BIN = Path(sys.executable).parent  # the venv's bin, where pip put the console scripts
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=120
    )


def test_version_prints_the_package_version_and_exits_0() -> None:
    res = run(BIN / "podreplay", "--version")
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"podreplay {VERSION}\n"
    assert res.stderr == ""


def test_version_is_listed_in_help() -> None:
    res = run(BIN / "podreplay", "--help")
    assert res.returncode == 0
    assert "--version" in res.stdout


@pytest.fixture(scope="module")
def kubectl_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """PATH with only the venv's bin and kubectl's folder; no kubeconfig, no cluster."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (.ci/run installs Debian's kubernetes-client)")
    home = tmp_path_factory.mktemp("home")
    return os.environ | {
        "PATH": os.pathsep.join([str(BIN), str(Path(kubectl).parent)]),
        "HOME": str(home),
        "KUBECONFIG": str(home / "no-such-kubeconfig"),
    }


def test_kubectl_finds_the_plugin(kubectl_env: dict[str, str]) -> None:
    res = run("kubectl", "plugin", "list", env=kubectl_env)
    assert str(BIN / "kubectl-podreplay") in res.stdout, res.stdout + res.stderr


def test_kubectl_podreplay_timeline_runs_the_real_command(
    kubectl_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "demo.duckdb"
    ingest = run(BIN / "podreplay", "ingest", SAMPLE_LOGS, "--db", db, "-q")
    assert ingest.returncode == 0, ingest.stderr
    con = duckdb.connect(str(db), read_only=True)
    [(pod,)] = con.execute("SELECT namespace || '/' || pod FROM pods ORDER BY 1 LIMIT 1").fetchall()
    con.close()

    res = run(
        "kubectl", "podreplay", "timeline", pod, "--db", db, "--format", "csv", env=kubectl_env
    )
    assert res.returncode == 0, res.stderr
    direct = run(BIN / "podreplay", "timeline", pod, "--db", db, "--format", "csv")
    assert res.stdout == direct.stdout
    assert pod.split("/")[1] in res.stdout

    version = run("kubectl", "podreplay", "--version", env=kubectl_env)
    assert version.stdout == f"podreplay {VERSION}\n"
    usage = run("kubectl", "podreplay", "timeline", "--help", env=kubectl_env)
    assert usage.stdout.startswith("Usage: kubectl podreplay timeline ")


def test_kubectl_podreplay_errors_like_podreplay(
    kubectl_env: dict[str, str], tmp_path: Path
) -> None:
    res = run(
        "kubectl", "podreplay", "timeline", "x", "--db", tmp_path / "none.duckdb", env=kubectl_env
    )
    assert res.returncode == 3
    assert res.stderr.startswith("podreplay: error: ")

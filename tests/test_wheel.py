"""The wheel holds the whole package: built from this tree, installed into a clean virtual
environment and run from there, `podreplay simulate`, `ingest`, `query` and `report` work,
importing podreplay from the wheel and not from the checkout.

No network: the wheel is built with the setuptools already installed (`--no-build-isolation`),
installed with `--no-deps`, and the clean environment sees the dependencies through a .pth file
naming this environment's site-packages (which holds no copy of podreplay: an editable install
lives in .pth hooks there, and those a path line does not run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.support.paths import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.wheel]


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    work: Path

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """`podreplay ARGS` through the clean environment's console script, checked to exit 0."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        res = subprocess.run(
            [str(self.venv / "bin" / "podreplay"), *map(str, args)],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
        )
        assert res.returncode == 0, (args, res.stdout, res.stderr)
        return res


def run(*cmd: str | Path, cwd: Path) -> str:
    res = subprocess.run(list(map(str, cmd)), cwd=cwd, capture_output=True, text=True)
    assert res.returncode == 0, (cmd, res.stdout, res.stderr)
    return res.stdout


def check_build_backend() -> None:
    """The build runs this environment's setuptools: fail saying how to get the locked one if
    it is missing or older than pyproject.toml's build-system asks."""
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for spec in map(Requirement, wanted):
        try:
            have = version(spec.name)
        except PackageNotFoundError:
            have = "none"
        if have == "none" or not spec.specifier.contains(have):
            pytest.fail(
                f"the wheel is built offline with this environment's {spec.name} ({have}), and "
                f"pyproject.toml wants {spec}: `pip install -r requirements/dev.txt` (make test "
                "does)",
                pytrace=False,
            )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    check_build_backend()
    root = tmp_path_factory.mktemp("wheel")
    # a copy of what a build reads, so the checkout gets no build/ or egg-info
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("podreplay", "queries"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    dist = root / "dist"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src, cwd=root)
    (wheel,) = dist.glob("podreplay-*.whl")

    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=root)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                    cwd=root).strip())  # fmt: skip
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    work = root / "work"
    work.mkdir()
    return Installed(wheel, venv, work)


def files_under(folder: Path, installed_as: str) -> set[str]:
    """Every file under `folder` but bytecode, named as the wheel holds it."""
    return {
        f"{installed_as}/{p.relative_to(folder).as_posix()}"
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_the_wheel_holds_every_file_of_the_package_tree(installed: Installed) -> None:
    """Every file under podreplay/ and queries/ (installed as podreplay/bundled_queries) but
    bytecode: a new subpackage or kind of data file fails here until pyproject.toml names it."""
    in_tree = files_under(ROOT / "podreplay", "podreplay")
    in_tree |= files_under(ROOT / "queries", "podreplay/bundled_queries")
    with zipfile.ZipFile(installed.wheel) as whl:
        in_wheel = {n for n in whl.namelist() if n.startswith("podreplay/")}
    assert in_tree - in_wheel == set()
    assert {"podreplay/render/html/plotly-basic.min.js", "podreplay/sql/schema.sql"} <= in_wheel


def test_podreplay_runs_from_the_wheel_not_the_checkout(installed: Installed) -> None:
    where = subprocess.run(
        [installed.venv / "bin" / "python", "-c", "import podreplay; print(podreplay.__file__)"],
        cwd=installed.work,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.venv), where.stdout
    assert installed.run("--version").stdout.strip()


def test_simulate_ingest_query_and_report_from_the_wheel(installed: Installed) -> None:
    work = installed.work
    installed.run("simulate", "-o", "capture", "--pods", "12", "--seed", "3", "--duration", "900")
    assert (work / "capture" / "ground_truth.json").is_file()
    installed.run("ingest", "capture", "--db", "sim.duckdb", "-q")
    listed = installed.run("query", "--db", "sim.duckdb", "--list").stdout
    assert "crashloops" in listed, listed  # the named queries are package data
    installed.run("query", "crashloops", "--db", "sim.duckdb", "--format", "json")
    installed.run("report", "--db", "sim.duckdb", "--out", "report.html")
    html = (work / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert "Plotly" in html  # the bundled plotly.js, read from the wheel's package data

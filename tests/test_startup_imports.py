"""Commands that answer at once: `--help` loads neither DuckDB, polars, pyarrow nor plotly, a
timeline (as a table or JSON) loads neither polars nor plotly (unless --html) nor pyarrow, and
the modules the ingest command itself imports load no polars.

Not a timing test: each command runs in a fresh interpreter under `python -X importtime`, and
the test reads which modules it imported. A change that brings a heavy import back to the top
of a command module, the package or the help path fails here by name.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from podreplay.cli import app
from podreplay.sim import names
from podreplay.sim.scenarios import SCENARIOS
from tests.support.db import ingested
from tests.support.paths import ROOT, SAMPLE_LOGS

HEAVY = ("duckdb", "polars", "pyarrow", "plotly")
# The pod of the documented example (`podreplay timeline cart-... --namespace shop`).
POD = ("shop", "cart-4mnj4qxhwd-f7qxb")


def imported(*args: str) -> set[str]:
    """The modules `python -m podreplay ARGS` imports, from `-X importtime` (exit code 0)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "podreplay", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "podreplay.cli" in modules, proc.stderr[-2000:]  # the list was read
    return modules


def packages(modules: set[str]) -> set[str]:
    """The top-level packages among module names (`polars.io` -> `polars`)."""
    return {m.split(".")[0] for m in modules}


def command_names() -> list[str]:
    """Every subcommand `podreplay --help` lists."""
    commands = app.registered_commands
    return sorted(c.name or (c.callback.__name__ if c.callback else "") for c in commands)


def test_help_loads_no_heavy_library() -> None:
    loaded = packages(imported("--help"))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("command", command_names())
def test_every_command_help_loads_no_heavy_library(command: str) -> None:
    loaded = packages(imported(command, "--help"))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("startup") / "small.duckdb"
    ingested(db, [SAMPLE_LOGS])
    return db


@pytest.mark.parametrize("fmt", [(), ("--format", "json")], ids=["table", "json"])
def test_timeline_loads_neither_polars_nor_plotly_nor_pyarrow(
    small_db: Path, fmt: tuple[str, ...]
) -> None:
    namespace, pod = POD
    args = ("timeline", pod, "--namespace", namespace, "--db", str(small_db), *fmt)
    modules = imported(*args)
    loaded = packages(modules)
    assert "duckdb" in loaded  # it did read the database
    assert not loaded & {"polars", "plotly", "pyarrow"}, sorted(loaded & {"polars", "plotly"})
    assert "podreplay.capture" not in modules  # `capture`'s own module (subprocess, tempfile)
    if not fmt:  # (text given for an Enum option goes to typer's own validators)
        # typer's pydantic validators are not built for values it would pass through unchanged
        assert "pydantic" not in loaded


def test_timeline_csv_loads_polars(small_db: Path) -> None:
    """CSV is written by polars: the check above is not vacuous."""
    namespace, pod = POD
    args = ("timeline", pod, "-n", namespace, "--db", str(small_db), "--format", "csv")
    assert "polars" in packages(imported(*args))


def test_the_ingest_commands_own_modules_load_no_polars() -> None:
    """What `ingest` imports besides the readers (the CLI, the store, the derive step, the
    output and its summary) leaves polars to the code that stages small files."""
    own = (
        "podreplay.cli.ingest_cmd",
        "podreplay.cli.output",
        "podreplay.derive",
        "podreplay.store",
        "podreplay.lifecycle",
        "podreplay.render.terminal.ingest_summary",
        "podreplay.render.terminal.story",
    )
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys, {', '.join(own)}; print(*sys.modules)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    loaded = packages(set(proc.stdout.split()))
    assert "duckdb" in loaded
    assert not loaded & {"polars", "pyarrow", "plotly"}, sorted(loaded & {"polars", "pyarrow"})


def test_ingest_builds_no_pydantic_validator(tmp_path: Path) -> None:
    """Its paths (texts for a `list[str]`) and --max-gz-size's default (an int without bounds)
    pass through as typer would return them."""
    db = tmp_path / "one.duckdb"
    assert "pydantic" not in packages(imported("ingest", str(SAMPLE_LOGS), "--db", str(db), "-q"))
    assert db.stat().st_size > 0


def test_timeline_html_loads_plotly(small_db: Path, tmp_path: Path) -> None:
    """The other side of the check above: drawing is where plotly comes in."""
    namespace, pod = POD
    page = tmp_path / "pod.html"
    args = ("timeline", pod, "-n", namespace, "--db", str(small_db), "--html", str(page))
    assert "plotly" in packages(imported(*args))
    assert page.stat().st_size > 0


def test_the_names_help_shows_are_the_simulators_own() -> None:
    """`simulate --help` lists scenarios from sim/names.py; the simulator runs sim/scenarios'."""
    assert tuple(SCENARIOS) == names.SIMULATED_SCENARIOS

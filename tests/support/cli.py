"""Running `podreplay`: in-process through typer's test runner, or as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from podreplay.cli.app import app


def run(*args: str | Path, columns: int | None = None) -> Result:
    """`podreplay ARGS` in this process (terminal `columns` wide, else rich's default); fails
    the test on a traceback or an internal error, whatever the exit code."""
    env = {"COLUMNS": str(columns) if columns else ""}
    res = CliRunner().invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, res.stderr
    assert "internal error" not in res.stderr, res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


def run_ok(*args: str | Path, columns: int | None = None) -> str:
    """What `podreplay ARGS` prints, checked to exit 0."""
    res = run(*args, columns=columns)
    assert res.exit_code == 0, res.output
    return res.stdout


def ingest(db: Path, *paths: Path, extra: tuple[str, ...] = ("-q",)) -> Result:
    """`podreplay ingest PATHS --db DB` (`-q` unless `extra` says otherwise)."""
    return run("ingest", *paths, "--db", db, *extra)


def process(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m podreplay ARGS` as a separate process in `cwd`, run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "podreplay", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def start(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    """`python -m podreplay ARGS` started as a separate process, its output piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "podreplay", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

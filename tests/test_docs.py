"""Every command is documented: --help with a runnable example, a section in docs/cli.md
(generated, so it cannot drift), a row in the README."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from podreplay.cli import app
from tests.conftest import ROOT

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_there_are_commands() -> None:
    assert {"ingest", "timeline", "stats", "query", "report", "replay", "simulate"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert "podreplay " + name in result.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"`podreplay {name}" in (ROOT / "README.md").read_text()


def test_docs_cli_md_is_generated_from_the_current_commands(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "typer",
            "podreplay.cli",
            "utils",
            "docs",
            "--name",
            "podreplay",
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    assert out.read_text() == (ROOT / "docs" / "cli.md").read_text(), (
        "docs/cli.md is stale: run `make docs`"
    )


def test_an_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output

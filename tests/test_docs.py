"""Every command is documented: --help with a runnable example, a section in docs/cli.md
(generated, so it cannot drift), a row in the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from podreplay.cli import app
from tests.support.cli import run
from tests.support.paths import ROOT

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_there_are_commands() -> None:
    assert {"ingest", "timeline", "stats", "query", "report", "replay", "simulate"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = run(name, "--help")
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
    result = run("no-such-command")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


PAGES = [ROOT / "README.md", ROOT / "tests" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP_LEVEL = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")}
GITIGNORED = {
    line.strip() for line in (ROOT / ".gitignore").read_text().splitlines() if "/" in line
}


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_docs_cite_only_what_the_repository_has(page: Path) -> None:
    """Links and `path/like/this` mentions resolve inside the repository; no machine paths, no
    design notes the repository does not ship."""
    text = page.read_text(encoding="utf-8")
    assert "DESIGN.md" not in text
    assert not re.search(r"(?<![\w.~])/(work|tmp|home|root|Users)/", text), "a machine path"
    for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", text):
        if not m[1].startswith(("http://", "https://", "mailto:")):
            assert (page.parent / m[1]).exists(), f"broken link {m[1]}"
    for m in re.finditer(r"`([\w./-]+)`", text):
        path = m[1]
        ignored = path in GITIGNORED or any(path.startswith(g) for g in GITIGNORED if g[-1] == "/")
        if path.split("/")[0] not in TOP_LEVEL or "/" not in path or ignored:
            continue
        if ".." in path or "NN" in path:  # a range of files (derive_10..39, derive_NN)
            continue
        assert (ROOT / path).exists(), f"{page.name} names {path}, which the repository lacks"

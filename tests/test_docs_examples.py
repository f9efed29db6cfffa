"""Docs that run: every `podreplay ...` command example in README.md and docs/*.md is run, through
the installed console script, against the demo database (sample_logs/ ingested).

What counts as an example:
- in a fenced block tagged `sh`, `bash`, `shell` or untagged, each line that starts with
  `podreplay ` or pipes into `| podreplay ` (lines ending in `\\` continue on the next);
- in a `console` block, the same lines after a `$ ` prompt (other lines are output);
- a line `Example: podreplay ...` (the `--help` examples, as docs/cli.md shows them).
The usage synopses of the generated docs/cli.md (`podreplay ingest [OPTIONS] ...`) are not examples.

Each block runs, line by line in order, in a fresh folder holding `sample_logs/` and, under every
`*.duckdb` name the block mentions and under `podreplay.duckdb` (the default `--db`), a copy of
the demo database. A command passes when it exits 0.

An HTML comment on the line before a block adjusts that block (`;` separates directives):
    <!-- docs-test: files NAME=PATH ... -->   copy PATH (a file or folder of the repository, or
                                               `#NAME`: this page's ```sql block starting
                                               `-- name: NAME`) to NAME in the folder first;
                                               a NAME ending `.gz` gets a gzip-compressed copy
    <!-- docs-test: path DIR -->               put the repository's DIR first on PATH
    <!-- docs-test: exit N -->                 every command of the block must exit N
    <!-- docs-test: skip REASON -->            not run; REASON is shown as the skip reason
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.paths import ROOT, SAMPLE_LOGS

BIN = Path(sys.executable).parent  # the venv's bin: `podreplay` is the installed console script
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GENERATED = ROOT / "docs" / "cli.md"
SHELL = {"", "sh", "bash", "shell"}
MARKER = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
COMMAND = re.compile(r"^podreplay\s|\|\s*podreplay\s")
DB_NAME = re.compile(r"[\w./-]*\.duckdb\b")
DIRECTIVES = re.compile(r";\s*(?=(?:files|path|exit|skip)\b)")  # `;` inside a reason stays
SQL_NAME = re.compile(r"^--\s*name:\s*(\S+)", re.MULTILINE)
# --help examples (docs/cli.md) cannot carry a marker: what they need is said here instead.
HELP_EXAMPLE_SKIPS = {
    "capture": "records from a live cluster; tests/test_capture.py runs capture for real "
    "against a stand-in API server"
}


@dataclass
class Example:
    """One block of commands and what it needs."""

    page: Path
    line: int  # 1-based line of the block's first command
    commands: list[str]
    files: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    exit: int = 0
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def parse_marker(text: str, example: Example) -> None:
    for directive in filter(None, (d.strip() for d in DIRECTIVES.split(text))):
        key, _, rest = directive.partition(" ")
        if key == "files":
            for pair in rest.split():
                name, _, source = pair.partition("=")
                example.files[name] = source
        elif key == "path":
            example.path.append(rest.strip())
        elif key == "exit":
            example.exit = int(rest)
        elif key == "skip":
            example.skip = rest.strip() or "skipped"
        else:
            raise ValueError(f"{example.id}: unknown docs-test directive {key!r}")


def commands_of(lines: list[str], lang: str) -> list[tuple[int, str]]:
    """(index, command) for each example command in a fenced block's lines."""
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        start, text = i, lines[i].strip()
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text[:-1] + " " + lines[i].strip()
        i += 1
        if lang == "console":
            if not text.startswith("$ "):
                continue
            text = text[2:].strip()
        if COMMAND.search(text):
            found.append((start, text))
    return found


def page_examples(page: Path) -> list[Example]:
    lines = page.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Example: podreplay "):
            command = line.removeprefix("Example: ").strip()
            ex = Example(page, i + 1, [command])
            ex.skip = HELP_EXAMPLE_SKIPS.get(command.split()[1])
            examples.append(ex)
        if not line.startswith("```"):
            i += 1
            continue
        lang = line[3:].strip().lower()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
        found = commands_of(lines[i + 1 : end], lang)
        if found and (lang in SHELL or lang == "console") and page != GENERATED:
            ex = Example(page, i + 2 + found[0][0], [c for _, c in found])
            marker = MARKER.match(lines[i - 1]) if i > 0 else None
            if marker:
                parse_marker(marker[1], ex)
            examples.append(ex)
        i = end + 1
    return examples


EXAMPLES = [ex for page in PAGES for ex in page_examples(page)]


def test_the_docs_have_examples_and_markers_parse() -> None:
    pages = {ex.page.name for ex in EXAMPLES}
    assert {"README.md", "cli.md", "sql.md"} <= pages
    assert sum(len(ex.commands) for ex in EXAMPLES) >= 20


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_logs/ ingested by the installed CLI, as `make demo` does."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    res = subprocess.run(
        [str(BIN / "podreplay"), "ingest", str(SAMPLE_LOGS), "--db", str(db), "-q"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    return db


def sql_block(page: Path, name: str) -> str:
    """The ```sql block of `page` whose header says `-- name: NAME`."""
    for block in re.findall(r"^```sql\n(.*?)^```", page.read_text(), re.MULTILINE | re.DOTALL):
        m = SQL_NAME.search(block)
        if m and m[1] == name:
            return str(block)
    raise AssertionError(f"{page.name} has no ```sql block named {name}")


def lay_out(ex: Example, work: Path, demo_db: Path) -> None:
    """The folder a block runs in: sample_logs/, demo database copies, the files it needs."""
    (work / "sample_logs").symlink_to(SAMPLE_LOGS, target_is_directory=True)
    for name in {"podreplay.duckdb", *DB_NAME.findall(" ".join(ex.commands))}:
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(demo_db, target)
    for name, source in ex.files.items():
        target = work / name.rstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.startswith("#"):
            target.write_text(sql_block(ex.page, source[1:]))
        elif name.endswith(".gz") and not source.endswith(".gz"):
            target.write_bytes(gzip.compress((ROOT / source).read_bytes()))
        elif (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target)
        else:
            shutil.copyfile(ROOT / source, target)


@pytest.mark.parametrize("ex", EXAMPLES, ids=[ex.id for ex in EXAMPLES])
def test_the_example_runs(ex: Example, demo_db: Path, tmp_path: Path) -> None:
    if ex.skip:
        pytest.skip(ex.skip)
    lay_out(ex, tmp_path, demo_db)
    env = {k: v for k, v in os.environ.items() if k != "PODREPLAY_DB"}
    env["PATH"] = os.pathsep.join(
        [*(str(ROOT / p) for p in ex.path), str(BIN), os.environ.get("PATH", "")]
    )
    for command in ex.commands:
        res = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert res.returncode == ex.exit, (
            f"{ex.id}: `{command}` exited {res.returncode}, not {ex.exit}:\n"
            f"{res.stderr[-2000:]}\n"
            "Fix the example, or say what it needs with a <!-- docs-test: ... --> line before "
            "its block (see tests/test_docs_examples.py)."
        )

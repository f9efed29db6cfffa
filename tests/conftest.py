"""Shared fixtures: paths to the test data and a fresh database file per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from podreplay.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REAL = DATA / "real"
SAMPLE_LOGS = ROOT / "sample_logs"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's DuckDB file lives (created on first use)."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A writable podreplay database in a file on disk."""
    with Store(db_path) as s:
        yield s


def real(name: str) -> Path:
    """A real capture copied from public clusters (see tests/data/real/SOURCES.md)."""
    matches = sorted(REAL.glob(f"*{name}*"))
    assert len(matches) == 1, f"{name!r} matches {matches}"
    return matches[0]


@cache
def chromium_executable() -> str:
    """The Chromium the browser tests launch: `$PODREPLAY_CHROMIUM` (which `make test` sets after
    provisioning one), else the first one scripts/chromium.py finds; fails the test saying how to
    get one."""
    given = os.environ.get("PODREPLAY_CHROMIUM")
    if given:
        return given
    found = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chromium.py"), "--find-only"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        pytest.fail(found.stderr.strip() + " (`make test` installs one)", pytrace=False)
    return found.stdout.strip()

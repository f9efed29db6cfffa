"""Fixtures and hooks only: a fresh database file per test. Shared helpers live in
tests/support/ (see tests/README.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podreplay.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's DuckDB file lives (created on first use)."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A writable podreplay database in a file on disk."""
    with Store(db_path) as s:
        yield s

"""Fixtures and hooks only: a fresh database file per test and the
shared analytics databases. Shared helpers live in
tests/support/ (see tests/README.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from podreplay.store import Store
from tests.support.analytics_data import SimDb, hand_db, simulated_db
from tests.support.cli import run
from tests.support.paths import K3S_EVENTS, K3S_PODS, real


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's DuckDB file lives (created on first use)."""
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A writable podreplay database in a file on disk."""
    with Store(db_path) as s:
        yield s


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> SimDb:
    """The simulated capture with its ground truth, ingested and rebuilt once per session
    (tests/support/analytics_data.py); read it, never write it."""
    return simulated_db(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def hand_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database of the hand-built capture whose answers are reasoned out
    (tests/support/analytics_data.py); read it, never write it."""
    return hand_db(tmp_path_factory.mktemp("hand"))


@pytest.fixture
def k3s_db(tmp_path: Path) -> Path:
    """A database file holding the k3s bundle's default namespace (events and pods), ingested
    through the CLI: what the atomicity and concurrency tests write into."""
    path = tmp_path / "shared.duckdb"
    res = run("ingest", str(real(K3S_EVENTS)), str(real(K3S_PODS)), "--db", str(path), "-q")
    assert res.exit_code == 0, res.stderr
    return path

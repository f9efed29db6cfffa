"""Databases for tests: captures ingested and rebuilt through the library (the one place tests
do it, so a change to how ingest and rebuild are chained is made here), and rows read back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from podreplay.derive import ingest_and_rebuild, rebuild
from podreplay.ingest import IngestOptions, ingest_paths
from podreplay.store import Store


def load(store: Store, paths: Sequence[Path], options: IngestOptions | None = None) -> None:
    """Ingest `paths` into the open `store`, then rebuild what they touch (the library's one
    ingest-then-rebuild, `derive.ingest_and_rebuild`, as the CLI runs it)."""
    ingest_and_rebuild(store, paths, options)


def load_with_full_rebuild(store: Store, paths: Sequence[str | Path]) -> None:
    """Ingest `paths`, then rebuild every derived table from scratch: the reference an
    incremental rebuild must equal."""
    ingest_paths(store, paths)
    rebuild(store)


def ingested(db: Path, paths: Sequence[Path], options: IngestOptions | None = None) -> Path:
    """The database file `db` with `paths` ingested and rebuilt (through the library)."""
    with Store(db) as store:
        load(store, paths, options)
    return db


def rows(db: Path, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows `sql` returns from the database file `db`, opened read-only."""
    with Store(db, read_only=True) as store:
        return store.rows(sql, params)

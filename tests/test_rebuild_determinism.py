"""The rebuild depends on the facts, not on the order rows happen to be stored in: events
within the same second are tie-broken on every column."""

from __future__ import annotations

from pathlib import Path

from podreplay.derive import DERIVED_TABLES, rebuild
from podreplay.store import Store
from tests.support.db import load
from tests.support.paths import SAMPLE_LOGS


def _derived(store: Store) -> dict[str, list[str]]:
    return {t: sorted(map(repr, store.rows(f"SELECT * FROM {t}"))) for t in DERIVED_TABLES}


def test_shuffling_the_stored_rows_does_not_change_the_rebuild(tmp_path: Path) -> None:
    with Store(tmp_path / "a.duckdb") as store:
        load(store, [SAMPLE_LOGS])
        before = _derived(store)
        for seed in (0.1, 0.7):
            for table in ("events", "pod_snapshots", "container_snapshots", "condition_snapshots"):
                store.execute(f"SELECT setseed({seed})")
                store.execute(
                    f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {table} ORDER BY random()"
                )
            rebuild(store)
            assert _derived(store) == before

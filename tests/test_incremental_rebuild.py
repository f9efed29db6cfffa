"""Incremental rebuilds: sources ingested in several writes, each followed by a rebuild of the
pods it touches, give exactly the derived tables one full rebuild of all of them gives."""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import pytest

from podreplay.derive import DERIVED_TABLES, derive_files, ingest_and_rebuild
from podreplay.ingest import expand_paths
from podreplay.sim.simulate import simulate
from podreplay.store import Store, sql_files, sql_statements, sql_text
from tests.support.db import load_with_full_rebuild
from tests.support.paths import SAMPLE_LOGS

REAL = Path(__file__).parent / "data" / "real"
# the per-pod helper tables too: a later rebuild reads them
COMPARED = (
    *DERIVED_TABLES,
    "pod_events",
    "evidence_gaps",
    "native_sidecars",
    "container_instances",
    "probe_specs",
    "ephemeral_containers",
    "image_pulls",
    "creation_blocks",
    "capture_span",
    "source_groups",
    "list_views",
    "capture_scopes",
    "workloads",
)


# events_by_pod: its rows (`seq` numbers differ: an incremental rebuild appends), and the events
# whose place in its `seq` order is not their place in the events table (none)
QUERIES = {
    **{t: f"SELECT * FROM {t}" for t in COMPARED},
    "events_by_pod": "SELECT * EXCLUDE (seq) FROM events_by_pod",
    "event_bounds": "SELECT * FROM event_bounds",
    "events_by_pod order": """
        SELECT b.event_key FROM (
            SELECT event_key, dense_rank() OVER (ORDER BY seq) AS place
            FROM (SELECT DISTINCT event_key, seq FROM events_by_pod)
        ) AS b JOIN (
            SELECT event_key, dense_rank() OVER (ORDER BY rowid) AS place
            FROM events SEMI JOIN events_by_pod USING (event_key)
        ) AS e ON e.event_key = b.event_key
        WHERE b.place <> e.place""",
}


def _derived(store: Store) -> dict[str, list[str]]:
    return {t: sorted(map(repr, store.rows(q))) for t, q in QUERIES.items()}


def _full(db: Path, paths: list[str]) -> dict[str, list[str]]:
    with Store(db) as store:
        load_with_full_rebuild(store, paths)
        return _derived(store)


def _in_parts(db: Path, parts: list[list[str]]) -> tuple[dict[str, list[str]], list[int]]:
    touched = []
    with Store(db) as store:
        for part in parts:
            _, stats = ingest_and_rebuild(store, part)
            touched.append(stats.pods)
        return _derived(store), touched


def _split(paths: list[str], seed: int, n_parts: int) -> list[list[str]]:
    """The sources in a random order, cut into n_parts at random boundaries."""
    rng = random.Random(seed)
    order = paths[:]
    rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, len(order)), min(n_parts - 1, len(order) - 1)))
    return [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]


def _assert_same(tmp_path: Path, parts: list[list[str]]) -> list[int]:
    """Ingested in the same order (the same source ids), once and in parts."""
    whole = _full(tmp_path / "full.duckdb", [p for part in parts for p in part])
    parted, touched = _in_parts(tmp_path / "parts.duckdb", parts)
    for table in QUERIES:
        assert parted[table] == whole[table], table
    return touched


@pytest.fixture(scope="module")
def sim_capture(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("sim") / "cap"
    simulate(out, pods=14, seed=3, snapshot_every_s=300, duration_s=1800)
    return [p for p in expand_paths([out]) if not p.endswith("truth.json")]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_simulated_capture_in_parts_equals_one_rebuild(
    tmp_path: Path, sim_capture: list[str], seed: int
) -> None:
    _assert_same(tmp_path, _split(sim_capture, seed, 2 + seed % 3))


def test_sources_one_by_one_in_time_order(tmp_path: Path, sim_capture: list[str]) -> None:
    paths = sorted(sim_capture)
    touched = _assert_same(tmp_path, [[p] for p in paths])
    assert len(touched) == len(paths)


def test_sample_logs_in_parts(tmp_path: Path) -> None:
    paths = expand_paths([SAMPLE_LOGS])
    _assert_same(tmp_path, _split(paths, 5, 3))


@pytest.mark.parametrize("seed", [0, 1])
def test_real_captures_in_parts(tmp_path: Path, seed: int) -> None:
    paths = [p for p in expand_paths([REAL]) if not p.endswith((".md", ".txt"))]
    _assert_same(tmp_path, _split(paths, seed, 4))


def test_a_one_pod_snapshot_rebuilds_few_pods(tmp_path: Path, sim_capture: list[str]) -> None:
    """One pod seen again in the middle of the capture touches that pod (and the few a List
    may now prove gone), not every pod; the result is still the full rebuild's."""
    snapshot = sorted(p for p in sim_capture if "/pods/" in p)[3]
    doc = json.loads(Path(snapshot).read_text(encoding="utf-8"))
    doc["items"] = doc["items"][:1]
    # seen again half a minute later (the simulated capture starts 2024-03-01T02:00Z)
    one = tmp_path / "one-pod-20240301T021530Z.json"
    one.write_text(json.dumps(doc), encoding="utf-8")
    with Store(tmp_path / "a.duckdb") as store:
        ingest_and_rebuild(store, sim_capture)
        total = int(store.scalar("SELECT count(*) FROM pods"))
        _, stats = ingest_and_rebuild(store, [str(one)])
        parted = _derived(store)
    assert not stats.full
    assert 0 < stats.pods < total / 2
    assert parted == _full(tmp_path / "full.duckdb", [*sim_capture, str(one)])


def test_rows_another_derive_version_made_are_rebuilt_in_full(
    tmp_path: Path, sim_capture: list[str]
) -> None:
    """A database rebuilt by another podreplay (other derive SQL) is not patched pod by pod."""
    paths = sorted(sim_capture)
    with Store(tmp_path / "a.duckdb") as store:
        ingest_and_rebuild(store, paths[:-1])
        store.execute("UPDATE meta SET value = 'older' WHERE key = 'derive_version'")
        store.execute("UPDATE pods SET final_phase = 'stale'")
        _, stats = ingest_and_rebuild(store, paths[-1:])
        assert stats.full
        assert store.scalar("SELECT count(*) FROM pods WHERE final_phase = 'stale'") == 0
        _, stats = ingest_and_rebuild(store, paths[-1:])  # a duplicate: nothing touched
        assert not stats.full
        assert stats.pods == 0


@pytest.mark.parametrize("name", [*derive_files(), *sql_files("ingest_")])
def test_sql_files_split_as_duckdb_splits_them(name: str) -> None:
    """The rebuild and the per-source writes split SQL files by line ends (no SQL parse): the
    same statements DuckDB's parser finds, each piece exactly one statement."""
    pieces = sql_statements(name)
    assert len(pieces) == len(duckdb.extract_statements(sql_text(name)))
    assert all(len(duckdb.extract_statements(p)) == 1 for p in pieces)

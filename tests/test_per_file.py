"""Many small files hold the same evidence as one file: the stored tables do not depend on how
the objects were split into sources (what a folder of one-pod snapshots must guarantee)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.support.cli import run
from tests.support.paths import DATA

# the stored evidence, without what names the source it came from
TABLES = {
    "events": "* EXCLUDE (source_id)",
    "pod_snapshots": "* EXCLUDE (source_id)",
    "container_snapshots": "* EXCLUDE (source_id)",
    "condition_snapshots": "* EXCLUDE (source_id)",
    "owners": "*",
}


def _ingest(db: Path, *paths: Path) -> None:
    result = run("ingest", *map(str, paths), "--db", str(db), "-q")
    assert result.exit_code == 0, result.output


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall()
            for t, cols in TABLES.items()
        }
    finally:
        con.close()


def _split(src: Path, out: Path) -> int:
    """Write every item of the List `src` as a one-item List of its own, the observation time
    of `src`'s name kept in each new name; returns how many files."""
    doc = json.loads(src.read_text())
    stem, _, stamp = src.stem.rpartition("-")
    for i, item in enumerate(doc["items"]):
        one = dict(doc, items=[item])
        (out / f"{stem}-{i:04d}-{stamp}{src.suffix}").write_text(json.dumps(one, indent=2))
    return len(doc["items"])


def test_one_object_per_file_stores_what_one_file_stores(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    result = run(
        "simulate",
        "--pods",
        "12",
        "--out",
        str(sim),
        "--snapshot-every",
        "600",
        "--duration",
        "1800",
        "--seed",
        "3",
    )
    assert result.exit_code == 0, result.output
    split = tmp_path / "split"
    split.mkdir()
    snapshots = sorted((sim / "pods").glob("*.json"))
    n_files = sum(_split(f, split) for f in snapshots)
    n_files += _split(sim / "events.json", split)
    assert n_files > 5 * len(snapshots)

    whole_db, split_db = tmp_path / "whole.duckdb", tmp_path / "split.duckdb"
    _ingest(whole_db, sim / "pods", sim / "events.json")
    _ingest(split_db, split)
    whole, parts = _tables(whole_db), _tables(split_db)
    assert whole["pod_snapshots"] and whole["container_snapshots"] and whole["events"]
    for table in TABLES:
        assert parts[table] == whole[table], table
    # and the split files over the whole ones add nothing: each object is already stored
    _ingest(whole_db, split)
    assert _tables(whole_db) == whole


def test_in_a_folder_of_small_files_each_file_fares_on_its_own(tmp_path: Path) -> None:
    """Small files are normalised together but stored one by one, in order: a file the reader
    refuses mid-way, a duplicate and a text file are each their own; the others land."""
    from podreplay.ingest import IngestOptions, ingest_paths
    from podreplay.store import Store

    pods = json.loads(sorted((DATA / "capture").glob("*__pods.json"))[0].read_text())
    folder = tmp_path / "in"
    folder.mkdir()

    def one_pod(name: str, item: dict[str, object]) -> None:
        (folder / name).write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": [item]})
        )

    one_pod("a-20240301T020000Z.json", pods["items"][0])
    (folder / "b-20240301T020000Z.json.gz").write_bytes(
        (DATA / "bad" / "expands_3mb.json.gz").read_bytes()
    )
    one_pod("c-20240301T020000Z.json", pods["items"][1])
    (folder / "d-20240301T020000Z.json").write_bytes(
        (folder / "a-20240301T020000Z.json").read_bytes()
    )
    (folder / "e-notes.txt").write_text("just a note\n")
    (folder / "f-20240301T020000Z.ndjson").write_text(
        json.dumps(pods["items"][2]) + "\n{not json\n"
    )

    with Store(tmp_path / "x.duckdb") as store:
        result = ingest_paths(store, [folder], IngestOptions(max_decompressed=1_000_000))
        statuses = [(Path(s.path).name[0], s.status) for s in result.sources]
        assert statuses == [
            ("a", "ingested"),
            ("b", "failed"),
            ("c", "ingested"),
            ("d", "duplicate"),
            ("e", "not-a-capture"),
            ("f", "ingested"),
        ]
        assert result.sources[5].n_rejects == 1 and result.sources[5].first_reject.startswith(
            "line 2"
        )
        stored = store.rows("SELECT source_id, path FROM sources ORDER BY source_id")
        assert [(i, Path(p).name[0]) for i, p in stored] == [(1, "a"), (2, "c"), (3, "f")]
        by_source = dict(store.rows("SELECT source_id, count(*) FROM pod_snapshots GROUP BY ALL"))
        assert by_source == {1: 1, 2: 1, 3: 1}
        assert store.scalar("SELECT count(*) FROM rejects WHERE source_id = 3") == 1

"""Many small files hold the same evidence as one file: the stored tables do not depend on how
the objects were split into sources (what a folder of one-pod snapshots must guarantee)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from podreplay.cli import app

# the stored evidence, without what names the source it came from
TABLES = {
    "events": "* EXCLUDE (source_id)",
    "pod_snapshots": "* EXCLUDE (source_id)",
    "container_snapshots": "* EXCLUDE (source_id)",
    "condition_snapshots": "* EXCLUDE (source_id)",
    "owners": "*",
}


def _ingest(db: Path, *paths: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", *map(str, paths), "--db", str(db), "-q"])
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
    result = CliRunner().invoke(
        app,
        [
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
        ],
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

"""`podreplay export --parquet`: every table and view as Parquet, namespace-partitioned where the
object has a namespace, with a manifest whose row counts match the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from podreplay.export import MANIFEST, export_parquet
from podreplay.store import Store
from tests.support.analytics_data import SimDb, hand_db
from tests.support.cli import run


@pytest.fixture(scope="module")
def exported(simulated: SimDb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    res = run("export", "--parquet", str(out), "--db", str(simulated.db))
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    return out


def manifest(out: Path) -> dict[str, dict[str, Any]]:
    doc = json.loads((out / MANIFEST).read_text())
    return {o["name"]: o for o in doc["objects"]}


def read_back(out: Path, entry: dict[str, Any]) -> pl.DataFrame:
    """An exported object read with polars (an independent Parquet reader)."""
    if entry["partitioned_by"]:
        return pl.read_parquet(out / entry["path"] / "**/*.parquet", hive_partitioning=True)
    return pl.read_parquet(out / entry["path"])


def test_every_table_and_view_but_the_rebuilds_copy_is_exported_with_its_row_count(
    simulated: SimDb, exported: Path
) -> None:
    with Store(simulated.db, read_only=True) as store:
        objects = dict(
            store.rows(
                "SELECT table_name, table_type FROM information_schema.tables"
                " WHERE table_schema = 'main'"
                " AND table_name NOT IN ('events_by_pod', 'event_bounds')"
            )
        )
        counts = {name: store.scalar(f'SELECT count(*) FROM "{name}"') for name in objects}
    entries = manifest(exported)
    assert set(entries) == set(objects)
    assert {n: e["rows"] for n, e in entries.items()} == counts
    assert entries["workloads"]["kind"] == "view"
    assert entries["pod_stats"]["kind"] == "table"


def test_files_hold_the_rows_the_manifest_claims(exported: Path) -> None:
    for name, entry in manifest(exported).items():
        assert read_back(exported, entry).height == entry["rows"], name
        for f in entry["files"]:
            assert (exported / f).is_file(), f


def test_objects_with_a_namespace_are_hive_partitioned(simulated: SimDb, exported: Path) -> None:
    entries = manifest(exported)
    for name in ("events", "pod_snapshots", "pods", "pod_stats", "phase_intervals", "restarts"):
        assert entries[name]["partitioned_by"] == ["namespace"], name
    namespaces = {p["namespace"] for p in simulated.pods}
    dirs = {d.name for d in (exported / "pod_stats").iterdir()}
    assert dirs == {f"namespace={ns}" for ns in namespaces}
    assert entries["container_snapshots"]["partitioned_by"] == []
    assert entries["container_snapshots"]["path"] == "container_snapshots.parquet"


def test_pod_stats_round_trip_through_parquet(simulated: SimDb, exported: Path) -> None:
    with Store(simulated.db, read_only=True) as store:
        original = store.frame("SELECT * FROM pod_stats ORDER BY pod_uid")
    back = read_back(exported, manifest(exported)["pod_stats"]).sort("pod_uid")
    back = back.select(original.columns)  # the partition column comes back last
    assert back.drop("namespace").equals(original.drop("namespace"))
    assert back["namespace"].cast(pl.String).to_list() == original["namespace"].to_list()


def test_exporting_again_overwrites_and_keeps_the_counts(tmp_path: Path) -> None:
    db = hand_db(tmp_path / "hand")
    out = tmp_path / "out"
    with Store(db, read_only=True) as store:
        first = export_parquet(store, out)
        second = export_parquet(store, out)
    assert [(o.name, o.rows, o.files) for o in first] == [(o.name, o.rows, o.files) for o in second]
    pods = manifest(out)["pods"]
    assert read_back(out, pods).height == pods["rows"] == 2


def test_empty_objects_are_written_as_single_files(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db).close()
    with Store(db, read_only=True) as store:
        written = {o.name: o for o in export_parquet(store, tmp_path / "out")}
    # an empty partitioned COPY would write nothing; a plain file keeps the schema
    assert written["events"].rows == 0
    assert written["events"].partitioned_by == []
    assert pl.read_parquet(tmp_path / "out" / "events.parquet").columns[0] == "event_key"


def test_export_to_a_file_path_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    Store(db).close()
    target = tmp_path / "taken"
    target.write_text("not a directory")
    res = run("export", "--parquet", str(target), "--db", str(db))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "not a directory" in res.stderr


def test_export_of_a_missing_database_exits_3(tmp_path: Path) -> None:
    args = ["export", "--parquet", str(tmp_path / "o"), "--db", str(tmp_path / "no.duckdb")]
    res = run(*args)
    assert res.exit_code == 3
    assert not (tmp_path / "o").exists()

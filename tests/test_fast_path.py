"""The DuckDB fast path stages exactly what the Python reader stages.

Every test ingests the same files twice, once through each reader, into two database files,
and compares every ingested table row for row (the independent truth is the Python reader,
which tests/test_ingest.py checks against the files themselves). Where the fast path must
refuse a file, the tables still match because the Python reader read it.
"""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

import polars as pl
import pytest

from podreplay import fastpath
from podreplay.ingest import IngestOptions, ingest_paths
from podreplay.sim.simulate import simulate
from podreplay.store import Store
from tests.support.paths import K3S_PODS, REAL

INGESTED = [
    "sources",
    "events",
    "pod_snapshots",
    "container_snapshots",
    "condition_snapshots",
    "rejects",
    "owners",
]
FAST = IngestOptions(fast_min_bytes=0)
PYTHON = IngestOptions(fast_min_bytes=1 << 62)


def tables(db: Path, paths: list[Path], options: IngestOptions) -> dict[str, pl.DataFrame]:
    """Ingest `paths` into a fresh database and return every ingested table, sorted."""
    out: dict[str, pl.DataFrame] = {}
    with Store(db) as store:
        ingest_paths(store, paths, options)
        for table in INGESTED:
            frame = store.frame(f"SELECT * FROM {table}")
            if table == "sources":
                frame = frame.drop("ingested_at")
            frame = frame.select(pl.all().cast(pl.String))
            out[table] = frame.sort(frame.columns, nulls_last=True)
    return out


def assert_same_tables(tmp_path: Path, paths: list[Path]) -> dict[str, pl.DataFrame]:
    python = tables(tmp_path / "python.duckdb", paths, PYTHON)
    fast = tables(tmp_path / "fast.duckdb", paths, FAST)
    for table in INGESTED:
        assert python[table].equals(fast[table]), f"{table} differs between the readers"
    return fast


def staged_fast(path: Path) -> bool:
    """Whether the fast path accepts the file (rather than leaving it to the Python reader)."""
    plan = fastpath.plan(path)
    if plan is None:
        return False
    with Store(":memory:") as store:
        try:
            fastpath.stage(store, plan)
        except fastpath.Refused:
            return False
        fastpath.drop_stage(store)
    return True


def write_list(path: Path, items_text: list[str], sep: str = ",\n        ") -> Path:
    path.write_text(
        '{\n    "apiVersion": "v1",\n    "items": [\n        '
        + sep.join(items_text)
        + '\n    ],\n    "kind": "List",\n    "metadata": {}\n}\n'
    )
    return path


def event(i: int, **extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {"name": f"p{i}.1", "namespace": "ns", "uid": f"uid-{i}"},
        "involvedObject": {"kind": "Pod", "name": f"p{i}", "namespace": "ns", "uid": f"pu-{i}"},
        "reason": "Started",
        "message": f"started {i}",
        "type": "Normal",
        "count": 1,
        "firstTimestamp": f"2024-03-01T02:00:{i % 60:02d}Z",
        "lastTimestamp": f"2024-03-01T02:00:{i % 60:02d}Z",
    }
    doc.update(extra)
    return doc


def pretty(doc: object) -> str:
    return json.dumps(doc, indent=4).replace("\n", "\n        ")


@pytest.mark.slow
def test_real_json_captures_land_identically_through_both_readers(tmp_path: Path) -> None:
    files = sorted(REAL.glob("*.json"))
    assert sum(staged_fast(f) for f in files) >= 8  # the kubectl Lists take the fast path
    fast = assert_same_tables(tmp_path, files)
    assert fast["events"].height > 0 and fast["pod_snapshots"].height > 0


def test_simulated_capture_lands_identically_through_both_readers(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(sim, pods=10, seed=3, snapshot_every_s=900)
    files = [sim / "events.json", sim / "events-v1.json", sim / "pods-watch.ndjson"]
    files += sorted((sim / "pods").glob("*.json"))
    assert all(staged_fast(f) for f in files[:3])  # List, List, NDJSON watch stream
    fast = assert_same_tables(tmp_path, files)
    assert fast["events"].height > 0 and fast["pod_snapshots"].height > 0


def test_rejected_items_keep_their_exact_line_and_index(tmp_path: Path) -> None:
    # item 1 is not an object and item 2 has an unreadable timestamp: the fast path stages the
    # file, sees rejects, and the source is read again by the Python reader for exact lines
    docs = [pretty(event(0)), "5", pretty(event(2, firstTimestamp="yesterday"))]
    path = write_list(tmp_path / "events.json", docs)
    text = path.read_text()
    five = text.index("\n        5,") + 1
    third = text.index("{", five)
    expected = [
        f"line {text.count(chr(10), 0, five) + 1} (item 1)",
        f"line {text.count(chr(10), 0, third) + 1} (item 2)",
    ]
    assert staged_fast(path)
    fast = assert_same_tables(tmp_path, [path])
    assert fast["rejects"]["location"].to_list() == expected


def test_a_list_read_in_parallel_parts_keeps_the_item_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # messages holding the item separator's characters must not move the cuts
    docs = [pretty(event(i, message=f"m{i} }},{{ [{i}]")) for i in range(400)]
    path = write_list(tmp_path / "events.json", docs)
    monkeypatch.setattr(fastpath, "PART_MIN_BYTES", path.stat().st_size // 6)
    plan = fastpath.plan(path)
    assert plan is not None and len(fastpath._parts(plan)) == 5
    with Store(":memory:") as store:
        fastpath.stage(store, plan)
        seqs = store.frame("SELECT seq, doc ->> '$.message' AS m FROM stage ORDER BY seq")
    assert seqs["m"].to_list() == [f"m{i} }},{{ [{i}]" for i in range(400)]
    assert seqs["seq"].to_list() == list(range(400))
    assert_same_tables(tmp_path, [path])


def test_a_malformed_item_in_one_part_falls_back_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DuckDB fails on the third of five parts: the other feeders must not be left blocked
    docs = [pretty(event(i)) for i in range(400)]
    docs[250] = docs[250].replace('"reason"', '"reason" "oops"')
    path = write_list(tmp_path / "events.json", docs)
    monkeypatch.setattr(fastpath, "PART_MIN_BYTES", path.stat().st_size // 6)
    plan = fastpath.plan(path)
    assert plan is not None and len(fastpath._parts(plan)) == 5
    assert not staged_fast(path)
    fast = assert_same_tables(tmp_path, [path])
    assert fast["events"].height == 399 and fast["rejects"].height == 1


def test_parts_are_copied_through_a_buffer_where_sendfile_cannot_write_to_a_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sendfile(*_args: object) -> int:
        raise OSError(errno.ENOTSOCK, "sendfile to a pipe is not supported here")

    path = write_list(tmp_path / "events.json", [pretty(event(i)) for i in range(400)])
    monkeypatch.setattr(fastpath, "PART_MIN_BYTES", path.stat().st_size // 6)
    monkeypatch.setattr(fastpath.os, "sendfile", no_sendfile)
    assert staged_fast(path)
    fast = assert_same_tables(tmp_path, [path])
    assert fast["events"].height == 400


def test_a_compact_list_is_read_as_one_part(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"kind": "List", "items": [event(i) for i in range(50)]}))
    plan = fastpath.plan(path)
    assert plan is not None and plan.sep == b", " and len(fastpath._parts(plan)) == 1
    assert staged_fast(path)
    assert_same_tables(tmp_path, [path])


def test_malformed_item_falls_back_to_the_python_reader(tmp_path: Path) -> None:
    broken = pretty(event(1)).replace('"reason"', '"reason" "oops"')
    path = write_list(tmp_path / "events.json", [pretty(event(0)), broken, pretty(event(2))])
    assert not staged_fast(path)
    fast = assert_same_tables(tmp_path, [path])
    assert fast["rejects"].height == 1 and fast["events"].height == 2


def test_trailing_comma_that_duckdb_accepts_still_falls_back(tmp_path: Path) -> None:
    trailing = pretty(event(1))[:-10] + ",\n        }"
    path = write_list(tmp_path / "events.json", [pretty(event(0)), trailing])
    assert not staged_fast(path)
    fast = assert_same_tables(tmp_path, [path])
    assert fast["rejects"].height == 1


@pytest.mark.parametrize("blanks", [0, 3, 200])
def test_a_trailing_comma_across_two_read_chunks_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blanks: int
) -> None:
    monkeypatch.setattr(fastpath, "CHUNK", 64)
    head = '{"items": [{"a": "' + "x" * 40 + '",'  # the comma ends the first 64-byte chunk
    head = head.rjust(64)
    clean, trailing = tmp_path / "clean.json", tmp_path / "trailing.json"
    trailing.write_text(head + " " * blanks + "}]}")
    clean.write_text(head + " " * blanks + '"b": 1}]}')
    found = {}
    for path in (clean, trailing):
        checker = fastpath._Checker(str(path))
        checker.run()
        found[path.name] = checker.trailing_comma
    assert found == {"clean.json": False, "trailing.json": True}


def test_irregular_spacing_between_items_lands_the_same(tmp_path: Path) -> None:
    # a blank line before the last item: the reject's line is the Python reader's
    path = tmp_path / "events.json"
    write_list(path, [pretty(event(0)), pretty(event(1)), "5"])
    text = path.read_text().replace(",\n        5", ",\n\n        5")
    path.write_text(text)
    expected = f"line {text.count(chr(10), 0, text.index(chr(10) + '        5')) + 2} (item 2)"
    fast = assert_same_tables(tmp_path, [path])
    assert fast["rejects"]["location"].to_list() == [expected]


def test_ndjson_with_a_blank_line_lands_the_same(tmp_path: Path) -> None:
    lines = [json.dumps(event(i)) for i in range(3)]
    path = tmp_path / "events.ndjson"
    path.write_text(lines[0] + "\n\n" + lines[1] + "\n" + lines[2] + "\n")
    fast = assert_same_tables(tmp_path, [path])
    assert fast["events"].height == 3


def test_a_list_inside_an_object_stream_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "mixed.ndjson"
    path.write_text(
        json.dumps(event(0)) + "\n" + json.dumps({"kind": "List", "items": [event(1)]}) + "\n"
    )
    assert not staged_fast(path)
    fast = assert_same_tables(tmp_path, [path])
    assert fast["events"].height == 2


def test_raw_documents_are_stored_minified_by_both_readers(tmp_path: Path) -> None:
    path = write_list(tmp_path / "events.json", [pretty(event(i)) for i in range(3)])
    fast = assert_same_tables(tmp_path, [path])
    raw = fast["events"]["raw"].to_list()
    assert all("\n" not in r and '": ' not in r for r in raw)
    assert [json.loads(r) for r in sorted(raw)] == sorted(
        (event(i) for i in range(3)), key=json.dumps
    )


def test_reingesting_a_fast_path_file_is_a_duplicate(tmp_path: Path) -> None:
    path = write_list(tmp_path / "events.json", [pretty(event(i)) for i in range(5)])
    with Store(tmp_path / "db.duckdb") as store:
        first = ingest_paths(store, [path], FAST)
        again = ingest_paths(store, [path], FAST)
        assert first.sources[0].status == "ingested" and first.sources[0].n_events == 5
        assert again.sources[0].status == "duplicate"
        assert store.scalar("SELECT count(*) FROM events") == 5


@pytest.mark.parametrize("fast_min_bytes", [0, 1 << 62], ids=["fast path", "python reader"])
def test_a_record_without_its_stamp_is_dated_by_its_latest_status_time(
    tmp_path: Path, fast_min_bytes: int
) -> None:
    # a watch stream (no time in its name) whose second record lost its observedAt: that one
    # is dated by the latest time its status shows, the stamped one by its stamp
    pods = json.loads((REAL / f"{K3S_PODS}.json").read_text())["items"]
    stamps = re.compile(
        r'"(lastTransitionTime|lastProbeTime|startedAt|finishedAt|startTime|creationTimestamp)"'
        r': "([^"]+)"'
    )
    latest = {p["metadata"]["name"]: max(v for _, v in stamps.findall(json.dumps(p))) for p in pods}
    # a pod whose latest time is in its status (not its creation or start)
    pod = next(
        p
        for p in pods
        if latest[p["metadata"]["name"]]
        > max(p["metadata"]["creationTimestamp"], p["status"].get("startTime", ""))
    )
    path = tmp_path / "pods-watch.ndjson"
    path.write_text(
        json.dumps({"type": "ADDED", "object": pods[0], "observedAt": "2030-01-01T00:00:00Z"})
        + "\n"
        + json.dumps({"type": "MODIFIED", "object": pod})
        + "\n"
    )
    with Store(tmp_path / "db.duckdb") as store:
        ingest_paths(store, [path], IngestOptions(fast_min_bytes=fast_min_bytes))
        got = store.rows(
            "SELECT watch_type, strftime(observed_at, '%Y-%m-%dT%H:%M:%SZ'), observed_basis"
            " FROM pod_snapshots ORDER BY watch_type"
        )
    assert got == [
        ("ADDED", "2030-01-01T00:00:00Z", "record"),
        ("MODIFIED", latest[pod["metadata"]["name"]], "inferred"),
    ]

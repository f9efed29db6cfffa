"""A folder's plain sources stored by two connections at once (`podreplay.ingest_writers`):
the same rows as one source at a time, reported in order, each source whole after Ctrl-C."""

from __future__ import annotations

import copy
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from podreplay.ingest import IngestOptions, ingest_paths
from podreplay.ingest_model import SourceResult
from podreplay.ingest_stage import Batch
from podreplay.store import Store
from tests.support.paths import K3S_EVENTS, K3S_PODS, real, real_items

# every stored table and what names the source a row came from, left out where the ids differ
TABLES = {
    "sources": "* EXCLUDE (ingested_at)",
    "events": "*",
    "pod_snapshots": "*",
    "container_snapshots": "*",
    "condition_snapshots": "*",
    "owners": "*",
    "rejects": "*",
    "capture_gaps": "*",
}
EVIDENCE = {  # the same, without the source ids (a folder stored in two goes gets other ids)
    "pod_snapshots": "* EXCLUDE (source_id)",
    "container_snapshots": "* EXCLUDE (source_id)",
    "condition_snapshots": "* EXCLUDE (source_id)",
}


def _pod_files(folder: Path, n: int) -> list[Path]:
    """`n` one-pod snapshot files, each a different pod observed at its own time."""
    pods = real_items(K3S_PODS)
    folder.mkdir(exist_ok=True)
    files = []
    for i in range(n):
        pod = copy.deepcopy(pods[i % len(pods)])
        pod["metadata"]["name"] += f"-{i}"
        pod["metadata"]["uid"] += f"-{i}"
        path = (
            folder
            / f"pods-{i:04d}-20250911T{20 + i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}Z.json"
        )
        path.write_text(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [pod]}))
        files.append(path)
    return files


def _tables(store: Store, tables: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.rows(f"SELECT {cols} FROM {t} ORDER BY ALL") for t, cols in tables.items()}


def _mixed_folder(folder: Path) -> None:
    """Pod-only files around everything that is not one: events, a duplicate, a file of no
    Kubernetes objects, a damaged file, a pod that is rejected."""
    files = _pod_files(folder, 12)
    (folder / "pods-0005-copy-20250911T200005Z.json").write_bytes(files[5].read_bytes())
    (folder / "pods-0006-events.json").write_bytes(real(K3S_EVENTS).read_bytes())
    (folder / "pods-0007-cpu.json").write_text('{"cpus": [0, 1]}')
    (folder / "pods-0008-cut.json").write_text('{"kind": "PodList", "items": [{"kind": "Po')
    no_uid = copy.deepcopy(real_items(K3S_PODS)[0])
    del no_uid["metadata"]
    (folder / "pods-0009-odd-20250911T200009Z.json").write_text(
        json.dumps({"kind": "PodList", "items": [no_uid]})
    )


def test_two_writers_store_what_one_transaction_at_a_time_stores(tmp_path: Path) -> None:
    """Inside a transaction (an in-place write) the sources are stored one after another on one
    connection; outside it, the pod-only ones on two: the same rows and the same results."""
    folder = tmp_path / "capture"
    _mixed_folder(folder)
    outcomes = []
    for name, one_transaction in (("two.duckdb", False), ("one.duckdb", True)):
        with Store(tmp_path / name) as store:
            if one_transaction:
                with store.transaction():
                    result = ingest_paths(store, [folder])
            else:
                result = ingest_paths(store, [folder])
            reported = [
                (s.path, s.status, s.n_pods, s.n_events, s.n_rejects, s.error)
                for s in result.sources
            ]
            outcomes.append((reported, _tables(store, TABLES)))
    (two_reported, two), (one_reported, one) = outcomes
    assert two_reported == one_reported
    statuses = {status for _, status, *_ in two_reported}
    assert statuses == {"ingested", "duplicate", "not-a-capture"}
    assert len(two["pod_snapshots"]) == 12 and two["events"] and two["rejects"]
    for table in TABLES:
        assert two[table] == one[table], table


def test_writers_report_in_order_and_leave_nothing_behind(tmp_path: Path) -> None:
    """While the writers store, the batch's catalog is attached; each source is reported in
    the folder's order as it is stored; afterwards the catalogs and the connection's settings
    are as before."""
    files = _pod_files(tmp_path / "capture", 20)
    with Store(tmp_path / "w.duckdb") as store:
        threads = store.scalar("SELECT current_setting('threads')")
        catalogs_before = store.rows("SELECT database_name FROM duckdb_databases() ORDER BY 1")
        seen: list[tuple[str, bool]] = []

        def finish(source: SourceResult) -> None:
            attached = store.scalar(
                "SELECT count(*) FROM duckdb_databases() "
                "WHERE database_name LIKE 'podreplay_stage_%'"
            )
            seen.append((source.path, attached == 1))

        batch = Batch(store, IngestOptions())
        for path in files:
            batch.read_file(str(path))
        batch.store_all(finish)
        assert [path for path, _ in seen] == [str(p) for p in files]
        assert all(attached for _, attached in seen)  # every one stored by the writers
        assert store.rows("SELECT source_id, path FROM sources ORDER BY 1") == [
            (i + 1, str(p)) for i, p in enumerate(files)
        ]
        assert store.rows("SELECT database_name FROM duckdb_databases() ORDER BY 1") == (
            catalogs_before
        )
        assert store.scalar("SELECT current_setting('threads')") == threads
        assert store.scalar("SELECT current_setting('enable_optimizer')") is True


@pytest.mark.slow
def test_ctrl_c_while_two_writers_store_leaves_each_source_whole(tmp_path: Path) -> None:
    """SIGINT at several moments of storing a folder: every stored source has all of its rows,
    the sources being stored are finished and reported, the result names the first one not
    stored, and ingesting the folder again completes it to what one uninterrupted ingest
    stores."""
    folder = tmp_path / "capture"
    files = _pod_files(folder, 600)
    with Store(tmp_path / "whole.duckdb") as store:
        began = time.monotonic()
        assert not ingest_paths(store, [folder]).failed
        whole_s = time.monotonic() - began
        whole = _tables(store, EVIDENCE)
    landed = 0
    for attempt, fraction in enumerate((0.3, 0.5, 0.7, 0.85)):
        with Store(tmp_path / f"cut-{attempt}.duckdb") as store:
            main = threading.main_thread().ident
            assert main is not None
            timer = threading.Timer(whole_s * fraction, signal.pthread_kill, (main, signal.SIGINT))
            timer.start()
            try:
                result = ingest_paths(store, [folder])
                timer.join()  # a signal after the return is caught below
            except KeyboardInterrupt:
                continue
            stored = store.rows("SELECT source_id, n_pods FROM sources ORDER BY 1")
            per_source = dict(
                store.rows("SELECT source_id, count(*) FROM pod_snapshots GROUP BY 1")
            )
            assert all(per_source.get(sid, 0) == n for sid, n in stored)  # whole sources
            assert set(per_source) <= {sid for sid, _ in stored}
            if result.interrupted is not None:
                reported = [s.path for s in result.sources]
                assert reported == [str(p) for p in files[: len(reported)]]
                assert result.interrupted == str(files[len(reported)])
                # what was begun was finished: the stored sources are exactly those reported
                paths = store.rows("SELECT path FROM sources ORDER BY source_id")
                assert [path for (path,) in paths] == reported
                landed += 0 < len(stored) < len(files)
            again = ingest_paths(store, [folder])
            assert not again.failed and again.interrupted is None
            assert store.scalar("SELECT count(*) FROM sources") == len(files)
            assert _tables(store, EVIDENCE) == whole
    assert landed, "no Ctrl-C landed while sources were being stored"

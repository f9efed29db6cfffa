"""An ingest killed (SIGKILL) or interrupted (Ctrl-C) in the middle of a file leaves the
database exactly as it was before that file; the next ingest cleans up and works.

Real processes: `python -m podreplay ingest` in a subprocess, stopped while it is reading a
large generated capture (its read position in /proc shows it is mid-way).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from podreplay.store import Store
from tests.support.cli import process as cli
from tests.support.dbstate import snapshot
from tests.support.ingest_process import big_capture, start_ingest, wait_until_reading
from tests.support.paths import K3S_EVENTS, K3S_SYS_EVENTS, real

pytestmark = pytest.mark.skipif(not Path("/proc/self/fdinfo").exists(), reason="needs /proc")


def ingested_before(tmp_path: Path) -> tuple[Path, dict[str, list[tuple[Any, ...]]]]:
    """A database holding file A, and its complete state."""
    db = tmp_path / "a.duckdb"
    assert cli("ingest", str(real(K3S_EVENTS)), "--db", str(db), "-q", cwd=tmp_path).returncode == 0
    return db, snapshot(db)


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["list", "ndjson", "yaml"])
def test_sigkill_mid_file_leaves_the_database_as_before_that_file(
    tmp_path: Path, shape: str
) -> None:
    db, before = ingested_before(tmp_path)
    big = big_capture(tmp_path, shape)
    proc = start_ingest(big, db)
    wait_until_reading(proc, big, db)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    stale = list(tmp_path.glob("a.duckdb.writing-*"))
    assert stale  # the killed writer's copy, never renamed over the database
    # the next writer takes the lock (the kernel released it), removes the stale copy, works
    res = cli("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert not any(p.exists() for p in stale)
    with Store(db, read_only=True) as store:
        n_sys = len(json.loads(real(K3S_SYS_EVENTS).read_text())["items"])
        n_a = len(before["events"])
        assert store.scalar("SELECT count(*) FROM events") == n_a + n_sys
        assert store.scalar("SELECT count(*) FROM pod_snapshots") == 0


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["list", "yaml"])
def test_ctrl_c_mid_file_exits_130_with_one_line_and_changes_nothing(
    tmp_path: Path, shape: str
) -> None:
    db, before = ingested_before(tmp_path)
    big = big_capture(tmp_path, shape)
    proc = start_ingest(big, db)
    wait_until_reading(proc, big, db)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == (
        f"podreplay: interrupted while reading {big} (not loaded; the sources before it were)\n"
    )
    assert out == ""
    assert snapshot(db) == before
    assert not list(tmp_path.glob("a.duckdb.writing-*"))  # cleaned up on the way out


@pytest.mark.slow
def test_ctrl_c_keeps_the_sources_finished_before_the_interrupted_one(tmp_path: Path) -> None:
    only_first = tmp_path / "first.duckdb"
    first = real(K3S_SYS_EVENTS)
    assert cli("ingest", str(first), "--db", str(only_first), "-q", cwd=tmp_path).returncode == 0
    db, _ = ingested_before(tmp_path)
    big = big_capture(tmp_path, "list")
    proc = subprocess.Popen(
        [sys.executable, "-m", "podreplay", "ingest", str(first), str(big), "--db", str(db), "-q"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until_reading(proc, big, db)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.count("\n") == 1 and f"interrupted while reading {big}" in err
    with Store(db, read_only=True) as store:
        assert store.rows("SELECT path FROM sources ORDER BY source_id") == [
            (str(real(K3S_EVENTS)),),
            (str(first),),
        ]
        assert store.scalar("SELECT count(*) FROM pod_snapshots") == 0
    kept, alone = snapshot(db), snapshot(only_first)
    first_events = {row for row in kept["events"] if row[1] == 2}  # source 2: `first`
    assert {row[0] for row in first_events} == {row[0] for row in alone["events"]}


def test_a_failing_ingest_leaves_no_working_copy(tmp_path: Path) -> None:
    db, before = ingested_before(tmp_path)
    missing = tmp_path / "no-such-file.json"
    res = cli("ingest", str(missing), "--db", str(db), cwd=tmp_path)
    assert res.returncode == 3
    assert res.stderr == f"podreplay: error: {missing}: no such file or directory\n"
    assert snapshot(db) == before
    assert sorted(os.listdir(tmp_path)) == ["a.duckdb", "a.duckdb.lock"]

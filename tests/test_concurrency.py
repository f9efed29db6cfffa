"""Two processes and one database: a second writer gets exit code 4 (or waits with --wait),
readers (timeline, query, stats, replay, report) keep working while a writer works, and see
the database as it was before the writer or after it, never in between.

The other writer is a real process: either `python -m podreplay ingest` on a large capture, or
a small script holding `store.writing()` (what ingest uses) until the test releases it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podreplay.cli.app import ExitCode
from podreplay.store import Store
from tests.support.cli import run
from tests.support.dbstate import snapshot
from tests.support.ingest_process import big_capture, release, start_ingest, wait_until_reading
from tests.support.paths import K3S_EVENTS, K3S_PODS, K3S_SYS_EVENTS, real

# a writer that empties `events` in its working copy, then holds the lock until told to finish
HOLDER = """
import sys
from podreplay.store import writing
with writing(sys.argv[1]) as store:
    store.execute("DELETE FROM events")
    print("holding", flush=True)
    sys.stdin.readline()
"""


def n_items(name: str) -> int:
    return len(json.loads(real(name).read_text())["items"])


@pytest.fixture
def db(k3s_db: Path) -> Path:
    """The k3s default namespace's database (conftest's `k3s_db`)."""
    return k3s_db


@pytest.fixture
def holder(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process in the middle of writing `db`; write a line to its stdin to finish."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "holding\n"
    yield proc
    release(proc)


def test_a_second_ingest_while_another_writes_exits_4_with_one_line(
    db: Path, holder: subprocess.Popen[str]
) -> None:
    before = snapshot(db)
    res = run("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q")
    assert res.exit_code == int(ExitCode.BUSY) == 4
    assert res.stderr == (
        f"podreplay: error: {db}: another podreplay process (pid {holder.pid}) is writing "
        "this database (use --wait SECONDS to wait)\n"
    )
    assert snapshot(db) == before


def test_readers_keep_working_and_see_the_database_before_the_writer(
    db: Path, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    n_events = n_items(K3S_EVENTS)
    pod = json.loads(real(K3S_PODS).read_text())["items"][0]["metadata"]["name"]
    count = run("query", "SELECT count(*) AS n FROM events", "--db", str(db), "-f", "csv")
    assert count.exit_code == 0, count.stderr
    assert count.stdout == f"n\n{n_events}\n"  # the holder's DELETE is not visible yet
    for args in (
        ["stats", "-f", "csv"],
        ["timeline", pod, "-f", "csv"],
        ["replay", "--at", "2025-09-11T20:52:00Z", "-f", "json"],
        ["report", "--out", str(tmp_path / "report.html")],
    ):
        res = run(*args, "--db", str(db))
        assert res.exit_code == 0, (args, res.stderr)
        assert pod in res.stdout or args[0] == "report", args
    assert pod in (tmp_path / "report.html").read_text()
    release(holder)
    after = run("query", "SELECT count(*) AS n FROM events", "--db", str(db), "-f", "csv")
    assert after.stdout == "n\n0\n"  # the writer's whole change, at once


def test_wait_takes_the_database_when_the_writer_finishes(
    db: Path, holder: subprocess.Popen[str]
) -> None:
    threading.Timer(1.0, release, [holder]).start()
    started = time.monotonic()
    res = run("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q", "--wait", "60")
    assert res.exit_code == 0, res.stderr
    assert time.monotonic() - started >= 1.0
    with Store(db, read_only=True) as store:
        # both writes kept, in order: the holder emptied events, then this ingest added its own
        assert store.scalar("SELECT count(*) FROM events") == n_items(K3S_SYS_EVENTS)


def test_wait_gives_up_after_its_time(db: Path, holder: subprocess.Popen[str]) -> None:
    started = time.monotonic()
    res = run("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q", "--wait", "0.5")
    assert res.exit_code == 4
    assert res.stderr.endswith("is writing this database (waited 0.5 s)\n")
    assert time.monotonic() - started >= 0.5


@pytest.mark.slow
def test_a_query_runs_during_a_real_ingest(db: Path, tmp_path: Path) -> None:
    before = snapshot(db)
    big = big_capture(tmp_path, "yaml")
    proc = start_ingest(big, db)
    wait_until_reading(proc, big, db)
    res = run("query", "SELECT count(*) AS n FROM pod_snapshots", "--db", str(db), "-f", "csv")
    still_writing = proc.poll() is None
    proc.communicate(timeout=300)
    assert still_writing  # the query ran while the ingest held the database
    assert res.exit_code == 0, res.stderr
    assert res.stdout == f"n\n{len(before['pod_snapshots'])}\n"
    assert proc.returncode == 0
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM pod_snapshots") == (
            len(before["pod_snapshots"]) + 300
        )


def test_a_write_keeps_the_database_file_mode(db: Path) -> None:
    db.chmod(0o640)
    res = run("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q")
    assert res.exit_code == 0, res.stderr
    assert db.stat().st_mode & 0o777 == 0o640

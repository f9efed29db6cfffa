"""Small writes change the database in place, inside one DuckDB transaction: no copy, and
still all or nothing. A writer killed (SIGKILL) in the middle leaves the database as before;
readers that open it meanwhile wait for the writer and then see its whole change; readers that
keep it open make the writer fall back to a copy instead of waiting for them."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from podreplay.errors import DatabaseBusyError, QueryError
from podreplay.store import Store, in_place_worthwhile
from tests.support.cli import run
from tests.support.dbstate import snapshot
from tests.support.ingest_process import release
from tests.support.paths import K3S_SYS_EVENTS, real

# an in-place writer: ingests a file and rebuilds (what `podreplay ingest` does for a small
# input), then holds its open transaction until told to finish
HOLDER = """
import sys
from podreplay.derive import ingest_and_rebuild
from podreplay.store import writing
with writing(sys.argv[1], in_place=True) as store:
    ingest_and_rebuild(store, [sys.argv[2]])
    store.execute("DELETE FROM events WHERE reason = 'Scheduled'")
    print("holding", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def db(k3s_db: Path) -> Path:
    """The k3s default namespace's database (conftest's `k3s_db`)."""
    return k3s_db


def start(db: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(real(K3S_SYS_EVENTS))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "holding\n"
    return proc


@pytest.fixture
def writer(db: Path) -> Iterator[subprocess.Popen[str]]:
    proc = start(db)
    yield proc
    release(proc)


def test_an_in_place_writer_makes_no_copy_and_readers_wait_for_it(
    db: Path, writer: subprocess.Popen[str]
) -> None:
    assert not list(db.parent.glob(f"{db.name}.writing-*"))
    with pytest.raises(DatabaseBusyError, match="in use by another process"):
        Store(db, read_only=True, open_wait=0.2)
    started = time.monotonic()
    timer = threading.Timer(1.0, release, [writer])  # the writer commits while this waits
    timer.start()
    with Store(db, read_only=True, open_wait=10) as store:
        assert time.monotonic() - started >= 1
        assert store.scalar("SELECT count(*) FROM events WHERE reason = 'Scheduled'") == 0
        assert store.scalar("SELECT count(DISTINCT source_id) FROM events") == 2
        n_pods = store.scalar("SELECT count(*) FROM pods")
    timer.join()
    assert n_pods > 0


def test_sigkill_of_an_in_place_writer_leaves_the_database_as_before(db: Path) -> None:
    before = snapshot(db)
    proc = start(db)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(db) == before
    # the next writer takes over as if nothing happened
    res = run("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q")
    assert res.exit_code == 0, res.stderr
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(DISTINCT source_id) FROM events") == 2


def test_a_reader_holding_the_file_makes_the_writer_copy_instead(db: Path) -> None:
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from podreplay.store import Store; s = Store(sys.argv[1], "
            "read_only=True); print('open', flush=True); sys.stdin.readline()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline() == "open\n"
    try:
        proc = start(db)  # waits IN_PLACE_WAIT_S for the reader, then works on a copy
        assert list(db.parent.glob(f"{db.name}.writing-*"))
        release(proc)
        assert proc.returncode == 0
    finally:
        release(reader)
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(DISTINCT source_id) FROM events") == 2


def test_only_small_inputs_into_bigger_databases_are_written_in_place(db: Path) -> None:
    size = db.stat().st_size
    assert in_place_worthwhile(db, size // 10)
    assert not in_place_worthwhile(db, size)
    assert not in_place_worthwhile(db, None)  # stdin: size unknown
    assert not in_place_worthwhile(db.with_name("new.duckdb"), 10)


def test_a_writer_killed_after_its_commit_left_the_whole_write(db: Path) -> None:
    """Killed between the commit and the CHECKPOINT: the write-ahead log holds the write, and
    the next reader and writer see it whole."""
    script = (
        "import os, sys\n"
        "from podreplay.derive import ingest_and_rebuild\n"
        "from podreplay.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "store.execute(\"SET checkpoint_threshold = '1GB'\")\n"
        "with store.transaction():\n"
        "    ingest_and_rebuild(store, [sys.argv[2]])\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(db), str(real(K3S_SYS_EVENTS))])
    assert proc.returncode == -signal.SIGKILL
    assert Path(f"{db}.wal").exists()
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(DISTINCT source_id) FROM events") == 2
        n_pods = store.scalar("SELECT count(*) FROM pods")
    res = run("ingest", str(real(K3S_SYS_EVENTS)), "--db", str(db), "-q")  # a duplicate now
    assert res.exit_code == 0, res.stderr
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(DISTINCT source_id) FROM events") == 2
        assert store.scalar("SELECT count(*) FROM pods") == n_pods


@pytest.mark.parametrize("failure", [KeyboardInterrupt, ValueError])
def test_a_failed_part_of_an_in_place_write_leaves_nothing_written(
    tmp_path: Path, failure: type[BaseException]
) -> None:
    """In place, every source shares the write's one transaction, and DuckDB cannot undo part
    of one: a source whose own transaction fails (Ctrl-C in the middle of storing it, which
    the ingest catches to keep the sources before it) dooms the whole write, so nothing of
    it lands, never half a source."""
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        store.execute("CREATE TABLE t (x INTEGER)")
        store.execute("INSERT INTO t VALUES (1)")
    expected = KeyboardInterrupt if failure is KeyboardInterrupt else QueryError
    with Store(db) as store, pytest.raises(expected), store.transaction():
        store.execute("INSERT INTO t VALUES (2)")  # a source stored whole
        with contextlib.suppress(failure), store.transaction():
            store.execute("INSERT INTO t VALUES (3)")  # half of the next one
            raise failure()
    with Store(db, read_only=True) as store:
        assert store.rows("SELECT x FROM t") == [(1,)]
        # the connection is usable again: the next write commits
    with Store(db) as store:
        with store.transaction():
            store.execute("INSERT INTO t VALUES (4)")
        assert store.rows("SELECT x FROM t ORDER BY x") == [(1,), (4,)]

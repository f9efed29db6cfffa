"""The DuckDB file: connecting, applying the schema, transactions and typed query helpers.

This is the only module that opens a DuckDB connection. It translates duckdb errors into
podreplay errors at its boundary and never prints.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from podreplay.errors import DatabaseBusyError, NotFoundError, QueryError, UsageError

OPEN_WAIT_S = 30.0  # how long opening waits for an in-place writer (small writes take ~1 s)
SCHEMA_VERSION = "2"  # 2: sources.cluster, capture_gaps
# the events stored by the pod they are about: a copy the incremental rebuild reads
# (sql/incremental_by_pod.sql); kept for the tool itself, so not exported
EVENTS_BY_POD = "events_by_pod"
# the events' time bounds per source and namespace (derive_10 reads them), kept in step like it
EVENT_BOUNDS = "event_bounds"
REBUILD_TABLES = (EVENTS_BY_POD, EVENT_BOUNDS)

if TYPE_CHECKING:
    import polars as pl

Params = Sequence[object] | dict[str, object] | None
T = TypeVar("T")
# Column types polars cannot take from an Arrow C stream (it panics): they go through .pl()
_NO_C_STREAM = re.compile(r"\b(INTERVAL|UNION)\b")


def sql_text(name: str) -> str:
    """The text of a SQL file shipped in podreplay/sql/ (e.g. 'schema.sql')."""
    return resources.files("podreplay.sql").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def sql_statements(name: str) -> list[str]:
    """The statements of a shipped SQL file, each to run on its own (with parameters): split
    where a line that is not a comment ends with `;` (duckdb.extract_statements parses the SQL
    to split it, 0.05-0.09 s for the derive files: too much for a small write;
    tests/test_incremental_rebuild.py checks both agree on every derive and ingest file)."""
    statements: list[str] = []
    lines: list[str] = []
    for line in sql_text(name).splitlines():
        lines.append(line)
        text = line.strip()
        if text.endswith(";") and not text.startswith("--"):
            statements.append("\n".join(lines))
            lines = []
    if any(x.strip() and not x.strip().startswith("--") for x in lines):
        statements.append("\n".join(lines))  # a last statement without its `;`
    return statements


def sql_files(prefix: str) -> list[str]:
    """Names of the shipped SQL files starting with `prefix`, in lexical (run) order."""
    names = [p.name for p in resources.files("podreplay.sql").iterdir()]
    return sorted(n for n in names if n.startswith(prefix) and n.endswith(".sql"))


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_database_path(db: Path) -> None:
    """Refuse, before anything is created, a database path whose folder does not exist or
    that names a file which is not a DuckDB database (a capture given as --db, say)."""
    if not db.parent.is_dir():
        raise NotFoundError(f"{db}: folder {db.parent} does not exist")
    if db.is_dir():
        raise UsageError(f"{db}: is a folder, not a database file")
    if db.is_file() and db.stat().st_size > 0:
        with db.open("rb") as f:
            head = f.read(12)
        if head[8:12] != DUCKDB_MAGIC:
            raise UsageError(
                f"{db}: not a podreplay database (a capture? ingest it: "
                f"podreplay ingest {db} --db DATABASE)"
            )


class Store:
    """A podreplay database: a DuckDB file (or ':memory:') with the podreplay schema.

    Writers create the file and apply the schema; readers open it read-only and never
    take the write lock. While a writer changes the file in place (`writing`, small writes)
    DuckDB's own file lock keeps others out: opening retries for up to `open_wait` seconds
    (default OPEN_WAIT_S), then fails with DatabaseBusyError.
    """

    def __init__(
        self, path: str | Path, *, read_only: bool = False, open_wait: float | None = None
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._depth = 0  # transaction() nesting
        self._doomed: BaseException | None = None  # a nested block failed: roll back all
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            raise NotFoundError(f"{self.path}: no such database (run `podreplay ingest` first)")
        if self.path != ":memory:":
            check_database_path(Path(self.path))
        self.con = self._connect(open_wait)
        self._configure()
        if not read_only:
            self.con.execute(sql_text("schema.sql"))
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION]
            )

    def _connect(self, open_wait: float | None) -> duckdb.DuckDBPyConnection:
        """Connect, retrying while another process holds DuckDB's lock on the file."""
        deadline = time.monotonic() + (OPEN_WAIT_S if open_wait is None else open_wait)
        while True:
            try:
                return duckdb.connect(self.path, read_only=self.read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise QueryError(
                        f"{self.path}: cannot open database: {_first_line(exc)}"
                    ) from exc
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise DatabaseBusyError(
                    f"{self.path}: the database is in use by another process (a podreplay "
                    "ingest writing it, or a foreign DuckDB client); try again when it finishes"
                ) from exc
            except duckdb.Error as exc:
                raise QueryError(f"{self.path}: cannot open database: {_first_line(exc)}") from exc

    def _configure(self) -> None:
        """The connection's own settings."""
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws its own progress bar on stdout during long queries: stdout is for data
        self.con.execute("SET enable_progress_bar = false")

    def cursor(self) -> Store:
        """Another connection to this open database, with transactions of its own (a second
        writer thread in the same process: `ingest_writers`). Close it before this one."""
        other = object.__new__(Store)
        other.path, other.read_only = self.path, self.read_only
        other._depth, other._doomed = 0, None
        other.con = self.con.cursor()
        other._configure()
        return other

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.con.close()

    def execute(self, sql: str, params: Params = None) -> duckdb.DuckDBPyConnection:
        """Run one statement (or a script when params is None) with duckdb parameters."""
        if params is None:
            return _translated(self.con.execute, sql)
        return _translated(self.con.execute, sql, params)

    @contextmanager
    def registered(self, frames: dict[str, object]) -> Iterator[None]:
        """Each frame (polars, Arrow) readable as a view of its name inside the block."""
        names: list[str] = []
        try:
            for name, frame in frames.items():
                _translated(self.con.register, name, frame)
                names.append(name)
            yield
        finally:
            for name in names:
                _translated(self.con.unregister, name)

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """All result rows as tuples."""
        return self.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row, or None."""
        # fetchall: duckdb 2.0 refuses new work while a result is only partly fetched
        rows = self.execute(sql, params).fetchall()
        return rows[0][0] if rows else None

    def records(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """All result rows as dicts of column name to value (no polars: a command that reads a
        few hundred rows need not load it)."""
        result = self.execute(sql, params)
        names = [d[0] for d in result.description or ()]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """The result as a polars DataFrame."""
        import polars as pl  # here: commands that read rows only do not load polars (~0.1 s)

        def read() -> pl.DataFrame:
            # duckdb 2.0: DB-API results have no .pl(); a relation does
            rel = self.con.sql(sql, params=params)
            if rel is None:
                return pl.DataFrame()
            if any(_NO_C_STREAM.search(str(t)) for t in rel.types):
                df: pl.DataFrame = rel.pl()
            else:  # polars reads the Arrow C stream; .pl() loads pyarrow (~30 ms a command)
                df = pl.DataFrame(rel)
            return df

        return _translated(read)

    def has_table(self, name: str) -> bool:
        """Whether a table or view of that name exists."""
        return self.has_tables([name])

    def has_tables(self, names: Sequence[str]) -> bool:
        """Whether a table or view exists under each of these names (one catalog query)."""
        found = self.scalar(
            "SELECT count(DISTINCT table_name) FROM information_schema.tables "
            "WHERE table_name IN (SELECT unnest(?))",
            [list(names)],
        )
        return int(found) == len(set(names))

    @contextmanager
    def memory_limit(self, limit: str | None) -> Iterator[None]:
        """DuckDB keeps its memory under `limit` inside the block, spilling to disk beyond it
        (None: unchanged); the previous limit is restored afterwards."""
        if limit is None:
            yield
            return
        previous = self.scalar("SELECT current_setting('memory_limit')")
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit, re.IGNORECASE):
            raise ValueError(f"not a memory size: {limit!r}")
        self.execute(f"SET memory_limit = '{limit}'")
        try:
            yield
        finally:
            self.execute("RESET memory_limit")  # exact when it was the default
            if self.scalar("SELECT current_setting('memory_limit')") != previous:
                self.execute(f"SET memory_limit = '{previous}'")

    @property
    def in_transaction(self) -> bool:
        """Whether a `transaction()` block is open (what runs now commits with it)."""
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all. Inside another transaction
        the block joins it; DuckDB cannot undo part of a transaction, so a nested block that
        ends in an exception dooms the outer one: even if the exception is caught, the outer
        block then rolls everything back and raises KeyboardInterrupt again if that was the
        exception (the CLI exits 130, nothing written), else QueryError."""
        if self._depth:
            self._depth += 1
            try:
                yield
            except BaseException as exc:
                self._doomed = self._doomed or exc
                raise
            finally:
                self._depth -= 1
            return
        self.execute("BEGIN TRANSACTION")
        self._depth, self._doomed = 1, None
        try:
            yield
        except BaseException:
            self._depth = 0
            self.execute("ROLLBACK")
            raise
        self._depth = 0
        doomed, self._doomed = self._doomed, None
        if doomed is not None:
            self.execute("ROLLBACK")
            if isinstance(doomed, KeyboardInterrupt):
                raise KeyboardInterrupt
            raise QueryError(f"{self.path}: part of this write failed ({doomed}); nothing written")
        self.execute("COMMIT")


LOCK_SUFFIX = ".lock"
WORK_MARK = ".writing-"


@contextmanager
def writing(
    path: str | Path, *, wait: float | None = None, in_place: bool = False
) -> Iterator[Store]:
    """A Store for changing the database at `path`: all of the change or none of it.

    Takes the exclusive lock `<db>.lock` (another writer: DatabaseBusyError, or poll up to
    `wait` seconds), then either
    * `in_place` (small writes): changes the file itself inside one DuckDB transaction. DuckDB's
      WAL makes the commit atomic (a failure, Ctrl-C or SIGKILL before it leaves the file as it
      was; the next open replays a committed WAL), and its file lock keeps readers out for the
      second or so it takes: they wait for it (Store's open_wait). If readers hold the file
      open for longer than IN_PLACE_WAIT_S, the write falls back to a copy;
    * or works on a copy beside the database and atomically renames it over the original on
      success: readers are never blocked and see the old file or the new one (a killed
      writer's copy is removed by the next writer). Copying costs about what reading the whole
      file costs, worth it for writes that take long (a big ingest) and the first write.
    """
    if str(path) == ":memory:":
        with Store(path) as store:
            yield store
        return
    db = Path(path)
    check_database_path(db)  # before the lock file is created beside it
    lock = _lock(db, wait)
    try:
        for stale in db.parent.glob(f"{db.name}{WORK_MARK}*"):
            stale.unlink(missing_ok=True)
        placed = _open_in_place(db) if in_place and db.exists() else None
        if placed is not None:
            with placed:
                with placed.transaction():
                    yield placed
                placed.execute("CHECKPOINT")
            return
        with _copy_of(db) as copy:
            yield copy
    finally:
        os.close(lock)


IN_PLACE_MAX_BYTES = 64 << 20  # inputs above this take seconds to ingest: copy, keep readers


def in_place_worthwhile(path: str | Path, input_bytes: int | None) -> bool:
    """Whether a write of `input_bytes` of captures should change the database in place: a
    small input into a database several times its size (the copy would cost more than the
    write, and readers wait for only a moment). Unknown sizes (stdin) copy."""
    db = Path(path)
    if input_bytes is None or str(path) == ":memory:" or not db.is_file():
        return False
    return input_bytes < IN_PLACE_MAX_BYTES and input_bytes * 4 < db.stat().st_size


IN_PLACE_WAIT_S = 2.0  # an in-place write waits this long for readers, then copies instead


def _open_in_place(db: Path) -> Store | None:
    """The database itself, opened for writing; None while readers keep it open."""
    try:
        return Store(db, open_wait=IN_PLACE_WAIT_S)
    except DatabaseBusyError:
        return None


@contextmanager
def _copy_of(db: Path) -> Iterator[Store]:
    """A Store on a copy of `db`, renamed over it when the block succeeds."""
    work = db.with_name(f"{db.name}{WORK_MARK}{os.getpid()}")
    if db.exists():
        # a read-only probe fails if a foreign process (duckdb CLI) holds it read-write
        Store(db, read_only=True).close()
        shutil.copyfile(db, work)
        shutil.copymode(db, work)  # the renamed copy keeps the database's permissions
        wal = Path(f"{db}.wal")
        if wal.exists():
            shutil.copyfile(wal, f"{work}.wal")
    try:
        with Store(work) as store:
            yield store
            store.execute("CHECKPOINT")
        os.replace(work, db)
    finally:
        for leftover in (work, Path(f"{work}.wal")):
            leftover.unlink(missing_ok=True)


def _lock(db: Path, wait: float | None) -> int:
    """Take `<db>.lock` exclusively (flock: released by the kernel if the holder dies)."""
    fd = os.open(f"{db}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + (wait or 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait is not None and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            waited = f" (waited {wait:g} s)" if wait else " (use --wait SECONDS to wait)"
            raise DatabaseBusyError(
                f"{db}: another podreplay process ({holder}) is writing this database{waited}"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        return fd


def _translated(call: Callable[..., T], *args: object) -> T:
    """A call into DuckDB with its errors as podreplay's: Ctrl-C a KeyboardInterrupt, the
    rest a QueryError."""
    try:
        return call(*args)
    except (duckdb.InterruptException, RuntimeError) as exc:
        raise _interrupted(exc) from None
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc


def _interrupted(exc: Exception) -> BaseException:
    """Ctrl-C inside a DuckDB query surfaces as 'Query interrupted': make it a KeyboardInterrupt
    so the CLI exits 130; any other RuntimeError is passed on unchanged."""
    if isinstance(exc, duckdb.InterruptException) or "interrupted" in str(exc).lower():
        return KeyboardInterrupt()
    return exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

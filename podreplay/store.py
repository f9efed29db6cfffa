"""The DuckDB file: connecting, applying the schema, transactions and typed query helpers.

This is the only module that opens a DuckDB connection. It translates duckdb errors into
podreplay errors at its boundary and never prints.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from podreplay.errors import DatabaseBusyError, NotFoundError, QueryError, UsageError
from podreplay.names import DB_ENV as DB_ENV
from podreplay.names import DEFAULT_DB as DEFAULT_DB

SCHEMA_VERSION = "2"  # 2: sources.cluster, capture_gaps

Params = Sequence[object] | dict[str, object] | None
# Column types polars cannot take from an Arrow C stream (it panics): they go through .pl()
_NO_C_STREAM = re.compile(r"\b(INTERVAL|UNION)\b")


def default_db_path() -> Path:
    """The database path used when --db is not given: $PODREPLAY_DB, else podreplay.duckdb."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


def sql_text(name: str) -> str:
    """The text of a SQL file shipped in podreplay/sql/ (e.g. 'schema.sql')."""
    return resources.files("podreplay.sql").joinpath(name).read_text(encoding="utf-8")


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
    take the write lock.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        if read_only and self.path != ":memory:" and not Path(self.path).exists():
            raise NotFoundError(f"{self.path}: no such database (run `podreplay ingest` first)")
        if self.path != ":memory:":
            check_database_path(Path(self.path))
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseBusyError(
                    f"{self.path}: the database is in use by another podreplay process"
                    " (try again when it finishes, or use --wait)"
                ) from exc
            raise QueryError(f"{self.path}: cannot open database: {_first_line(exc)}") from exc
        except duckdb.Error as exc:
            raise QueryError(f"{self.path}: cannot open database: {_first_line(exc)}") from exc
        self.con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws its own progress bar on stdout during long queries: stdout is for data
        self.con.execute("SET enable_progress_bar = false")
        if not read_only:
            self.con.execute(sql_text("schema.sql"))
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION]
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.con.close()

    def execute(self, sql: str, params: Params = None) -> duckdb.DuckDBPyConnection:
        """Run one statement (or a script when params is None) with duckdb parameters."""
        try:
            if params is None:
                return self.con.execute(sql)
            return self.con.execute(sql, params)
        except (duckdb.InterruptException, RuntimeError) as exc:
            raise _interrupted(exc) from None
        except duckdb.Error as exc:
            raise QueryError(_first_line(exc)) from exc

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """All result rows as tuples."""
        return self.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row, or None."""
        # fetchall: duckdb 2.0 refuses new work while a result is only partly fetched
        rows = self.execute(sql, params).fetchall()
        return rows[0][0] if rows else None

    def frame(self, sql: str, params: Params = None) -> pl.DataFrame:
        """The result as a polars DataFrame."""
        try:
            # duckdb 2.0: DB-API results have no .pl(); a relation does
            rel = self.con.sql(sql, params=params)
            if rel is None:
                return pl.DataFrame()
            if any(_NO_C_STREAM.search(str(t)) for t in rel.types):
                df: pl.DataFrame = rel.pl()
            else:  # polars reads the Arrow C stream; .pl() loads pyarrow (~30 ms a command)
                df = pl.DataFrame(rel)
            return df
        except (duckdb.InterruptException, RuntimeError) as exc:
            raise _interrupted(exc) from None
        except duckdb.Error as exc:
            raise QueryError(_first_line(exc)) from exc

    def has_table(self, name: str) -> bool:
        """Whether a table or view of that name exists."""
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
            )
        )

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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")


LOCK_SUFFIX = ".lock"
WORK_MARK = ".writing-"


@contextmanager
def writing(path: str | Path, *, wait: float | None = None) -> Iterator[Store]:
    """A Store for changing the database at `path` without ever blocking its readers.

    Takes the exclusive lock `<db>.lock` (another writer: DatabaseBusyError, or poll up to
    `wait` seconds), works on a copy beside the database and atomically renames it over the
    original on success. Readers see the old file or the new one, never a half-written one; a
    failure, Ctrl-C or SIGKILL leaves the original untouched (a killed writer's copy is removed
    by the next writer).
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
    finally:
        os.close(lock)


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


def _interrupted(exc: Exception) -> BaseException:
    """Ctrl-C inside a DuckDB query surfaces as 'Query interrupted': make it a KeyboardInterrupt
    so the CLI exits 130; any other RuntimeError is passed on unchanged."""
    if isinstance(exc, duckdb.InterruptException) or "interrupted" in str(exc).lower():
        return KeyboardInterrupt()
    return exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

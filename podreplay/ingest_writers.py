"""Storing a batch's plain sources on two connections at once.

A source whose storing is plain inserts (`ingest_write.plain`: its pod snapshots and its
`sources` row, as every file of a folder of snapshots) costs DuckDB about 4 ms of statement
set-up and commit whatever its size, and one connection runs one transaction at a time on one
core. `Writers` stores such sources on WRITERS connections to the same database at once: each
source is still one transaction of its own, stored whole or not at all, with the id the batch
planned for it; the results are reported in the batch's order. On Ctrl-C the (at most
WRITERS) sources begun are finished, a few milliseconds, and the others not begun, so what is
stored is still the sources before the first one reported not stored. Only a crash can leave
a source stored while the one before it is not (the two commits were under way together): the
next ingest of the folder stores that one, and skips the stored one as a duplicate.

The staged rows live in temp tables of the batch's connection, which no other connection
sees: they are copied into an in-memory catalog of the process, and each writer reads them
through temp views of the same names, so it runs the same statements.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from podreplay.ingest_model import IngestOptions, SourceResult
from podreplay.ingest_write import Pending, store_source
from podreplay.store import Store

WRITERS = 2  # connections storing at once: measured on 2 cores (commits take turns anyway)
# the batch's staged rows that storing a plain source reads (sql/ingest_35_pods_write.sql)
STAGED = ("new_pods", "stage_container_rows", "stage_condition_rows")
_CATALOGS = itertools.count()


class Writers:
    """WRITERS connections storing plain sources of one batch, each in its own transaction."""

    def __init__(
        self,
        store: Store,
        summaries: dict[int, dict[str, Any]],
        plan: dict[int, int | str],
        options: IngestOptions,
    ) -> None:
        self.store = store
        self.summaries = summaries
        self.plan = plan
        self.options = options
        self.catalog = f"podreplay_stage_{next(_CATALOGS)}"
        self.idle: list[Store] = []
        self.all: list[Store] = []
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Writers:
        try:
            self._open()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self) -> None:
        store, catalog = self.store, self.catalog
        store.execute(f"ATTACH ':memory:' AS {catalog}")
        # the batch's pod tables exist (and are this batch's) when a source stores pods
        pods = any(s["stored_pods"] is not None for s in self.summaries.values())
        staged = STAGED if pods else ()
        for name in staged:
            store.execute(f"CREATE TABLE {catalog}.{name} AS SELECT * FROM temp.main.{name}")
        for _ in range(WRITERS):
            writer = store.cursor()
            self.all.append(writer)
            writer.execute("PRAGMA disable_optimizer")  # one-row inserts: see ingest_write.Lean
            for name in staged:
                writer.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {catalog}.{name}")
        self.idle = list(self.all)
        self.pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="podreplay-writer")

    def submit(self, entry: Pending) -> Future[SourceResult]:
        """Store one plain source on the next free connection."""
        assert self.pool is not None
        return self.pool.submit(self._store, entry)

    def _store(self, entry: Pending) -> SourceResult:
        writer = self.idle.pop()  # list.pop is atomic; at most WRITERS tasks run at once
        try:
            summary = self.summaries[entry.src]
            store_source(writer, entry, summary, self.options, self.plan[entry.src])
        finally:
            self.idle.append(writer)
        return entry.result

    def __exit__(self, *exc: object) -> None:
        """Let the sources being stored finish (each a few milliseconds, on Ctrl-C too: what
        is begun is stored whole), drop the ones not begun, close the connections and the
        catalog."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for writer in self.all:
            writer.close()
        self.store.execute(f"DETACH DATABASE IF EXISTS {self.catalog}")

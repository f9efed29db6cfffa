"""Reading small sources into one batch: the `stage` table (column `src`) that
`ingest_write.normalize` then normalises in one run of the SQL steps."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import nullcontext, suppress
from typing import Any

import polars as pl

from podreplay.errors import QueryError
from podreplay.ingest_model import IngestOptions, SourceResult
from podreplay.ingest_write import (
    Lean,
    Pending,
    normalize,
    plain,
    plan_sources,
    prepare,
    store_source,
)
from podreplay.ingest_writers import Writers
from podreplay.readers import ByteSource, ReadStats, open_binary, read_items
from podreplay.store import Store

BATCH = 50_000  # staged rows handed to DuckDB at a time
# a batch of small files: at most this many sources or bytes (the staged rows live in memory)
BATCH_SOURCES = 256
BATCH_BYTES = 16 << 20


class _Hashing:
    """Hashes the raw bytes as they are read."""

    def __init__(self, raw: ByteSource) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        return data


class Batch:
    """Sources read into one `stage` table (column `src`), normalised by one run of the
    `ingest_*.sql` steps, then stored one by one, each in its own transaction."""

    def __init__(self, store: Store, options: IngestOptions) -> None:
        self.store = store
        self.options = options
        self.entries: list[Pending | SourceResult] = []
        self.lists: list[tuple[int, int, str]] = []
        self.rows: dict[str, list[Any]] = {k: [] for k in _STAGE_SCHEMA}
        self.seq = 0
        self.bytes = 0
        self.staged = False
        self.stored = 0  # entries already stored (or reported)

    def full(self) -> bool:
        return len(self.entries) >= BATCH_SOURCES or self.bytes >= BATCH_BYTES

    def add_result(self, source: SourceResult) -> None:
        """A source that is already settled (failed, or no capture): reported in its turn."""
        self.entries.append(source)

    def first_unstored(self) -> str | None:
        """The name of the first source not stored yet (where Ctrl-C stopped)."""
        for entry in self.entries[self.stored :]:
            return entry.result.path if isinstance(entry, Pending) else entry.path
        return None

    def read_file(self, name: str) -> None:
        with open(name, "rb") as fh:
            self.read(fh, name)

    def read(self, raw: ByteSource, name: str) -> None:
        """Read one source into the batch; a reader error (InputError) leaves nothing of it."""
        hashing = _Hashing(raw)
        stream = open_binary(hashing, name, self.options.max_decompressed)
        stats = ReadStats()
        result = SourceResult(path=name)
        items = read_items(stream, name, stats, self.options.on_bytes)
        first = next(items, None)
        if first is None and stats.values == 0:
            # nothing but text (a log, a README): no transaction (must-gathers hold thousands)
            _drain(stream)
            result.status = "not-a-capture"
            result.format = "empty" if stats.format == "empty" else "text"
            result.n_text_lines = stats.text_lines_skipped
            if stats.first_text_line is not None:
                result.first_reject = f"line {stats.first_text_line}"
            self.entries.append(result)
            return
        if not self.staged:
            prepare(self.store)
            self.store.execute(
                "CREATE OR REPLACE TEMP TABLE stage (seq BIGINT, location VARCHAR, "
                "listed BOOLEAN, error VARCHAR, doc VARCHAR, valid BOOLEAN, list_no INTEGER, "
                "src INTEGER)"
            )
            self.staged = True
        src = len(self.entries)
        n_items = 0
        try:
            if first is not None:
                items = itertools.chain([first], items)
            for item in items:
                for key, value in (
                    ("seq", self.seq),
                    ("location", item.location),
                    ("listed", item.listed),
                    ("error", item.error),
                    ("doc", item.text),
                    ("list_no", item.list_no),
                    ("go", item.go_internal),
                    ("src", src),
                ):
                    self.rows[key].append(value)
                self.seq += 1
                self.bytes += len(item.text or "")
                n_items += 1
                if len(self.rows["seq"]) >= BATCH:
                    _flush(self.store, self.rows)
            _drain(stream)
        except BaseException:
            _flush(self.store, self.rows)
            self.store.execute("DELETE FROM stage WHERE src = ?", [src])
            raise
        result.format = stats.format
        result.n_text_lines = stats.text_lines_skipped
        self.lists += [(src, no, kind) for no, kind in stats.list_kinds.items()]
        self.entries.append(Pending(src, result, stats, n_items, hashing.sha.hexdigest()))

    def store_all(self, finish: Callable[[SourceResult], None]) -> None:
        """Normalise what was read, store each source in its own transaction, in order."""
        pending = [e for e in self.entries if isinstance(e, Pending)]
        summaries: dict[int, dict[str, Any]] = {}
        plan: dict[int, int | str] = {}
        if pending:
            _flush(self.store, self.rows)
            summaries = normalize(self.store, pending, self.lists, self.options)
            plan = plan_sources(self.store, pending, summaries, self.options)
        lean = Lean(self.store)
        # several plain sources, each committed on its own: stored by `Writers`, two at a time,
        # reported in order (inside a transaction, as an in-place write, they commit together)
        many = not self.store.in_transaction and sum(plain(summaries[p.src]) for p in pending) > 1
        writers = Writers(self.store, summaries, plan, self.options) if many else None
        queue: deque[SourceResult | Future[SourceResult]] = deque()
        try:
            with writers or nullcontext():
                for entry in self.entries[self.stored :]:
                    if isinstance(entry, SourceResult):
                        queue.append(entry)
                    elif writers is not None and plain(summaries[entry.src]):
                        lean.set(True)  # one thread: the setting is the database's, theirs too
                        queue.append(writers.submit(entry))
                    else:
                        self._report(queue, finish, wait=True)  # what it joins is stored
                        # one source (a large file, stdin, one small write) keeps the defaults
                        lean.set(len(pending) > 1 and plain(summaries[entry.src]))
                        summary = summaries[entry.src]
                        store_source(self.store, entry, summary, self.options, plan[entry.src])
                        queue.append(entry.result)
                    self._report(queue, finish, wait=False)
                self._report(queue, finish, wait=True)
        except KeyboardInterrupt:
            # the writers finished the sources they had begun: those are stored, and reported
            # (up to one that failed: its error gives way to the interrupt)
            with suppress(QueryError):
                self._report(queue, finish, wait=False)
            raise
        finally:
            lean.restore()
        self.close()

    def _report(
        self,
        queue: deque[SourceResult | Future[SourceResult]],
        finish: Callable[[SourceResult], None],
        *,
        wait: bool,
    ) -> None:
        """Report the queued sources in order as far as they are stored (all when `wait`); a
        source that failed raises here, in its turn; one never begun (Ctrl-C) ends the report."""
        while queue:
            head = queue[0]
            if isinstance(head, Future):
                if not (wait or head.done()) or head.cancelled():
                    return
                head = head.result()
            queue.popleft()
            self.stored += 1
            finish(head)

    def close(self) -> None:
        """Forget the batch (and free its staged rows)."""
        if self.staged:
            self.store.execute("DROP TABLE IF EXISTS stage")
        self.entries, self.lists, self.seq, self.bytes, self.stored = [], [], 0, 0, 0
        self.rows = {k: [] for k in _STAGE_SCHEMA}
        self.staged = False


_STAGE_SCHEMA = {
    "seq": pl.Int64,
    "location": pl.String,
    "listed": pl.Boolean,
    "error": pl.String,
    "doc": pl.String,
    "list_no": pl.Int32,
    "go": pl.Boolean,
    "src": pl.Int32,
}
# Go-internal objects (kubectl < 1.10): ObjectMeta's fields sit at the top level; moved under
# `metadata` as the API prints them
_GO_METADATA = (
    "name",
    "generateName",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
)
_GO_META_SQL = "json_object({})".format(", ".join(f"'{k}', d->'{k}'" for k in _GO_METADATA))
_GO_KEY = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9]|$)")
_GO_RENAMED = {"LastTerminationState": "lastState"}


def _json_key(go_name: str) -> str:
    """A Go field name as the API's JSON spells it: UID -> uid, APIVersion -> apiVersion,
    HostIP -> hostIP, FirstTimestamp -> firstTimestamp."""
    if go_name in _GO_RENAMED:
        return _GO_RENAMED[go_name]
    acronym = _GO_KEY.match(go_name)
    if acronym and len(acronym.group()) > 1:
        return acronym.group().lower() + go_name[acronym.end() :]
    return go_name[:1].lower() + go_name[1:]


def _go_keys(batch: pl.DataFrame) -> pl.DataFrame:
    """Rename the CamelCase keys of Go-internal objects, one vectorised pass over the batch."""
    go = batch.filter(pl.col("go"))
    if go.is_empty():
        return batch
    found = go.select(pl.col("doc").str.extract_all(r'"[A-Z][A-Za-z0-9]*":').explode().unique())
    keys = [k for k in found.to_series().to_list() if k]
    new = [f'"{_json_key(k[1:-2])}":' for k in keys]
    return batch.with_columns(
        pl.when(pl.col("go"))
        .then(pl.col("doc").str.replace_many(keys, new))
        .otherwise(pl.col("doc"))
        .alias("doc")
    )


def _flush(store: Store, rows: dict[str, list[Any]]) -> None:
    if not rows["seq"]:
        return
    batch = _go_keys(pl.DataFrame(rows, schema=_STAGE_SCHEMA))
    for values in rows.values():
        values.clear()
    with store.registered({"stage_batch": batch}):
        # documents are stored minified, as DuckDB writes JSON (the fast path's form too)
        store.execute(
            "INSERT INTO stage SELECT seq, location, listed, error, "
            "CASE WHEN NOT valid THEN doc WHEN go "
            f"THEN json_merge_patch(d, json_object('metadata', {_GO_META_SQL}))::VARCHAR "
            "ELSE d::VARCHAR END, valid, list_no, src "
            "FROM (SELECT *, CASE WHEN valid THEN json(doc) END AS d "
            "FROM (SELECT *, error IS NULL AND json_valid(doc) AS valid FROM stage_batch))"
        )


def _drain(stream: ByteSource) -> None:
    while stream.read(1 << 20):
        pass

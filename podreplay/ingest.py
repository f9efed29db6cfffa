"""Ingesting capture sources into the store: one transaction per source, nothing lost.

A source is a file, a file found under a directory, or stdin. Its objects are staged by
`readers` (or, for large plain JSON, by DuckDB through `fastpath`) and normalised by the
`sql/ingest_*.sql` steps. Small files are read and normalised in batches (statements cost per
run, not per row), then stored one source per transaction by the `*_write.sql` steps.
Re-ingesting identical bytes is a no-op (sources are keyed by sha256 and observation time).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import sys
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from podreplay import archives, fastpath
from podreplay.errors import InputError, NotFoundError
from podreplay.names import DEFAULT_CLUSTER
from podreplay.readers import (
    DEFAULT_MAX_DECOMPRESSED,
    ByteSource,
    ReadStats,
    open_binary,
    read_items,
)
from podreplay.store import Store, sql_text

BATCH = 50_000
# bounded memory for GB-sized sources: DuckDB spills to disk beyond it (the 1M-event, 1.3 GB
# benchmark List peaks at about 1.2 GB of process memory with it)
DEFAULT_MEMORY_LIMIT = "1GB"
STDIN = "-"

_FILE_TS = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})T(\d{2})[:_-]?(\d{2})[:_-]?(\d{2})(?:\.\d+)?Z", re.IGNORECASE
)


@dataclass
class SourceResult:
    """What happened to one source."""

    path: str
    status: str = "ingested"  # ingested | duplicate | not-a-capture | failed
    format: str = "unknown"
    n_objects: int = 0
    n_events: int = 0
    n_pods: int = 0
    n_skipped: int = 0
    n_rejects: int = 0
    n_foreign: int = 0  # JSON/YAML values that are no Kubernetes object (in n_skipped too)
    n_text_lines: int = 0  # lines of text between documents and in log sections, skipped
    skipped_kinds: str | None = None
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    observed_at: datetime | None = None
    observed_basis: str | None = None
    first_reject: str | None = None  # "location: error" of the first rejected object
    error: str | None = None  # why a failed source failed


@dataclass
class IngestResult:
    """The outcome of one ingest call."""

    sources: list[SourceResult] = field(default_factory=list)
    interrupted: str | None = None  # the source Ctrl-C stopped (rolled back); later ones unread

    @property
    def n_rejects(self) -> int:
        return sum(s.n_rejects for s in self.sources)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if s.status == "failed"]


@dataclass(frozen=True)
class IngestOptions:
    """Settings that apply to every source of one ingest call."""

    observed_at: datetime | None = None
    cluster: str = DEFAULT_CLUSTER  # the cluster these sources were captured from
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
    on_bytes: Callable[[int], None] | None = None
    on_source: Callable[[str], None] | None = None
    fast_min_bytes: int = fastpath.DEFAULT_MIN_BYTES  # smaller files: the Python reader
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT  # DuckDB spills to disk beyond this


def file_timestamp(path: str) -> datetime | None:
    """A UTC observation time written in a file name (YYYYMMDDTHHMMSSZ or RFC 3339-like)."""
    matches = list(_FILE_TS.finditer(Path(path).name))
    if not matches:
        return None
    y, mo, d, h, mi, s = (int(g) for g in matches[-1].groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except ValueError:
        return None


def expand_paths(paths: Iterable[str | Path]) -> list[str]:
    """Files named, plus every file under named directories (sorted); '-' stays stdin."""
    out: list[str] = []
    for raw in paths:
        text = str(raw)
        if text == STDIN:
            out.append(STDIN)
            continue
        path = Path(text)
        if path.is_dir():
            found = sorted(path.rglob("*"))
            out.extend(str(p) for p in found if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            out.append(text)
        else:
            raise NotFoundError(f"{text}: no such file or directory")
    return out


def total_bytes(paths: Sequence[str]) -> int | None:
    """Sum of the file sizes, or None when stdin is among them."""
    if STDIN in paths:
        return None
    return sum(Path(p).stat().st_size for p in paths)


def ingest_paths(
    store: Store, paths: Sequence[str | Path], options: IngestOptions | None = None
) -> IngestResult:
    """Ingest every source under `paths`; each source commits or rolls back on its own."""
    options = options or IngestOptions()
    files = expand_paths(paths)
    explicit = {str(p) for p in paths}
    result = IngestResult()
    with store.memory_limit(options.memory_limit):
        _ingest_files(store, files, explicit, options, result)
    return result


def _ingest_files(
    store: Store,
    files: list[str],
    explicit: set[str],
    options: IngestOptions,
    result: IngestResult,
) -> None:
    """Small plain files are read in batches (one set of statements normalises a batch); each
    source is still stored in a transaction of its own, in order."""

    def finish(source: SourceResult) -> None:
        result.sources.append(_explain(source, explicit))

    batch = _Batch(store, options)
    name = ""
    try:
        for name in files:
            if options.on_source is not None:
                options.on_source(name)
            if name != STDIN and _batchable(name, options):
                try:
                    batch.read_file(name)
                except InputError as exc:
                    batch.add_result(SourceResult(path=name, status="failed", error=str(exc)))
                if batch.full():
                    batch.store_all(finish)
                continue
            batch.store_all(finish)
            try:
                if name == STDIN:
                    source = ingest_stream(store, sys.stdin.buffer, "<stdin>", options)
                elif archives.sniff(name, options.max_decompressed):
                    _ingest_archive(store, name, options, result)
                    continue
                else:
                    source = ingest_file(store, name, options)
            except InputError as exc:
                source = SourceResult(path=name, status="failed", error=str(exc))
            finish(source)
        batch.store_all(finish)
    except KeyboardInterrupt:
        # the source being stored is rolled back; the ones before it stay committed
        result.interrupted = batch.first_unstored() or name
    finally:
        batch.close()


# a batch of small files: at most this many sources or bytes (the staged rows live in memory)
BATCH_SOURCES = 256
BATCH_BYTES = 16 << 20


def _batchable(name: str, options: IngestOptions) -> bool:
    """A plain file small enough for the Python reader (no archive, no fast path)."""
    size = os.path.getsize(name)
    if size >= min(options.fast_min_bytes, BATCH_BYTES):
        return False
    return not archives.sniff(name, options.max_decompressed)


def _explain(source: SourceResult, explicit: set[str]) -> SourceResult:
    """A file named on the command line that holds no capture is an error, with its reason."""
    name = source.path
    if source.status == "not-a-capture" and name in explicit:
        source.status = "failed"
        if source.format == "empty":
            source.error = f"{name}:byte 0: empty file, no Kubernetes objects"
        elif source.format == "not-kubernetes":
            source.error = (
                f"{name}: no Kubernetes objects found ({source.n_foreign} JSON/YAML values "
                "without kind or apiVersion)"
            )
        else:
            where = f"{name}:{source.first_reject}" if source.first_reject else name
            source.error = f"{where}: no Kubernetes objects found (not JSON or YAML)"
    return source


def _ingest_archive(store: Store, name: str, options: IngestOptions, result: IngestResult) -> None:
    """Each member of a .tar(.gz)/.tgz/.zip archive is a source of its own (`archive!member`);
    a member's failure is its own, a bound passed (size, members) ends the archive."""
    member_options = replace(options, on_bytes=None)
    try:
        for member in archives.members(name, options.max_decompressed):
            if member.stream is None:
                error = f"{member.name}: {member.refused}"
                result.sources.append(SourceResult(path=member.name, status="failed", error=error))
                continue
            try:
                source = ingest_stream(store, member.stream, member.name, member_options)
            except InputError as exc:
                if isinstance(exc, archives.ArchiveLimit) or exc.path == name:
                    raise  # the archive itself went past a bound or is damaged
                source = SourceResult(path=member.name, status="failed", error=str(exc))
            result.sources.append(source)
    except InputError as exc:
        result.sources.append(SourceResult(path=name, status="failed", error=str(exc)))
    if options.on_bytes is not None:
        options.on_bytes(os.path.getsize(name))


class _Hashing:
    """Hashes the raw bytes as they are read."""

    def __init__(self, raw: ByteSource) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha.update(data)
        return data


class _Duplicate(Exception):
    """Raised inside the transaction to undo a source already ingested."""


class _Redo(Exception):
    """A fast-path source with rejects: read it again with the Python reader."""


@dataclass
class _Pending:
    """A source read into the batch, waiting for its transaction."""

    src: int
    result: SourceResult
    stats: ReadStats
    n_items: int
    digest: str


class _Batch:
    """Sources read into one `stage` table (column `src`), normalised by one run of the
    `ingest_*.sql` steps, then stored one by one, each in its own transaction."""

    def __init__(self, store: Store, options: IngestOptions) -> None:
        self.store = store
        self.options = options
        self.entries: list[_Pending | SourceResult] = []
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
            return entry.result.path if isinstance(entry, _Pending) else entry.path
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
            _prepare(self.store)
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
        self.entries.append(_Pending(src, result, stats, n_items, hashing.sha.hexdigest()))

    def store_all(self, finish: Callable[[SourceResult], None]) -> None:
        """Normalise what was read, store each source in its own transaction, in order."""
        pending = [e for e in self.entries if isinstance(e, _Pending)]
        summaries: dict[int, dict[str, Any]] = {}
        if pending:
            _flush(self.store, self.rows)
            summaries = _normalize(self.store, pending, self.lists, self.options)
        for entry in self.entries[self.stored :]:
            if isinstance(entry, _Pending):
                _store_source(self.store, entry, summaries[entry.src], self.options)
                entry = entry.result
            self.stored += 1
            finish(entry)
        self.close()

    def close(self) -> None:
        """Forget the batch (and free its staged rows)."""
        if self.staged:
            self.store.execute("DROP TABLE IF EXISTS stage")
        self.entries, self.lists, self.seq, self.bytes, self.stored = [], [], 0, 0, 0
        self.rows = {k: [] for k in _STAGE_SCHEMA}
        self.staged = False


def ingest_stream(store: Store, raw: ByteSource, name: str, options: IngestOptions) -> SourceResult:
    """Ingest one source inside one transaction and report what happened."""
    batch = _Batch(store, options)
    results: list[SourceResult] = []
    try:
        batch.read(raw, name)
        batch.store_all(results.append)
    finally:
        batch.close()
    return results[0]


def ingest_file(store: Store, name: str, options: IngestOptions) -> SourceResult:
    """Ingest one file: large plain JSON through DuckDB's reader (`fastpath`), the rest (and
    anything the fast path refuses) through the streaming Python reader."""
    plan = fastpath.plan(name) if os.path.getsize(name) >= options.fast_min_bytes else None
    if plan is not None:
        try:
            staged = fastpath.stage(store, plan)
        except fastpath.Refused:
            staged = None
        if staged is not None:
            try:
                return _ingest_staged(store, name, options, staged)
            except _Redo:
                pass  # something was rejected: the Python reader knows its exact line
            finally:
                fastpath.drop_stage(store)
    with open(name, "rb") as fh:
        return ingest_stream(store, fh, name, options)


def _ingest_staged(
    store: Store, name: str, options: IngestOptions, staged: fastpath.Staged
) -> SourceResult:
    """Normalise and record a source the fast path already staged (as source 0)."""
    stats = ReadStats(format=staged.format)
    stats.values = staged.n_items
    result = SourceResult(path=name, format=staged.format)
    pending = _Pending(0, result, stats, staged.n_items, staged.sha256)
    lists = [(0, 0, staged.list_kind)] if staged.list_kind else []
    _prepare(store)
    summary = _normalize(store, [pending], lists, options)[0]
    if summary["n_rejects"]:
        raise _Redo
    _store_source(store, pending, summary, options)
    if options.on_bytes is not None:
        options.on_bytes(os.path.getsize(name))
    return result


def _observed(name: str, options: IngestOptions) -> tuple[datetime | None, datetime | None]:
    """(the time a source was observed, if given or in its name; the time in its name)."""
    file_ts = None if name == "<stdin>" else file_timestamp(name)
    return options.observed_at or file_ts, file_ts


def _normalize(
    store: Store,
    pending: list[_Pending],
    lists: list[tuple[int, int, str]],
    options: IngestOptions,
) -> dict[int, dict[str, Any]]:
    """Run the normalisation steps over every staged source at once; each one's summary."""
    meta = pl.DataFrame(
        {
            "src": [p.src for p in pending],
            "observed_at": [options.observed_at for _ in pending],
            "file_ts": [_observed(p.result.path, options)[1] for p in pending],
        },
        schema={
            "src": pl.Int32,
            "observed_at": pl.Datetime("us", "UTC"),
            "file_ts": pl.Datetime("us", "UTC"),
        },
    )
    kinds_of = pl.DataFrame(
        {
            "src": [s for s, _, _ in lists],
            "list_no": [n for _, n, _ in lists],
            "kind": [k for _, _, k in lists],
        },
        schema={"src": pl.Int32, "list_no": pl.Int32, "kind": pl.String},
    )
    store.con.register("batch_meta", meta)
    store.con.register("batch_lists", kinds_of)
    try:
        store.execute(
            "CREATE OR REPLACE TEMP TABLE stage_meta AS SELECT * FROM batch_meta; "
            "CREATE OR REPLACE TEMP TABLE stage_lists AS SELECT * FROM batch_lists"
        )
    finally:
        store.con.unregister("batch_meta")
        store.con.unregister("batch_lists")
    _run(store, "ingest_10_classify.sql")
    summaries: dict[int, dict[str, Any]] = {
        p.src: {
            "kinds": {},
            "n_foreign": 0,
            "n_events": 0,
            "n_pods": 0,
            "n_rejects": 0,
            "first_reject": None,
            "events_span": (None, None),
            "pods_span": (None, None),
        }
        for p in pending
    }
    rows = store.rows(
        "SELECT src, kind, count(*) FILTER (WHERE kind IS NOT NULL), "
        "count(*) FILTER (WHERE is_foreign) FROM stage_class "
        "WHERE kind IS NOT NULL OR is_foreign GROUP BY ALL"
    )
    for src, kind, n, foreign in rows:
        summary = summaries[src]
        summary["n_foreign"] += int(foreign)
        if kind is not None:
            summary["kinds"][kind] = int(n)
    all_kinds = {k for s in summaries.values() for k in s["kinds"]}
    if "Event" in all_kinds:
        _run(store, "ingest_20_events.sql")
        for src, n, first, last in store.rows(
            "SELECT src, count(*), min(first_ts), max(last_ts) FROM stage_events "
            "WHERE error = '' GROUP BY src"
        ):
            summaries[src]["n_events"] = n
            summaries[src]["events_span"] = (first, last)
    if "CaptureGap" in all_kinds:
        _run(store, "ingest_50_gaps.sql")
    if "Pod" in all_kinds:
        _run(store, "ingest_30_pods.sql")
        for src, n, first, last in store.rows(
            "SELECT src, count(*), min(observed_at), max(observed_at) FROM timed_pods GROUP BY src"
        ):
            summaries[src]["n_pods"] = n
            summaries[src]["pods_span"] = (first, last)
    for src, n, location, error in store.rows(
        "SELECT src, count(*), first(location ORDER BY step, seq), first(error ORDER BY step, seq)"
        " FROM stage_rejects GROUP BY src"
    ):
        summaries[src]["n_rejects"] = n
        summaries[src]["first_reject"] = f"{location}: {error}"
    for summary in summaries.values():
        _summarize(summary)
    return summaries


def _summarize(summary: dict[str, Any]) -> None:
    """The sources-row counts of one source from its kinds and spans."""
    kinds: dict[str, int] = summary["kinds"]
    foreign = summary["n_foreign"]
    others = {k: n for k, n in kinds.items() if k not in ("Event", "Pod", "CaptureGap")}
    summary["n_objects"] = sum(kinds.values()) + foreign
    summary["n_skipped"] = sum(others.values()) + foreign
    ranked = sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))
    summary["skipped_kinds"] = ", ".join(f"{k}:{n}" for k, n in ranked) or None
    spans = []
    if "Event" in kinds:
        spans.append(summary["events_span"])
    if "Pod" in kinds:
        spans.append(summary["pods_span"])
    firsts = [f for f, _ in spans if f is not None]
    lasts = [t for _, t in spans if t is not None]
    summary["first_ts"] = min(firsts) if firsts else None
    summary["last_ts"] = max(lasts) if lasts else None


def _store_source(
    store: Store, pending: _Pending, summary: dict[str, Any], options: IngestOptions
) -> None:
    """Store one normalised source in its own transaction: duplicate check, its rows, its
    sources row."""
    result = pending.result
    observed, file_ts = _observed(result.path, options)
    try:
        with store.transaction():
            # not a sequence: a source rolled back (duplicate) leaves no gap; the writer lock
            # (store.writing) makes max + 1 safe. Identical bytes observed at another time (an
            # unchanged snapshot) are new evidence.
            source_id, seen = store.rows(
                "SELECT coalesce(max(source_id), 0) + 1, count(*) FILTER (WHERE sha256 = ? "
                "AND observed_at IS NOT DISTINCT FROM ? AND cluster = ?) FROM sources",
                [pending.digest, observed, options.cluster],
            )[0]
            if seen:
                raise _Duplicate
            if summary["n_foreign"] and summary["n_objects"] == summary["n_foreign"]:
                # JSON or YAML, but no Kubernetes object in it (a must-gather's
                # cpu_affinities.json)
                result.status = "not-a-capture"
                result.format = "not-kubernetes"
                result.n_foreign = summary["n_foreign"]
                raise _Duplicate
            _store_rows(store, pending.src, int(source_id), summary, options.cluster)
            basis = "option" if options.observed_at else "file_name" if file_ts else None
            store.execute(
                "INSERT INTO sources VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    source_id,
                    result.path,
                    pending.digest,
                    pending.stats.format,
                    summary["n_objects"],
                    summary["n_rejects"],
                    summary["n_events"],
                    summary["n_pods"],
                    summary["n_skipped"],
                    summary["skipped_kinds"],
                    observed,
                    basis,
                    summary["first_ts"],
                    summary["last_ts"],
                    options.cluster,
                ],
            )
    except _Duplicate:
        if result.status != "not-a-capture":
            result.status = "duplicate"
        return
    _fill_result(store, result, int(source_id), summary, observed, basis)


def _store_rows(
    store: Store, src: int, source_id: int, summary: dict[str, Any], cluster: str
) -> None:
    """The rows of source `src` of the batch into the tables, as source `source_id` of
    `cluster`."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE cur AS SELECT ?::INTEGER AS src, ?::INTEGER AS source_id, "
        "?::VARCHAR AS cluster",
        [src, source_id, cluster],
    )
    if summary["n_rejects"]:
        store.execute(
            "INSERT INTO rejects SELECT (SELECT source_id FROM cur), location, error, "
            "left(doc, 65536) FROM stage_rejects WHERE src = (SELECT src FROM cur) "
            "ORDER BY step, seq"
        )
    if summary["n_events"]:
        _run(store, "ingest_25_events_write.sql")
    if summary["n_pods"]:
        _run(store, "ingest_35_pods_write.sql")
    if _OWNER_KINDS & summary["kinds"].keys():
        _run(store, "ingest_45_owners_write.sql")
    if "CaptureGap" in summary["kinds"]:  # written by `podreplay capture`
        _run(store, "ingest_55_gaps_write.sql")


_OWNER_KINDS = {
    "ReplicaSet",
    "Job",
    "StatefulSet",
    "DaemonSet",
    "Deployment",
    "CronJob",
    "ReplicationController",
}


# connections whose temp macros (ingest_00_macros.sql) exist: created once, outside any
# source's transaction (a rolled-back source would take them with it)
_PREPARED: weakref.WeakSet[Store] = weakref.WeakSet()


def _prepare(store: Store) -> None:
    """Create the normalisation macros once per connection."""
    if store not in _PREPARED:
        _run(store, "ingest_00_macros.sql")
        _PREPARED.add(store)


@functools.cache
def _script(name: str) -> str:
    return sql_text(name)


def _run(store: Store, name: str) -> None:
    """Run a shipped SQL script (its text read once per process)."""
    store.execute(_script(name))


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
    store.con.register("stage_batch", batch)
    try:
        # documents are stored minified, as DuckDB writes JSON (the fast path's form too)
        store.execute(
            "INSERT INTO stage SELECT seq, location, listed, error, "
            "CASE WHEN NOT valid THEN doc WHEN go "
            f"THEN json_merge_patch(d, json_object('metadata', {_GO_META_SQL}))::VARCHAR "
            "ELSE d::VARCHAR END, valid, list_no, src "
            "FROM (SELECT *, CASE WHEN valid THEN json(doc) END AS d "
            "FROM (SELECT *, error IS NULL AND json_valid(doc) AS valid FROM stage_batch))"
        )
    finally:
        store.con.unregister("stage_batch")


def _drain(stream: ByteSource) -> None:
    while stream.read(1 << 20):
        pass


def _fill_result(
    store: Store,
    result: SourceResult,
    source_id: int,
    summary: dict[str, Any],
    observed: datetime | None,
    basis: str | None,
) -> None:
    keys = (
        "n_objects",
        "n_events",
        "n_pods",
        "n_skipped",
        "n_foreign",
        "n_rejects",
        "skipped_kinds",
    )
    for key in keys:
        setattr(result, key, summary[key])
    result.first_ts = summary["first_ts"]
    result.last_ts = summary["last_ts"]
    result.observed_at = observed
    result.observed_basis = basis
    if result.observed_basis is None and result.n_pods:
        result.observed_basis = str(
            store.scalar(
                "SELECT string_agg(DISTINCT observed_basis, ',') FROM pod_snapshots "
                "WHERE source_id = ?",
                [source_id],
            )
        )
    if summary["first_reject"] is not None:
        result.first_reject = summary["first_reject"]

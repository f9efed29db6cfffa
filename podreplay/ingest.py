"""Ingesting capture sources into the store: one transaction per source, nothing lost.

A source is a file, a file found under a directory, or stdin. Its objects are staged by
`readers` (or, for large plain JSON, by DuckDB through `fastpath`) and normalised by the
`sql/ingest_*.sql` steps. Re-ingesting identical bytes is a no-op (sources are keyed by sha256
and observation time).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import sys
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from podreplay import archives, fastpath
from podreplay.errors import InputError, NotFoundError
from podreplay.readers import (
    DEFAULT_MAX_DECOMPRESSED,
    ByteSource,
    Item,
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
    for name in files:
        if options.on_source is not None:
            options.on_source(name)
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
        except KeyboardInterrupt:
            # this source's transaction is rolled back; the ones before it stay committed
            result.interrupted = name
            return
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
        result.sources.append(source)


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
    """Raised inside a fast-path source's transaction to read it again with the Python reader."""


def ingest_stream(store: Store, raw: ByteSource, name: str, options: IngestOptions) -> SourceResult:
    """Ingest one source inside one transaction and report what happened."""
    hashing = _Hashing(raw)
    stream = open_binary(hashing, name, options.max_decompressed)
    stats = ReadStats()
    result = SourceResult(path=name)
    items = read_items(stream, name, stats, options.on_bytes)
    first = next(items, None)
    if first is None and stats.values == 0:
        # nothing but text (a log, a README): no transaction (must-gathers hold thousands)
        _drain(stream)
        result.status = "not-a-capture"
        result.format = "empty" if stats.format == "empty" else "text"
        result.n_text_lines = stats.text_lines_skipped
        if stats.first_text_line is not None:
            result.first_reject = f"line {stats.first_text_line}"
        return result
    _prepare(store)
    try:
        with store.transaction():
            store.execute(
                "CREATE OR REPLACE TEMP TABLE stage (seq BIGINT, location VARCHAR, "
                "listed BOOLEAN, error VARCHAR, doc VARCHAR, valid BOOLEAN, list_no INTEGER)"
            )
            if first is not None:
                items = itertools.chain([first], items)
            n_items = _stage(store, items)
            result.format = stats.format
            result.n_text_lines = stats.text_lines_skipped
            _drain(stream)
            _stage_lists(store, stats.list_kinds)
            _commit_staged(store, result, options, stats, n_items, hashing.sha.hexdigest())
            store.execute("DROP TABLE stage")
    except _Duplicate:
        if result.status != "not-a-capture":
            result.status = "duplicate"
    return result


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
    """Normalise and record a source the fast path already staged, in one transaction."""
    stats = ReadStats(format=staged.format)
    stats.values = staged.n_items
    result = SourceResult(path=name, format=staged.format)
    _prepare(store)
    try:
        with store.transaction():
            _stage_lists(store, {0: staged.list_kind} if staged.list_kind else {})
            _commit_staged(store, result, options, stats, staged.n_items, staged.sha256)
            if result.n_rejects:
                raise _Redo
    except _Duplicate:
        if result.status != "not-a-capture":
            result.status = "duplicate"
    if options.on_bytes is not None:
        options.on_bytes(os.path.getsize(name))
    return result


def _commit_staged(
    store: Store,
    result: SourceResult,
    options: IngestOptions,
    stats: ReadStats,
    n_items: int,
    digest: str,
) -> None:
    """Everything after staging: duplicate check, normalisation, the sources row."""
    name = result.path
    file_ts = None if name == "<stdin>" else file_timestamp(name)
    observed = options.observed_at or file_ts
    # not a sequence: a source rolled back (duplicate, or read again) leaves no gap; the
    # writer lock (store.writing) makes max + 1 safe. Identical bytes observed at another time
    # (an unchanged snapshot) are new evidence. One query for both (per-file cost).
    source_id, seen = store.rows(
        "SELECT coalesce(max(source_id), 0) + 1, count(*) FILTER (WHERE sha256 = ? "
        "AND observed_at IS NOT DISTINCT FROM ?) FROM sources",
        [digest, observed],
    )[0]
    if seen:
        raise _Duplicate
    store.execute(
        "CREATE OR REPLACE TEMP TABLE stage_meta AS SELECT ?::INTEGER AS source_id, "
        "?::TIMESTAMPTZ AS observed_at, ?::TIMESTAMPTZ AS file_ts",
        [source_id, options.observed_at, file_ts],
    )
    summary = _normalize(store, source_id)
    if summary["n_foreign"] and summary["n_objects"] == summary["n_foreign"]:
        # JSON or YAML, but no Kubernetes object in it (a must-gather's cpu_affinities.json)
        result.status = "not-a-capture"
        result.format = "not-kubernetes"
        result.n_foreign = summary["n_foreign"]
        raise _Duplicate
    basis = "option" if options.observed_at else "file_name" if file_ts is not None else None
    store.execute(
        "INSERT INTO sources VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source_id,
            name,
            digest,
            stats.format,
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
        ],
    )
    _fill_result(store, result, source_id, summary, observed, basis)


_OWNER_KINDS = {
    "ReplicaSet",
    "Job",
    "StatefulSet",
    "DaemonSet",
    "Deployment",
    "CronJob",
    "ReplicationController",
}


def _normalize(store: Store, source_id: int) -> dict[str, Any]:
    """Run the normalisation steps this source needs; returns its summary counts."""
    _run(store, "ingest_10_classify.sql")
    counted = store.rows(
        "SELECT kind, count(*) FILTER (WHERE kind IS NOT NULL), count(*) FILTER (WHERE is_foreign)"
        " FROM stage_class WHERE kind IS NOT NULL OR is_foreign GROUP BY kind"
    )
    kinds: dict[str, int] = {k: int(n) for k, n, _ in counted if k is not None}
    foreign = sum(int(f) for _, _, f in counted)
    summary: dict[str, Any] = {"n_events": 0, "n_pods": 0, "first_ts": None, "last_ts": None}
    spans: list[tuple[Any, Any]] = []
    if "Event" in kinds:
        _run(store, "ingest_20_events.sql")
        n, first, last = store.rows(
            "SELECT count(*), min(first_ts), max(last_ts) FROM stage_events WHERE error = ''"
        )[0]
        summary["n_events"] = n
        spans.append((first, last))
    if "Pod" in kinds:
        _run(store, "ingest_30_pods.sql")
        n, first, last = store.rows(
            "SELECT count(*), min(observed_at), max(observed_at) FROM timed_pods"
        )[0]
        summary["n_pods"] = n
        spans.append((first, last))
    if _OWNER_KINDS & kinds.keys():
        _run(store, "ingest_40_owners.sql")
    others = {k: n for k, n in kinds.items() if k not in ("Event", "Pod")}
    summary["n_objects"] = sum(kinds.values()) + foreign
    summary["n_skipped"] = sum(others.values()) + foreign
    summary["n_foreign"] = foreign
    ranked = sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))
    summary["skipped_kinds"] = ", ".join(f"{k}:{n}" for k, n in ranked) or None
    firsts = [f for f, _ in spans if f is not None]
    lasts = [t for _, t in spans if t is not None]
    summary["first_ts"] = min(firsts) if firsts else None
    summary["last_ts"] = max(lasts) if lasts else None
    n_rejects, location, error = store.rows(
        "SELECT count(*), first(location), first(error) FROM rejects WHERE source_id = ?",
        [source_id],
    )[0]
    summary["n_rejects"] = n_rejects
    summary["first_reject"] = f"{location}: {error}" if n_rejects else None
    return summary


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


def _stage(store: Store, items: Iterator[Item]) -> int:
    """Insert the items into the temp `stage` table in batches; returns how many."""
    rows: dict[str, list[Any]] = {k: [] for k in _STAGE_SCHEMA}
    count = 0
    for item in items:
        rows["seq"].append(count)
        rows["location"].append(item.location)
        rows["listed"].append(item.listed)
        rows["error"].append(item.error)
        rows["doc"].append(item.text)
        rows["list_no"].append(item.list_no)
        rows["go"].append(item.go_internal)
        count += 1
        if count % BATCH == 0:
            _flush(store, rows)
    _flush(store, rows)
    return count


_STAGE_SCHEMA = {
    "seq": pl.Int64,
    "location": pl.String,
    "listed": pl.Boolean,
    "error": pl.String,
    "doc": pl.String,
    "list_no": pl.Int32,
    "go": pl.Boolean,
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
            "ELSE d::VARCHAR END, valid, list_no "
            "FROM (SELECT *, CASE WHEN valid THEN json(doc) END AS d "
            "FROM (SELECT *, error IS NULL AND json_valid(doc) AS valid FROM stage_batch))"
        )
    finally:
        store.con.unregister("stage_batch")


def _stage_lists(store: Store, kinds: dict[int, str]) -> None:
    """The kind each List of the source gives its items (`PodList` -> `Pod`)."""
    store.execute("CREATE OR REPLACE TEMP TABLE stage_lists (list_no INTEGER, kind VARCHAR)")
    if kinds:
        store.con.executemany("INSERT INTO stage_lists VALUES (?, ?)", list(kinds.items()))


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

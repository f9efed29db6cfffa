"""Ingesting capture sources into the store: one transaction per source, nothing lost.

A source is a file, a file found under a directory, or stdin. Its objects are staged by
`readers` (or, for large plain JSON, by DuckDB through `fastpath`) and normalised by the
`sql/ingest_*.sql` steps. Small files are read and normalised in batches (statements cost per
run, not per row), then stored one source per transaction by the `*_write.sql` steps.
Re-ingesting identical bytes is a no-op (sources are keyed by sha256 and observation time).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from podreplay import archives, fastpath
from podreplay.errors import InputError, NotFoundError
from podreplay.ingest_model import (
    DEFAULT_MEMORY_LIMIT,
    IngestOptions,
    IngestResult,
    SourceResult,
    file_timestamp,
)
from podreplay.ingest_stage import BATCH_BYTES, Batch
from podreplay.ingest_write import Pending, normalize, plan_sources, prepare, store_source
from podreplay.readers import ByteSource, ReadStats
from podreplay.store import Store

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "IngestOptions",
    "IngestResult",
    "SourceResult",
    "expand_paths",
    "file_timestamp",
    "ingest_file",
    "ingest_paths",
    "ingest_stream",
    "total_bytes",
]

STDIN = "-"


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

    batch = Batch(store, options)
    name = ""
    handled = 0  # files read into the batch or stored: Ctrl-C names the first one after them
    try:
        for name in files:
            if options.on_source is not None:
                options.on_source(name)
            if name != STDIN and _batchable(name, options):
                try:
                    batch.read_file(name)
                except InputError as exc:
                    batch.add_result(SourceResult(path=name, status="failed", error=str(exc)))
                handled += 1
                if batch.full():
                    batch.store_all(finish)
                continue
            batch.store_all(finish)
            try:
                if name == STDIN:
                    source = ingest_stream(store, sys.stdin.buffer, "<stdin>", options)
                elif archives.sniff(name, options.max_decompressed):
                    _ingest_archive(store, name, options, result)
                    handled += 1
                    continue
                else:
                    source = ingest_file(store, name, options)
            except InputError as exc:
                source = SourceResult(path=name, status="failed", error=str(exc))
            finish(source)
            handled += 1
        batch.store_all(finish)
    except KeyboardInterrupt:
        # the source being stored is rolled back; the ones before it stay committed
        after = files[handled] if handled < len(files) else name
        result.interrupted = batch.first_unstored() or after
    finally:
        batch.close()


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


class _Redo(Exception):
    """A fast-path source with rejects: read it again with the Python reader."""


def ingest_stream(store: Store, raw: ByteSource, name: str, options: IngestOptions) -> SourceResult:
    """Ingest one source inside one transaction and report what happened."""
    batch = Batch(store, options)
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
    pending = Pending(0, result, stats, staged.n_items, staged.sha256)
    lists = [(0, 0, staged.list_kind)] if staged.list_kind else []
    prepare(store)
    summary = normalize(store, [pending], lists, options)[0]
    if summary["n_rejects"]:
        raise _Redo
    plan = plan_sources(store, [pending], {0: summary}, options)
    store_source(store, pending, summary, options, plan[0])
    if options.on_bytes is not None:
        options.on_bytes(os.path.getsize(name))
    return result

"""The `podreplay ingest` command."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    ExitCode,
    FormatOption,
    OutputFormat,
    app,
    note,
    reporting_errors,
    stderr_is_tty,
)
from podreplay.cli.output import emit
from podreplay.derive import rebuild
from podreplay.errors import UsageError
from podreplay.ingest import (
    DEFAULT_CLUSTER,
    IngestOptions,
    IngestResult,
    expand_paths,
    ingest_paths,
    total_bytes,
)
from podreplay.readers import DEFAULT_MAX_DECOMPRESSED
from podreplay.store import Store, writing

PROGRESS_MIN_BYTES = 8 << 20


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Capture files or directories (recursed); '-' reads stdin. .gz is decompressed."
        ),
    ],
    db: DbOption = DEFAULT_DB_PATH,
    observed_at: Annotated[
        str | None,
        typer.Option(
            "--observed-at",
            help="When the pod snapshots in these files were taken (RFC 3339). Default: a "
            "YYYYMMDDTHHMMSSZ time in the file name, else each record's own stamp, else the "
            "latest timestamp inside the snapshot.",
        ),
    ] = None,
    cluster: Annotated[
        str,
        typer.Option(
            "--cluster",
            metavar="NAME",
            help="The cluster these captures come from: pods of different clusters never "
            "merge, and each cluster's capture scopes end on their own.",
        ),
    ] = DEFAULT_CLUSTER,
    max_gz_size: Annotated[
        int,
        typer.Option("--max-gz-size", help="Refuse .gz inputs that expand beyond this many bytes."),
    ] = DEFAULT_MAX_DECOMPRESSED,
    fmt: FormatOption = OutputFormat.table,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary table.")
    ] = False,
    wait: Annotated[
        float | None,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            help="If another ingest is writing the database, wait up to this long (default: "
            "fail at once with exit code 4).",
        ),
    ] = None,
) -> None:
    """Load kubectl captures (events, pods, watch streams, dumps) into the database.

    Every object lands in the tables or in `rejects` with its place and the reason. Each
    source is one transaction; re-ingesting the same bytes changes nothing. Exit code 1
    when any object was rejected or a source could not be read.

    Example: podreplay ingest sample_logs/ --db demo.duckdb
    """
    with reporting_errors():
        when = _parse_time(observed_at) if observed_at else None
        if not cluster.strip():
            raise UsageError("--cluster: give a cluster name")
        files = expand_paths(paths)
        size = total_bytes(files)
        # works on a copy renamed over the database at the end: readers are never blocked,
        # and a failed, interrupted or killed ingest leaves the database as it was
        with writing(db, wait=wait) as store:
            options = IngestOptions(observed_at=when, cluster=cluster, max_decompressed=max_gz_size)
            show_bar = not quiet and stderr_is_tty() and size is not None
            # the rebuild too stays within the ingest's memory limit (it spills beyond it)
            with store.memory_limit(options.memory_limit):
                if show_bar and size is not None and size >= PROGRESS_MIN_BYTES:
                    result = _with_progress(store, paths, options, size)
                else:
                    result = ingest_paths(store, paths, options)
                rebuild(store)
        if not quiet:
            emit(summary_frame(result), fmt, title="ingested sources")
        if result.interrupted is not None:
            note(
                f"podreplay: interrupted while reading {result.interrupted} "
                "(not loaded; the sources before it were)"
            )
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        _report_problems(result)


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--observed-at: not an RFC 3339 time: {text!r}") from None
    if value.tzinfo is None:
        raise UsageError(f"--observed-at: give a time zone (e.g. {text}Z)")
    return value


def _with_progress(
    store: Store, paths: list[str], options: IngestOptions, size: int
) -> IngestResult:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("ingesting", total=size)

        def advance(n: int) -> None:
            progress.advance(task, n)

        def describe(name: str) -> None:
            progress.update(task, description=Path(name).name[:40])

        opts = IngestOptions(
            observed_at=options.observed_at,
            cluster=options.cluster,
            max_decompressed=options.max_decompressed,
            on_bytes=advance,
            on_source=describe,
        )
        return ingest_paths(store, paths, opts)


def summary_frame(result: IngestResult) -> pl.DataFrame:
    """One row per source: what was read and what happened to it."""
    return pl.DataFrame(
        {
            "source": [s.path for s in result.sources],
            "status": [s.status for s in result.sources],
            "format": [s.format for s in result.sources],
            "objects": [s.n_objects for s in result.sources],
            "events": [s.n_events for s in result.sources],
            "pods": [s.n_pods for s in result.sources],
            "skipped": [s.n_skipped for s in result.sources],
            "rejects": [s.n_rejects for s in result.sources],
            "first_ts": [s.first_ts for s in result.sources],
            "last_ts": [s.last_ts for s in result.sources],
            "observed": [s.observed_basis for s in result.sources],
        },
        schema_overrides={
            "first_ts": pl.Datetime("us", "UTC"),
            "last_ts": pl.Datetime("us", "UTC"),
            "observed": pl.String,
        },
    )


def _report_problems(result: IngestResult) -> None:
    bad = False
    for source in result.sources:
        if source.status == "failed":
            note(f"podreplay: error: {source.error}")
            bad = True
        elif source.n_rejects:
            extra = f" (+{source.n_rejects - 1} more)" if source.n_rejects > 1 else ""
            note(
                f"podreplay: error: {source.path}:{source.first_reject}{extra}; "
                "kept in the rejects table"
            )
            bad = True
        elif source.status == "duplicate":
            note(f"podreplay: {source.path}: already ingested (same content), skipped")
        elif source.status == "not-a-capture":
            note(f"podreplay: {source.path}: no Kubernetes objects, skipped")
        if source.skipped_kinds:
            kinds = source.skipped_kinds
            note(f"podreplay: {source.path}: other kinds counted, not loaded: {kinds}")
    if bad:
        raise typer.Exit(int(ExitCode.ERROR))

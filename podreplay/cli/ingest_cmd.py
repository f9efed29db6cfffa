"""The `podreplay ingest` command."""

from __future__ import annotations

from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    ExitCode,
    FormatOption,
    HeldInterrupt,
    OutputFormat,
    app,
    note,
    reporting_errors,
    stderr_is_tty,
)
from podreplay.errors import UsageError
from podreplay.names import DEFAULT_CLUSTER, DEFAULT_MAX_DECOMPRESSED
from podreplay.times import ABSOLUTE_FORMS, parse_moment

if TYPE_CHECKING:
    import polars as pl

    from podreplay.ingest import IngestOptions, IngestResult, SourceResult
    from podreplay.store import Store

PROGRESS_MIN_BYTES = 8 << 20


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Capture files, directories (recursed) or .tar.gz/.tgz/.zip archives (read as "
            "the folder inside); '-' reads stdin. .gz is decompressed."
        ),
    ],
    db: DbOption = DEFAULT_DB_PATH,
    observed_at: Annotated[
        str | None,
        typer.Option(
            "--observed-at",
            metavar="TIME",
            help="When the pod snapshots in these files were taken. Default: a "
            "YYYYMMDDTHHMMSSZ time in the file name, else each record's own stamp, else the "
            f"latest timestamp inside the snapshot. {ABSOLUTE_FORMS}",
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
        typer.Option(
            "--max-gz-size",
            help="Refuse .gz inputs and archives that expand beyond this many bytes.",
        ),
    ] = DEFAULT_MAX_DECOMPRESSED,
    fmt: FormatOption = OutputFormat.table,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress bar, no per-file notices (already ingested, skipped) and one "
            "summary line on stderr instead of the table; errors still print.",
        ),
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
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    import polars as pl

    from podreplay.cli.output import emit
    from podreplay.derive import ingest_and_rebuild
    from podreplay.ingest import IngestOptions, expand_paths, total_bytes
    from podreplay.render.terminal import with_total
    from podreplay.store import in_place_worthwhile, writing

    with reporting_errors():
        when = parse_moment(observed_at, None, "--observed-at") if observed_at else None
        if not cluster.strip():
            raise UsageError("--cluster: give a cluster name")
        files = expand_paths(paths)
        size = total_bytes(files)
        # a small input into a big database changes it in place in one transaction (readers
        # wait a moment), a big one works on a copy renamed over it (readers never wait); a
        # failed, interrupted or killed ingest leaves the database as it was either way
        in_place = in_place_worthwhile(db, size)
        held = HeldInterrupt()  # Ctrl-C in the rebuild or the commit waits for them to finish
        with held, writing(db, wait=wait, in_place=in_place) as store:
            options = IngestOptions(observed_at=when, cluster=cluster, max_decompressed=max_gz_size)
            show_bar = not quiet and stderr_is_tty() and size is not None
            # the rebuild too stays within the ingest's memory limit (it spills beyond it)
            with store.memory_limit(options.memory_limit):
                bar = show_bar and size is not None and size >= PROGRESS_MIN_BYTES
                result, _ = ingest_and_rebuild(
                    store,
                    paths,
                    options,
                    ingest=partial(_with_progress, size=size or 0) if bar else None,
                    before_rebuild=held.start,
                )
        if quiet:
            if result.interrupted is None:
                note(summary_line(result))
        else:
            frame = summary_frame(result)
            if fmt is OutputFormat.table:
                span = (pl.col("first_ts").min(), pl.col("last_ts").max())
                frame = with_total(frame, "source", f"total ({frame.height} sources)", span)
            emit(frame, fmt, "ingested sources", drop_first=_DROP_FIRST, keep=_KEEP)
        if result.interrupted is not None:
            note(
                f"podreplay: interrupted while reading {result.interrupted} "
                "(not loaded; the sources before it were)"
            )
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        if held.caught:
            note("podreplay: interrupted; the sources read before it were kept")
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        _report_problems(result, quiet)


def _with_progress(
    store: Store, paths: list[str], options: IngestOptions, *, size: int
) -> IngestResult:
    from rich.progress import (  # only when a bar is drawn
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from podreplay.ingest import IngestOptions, ingest_paths

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
    import polars as pl  # not at the top: `--help` must not load polars

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


# a narrow terminal loses these columns first, and never the ones a user adds up
_DROP_FIRST = ("observed", "format", "objects", "first_ts", "last_ts")
_KEEP = ("status", "events", "pods", "skipped", "rejects")


_STATUSES = (
    ("ingested", "ingested"),
    ("duplicate", "already ingested"),
    ("not-a-capture", "not captures"),
    ("failed", "failed"),
)
_COUNTS = (
    ("n_events", "events"),
    ("n_pods", "pod snapshots"),
    ("n_skipped", "skipped"),
    ("n_rejects", "rejects"),
)


def summary_line(result: IngestResult) -> str:
    """The whole ingest in one line (what -q prints)."""
    sources = result.sources
    statuses = [s.status for s in sources]
    kept = ", ".join(f"{statuses.count(k)} {label}" for k, label in _STATUSES if k in statuses)
    counts = ", ".join(f"{sum(getattr(s, a) for s in sources):,} {label}" for a, label in _COUNTS)
    files = f"{len(sources)} file{'s' if len(sources) != 1 else ''}"
    return f"podreplay: {files} ({kept or 'none'}): {counts}"


def _report_problems(result: IngestResult, quiet: bool) -> None:
    bad = False
    for line in [] if quiet else skipped_notices(result):
        note(line)
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
        elif quiet:
            continue
        elif source.status == "duplicate":
            note(f"podreplay: {source.path}: already ingested (same content), skipped")
        elif source.status == "ingested" and (source.n_text_lines or source.n_foreign):
            note(f"podreplay: {source.path}: {_skipped_text(source)}")
        if source.skipped_kinds and not quiet:
            kinds = source.skipped_kinds
            note(f"podreplay: {source.path}: other kinds counted, not loaded: {kinds}")
    if bad:
        raise typer.Exit(int(ExitCode.ERROR))


def _skipped_text(source: SourceResult) -> str:
    parts = []
    if source.n_text_lines:
        parts.append(f"{source.n_text_lines} lines of text skipped")
    if source.n_foreign:
        parts.append(f"{source.n_foreign} JSON/YAML values that are no Kubernetes object skipped")
    return ", ".join(parts)


def skipped_notices(result: IngestResult) -> list[str]:
    """One notice per kind of file (its extension) skipped for holding no Kubernetes object
    (a must-gather's `nodes/*/cpu_affinities.json`, pod logs), not one per file."""
    groups: dict[str, list[str]] = {}
    for source in result.sources:
        if source.status == "not-a-capture":
            suffix = PurePosixPath(source.path.rsplit("!", 1)[-1]).suffix
            groups.setdefault(suffix, []).append(source.path)
    lines = []
    for suffix, paths in groups.items():
        if len(paths) == 1:
            lines.append(f"podreplay: {paths[0]}: no Kubernetes objects, skipped")
            continue
        what = f"{suffix} files" if suffix else "files without extension"
        lines.append(
            f"podreplay: {len(paths)} {what} hold no Kubernetes objects, skipped (e.g. {paths[0]})"
        )
    return lines

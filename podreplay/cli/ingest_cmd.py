"""The `podreplay ingest` command."""

from __future__ import annotations

from functools import partial
from pathlib import Path
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
    interrupted,
    note,
    reporting_errors,
    stderr_is_tty,
)
from podreplay.errors import UsageError
from podreplay.names import DEFAULT_CLUSTER, DEFAULT_MAX_DECOMPRESSED
from podreplay.times import ABSOLUTE_FORMS, parse_moment

if TYPE_CHECKING:
    from podreplay.ingest import IngestOptions, IngestResult
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
    from podreplay.cli.output import show
    from podreplay.derive import ingest_and_rebuild
    from podreplay.ingest import IngestOptions, expand_paths, total_bytes
    from podreplay.render.terminal import ingest_summary
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
                note(ingest_summary.summary_line(result))
        else:
            show([ingest_summary.sources_table(result, total=fmt is OutputFormat.table)], fmt)
        if result.interrupted is not None:
            interrupted(
                f" while reading {result.interrupted} (not loaded; the sources before it were)"
            )
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        if held.caught:
            interrupted("; the sources read before it were kept")
            raise typer.Exit(int(ExitCode.INTERRUPTED))
        lines, failed = ingest_summary.problems(result, quiet)
        for line in lines:
            note(line)
        if failed:
            raise typer.Exit(int(ExitCode.ERROR))


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

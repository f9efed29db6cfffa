"""The `podreplay export` command."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import DEFAULT_DB_PATH, DbOption, app, note, reporting_errors
from podreplay.errors import UsageError


class TraceGroup(StrEnum):
    """What a trace's processes are."""

    namespace = "namespace"
    node = "node"


@app.command()
def export(
    parquet: Annotated[
        Path | None,
        typer.Option(
            "--parquet",
            metavar="DIR",
            help="Directory to write one Parquet file (or namespace-partitioned folder) per "
            "table and view, plus _manifest.json.",
        ),
    ] = None,
    trace: Annotated[
        str | None,
        typer.Option(
            "--trace",
            metavar="FILE",
            help="Chrome trace-event JSON file for ui.perfetto.dev or chrome://tracing "
            "('-' for stdout).",
        ),
    ] = None,
    group_by: Annotated[
        TraceGroup | None,
        typer.Option(
            "--group-by",
            help="Trace processes: one per namespace (the default) or per node.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Export the database: every table and view as Parquet (Hive-partitioned by namespace
    where it has one), or the pods' lifecycles as a Perfetto / Chrome trace.

    Example: podreplay export --trace trace.json --group-by node --db podreplay.duckdb
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    from podreplay.export import MANIFEST, export_parquet
    from podreplay.store import Store
    from podreplay.trace import export_trace, write_trace

    with reporting_errors():
        if parquet is None and trace is None:
            raise UsageError("nothing to export: give --parquet DIR and/or --trace FILE")
        if group_by is not None and trace is None:
            raise UsageError("--group-by applies to --trace only")
        grouping = (group_by or TraceGroup.namespace).value
        with Store(db, read_only=True) as store:
            if parquet is not None:
                written = export_parquet(store, parquet)
                rows = sum(o.rows for o in written)
                note(
                    f"wrote {len(written)} tables and views ({rows} rows) to {parquet};"
                    f" see {MANIFEST}"
                )
            if trace == "-":
                summary = write_trace(store, sys.stdout, grouping)
                sys.stdout.flush()
            elif trace is not None:
                summary = export_trace(store, trace, grouping)
            if trace is not None:
                note(
                    f"wrote {summary.pods} pods in {summary.groups} {grouping}s"
                    f" ({summary.tracks} tracks, {summary.slices} slices,"
                    f" {summary.instants} events, {summary.flows} probe-kill flows)"
                    f" to {'stdout' if trace == '-' else trace} (open it in ui.perfetto.dev)"
                )

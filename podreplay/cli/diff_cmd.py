"""The `podreplay diff` command."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    FormatOption,
    OutputFormat,
    app,
    note,
    reporting_errors,
)
from podreplay.errors import UsageError
from podreplay.names import DIFF_SECTIONS as SECTIONS


class DiffBy(StrEnum):
    """How pods are grouped in a comparison."""

    workload = "workload"
    namespace = "namespace"
    node = "node"


WINDOW_HELP = (
    "FROM..TO; each end: start, end, +DURATION (after the capture start), -DURATION (before "
    "the capture end), a time of day (20:45), an ISO 8601 time, or empty (the capture's own "
    "end). Durations: 90s, 30m, 1h30m."
)


@app.command(name="diff")
def diff_cmd(
    databases: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="DATABASES",
            help="Two databases to compare, or one compared with itself over two windows "
            "(none: --db).",
            show_default=False,
        ),
    ] = None,
    before: Annotated[
        str | None,
        typer.Option("--before", metavar="WINDOW", help=f"The before side's window: {WINDOW_HELP}"),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option("--after", metavar="WINDOW", help="The after side's window (as --before)."),
    ] = None,
    by: Annotated[
        DiffBy, typer.Option("--by", help="Group by workload, namespace or node.")
    ] = DiffBy.workload,
    section: Annotated[
        str | None,
        typer.Option("--section", help=f"Print only one section: {', '.join(SECTIONS)}."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write a self-contained HTML page."),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Compare two captures (or two windows of one) per workload, namespace or node: pods,
    p50/p90 time to scheduled and ready, image pull, time Pending and not Ready, restarts per
    running pod-hour by cause, and failure reasons that are new or gone.

    Table output prints both sections; JSON an object of sections; CSV the metrics unless
    --section picks the other.

    Example: podreplay diff yesterday.duckdb today.duckdb --by workload

    Example: podreplay diff podreplay.duckdb --before 'start..+15m' --after '+15m..end'
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    from podreplay.cli.output import emit, emit_document, show
    from podreplay.diff import diff
    from podreplay.render.terminal import sections

    with reporting_errors():
        paths = list(databases or [])
        if len(paths) > 2:
            raise UsageError("give at most two databases: BEFORE and AFTER")
        if section is not None and section not in SECTIONS:
            raise UsageError(f"--section must be one of {', '.join(SECTIONS)}, not {section!r}")
        if not paths:
            paths = [db]
        result = diff(paths[0], paths[-1], by=by.value, before=before, after=after)
        if html is not None:
            # plotly and the page code load only when a page is asked for
            from podreplay.render.html.diff_page import write_diff_page

            write_diff_page(result, html)
        note(f"before: {result.before.label()}")
        note(f"after:  {result.after.label()}")
        if section is not None:
            emit(result.section(section), fmt, section)
        elif fmt is OutputFormat.json:
            emit_document(sections.sections_document(sections.diff_frames(result)))
        elif fmt is OutputFormat.csv:
            emit(result.metrics, fmt)
        else:
            show(sections.diff_tables(result, by.value), fmt)
        if html is not None:
            note(f"wrote {html}")

"""The `podreplay report` command."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    NamespaceOption,
    app,
    note,
    reporting_errors,
)
from podreplay.errors import UsageError
from podreplay.store import Store


@app.command()
def report(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="HTML file to write.", dir_okay=False)
    ] = Path("report.html"),
    namespace: NamespaceOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only pods alive after this time (RFC 3339, or +5m from the start)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only pods alive before this time (RFC 3339, or -5m)."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Page title.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Write a self-contained HTML report: overview, cluster timeline, a time slider showing
    the cluster state at any moment, distributions, worst offenders and pod timelines.

    The file works offline (plotly.js is embedded) and can be attached to an incident ticket.

    Example: podreplay report --db demo.duckdb --out report.html
    """
    with reporting_errors():
        # Imported here: plotly is heavy and must stay off the --help path.
        from podreplay.render.report import write_report
        from podreplay.render.report_data import capture_span

        with Store(db, read_only=True) as store:
            start, end = capture_span(store)
            lo = _moment(since, start, end)
            hi = _moment(until, start, end)
            if lo is not None and hi is not None and lo > hi:
                raise UsageError(f"--since {since} is after --until {until}")
            summary = write_report(store, out, namespace=namespace, since=lo, until=hi, title=title)
        note(summary.line())


def _moment(text: str | None, start: datetime | None, end: datetime | None) -> datetime | None:
    if text is None:
        return None
    from podreplay.replay import parse_time

    if start is None:
        raise UsageError("the database holds no observations to place --since/--until in")
    return parse_time(text, start, end)

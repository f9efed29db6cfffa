"""The `podreplay report` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    NamespaceOption,
    PodOption,
    SelectorOption,
    SinceOption,
    UntilOption,
    app,
    note,
    output_path,
    reporting_errors,
)
from podreplay.times import capture_span, parse_window


@app.command()
def report(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="HTML file to write.", dir_okay=False)
    ] = Path("report.html"),
    namespace: NamespaceOption = None,
    selector: SelectorOption = None,
    pod: PodOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    title: Annotated[str | None, typer.Option("--title", help="Page title.")] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Write a self-contained HTML report: overview, cluster timeline, a time slider showing
    the cluster state at any moment, distributions, worst offenders and pod timelines.

    The file works offline (plotly.js is embedded) and can be attached to an incident ticket.
    A selection that matches no pod writes nothing and exits 3.

    Example: podreplay report --db demo.duckdb --out report.html
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    from podreplay.cli.selecting import named_pods
    from podreplay.selection import Selection, require_pods
    from podreplay.store import Store

    with reporting_errors():
        output_path(out, "--out")
        # Imported here: plotly is heavy and must stay off the --help path.
        from podreplay.render.html.report import write_report

        with Store(db, read_only=True) as store:
            lo, hi = parse_window(since, until, capture_span(store))
            uids = named_pods(store, pod, namespace)
            require_pods(store, Selection(namespace, lo, hi, selector, uids))
            summary = write_report(
                store,
                out,
                namespace=namespace,
                since=lo,
                until=hi,
                title=title,
                selector=selector,
                uids=uids,
            )
        note(summary.line())

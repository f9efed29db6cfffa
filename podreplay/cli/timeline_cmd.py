"""The `podreplay timeline` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    FormatOption,
    NamespaceOption,
    OutputFormat,
    app,
    note,
    output_path,
    reporting_errors,
)


@app.command()
def timeline(
    pod: Annotated[
        str,
        typer.Argument(help="Pod uid, name, namespace/name, or a unique prefix of a name or uid."),
    ],
    namespace: NamespaceOption = None,
    uid: Annotated[
        str | None,
        typer.Option(
            "--uid", help="Of a pod recreated under its name, only the incarnation with this uid."
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write an interactive HTML timeline."),
    ] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """One pod's story in time order: phases, condition flips, container states, grouped
    events with counts, restarts with their causes and probe failures.

    A pod recreated under its name (same namespace and name, several uids, as a StatefulSet's)
    shows every incarnation, oldest first, unless --uid picks one. A name that matches
    different pods (two namespaces, or a prefix of several names) lists the candidates: pick
    one with --namespace, as namespace/name, or by uid. With several incarnations, --format
    json prints a list of {pod, rows} objects (one object for one pod) and csv adds a pod_uid
    column; --html draws the latest.

    Example: podreplay timeline cart-4mnj4qxhwd-f7qxb --namespace shop --db demo.duckdb
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    from podreplay.cli.output import emit, emit_document, left_out, table_console
    from podreplay.lifecycle import pod_story, pod_story_rows, pod_summary, resolve_incarnations
    from podreplay.render.terminal.story import stories_frame, story_document, story_table
    from podreplay.store import Store

    with reporting_errors():
        if html is not None:
            output_path(html, "--html")
        with Store(db, read_only=True) as store:
            uids = [row["pod_uid"] for row in resolve_incarnations(store, pod, namespace, uid)]
            summaries = [pod_summary(store, u) for u in uids]
            # the table and JSON print a few hundred rows as they come: no polars; CSV's
            # writer is polars' (a frame per story)
            if fmt is OutputFormat.csv:
                frames = [pod_story(store, u) for u in uids]
            else:
                stories = [
                    (s, pod_story_rows(store, u)) for s, u in zip(summaries, uids, strict=True)
                ]
            if html is not None:
                # imported here: plotly is heavy and `--help` must stay fast
                from podreplay.render.html.pods import write_pod_timeline

                if len(uids) > 1:
                    note(f"--html: the latest of {len(uids)} incarnations (pick one with --uid)")
                write_pod_timeline(store, uids[-1], html)
                note(f"wrote {html}")
        if len(summaries) > 1 and fmt is not OutputFormat.json:
            note(
                f"{len(summaries)} incarnations of {summaries[0]['namespace']}/"
                f"{summaries[0]['pod']}, oldest first (--uid picks one)"
            )
        if fmt is OutputFormat.json:
            emit_document(story_document(stories))
        elif fmt is OutputFormat.csv:
            emit(stories_frame(list(zip(summaries, frames, strict=True))), fmt)
        else:
            console = table_console()
            for summary, story in stories:
                table, dropped = story_table(summary, story, console.width)
                console.print(table)
                left_out(dropped)

"""The `podreplay timeline` command."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

if TYPE_CHECKING:
    import polars as pl
    from rich.table import Table

HEADER_FIELDS = ("namespace", "node", "workload", "qos_class", "final_phase", "final_reason")


def offset(ts: datetime | None, origin: datetime | None) -> str:
    """`+1h02m03s` from the pod's creation (or `-…` for evidence before it)."""
    if ts is None or origin is None:
        return ""
    secs = int((ts - origin).total_seconds())  # whole seconds, like the time column
    sign = "-" if secs < 0 else "+"
    h, rest = divmod(abs(secs), 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{sign}{h}h{m:02d}m{s:02d}s"
    if m:
        return f"{sign}{m}m{s:02d}s"
    return f"{sign}{s}s"


def story_table(
    summary: dict[str, Any], story: pl.DataFrame, width: int | None = None
) -> tuple[Table, list[str]]:
    """The pod's story as a rich table, one row per phase, flip, state, event group, restart;
    fitted to `width` (the columns left out are returned)."""
    # not at the top: `--help` must not load polars (render.terminal) nor rich's tables
    from rich.markup import escape as markup_escape
    from rich.text import Text

    from podreplay.render.terminal import KIND_STYLE, Column, build_table, cell_text, fit_columns

    origin = summary.get("created_at")
    head = "  ".join(
        f"{k}={cell_text(summary.get(k))}" for k in HEADER_FIELDS if summary.get(k) is not None
    )
    title = f"{summary['pod']}  ({summary['pod_uid']})\n{head}  restarts={summary['restarts']}"
    if summary.get("why"):
        title += f"\nwhy: {markup_escape(summary['why'])}"  # messages are untrusted text
    rows = list(story.iter_rows(named=True))
    styles = [KIND_STYLE.get(r["kind"], "") for r in rows]
    whens = []
    for row in rows:
        ts, end = row["ts"], row["end_ts"]
        when = cell_text(ts) if ts is not None else "(time unknown)"
        if end is not None and ts is not None:
            same_day = end.date() == ts.date()
            when += f" → {end.strftime('%H:%M:%S') if same_day else cell_text(end)}"
        whens.append(when)
    columns = [
        Column("time", [Text(w) for w in whens], rigid=False, fold_min=19),
        Column("offset", [Text(offset(r["ts"], origin)) for r in rows], "right"),
        Column("kind", [Text(r["kind"], style=st) for r, st in zip(rows, styles, strict=True)]),
        Column("subject", [Text(r["subject"] or "") for r in rows]),
        Column(
            "what",
            [Text(r["what"] or "", style=st) for r, st in zip(rows, styles, strict=True)],
            rigid=False,
        ),
        Column("detail", [Text(r["detail"] or "") for r in rows], rigid=False),
        Column(
            "count",
            [Text(f"×{r['count']}" if r["count"] and r["count"] > 1 else "") for r in rows],
            "right",
        ),
    ]
    kept, dropped = fit_columns(
        columns, width, drop_first=("offset", "count", "kind"), keep=("time", "what", "detail")
    )
    return build_table(kept, title, title_justify="left"), dropped


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
    import polars as pl

    from podreplay.cli.output import emit, left_out, table_console
    from podreplay.lifecycle import pod_story, pod_summary, resolve_incarnations
    from podreplay.render.terminal import plain, records
    from podreplay.store import Store

    with reporting_errors():
        if html is not None:
            output_path(html, "--html")
        with Store(db, read_only=True) as store:
            uids = resolve_incarnations(store, pod, namespace, uid)["pod_uid"].to_list()
            stories = [(pod_summary(store, u), pod_story(store, u)) for u in uids]
            if html is not None:
                # imported here: plotly is heavy and `--help` must stay fast
                from podreplay.render.html.pods import write_pod_timeline

                if len(uids) > 1:
                    note(f"--html: the latest of {len(uids)} incarnations (pick one with --uid)")
                write_pod_timeline(store, uids[-1], html)
                note(f"wrote {html}")
        if len(stories) > 1 and fmt is not OutputFormat.json:
            note(
                f"{len(stories)} incarnations of {stories[0][0]['namespace']}/"
                f"{stories[0][0]['pod']}, oldest first (--uid picks one)"
            )
        if fmt is OutputFormat.json:
            docs = [
                {"pod": {k: plain(v) for k, v in summary.items()}, "rows": records(story)}
                for summary, story in stories
            ]
            doc: object = docs[0] if len(docs) == 1 else docs
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        elif fmt is OutputFormat.csv:
            if len(stories) == 1:
                emit(stories[0][1], fmt)
            else:
                emit(
                    pl.concat(
                        story.select(pl.lit(summary["pod_uid"]).alias("pod_uid"), pl.all())
                        for summary, story in stories
                    ),
                    fmt,
                )
        else:
            console = table_console()
            for summary, story in stories:
                table, dropped = story_table(summary, story, console.width)
                console.print(table)
                left_out(dropped)

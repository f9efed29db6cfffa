"""The `podreplay timeline` command."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    FormatOption,
    NamespaceOption,
    OutputFormat,
    app,
    note,
    reporting_errors,
)
from podreplay.cli.output import emit
from podreplay.lifecycle import pod_story, pod_summary, resolve_pod
from podreplay.render.terminal import cell_text, plain, records
from podreplay.store import Store

KIND_STYLE = {
    "phase": "bold cyan",
    "condition": "magenta",
    "container": "green",
    "event": "",
    "restart": "bold red",
    "probe": "yellow",
}
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


def story_table(summary: dict[str, Any], story: pl.DataFrame) -> Table:
    """The pod's story as a rich table, one row per phase, flip, state, event group, restart."""
    origin = summary.get("created_at")
    head = "  ".join(
        f"{k}={cell_text(summary.get(k))}" for k in HEADER_FIELDS if summary.get(k) is not None
    )
    title = f"{summary['pod']}  ({summary['pod_uid']})\n{head}  restarts={summary['restarts']}"
    table = Table(title=title, title_justify="left", header_style="bold", show_lines=False)
    for col, justify in (
        ("time", "left"),
        ("offset", "right"),
        ("kind", "left"),
        ("subject", "left"),
        ("what", "left"),
        ("detail", "left"),
        ("count", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in story.iter_rows(named=True):
        ts, end = row["ts"], row["end_ts"]
        when = cell_text(ts) if ts is not None else "(time unknown)"
        if end is not None and ts is not None:
            same_day = end.date() == ts.date()
            when += f" → {end.strftime('%H:%M:%S') if same_day else cell_text(end)}"
        count = row["count"]
        style = KIND_STYLE.get(row["kind"], "")
        table.add_row(
            Text(when),
            Text(offset(ts, origin)),
            Text(row["kind"], style=style),
            Text(row["subject"] or ""),
            Text(row["what"] or "", style=style),
            Text(row["detail"] or "", overflow="fold"),
            Text(f"×{count}" if count and count > 1 else ""),
        )
    return table


@app.command()
def timeline(
    pod: Annotated[str, typer.Argument(help="Pod name or uid (or a unique prefix of either).")],
    namespace: NamespaceOption = None,
    fmt: FormatOption = OutputFormat.table,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write an interactive HTML timeline."),
    ] = None,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """One pod's story in time order: phases, condition flips, container states, grouped
    events with counts, restarts with their causes and probe failures.

    A name that matches several pods (two namespaces, or a recreated pod) lists the
    candidates; pick one with --namespace or by uid.

    Example: podreplay timeline cart-4mnj4qxhwd-f7qxb --namespace shop --db demo.duckdb
    """
    with reporting_errors():
        with Store(db, read_only=True) as store:
            uid = resolve_pod(store, pod, namespace)
            summary = pod_summary(store, uid)
            story = pod_story(store, uid)
            if html is not None:
                # imported here: plotly is heavy and `--help` must stay fast
                from podreplay.render.report import write_pod_timeline

                write_pod_timeline(store, uid, html)
                note(f"wrote {html}")
        if fmt is OutputFormat.json:
            doc = {"pod": {k: plain(v) for k, v in summary.items()}, "rows": records(story)}
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        elif fmt is OutputFormat.csv:
            emit(story, fmt)
        else:
            # a pipe gets the table at a readable width instead of rich's 80-column default
            width = None if sys.stdout.isatty() else 200
            Console(soft_wrap=False, width=width).print(story_table(summary, story))

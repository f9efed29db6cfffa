"""`podreplay timeline` in a terminal: one pod's story as a rich table, one row per phase,
condition flip, container state, event group and restart, fitted to the width."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.markup import escape as markup_escape
from rich.table import Table
from rich.text import Text

from podreplay.render.terminal.cells import cell_text, plain, plain_rows
from podreplay.render.terminal.styles import row_style
from podreplay.render.terminal.tables import Column, build_table, fit_columns

if TYPE_CHECKING:
    import polars as pl

# a story's rows: dicts of lifecycle.STORY_COLUMNS (lifecycle.pod_story_rows)
StoryRows = Sequence[Mapping[str, Any]]

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
    summary: dict[str, Any], story: StoryRows, width: int | None = None
) -> tuple[Table, list[str]]:
    """The pod's story as a rich table, one row per phase, flip, state, event group, restart;
    fitted to `width` (the columns left out are returned)."""
    origin = summary.get("created_at")
    head = "  ".join(
        f"{k}={cell_text(summary.get(k))}" for k in HEADER_FIELDS if summary.get(k) is not None
    )
    title = f"{summary['pod']}  ({summary['pod_uid']})\n{head}  restarts={summary['restarts']}"
    if summary.get("why"):
        title += f"\nwhy: {markup_escape(summary['why'])}"  # messages are untrusted text
    rows = story
    styles = [row_style(r["kind"]) for r in rows]
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


def story_document(stories: Sequence[tuple[dict[str, Any], StoryRows]]) -> object:
    """`--format json`: {pod, rows} for one pod, a list of them for several incarnations."""
    docs = [
        {"pod": {k: plain(v) for k, v in summary.items()}, "rows": plain_rows(story)}
        for summary, story in stories
    ]
    return docs[0] if len(docs) == 1 else docs


def stories_frame(stories: list[tuple[dict[str, Any], pl.DataFrame]]) -> pl.DataFrame:
    """`--format csv`: the story of one pod, or every incarnation's with a pod_uid column."""
    import polars as pl  # here: only CSV goes through a frame

    if len(stories) == 1:
        return stories[0][1]
    return pl.concat(
        story.select(pl.lit(summary["pod_uid"]).alias("pod_uid"), pl.all())
        for summary, story in stories
    )

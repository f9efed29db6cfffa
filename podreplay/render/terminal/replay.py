"""`podreplay replay` in a terminal: the state at a moment as a table, and the change stream as
text lines, JSON lines or CSV (yielded one change at a time, as the replay clock reaches it) or
as a live view with the replay clock ticking in a footer."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from rich.console import Console
from rich.live import Live
from rich.text import Text

from podreplay.render.terminal.cells import iso, plain
from podreplay.render.terminal.styles import row_style
from podreplay.replay import paced
from podreplay.times import CaptureSpan

# a narrow terminal loses these columns of the state table first, and keeps these
STATE_DROP_FIRST = ("latest event", "containers")
STATE_KEEP = ("phase", "ready", "restarts", "why")


def outside(moment: datetime, span: CaptureSpan) -> str:
    """` (before the capture starts at ...)` when the moment is outside the capture, else ''."""
    if moment < span.start:
        return f" (before the capture starts at {iso(span.start)})"
    if moment > span.end:
        return f" (after the capture ends at {iso(span.end)})"
    return ""


def state_table(state: pl.DataFrame) -> pl.DataFrame:
    """The readable columns of a state frame: containers and the latest event as text."""
    container = pl.element().struct
    return state.select(
        "namespace",
        "pod",
        "phase",
        "ready",
        "restarts",
        pl.col("containers")
        .list.eval(
            pl.concat_str(
                [
                    pl.when(container.field("is_init")).then(pl.lit("init:")).otherwise(pl.lit("")),
                    container.field("container"),
                    pl.lit("="),
                    container.field("state"),
                    pl.lit("(") + container.field("reason") + pl.lit(")"),
                ],
                ignore_nulls=True,
            )
        )
        .list.join(", ")
        .alias("containers"),
        pl.col("events").list.first().struct.field("reason").alias("latest event"),
        "why",
    )


def describe(row: dict[str, Any]) -> str:
    """One change as a short phrase."""
    kind, value, reason = row["kind"], row["value"], row["reason"]
    why = f" ({reason})" if reason else ""
    if kind == "phase":
        return f"phase {value}"
    if kind == "condition":
        return f"{row['subject']}={value}{why}"
    if kind == "container":
        exit_code = f", exit {row['exit_code']}" if row["exit_code"] is not None else ""
        detail = (
            f" ({reason}{exit_code})" if reason else (f" ({exit_code[2:]})" if exit_code else "")
        )
        return f"container {row['subject']} {value}{detail}"
    if kind == "restart":
        exit_code = f", exit {row['exit_code']}" if row["exit_code"] is not None else ""
        return f"restart #{value} of {row['subject']} ({reason or 'unknown'}{exit_code})"
    if kind == "event":
        count = row["count"]
        repeat = f" (×{count} until {iso(row['last_at'])})" if count and count > 1 else ""
        return f"{row['type'] or 'event'} {value}: {row['message'] or ''}{repeat}"
    return f"pod {value}"


def who(row: dict[str, Any]) -> str:
    """namespace/pod of a change, or namespace/Kind/name of an event about another object."""
    if row["pod"] is not None:
        return f"{row['namespace']}/{row['pod']}"
    return f"{row['namespace'] or '-'}/{row['object'] or '?'}"


def text_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """`TIME  namespace/pod  what happened`, one line (with its newline) per change."""
    for row in rows:
        yield f"{iso(row['ts'])}  {who(row)}  {describe(row)}\n"


def json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One JSON object a line per change."""
    for row in rows:
        yield json.dumps(_json_row(row), ensure_ascii=False) + "\n"


def csv_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV: the header with the first change, then one row per change."""
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        record = _json_row(row)
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(record))
            writer.writeheader()
        writer.writerow(record)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in row.items()}


def live(console: Console, stream: pl.DataFrame, speed: float, start: datetime) -> None:
    """Draw the changes on `console` as they come, above a footer where the replay clock
    ticks (a terminal only: the footer is redrawn in place)."""
    began = time.monotonic()
    shown = 0

    def footer() -> Text:
        now = start + timedelta(seconds=(time.monotonic() - began) * speed)
        return Text(
            f"replay {iso(now.replace(microsecond=0))}  ×{speed:g}  {shown}/{stream.height}"
            " changes  (Ctrl-C stops)",
            style="dim",
        )

    with Live(footer(), console=console, refresh_per_second=8, transient=True) as view:

        def sleep(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, 0.125))
                view.update(footer())

        for row in paced(stream.iter_rows(named=True), speed, start=start, sleep=sleep):
            shown += 1
            line = Text(f"{iso(row['ts'])}  ")
            line.append(who(row), style="bold")
            line.append("  ")
            line.append(describe(row), style=row_style(row["kind"], row["type"]))
            view.console.print(line, soft_wrap=True)
            view.update(footer())

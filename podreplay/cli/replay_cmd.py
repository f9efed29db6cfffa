"""The `podreplay replay` command."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    FormatOption,
    NamespaceOption,
    OutputFormat,
    PodOption,
    SelectorOption,
    app,
    note,
    reporting_errors,
)
from podreplay.errors import EmptySelectionError, UsageError
from podreplay.times import TIME_FORMS, parse_moment, require_span

if TYPE_CHECKING:
    import polars as pl

    from podreplay.times import CaptureSpan

STREAM_COLUMNS = ["ts", "namespace", "pod", "kind", "subject", "value", "reason", "message"]


@app.command()
def replay(
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="TIME", help=f"Show every pod's state at this moment. {TIME_FORMS}"
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="TIME", help="Stream changes from this moment (default: start)."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="TIME", help="Stream changes up to this moment (default: end)."
        ),
    ] = None,
    speed: Annotated[
        float,
        typer.Option(help="Replay speed: 60 plays one captured minute per second; 0 = instant."),
    ] = 60.0,
    pod: PodOption = None,
    namespace: NamespaceOption = None,
    selector: SelectorOption = None,
    db: DbOption = DEFAULT_DB_PATH,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show the cluster as it was at a moment (--at), or replay what happened in order.

    Without --at, the events and state changes between --from and --to stream in time order
    at the capture's pace times --speed. Times: RFC 3339 (no zone means UTC), +DURATION from
    the capture start, -DURATION from its end, start, end, or HH:MM[:SS] (UTC) on the
    capture's first day. Nothing to show (no pod then, nothing happened) exits 3.

    Example: podreplay replay --at +5m --namespace default --db demo.duckdb
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    from podreplay.cli.output import emit
    from podreplay.cli.selecting import named_pods, selected_uids
    from podreplay.render.terminal import iso
    from podreplay.replay import changes, paced, state_at
    from podreplay.selection import Selection
    from podreplay.store import Store

    with reporting_errors(), Store(db, read_only=True) as store:
        span = require_span(store)
        named = named_pods(store, pod, namespace)
        if at is not None:
            if start is not None or end is not None:
                raise UsageError("--at shows one moment; --from/--to replay a range")
            lo = hi = parse_moment(at, span, "--at")
        else:
            lo = parse_moment(start, span, "--from") if start else span.start
            hi = parse_moment(end, span, "--to") if end else span.end
            if hi < lo:
                raise EmptySelectionError(f"--from {start} is after --to {end}: no time selected")
        uids = None
        if named is not None or selector is not None or namespace is not None:
            # --at: which pods exist then is replay_state.sql's own rule (created, not deleted)
            since, until = (None, None) if at is not None else (lo, hi)
            chosen = selected_uids(store, Selection(namespace, since, until, selector, named))
            uids = chosen if named is not None or selector is not None else None
        if at is not None:
            state = state_at(store, lo, namespace, uids=uids)
            outside = _outside(lo, span)
            if state.height == 0:
                raise EmptySelectionError(f"no pods existed at {iso(lo)}{outside}")
            if outside:
                note(f"note: {iso(lo)}{outside}")
            if fmt is OutputFormat.table:
                emit(
                    _state_table(state),
                    fmt,
                    title=f"pods at {iso(lo)}",
                    drop_first=("latest event", "containers"),
                    keep=("phase", "ready", "restarts", "why"),
                )
            else:
                emit(state, fmt)
            return
        stream = changes(store, lo, hi, uids=uids, namespace=namespace)
        if stream.height == 0:
            raise EmptySelectionError(f"nothing happened between {iso(lo)} and {iso(hi)}")
        if fmt is OutputFormat.table and sys.stdout.isatty():
            _live(stream, speed, lo)
            return
        rows = paced(stream.iter_rows(named=True), speed, start=lo)
        if fmt is OutputFormat.json:
            _write_lines(json.dumps(_json_row(r), ensure_ascii=False) for r in rows)
        elif fmt is OutputFormat.csv:
            _write_csv(rows)
        else:
            _write_lines(_line(r) for r in rows)


def _outside(moment: datetime, span: CaptureSpan) -> str:
    """` (before the capture starts at ...)` when the moment is outside the capture, else ''."""
    from podreplay.render.terminal import iso  # polars: not at the top, for --help

    if moment < span.start:
        return f" (before the capture starts at {iso(span.start)})"
    if moment > span.end:
        return f" (after the capture ends at {iso(span.end)})"
    return ""


def _state_table(state: pl.DataFrame) -> pl.DataFrame:
    """The readable columns of a state frame: containers and the latest event as text."""
    import polars as pl  # not at the top: `--help` must not load polars

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


def _describe(row: dict[str, Any]) -> str:
    """One change as a short phrase."""
    from podreplay.render.terminal import iso  # polars: not at the top, for --help

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


def _who(row: dict[str, Any]) -> str:
    if row["pod"] is not None:
        return f"{row['namespace']}/{row['pod']}"
    return f"{row['namespace'] or '-'}/{row['object'] or '?'}"


def _line(row: dict[str, Any]) -> str:
    from podreplay.render.terminal import iso  # polars: not at the top, for --help

    return f"{iso(row['ts'])}  {_who(row)}  {_describe(row)}"


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    from podreplay.render.terminal import plain  # polars: not at the top, for --help

    return {k: plain(v) for k, v in row.items()}


def _write_lines(lines: Iterator[str]) -> None:
    for line in lines:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def _write_csv(rows: Iterator[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        record = _json_row(row)
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(record))
            writer.writeheader()
        writer.writerow(record)
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
        buffer.seek(0)
        buffer.truncate()


def _live(stream: pl.DataFrame, speed: float, start: datetime) -> None:
    """Lines printed as they come, above a footer where the replay clock ticks."""
    # not at the top: `--help` must not load polars (render.terminal, replay) nor rich's Live
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from podreplay.render.terminal import KIND_STYLE, iso
    from podreplay.replay import paced

    console = Console()
    began = time.monotonic()
    shown = 0

    def footer() -> Text:
        now = start + timedelta(seconds=(time.monotonic() - began) * speed)
        return Text(
            f"replay {iso(now.replace(microsecond=0))}  ×{speed:g}  {shown}/{stream.height}"
            " changes  (Ctrl-C stops)",
            style="dim",
        )

    with Live(footer(), console=console, refresh_per_second=8, transient=True) as live:

        def sleep(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, 0.125))
                live.update(footer())

        for row in paced(stream.iter_rows(named=True), speed, start=start, sleep=sleep):
            shown += 1
            style = KIND_STYLE.get(row["kind"], "")
            if row["kind"] == "event" and row["type"] == "Warning":
                style = "red"
            line = Text(f"{iso(row['ts'])}  ")
            line.append(_who(row), style="bold")
            line.append("  ")
            line.append(_describe(row), style=style)
            live.console.print(line, soft_wrap=True)
            live.update(footer())

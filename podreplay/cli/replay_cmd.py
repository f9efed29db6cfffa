"""The `podreplay replay` command."""

from __future__ import annotations

import sys
from typing import Annotated

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
from podreplay.times import TIME_FORMS, parse_moment, parse_window, require_span


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
    from podreplay.cli.output import emit, write_chunks
    from podreplay.cli.selecting import named_pods, selected_uids
    from podreplay.render.terminal import replay as show
    from podreplay.render.terminal.cells import iso
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
            # an end not given is the capture's own, so `--from` past the end is refused too
            window = parse_window(start or "start", end or "end", span, ("--from", "--to"))
            lo, hi = window[0] or span.start, window[1] or span.end
        uids = None
        if named is not None or selector is not None or namespace is not None:
            # --at: which pods exist then is replay_state.sql's own rule (created, not deleted)
            since, until = (None, None) if at is not None else (lo, hi)
            chosen = selected_uids(store, Selection(namespace, since, until, selector, named))
            uids = chosen if named is not None or selector is not None else None
        if at is not None:
            state = state_at(store, lo, namespace, uids=uids)
            outside = show.outside(lo, span)
            if state.height == 0:
                raise EmptySelectionError(f"no pods existed at {iso(lo)}{outside}")
            if outside:
                note(f"note: {iso(lo)}{outside}")
            if fmt is OutputFormat.table:
                title = f"pods at {iso(lo)}"
                emit(show.state_table(state), fmt, title, show.STATE_DROP_FIRST, show.STATE_KEEP)
            else:
                emit(state, fmt)
            return
        stream = changes(store, lo, hi, uids=uids, namespace=namespace)
        if stream.height == 0:
            raise EmptySelectionError(f"nothing happened between {iso(lo)} and {iso(hi)}")
        if fmt is OutputFormat.table and sys.stdout.isatty():
            from rich.console import Console  # a live view needs rich's console, not --help

            show.live(Console(), stream, speed, lo)
            return
        rows = paced(stream.iter_rows(named=True), speed, start=lo)
        if fmt is OutputFormat.json:
            write_chunks(show.json_lines(rows))
        elif fmt is OutputFormat.csv:
            write_chunks(show.csv_chunks(rows))
        else:
            write_chunks(show.text_lines(rows))

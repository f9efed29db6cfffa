"""Writing tabular results to stdout in the format the user asked for."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console

from podreplay.cli.app import OutputFormat, note
from podreplay.render.terminal.cells import document_json, to_csv, to_json
from podreplay.render.terminal.tables import frame_table

if TYPE_CHECKING:
    import polars as pl

    from podreplay.render.terminal.tables import Shown

PIPE_WIDTH = 220  # a pipe gets tables at a readable width, not rich's 80-column default


class _Console(Console):
    """rich's Console, but a closed stdout ends the command as every other write does."""

    def on_broken_pipe(self) -> None:
        """Let `reporting_errors` stop quietly with exit code 0 (rich would exit 1)."""
        self.quiet = True
        raise BrokenPipeError


def table_console() -> Console:
    """A console for tables on stdout: $COLUMNS when set, else the terminal's width, else
    PIPE_WIDTH for a pipe or file."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        width: int | None = int(columns)
    else:
        width = None if sys.stdout.isatty() else PIPE_WIDTH
    return _Console(soft_wrap=False, width=width)


def left_out(dropped: list[str]) -> None:
    """Say which columns did not fit (identifiers never are among them)."""
    if dropped:
        note(
            f"podreplay: {', '.join(dropped)}: left out to fit the width"
            " (widen the terminal, set COLUMNS, or use --format csv/json)"
        )


def emit(
    df: pl.DataFrame,
    fmt: OutputFormat,
    title: str | None = None,
    drop_first: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> None:
    """Print a frame to stdout as a table, CSV or JSON; a table fits the width (see
    `render.terminal.tables.fit_columns` for `drop_first` and `keep`)."""
    if fmt is OutputFormat.json:
        sys.stdout.write(to_json(df) + "\n")
    elif fmt is OutputFormat.csv:
        sys.stdout.write(to_csv(df))
    else:
        console = table_console()
        table, dropped = frame_table(df, title, console.width, drop_first, keep)
        console.print(table)
        left_out(dropped)
    sys.stdout.flush()


def emit_document(doc: object) -> None:
    """Print a JSON-ready document (an object of sections, a pod and its rows) to stdout."""
    sys.stdout.write(document_json(doc) + "\n")
    sys.stdout.flush()


def write_chunks(chunks: Iterable[str]) -> None:
    """Print text to stdout as it comes, each chunk flushed at once (a stream someone watches
    or pipes on)."""
    for chunk in chunks:
        sys.stdout.write(chunk)
        sys.stdout.flush()


def show(tables: Iterable[Shown], fmt: OutputFormat) -> None:
    """Print each frame in turn (see `emit`)."""
    for t in tables:
        emit(t.frame, fmt, t.title, t.drop_first, t.keep)

"""Writing tabular results to stdout in the format the user asked for."""

from __future__ import annotations

import sys

import polars as pl
from rich.console import Console

from podreplay.cli.app import OutputFormat
from podreplay.render.terminal import frame_table, to_csv, to_json


def emit(df: pl.DataFrame, fmt: OutputFormat, title: str | None = None) -> None:
    """Print a frame to stdout as a table, CSV or JSON."""
    if fmt is OutputFormat.json:
        sys.stdout.write(to_json(df) + "\n")
    elif fmt is OutputFormat.csv:
        sys.stdout.write(to_csv(df))
    else:
        # a pipe gets the table at a readable width instead of rich's 80-column default
        width = None if sys.stdout.isatty() else 220
        Console(soft_wrap=False, width=width).print(frame_table(df, title))
    sys.stdout.flush()

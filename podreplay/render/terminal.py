"""Terminal renderings of frames: rich tables, CSV and JSON text. Returns text or renderables;
the CLI decides where they go."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from rich.table import Table
from rich.text import Text


def iso(value: datetime) -> str:
    """RFC 3339 in UTC with a Z suffix; whole seconds unless the value has a fraction."""
    text = value.isoformat()
    return text.replace("+00:00", "Z") if text.endswith("+00:00") else text


def plain(value: Any) -> Any:
    """A JSON-ready version of one cell (datetimes as RFC 3339, NaN as null)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def records(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with the frame's column names and JSON-ready values."""
    return [{k: plain(v) for k, v in row.items()} for row in df.iter_rows(named=True)]


def to_json(df: pl.DataFrame) -> str:
    """A JSON array of row objects."""
    return json.dumps(records(df), indent=2, ensure_ascii=False)


def to_csv(df: pl.DataFrame) -> str:
    """CSV with a header row; nested values are JSON-encoded."""
    flat = df.with_columns(
        pl.Series(name, [json.dumps(plain(v)) for v in df[name].to_list()], dtype=pl.String)
        for name, dtype in df.schema.items()
        if isinstance(dtype, pl.List | pl.Struct)
    )
    return flat.write_csv(datetime_format="%Y-%m-%dT%H:%M:%S%.fZ")


def cell_text(value: Any) -> str:
    """How one cell reads in a terminal table."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.1f}" if abs(value) < 1e15 else f"{value:.3g}"
    if isinstance(value, list | dict):
        return json.dumps(plain(value), ensure_ascii=False)
    return str(value)


def frame_table(df: pl.DataFrame, title: str | None = None) -> Table:
    """A rich Table of the frame; cells are literal text (no markup interpretation)."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for name, dtype in df.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in df.iter_rows():
        table.add_row(*(Text(cell_text(v)) for v in row))
    return table

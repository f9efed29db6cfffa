"""How values read outside Python: RFC 3339 times, JSON-ready cells, CSV and JSON text of a
frame, the text of one table cell, and a total row for tables people read."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


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


def plain_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows (dicts of column name to value) with JSON-ready values."""
    return [{k: plain(v) for k, v in row.items()} for row in rows]


def records(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with the frame's column names and JSON-ready values."""
    return plain_rows(df.iter_rows(named=True))


def to_json(df: pl.DataFrame) -> str:
    """A JSON array of row objects."""
    return document_json(records(df))


def document_json(doc: object) -> str:
    """A JSON-ready document (made with `plain`/`records`) as indented UTF-8 text."""
    return json.dumps(doc, indent=2, ensure_ascii=False)


def to_csv(df: pl.DataFrame) -> str:
    """CSV with a header row; nested values are JSON-encoded."""
    import polars as pl  # here: tables and JSON of a few rows do not load polars

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


def with_total(
    df: pl.DataFrame, label_column: str, label: str, extra: tuple[pl.Expr, ...] = ()
) -> pl.DataFrame:
    """The frame with a last row adding up its integer columns, `label` in `label_column`
    (for tables people read; CSV and JSON stay as they are). One row needs no total."""
    import polars as pl  # here: tables and JSON of a few rows do not load polars

    if df.height < 2:
        return df
    sums = [pl.col(n).sum() for n, t in df.schema.items() if t.is_integer() and n != label_column]
    total = df.select(pl.lit(label).alias(label_column), *sums, *extra)
    return pl.concat([df, total], how="diagonal_relaxed")

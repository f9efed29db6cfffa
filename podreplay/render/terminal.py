"""Terminal renderings of frames: rich tables, CSV and JSON text. Returns text or renderables;
the CLI decides where they go."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
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


def with_total(
    df: pl.DataFrame, label_column: str, label: str, extra: tuple[pl.Expr, ...] = ()
) -> pl.DataFrame:
    """The frame with a last row adding up its integer columns, `label` in `label_column`
    (for tables people read; CSV and JSON stay as they are). One row needs no total."""
    if df.height < 2:
        return df
    sums = [pl.col(n).sum() for n, t in df.schema.items() if t.is_integer() and n != label_column]
    total = df.select(pl.lit(label).alias(label_column), *sums, *extra)
    return pl.concat([df, total], how="diagonal_relaxed")


# How each kind of row is coloured, in the timeline table and the live replay alike.
KIND_STYLE = {
    "pod": "bold",
    "phase": "bold cyan",
    "condition": "magenta",
    "container": "green",
    "event": "",
    "restart": "bold red",
    "probe": "yellow",
    "blocked": "bold yellow",
}

# Columns whose values are names a user copies into the next command: never cut, never folded.
IDENTIFIERS = frozenset(
    {"namespace", "pod", "pod_uid", "workload", "node", "source", "container", "subject", "object"}
)
FLEX_MIN = 12  # a folding text column is never narrower than this
SHORT_TEXT = 24  # text columns no wider than this are labels: kept whole like identifiers
_OVERHEAD = 3  # per column: two spaces of padding and a rule


@dataclass(frozen=True)
class Column:
    """One column of a terminal table: its header, cells, and whether it may fold."""

    name: str
    cells: list[Text]
    justify: str = "left"
    rigid: bool = True  # identifiers, numbers and times print whole on one line
    fold_min: int = FLEX_MIN  # the narrowest a folding column gets

    def natural(self) -> int:
        """The width of the widest cell (or the header)."""
        return max([len(self.name), *(c.cell_len for c in self.cells)])

    def least(self) -> int:
        """The narrowest this column may be drawn."""
        return self.natural() if self.rigid else min(self.natural(), self.fold_min)


def fit_columns(
    columns: list[Column],
    width: int | None,
    drop_first: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> tuple[list[Column], list[str]]:
    """The columns that fit in `width`, and the names left out.

    Rigid columns take their widest cell, folding ones at least FLEX_MIN. Past the width,
    columns go in the order of `drop_first` (which may name identifiers of little value, such
    as a node), then from the right; other identifiers and `keep` stay.
    If it is still too wide, the widest identifiers wrap onto more lines: a name is folded,
    never cut short.
    """
    if width is None:
        return columns, []

    def need(col: Column) -> int:
        return col.least() + _OVERHEAD

    kept = list(columns)
    stays = IDENTIFIERS | set(keep)
    order = [n for n in drop_first if n not in keep and any(c.name == n for c in kept)]
    order += [c.name for c in reversed(kept) if c.name not in stays and c.name not in order]
    dropped: list[str] = []
    while sum(need(c) for c in kept) + 1 > width and order:
        name = order.pop(0)
        kept = [c for c in kept if c.name != name]
        dropped.append(name)
    while sum(need(c) for c in kept) + 1 > width:
        rigid_ids = [c for c in kept if c.rigid and c.name in IDENTIFIERS]
        if not rigid_ids:
            break
        widest = max(rigid_ids, key=need)
        kept = [replace(c, rigid=False) if c is widest else c for c in kept]
    return kept, dropped


def build_table(columns: list[Column], title: str | None = None, **kwargs: Any) -> Table:
    """A rich Table of the columns: rigid ones never wrap, the others fold."""
    table = Table(title=title, show_lines=False, header_style="bold", **kwargs)
    for col in columns:
        table.add_column(
            col.name,
            justify=col.justify,  # type: ignore[arg-type]
            no_wrap=col.rigid,
            overflow="fold",
            min_width=col.least(),
        )
    for row in zip(*(c.cells for c in columns), strict=True):
        table.add_row(*row)
    return table


def frame_columns(df: pl.DataFrame) -> list[Column]:
    """The frame's columns as literal text cells (no markup interpretation). Identifiers,
    numbers, times and short labels are rigid; long free text folds."""
    columns = []
    for name, dtype in df.schema.items():
        cells = [Text(cell_text(v)) for v in df[name].to_list()]
        short = max((c.cell_len for c in cells), default=0) <= SHORT_TEXT
        rigid = name in IDENTIFIERS or dtype.is_numeric() or dtype.is_temporal() or short
        columns.append(Column(name, cells, "right" if dtype.is_numeric() else "left", rigid))
    return columns


def frame_table(
    df: pl.DataFrame,
    title: str | None = None,
    width: int | None = None,
    drop_first: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
) -> tuple[Table, list[str]]:
    """A rich Table of the frame fitted to `width`, and the columns left out to fit."""
    kept, dropped = fit_columns(frame_columns(df), width, drop_first, keep)
    return build_table(kept, title), dropped

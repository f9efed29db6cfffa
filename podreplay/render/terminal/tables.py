"""Rich tables fitted to the terminal's width: which columns fold, which are dropped first, and
which never are (identifiers a user copies into the next command)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from podreplay.render.terminal.cells import cell_text

if TYPE_CHECKING:
    import polars as pl

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


@dataclass(frozen=True)
class Shown:
    """A frame to print, with its title and how a narrow terminal fits it (see
    `tables.fit_columns`)."""

    frame: pl.DataFrame
    title: str | None = None
    drop_first: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

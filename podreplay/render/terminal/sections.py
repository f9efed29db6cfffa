"""Results made of named sections (`podreplay stats`, `podreplay diff`) as the tables a terminal
shows, or one JSON object of sections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from podreplay.analytics import METRICS, POD_COLUMNS
from podreplay.names import DIFF_SECTIONS, STATS_SECTIONS
from podreplay.render.terminal.cells import records, with_total
from podreplay.render.terminal.tables import Shown

if TYPE_CHECKING:
    from podreplay.diff import DiffResult


def sections_document(frames: dict[str, pl.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    """`--format json`: one object, each section's rows under its name."""
    return {name: records(df) for name, df in frames.items()}


# what a narrow terminal loses first in stats tables (see _drop_first), and what it keeps
# beside the names
_DROP_FIRST = (
    "pod_uid",
    "node",
    "terminating_s",
    "not_ready_running_s",
    "image_pull_s",
    "time_to_scheduled_s",
    "running_s",
    "workload",
)
_KEEP = ("final_phase", "restarts", "pods", "why")


def _drop_first(section: str, by: str) -> tuple[str, ...]:
    """Columns a narrow terminal loses first: node and workload go in lists of pods, never
    where they are the group."""
    if by == "pod" or section in ("crashlooping", "never_ready"):
        return _DROP_FIRST
    return tuple(c for c in _DROP_FIRST if c not in ("node", "workload"))


def stats_section(frames: dict[str, pl.DataFrame], section: str, by: str) -> Shown:
    """One stats section, as `--section` prints it in any format."""
    return Shown(frames[section], section, _drop_first(section, by), _KEEP)


def stats_tables(frames: dict[str, pl.DataFrame], by: str) -> list[Shown]:
    """Every stats section a terminal shows: the summary short (per pod, the identity and
    counts; per group, the counts with a total row, the percentiles being in `latencies`),
    then each other section that has rows."""
    summary = frames["summary"]
    if by == "pod":  # the full figures are in --format csv/json
        summary = summary.select(POD_COLUMNS)
    else:  # the percentiles are in the latencies section; the counts add up
        percentiles = tuple(
            f"{m[:-2]}_{q}_s" for m in METRICS for q in ("p50", "p90", "p99", "max")
        )
        summary = summary.select(c for c in summary.columns if not c.endswith(percentiles))
        summary = with_total(summary, summary.columns[0], "total")
    shown = [Shown(summary, f"pods by {by}", _drop_first("summary", by), _KEEP)]
    for name in STATS_SECTIONS[1:]:
        if frames[name].height:
            shown.append(Shown(frames[name], name.replace("_", " "), _drop_first(name, by), _KEEP))
    return shown


def diff_frames(result: DiffResult) -> dict[str, pl.DataFrame]:
    """A comparison's sections by name."""
    return {name: result.section(name) for name in DIFF_SECTIONS}


def diff_tables(result: DiffResult, by: str) -> list[Shown]:
    """Both sections of a comparison as a terminal shows them."""
    return [
        Shown(result.metrics, f"changes by {by}"),
        Shown(result.failure_reasons, "failure reasons"),
    ]

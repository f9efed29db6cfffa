"""Comparing two captures, or two time windows of one: per group, how pod counts, startup
latencies, restart rates by cause, time Pending / not Ready and failure reasons changed.

Both sides are computed by the same SQL (the named blocks of `diff.sql`) over `pod_stats`,
`pods`, `restarts`, `phase_intervals` and `pod_events`, each in its own attached database
(read-only). Null figures are unknown:
percentiles are taken over the known values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

import polars as pl

from podreplay.analytics import GROUP_KEYS as STATS_KEYS
from podreplay.errors import NotFoundError, PodreplayError, UsageError
from podreplay.names import DIFF_SECTIONS
from podreplay.sqlfiles import Sql
from podreplay.store import Store
from podreplay.times import CaptureSpan, capture_span, parse_moment, table_in

DiffGrouping = Literal["workload", "namespace", "node"]
DIFF_GROUPINGS: tuple[str, ...] = get_args(DiffGrouping)
# the grouping keys of `stats --by`, without per-pod rows
GROUP_KEYS: dict[str, tuple[str, ...]] = {g: STATS_KEYS[g] for g in DIFF_GROUPINGS}

# Per-pod figures of pod_stats compared as p50 and p90 over the pods created in the window.
LATENCIES: tuple[str, ...] = (
    "time_to_scheduled_s",
    "time_to_ready_s",
    "image_pull_s",
    "pending_s",
    "not_ready_running_s",
)
COUNTS: tuple[str, ...] = ("pods", "pods_created", "restarts", "running_pod_hours")
METRICS: tuple[str, ...] = (
    "pods",
    "pods_created",
    *(f"{m[:-2]}_{q}_s" for m in LATENCIES for q in ("p50", "p90")),
    "running_pod_hours",
    "restarts",
    "restarts_per_pod_hour",
)
SECTIONS = DIFF_SECTIONS
SQL = Sql(__file__)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """A time window of one side: `lo` ≤ t < `hi` (≤ `hi` when it is the capture end)."""

    lo: datetime
    hi: datetime
    hi_is_end: bool
    text: str | None  # None: the whole capture

    def bounds(self) -> tuple[datetime, datetime]:
        """The bounds the SQL uses: the whole capture is unbounded, so pods created before its
        first observation (a single List of long-running pods) still count."""
        if self.text is None:
            return _EARLIEST, _LATEST
        return self.lo, self.hi

    def label(self) -> str:
        """How the window reads in headings."""
        span = f"{self.lo:%Y-%m-%d %H:%M:%S} .. {self.hi:%Y-%m-%d %H:%M:%S} UTC"
        return span if self.text is not None else f"whole capture ({span})"


def parse_window(text: str | None, start: datetime, end: datetime) -> Window:
    """`FROM..TO`: each end a moment as `podreplay.times.parse_moment` reads it (`start`,
    `end`, `+30m`, `-1h`, `20:45`, an RFC 3339 time) or empty (the capture's own end)."""
    if text is None:
        return Window(start, end, True, None)
    if text.count("..") != 1:
        raise UsageError(f"not a window: {text!r} (use FROM..TO, e.g. 'start..+30m')")
    lo_text, hi_text = text.split("..")
    span = CaptureSpan(start, end)
    lo = parse_moment(lo_text, span) if lo_text.strip() else start
    hi = parse_moment(hi_text, span) if hi_text.strip() else end
    if lo >= hi:
        raise UsageError(
            f"window {text!r} is empty: {lo:%Y-%m-%d %H:%M:%S} is not before {hi:%Y-%m-%d %H:%M:%S}"
        )
    return Window(lo, hi, hi >= end, text)


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a database and a window of it."""

    db: Path
    window: Window

    def label(self) -> str:
        """The database's file name and the window."""
        return f"{self.db.name}, {self.window.label()}"


@dataclass(frozen=True)
class DiffResult:
    """The comparison: `metrics` (keys, metric, before, after, change, change_pct) and
    `failure_reasons` (keys, reason, before, after, status new | gone | both)."""

    by: str
    before: Side
    after: Side
    metrics: pl.DataFrame
    failure_reasons: pl.DataFrame

    def section(self, name: str) -> pl.DataFrame:
        """A frame by its SECTIONS name."""
        return self.metrics if name == "metrics" else self.failure_reasons


def _with(cats: tuple[str, str], keys: tuple[str, ...], per_side: str) -> str:
    """`WITH` each side's selection and its `per_side` block (metrics_side, reasons_side)."""
    slots = {
        "k": ", ".join(keys),
        "sk": ", ".join(f"s.{c}" for c in keys),
        "lat": ",\n".join(
            f"quantile_cont({m}, {q}) FILTER (WHERE created_in) AS {m[:-2]}_p{int(q * 100)}_s"
            for m in LATENCIES
            for q in (0.5, 0.9)
        ),
        "lat_cols": ", ".join(f"{m[:-2]}_p{p}_s" for m in LATENCIES for p in (50, 90)),
    }
    sides = tuple(zip(cats, ("before", "after"), strict=True))
    ctes = [SQL("selection", cat=cat, side=side) for cat, side in sides]
    ctes += [SQL(per_side, cat=cat, side=side, **slots) for cat, side in sides]
    return "WITH " + ",\n".join(ctes)


def _metrics_sql(cats: tuple[str, str], keys: tuple[str, ...]) -> str:
    return SQL(
        "metrics",
        sides=_with(cats, keys, "metrics_side"),
        k=", ".join(keys),
        fk=", ".join(f"f.{c}" for c in keys),
        same_group=" AND ".join(f"f.{c} IS NOT DISTINCT FROM h.{c}" for c in keys),
    )


def _reasons_sql(cats: tuple[str, str], keys: tuple[str, ...]) -> str:
    return SQL("reasons", sides=_with(cats, keys, "reasons_side"), k=", ".join(keys))


def _require_span(store: Store, cat: str, db: Path) -> CaptureSpan:
    """The capture span of the database attached as `cat`; a usage error naming `db` when it
    is not a podreplay database or holds no capture."""
    if not table_in(store, "pod_stats", cat):
        raise UsageError(f"{db}: not a podreplay database (no pod_stats table)")
    span = capture_span(store, cat)
    if span is None:
        raise UsageError(f"{db}: the database holds no capture (run `podreplay ingest` first)")
    return span


def _attach(store: Store, path: Path, cat: str) -> None:
    try:
        store.execute(f"ATTACH ? AS {cat} (READ_ONLY)", [str(path)])
    except PodreplayError as exc:
        raise UsageError(f"{path}: cannot open as a podreplay database: {exc}") from None


def diff(
    before_db: str | Path,
    after_db: str | Path,
    *,
    by: DiffGrouping | str = "workload",
    before: str | None = None,
    after: str | None = None,
) -> DiffResult:
    """Compare two databases (or one database with itself) over the windows `before` and
    `after` (`FROM..TO` text, None for the whole capture), grouped `by` workload, namespace or
    node."""
    if by not in GROUP_KEYS:
        raise UsageError(f"--by must be one of {', '.join(DIFF_GROUPINGS)}, not {by!r}")
    keys = GROUP_KEYS[by]
    paths = [Path(before_db), Path(after_db)]
    same = paths[0].resolve() == paths[1].resolve()
    if same and before is None and after is None:
        raise UsageError(
            "comparing a database with itself: give --before and --after windows"
            " (e.g. --before 'start..+15m' --after '+15m..end') or two databases"
        )
    for p in paths:
        if not p.exists():
            raise NotFoundError(f"{p}: no such database")
    with Store(":memory:") as store:
        cats = ["before_db", "before_db" if same else "after_db"]
        for path, cat in sorted(set(zip(paths, cats, strict=True))):
            _attach(store, path, cat)
        sides: list[Side] = []
        params: dict[str, object] = {}
        for name, path, cat, text in zip(
            ("before", "after"), paths, cats, (before, after), strict=True
        ):
            span = _require_span(store, cat, path)
            try:
                window = parse_window(text, span.start, span.end)
            except UsageError as exc:
                raise UsageError(f"--{name}: {exc}") from None
            sides.append(Side(path, window))
            lo, hi = window.bounds()
            params |= {f"{name}_lo": lo, f"{name}_hi": hi}
            params[f"{name}_incl"] = window.hi_is_end
        order = {"metrics": list(METRICS), "counts": list(COUNTS)}
        metrics = store.frame(_metrics_sql((cats[0], cats[1]), keys), params | order)
        reasons = store.frame(_reasons_sql((cats[0], cats[1]), keys), params)
    return DiffResult(by, sides[0], sides[1], metrics, reasons)

"""Comparing two captures, or two time windows of one: per group, how pod counts, startup
latencies, restart rates by cause, time Pending / not Ready and failure reasons changed.

Both sides are computed by the same SQL over `pod_stats`, `pods`, `restarts`, `phase_intervals`
and `pod_events`, each in its own attached database (read-only). Null figures are unknown:
percentiles are taken over the known values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

import polars as pl

from podreplay.analytics import GROUP_KEYS as STATS_KEYS
from podreplay.errors import NotFoundError, PodreplayError, UsageError
from podreplay.names import DIFF_SECTIONS
from podreplay.store import Store
from podreplay.times import CaptureSpan, capture_span, parse_moment

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


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_window(expr: str, side: str) -> str:
    """Whether `expr` falls in a side's window: from lo, before hi (or at hi, the capture end)."""
    lo, hi, incl = f"${side}_lo", f"${side}_hi", f"${side}_incl"
    return f"({expr} >= {lo} AND ({expr} < {hi} OR ({incl} AND {expr} = {hi})))"


def _selection(cat: str, side: str) -> str:
    """The pods of one side: alive in its window (life overlaps it), or created in it."""
    return f"""
    sel_{side} AS (
        SELECT s.*,
            {_in_window("born", side)} AS created_in
        FROM (
            SELECT s.*, coalesce(p.created_at, p.first_seen) AS born,
                coalesce(p.deleted_at, p.last_seen, p.created_at, p.first_seen) AS gone
            FROM {cat}.pod_stats s JOIN {cat}.pods p USING (pod_uid)
        ) s
        WHERE born <= ${side}_hi AND gone >= ${side}_lo
    )"""


def _side_sql(cat: str, keys: tuple[str, ...], side: str) -> str:
    """Long rows (keys, metric, value) of one side."""
    k = ", ".join(keys)
    lat = ",\n".join(
        f"quantile_cont({m}, {q}) FILTER (WHERE created_in) AS {m[:-2]}_p{int(q * 100)}_s"
        for m in LATENCIES
        for q in (0.5, 0.9)
    )
    lat_cols = ", ".join(f"{m[:-2]}_p{p}_s" for m in LATENCIES for p in (50, 90))
    return f"""
    per_pod_{side} AS (
        SELECT {k},
            count(*)::DOUBLE AS pods,
            count(*) FILTER (WHERE created_in)::DOUBLE AS pods_created,
            {lat}
        FROM sel_{side}
        GROUP BY ALL
    ),
    running_{side} AS (
        SELECT {", ".join(f"s.{c}" for c in keys)},
            sum(greatest(0, epoch(least(i.end_ts, ${side}_hi))
                - epoch(greatest(i.start_ts, ${side}_lo)))) / 3600.0 AS value
        FROM {cat}.phase_intervals i JOIN sel_{side} s USING (pod_uid)
        WHERE i.phase = 'Running' AND i.start_ts < ${side}_hi AND i.end_ts > ${side}_lo
        GROUP BY ALL
    ),
    restarts_{side} AS (
        SELECT {", ".join(f"s.{c}" for c in keys)}, r.cause, count(*)::DOUBLE AS value
        FROM {cat}.restarts r JOIN sel_{side} s USING (pod_uid)
        WHERE {_in_window('r."at"', side)} OR (r."at" IS NULL AND s.created_in)
        GROUP BY ALL
    ),
    long_{side} AS (
        -- every group has every latency row, empty where no figure is known
        SELECT {k}, metric, value
        FROM per_pod_{side}
        UNPIVOT INCLUDE NULLS (value FOR metric IN (pods, pods_created, {lat_cols}))
        UNION ALL
        SELECT {k}, 'running_pod_hours', value FROM running_{side}
        UNION ALL
        SELECT {k}, 'restarts', sum(value) FROM restarts_{side} GROUP BY ALL
        UNION ALL
        SELECT {k}, 'restarts:' || coalesce(cause, 'unknown'), value FROM restarts_{side}
    )"""


def _sides(
    cat_before: str,
    cat_after: str,
    keys: tuple[str, ...],
    per_side: Callable[[str, tuple[str, ...], str], str],
) -> str:
    """`WITH` each side's selection and its `per_side` CTEs."""
    ctes = [_selection(cat_before, "before"), _selection(cat_after, "after")]
    ctes += [per_side(cat_before, keys, "before"), per_side(cat_after, keys, "after")]
    return "WITH " + ",\n".join(ctes)


def _metrics_sql(cat_before: str, cat_after: str, keys: tuple[str, ...]) -> str:
    k = ", ".join(keys)
    order = "[" + ", ".join(_literal(m) for m in METRICS) + "]"
    counts = "[" + ", ".join(_literal(m) for m in COUNTS) + "]"
    return f"""
{_sides(cat_before, cat_after, keys, _side_sql)},
both_sides AS (
    SELECT {k}, metric, 'before' AS side, value FROM long_before
    UNION ALL
    SELECT {k}, metric, 'after', value FROM long_after
),
groups AS (SELECT DISTINCT {k} FROM both_sides),
wide AS (
    SELECT {k}, metric,
        max(value) FILTER (WHERE side = 'before') AS before,
        max(value) FILTER (WHERE side = 'after') AS after
    FROM both_sides
    GROUP BY ALL
    UNION ALL
    -- every group has every count, zero where a side has none
    SELECT {k}, m, NULL, NULL
    FROM groups, unnest({counts}) AS t(m)
),
merged AS (
    SELECT {k}, metric, max(before) AS before, max(after) AS after
    FROM wide
    GROUP BY ALL
),
filled AS (
    SELECT {k}, metric,
        CASE WHEN list_contains({counts}, metric) OR metric LIKE 'restarts:%'
            THEN coalesce(before, 0) ELSE before END AS before,
        CASE WHEN list_contains({counts}, metric) OR metric LIKE 'restarts:%'
            THEN coalesce(after, 0) ELSE after END AS after
    FROM merged
),
rates AS (
    SELECT f.{" , f.".join(keys)},
        replace(f.metric, 'restarts', 'restarts_per_pod_hour') AS metric,
        f.before / nullif(h.before, 0) AS before,
        f.after / nullif(h.after, 0) AS after
    FROM filled f
    JOIN filled h
        ON {" AND ".join(f"f.{c} IS NOT DISTINCT FROM h.{c}" for c in keys)}
        AND h.metric = 'running_pod_hours'
    WHERE f.metric = 'restarts' OR f.metric LIKE 'restarts:%'
),
final AS (
    SELECT * FROM filled UNION ALL SELECT * FROM rates
)
SELECT {k}, metric, before, after, after - before AS change,
    CASE WHEN before <> 0 THEN 100.0 * (after - before) / abs(before) END AS change_pct
FROM final
ORDER BY {k},
    coalesce(array_position({order}, split_part(metric, ':', 1)), 99),
    metric
"""


def _reasons_side(cat: str, keys: tuple[str, ...], side: str) -> str:
    k = ", ".join(f"s.{c}" for c in keys)
    return f"""
    reasons_{side} AS (
        SELECT {k}, e.reason, sum(coalesce(e.count, 1))::BIGINT AS n
        FROM {cat}.pod_events e JOIN sel_{side} s USING (pod_uid)
        WHERE e.type = 'Warning' AND e.reason IS NOT NULL
            AND e.last_ts >= ${side}_lo
            AND (e.first_ts < ${side}_hi OR (${side}_incl AND e.first_ts = ${side}_hi))
        GROUP BY ALL
        UNION ALL
        -- a failed pod's own reason (Evicted, DeadlineExceeded...), else its containers' last
        SELECT {k}, coalesce(s.final_reason, t.reason, 'Failed'), count(*)
        FROM sel_{side} s
        LEFT JOIN (
            SELECT pod_uid, arg_max(reason, finished_at) AS reason
            FROM {cat}.container_snapshots
            WHERE state = 'terminated' AND reason IS NOT NULL
            GROUP BY pod_uid
        ) t USING (pod_uid)
        WHERE (s.final_phase = 'Failed' OR s.final_reason IS NOT NULL)
            AND s.gone >= ${side}_lo AND s.gone <= ${side}_hi
        GROUP BY ALL
    )"""


def _reasons_sql(cat_before: str, cat_after: str, keys: tuple[str, ...]) -> str:
    k = ", ".join(keys)
    return f"""
{_sides(cat_before, cat_after, keys, _reasons_side)},
both_sides AS (
    SELECT {k}, reason, n AS before, 0 AS after FROM reasons_before
    UNION ALL
    SELECT {k}, reason, 0, n FROM reasons_after
),
summed AS (
    SELECT {k}, reason, sum(before)::BIGINT AS before, sum(after)::BIGINT AS after
    FROM both_sides
    GROUP BY ALL
)
SELECT *,
    CASE WHEN before = 0 THEN 'new' WHEN after = 0 THEN 'gone' ELSE 'both' END AS status
FROM summed
ORDER BY {k}, array_position(['new', 'gone', 'both'], status), after + before DESC, reason
"""


def _require_span(store: Store, cat: str, db: Path) -> CaptureSpan:
    """The capture span of the database attached as `cat`; a usage error naming `db` when it
    is not a podreplay database or holds no capture."""
    if not store.scalar(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_catalog = ? AND table_name = 'pod_stats'",
        [cat],
    ):
        raise UsageError(f"{db}: not a podreplay database (no pod_stats table)")
    span = capture_span(store, cat)
    if span is None:
        raise UsageError(f"{db}: the database holds no capture (run `podreplay ingest` first)")
    return span


def _attach(store: Store, path: Path, cat: str) -> None:
    try:
        store.execute(f"ATTACH {_literal(str(path))} AS {cat} (READ_ONLY)")
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
        metrics = store.frame(_metrics_sql(cats[0], cats[1], keys), params)
        reasons = store.frame(_reasons_sql(cats[0], cats[1], keys), params)
    return DiffResult(by, sides[0], sides[1], metrics, reasons)

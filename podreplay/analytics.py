"""Statistics over the derived tables: per-group counts, latency percentiles, restart causes,
failure reasons, crash-looping and never-ready pods.

Each section is one SQL statement over whole tables (`pod_stats`, `restarts`, `pod_events`),
in `sql/stats_*.sql` (the grouping's columns and the duration list put in here); the per-pod
figures themselves are defined once, in `sql/derive_55_pod_stats.sql`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import polars as pl

from podreplay.errors import UsageError
from podreplay.lifecycle import ensure_pod_why
from podreplay.names import STATS_SECTIONS
from podreplay.selection import Selection, require_pods
from podreplay.store import Store, sql_text
from podreplay.times import capture_span, parse_window

Grouping = Literal["pod", "workload", "namespace", "node"]
GROUPINGS: tuple[str, ...] = get_args(Grouping)

GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "pod": ("namespace", "pod"),
    "workload": ("namespace", "workload"),
    "namespace": ("namespace",),
    "node": ("node",),
}

# Per-pod durations summarised as p50/p90/p99/max per group (all DOUBLE seconds).
METRICS: tuple[str, ...] = (
    "time_to_scheduled_s",
    "time_to_initialized_s",
    "image_pull_s",
    "time_to_ready_s",
    "pending_s",
    "running_s",
    "not_ready_running_s",
    "crashloop_s",
    "terminating_s",
)
QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))

# The pod figures a terminal table shows for --by pod (the frame has every pod_stats column).
POD_COLUMNS: tuple[str, ...] = (
    "namespace",
    "pod",
    "workload",
    "node",
    "final_phase",
    "restarts",
    "time_to_scheduled_s",
    "time_to_ready_s",
    "image_pull_s",
    "pending_s",
    "running_s",
    "not_ready_running_s",
    "crashloop_s",
    "terminating_s",
    "unknown_s",  # time no capture shows (and phase Unknown): the figures leave it out
    "why",  # the pod's worst problem in words (pod_why): folds, never dropped
)

SECTIONS = STATS_SECTIONS
TOP_REASONS = 5


def _check_by(by: str) -> tuple[str, ...]:
    if by not in GROUP_KEYS:
        raise UsageError(f"--by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    return GROUP_KEYS[by]


def _params(
    store: Store,
    namespace: str | None,
    since: str | datetime | None,
    until: str | datetime | None,
    selector: str | None = None,
    uids: tuple[str, ...] | None = None,
) -> dict[str, object]:
    """Select the pods (temp.selected_pods) and return the window's bounds as parameters."""
    lo, hi = parse_window(since, until, capture_span(store))
    require_pods(store, Selection(namespace, lo, hi, selector, uids))
    ensure_pod_why(store)
    store.execute(sql_text("stats_selected.sql"))  # temp.stats_pods: the pods selected
    return {"since": lo, "until": hi}


def _keys(cols: tuple[str, ...], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{c}" for c in cols)


def _sql(name: str, **parts: object) -> str:
    """The text of sql/NAME with the identifier lists (never user values) put in."""
    return sql_text(name).format(**parts)


def _summary_sql(by: str) -> str:
    keys = _check_by(by)
    if by == "pod":
        # every pod_stats figure, identity first (POD_COLUMNS is the short view for tables)
        return _sql("stats_summary_pods.sql", first=", ".join(POD_COLUMNS[:5]))
    figures = ",\n    ".join(
        f"quantile_cont({m}, {q}) AS {m[:-2]}_{label}_s" if q else f"max({m}) AS {m[:-2]}_max_s"
        for m in METRICS
        for label, q in (*QUANTILES, ("max", None))
    )
    return _sql("stats_summary.sql", keys=_keys(keys), figures=figures)


def _latencies_sql(by: str) -> str:
    keys = () if by == "pod" else _check_by(by)
    return _sql(
        "stats_latencies.sql",
        key_cols=f"{_keys(keys)}, " if keys else "",
        metrics=", ".join(METRICS),
        quantiles=",\n    ".join(
            f"quantile_cont(value, {v}) AS {label}_s" for label, v in QUANTILES
        ),
        metric_list="[" + ", ".join(f"'{m}'" for m in METRICS) + "]",
    )


def _restart_causes_sql(by: str) -> str:
    return _sql("stats_restart_causes.sql", keys=_keys(_check_by(by), "sel"))


def _failure_reasons_sql(by: str) -> str:
    keys = _check_by(by)
    return _sql(
        "stats_failure_reasons.sql",
        keys=_keys(keys),
        sel_keys=_keys(keys, "sel"),
        top=TOP_REASONS,
    )


def _pods_where_sql(flag: str) -> str:
    return _sql("stats_pods_where.sql", flag=flag)


def stats(
    store: Store,
    by: Grouping | str = "pod",
    namespace: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    selector: str | None = None,
    uids: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """One row per group: pod counts by final phase, restarts, crash-looping and never-ready
    pods, and p50/p90/p99/max of each duration in METRICS (for by="pod": the pods' figures).

    `since`/`until` select the pods whose life overlaps that window; figures are whole-pod.
    """
    sql = _summary_sql(by)
    return store.frame(sql, _used(sql, _params(store, namespace, since, until, selector, uids)))


def stats_sections(
    store: Store,
    by: Grouping | str = "pod",
    namespace: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    selector: str | None = None,
    uids: tuple[str, ...] | None = None,
) -> dict[str, pl.DataFrame]:
    """The named frames of SECTIONS: summary (as `stats`), latencies (long form: one row per
    group and metric; over all selected pods for by="pod"), restart_causes, failure_reasons
    (top Warning event reasons and pod failure reasons), crashlooping and never_ready pods."""
    params = _params(store, namespace, since, until, selector, uids)
    queries = {
        "summary": _summary_sql(by),
        "latencies": _latencies_sql(by),
        "restart_causes": _restart_causes_sql(by),
        "failure_reasons": _failure_reasons_sql(by),
        "crashlooping": _pods_where_sql("crashlooped"),
        "never_ready": _pods_where_sql("never_ready"),
    }
    return {name: store.frame(sql, _used(sql, params)) for name, sql in queries.items()}


def _used(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The parameters the statement names (DuckDB refuses unused ones)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}

"""The data base of the report's sections: which pods and window a report covers (the temp
table `report_pods`), the frames several sections share, and the named queries of
`scope.sql` (`podreplay.sqlfiles.Sql`, the loader every section uses).

Everything is set-based (one query per table, not per pod). A derived table that is missing
(an older database, or a pipeline stage not built) gives an empty frame and a note, never an
error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from podreplay.derive import DERIVED_TABLES
from podreplay.selection import Selection, select_pods
from podreplay.sqlfiles import Sql
from podreplay.store import Store
from podreplay.times import capture_span

PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]
TIMELINE_CAP = 50  # per-pod timelines in one report
IN_SCOPE = "pod_uid IN (SELECT pod_uid FROM temp.report_pods)"


SQL = Sql(__file__)


@dataclass(frozen=True)
class Scope:
    """Which pods and which time window a report covers."""

    namespace: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    selector: str | None = None  # a kubectl label selector
    uids: tuple[str, ...] | None = None  # pods named by the user (resolved)


@dataclass
class ReportData:
    """What a report shows; frames use the contract's column names."""

    start: datetime | None
    end: datetime | None
    pods: pl.DataFrame  # pods in scope + pod_stats columns + label, anchor
    pods_total: int
    missing: list[str] = field(default_factory=list)


def table_exists(store: Store, name: str) -> bool:
    """Whether the derived table (or view) exists."""
    return store.has_table(name)


def select_scope(store: Store, scope: Scope) -> ReportData:
    """Materialise the pods in scope as the temp table `report_pods` and read them.

    A pod is in scope when `selection.select_pods` picks it: the namespace, labels and pods
    asked for, alive at some point in [since, until].
    """
    span = capture_span(store)
    lo = scope.since or (span.start if span else None)
    hi = scope.until or (span.end if span else None)
    missing = [t for t in DERIVED_TABLES if not table_exists(store, t)]
    if "pods" in missing:
        return ReportData(lo, hi, pl.DataFrame(), 0, missing)
    has_stats, has_why = "pod_stats" not in missing, "pod_why" not in missing
    select_pods(
        store, Selection(scope.namespace, scope.since, scope.until, scope.selector, scope.uids)
    )
    store.execute(
        SQL(
            "report_pods",
            stats_cols=SQL("stats_cols" if has_stats else "stats_cols_missing"),
            stats_join="LEFT JOIN pod_stats s USING (pod_uid)" if has_stats else "",
            why_cols=SQL("why_cols" if has_why else "why_cols_missing"),
            why_join="LEFT JOIN pod_why w USING (pod_uid)" if has_why else "",
            restarts="(SELECT count(*) FROM restarts r WHERE r.pod_uid = p.pod_uid)"
            if "restarts" not in missing
            else "0",
        )
    )
    pods = store.frame(SQL("pods"))
    # Recreated pods (StatefulSets) share ns/name: tell them apart in labels.
    pods = pods.with_columns(
        label=pl.when(pl.col("label").is_duplicated())
        .then(pl.format("{} [{}]", pl.col("label"), pl.col("pod_uid").str.slice(0, 8)))
        .otherwise(pl.col("label"))
    )
    total = int(store.scalar("SELECT count(*) FROM pods") or 0)
    return ReportData(lo, hi, pods, total, missing)


def for_pods(pod_uids: list[str] | None) -> str:
    """A WHERE condition for the pods in scope, or for a given list (a `?` parameter)."""
    return IN_SCOPE if pod_uids is None else "list_contains(?::VARCHAR[], pod_uid)"


def pods_param(pod_uids: list[str] | None) -> list[object]:
    """The parameter `for_pods` asks for: the list, or nothing."""
    return [] if pod_uids is None else [pod_uids]


def empty_intervals(extra: dict[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    """An empty frame of intervals (pod_uid, start_ts, end_ts) plus `extra` columns."""
    ts = pl.Datetime("us", "UTC")
    return pl.DataFrame(schema={"pod_uid": pl.String, "start_ts": ts, "end_ts": ts, **extra})


def phase_intervals(
    store: Store, data: ReportData, pod_uids: list[str] | None = None, *, clip: bool = True
) -> pl.DataFrame:
    """Phase intervals of the pods (in scope, or `pod_uids`); with `clip`, only those inside
    the report window and cut to it (the cluster view), else whole lives (a pod's own
    timeline)."""
    if "phase_intervals" in data.missing:
        return empty_intervals({"phase": pl.String, "open": pl.Boolean})
    lo, hi = (data.start, data.end) if clip else (None, None)
    return store.frame(
        SQL("phase_intervals", pods=for_pods(pod_uids)),
        [lo, hi, *pods_param(pod_uids), lo, lo, hi, hi],
    )


def restarts_in_scope(store: Store, data: ReportData) -> pl.DataFrame:
    """Restarts of the pods in scope inside the window."""
    if "restarts" in data.missing:
        return pl.DataFrame(
            schema={
                "pod_uid": pl.String,
                "container": pl.String,
                "restart_no": pl.Int64,
                "at": pl.Datetime("us", "UTC"),
                "cause": pl.String,
                "exit_code": pl.Int32,
            }
        )
    return store.frame(SQL("restarts"), [data.start, data.start, data.end, data.end])

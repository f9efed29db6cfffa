"""The frames an HTML report is drawn from, read from the derived tables with SQL.

Everything here is set-based (one query per table, not per pod). A derived table that is missing
(an older database, or a pipeline stage not built) gives an empty frame and a note, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from podreplay.derive import DERIVED_TABLES
from podreplay.selection import Selection, select_pods
from podreplay.store import Store
from podreplay.times import capture_span

PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]
TIMELINE_CAP = 50  # per-pod timelines in one report
CLUSTER_ROWS_CAP = 400  # rows of the cluster timeline
TABLE_ROWS = 15  # rows of each worst-offender table
POD_EVENTS_CAP = 200  # events listed under one pod's timeline
COUNT_BUCKETS = 300  # samples of the pods-per-phase chart


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
    stats_cols = (
        "s.time_to_ready_s, s.pending_s, s.image_pull_s, s.restarts AS restarts_n,"
        " s.crashloop_s, s.not_ready_running_s, s.terminating_s"
        if "pod_stats" not in missing
        else "NULL::DOUBLE AS time_to_ready_s, NULL::DOUBLE AS pending_s,"
        " NULL::DOUBLE AS image_pull_s, NULL::BIGINT AS restarts_n, NULL::DOUBLE AS crashloop_s,"
        " NULL::DOUBLE AS not_ready_running_s, NULL::DOUBLE AS terminating_s"
    )
    stats_join = "LEFT JOIN pod_stats s USING (pod_uid)" if "pod_stats" not in missing else ""
    why_cols, why_join = (
        ("w.problem, w.why, w.problems, w.failure", "LEFT JOIN pod_why w USING (pod_uid)")
        if "pod_why" not in missing
        else (
            "NULL::VARCHAR AS problem, NULL::VARCHAR AS why, []::VARCHAR[] AS problems,"
            " NULL::VARCHAR AS failure",
            "",
        )
    )
    restarts_sub = (
        "(SELECT count(*) FROM restarts r WHERE r.pod_uid = p.pod_uid)"
        if "restarts" not in missing
        else "0"
    )
    select_pods(
        store, Selection(scope.namespace, scope.since, scope.until, scope.selector, scope.uids)
    )
    store.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE report_pods AS
        SELECT
            p.pod_uid, p.namespace, p.pod, p.workload, p.node, p.qos_class, p.created_at,
            p.first_seen, p.last_seen, p.deletion_requested_at, p.deleted_at,
            p.final_phase, p.final_reason,
            {stats_cols},
            {restarts_sub} AS restart_rows,
            {why_cols}
        FROM pods p {stats_join} {why_join}
        WHERE p.pod_uid IN (SELECT pod_uid FROM temp.selected_pods)
        """
    )
    pods = store.frame(
        """
        SELECT *,
            coalesce(restarts_n, restart_rows) AS restarts,
            'pod-' || substr(sha256(pod_uid), 1, 12) AS anchor,
            coalesce(namespace, '') || '/' || coalesce(pod, pod_uid) AS label
        FROM temp.report_pods
        ORDER BY namespace, workload NULLS LAST, pod, created_at, pod_uid
        """
    )
    # Recreated pods (StatefulSets) share ns/name: tell them apart in labels.
    pods = pods.with_columns(
        label=pl.when(pl.col("label").is_duplicated())
        .then(pl.format("{} [{}]", pl.col("label"), pl.col("pod_uid").str.slice(0, 8)))
        .otherwise(pl.col("label"))
    )
    total = int(store.scalar("SELECT count(*) FROM pods") or 0)
    return ReportData(lo, hi, pods, total, missing)


def _in_scope(alias: str = "") -> str:
    col = f"{alias}.pod_uid" if alias else "pod_uid"
    return f"{col} IN (SELECT pod_uid FROM temp.report_pods)"


def _for_pods(pod_uids: list[str] | None, alias: str = "") -> str:
    """A WHERE condition for the pods in scope, or for a given list (a `?` parameter)."""
    col = f"{alias}.pod_uid" if alias else "pod_uid"
    return _in_scope(alias) if pod_uids is None else f"list_contains(?::VARCHAR[], {col})"


def _params(pod_uids: list[str] | None, *more: object) -> list[object]:
    return ([] if pod_uids is None else [pod_uids]) + list(more)


def phase_intervals(
    store: Store, data: ReportData, pod_uids: list[str] | None = None, *, clip: bool = True
) -> pl.DataFrame:
    """Phase intervals of the pods; with `clip`, only those inside the report window and cut
    to it (the cluster view), else whole lives (a pod's own timeline)."""
    if "phase_intervals" in data.missing:
        return _empty_intervals({"phase": pl.String, "open": pl.Boolean})
    lo, hi = (data.start, data.end) if clip else (None, None)
    return store.frame(
        f"""
        SELECT pod_uid, phase, greatest(start_ts, ?::TIMESTAMPTZ) AS start_ts,
               least(end_ts, ?::TIMESTAMPTZ) AS end_ts, open, basis
        FROM phase_intervals
        WHERE {_for_pods(pod_uids)}
          AND (?::TIMESTAMPTZ IS NULL OR end_ts IS NULL OR end_ts >= ?::TIMESTAMPTZ)
          AND (?::TIMESTAMPTZ IS NULL OR start_ts <= ?::TIMESTAMPTZ)
        ORDER BY pod_uid, start_ts
        """,
        [lo, hi, *_params(pod_uids), lo, lo, hi, hi],
    )


def _empty_intervals(extra: dict[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    ts = pl.Datetime("us", "UTC")
    return pl.DataFrame(schema={"pod_uid": pl.String, "start_ts": ts, "end_ts": ts, **extra})


def pod_detail_frames(
    store: Store, data: ReportData, pod_uids: list[str]
) -> dict[str, pl.DataFrame]:
    """Conditions, containers, restarts, probe failures and events of a few pods (one query per
    table, split by pod in the caller)."""
    ts = pl.Datetime("us", "UTC")
    out: dict[str, pl.DataFrame] = {"phases": phase_intervals(store, data, pod_uids, clip=False)}
    queries: dict[str, tuple[str, str, dict[str, Any]]] = {
        "conditions": (
            "condition_intervals",
            "SELECT pod_uid, condition, status, start_ts, end_ts, seconds, reason, basis"
            " FROM condition_intervals WHERE {w} ORDER BY pod_uid, condition, start_ts",
            {"condition": pl.String, "status": pl.String, "reason": pl.String},
        ),
        "containers": (
            "container_intervals",
            "SELECT pod_uid, container, is_init, state, reason, start_ts, end_ts, seconds,"
            " exit_code, basis, message FROM container_intervals WHERE {w}"
            " ORDER BY pod_uid, is_init DESC, container, start_ts",
            {
                "container": pl.String,
                "is_init": pl.Boolean,
                "state": pl.String,
                "reason": pl.String,
                "exit_code": pl.Int32,
                "message": pl.String,
            },
        ),
        "restarts": (
            "restarts",
            'SELECT pod_uid, container, restart_no, "at", cause, exit_code, evidence'
            ' FROM restarts WHERE {w} ORDER BY pod_uid, "at", container, restart_no',
            {
                "container": pl.String,
                "restart_no": pl.Int64,
                "at": ts,
                "cause": pl.String,
                "exit_code": pl.Int32,
            },
        ),
        "probes": (
            "probe_failures",
            "SELECT pod_uid, container, probe, first_ts, last_ts, count, message"
            " FROM probe_failures WHERE {w} ORDER BY pod_uid, first_ts, container, probe",
            {
                "container": pl.String,
                "probe": pl.String,
                "first_ts": ts,
                "last_ts": ts,
                "count": pl.Int64,
                "message": pl.String,
            },
        ),
    }
    for key, (table, sql, schema) in queries.items():
        if table in data.missing:
            base: dict[str, Any] = {"pod_uid": pl.String}
            if key in ("conditions", "containers"):
                base |= {"start_ts": ts, "end_ts": ts}
            out[key] = pl.DataFrame(schema={**base, **schema})
        else:
            out[key] = store.frame(sql.format(w=_for_pods(pod_uids)), [pod_uids])
    out["events"] = pod_events(store, pod_uids)
    return out


def pod_events(store: Store, pod_uids: list[str]) -> pl.DataFrame:
    """Events about the pods, with first/last occurrence, newest last."""
    if table_exists(store, "pod_events"):
        sql = """
            SELECT pe.pod_uid, pe.event_key, pe.type, pe.reason, pe.message, pe.container,
                   pe.count, pe.first_ts, pe.last_ts,
                   e.event_ts, pe.component
            FROM pod_events pe LEFT JOIN events e USING (event_key)
            WHERE list_contains(?::VARCHAR[], pe.pod_uid)
            ORDER BY pe.pod_uid, pe.first_ts, pe.event_key
        """
    else:
        sql = """
            SELECT p.pod_uid, e.event_key, e.type, e.reason, e.message, e.container, e.count,
                   coalesce(e.first_ts, e.event_ts, e.last_ts) AS first_ts,
                   coalesce(e.last_ts, e.event_ts, e.first_ts) AS last_ts,
                   e.event_ts, e.component
            FROM events e JOIN pods p
              ON e.object_uid = p.pod_uid
              OR (e.object_uid IS NULL AND e.object_kind = 'Pod'
                  AND e.object_namespace = p.namespace AND e.object_name = p.pod)
            WHERE list_contains(?::VARCHAR[], p.pod_uid)
            ORDER BY p.pod_uid, coalesce(e.first_ts, e.event_ts, e.last_ts), e.event_key
        """
    return store.frame(sql, [pod_uids])


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
    return store.frame(
        f"""
        SELECT pod_uid, container, restart_no, "at", cause, exit_code
        FROM restarts
        WHERE {_in_scope()}
          AND ("at" IS NULL OR ?::TIMESTAMPTZ IS NULL OR "at" >= ?::TIMESTAMPTZ)
          AND ("at" IS NULL OR ?::TIMESTAMPTZ IS NULL OR "at" <= ?::TIMESTAMPTZ)
        ORDER BY pod_uid, "at", container, restart_no
        """,
        [data.start, data.start, data.end, data.end],
    )


def running_overlays(store: Store, data: ReportData) -> pl.DataFrame:
    """What is wrong inside a pod's phases, for the cluster timeline: stretches of
    CrashLoopBackOff (any container), of Ready=False while Running, and of terminating (from the
    deletion request until the pod is gone or its evidence ends). Columns: pod_uid, overlay,
    start_ts, end_ts (cut to the window)."""
    parts = []
    if "container_intervals" not in data.missing:
        parts.append(
            "SELECT pod_uid, 'CrashLoopBackOff' AS overlay, start_ts, end_ts"
            " FROM container_intervals WHERE state = 'waiting' AND reason = 'CrashLoopBackOff'"
        )
    if not {"condition_intervals", "phase_intervals"} & set(data.missing):
        parts.append(
            "SELECT c.pod_uid, 'not Ready' AS overlay, greatest(c.start_ts, r.start_ts),"
            " least(c.end_ts, r.end_ts) FROM condition_intervals c JOIN phase_intervals r"
            " ON r.pod_uid = c.pod_uid AND r.phase = 'Running' AND c.start_ts < r.end_ts"
            " AND c.end_ts > r.start_ts WHERE c.condition = 'Ready' AND c.status = 'False'"
        )
    parts.append(
        "SELECT pod_uid, 'terminating' AS overlay, deletion_requested_at,"
        " coalesce(deleted_at, evidence_to) FROM pods WHERE deletion_requested_at IS NOT NULL"
    )
    union = "\nUNION ALL\n".join(parts)
    return store.frame(
        f"""
        SELECT pod_uid, overlay, greatest(start_ts, ?::TIMESTAMPTZ) AS start_ts,
               least(end_ts, ?::TIMESTAMPTZ) AS end_ts
        FROM ({union}) AS o (pod_uid, overlay, start_ts, end_ts)
        WHERE {_in_scope()} AND end_ts > start_ts
          AND (?::TIMESTAMPTZ IS NULL OR end_ts >= ?::TIMESTAMPTZ)
          AND (?::TIMESTAMPTZ IS NULL OR start_ts <= ?::TIMESTAMPTZ)
        ORDER BY pod_uid, start_ts, overlay
        """,
        [data.start, data.end, data.start, data.start, data.end, data.end],
    )


def problems_in_scope(store: Store, data: ReportData) -> pl.DataFrame:
    """Every problem of the pods in scope (pod_problems: pod_uid, problem, severity, why)."""
    if "pod_problems" in data.missing:
        cols = {"pod_uid": pl.String, "problem": pl.String, "severity": pl.Int32}
        return pl.DataFrame(schema=cols | {"why": pl.String})
    return store.frame(
        f"SELECT pod_uid, problem, severity, why FROM pod_problems WHERE {_in_scope()}"
        " ORDER BY severity, pod_uid"
    )


def phase_counts(store: Store, data: ReportData) -> pl.DataFrame:
    """Pods in each phase at COUNT_BUCKETS evenly spaced moments of the window (all pods in
    scope, however many)."""
    if "phase_intervals" in data.missing or data.start is None or data.end is None:
        return pl.DataFrame(
            schema={"ts": pl.Datetime("us", "UTC"), "phase": pl.String, "pods": pl.Int64}
        )
    step = max((data.end - data.start) / COUNT_BUCKETS, timedelta(milliseconds=1))
    return store.frame(
        f"""
        WITH b AS (
            SELECT unnest(generate_series(?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::INTERVAL)) AS ts
        ),
        ph AS (SELECT DISTINCT phase FROM phase_intervals WHERE {_in_scope()}),
        n AS (
            SELECT b.ts, pi.phase, count(*) AS pods
            FROM b JOIN phase_intervals pi
              ON pi.start_ts <= b.ts
             AND (b.ts < pi.end_ts OR (pi.open AND b.ts <= pi.end_ts))
            WHERE {_in_scope("pi")}
            GROUP BY ALL
        )
        SELECT b.ts, ph.phase, coalesce(n.pods, 0) AS pods
        FROM b CROSS JOIN ph LEFT JOIN n ON n.ts = b.ts AND n.phase = ph.phase
        ORDER BY b.ts, ph.phase
        """,
        [data.start, data.end, step],
    )


def warning_reasons(store: Store, data: ReportData) -> pl.DataFrame:
    """Warning event reasons for the pods in scope inside the window, most frequent first."""
    if not table_exists(store, "pod_events"):
        return pl.DataFrame(schema={"reason": pl.String, "occurrences": pl.Int64, "pods": pl.Int64})
    return store.frame(
        f"""
        SELECT reason, sum(coalesce(count, 1)) AS occurrences, count(DISTINCT pod_uid) AS pods
        FROM pod_events
        WHERE type = 'Warning' AND {_in_scope()}
          AND (?::TIMESTAMPTZ IS NULL OR last_ts >= ?::TIMESTAMPTZ)
          AND (?::TIMESTAMPTZ IS NULL OR first_ts <= ?::TIMESTAMPTZ)
        GROUP BY reason ORDER BY occurrences DESC, reason LIMIT 15
        """,
        [data.start, data.start, data.end, data.end],
    )


def warning_counts(store: Store) -> pl.DataFrame:
    """Warning events per pod in scope (pod_uid, warnings)."""
    if not table_exists(store, "pod_events"):
        return pl.DataFrame(schema={"pod_uid": pl.String, "warnings": pl.Int64})
    return store.frame(
        f"""
        SELECT pod_uid, sum(coalesce(count, 1)) AS warnings FROM pod_events
        WHERE type = 'Warning' AND {_in_scope()} GROUP BY pod_uid
        """
    )


def state_changes(store: Store, data: ReportData) -> pl.DataFrame:
    """Every change of phase, Ready and restart count of the pods in scope, in time order.

    Columns: ts, pod_uid, kind (0 phase, 1 ready, 2 restarts, 3 gone, 4 a container's state),
    value (phase name, 'True'/'False', the restart count so far, or `container=state (reason)`).
    'gone' marks the end of a pod's last phase when the capture saw it end.
    """
    parts = []
    if "phase_intervals" not in data.missing:
        parts.append(
            f"SELECT pod_uid, start_ts AS ts, 0 AS kind, phase AS value FROM phase_intervals"
            f" WHERE {_in_scope()}"
        )
        parts.append(
            f"SELECT pod_uid, max(end_ts) AS ts, 3 AS kind, NULL AS value FROM phase_intervals"
            f" WHERE {_in_scope()} GROUP BY pod_uid HAVING NOT bool_or(coalesce(open, false))"
        )
    if "condition_intervals" not in data.missing:
        parts.append(
            "SELECT pod_uid, start_ts AS ts, 1 AS kind, status AS value FROM condition_intervals"
            f" WHERE condition = 'Ready' AND {_in_scope()}"
        )
    if "container_intervals" not in data.missing:
        parts.append(
            "SELECT pod_uid, start_ts AS ts, 4 AS kind, concat(CASE WHEN is_init THEN 'init:'"
            " END, container, '=', state, CASE WHEN reason IS NOT NULL OR exit_code IS NOT NULL"
            " THEN concat(' (', concat_ws(' ', reason, 'exit ' || exit_code), ')') END) AS value"
            f" FROM container_intervals WHERE {_in_scope()}"
        )
    if "restarts" not in data.missing:
        parts.append(
            'SELECT pod_uid, "at" AS ts, 2 AS kind, CAST(row_number() OVER ('
            'PARTITION BY pod_uid ORDER BY "at", container, restart_no) AS VARCHAR) AS value'
            f' FROM restarts WHERE "at" IS NOT NULL AND {_in_scope()}'
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "ts": pl.Datetime("us", "UTC"),
                "pod_uid": pl.String,
                "kind": pl.Int32,
                "value": pl.String,
            }
        )
    union = "\nUNION ALL\n".join(parts)
    return store.frame(
        f"SELECT ts, pod_uid, kind, value FROM ({union}) WHERE ts IS NOT NULL"
        " ORDER BY ts, kind, pod_uid, value"
    )

-- The report's scope: the pods in it (the temp table report_pods) and their phase intervals.
-- Blocks are named `-- name: NAME`; `{...}` holds a fragment the code picks, never a value.

-- name: stats_cols
s.time_to_ready_s, s.pending_s, s.image_pull_s, s.restarts AS restarts_n,
s.crashloop_s, s.not_ready_running_s, s.terminating_s

-- name: stats_cols_missing
NULL::DOUBLE AS time_to_ready_s, NULL::DOUBLE AS pending_s,
NULL::DOUBLE AS image_pull_s, NULL::BIGINT AS restarts_n, NULL::DOUBLE AS crashloop_s,
NULL::DOUBLE AS not_ready_running_s, NULL::DOUBLE AS terminating_s

-- name: why_cols
w.problem, w.why, w.problems, w.failure

-- name: why_cols_missing
NULL::VARCHAR AS problem, NULL::VARCHAR AS why, []::VARCHAR[] AS problems,
NULL::VARCHAR AS failure

-- name: report_pods
CREATE OR REPLACE TEMP TABLE report_pods AS
SELECT
    p.pod_uid, p.namespace, p.pod, p.workload, p.node, p.qos_class, p.created_at,
    p.first_seen, p.last_seen, p.deletion_requested_at, p.deleted_at,
    p.final_phase, p.final_reason,
    {stats_cols},
    {restarts} AS restart_rows,
    {why_cols}
FROM pods p {stats_join} {why_join}
WHERE p.pod_uid IN (SELECT pod_uid FROM temp.selected_pods)

-- name: pods
SELECT *,
    coalesce(restarts_n, restart_rows) AS restarts,
    'pod-' || substr(sha256(pod_uid), 1, 12) AS anchor,
    coalesce(namespace, '') || '/' || coalesce(pod, pod_uid) AS label
FROM temp.report_pods
ORDER BY namespace, workload NULLS LAST, pod, created_at, pod_uid

-- name: phase_intervals
SELECT pod_uid, phase, greatest(start_ts, ?::TIMESTAMPTZ) AS start_ts,
       least(end_ts, ?::TIMESTAMPTZ) AS end_ts, open, basis
FROM phase_intervals
WHERE {pods}
  AND (?::TIMESTAMPTZ IS NULL OR end_ts IS NULL OR end_ts >= ?::TIMESTAMPTZ)
  AND (?::TIMESTAMPTZ IS NULL OR start_ts <= ?::TIMESTAMPTZ)
ORDER BY pod_uid, start_ts

-- name: restarts
SELECT pod_uid, container, restart_no, "at", cause, exit_code
FROM restarts
WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods)
  AND ("at" IS NULL OR ?::TIMESTAMPTZ IS NULL OR "at" >= ?::TIMESTAMPTZ)
  AND ("at" IS NULL OR ?::TIMESTAMPTZ IS NULL OR "at" <= ?::TIMESTAMPTZ)
ORDER BY pod_uid, "at", container, restart_no

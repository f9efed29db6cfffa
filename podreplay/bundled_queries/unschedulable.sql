-- name: unschedulable
-- description: Pods the scheduler could not place (FailedScheduling), how long they waited and why.
-- param: namespace (default: all) only pods in this namespace
WITH failed AS (
    SELECT
        pod_uid,
        sum(coalesce(count, 1))::BIGINT AS attempts,
        min(first_ts) AS first_failed_at,
        max(last_ts) AS last_failed_at,
        arg_max(message, last_ts) AS last_message
    FROM pod_events
    WHERE reason = 'FailedScheduling'
    GROUP BY pod_uid
),
cond AS (
    SELECT DISTINCT pod_uid
    FROM condition_intervals
    WHERE condition = 'PodScheduled' AND status = 'False' AND reason = 'Unschedulable'
)
SELECT
    s.namespace,
    s.pod,
    s.workload,
    f.attempts,
    f.first_failed_at,
    f.last_failed_at,
    s.time_to_scheduled_s IS NOT NULL AS eventually_scheduled,
    round(s.time_to_scheduled_s, 3) AS time_to_scheduled_s,
    round(s.pending_s, 3) AS pending_s,
    f.last_message
FROM pod_stats s
LEFT JOIN failed f USING (pod_uid)
WHERE (f.pod_uid IS NOT NULL OR s.pod_uid IN (SELECT pod_uid FROM cond))
  AND ($namespace IS NULL OR s.namespace = $namespace)
ORDER BY eventually_scheduled, s.pending_s DESC, s.namespace, s.pod;

-- name: pending_pods
-- description: Pods still Pending when the capture ended, longest first, with the last waiting reason.
-- param: namespace (default: all) only this namespace
WITH waiting AS (
    SELECT pod_uid, arg_max(reason, observed_at) AS waiting_reason
    FROM container_snapshots
    WHERE state = 'waiting'
    GROUP BY pod_uid
)
SELECT
    s.namespace,
    s.pod,
    s.workload,
    s.node,
    round(s.pending_s, 3) AS pending_s,
    s.time_to_scheduled_s IS NOT NULL AS scheduled,
    w.waiting_reason
FROM pod_stats s
LEFT JOIN waiting w USING (pod_uid)
WHERE s.final_phase = 'Pending'
  AND ($namespace IS NULL OR s.namespace = $namespace)
ORDER BY s.pending_s DESC, s.namespace, s.pod;

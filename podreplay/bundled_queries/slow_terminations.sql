-- name: slow_terminations
-- description: Pods that took longest to go away after deletion, and whether they outlived the grace period.
-- param: namespace (default: all) only this namespace
SELECT
    s.namespace,
    s.pod,
    s.workload,
    p.deletion_requested_at,
    round(s.terminating_s, 3) AS terminating_s,
    s.grace_exceeded,
    s.final_phase
FROM pod_stats s
JOIN pods p USING (pod_uid)
WHERE s.terminating_s IS NOT NULL
  AND ($namespace IS NULL OR s.namespace = $namespace)
ORDER BY s.grace_exceeded DESC, s.terminating_s DESC, s.namespace, s.pod;

-- name: stuck_creating
-- description: Pods stuck before their containers could run (volume, sandbox or config errors), with the time each blocker cost, longest first.
-- param: namespace (default: all) only pods in this namespace
-- param: min_s (default: 0) only stretches at least this many seconds long
SELECT
    b.namespace,
    b.pod,
    p.workload,
    p.node,
    b.cause,
    b.reasons,
    b.events,
    b.blocked_from,
    b.blocked_until,
    round(b.blocked_s, 3) AS blocked_s,
    b.open AS still_blocked,
    b.message
FROM creation_blocks b
JOIN pods p USING (pod_uid)
WHERE ($namespace IS NULL OR b.namespace = $namespace)
  AND b.blocked_s >= $min_s::DOUBLE
ORDER BY b.blocked_s DESC, b.namespace, b.pod, b.blocked_from;

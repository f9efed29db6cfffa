-- name: restart_causes
-- description: Container restarts counted by cause (liveness_probe, OOMKilled, error, ...) per workload.
-- param: namespace (default: all) only pods in this namespace
SELECT
    r.namespace,
    p.workload,
    r.cause,
    count(*) AS restarts,
    count(DISTINCT r.pod_uid) AS pods
FROM restarts r
JOIN pods p USING (pod_uid)
WHERE ($namespace IS NULL OR r.namespace = $namespace)
GROUP BY r.namespace, p.workload, r.cause
ORDER BY restarts DESC, r.namespace, p.workload, r.cause;

-- name: flapping_readiness
-- description: Pods whose Ready condition went back to False after first becoming True, most flaps first.
-- param: namespace (default: all) only pods in this namespace
-- param: min_flaps (default: 1) the fewest True→False transitions to report
WITH ready AS (
    SELECT
        pod_uid,
        status,
        start_ts,
        seconds,
        lag(status) OVER (PARTITION BY pod_uid ORDER BY start_ts) AS previous
    FROM condition_intervals
    WHERE condition = 'Ready'
)
SELECT
    p.namespace,
    p.pod,
    p.workload,
    count(*) FILTER (WHERE status = 'False' AND previous = 'True') AS flaps,
    round(sum(seconds) FILTER (WHERE status = 'False' AND previous IS NOT NULL), 3)
        AS not_ready_after_ready_s,
    min(start_ts) FILTER (WHERE status = 'True') AS first_ready_at,
    max(start_ts) FILTER (WHERE status = 'False' AND previous = 'True') AS last_flap_at
FROM ready
JOIN pods p USING (pod_uid)
WHERE ($namespace IS NULL OR p.namespace = $namespace)
GROUP BY p.pod_uid, p.namespace, p.pod, p.workload
HAVING count(*) FILTER (WHERE status = 'False' AND previous = 'True') >= $min_flaps::INTEGER
ORDER BY flaps DESC, p.namespace, p.pod;

-- name: flapping_readiness
-- description: Pods whose Ready condition fell back to False while Running (not at completion or deletion), most flaps first.
-- param: namespace (default: all) only pods in this namespace
-- param: min_flaps (default: 1) the fewest True→False transitions to report
WITH ready AS (
    SELECT
        pod_uid,
        status,
        start_ts,
        end_ts,
        lag(status) OVER (PARTITION BY pod_uid ORDER BY start_ts) AS previous
    FROM condition_intervals
    WHERE condition = 'Ready'
),
-- a True→False transition counts when the pod is Running then and not being deleted: going
-- not-ready because the pod completed, failed or is terminating is no flap
flaps AS (
    SELECT r.pod_uid, r.start_ts, r.end_ts
    FROM ready r
    JOIN pods p USING (pod_uid)
    WHERE r.status = 'False' AND r.previous = 'True'
      AND (p.deletion_requested_at IS NULL OR r.start_ts < p.deletion_requested_at)
      AND EXISTS (
          SELECT 1 FROM phase_intervals i
          WHERE i.pod_uid = r.pod_uid AND i.phase = 'Running'
            AND r.start_ts >= i.start_ts AND r.start_ts < i.end_ts
      )
)
SELECT
    p.namespace,
    p.pod,
    p.workload,
    count(*) AS flaps,
    round(sum(epoch(f.end_ts) - epoch(f.start_ts)), 3) AS not_ready_after_flaps_s,
    min(f.start_ts) AS first_flap_at,
    max(f.start_ts) AS last_flap_at
FROM flaps f
JOIN pods p USING (pod_uid)
WHERE ($namespace IS NULL OR p.namespace = $namespace)
GROUP BY p.pod_uid, p.namespace, p.pod, p.workload
HAVING count(*) >= $min_flaps::INTEGER
ORDER BY flaps DESC, p.namespace, p.pod;

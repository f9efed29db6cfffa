-- name: slowest_to_ready
-- description: Pods that took longest from creation to Ready, with where the time went.
-- param: namespace (default: all) only pods in this namespace
-- param: limit (default: 20) how many pods to show
SELECT
    namespace,
    pod,
    workload,
    node,
    round(time_to_ready_s, 3) AS time_to_ready_s,
    round(time_to_scheduled_s, 3) AS time_to_scheduled_s,
    round(time_to_initialized_s, 3) AS time_to_initialized_s,
    round(image_pull_s, 3) AS image_pull_s,
    round(pending_s, 3) AS pending_s,
    restarts
FROM pod_stats
WHERE time_to_ready_s IS NOT NULL
  AND ($namespace IS NULL OR namespace = $namespace)
ORDER BY time_to_ready_s DESC, namespace, pod
LIMIT $limit::INTEGER;

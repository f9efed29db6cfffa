-- name: time_in_phase_by_workload
-- description: Seconds the pods of each workload spent in each phase (total and mean per pod).
-- param: namespace (default: all) only this namespace
SELECT
    namespace,
    workload,
    count(*) AS pods,
    round(sum(pending_s), 3) AS pending_s,
    round(sum(running_s), 3) AS running_s,
    round(sum(succeeded_s), 3) AS succeeded_s,
    round(sum(failed_s), 3) AS failed_s,
    round(sum(unknown_s), 3) AS unknown_s,
    round(avg(pending_s), 3) AS mean_pending_s,
    round(avg(running_s), 3) AS mean_running_s,
    round(sum(not_ready_running_s), 3) AS not_ready_running_s
FROM pod_stats
WHERE ($namespace IS NULL OR namespace = $namespace)
GROUP BY namespace, workload
ORDER BY namespace, workload;

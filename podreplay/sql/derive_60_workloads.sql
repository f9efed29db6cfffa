-- workloads (issue 4): one row per (namespace, workload) summarising its pods from pod_stats.
-- A view, so it always agrees with pod_stats.

CREATE OR REPLACE VIEW workloads AS
SELECT
    namespace,
    workload,
    mode(workload_kind) AS workload_kind,
    count(*) AS pods,
    count(*) FILTER (WHERE final_phase = 'Running') AS running,
    count(*) FILTER (WHERE final_phase = 'Pending') AS pending,
    count(*) FILTER (WHERE final_phase = 'Succeeded') AS succeeded,
    count(*) FILTER (WHERE final_phase = 'Failed') AS failed,
    sum(restarts)::BIGINT AS restarts,
    count(*) FILTER (WHERE crashlooped) AS crashlooping_pods,
    count(*) FILTER (WHERE never_ready) AS never_ready_pods,
    quantile_cont(time_to_ready_s, 0.5) AS time_to_ready_p50_s,
    quantile_cont(time_to_ready_s, 0.9) AS time_to_ready_p90_s,
    max(time_to_ready_s) AS time_to_ready_max_s,
    min(created_at) AS first_created_at,
    max(last_seen) AS last_seen,
    string_agg(DISTINCT node, ',' ORDER BY node) AS nodes
FROM pod_stats
GROUP BY namespace, workload;

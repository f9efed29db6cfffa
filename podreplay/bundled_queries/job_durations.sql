-- name: job_durations
-- description: Jobs (and CronJob runs): pods, outcome, and time from first pod created to last pod finished.
-- param: namespace (default: all) only this namespace
WITH job_pods AS (
    SELECT
        pod_uid,
        arg_max(owner_name, observed_at) AS job
    FROM pod_snapshots
    WHERE owner_kind = 'Job'
    GROUP BY pod_uid
),
finished AS (
    SELECT pod_uid, min(start_ts) AS finished_at
    FROM phase_intervals
    WHERE phase IN ('Succeeded', 'Failed')
    GROUP BY pod_uid
)
SELECT
    s.namespace,
    j.job,
    any_value(s.workload) AS workload,
    count(*) AS pods,
    count(*) FILTER (WHERE s.final_phase = 'Succeeded') AS succeeded,
    count(*) FILTER (WHERE s.final_phase = 'Failed') AS failed,
    sum(s.restarts)::BIGINT AS restarts,
    min(s.created_at) AS started_at,
    CASE WHEN count(f.finished_at) = count(*) THEN max(f.finished_at) END AS finished_at,
    round(CASE WHEN count(f.finished_at) = count(*)
        THEN epoch(max(f.finished_at)) - epoch(min(s.created_at)) END, 3) AS duration_s
FROM job_pods j
JOIN pod_stats s USING (pod_uid)
LEFT JOIN finished f USING (pod_uid)
WHERE ($namespace IS NULL OR s.namespace = $namespace)
GROUP BY s.namespace, j.job
ORDER BY duration_s DESC NULLS FIRST, s.namespace, j.job;

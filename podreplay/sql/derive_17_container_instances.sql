-- container_instances: every container instance (one run of a container process) that the
-- snapshots show, identified by its start time (its finish time when it never started), with the
-- index restartCount gives it: the current running/terminated instance is number restartCount,
-- the lastState one restartCount - 1 (restartCount while the container waits to restart).
-- An index read from a current state wins over one read from lastState.
CREATE OR REPLACE TABLE container_instances AS
WITH seen AS (
    SELECT
        pod_uid, container, is_init, restart_count AS idx, true AS anchored, started_at,
        CASE WHEN state = 'terminated' THEN finished_at END AS finished_at,
        CASE WHEN state = 'terminated' THEN reason END AS reason,
        CASE WHEN state = 'terminated' THEN exit_code END AS exit_code,
        CASE WHEN state = 'terminated' THEN message END AS message,
        observed_at
    FROM container_snapshots
    WHERE state IN ('running', 'terminated') AND coalesce(started_at, finished_at) IS NOT NULL
    UNION ALL
    SELECT
        pod_uid, container, is_init,
        CASE WHEN state = 'waiting' THEN restart_count ELSE restart_count - 1 END,
        false, last_started_at, last_finished_at, last_reason, last_exit_code, NULL, observed_at
    FROM container_snapshots
    WHERE last_state = 'terminated' AND coalesce(last_started_at, last_finished_at) IS NOT NULL
),
keyed AS (
    SELECT *, coalesce(started_at, finished_at) AS inst_key FROM seen
),
grouped AS (
    SELECT
        pod_uid,
        container,
        is_init,
        inst_key,
        coalesce(min(idx) FILTER (WHERE anchored), min(idx)) AS idx,
        bool_or(anchored) AS anchored,
        min(started_at) AS started_at,
        max(finished_at) AS finished_at,
        arg_max(reason, observed_at) FILTER (WHERE reason IS NOT NULL) AS reason,
        arg_max(exit_code, observed_at) FILTER (WHERE exit_code IS NOT NULL) AS exit_code,
        arg_max(message, observed_at) FILTER (WHERE message IS NOT NULL) AS message,
        min(observed_at) AS first_observed,
        max(observed_at) AS last_observed
    FROM keyed
    GROUP BY pod_uid, container, is_init, inst_key
)
SELECT * EXCLUDE (inst_key)
FROM grouped
WHERE idx >= 0
QUALIFY row_number() OVER (
    PARTITION BY pod_uid, container, is_init, idx ORDER BY anchored DESC, inst_key DESC
) = 1
ORDER BY pod_uid, container, idx;

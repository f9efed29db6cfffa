-- Ephemeral containers (`kubectl debug`): one row per container and instance that a snapshot's
-- status.ephemeralContainerStatuses shows, with the container it targets. They are never
-- restarted and take no part in the pod's phase or readiness, so they stay out of
-- container_intervals and restarts: the timeline shows them on their own rows.
CREATE OR REPLACE TABLE ephemeral_containers AS
WITH statuses AS (
    SELECT pod_uid, observed_at,
        unnest(json_extract(raw, '$.status.ephemeralContainerStatuses[*]')) AS cs
    FROM pod_snapshots
    WHERE json_extract(raw, '$.status.ephemeralContainerStatuses') IS NOT NULL
),
specs AS (
    SELECT DISTINCT pod_uid, json_extract_string(e, '$.name') AS container,
        json_extract_string(e, '$.targetContainerName') AS target
    FROM (
        SELECT pod_uid, unnest(json_extract(raw, '$.spec.ephemeralContainers[*]')) AS e
        FROM pod_snapshots
        WHERE json_extract(raw, '$.spec.ephemeralContainers') IS NOT NULL
    )
),
seen AS (
    SELECT
        pod_uid,
        observed_at,
        json_extract_string(cs, '$.name') AS container,
        json_extract_string(cs, '$.image') AS image,
        CASE WHEN json_extract(cs, '$.state.terminated') IS NOT NULL THEN 'terminated'
             WHEN json_extract(cs, '$.state.running') IS NOT NULL THEN 'running'
             ELSE 'waiting' END AS state,
        coalesce(json_extract_string(cs, '$.state.terminated.reason'),
            json_extract_string(cs, '$.state.waiting.reason')) AS reason,
        try_cast(json_extract_string(cs, '$.state.terminated.exitCode') AS INTEGER) AS exit_code,
        try_cast(coalesce(json_extract_string(cs, '$.state.running.startedAt'),
            json_extract_string(cs, '$.state.terminated.startedAt')) AS TIMESTAMPTZ)
            AS started_at,
        try_cast(json_extract_string(cs, '$.state.terminated.finishedAt') AS TIMESTAMPTZ)
            AS finished_at
    FROM statuses
)
SELECT
    s.pod_uid,
    s.container,
    any_value(sp.target) AS target,
    arg_max(s.image, s.observed_at) AS image,
    arg_max(s.state, s.observed_at) AS state,
    arg_max(s.reason, s.observed_at) AS reason,
    arg_max(s.exit_code, s.observed_at) AS exit_code,
    s.started_at,
    max(s.finished_at) AS finished_at,
    min(s.observed_at) AS first_seen,
    max(s.observed_at) AS last_seen
FROM seen AS s
LEFT JOIN specs AS sp ON sp.pod_uid = s.pod_uid AND sp.container = s.container
GROUP BY s.pod_uid, s.container, s.started_at
ORDER BY s.pod_uid, s.container, s.started_at NULLS FIRST;

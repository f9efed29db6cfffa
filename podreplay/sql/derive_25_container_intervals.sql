-- container_intervals: each container's (and init container's) states over time.
-- State points: each instance's start (running) and finish (terminated, reason, exit code) from
-- container_instances (observed); each waiting observation (its reason); the kubelet's admission
-- of the pod (status.startTime: waiting PodInitializing / ContainerCreating); and, outside the
-- snapshots' cover or for events-only pods, events: Started (running), BackOff "restarting"
-- (CrashLoopBackOff), Failed ErrImagePull / BackOff pulling (ImagePullBackOff), an init
-- container Completed when the next container started; an event within a second of an
-- instance's start or finish adds nothing.
-- At the same second: admission, instance start, instance finish, then waiting observations
-- (an observation dated by the status times it carries shows the state after them).
-- Consecutive points with the same state, reason and instance form one interval, which ends where
-- the next starts; the last one when the pod is gone, else at the capture end (open).
CREATE OR REPLACE TABLE container_intervals AS
WITH cover AS (
    SELECT pod_uid, min(observed_at) AS lo, max(observed_at) AS hi
    FROM pod_snapshots
    GROUP BY pod_uid
),
status_times AS (
    SELECT pod_uid, container, is_init, started_at AS ts FROM container_instances
    UNION
    SELECT pod_uid, container, is_init, finished_at FROM container_instances
),
pod_start AS (
    SELECT
        cs.pod_uid,
        cs.container,
        cs.is_init,
        min(ps.start_time) AS start_time,
        bool_or(cs2.has_init) AS has_init
    FROM (SELECT DISTINCT pod_uid, container, is_init FROM container_snapshots) AS cs
    JOIN pod_snapshots AS ps ON ps.pod_uid = cs.pod_uid
    JOIN (
        SELECT pod_uid, bool_or(is_init) AS has_init FROM container_snapshots GROUP BY pod_uid
    ) AS cs2 ON cs2.pod_uid = cs.pod_uid
    WHERE ps.start_time IS NOT NULL
    GROUP BY ALL
),
ev AS (
    SELECT e.*, c.lo, c.hi
    FROM pod_events AS e
    LEFT JOIN cover AS c ON c.pod_uid = e.pod_uid
    WHERE e.container IS NOT NULL
),
ev_points AS (
    SELECT
        pod_uid, container, is_init, unnest(CASE WHEN count > 1 AND last_ts > first_ts
            THEN [first_ts, last_ts] ELSE [first_ts] END) AS ts,
        CASE WHEN reason = 'Started' THEN 'running' ELSE 'waiting' END AS state,
        CASE
            WHEN reason = 'Started' THEN NULL
            -- "Back-off pulling image …" (all versions); every other back-off restarts a container
            WHEN reason = 'BackOff' AND message ILIKE '%pulling image%' THEN 'ImagePullBackOff'
            WHEN reason = 'BackOff' THEN 'CrashLoopBackOff'
            ELSE regexp_extract(message, 'Error: (ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull|CreateContainerConfigError)', 1)
        END AS reason,
        NULL::INTEGER AS exit_code,
        'event' AS basis
    FROM ev
    WHERE reason IN ('Started', 'BackOff')
        OR (reason = 'Failed' AND regexp_matches(message, 'Error: (ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull|CreateContainerConfigError)'))
    UNION ALL
    -- init containers run one at a time: one had completed when the next container started
    SELECT i.pod_uid, i.container, true, min(o.first_ts), 'terminated', 'Completed', 0,
        'inferred'
    FROM ev AS i
    JOIN pod_events AS o
        ON o.pod_uid = i.pod_uid AND o.reason = 'Started' AND o.container <> i.container
        AND o.first_ts >= i.first_ts
    WHERE i.reason = 'Started' AND i.is_init
        AND (i.lo IS NULL OR i.first_ts < i.lo OR i.first_ts > i.hi)
    GROUP BY i.pod_uid, i.container
),
ev_kept AS (
    -- only occurrences outside the snapshots' cover count, and an event within a second of a
    -- status time of the same container tells nothing new
    SELECT ep.* FROM ev_points AS ep
    LEFT JOIN cover AS c ON c.pod_uid = ep.pod_uid
    WHERE ep.ts IS NOT NULL AND (c.lo IS NULL OR ep.ts < c.lo OR ep.ts > c.hi)
        AND NOT EXISTS (
            SELECT 1 FROM status_times AS st
            WHERE st.pod_uid = ep.pod_uid AND st.container = ep.container
                AND st.is_init = ep.is_init
                AND st.ts BETWEEN ep.ts - INTERVAL 1 SECOND AND ep.ts + INTERVAL 1 SECOND
        )
),
points AS (
    SELECT pod_uid, container, is_init, started_at AS ts, 'running' AS state, NULL AS reason,
        NULL::INTEGER AS exit_code, NULL AS message, started_at AS inst, 'observed' AS basis,
        1 AS ord
    FROM container_instances
    WHERE started_at IS NOT NULL
    UNION ALL
    SELECT pod_uid, container, is_init, finished_at, 'terminated', reason, exit_code, message,
        finished_at, 'observed', 2
    FROM container_instances
    WHERE finished_at IS NOT NULL
    UNION ALL
    SELECT cs.pod_uid, cs.container, cs.is_init, cs.observed_at, 'waiting', cs.reason, NULL,
        cs.message, NULL,
        CASE WHEN ps.observed_basis = 'record' THEN 'observed' ELSE 'inferred' END, 3
    FROM container_snapshots AS cs
    LEFT JOIN (
        SELECT DISTINCT source_id, pod_uid, observed_at, observed_basis FROM pod_snapshots
    ) AS ps ON ps.source_id = cs.source_id AND ps.pod_uid = cs.pod_uid
        AND ps.observed_at = cs.observed_at
    WHERE cs.state = 'waiting'
    UNION ALL
    -- after the first restart the kubelet backs off: an instance that ended more than a second
    -- before the next one started left the container waiting in CrashLoopBackOff from the next
    -- second (kubelet sync) even where no snapshot caught it
    SELECT o.pod_uid, o.container, o.is_init, o.finished_at + INTERVAL 1 SECOND, 'waiting',
        'CrashLoopBackOff', NULL, NULL, NULL, 'inferred', 3
    FROM container_instances AS o
    JOIN container_instances AS nx
        ON nx.pod_uid = o.pod_uid AND nx.container = o.container AND nx.is_init = o.is_init
        AND nx.idx = o.idx + 1
    WHERE o.idx >= 1 AND nx.started_at > o.finished_at + INTERVAL 1 SECOND
    UNION ALL
    SELECT pod_uid, container, is_init, start_time, 'waiting',
        CASE WHEN has_init THEN 'PodInitializing' ELSE 'ContainerCreating' END, NULL, NULL,
        NULL, 'observed', -1
    FROM pod_start
    UNION ALL
    SELECT pod_uid, container, is_init, ts, state, reason, exit_code, NULL,
        CASE WHEN state <> 'waiting' THEN ts END, basis, 4
    FROM ev_kept
),
flagged AS (
    SELECT
        *,
        lag(struct_pack(state, reason, inst, exit_code)) OVER w AS prev_key,
        row_number() OVER w AS seq
    FROM points
    -- every column breaks ties, so events in the same second give the same result each rebuild
    WINDOW w AS (
        PARTITION BY pod_uid, container, is_init
        ORDER BY ts, ord, state, reason NULLS FIRST, exit_code NULLS FIRST, inst NULLS FIRST,
            message NULLS FIRST, basis
    )
),
runs AS (
    -- a run is identified by its first point
    SELECT pod_uid, container, is_init, seq AS run_id, state, reason, exit_code, message,
        ts AS start_ts, basis
    FROM flagged
    WHERE struct_pack(state, reason, inst, exit_code) IS DISTINCT FROM prev_key
),
bounded AS (
    SELECT
        *,
        lead(start_ts) OVER (PARTITION BY pod_uid, container, is_init ORDER BY run_id)
            AS next_start
    FROM runs
)
SELECT
    b.pod_uid,
    b.container,
    b.is_init,
    b.state,
    b.reason,
    b.start_ts,
    greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, cs.end_ts)) AS end_ts,
    epoch(greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, cs.end_ts)))
        - epoch(b.start_ts) AS seconds,
    b.exit_code,
    b.basis,
    b.next_start IS NULL AND p.deleted_at IS NULL AS open,
    b.message
FROM bounded AS b
JOIN pods AS p ON p.pod_uid = b.pod_uid
CROSS JOIN capture_span AS cs
-- a state left at the moment it was entered (a later record the same second) is no interval
WHERE b.next_start IS NULL OR b.next_start > b.start_ts
ORDER BY b.pod_uid, b.is_init DESC, b.container, b.start_ts;

-- container_intervals: each container's (and init container's) states over time.
-- State points: each instance's start (running) and finish (terminated, reason, exit code) from
-- container_instances (observed); each waiting observation (its reason); the kubelet's admission
-- of the pod (status.startTime: waiting PodInitializing / ContainerCreating); and, outside the
-- snapshots' cover or for events-only pods, events: Started (running), BackOff "restarting"
-- (CrashLoopBackOff), Failed ErrImagePull / BackOff pulling (ImagePullBackOff), an init
-- container Completed when the next container started (unknown when no pod spec says it is
-- no native sidecar); an event within a second of an
-- instance's start or finish adds nothing.
-- At the same second: admission, instance start, instance finish, then waiting observations
-- (an observation dated by the status times it carries shows the state after them).
-- Where the evidence stops the state is `unknown` (basis `gap`) until the next point: after the
-- pod's last observation and from each capture gap (evidence_gaps); after the last thing known of
-- an instance (its finish, else its last observation) when the next instance the snapshots show
-- is not the one after it (restarts no capture saw); before a container's first known instance
-- when that is not its first (restartCount > 0); and between a finish and the next start, unless
-- a BackOff event or a CrashLoopBackOff observation covers the wait (then CrashLoopBackOff).
-- Consecutive points with the same state, reason and instance form one interval, which ends where
-- the next starts; the last one when the pod is gone, else at its capture scope's end (open).
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
    WHERE e.container IS NOT NULL AND NOT e.is_ephemeral
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
    -- init containers run one at a time: one had completed when the next container started,
    -- when a pod spec says it is no native sidecar; with no spec (events alone) it completed
    -- or, a sidecar, runs on: unknown
    -- (`lo`: the pod's first snapshot, so it has a spec)
    SELECT i.pod_uid, i.container, true, min(o.first_ts),
        CASE WHEN any_value(i.lo) IS NOT NULL THEN 'terminated' ELSE 'unknown' END,
        CASE WHEN any_value(i.lo) IS NOT NULL THEN 'Completed' END,
        CASE WHEN any_value(i.lo) IS NOT NULL THEN 0 END,
        CASE WHEN any_value(i.lo) IS NOT NULL THEN 'inferred' ELSE 'gap' END
    FROM ev AS i
    JOIN pod_events AS o
        ON o.pod_uid = i.pod_uid AND o.reason = 'Started' AND o.container <> i.container
        AND NOT o.is_ephemeral
        AND o.first_ts >= i.first_ts
    WHERE i.reason = 'Started' AND i.is_init
        AND (i.lo IS NULL OR i.first_ts < i.lo OR i.first_ts > i.hi)
        -- except native sidecars: they keep running
        AND NOT EXISTS (
            SELECT 1 FROM native_sidecars AS n
            WHERE n.pod_uid = i.pod_uid AND n.container = i.container
        )
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
inst_pairs AS (
    -- each known instance with the next known one of the same container
    SELECT
        *,
        lead(idx) OVER w AS next_idx,
        lead(started_at) OVER w AS next_start
    FROM container_instances
    WINDOW w AS (PARTITION BY pod_uid, container, is_init ORDER BY idx)
),
backoff_cover AS (
    SELECT pod_uid, container, is_init, first_ts, greatest(last_ts, first_ts) AS last_ts
    FROM pod_events
    WHERE reason = 'BackOff' AND message NOT ILIKE '%pulling image%' AND container IS NOT NULL
        AND NOT is_ephemeral
    UNION ALL
    SELECT pod_uid, container, is_init, observed_at, observed_at
    FROM container_snapshots
    WHERE state = 'waiting' AND reason = 'CrashLoopBackOff'
),
pair_cover AS (
    -- consecutive instances, and whether a back-off shows the wait between them
    SELECT
        o.*,
        o.next_idx = o.idx + 1 AND o.finished_at IS NOT NULL AS adjacent,
        EXISTS (
            SELECT 1 FROM backoff_cover AS b
            WHERE b.pod_uid = o.pod_uid AND b.container = o.container
                AND b.is_init = o.is_init
                AND b.last_ts >= o.finished_at AND b.first_ts <= o.next_start
        ) AS covered
    FROM inst_pairs AS o
    WHERE o.next_idx IS NOT NULL
),
instance_gaps AS (
    SELECT
        pod_uid, container, is_init,
        CASE WHEN adjacent THEN finished_at + INTERVAL 1 SECOND
            ELSE greatest(finished_at + INTERVAL 1 SECOND, last_observed) END AS ts,
        CASE WHEN adjacent AND covered THEN 'waiting' ELSE 'unknown' END AS state,
        CASE WHEN adjacent AND covered THEN 'CrashLoopBackOff' END AS reason,
        CASE WHEN adjacent AND covered THEN 'inferred' ELSE 'gap' END AS basis
    FROM pair_cover
    WHERE next_idx > idx + 1
        OR (idx >= 1 AND adjacent AND next_start > finished_at + INTERVAL 1 SECOND)
        OR (finished_at IS NULL AND next_start > last_observed)
),
before_first AS (
    -- restarts before the first instance a snapshot shows: after admission (or the last
    -- waiting observation before it) the state is unknown until that instance started
    SELECT f.pod_uid, f.container, f.is_init, max(pt.ts) AS ts
    FROM (
        SELECT pod_uid, container, is_init, min(idx) AS idx, arg_min(started_at, idx) AS started_at
        FROM container_instances
        GROUP BY ALL
    ) AS f
    JOIN (
        SELECT pod_uid, container, is_init, start_time AS ts FROM pod_start
        UNION ALL
        SELECT pod_uid, container, is_init, observed_at FROM container_snapshots
        WHERE state = 'waiting'
    ) AS pt ON pt.pod_uid = f.pod_uid AND pt.container = f.container AND pt.is_init = f.is_init
        AND pt.ts < f.started_at
    WHERE f.idx > 0
    GROUP BY ALL
),
resumed AS (
    SELECT cs.*
    FROM evidence_gaps AS g
    JOIN container_snapshots AS cs
        ON cs.pod_uid = g.pod_uid AND cs.observed_at >= g.end_ts
        AND cs.state IN ('running', 'terminated')
    WHERE g.end_ts IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY g.pod_uid, g.ts, cs.container, cs.is_init ORDER BY cs.observed_at
    ) = 1
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
    -- second (kubelet sync) where a BackOff event or a CrashLoopBackOff observation shows it;
    -- else what happened there is unknown
    SELECT pod_uid, container, is_init, ts, state, reason, NULL, NULL, NULL, basis, 3
    FROM instance_gaps
    UNION ALL
    SELECT pod_uid, container, is_init, ts, 'unknown', NULL, NULL, NULL, NULL, 'gap', 8
    FROM before_first
    UNION ALL
    SELECT c.pod_uid, c.container, c.is_init, g.ts, 'unknown', NULL, NULL, NULL, NULL, 'gap', 9
    FROM (SELECT DISTINCT pod_uid, container, is_init FROM container_instances
        UNION SELECT DISTINCT pod_uid, container, is_init FROM container_snapshots
        UNION SELECT DISTINCT pod_uid, container, is_init FROM ev_kept) AS c
    JOIN evidence_gaps AS g ON g.pod_uid = c.pod_uid
    UNION ALL
    -- after a capture gap, the first observation of a running or terminated container shows
    -- its state again (a waiting one is a point anyway)
    SELECT pod_uid, container, is_init, observed_at, state, reason, exit_code, NULL,
        coalesce(started_at, finished_at), 'observed', 5
    FROM resumed
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
        lead(start_ts) OVER w AS next_start,
        lead(basis) OVER w AS next_basis
    FROM runs
    WINDOW w AS (PARTITION BY pod_uid, container, is_init ORDER BY run_id)
)
SELECT
    b.pod_uid,
    b.container,
    b.is_init,
    b.state,
    b.reason,
    b.start_ts,
    greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, p.scope_end)) AS end_ts,
    epoch(greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, p.scope_end)))
        - epoch(b.start_ts) AS seconds,
    b.exit_code,
    b.basis,
    b.next_start IS NULL AND p.deleted_at IS NULL AS open,
    b.message
FROM bounded AS b
JOIN pods AS p ON p.pod_uid = b.pod_uid
-- a state left at the moment it was entered (a later record the same second) is no interval;
-- the last state seen before a gap is kept (it was observed)
WHERE b.next_start IS NULL OR b.next_start > b.start_ts
    OR (b.next_basis = 'gap' AND b.basis <> 'gap')
ORDER BY b.pod_uid, b.is_init DESC, b.container, b.start_ts;

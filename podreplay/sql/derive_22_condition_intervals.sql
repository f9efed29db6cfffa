-- condition_intervals: each pod condition's status over time.
-- Snapshot observations of a condition form runs; a new run starts when the status or its
-- lastTransitionTime changes. A run starts at its lastTransitionTime (observed) when that lies
-- after the previous run's last observation, else at its first observation (inferred). Outside
-- the snapshots' cover (or for events-only pods) Scheduled / FailedScheduling events give
-- PodScheduled True / False (event). Where the pod's evidence stops (evidence_gaps) each
-- condition is `unknown` (basis `gap`) until the next observation. A run ends where the next
-- starts; the last one when the pod is gone, else at its capture scope's end (open).
CREATE OR REPLACE TABLE condition_intervals AS
WITH cover AS (
    SELECT pod_uid, min(observed_at) AS lo, max(observed_at) AS hi
    FROM pod_snapshots
    GROUP BY pod_uid
),
snap_groups AS (
    -- observations repeating a status and its lastTransitionTime belong to one run (a
    -- lastTransitionTime never comes back), so they are grouped before anything is ordered
    SELECT
        pod_uid, condition, status, last_transition_ts AS lt,
        min(observed_at) AS ts, max(observed_at) AS last_ts,
        arg_min(reason, observed_at) AS reason,
        arg_min(source_id, observed_at) AS source_id
    FROM condition_snapshots
    GROUP BY pod_uid, condition, status, last_transition_ts,
        CASE WHEN last_transition_ts IS NULL THEN observed_at END
),
points AS (
    SELECT
        g.pod_uid, g.condition, g.ts, g.last_ts, g.status, g.reason, g.lt,
        CASE WHEN ps.observed_basis = 'record' THEN 'observed' ELSE 'inferred' END AS obs_basis,
        1 AS src
    FROM snap_groups AS g
    LEFT JOIN (
        SELECT DISTINCT source_id, pod_uid, observed_at, observed_basis FROM pod_snapshots
    ) AS ps ON ps.source_id = g.source_id AND ps.pod_uid = g.pod_uid AND ps.observed_at = g.ts
    UNION ALL
    SELECT
        e.pod_uid, 'PodScheduled', e.first_ts, e.first_ts,
        CASE WHEN e.reason = 'Scheduled' THEN 'True' ELSE 'False' END,
        CASE WHEN e.reason = 'Scheduled' THEN NULL ELSE 'Unschedulable' END,
        e.first_ts, 'event', 2
    FROM pod_events AS e
    LEFT JOIN cover AS c ON c.pod_uid = e.pod_uid
    WHERE e.reason IN ('Scheduled', 'FailedScheduling')
        AND (c.lo IS NULL OR e.first_ts < c.lo OR e.first_ts > c.hi)
    UNION ALL
    -- after a capture gap, the first observation of each condition shows it again
    SELECT r.pod_uid, r.condition, r.observed_at, r.observed_at, r.status, r.reason,
        r.last_transition_ts, 'observed', 1
    FROM (
        SELECT cs.*
        FROM evidence_gaps AS g
        JOIN condition_snapshots AS cs ON cs.pod_uid = g.pod_uid AND cs.observed_at >= g.end_ts
        WHERE g.end_ts IS NOT NULL
        QUALIFY row_number() OVER (
            PARTITION BY g.pod_uid, g.ts, cs.condition ORDER BY cs.observed_at
        ) = 1
    ) AS r
    UNION ALL
    -- where the pod's evidence stops (derive_16) every condition it had is unknown
    SELECT g.pod_uid, k.condition, g.ts, g.ts, 'unknown', NULL, NULL, 'gap', 9
    FROM evidence_gaps AS g
    JOIN (
        SELECT DISTINCT pod_uid, condition FROM condition_snapshots
        UNION
        SELECT DISTINCT pod_uid, 'PodScheduled' FROM pod_events
        WHERE reason IN ('Scheduled', 'FailedScheduling')
    ) AS k ON k.pod_uid = g.pod_uid
),
flagged AS (
    SELECT
        *,
        lag(status) OVER w AS prev_status,
        lag(lt) OVER w AS prev_lt,
        lag(src) OVER w AS prev_src,
        lag(last_ts) OVER w AS prev_ts,
        row_number() OVER w AS seq
    FROM points
    -- every column breaks ties, so events in the same second give the same result each rebuild
    WINDOW w AS (
        PARTITION BY pod_uid, condition
        ORDER BY ts, src, status, reason NULLS FIRST, last_ts, lt NULLS FIRST, obs_basis
    )
),
starts AS (
    -- a run is identified by its first point; the point before it is the previous run's last
    SELECT *, prev_ts AS prev_last
    FROM flagged
    WHERE status IS DISTINCT FROM prev_status
        OR (src = 1 AND prev_src = 1 AND lt IS NOT NULL AND prev_lt IS NOT NULL
            AND lt <> prev_lt)
),
placed AS (
    SELECT
        pod_uid,
        condition,
        seq AS run_id,
        status,
        reason,
        CASE WHEN lt IS NOT NULL AND lt <= ts AND (prev_last IS NULL OR lt > prev_last)
            THEN lt ELSE ts END AS start_ts,
        CASE
            WHEN obs_basis = 'event' THEN 'event'
            WHEN lt IS NOT NULL AND lt <= ts AND (prev_last IS NULL OR lt > prev_last)
                THEN 'observed'
            ELSE obs_basis
        END AS basis
    FROM starts
),
bounded AS (
    SELECT
        *,
        lead(start_ts) OVER w AS next_start,
        lead(basis) OVER w AS next_basis
    FROM placed
    WINDOW w AS (PARTITION BY pod_uid, condition ORDER BY run_id)
)
SELECT
    b.pod_uid,
    b.condition,
    b.status,
    b.start_ts,
    greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, p.scope_end)) AS end_ts,
    epoch(greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, p.scope_end)))
        - epoch(b.start_ts) AS seconds,
    b.reason,
    b.basis,
    b.next_start IS NULL AND p.deleted_at IS NULL AS open
FROM bounded AS b
JOIN pods AS p ON p.pod_uid = b.pod_uid
-- a state left at the moment it was entered (a later record the same second) is no interval;
-- the last state seen before a gap is kept (it was observed)
WHERE b.next_start IS NULL OR b.next_start > b.start_ts
    OR (b.next_basis = 'gap' AND b.basis <> 'gap')
ORDER BY b.pod_uid, b.condition, b.start_ts;

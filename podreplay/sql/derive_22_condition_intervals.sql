-- condition_intervals: each pod condition's status over time.
-- Snapshot observations of a condition form runs; a new run starts when the status or its
-- lastTransitionTime changes. A run starts at its lastTransitionTime (observed) when that lies
-- after the previous run's last observation, else at its first observation (inferred). Outside
-- the snapshots' cover (or for events-only pods) Scheduled / FailedScheduling events give
-- PodScheduled True / False (event). A run ends where the next starts; the last one when the pod
-- is gone, else at the capture end (open).
CREATE OR REPLACE TABLE condition_intervals AS
WITH cover AS (
    SELECT pod_uid, min(observed_at) AS lo, max(observed_at) AS hi
    FROM pod_snapshots
    GROUP BY pod_uid
),
points AS (
    SELECT
        cs.pod_uid, cs.condition, cs.observed_at AS ts, cs.status, cs.reason,
        cs.last_transition_ts AS lt,
        CASE WHEN ps.observed_basis = 'record' THEN 'observed' ELSE 'inferred' END AS obs_basis,
        1 AS src
    FROM condition_snapshots AS cs
    LEFT JOIN (
        SELECT DISTINCT source_id, pod_uid, observed_at, observed_basis FROM pod_snapshots
    ) AS ps ON ps.source_id = cs.source_id AND ps.pod_uid = cs.pod_uid
        AND ps.observed_at = cs.observed_at
    UNION ALL
    SELECT
        e.pod_uid, 'PodScheduled', e.first_ts,
        CASE WHEN e.reason = 'Scheduled' THEN 'True' ELSE 'False' END,
        CASE WHEN e.reason = 'Scheduled' THEN NULL ELSE 'Unschedulable' END,
        e.first_ts, 'event', 2
    FROM pod_events AS e
    LEFT JOIN cover AS c ON c.pod_uid = e.pod_uid
    WHERE e.reason IN ('Scheduled', 'FailedScheduling')
        AND (c.lo IS NULL OR e.first_ts < c.lo OR e.first_ts > c.hi)
),
flagged AS (
    SELECT
        *,
        CASE
            WHEN status IS DISTINCT FROM lag(status) OVER w THEN 1
            WHEN src = 1 AND lag(src) OVER w = 1 AND lt IS NOT NULL
                AND lag(lt) OVER w IS NOT NULL AND lt <> lag(lt) OVER w THEN 1
            ELSE 0
        END AS new_run
    FROM points
    WINDOW w AS (PARTITION BY pod_uid, condition ORDER BY ts, src)
),
numbered AS (
    SELECT
        *,
        sum(new_run) OVER (
            PARTITION BY pod_uid, condition ORDER BY ts, src ROWS UNBOUNDED PRECEDING
        ) AS run_id
    FROM flagged
),
runs AS (
    SELECT
        pod_uid,
        condition,
        run_id,
        any_value(status) AS status,
        arg_min(reason, ts) AS reason,
        min(ts) AS first_ts,
        max(ts) AS last_ts,
        min(lt) AS lt,
        arg_min(obs_basis, ts) AS first_basis
    FROM numbered
    GROUP BY ALL
),
starts AS (
    SELECT
        *,
        lag(last_ts) OVER (PARTITION BY pod_uid, condition ORDER BY run_id) AS prev_last
    FROM runs
),
placed AS (
    SELECT
        pod_uid,
        condition,
        run_id,
        status,
        reason,
        CASE WHEN lt IS NOT NULL AND lt <= first_ts AND (prev_last IS NULL OR lt > prev_last)
            THEN lt ELSE first_ts END AS start_ts,
        CASE
            WHEN first_basis = 'event' THEN 'event'
            WHEN lt IS NOT NULL AND lt <= first_ts AND (prev_last IS NULL OR lt > prev_last)
                THEN 'observed'
            ELSE first_basis
        END AS basis
    FROM starts
),
bounded AS (
    SELECT
        *,
        lead(start_ts) OVER (PARTITION BY pod_uid, condition ORDER BY run_id) AS next_start
    FROM placed
)
SELECT
    b.pod_uid,
    b.condition,
    b.status,
    b.start_ts,
    greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, cs.end_ts)) AS end_ts,
    epoch(greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, cs.end_ts)))
        - epoch(b.start_ts) AS seconds,
    b.reason,
    b.basis,
    b.next_start IS NULL AND p.deleted_at IS NULL AS open
FROM bounded AS b
JOIN pods AS p ON p.pod_uid = b.pod_uid
CROSS JOIN capture_span AS cs
-- a state left at the moment it was entered (a later record the same second) is no interval
WHERE b.next_start IS NULL OR b.next_start > b.start_ts
ORDER BY b.pod_uid, b.condition, b.start_ts;

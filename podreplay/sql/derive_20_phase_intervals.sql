-- phase_intervals: each pod's phases as consecutive intervals.
-- 1. Phase points: every snapshot observation (phase at observed_at), the creation time (Pending),
--    and, outside the time the snapshots cover (or for events-only pods), the phases events
--    imply: Scheduled/Pulling/... before the first Started = Pending, Started = Running,
--    Evicted/Preempting/DeadlineExceeded = Failed.
-- 2. Consecutive points of the same phase form a run (found by its first point).
-- 3. A run starts at the best evidence of the transition between the previous run's last point
--    and its own first point: the earliest container startedAt or Started event (Running), the
--    last container finishedAt of the terminal snapshot, else the event showing it
--    (Succeeded/Failed), NodeNotReady (Unknown); else its first point.
-- 4. A run ends where the next starts; the last ends when the pod is gone, else at the capture
--    end (open).
CREATE OR REPLACE TABLE phase_intervals AS
WITH cover AS (
    SELECT pod_uid, min(observed_at) AS lo, max(observed_at) AS hi
    FROM pod_snapshots
    GROUP BY pod_uid
),
first_start AS (
    SELECT pod_uid, min(first_ts) AS t
    FROM pod_events
    WHERE reason = 'Started' AND NOT is_init
    GROUP BY pod_uid
),
ev_points AS (
    SELECT
        e.pod_uid,
        e.first_ts AS ts,
        CASE
            WHEN e.reason IN ('Evicted', 'Preempting', 'DeadlineExceeded') THEN 'Failed'
            WHEN e.reason = 'Started' AND NOT e.is_init THEN 'Running'
            ELSE 'Pending'
        END AS phase
    FROM pod_events AS e
    LEFT JOIN cover AS c ON c.pod_uid = e.pod_uid
    LEFT JOIN first_start AS f ON f.pod_uid = e.pod_uid
    WHERE (c.lo IS NULL OR e.first_ts < c.lo OR e.first_ts > c.hi)
        AND (
            e.reason IN ('Evicted', 'Preempting', 'DeadlineExceeded')
            OR (e.reason = 'Started' AND NOT e.is_init)
            OR (e.reason IN ('Scheduled', 'FailedScheduling', 'Pulling', 'Pulled', 'Created',
                    'Started', 'Failed', 'BackOff', 'FailedMount', 'FailedCreatePodSandBox')
                AND (f.t IS NULL OR e.first_ts < f.t))
        )
),
points AS (
    SELECT pod_uid, created_at AS ts, 'Pending' AS phase, created_basis AS basis, 0 AS src
    FROM pods
    WHERE created_at IS NOT NULL
    UNION ALL
    SELECT
        pod_uid, observed_at, phase,
        CASE WHEN observed_basis = 'record' THEN 'observed' ELSE 'inferred' END, 1
    FROM pod_snapshots
    WHERE phase IS NOT NULL
    UNION ALL
    SELECT pod_uid, ts, phase, 'event', 2 FROM ev_points
),
flagged AS (
    SELECT
        *,
        lag(phase) OVER w AS prev_phase,
        lag(ts) OVER w AS prev_ts,
        row_number() OVER w AS seq
    FROM points
    -- every column breaks ties, so events in the same second give the same result each rebuild
    WINDOW w AS (PARTITION BY pod_uid ORDER BY ts, src, phase, basis)
),
runs2 AS (
    -- a run is identified by its first point; the point before it is the previous run's last
    SELECT pod_uid, seq AS run_id, phase, ts AS first_ts, basis AS first_basis,
        prev_ts AS prev_last
    FROM flagged
    WHERE phase IS DISTINCT FROM prev_phase
),
cands AS (
    SELECT DISTINCT pod_uid, 'Running' AS phase, started_at AS ts, 'observed' AS basis, 1 AS prio
    FROM container_snapshots
    WHERE NOT is_init AND started_at IS NOT NULL
    UNION
    SELECT DISTINCT pod_uid, 'Running', last_started_at, 'observed', 1
    FROM container_snapshots
    WHERE NOT is_init AND last_started_at IS NOT NULL
    UNION
    SELECT DISTINCT cs.pod_uid, ps.phase, cs.finished_at, 'observed', 1
    FROM container_snapshots AS cs
    JOIN pod_snapshots AS ps
        ON ps.source_id = cs.source_id AND ps.pod_uid = cs.pod_uid
        AND ps.observed_at = cs.observed_at
    WHERE ps.phase IN ('Succeeded', 'Failed') AND cs.state = 'terminated' AND NOT cs.is_init
        AND cs.finished_at IS NOT NULL
    UNION
    SELECT DISTINCT pod_uid, 'Running', first_ts, 'event', 2
    FROM pod_events
    WHERE reason = 'Started' AND NOT is_init
    UNION
    SELECT DISTINCT pod_uid, 'Failed', first_ts, 'event', 2
    FROM pod_events
    WHERE reason IN ('Evicted', 'Preempting', 'DeadlineExceeded')
    UNION
    SELECT DISTINCT pod_uid, 'Unknown', first_ts, 'event', 2
    FROM pod_events
    WHERE reason = 'NodeNotReady'
),
best AS (
    SELECT r.pod_uid, r.run_id, c.ts, c.basis
    FROM runs2 AS r
    JOIN cands AS c
        ON c.pod_uid = r.pod_uid AND c.phase = r.phase AND c.ts <= r.first_ts
        AND (r.prev_last IS NULL OR c.ts > r.prev_last)
    QUALIFY row_number() OVER (
        PARTITION BY r.pod_uid, r.run_id
        -- a phase is entered at its earliest evidence; a terminal one when the last
        -- container finished (a status time beats an event's)
        ORDER BY
            CASE WHEN r.phase IN ('Succeeded', 'Failed') THEN c.prio ELSE 0 END,
            CASE WHEN r.phase IN ('Succeeded', 'Failed') THEN -epoch(c.ts) ELSE epoch(c.ts) END,
            c.prio
    ) = 1
),
starts AS (
    SELECT
        r.pod_uid,
        r.run_id,
        r.phase,
        coalesce(b.ts, r.first_ts) AS start_ts,
        coalesce(b.basis, r.first_basis) AS basis
    FROM runs2 AS r
    LEFT JOIN best AS b ON b.pod_uid = r.pod_uid AND b.run_id = r.run_id
),
bounded AS (
    SELECT
        s.*,
        lead(s.start_ts) OVER (PARTITION BY s.pod_uid ORDER BY s.run_id) AS next_start
    FROM starts AS s
)
SELECT
    b.pod_uid,
    p.namespace,
    p.pod,
    b.phase,
    b.start_ts,
    greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, cs.end_ts)) AS end_ts,
    epoch(greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, cs.end_ts)))
        - epoch(b.start_ts) AS seconds,
    b.next_start IS NULL AND p.deleted_at IS NULL AS open,
    b.basis
FROM bounded AS b
JOIN pods AS p ON p.pod_uid = b.pod_uid
CROSS JOIN capture_span AS cs
-- a state left at the moment it was entered (a later record the same second) is no interval
WHERE b.next_start IS NULL OR b.next_start > b.start_ts
ORDER BY b.pod_uid, b.start_ts;

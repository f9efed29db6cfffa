-- phase_intervals: each pod's phases as consecutive intervals.
-- 1. Phase points: every snapshot observation (phase at observed_at), the creation time (Pending),
--    and, outside the time the snapshots cover (or for events-only pods), the phases events
--    imply: Scheduled/Pulling/... before the first Started = Pending, Started = Running,
--    Evicted/Preempting/DeadlineExceeded = Failed; Running at the first start of an app
--    container's first instance (a terminal snapshot alone still shows the pod ran).
-- 2. Consecutive points of the same phase form a run (found by its first point).
-- 3. A run starts at the best evidence of the transition between the previous run's last point
--    and its own first point: the earliest container startedAt or Started event (Running), the
--    last container finishedAt of the terminal snapshot, else the event showing it
--    (Succeeded/Failed), NodeNotReady (Unknown); else its first point.
-- 4. Evidence (docs/lifecycle.md): after the pod's last observation (pods.evidence_to) until
--    it is gone or its capture scope ends, and from the start of each capture_gaps stretch of
--    its scope until the next observation, the phase is `unknown` (basis `gap`). A Running run
--    whose start cannot be pinned after the last moment the pod was surely
--    Pending (its last Pending observation, Initialized, creation) -- where no Scheduled event
--    or first container instance dates it -- is preceded by a gap from that moment (pod_stats
--    still gives pending_s when that gap is at most a minute long). Any other change first seen
--    in a List with nothing dating it is preceded by a gap from the previous observation.
-- 5. A run ends where the next starts; the last ends when the pod is gone, else at its capture
--    scope's end (open).
CREATE OR REPLACE TABLE phase_intervals AS
WITH cover AS (
    SELECT pod_uid, min(observed_at) AS lo, max(observed_at) AS hi
    FROM pod_snapshots
    GROUP BY pod_uid
),
first_start AS (
    SELECT pod_uid, min(first_ts) AS t
    FROM pod_events
    WHERE reason = 'Started' AND NOT is_init AND NOT is_ephemeral
    GROUP BY pod_uid
),
first_running AS (
    SELECT pod_uid, min(first_ts) AS t
    FROM pod_events
    WHERE reason IN ('Unhealthy', 'Killing') AND NOT is_init AND NOT is_ephemeral
        AND container IS NOT NULL
    GROUP BY pod_uid
),
ev_points AS (
    SELECT
        e.pod_uid,
        e.first_ts AS ts,
        CASE
            WHEN e.reason IN ('Evicted', 'Preempting', 'DeadlineExceeded') THEN 'Failed'
            -- a started, probed or killed app container was running
            WHEN e.reason IN ('Started', 'Unhealthy', 'Killing') AND NOT e.is_init
                AND e.container IS NOT NULL THEN 'Running'
            ELSE 'Pending'
        END AS phase
    FROM pod_events AS e
    LEFT JOIN cover AS c ON c.pod_uid = e.pod_uid
    LEFT JOIN first_start AS f ON f.pod_uid = e.pod_uid
    LEFT JOIN first_running AS r ON r.pod_uid = e.pod_uid
    LEFT JOIN native_sidecars AS n ON n.pod_uid = e.pod_uid AND n.container = e.container
    WHERE (c.lo IS NULL OR e.first_ts < c.lo OR e.first_ts > c.hi)
        AND (
            e.reason IN ('Evicted', 'Preempting', 'DeadlineExceeded')
            OR (e.reason IN ('Started', 'Unhealthy', 'Killing') AND NOT e.is_init
                AND NOT e.is_ephemeral AND e.container IS NOT NULL)
            OR (e.reason IN ('Scheduled', 'FailedScheduling', 'Pulling', 'Pulled', 'Created',
                    'Started', 'Failed', 'BackOff', 'FailedMount', 'FailedCreatePodSandBox')
                -- before the first app start; when no Started shows it but a probe or kill
                -- shows an app container running, it started at an unknown time: no Pending
                AND (e.first_ts < f.t OR (f.t IS NULL AND r.t IS NULL))
                -- a native sidecar restarts beside the running app: no sign of Pending
                AND NOT e.is_ephemeral AND n.container IS NULL)
        )
),
points AS (
    SELECT pod_uid, created_at AS ts, 'Pending' AS phase, created_basis AS basis, 0 AS src
    FROM pods
    -- (not when created_at is only the pod's first evidence: that says nothing of its phase)
    WHERE created_at IS NOT NULL AND created_basis <> 'inferred'
    UNION ALL
    SELECT
        pod_uid, observed_at, phase,
        CASE WHEN observed_basis = 'record' THEN 'observed' ELSE 'inferred' END, 1
    FROM pod_snapshots
    WHERE phase IS NOT NULL
    UNION ALL
    SELECT pod_uid, ts, phase, 'event', 2 FROM ev_points
    UNION ALL
    -- the first start of an app container (restart index 0) made the pod Running, even where
    -- only a later terminal snapshot shows it
    -- (a mirror pod's object is created after its static pod's containers started: Running
    -- from its creation)
    SELECT fi.pod_uid, greatest(min(fi.started_at), any_value(p.created_at)), 'Running',
        'observed', 1
    FROM container_instances AS fi
    JOIN pods AS p ON p.pod_uid = fi.pod_uid
    WHERE NOT fi.is_init AND fi.idx = 0 AND p.created_at IS NOT NULL
    GROUP BY fi.pod_uid
    UNION ALL
    SELECT pod_uid, ts, 'unknown', 'gap', 9 FROM evidence_gaps
),
flagged AS (
    SELECT
        *,
        lag(phase) OVER w AS prev_phase,
        lag(ts) OVER w AS prev_ts,
        lag(src) OVER w AS prev_src,
        row_number() OVER w AS seq
    FROM points
    -- every column breaks ties, so events in the same second give the same result each rebuild
    WINDOW w AS (PARTITION BY pod_uid ORDER BY ts, src, phase, basis)
),
runs2 AS (
    -- a run is identified by its first point; the point before it is the previous run's last
    SELECT pod_uid, seq AS run_id, phase, ts AS first_ts, basis AS first_basis,
        prev_ts AS prev_last, prev_phase, prev_src, src AS first_src,
        lead(ts) OVER (PARTITION BY pod_uid ORDER BY seq) AS next_first
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
    -- init containers too: a native sidecar stops after the app, a failed init container
    -- (restartPolicy Never) fails the pod
    WHERE ps.phase IN ('Succeeded', 'Failed') AND cs.state = 'terminated'
        AND cs.finished_at IS NOT NULL
    UNION
    SELECT DISTINCT pod_uid, 'Running', first_ts, 'event', 2
    FROM pod_events
    WHERE reason = 'Started' AND NOT is_init AND NOT is_ephemeral
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
        ON c.pod_uid = r.pod_uid AND c.phase = r.phase
        AND (c.ts <= r.first_ts
            -- an event (Preempting, Evicted) announces a terminal phase that the containers'
            -- finish, shown by a later snapshot, really began
            OR (r.first_src = 2 AND c.prio = 1 AND r.phase IN ('Succeeded', 'Failed')
                AND (r.next_first IS NULL OR c.ts < r.next_first)))
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
initialized AS (
    SELECT pod_uid, min(last_transition_ts) AS ts
    FROM condition_snapshots
    WHERE condition = 'Initialized' AND status = 'True'
    GROUP BY pod_uid
),
first_instance AS (
    -- start times of containers' first instances (restart index 0)
    SELECT DISTINCT pod_uid, started_at AS ts
    FROM container_instances
    WHERE NOT is_init AND idx = 0 AND started_at IS NOT NULL
),
scheduled_ev AS (
    SELECT pod_uid, min(first_ts) AS ts FROM pod_events WHERE reason = 'Scheduled' GROUP BY pod_uid
),
placed AS (
    SELECT
        r.pod_uid,
        r.run_id,
        r.phase,
        r.prev_phase,
        r.prev_src,
        r.prev_last,
        coalesce(b.ts, r.first_ts) AS start_ts,
        coalesce(b.basis, r.first_basis) AS basis,
        b.ts IS NULL AND r.first_basis = 'inferred' AS undated
    FROM runs2 AS r
    LEFT JOIN best AS b ON b.pod_uid = r.pod_uid AND b.run_id = r.run_id
),
pending_floor AS (
    -- Running after Pending: the last moment the pod was surely Pending, and whether the start
    -- is pinned (within a second of it, a first instance's start, or after a Scheduled event)
    SELECT
        pl.pod_uid,
        pl.run_id,
        least(pl.start_ts, greatest(pl.prev_last, i.ts)) AS floor_ts,
        coalesce(epoch(pl.start_ts) - epoch(greatest(pl.prev_last, i.ts)) <= 1, false)
            OR fi.ts IS NOT NULL
            OR coalesce(pl.basis = 'event' AND se.ts <= pl.start_ts, false) AS pinned
    FROM placed AS pl
    LEFT JOIN initialized AS i ON i.pod_uid = pl.pod_uid
    LEFT JOIN first_instance AS fi ON fi.pod_uid = pl.pod_uid AND fi.ts = pl.start_ts
    LEFT JOIN scheduled_ev AS se ON se.pod_uid = pl.pod_uid
    WHERE pl.phase = 'Running' AND pl.prev_phase = 'Pending'
),
starts AS (
    SELECT pod_uid, 2 * run_id AS run_id, phase, start_ts, basis FROM placed
    UNION ALL
    SELECT pod_uid, 2 * run_id - 1, 'unknown', floor_ts, 'gap'
    FROM pending_floor
    WHERE NOT pinned
    UNION ALL
    -- a change first seen in a List, with no status time or event dating it, happened
    -- somewhere since the previous observation: unknown in between
    SELECT pl.pod_uid, 2 * pl.run_id - 1, 'unknown', pl.prev_last, 'gap'
    FROM placed AS pl
    ANTI JOIN pending_floor AS pf ON pf.pod_uid = pl.pod_uid AND pf.run_id = pl.run_id
    WHERE pl.undated AND pl.prev_last IS NOT NULL AND pl.prev_phase IS DISTINCT FROM 'unknown'
        AND pl.phase <> 'unknown' AND pl.start_ts > pl.prev_last + INTERVAL 1 SECOND
),
bounded AS (
    SELECT
        s.*,
        lead(s.start_ts) OVER w AS next_start,
        lead(s.basis) OVER w AS next_basis
    FROM starts AS s
    WINDOW w AS (PARTITION BY s.pod_uid ORDER BY s.run_id)
)
SELECT
    b.pod_uid,
    p.namespace,
    p.pod,
    b.phase,
    b.start_ts,
    greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, p.scope_end)) AS end_ts,
    epoch(greatest(b.start_ts, coalesce(b.next_start, p.deleted_at, p.scope_end)))
        - epoch(b.start_ts) AS seconds,
    b.next_start IS NULL AND p.deleted_at IS NULL AS open,
    b.basis
FROM bounded AS b
JOIN pods AS p ON p.pod_uid = b.pod_uid
-- a state left at the moment it was entered (a later record the same second) is no interval;
-- the last state seen before a gap is kept (it was observed)
WHERE b.next_start IS NULL OR b.next_start > b.start_ts
    OR (b.next_basis = 'gap' AND b.basis <> 'gap')
ORDER BY b.pod_uid, b.start_ts, b.run_id;

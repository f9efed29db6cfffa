-- condition_intervals: each pod condition's status over time.
-- Snapshot observations of a condition form runs; a new run starts when the status or its
-- lastTransitionTime changes. A run starts at its lastTransitionTime (observed) when that lies
-- after the previous run's last observation, else at its first observation (inferred). Outside
-- the snapshots' cover (or for events-only pods) Scheduled / FailedScheduling events give
-- PodScheduled True / False (event); for a pod no snapshot shows, its first app container
-- Started gives Initialized True from then (inferred: it turned True at the latest then).
-- Readiness (Ready and ContainersReady), basis inferred, where no observation says otherwise:
-- * a True run that starts at its lastTransitionTime and follows no False run was False from
--   the latest app container start before it (after the previous run's last observation; none
--   when a container started at that very moment): a started container is not ready until its
--   readiness probe passes;
-- * a readiness failure burst (one Unhealthy object whose occurrences fit one run a probe period
--   apart, probe_failures.one_burst) with at least failureThreshold failures made the pod not
--   ready from failure number failureThreshold (first + (failureThreshold - 1) * period) until
--   successThreshold periods after the last failure; dropped where an observation of the
--   condition shows True inside that spell. A startup probe failure burst (the container has
--   not started) makes it not ready from its first failure until a period after its last.
-- Where the pod's evidence stops (evidence_gaps) each condition is `unknown` (basis `gap`) until
-- the next observation. A condition a later snapshot no longer reports is `absent` from then. A run ends where the next starts; the last one when the pod is gone,
-- else at its capture scope's end (open).
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
    -- a pod no snapshot shows: its first app container start proves Initialized True by then
    -- (app containers start once every init container completed or, a native sidecar,
    -- started); when it turned True before is not known
    SELECT e.pod_uid, 'Initialized', min(e.first_ts), min(e.first_ts), 'True', NULL,
        NULL::TIMESTAMPTZ, 'inferred', 2
    FROM pod_events AS e
    ANTI JOIN cover AS c ON c.pod_uid = e.pod_uid
    WHERE e.reason = 'Started' AND NOT e.is_init AND NOT e.is_ephemeral
        AND e.container IS NOT NULL
    GROUP BY e.pod_uid
    UNION ALL
    -- a pod no snapshot shows: the kubelet's resize events (1.32+ ResizeDeferred /
    -- ResizeInfeasible, 1.35 ResizeStarted / ResizeCompleted / ResizeError) give the resize
    -- conditions: pending (that reason) from a Deferred / Infeasible, in progress from a start
    -- (pending then over), done (absent) at completion
    SELECT e.pod_uid, x.condition, e.first_ts, e.first_ts, x.status, x.reason, NULL, 'event', 2
    FROM pod_events AS e
    ANTI JOIN cover AS c ON c.pod_uid = e.pod_uid
    JOIN (VALUES
        ('ResizeDeferred', 'PodResizePending', 'True', 'Deferred'),
        ('ResizeInfeasible', 'PodResizePending', 'True', 'Infeasible'),
        ('ResizeStarted', 'PodResizeInProgress', 'True', NULL),
        ('ResizeStarted', 'PodResizePending', 'absent', NULL),
        ('ResizeError', 'PodResizeInProgress', 'True', 'Error'),
        ('ResizeCompleted', 'PodResizeInProgress', 'absent', NULL)
    ) AS x(event_reason, condition, status, reason) ON x.event_reason = e.reason
    -- (absent only once the condition was there)
    WHERE x.status = 'True' OR EXISTS (
        SELECT 1 FROM pod_events AS b
        WHERE b.pod_uid = e.pod_uid AND b.first_ts <= e.first_ts
            AND b.reason IN (CASE x.condition WHEN 'PodResizePending'
                THEN 'ResizeDeferred' ELSE 'ResizeStarted' END,
                CASE x.condition WHEN 'PodResizePending'
                THEN 'ResizeInfeasible' ELSE 'ResizeError' END)
    )
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
    -- a snapshot (with conditions) that lacks a condition reported before: it is `absent`
    -- since (PodResizePending / PodResizeInProgress are removed when the resize is done)
    SELECT ps.pod_uid, k.condition, ps.observed_at, ps.observed_at, 'absent', NULL, NULL,
        CASE WHEN ps.observed_basis = 'record' THEN 'observed' ELSE 'inferred' END, 1
    FROM (
        SELECT pod_uid, condition, min(observed_at) AS first_seen
        FROM condition_snapshots
        GROUP BY pod_uid, condition
    ) AS k
    JOIN (
        SELECT DISTINCT source_id, pod_uid, observed_at, observed_basis
        FROM pod_snapshots
        SEMI JOIN condition_snapshots USING (source_id, pod_uid, observed_at)
    ) AS ps ON ps.pod_uid = k.pod_uid AND ps.observed_at > k.first_seen
    ANTI JOIN condition_snapshots AS cs
        ON cs.pod_uid = ps.pod_uid AND cs.observed_at = ps.observed_at
        AND cs.condition = k.condition
    UNION ALL
    -- where the pod's evidence stops (derive_16) every condition it had is unknown
    SELECT g.pod_uid, k.condition, g.ts, g.ts, 'unknown', NULL, NULL, 'gap', 9
    FROM evidence_gaps AS g
    JOIN (
        SELECT DISTINCT pod_uid, condition FROM condition_snapshots
        UNION
        SELECT DISTINCT pod_uid, 'PodScheduled' FROM pod_events
        WHERE reason IN ('Scheduled', 'FailedScheduling')
        UNION
        SELECT DISTINCT e.pod_uid, x.condition FROM pod_events AS e
        JOIN (VALUES ('ResizeDeferred', 'PodResizePending'),
            ('ResizeInfeasible', 'PodResizePending'), ('ResizeStarted', 'PodResizeInProgress'),
            ('ResizeError', 'PodResizeInProgress')) AS x(r, condition) ON x.r = e.reason
        WHERE e.pod_uid NOT IN (SELECT pod_uid FROM pod_snapshots)
        UNION
        SELECT DISTINCT pod_uid, 'Initialized' FROM pod_events
        WHERE reason = 'Started' AND NOT is_init AND NOT is_ephemeral AND container IS NOT NULL
            AND pod_uid NOT IN (SELECT pod_uid FROM pod_snapshots)
    ) AS k ON k.pod_uid = g.pod_uid
),
flagged AS (
    SELECT
        *,
        lag(status) OVER w AS prev_status,
        lag(reason) OVER w AS prev_reason,
        lag(lt) OVER w AS prev_lt,
        lag(src) OVER w AS prev_src,
        lag(last_ts) OVER w AS prev_ts,
        row_number() OVER w AS seq,
        max(last_ts) OVER (PARTITION BY pod_uid, condition) AS part_last
    FROM points
    -- every column breaks ties, so events in the same second give the same result each rebuild
    WINDOW w AS (
        PARTITION BY pod_uid, condition
        ORDER BY ts, src, status, reason NULLS FIRST, last_ts, lt NULLS FIRST, obs_basis
    )
),
starts AS (
    -- a run is identified by its first point; the point before it is the previous run's last
    -- from_lt: the run starts at its lastTransitionTime (after the previous run's last point)
    SELECT *, prev_ts AS prev_last,
        lt IS NOT NULL AND lt <= ts AND (prev_ts IS NULL OR lt > prev_ts) AS from_lt
    FROM flagged
    WHERE status IS DISTINCT FROM prev_status
        OR (src = 1 AND prev_src = 1 AND lt IS NOT NULL AND prev_lt IS NOT NULL
            AND lt <> prev_lt)
        -- `status.resize` read as a condition has no lastTransitionTime: Proposed then
        -- Deferred is a new run
        OR (condition LIKE 'PodResize%' AND lt IS NULL AND prev_lt IS NULL
            AND reason IS DISTINCT FROM prev_reason)
),
placed AS (
    SELECT
        pod_uid,
        condition,
        status,
        reason,
        CASE WHEN from_lt THEN lt ELSE ts END AS start_ts,
        CASE
            WHEN obs_basis = 'event' THEN 'event'
            WHEN from_lt THEN 'observed'
            ELSE obs_basis
        END AS basis,
        from_lt,
        -- the run's observations: from its start (a lastTransitionTime vouches for the time
        -- before the first observation) to its last observation
        ts AS first_obs,
        coalesce(lead(prev_last) OVER w_run, part_last) AS cov_end,
        lag(status) OVER w_run AS prev_status,
        prev_last
    FROM starts
    WINDOW w_run AS (PARTITION BY pod_uid, condition ORDER BY seq)
),
app_starts AS (
    SELECT DISTINCT pod_uid, started_at AS ts
    FROM container_snapshots
    WHERE NOT is_init AND started_at IS NOT NULL
    UNION
    SELECT pod_uid, last_started_at FROM container_snapshots
    WHERE NOT is_init AND last_started_at IS NOT NULL
    UNION
    SELECT pod_uid, unnest([first_ts, last_ts]) FROM pod_events
    WHERE reason = 'Started' AND NOT is_init
),
not_ready_first AS (
    -- the latest container start between the previous run's last observation and a True run
    -- that a transition began (none when a container started at that very moment)
    SELECT *
    FROM (
        SELECT p.pod_uid, p.condition, 'False' AS status, 'ContainersNotReady' AS reason,
            max(a.ts) AS start_ts, 'inferred' AS basis, p.start_ts AS ready_at
        FROM placed AS p
        JOIN app_starts AS a
            ON a.pod_uid = p.pod_uid AND a.ts <= p.start_ts
            AND (p.prev_last IS NULL OR a.ts > p.prev_last)
        WHERE p.condition IN ('Ready', 'ContainersReady') AND p.status = 'True'
            AND p.from_lt AND p.prev_status IS DISTINCT FROM 'False'
        GROUP BY p.pod_uid, p.condition, p.start_ts
    )
    WHERE start_ts < ready_at
),
base AS (
    SELECT pod_uid, condition, status, reason, start_ts, basis FROM placed
    UNION ALL
    SELECT pod_uid, condition, status, reason, start_ts, basis FROM not_ready_first
),
spell_conds AS (
    -- Ready and ContainersReady, or only those the pod's snapshots show (clusters before 1.11
    -- have no ContainersReady)
    SELECT f.pod_uid, c.condition
    FROM (
        SELECT DISTINCT pod_uid FROM probe_failures WHERE probe IN ('readiness', 'startup')
    ) AS f
    CROSS JOIN (VALUES ('Ready'), ('ContainersReady')) AS c(condition)
    LEFT JOIN (
        SELECT pod_uid, list(DISTINCT condition) AS conds
        FROM condition_snapshots
        WHERE condition IN ('Ready', 'ContainersReady')
        GROUP BY pod_uid
    ) AS o ON o.pod_uid = f.pod_uid
    WHERE o.conds IS NULL OR list_contains(o.conds, c.condition)
),
spells AS (
    SELECT f.pod_uid, c.condition,
        least(f.first_ts + to_seconds((s.failure_threshold - 1) * s.period_s), f.last_ts) AS a,
        f.last_ts + to_seconds(s.success_threshold * s.period_s) AS b
    FROM probe_failures AS f
    JOIN probe_specs AS s
        ON s.pod_uid = f.pod_uid AND s.container = f.container AND s.probe = f.probe
        AND NOT s.is_init
    JOIN spell_conds AS c ON c.pod_uid = f.pod_uid
    WHERE f.probe = 'readiness' AND f.one_burst AND f.count >= s.failure_threshold
    UNION ALL
    -- a container whose startup probe fails has not started, so it is not ready: from the first
    -- failure until the next probe after the last could have passed
    SELECT f.pod_uid, c.condition, f.first_ts, f.last_ts + to_seconds(f.period_s)
    FROM probe_failures AS f
    JOIN spell_conds AS c ON c.pod_uid = f.pod_uid
    WHERE f.probe = 'startup' AND f.one_burst
),
clipped_spells AS (
    -- a spell claims nothing after the pod's last evidence when a gap follows it (else the
    -- pod's end cuts it)
    SELECT w.pod_uid, w.condition, w.a, least(w.b, lim.ts) AS b
    FROM spells AS w
    JOIN pods AS pe ON pe.pod_uid = w.pod_uid
    CROSS JOIN LATERAL (
        SELECT CASE WHEN pe.evidence_to < coalesce(pe.deleted_at, pe.scope_end)
            THEN pe.evidence_to ELSE w.b END AS ts
    ) AS lim
    WHERE w.a < lim.ts
),
kept_spells AS (
    -- snapshot observations win: a True run observed inside the spell refutes it
    SELECT w.*
    FROM clipped_spells AS w
    ANTI JOIN placed AS p
        ON p.pod_uid = w.pod_uid AND p.condition = w.condition AND p.status = 'True'
        AND least(p.start_ts, p.first_obs) < w.b AND p.cov_end >= w.a
),
spell_islands AS (
    SELECT pod_uid, condition, min(a) AS a, max(b) AS b
    FROM (
        SELECT *, sum(new_island) OVER (PARTITION BY pod_uid, condition ORDER BY a, b) AS g
        FROM (
            SELECT *,
                CASE WHEN a <= max(b) OVER (
                    PARTITION BY pod_uid, condition ORDER BY a, b
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) THEN 0 ELSE 1 END AS new_island
            FROM kept_spells
        )
    )
    GROUP BY pod_uid, condition, g
),
touched AS (
    -- only conditions a spell touches go through the overlay below
    SELECT DISTINCT pod_uid, condition FROM spell_islands
),
plain AS (
    SELECT
        b.pod_uid, b.condition, b.status, b.reason, b.start_ts,
        lead(b.start_ts) OVER (PARTITION BY b.pod_uid, b.condition ORDER BY b.start_ts, b.status)
            AS next_start,
        b.basis
    FROM base AS b
    ANTI JOIN touched AS t ON t.pod_uid = b.pod_uid AND t.condition = b.condition
),
based AS (
    SELECT b.*, row_number() OVER (PARTITION BY b.pod_uid, b.condition ORDER BY b.start_ts, b.status)
        AS bid
    FROM base AS b
    SEMI JOIN touched AS t ON t.pod_uid = b.pod_uid AND t.condition = b.condition
),
bounds AS (
    SELECT pod_uid, condition, start_ts AS p FROM based
    UNION
    SELECT pod_uid, condition, a FROM spell_islands
    UNION
    SELECT pod_uid, condition, b FROM spell_islands
),
segs AS (
    SELECT *, lead(p) OVER (PARTITION BY pod_uid, condition ORDER BY p) AS q FROM bounds
),
labelled AS (
    -- each stretch between two bounds: the run in force there, overridden by a spell where
    -- that run is not already False; a stretch between a spell and the first run after it that
    -- no run covers is `unknown` (basis gap): nothing shows the condition there
    SELECT
        s.pod_uid, s.condition, s.p, s.q,
        w.a IS NOT NULL AND r.status IS DISTINCT FROM 'False' AS spell,
        CASE WHEN w.a IS NOT NULL AND r.status IS DISTINCT FROM 'False' THEN 'False'
            WHEN r.status IS NULL AND s.q IS NOT NULL THEN 'unknown'
            ELSE r.status END AS status,
        CASE WHEN w.a IS NOT NULL AND r.status IS DISTINCT FROM 'False'
            THEN 'ContainersNotReady' ELSE r.reason END AS reason,
        CASE WHEN w.a IS NOT NULL AND r.status IS DISTINCT FROM 'False' THEN 'inferred'
            WHEN r.status IS NULL THEN 'gap'
            WHEN s.p = r.start_ts THEN r.basis ELSE 'inferred' END AS basis,
        -- a spell, a run resuming after one, or a stretch no run covers: made here, not observed
        (w.a IS NOT NULL AND r.status IS DISTINCT FROM 'False') OR r.status IS NULL
            OR s.p <> r.start_ts AS synthetic,
        CASE WHEN w.a IS NOT NULL AND r.status IS DISTINCT FROM 'False' THEN -epoch(w.a)
            ELSE r.bid END AS piece
    FROM segs AS s
    ASOF LEFT JOIN based AS r
        ON r.pod_uid = s.pod_uid AND r.condition = s.condition AND r.start_ts <= s.p
    LEFT JOIN spell_islands AS w
        ON w.pod_uid = s.pod_uid AND w.condition = s.condition AND w.a <= s.p AND s.p < w.b
),
kept AS (
    SELECT *,
        lag(piece) OVER w AS prev_piece,
        lag(q) OVER w AS prev_q,
        lag(status) OVER w AS prev_status,
        lag(spell) OVER w AS prev_spell
    FROM labelled
    WHERE status IS NOT NULL
    WINDOW w AS (PARTITION BY pod_uid, condition ORDER BY p)
),
islands AS (
    SELECT *,
        -- a spell merges with an adjacent stretch of the same status
        sum(CASE WHEN prev_q = p AND status = prev_status
            AND (piece = prev_piece OR spell OR prev_spell) THEN 0 ELSE 1 END)
            OVER (PARTITION BY pod_uid, condition ORDER BY p) AS island
    FROM kept
),
merged AS (
    SELECT
        pod_uid, condition,
        arg_min(status, p) AS status,
        arg_min(reason, p) AS reason,
        min(p) AS start_ts,
        CASE WHEN bool_or(q IS NULL) THEN NULL ELSE max(q) END AS next_start,
        arg_min(basis, p) AS basis,
        arg_min(synthetic, p) AS synthetic
    FROM islands
    GROUP BY pod_uid, condition, island
    UNION ALL
    SELECT pod_uid, condition, status, reason, start_ts, next_start, basis, false FROM plain
)
SELECT
    m.pod_uid,
    m.condition,
    m.status,
    m.start_ts,
    greatest(m.start_ts, least(coalesce(m.next_start, stop.ts), stop.ts)) AS end_ts,
    epoch(greatest(m.start_ts, least(coalesce(m.next_start, stop.ts), stop.ts)))
        - epoch(m.start_ts) AS seconds,
    m.reason,
    m.basis,
    (m.next_start IS NULL OR m.next_start > stop.ts) AND p.deleted_at IS NULL AS open
FROM (
    SELECT *, lead(basis) OVER (PARTITION BY pod_uid, condition ORDER BY start_ts, status)
        AS next_basis
    FROM merged
) AS m
JOIN pods AS p ON p.pod_uid = m.pod_uid
CROSS JOIN LATERAL (SELECT coalesce(p.deleted_at, p.scope_end) AS ts) AS stop
-- a state left at the moment it was entered is no interval (but the last state seen before a
-- gap is kept: it was observed), nor a stretch made here that would begin at or after the pod's
-- last moment
WHERE (m.next_start IS NULL OR m.next_start > m.start_ts
        OR (m.next_basis = 'gap' AND m.basis <> 'gap'))
    AND NOT (m.synthetic AND m.start_ts >= stop.ts)
ORDER BY m.pod_uid, m.condition, m.start_ts;

-- pod_stats (issue 4): one row per pod, figures as docs/sql.md describes them (`pod_stats`).
-- Every duration is relative to created_at (creationTimestamp, else the pod's first evidence)
-- and counts evidenced time only: `gap` intervals (no capture could see the pod) count to
-- unknown_s, never to a state; a figure the evidence cannot fix is null (pending_s when a gap
-- lies before the pod left Pending; terminating_s when the pod's end is not bounded within a
-- minute). A pod's end is its deletion, else its capture scope's end (pods.scope_end).
-- observed_s = time from created_at to that end with evidence; unknown_s = phase Unknown
-- (reported) plus gap time, so pending + running + succeeded + failed + unknown = lifetime.
-- Contract columns first; the columns after final_phase are podreplay additions.

CREATE OR REPLACE TABLE pod_stats AS
WITH base AS (
    SELECT p.*, coalesce(p.created_at, p.first_seen) AS born,
        coalesce(p.deleted_at, p.scope_end) AS ends_at
    FROM pods p
),
phase_s AS (
    SELECT
        pod_uid,
        sum(seconds) FILTER (WHERE phase = 'Running') AS running_s,
        sum(seconds) FILTER (WHERE phase = 'Succeeded') AS succeeded_s,
        sum(seconds) FILTER (WHERE phase = 'Failed') AS failed_s,
        sum(seconds) FILTER (WHERE phase = 'Unknown' OR basis = 'gap') AS unknown_s,
        sum(seconds) FILTER (WHERE basis = 'gap') AS gap_s,
        sum(seconds) FILTER (WHERE phase = 'Pending') AS pending_s,
        min(start_ts) FILTER (WHERE phase <> 'Pending' AND basis <> 'gap') AS left_pending_at,
        min(start_ts) FILTER (WHERE basis = 'gap') AS first_gap_at,
        min(end_ts) FILTER (WHERE basis = 'gap') AS first_gap_end,
        max(end_ts) FILTER (WHERE phase = 'Pending') AS pending_until
    FROM phase_intervals
    GROUP BY pod_uid
),
first_true AS (
    SELECT
        pod_uid,
        min(start_ts) FILTER (WHERE condition = 'PodScheduled') AS scheduled_at,
        min(start_ts) FILTER (WHERE condition = 'Initialized') AS initialized_at,
        min(start_ts) FILTER (WHERE condition = 'Ready') AS ready_at
    FROM condition_intervals
    WHERE status = 'True'
    GROUP BY pod_uid
),
scheduled_event AS (
    SELECT pod_uid, min(first_ts) AS scheduled_at
    FROM pod_events
    WHERE reason = 'Scheduled'
    GROUP BY pod_uid
),
pulls AS (
    SELECT pod_uid, sum(seconds) AS image_pull_s
    FROM image_pulls
    GROUP BY pod_uid
),
-- Running time that overlaps Ready=False (neither kind of interval overlaps its own kind, so
-- the pairwise overlaps add up to the union)
not_ready AS (
    SELECT
        r.pod_uid,
        sum(greatest(0, epoch(least(r.end_ts, t.end_ts)) - epoch(greatest(r.start_ts, t.start_ts))))
            AS not_ready_running_s
    FROM phase_intervals r
    JOIN condition_intervals t
        ON t.pod_uid = r.pod_uid
        AND t.condition = 'Ready'
        AND t.status = 'False'
        AND t.start_ts < r.end_ts
        AND t.end_ts > r.start_ts
    WHERE r.phase = 'Running'
    GROUP BY r.pod_uid
),
-- CrashLoopBackOff time as the union over containers (two looping containers count once)
cl AS (
    SELECT pod_uid, start_ts, end_ts
    FROM container_intervals
    WHERE state = 'waiting' AND reason = 'CrashLoopBackOff' AND end_ts IS NOT NULL
),
cl_marked AS (
    SELECT
        *,
        CASE
            WHEN start_ts <= max(end_ts) OVER (
                PARTITION BY pod_uid ORDER BY start_ts, end_ts
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) THEN 0
            ELSE 1
        END AS starts_island
    FROM cl
),
cl_islands AS (
    SELECT
        pod_uid,
        start_ts,
        end_ts,
        sum(starts_island) OVER (PARTITION BY pod_uid ORDER BY start_ts, end_ts) AS island
    FROM cl_marked
),
crashloop AS (
    SELECT pod_uid, sum(s) AS crashloop_s
    FROM (
        SELECT pod_uid, epoch(max(end_ts)) - epoch(min(start_ts)) AS s
        FROM cl_islands
        GROUP BY pod_uid, island
    )
    GROUP BY pod_uid
),
last_container AS (
    SELECT
        pod_uid,
        container,
        is_init,
        arg_max(restart_count, observed_at) AS restart_count,
        arg_max(state, observed_at) AS state,
        arg_max(reason, observed_at) AS reason,
        arg_max(exit_code, observed_at) AS exit_code,
        arg_max(finished_at, observed_at) AS finished_at
    FROM container_snapshots
    GROUP BY pod_uid, container, is_init
),
restart_counts AS (
    SELECT
        pod_uid,
        sum(restart_count) AS restarts,
        count(*) FILTER (WHERE state = 'terminated' AND reason = 'OOMKilled') AS oom_now
    FROM last_container
    GROUP BY pod_uid
),
restart_rows AS (
    SELECT
        pod_uid,
        count(*) AS restarts,
        count(*) FILTER (WHERE cause = 'OOMKilled') AS oom_restarts
    FROM restarts
    GROUP BY pod_uid
),
probes AS (
    SELECT pod_uid, sum(count) AS probe_failures
    FROM probe_failures
    GROUP BY pod_uid
),
deletion AS (
    SELECT
        pod_uid,
        max(deleted_at) AS deletion_deadline
    FROM pod_snapshots
    GROUP BY pod_uid
),
grace_events AS (
    SELECT DISTINCT pod_uid
    FROM pod_events
    WHERE reason = 'ExceededGracePeriod'
),
late_kills AS (
    -- a SIGKILL exit (137) after the deletion deadline
    SELECT DISTINCT c.pod_uid
    FROM last_container c
    JOIN deletion d USING (pod_uid)
    WHERE c.exit_code = 137 AND c.finished_at > d.deletion_deadline
),
backoff_events AS (
    SELECT DISTINCT pod_uid
    FROM pod_events
    WHERE reason = 'BackOff' AND message ILIKE 'Back-off restarting%'
)
SELECT
    b.pod_uid,
    b.namespace,
    b.pod,
    b.workload,
    CASE
        -- created when is unknown (only the pod's first evidence)
        WHEN b.created_basis = 'inferred' THEN NULL
        -- Pending's end falls in a stretch without evidence: known within a minute when that
        -- stretch is at most a minute long and ends where Running starts, else unknown
        WHEN ps.first_gap_at < coalesce(ps.left_pending_at, b.ends_at)
            AND ps.first_gap_end = ps.left_pending_at
            AND epoch(ps.first_gap_end) - epoch(ps.first_gap_at) <= 60
            THEN epoch(ps.left_pending_at) - epoch(b.born)
        WHEN ps.first_gap_at < coalesce(ps.left_pending_at, b.ends_at) THEN NULL
        WHEN ps.pending_s IS NOT NULL THEN ps.pending_s
        WHEN ps.left_pending_at IS NOT NULL THEN epoch(ps.left_pending_at) - epoch(b.born)
        WHEN b.final_phase IS NULL OR b.final_phase = 'Pending'
            THEN epoch(b.ends_at) - epoch(b.born)
        ELSE epoch(ps.pending_until) - epoch(b.born)
    END AS pending_s,
    coalesce(ps.running_s, 0.0) AS running_s,
    coalesce(ps.succeeded_s, 0.0) AS succeeded_s,
    coalesce(ps.failed_s, 0.0) AS failed_s,
    coalesce(ps.unknown_s, 0.0) AS unknown_s,
    epoch(coalesce(ft.scheduled_at, se.scheduled_at)) - epoch(b.born) AS time_to_scheduled_s,
    epoch(ft.initialized_at) - epoch(b.born) AS time_to_initialized_s,
    pulls.image_pull_s,
    epoch(ft.ready_at) - epoch(b.born) AS time_to_ready_s,
    coalesce(nr.not_ready_running_s, 0.0) AS not_ready_running_s,
    CAST(coalesce(rc.restarts, rr.restarts, 0) AS BIGINT) AS restarts,
    coalesce(crashloop.crashloop_s, 0.0) AS crashloop_s,
    CASE
        -- gone at a time the evidence bounds within a minute, or still there at the scope end
        WHEN b.deletion_requested_at IS NOT NULL
            AND (b.deleted_at IS NULL AND b.evidence_to >= b.scope_end
                OR epoch(b.deleted_at) - epoch(coalesce(b.deleted_after, b.deleted_at)) <= 60)
            THEN epoch(b.ends_at) - epoch(b.deletion_requested_at)
    END AS terminating_s,
    (b.pod_uid IN (SELECT pod_uid FROM grace_events)
        OR b.pod_uid IN (SELECT pod_uid FROM late_kills)) AS grace_exceeded,
    b.final_phase,
    -- additions
    b.node,
    -- the controller kind the lifecycle read from ownerReferences (a mirror pod's owner is its
    -- Node); without owners, a ReplicaSet-style generated name says Deployment
    CASE
        WHEN b.workload_kind = 'Node' THEN 'StaticPod'
        WHEN b.workload_kind IS NOT NULL THEN b.workload_kind
        WHEN regexp_matches(
            b.pod, '-[0-9bcdfghjklmnpqrstvwxz]{5,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$'
        ) THEN 'Deployment'
        WHEN b.workload = b.pod THEN 'Pod'
    END AS workload_kind,
    b.created_at,
    b.qos_class,
    b.final_reason,
    b.last_seen,
    CAST(coalesce(probes.probe_failures, 0) AS BIGINT) AS probe_failures,
    CAST(coalesce(rr.oom_restarts, 0) + coalesce(rc.oom_now, 0) AS BIGINT) AS oom_kills,
    (coalesce(crashloop.crashloop_s, 0) > 0 OR b.pod_uid IN (SELECT pod_uid FROM backoff_events))
        AS crashlooped,
    (ft.ready_at IS NULL AND coalesce(ps.running_s, 0) > 0
        AND b.final_phase IS DISTINCT FROM 'Succeeded') AS never_ready,
    greatest(0.0, epoch(b.ends_at) - epoch(b.born) - coalesce(ps.gap_s, 0.0)) AS observed_s
FROM base b
LEFT JOIN phase_s ps USING (pod_uid)
LEFT JOIN first_true ft USING (pod_uid)
LEFT JOIN scheduled_event se USING (pod_uid)
LEFT JOIN pulls USING (pod_uid)
LEFT JOIN not_ready nr USING (pod_uid)
LEFT JOIN crashloop USING (pod_uid)
LEFT JOIN restart_counts rc USING (pod_uid)
LEFT JOIN restart_rows rr USING (pod_uid)
LEFT JOIN probes USING (pod_uid);

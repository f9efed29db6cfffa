-- The cluster as it was at $at (issue 6): one row per pod that exists at $at, i.e. created at
-- or before $at and not yet gone (deleted_at after $at, or never deleted in the capture).
-- Every state comes from the interval tables by containment: start_ts <= $at and the interval
-- either ends after $at or is open (the capture ended first).
-- Parameters: $at TIMESTAMPTZ, $ns VARCHAR or NULL (all namespaces), $uids VARCHAR[] or NULL
-- (only these pods).

WITH alive AS (
    SELECT
        p.pod_uid,
        p.namespace,
        p.pod,
        p.node,
        p.workload,
        coalesce(p.created_at, p.first_seen) AS created_at,
        p.deletion_requested_at
    FROM pods p
    WHERE coalesce(p.created_at, p.first_seen) <= CAST($at AS TIMESTAMPTZ)
      AND (p.deleted_at IS NULL OR p.deleted_at > CAST($at AS TIMESTAMPTZ))
      AND (CAST($ns AS VARCHAR) IS NULL OR p.namespace = CAST($ns AS VARCHAR))
      AND (CAST($uids AS VARCHAR[]) IS NULL OR list_contains(CAST($uids AS VARCHAR[]), p.pod_uid))
),
phase AS (
    SELECT i.pod_uid, arg_max(i.phase, i.start_ts) AS phase
    FROM phase_intervals i
    JOIN alive a USING (pod_uid)
    WHERE i.start_ts <= CAST($at AS TIMESTAMPTZ)
      AND (i.end_ts > CAST($at AS TIMESTAMPTZ) OR i.open OR i.end_ts IS NULL)
    GROUP BY i.pod_uid
),
cond AS (
    SELECT
        i.pod_uid,
        i.condition,
        arg_max(i.status, i.start_ts) AS status,
        arg_max(i.reason, i.start_ts) AS reason,
        max(i.start_ts) AS since
    FROM condition_intervals i
    JOIN alive a USING (pod_uid)
    WHERE i.start_ts <= CAST($at AS TIMESTAMPTZ)
      AND (i.end_ts > CAST($at AS TIMESTAMPTZ) OR i.open OR i.end_ts IS NULL)
    GROUP BY ALL
),
conds AS (
    SELECT
        pod_uid,
        any_value(status = 'True') FILTER (WHERE condition = 'PodScheduled') AS pod_scheduled,
        any_value(status = 'True') FILTER (WHERE condition = 'Initialized') AS initialized,
        any_value(status = 'True') FILTER (WHERE condition = 'ContainersReady')
            AS containers_ready,
        any_value(status = 'True') FILTER (WHERE condition = 'Ready') AS ready,
        list(
            {'condition': condition, 'status': status, 'reason': reason, 'since': since}
            ORDER BY condition
        ) AS conditions
    FROM cond
    GROUP BY pod_uid
),
ctr AS (
    SELECT
        i.pod_uid,
        i.container,
        i.is_init,
        arg_max(i.state, i.start_ts) AS state,
        arg_max(i.reason, i.start_ts) AS reason,
        arg_max(i.exit_code, i.start_ts) AS exit_code,
        max(i.start_ts) AS since
    FROM container_intervals i
    JOIN alive a USING (pod_uid)
    WHERE i.start_ts <= CAST($at AS TIMESTAMPTZ)
      AND (i.end_ts > CAST($at AS TIMESTAMPTZ) OR i.open OR i.end_ts IS NULL)
    GROUP BY ALL
),
ctrs AS (
    SELECT
        pod_uid,
        list(
            {
                'container': container,
                'is_init': is_init,
                'state': state,
                'reason': reason,
                'exit_code': exit_code,
                'since': since
            }
            ORDER BY is_init DESC, container
        ) AS containers
    FROM ctr
    GROUP BY pod_uid
),
-- restarts so far, per container: the highest restart_no dated at or before $at, or the highest
-- restartCount a snapshot had shown by then (a restart whose time no capture shows is known from
-- the first snapshot that counts it), whichever is larger
restarted AS (
    SELECT pod_uid, container, max(n) AS n
    FROM (
        SELECT pod_uid, container, restart_no AS n
        FROM restarts
        WHERE "at" <= CAST($at AS TIMESTAMPTZ)
        UNION ALL
        SELECT pod_uid, container, restart_count
        FROM container_snapshots
        WHERE observed_at <= CAST($at AS TIMESTAMPTZ) AND restart_count > 0
    )
    GROUP BY ALL
),
restarts_so_far AS (
    SELECT pod_uid, CAST(sum(n) AS BIGINT) AS restarts
    FROM restarted
    GROUP BY pod_uid
),
-- an aggregated event is known to have occurred at its first and its last occurrence; the
-- latest known occurrence up to $at orders the "latest events"
ev AS (
    SELECT
        pe.pod_uid,
        CASE
            WHEN pe.last_ts <= CAST($at AS TIMESTAMPTZ) THEN pe.last_ts
            ELSE pe.first_ts
        END AS seen_at,
        pe.reason,
        pe.message,
        pe.type,
        CASE WHEN pe.last_ts <= CAST($at AS TIMESTAMPTZ) THEN pe.count END AS count,
        pe.event_key
    FROM pod_events pe
    JOIN alive a USING (pod_uid)
    WHERE pe.first_ts <= CAST($at AS TIMESTAMPTZ)
),
evs AS (
    SELECT
        pod_uid,
        list(
            {'at': seen_at, 'reason': reason, 'message': message, 'type': type, 'count': count}
            ORDER BY seen_at DESC, event_key DESC
        )[1:CAST($n_events AS INTEGER)] AS events
    FROM ev
    GROUP BY pod_uid
)
SELECT
    a.pod_uid,
    a.namespace,
    a.pod,
    a.node,
    a.workload,
    ph.phase,
    coalesce(r.restarts, 0) AS restarts,
    c.pod_scheduled,
    c.initialized,
    c.containers_ready,
    c.ready,
    coalesce(a.deletion_requested_at <= CAST($at AS TIMESTAMPTZ), false) AS terminating,
    a.created_at,
    c.conditions,
    k.containers,
    e.events,
    w.why -- the pod's worst problem over the whole capture (pod_why), not at $at
FROM alive a
LEFT JOIN phase ph USING (pod_uid)
LEFT JOIN conds c USING (pod_uid)
LEFT JOIN ctrs k USING (pod_uid)
LEFT JOIN restarts_so_far r USING (pod_uid)
LEFT JOIN evs e USING (pod_uid)
LEFT JOIN pod_why w USING (pod_uid)
ORDER BY a.namespace, a.pod, a.created_at, a.pod_uid

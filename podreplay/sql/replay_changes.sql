-- What happened between $start and $end (inclusive), in order (issue 6): pod creation and
-- deletion, phase / condition / container-state transitions, restarts, and events (every event
-- of the namespace, not only pod events; an aggregated event appears once, at its first
-- occurrence, with its count and last occurrence).
-- A transition is an interval whose value differs from the previous interval of the same
-- subject, so intervals split only by their basis do not repeat a state.
-- Order: time to the second (most event timestamps have 1 s resolution, so finer times only
-- look more precise), namespace, pod (or the event's object), kind rank (created, phase,
-- conditions, containers, restarts, events, deleted), then a stable tie-break: an event's name,
-- which kubelet and controllers suffix with its creation time in hex, so the events of one
-- object within one second keep their creation order.
-- Parameters: $start, $end TIMESTAMPTZ; $ns VARCHAR or NULL; $uids VARCHAR[] or NULL (only
-- these pods, and only their own events).

WITH chosen AS (
    SELECT pod_uid, namespace, pod
    FROM pods
    WHERE (CAST($ns AS VARCHAR) IS NULL OR namespace = CAST($ns AS VARCHAR))
      AND (CAST($uids AS VARCHAR[]) IS NULL OR list_contains(CAST($uids AS VARCHAR[]), pod_uid))
),
lifecycle AS (
    SELECT p.pod_uid, t.ts, t.value
    FROM pods p
    JOIN chosen USING (pod_uid),
        unnest([
            {'ts': coalesce(p.created_at, p.first_seen), 'value': 'created'},
            {'ts': p.deletion_requested_at, 'value': 'deleting'},
            {'ts': p.deleted_at, 'value': 'deleted'}
        ]) AS u(t)
    WHERE t.ts IS NOT NULL
),
phases AS (
    SELECT
        i.pod_uid,
        i.start_ts AS ts,
        i.phase AS value,
        i.basis,
        lag(i.phase) OVER (PARTITION BY i.pod_uid ORDER BY i.start_ts, i.end_ts) AS previous
    FROM phase_intervals i
    JOIN chosen USING (pod_uid)
),
conditions AS (
    SELECT
        i.pod_uid,
        i.start_ts AS ts,
        i.condition AS subject,
        i.status AS value,
        i.reason,
        i.basis,
        lag(i.status) OVER (
            PARTITION BY i.pod_uid, i.condition ORDER BY i.start_ts, i.end_ts
        ) AS previous
    FROM condition_intervals i
    JOIN chosen USING (pod_uid)
),
containers AS (
    SELECT
        i.pod_uid,
        i.start_ts AS ts,
        i.container AS subject,
        i.state AS value,
        i.reason,
        i.exit_code,
        i.basis,
        lag(i.state || coalesce('/' || i.reason, '')) OVER (
            PARTITION BY i.pod_uid, i.container, i.is_init ORDER BY i.start_ts, i.end_ts
        ) AS previous
    FROM container_intervals i
    JOIN chosen USING (pod_uid)
),
linked_events AS (
    SELECT event_key, pod_uid FROM pod_events
),
picked_events AS (
    SELECT
        e.*,
        le.pod_uid,
        coalesce(e.first_ts, e.event_ts, e.last_ts) AS ts,
        coalesce(e.last_ts, e.event_ts, e.first_ts) AS last_at
    FROM events e
    LEFT JOIN linked_events le USING (event_key)
    WHERE CASE
        WHEN CAST($uids AS VARCHAR[]) IS NOT NULL THEN le.pod_uid IN (SELECT pod_uid FROM chosen)
        ELSE CAST($ns AS VARCHAR) IS NULL
            OR coalesce(e.object_namespace, e.namespace) = CAST($ns AS VARCHAR)
    END
),
changes AS (
    SELECT ts, pod_uid, 'pod' AS kind, 0 AS rank, NULL AS subject, value,
        NULL AS reason, NULL AS message, NULL::INTEGER AS exit_code, NULL AS type,
        NULL::BIGINT AS count, NULL::TIMESTAMPTZ AS last_at, NULL AS event_key,
        NULL AS object, NULL AS tiebreak, NULL AS basis
    FROM lifecycle WHERE value <> 'deleted'
    UNION ALL
    SELECT ts, pod_uid, 'phase', 1, NULL, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, basis
    FROM phases WHERE previous IS DISTINCT FROM value
    UNION ALL
    SELECT ts, pod_uid, 'condition', 2, subject, value, reason, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, subject, basis
    FROM conditions WHERE previous IS DISTINCT FROM value
    UNION ALL
    SELECT ts, pod_uid, 'container', 3, subject, value, reason, NULL, exit_code, NULL, NULL,
        NULL, NULL, NULL, subject, basis
    FROM containers WHERE previous IS DISTINCT FROM value || coalesce('/' || reason, '')
    UNION ALL
    SELECT r."at", r.pod_uid, 'restart', 4, r.container, CAST(r.restart_no AS VARCHAR), r.cause,
        r.evidence, r.exit_code, NULL, NULL, NULL, NULL, NULL, r.container, NULL
    FROM restarts r
    JOIN chosen USING (pod_uid)
    WHERE r."at" IS NOT NULL
    UNION ALL
    SELECT ts, pod_uid, 'event', 5, container, reason, NULL, message, NULL, type, count,
        last_at, event_key, object_kind || '/' || object_name, name, NULL
    FROM picked_events
    UNION ALL
    SELECT ts, pod_uid, 'pod', 6, NULL, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL
    FROM lifecycle WHERE value = 'deleted'
)
SELECT
    c.ts,
    coalesce(p.namespace, e.object_namespace, e.namespace) AS namespace,
    coalesce(p.pod, CASE WHEN e.object_kind = 'Pod' THEN e.object_name END) AS pod,
    c.pod_uid,
    c.kind,
    c.subject,
    c.value,
    c.reason,
    c.message,
    c.exit_code,
    c.type,
    c.count,
    c.last_at,
    c.object,
    c.event_key,
    c.basis
FROM changes c
LEFT JOIN pods p USING (pod_uid)
LEFT JOIN events e USING (event_key)
WHERE c.ts >= CAST($start AS TIMESTAMPTZ) AND c.ts <= CAST($end AS TIMESTAMPTZ)
ORDER BY
    date_trunc('second', c.ts),
    coalesce(p.namespace, e.object_namespace, e.namespace) NULLS FIRST,
    coalesce(p.pod, e.object_name) NULLS FIRST,
    c.rank,
    c.tiebreak NULLS FIRST,
    c.ts,
    c.value,
    c.event_key

-- One pod's story in time order: phases, condition flips, container states (ephemeral ones
-- too), grouped events, restarts and probe failures ($uid = the pod_uid). Unhealthy events are
-- shown once, grouped as probe rows. Restarts no capture dates have a null ts and come last.
-- Stretches without evidence (basis gap) read "no evidence". Stretches stuck before containers
-- could run (a volume, the sandbox, a missing Secret / ConfigMap) read "blocked (cause)".
WITH story AS (
    SELECT start_ts AS ts, end_ts, 'phase' AS kind, 'pod' AS subject,
        CASE WHEN basis = 'gap' THEN 'no evidence' ELSE phase END AS what,
        CASE
            WHEN basis = 'gap' THEN 'no capture shows the pod here: its phase is unknown'
            WHEN open THEN 'still ' || phase || ' when the capture ends'
        END AS detail,
        NULL::BIGINT AS count, basis, 1 AS ord, NULL::INTEGER AS n
    FROM phase_intervals
    WHERE pod_uid = $uid
    UNION ALL
    SELECT start_ts, end_ts, 'condition', condition,
        CASE WHEN basis = 'gap' THEN 'no evidence' ELSE condition || '=' || status END, reason,
        NULL, basis, 2, NULL
    FROM condition_intervals
    WHERE pod_uid = $uid
    UNION ALL
    SELECT start_ts, end_ts, 'container',
        CASE WHEN is_init THEN 'init:' || container ELSE container END,
        CASE WHEN basis = 'gap' THEN 'no evidence' ELSE state || coalesce(' ' || reason, '') END,
        concat_ws('; ',
            CASE WHEN exit_code IS NOT NULL THEN 'exit ' || exit_code END, message),
        NULL, basis, 3, NULL
    FROM container_intervals
    WHERE pod_uid = $uid
    UNION ALL
    -- ephemeral (`kubectl debug`) containers: their own rows, never restarts
    SELECT coalesce(started_at, first_seen), finished_at, 'container', 'ephemeral:' || container,
        state || coalesce(' ' || reason, ''),
        concat_ws('; ', 'kubectl debug' || coalesce(', target ' || target, ''),
            CASE WHEN exit_code IS NOT NULL THEN 'exit ' || exit_code END),
        NULL, CASE WHEN started_at IS NULL THEN 'inferred' ELSE 'observed' END, 3, NULL
    FROM ephemeral_containers
    WHERE pod_uid = $uid
    UNION ALL
    SELECT first_ts, CASE WHEN last_ts > first_ts THEN last_ts END, 'event',
        coalesce(CASE WHEN is_init THEN 'init:' || container ELSE container END, 'pod'),
        reason, message, count, 'event', 4, NULL
    FROM pod_events
    WHERE pod_uid = $uid AND probe IS NULL
    UNION ALL
    SELECT "at", NULL, 'restart', container, 'restart #' || restart_no || ' (' || cause || ')',
        concat_ws('; ', CASE WHEN exit_code IS NOT NULL THEN 'previous exit ' || exit_code END,
            evidence),
        NULL, CASE WHEN "at" IS NULL THEN 'inferred' ELSE at_basis END, 5, restart_no
    FROM restarts
    WHERE pod_uid = $uid
    UNION ALL
    SELECT first_ts, CASE WHEN last_ts > first_ts THEN last_ts END, 'probe', container,
        probe || ' probe failed', message, count, 'event', 6, NULL
    FROM probe_failures
    WHERE pod_uid = $uid
    UNION ALL
    SELECT blocked_from, blocked_until, 'blocked', 'pod',
        'blocked (' || cause || ')' || CASE WHEN open THEN ', still when last seen' ELSE '' END,
        reasons || ': ' || message, events, 'event', 7, NULL
    FROM creation_blocks
    WHERE pod_uid = $uid
)
SELECT ts, end_ts, kind, subject, what, detail, count, basis
FROM story
ORDER BY ts NULLS LAST, ord, subject, n, end_ts NULLS LAST, what, detail, count, basis;

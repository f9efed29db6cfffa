-- restarts: one row per container restart. Where snapshots exist, a container's restarts are
-- numbered 1..(its last observed restartCount); restart k replaced instance k-1 by instance k
-- (container_instances). Events-only pods: the restarts the events prove, that is the more of
-- (Started occurrences - 1) and the probe kills that say the container "will be restarted".
-- `at` (instance k's start): its startedAt (observed), else the k+1-th occurrence of the
-- container's Started, Created or Pulled events (in that order of preference) when that reason's
-- occurrences number the instances that started (restartCount + 1; events-only: the Started
-- occurrences) and the occurrence's place is certain: an
-- event object's first and last occurrence are known, and its place among the others is when no
-- other object of that reason overlaps it in time.
-- The cause comes from the replaced instance: OOMKilled by its reason; liveness_probe /
-- startup_probe / resize when a Killing "failed <probe> probe" / "resize requires restart"
-- event covers its end (an aggregated event covers at most `count` instances), or when a known
-- Killing occurrence falls between the replaced instance's start and the new one's (Unhealthy
-- -> Killing -> Started; `killing_ts`, `kill_event_key`); sandbox when it ended within the kill
-- after a SandboxChanged occurrence (no end seen: the occurrence falls between the two
-- starts); else completed (exit 0) or error; unknown when no capture shows how it ended,
-- except that probe kills no restart used up are given to those, in order, when there are at
-- least as many of them.
-- Extra columns: at_basis (observed | event), killing_ts, kill_event_key.
CREATE OR REPLACE TABLE restarts AS
WITH counts AS (
    SELECT
        pod_uid,
        container,
        is_init,
        arg_max(restart_count, (observed_at, restart_count)) AS n,
        max(observed_at) AS last_obs
    FROM container_snapshots
    GROUP BY ALL
),
restarted_msg AS (
    SELECT
        *,
        message ILIKE '%restarted%' OR message ILIKE '%re-created%' OR message ILIKE '%recreated%'
            -- a native sidecar's kill names no restart, yet it always is restarted
            OR message ILIKE 'Init container % failed % probe%'
            OR kill_cause = 'resize'
            AS restarts_it
    FROM pod_events
    WHERE container IS NOT NULL AND NOT is_ephemeral
        AND (reason = 'Started' OR kill_cause IN ('liveness', 'startup', 'resize'))
),
ev_only AS (
    SELECT
        e.pod_uid,
        e.container,
        e.is_init,
        coalesce(sum(e.count) FILTER (WHERE e.reason = 'Started'), 0)::BIGINT AS started,
        coalesce(sum(e.count) FILTER (WHERE e.kill_cause IN ('liveness', 'startup', 'resize')
            AND e.restarts_it), 0)::BIGINT AS kills,
        arg_max(e.message, e.last_ts) FILTER (WHERE e.reason = 'Started') AS started_msg
    FROM restarted_msg AS e
    ANTI JOIN (SELECT DISTINCT pod_uid FROM container_snapshots) AS s ON s.pod_uid = e.pod_uid
    GROUP BY ALL
),
-- how many restarts each container had: its last restartCount, or what the events prove
totals AS (
    -- n restarts; `instances` the instances that started (restartCount + 1, or the Started
    -- occurrences: a kill the events show may announce a restart the capture ends before)
    SELECT pod_uid, container, is_init, n, n + 1 AS instances, last_obs, false AS events_only
    FROM counts
    UNION ALL
    SELECT pod_uid, container, is_init, greatest(started - 1, kills), started, NULL, true
    FROM ev_only
),
numbers AS (
    SELECT pod_uid, container, is_init, unnest(range(1, n + 1)) AS restart_no, last_obs,
        events_only
    FROM totals
    WHERE n > 0
),
-- the events that mark an instance's start, each object placed among the others of its reason
start_objs AS (
    SELECT
        e.pod_uid, e.container, e.is_init, e.reason, e.event_key, e.count, e.first_ts, e.last_ts,
        sum(e.count) OVER w_all AS total,
        coalesce(sum(e.count) OVER w_before, 0) AS before,
        max(e.last_ts) OVER w_before AS prev_last,
        min(e.first_ts) OVER (
            PARTITION BY e.pod_uid, e.container, e.is_init, e.reason
            ORDER BY e.first_ts, e.last_ts, e.event_key
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
        ) AS next_first
    FROM pod_events AS e
    SEMI JOIN totals AS t
        ON t.pod_uid = e.pod_uid AND t.container = e.container AND t.is_init = e.is_init
        AND t.n > 0
    WHERE e.reason IN ('Started', 'Created', 'Pulled') AND e.container IS NOT NULL
    WINDOW
        w_all AS (PARTITION BY e.pod_uid, e.container, e.is_init, e.reason),
        w_before AS (
            PARTITION BY e.pod_uid, e.container, e.is_init, e.reason
            ORDER BY e.first_ts, e.last_ts, e.event_key
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        )
),
start_occ AS (
    -- instance number = occurrence rank - 1; only objects no other object overlaps
    SELECT pod_uid, container, is_init, reason, total, before AS idx, first_ts AS ts
    FROM start_objs
    WHERE (prev_last IS NULL OR prev_last < first_ts)
        AND (next_first IS NULL OR next_first > last_ts)
    UNION ALL
    SELECT pod_uid, container, is_init, reason, total, before + count - 1, last_ts
    FROM start_objs
    WHERE count > 1 AND (prev_last IS NULL OR prev_last < first_ts)
        AND (next_first IS NULL OR next_first > last_ts)
),
ev_starts AS (
    SELECT
        o.pod_uid, o.container, o.is_init, o.idx,
        arg_min(o.ts, CASE o.reason WHEN 'Started' THEN 1 WHEN 'Created' THEN 2 ELSE 3 END)
            AS ts,
        arg_min(o.reason, CASE o.reason WHEN 'Started' THEN 1 WHEN 'Created' THEN 2 ELSE 3 END)
            AS reason,
        any_value(o.total) AS total
    FROM start_occ AS o
    JOIN totals AS t
        ON t.pod_uid = o.pod_uid AND t.container = o.container AND t.is_init = o.is_init
        AND o.total = t.instances
    GROUP BY ALL
),
starts AS (
    -- each instance's known start: its startedAt, else the event occurrence that marks it
    SELECT
        coalesce(ci.pod_uid, es.pod_uid) AS pod_uid,
        coalesce(ci.container, es.container) AS container,
        coalesce(ci.is_init, es.is_init) AS is_init,
        coalesce(ci.idx, es.idx) AS idx,
        coalesce(ci.started_at, es.ts) AS ts,
        CASE WHEN ci.started_at IS NOT NULL THEN 'observed' ELSE 'event' END AS basis,
        CASE WHEN ci.started_at IS NULL THEN concat('; start: ', es.reason, ' occurrence ',
            es.idx + 1, ' of ', es.total) ELSE '' END AS note
    FROM (SELECT * FROM container_instances WHERE started_at IS NOT NULL) AS ci
    FULL JOIN ev_starts AS es
        ON es.pod_uid = ci.pod_uid AND es.container = ci.container AND es.is_init = ci.is_init
        AND es.idx = ci.idx
),
kills AS (
    SELECT
        pod_uid, container, is_init, event_key, kill_cause, message, count, first_ts, last_ts,
        restarts_it
    FROM restarted_msg
    WHERE kill_cause IN ('liveness', 'startup', 'resize')
),
old_inst AS (
    SELECT n.pod_uid, n.container, n.is_init, n.restart_no, o.started_at, o.finished_at,
        o.reason, o.exit_code
    FROM numbers AS n
    JOIN container_instances AS o
        ON o.pod_uid = n.pod_uid AND o.container = n.container AND o.is_init = n.is_init
        AND o.idx = n.restart_no - 1
),
kill_match AS (
    -- each replaced instance ending inside a probe-kill event's window (plus the grace period
    -- the kill may take) takes that event; an event covers at most `count` instances
    SELECT *
    FROM (
        SELECT
            o.pod_uid, o.container, o.is_init, o.restart_no, k.event_key, k.kill_cause,
            k.message, k.count, o.finished_at,
            CASE WHEN k.count = 1 THEN k.first_ts END AS killing_ts
        FROM old_inst AS o
        JOIN kills AS k
            ON k.pod_uid = o.pod_uid AND k.container = o.container AND k.is_init = o.is_init
        JOIN pods AS p ON p.pod_uid = o.pod_uid
        WHERE o.finished_at IS NOT NULL
            AND coalesce(o.reason, '') <> 'OOMKilled'
            AND coalesce(o.exit_code, 137) IN (0, 137, 143)
            AND o.finished_at >= k.first_ts - INTERVAL 1 SECOND
            AND o.finished_at
                <= k.last_ts + to_seconds(coalesce(p.grace_period_s, 30) + 2)
        QUALIFY row_number() OVER (
            PARTITION BY o.pod_uid, o.container, o.is_init, o.restart_no
            ORDER BY abs(epoch(o.finished_at) - epoch(k.last_ts))
        ) = 1
    )
    QUALIFY row_number() OVER (PARTITION BY event_key ORDER BY finished_at) <= count
),
kill_occ AS (
    -- the kill occurrences whose time is known: an object's first and last
    SELECT pod_uid, container, is_init, event_key, kill_cause, message, count, first_ts AS ts
    FROM kills
    UNION ALL
    SELECT pod_uid, container, is_init, event_key, kill_cause, message, count, last_ts
    FROM kills
    WHERE count > 1
),
chain AS (
    -- Unhealthy -> Killing -> Started: a kill between the replaced instance's start and the new
    -- one's ended the replaced instance (an instance is killed once); the last such kill wins
    SELECT
        nw.pod_uid, nw.container, nw.is_init, nw.idx AS restart_no, k.event_key, k.kill_cause,
        k.message, k.count, k.ts AS killing_ts
    FROM starts AS nw
    JOIN starts AS od
        ON od.pod_uid = nw.pod_uid AND od.container = nw.container AND od.is_init = nw.is_init
        AND od.idx = nw.idx - 1
    JOIN kill_occ AS k
        ON k.pod_uid = nw.pod_uid AND k.container = nw.container AND k.is_init = nw.is_init
        AND k.ts > od.ts AND k.ts <= nw.ts
    ANTI JOIN kill_match AS km
        ON km.pod_uid = nw.pod_uid AND km.container = nw.container AND km.is_init = nw.is_init
        AND km.restart_no = nw.idx
    QUALIFY row_number() OVER (
        PARTITION BY nw.pod_uid, nw.container, nw.is_init, nw.idx ORDER BY k.ts DESC, k.event_key
    ) = 1
),
probe_kill AS (
    -- the probe kill each restart took (by the end window first, else by the chain), with the
    -- Unhealthy object of that probe that precedes the kill
    SELECT
        x.*,
        u.count AS unhealthy_count,
        u.first_ts AS unhealthy_first,
        u.last_ts AS unhealthy_last
    FROM (
        SELECT pod_uid, container, is_init, restart_no, event_key, kill_cause, message, count,
            killing_ts
        FROM kill_match
        UNION ALL
        SELECT pod_uid, container, is_init, restart_no, event_key, kill_cause, message, count,
            killing_ts
        FROM chain
    ) AS x
    LEFT JOIN kills AS k ON k.event_key = x.event_key
    LEFT JOIN probe_failures AS u
        ON u.pod_uid = x.pod_uid AND u.container = x.container AND u.probe = x.kill_cause
        AND u.first_ts <= coalesce(x.killing_ts, k.last_ts) + INTERVAL 1 SECOND
    QUALIFY row_number() OVER (
        PARTITION BY x.pod_uid, x.container, x.is_init, x.restart_no
        -- the burst that ended at the kill, else the object that spans it
        ORDER BY u.last_ts <= coalesce(x.killing_ts, k.last_ts) + INTERVAL 1 SECOND DESC,
            u.last_ts DESC NULLS LAST, u.event_key
    ) = 1
),
sandbox_kill AS (
    -- the pod sandbox re-created under running containers (SandboxChanged: every container is
    -- stopped and started again): the restart whose replaced instance ended within the kill
    -- after a known SandboxChanged occurrence, or (no end seen) whose new instance started
    -- after one that came after the replaced instance's start
    SELECT n.pod_uid, n.container, n.is_init, n.restart_no,
        arg_max(s.event_key, s.ts) AS event_key, arg_max(s.message, s.ts) AS message,
        max(s.ts) AS sandbox_ts
    FROM numbers AS n
    JOIN (
        SELECT pod_uid, event_key, message, first_ts AS ts FROM pod_events
        WHERE reason = 'SandboxChanged'
        UNION ALL
        SELECT pod_uid, event_key, message, last_ts FROM pod_events
        WHERE reason = 'SandboxChanged' AND count > 1
    ) AS s ON s.pod_uid = n.pod_uid
    JOIN pods AS p ON p.pod_uid = n.pod_uid
    LEFT JOIN old_inst AS o
        ON o.pod_uid = n.pod_uid AND o.container = n.container AND o.is_init = n.is_init
        AND o.restart_no = n.restart_no
    LEFT JOIN starts AS od
        ON od.pod_uid = n.pod_uid AND od.container = n.container AND od.is_init = n.is_init
        AND od.idx = n.restart_no - 1
    LEFT JOIN starts AS nw
        ON nw.pod_uid = n.pod_uid AND nw.container = n.container AND nw.is_init = n.is_init
        AND nw.idx = n.restart_no
    WHERE coalesce(o.reason, '') <> 'OOMKilled'
        AND coalesce(o.exit_code, 137) IN (0, 137, 143)
        AND CASE WHEN o.finished_at IS NOT NULL
            THEN o.finished_at >= s.ts - INTERVAL 1 SECOND
                AND o.finished_at <= s.ts + to_seconds(coalesce(p.grace_period_s, 30) + 2)
            ELSE od.ts < s.ts AND s.ts <= nw.ts
        END
    GROUP BY ALL
),
observed AS (
    SELECT
        n.pod_uid,
        n.container,
        n.restart_no,
        nw.ts AS "at",
        nw.basis AS at_basis,
        o.exit_code,
        CASE
            WHEN o.reason = 'OOMKilled' THEN 'OOMKilled'
            WHEN pk.kill_cause = 'resize' THEN 'resize'
            WHEN pk.kill_cause IS NOT NULL THEN pk.kill_cause || '_probe'
            WHEN sk.event_key IS NOT NULL THEN 'sandbox'
            WHEN o.restart_no IS NULL OR (o.finished_at IS NULL AND o.reason IS NULL
                AND o.exit_code IS NULL) THEN NULL
            WHEN o.exit_code = 0 OR o.reason = 'Completed' THEN 'completed'
            WHEN o.reason = 'ContainerStatusUnknown' THEN 'unknown'
            WHEN o.reason IS NOT NULL OR o.exit_code IS NOT NULL THEN 'error'
            ELSE 'unknown'
        END AS cause,
        concat(
            CASE
                WHEN pk.kill_cause IS NOT NULL THEN concat(
                    CASE WHEN pk.unhealthy_count IS NOT NULL THEN concat(
                        'Unhealthy ', pk.kill_cause, ' ×', pk.unhealthy_count, ' ',
                        strftime(pk.unhealthy_first, '%H:%M:%S'),
                        CASE WHEN pk.unhealthy_last > pk.unhealthy_first
                            THEN concat('–', strftime(pk.unhealthy_last, '%H:%M:%S')) END,
                        ' → ') END,
                    'Killing',
                    CASE WHEN pk.killing_ts IS NOT NULL
                        THEN concat(' ', strftime(pk.killing_ts, '%Y-%m-%dT%H:%M:%SZ')) END,
                    ': ', pk.message,
                    CASE WHEN pk.count > 1 THEN concat(' (×', pk.count, ')') ELSE '' END,
                    CASE WHEN o.finished_at IS NOT NULL OR o.exit_code IS NOT NULL
                        THEN concat(' → terminated ', coalesce(o.reason, '?'), ' exit ',
                            coalesce(o.exit_code::VARCHAR, '?')) ELSE '' END,
                    CASE WHEN nw.ts IS NOT NULL THEN concat(' → Started ',
                        strftime(nw.ts, '%Y-%m-%dT%H:%M:%SZ')) ELSE '' END)
                WHEN sk.event_key IS NOT NULL THEN concat('SandboxChanged ',
                    strftime(sk.sandbox_ts, '%Y-%m-%dT%H:%M:%SZ'), ': ', sk.message,
                    CASE WHEN o.finished_at IS NOT NULL OR o.exit_code IS NOT NULL
                        THEN concat(' → terminated ', coalesce(o.reason, '?'), ' exit ',
                            coalesce(o.exit_code::VARCHAR, '?')) ELSE '' END,
                    CASE WHEN nw.ts IS NOT NULL THEN concat(' → Started ',
                        strftime(nw.ts, '%Y-%m-%dT%H:%M:%SZ')) ELSE '' END)
                WHEN o.restart_no IS NULL OR (o.finished_at IS NULL AND o.reason IS NULL
                    AND o.exit_code IS NULL) THEN NULL
                ELSE concat('terminated ', coalesce(o.reason, '?'), ' exit ',
                    coalesce(o.exit_code::VARCHAR, '?'), ' at ',
                    coalesce(strftime(o.finished_at, '%Y-%m-%dT%H:%M:%SZ'), '?'))
            END,
            nw.note
        ) AS evidence,
        nw.note,
        n.is_init,
        n.last_obs,
        n.events_only,
        -- the newest instance's own end is the cause of the restart still to come
        CASE WHEN nx.finished_at IS NOT NULL AND n.restart_no = t.n THEN concat(
            '; the instance it started then terminated ', coalesce(nx.reason, '?'), ' exit ',
            coalesce(nx.exit_code::VARCHAR, '?'), ' at ',
            strftime(nx.finished_at, '%Y-%m-%dT%H:%M:%SZ'), ' (the next restart is pending)')
            ELSE '' END AS pending_note,
        coalesce(pk.killing_ts, sk.sandbox_ts) AS killing_ts,
        coalesce(pk.event_key, sk.event_key) AS kill_event_key
    FROM numbers AS n
    LEFT JOIN old_inst AS o
        ON o.pod_uid = n.pod_uid AND o.container = n.container AND o.is_init = n.is_init
        AND o.restart_no = n.restart_no
    LEFT JOIN starts AS nw
        ON nw.pod_uid = n.pod_uid AND nw.container = n.container AND nw.is_init = n.is_init
        AND nw.idx = n.restart_no
    -- a probe kill explains no OOM kill and no exit but success, SIGKILL or SIGTERM
    LEFT JOIN probe_kill AS pk
        ON pk.pod_uid = n.pod_uid AND pk.container = n.container AND pk.is_init = n.is_init
        AND pk.restart_no = n.restart_no AND o.reason IS DISTINCT FROM 'OOMKilled'
        AND (o.exit_code IS NULL OR o.exit_code IN (0, 137, 143))
    LEFT JOIN sandbox_kill AS sk
        ON sk.pod_uid = n.pod_uid AND sk.container = n.container AND sk.is_init = n.is_init
        AND sk.restart_no = n.restart_no
    LEFT JOIN container_instances AS nx
        ON nx.pod_uid = n.pod_uid AND nx.container = n.container AND nx.is_init = n.is_init
        AND nx.idx = n.restart_no
    LEFT JOIN totals AS t
        ON t.pod_uid = n.pod_uid AND t.container = n.container AND t.is_init = n.is_init
),
spare_kills AS (
    -- probe kills that say the container will be restarted (up to the last snapshot) that no
    -- restart used up
    SELECT
        k.pod_uid,
        k.container,
        k.is_init,
        sum(k.count - coalesce(u.used, 0)) FILTER (WHERE k.kill_cause = 'liveness') AS live,
        sum(k.count - coalesce(u.used, 0)) FILTER (WHERE k.kill_cause = 'startup') AS startup,
        arg_max(k.message, k.last_ts) FILTER (WHERE k.kill_cause = 'liveness') AS live_msg,
        arg_max(k.message, k.last_ts) FILTER (WHERE k.kill_cause = 'startup') AS startup_msg
    FROM kills AS k
    JOIN (SELECT pod_uid, container, is_init, max(last_obs) AS last_obs FROM totals GROUP BY ALL)
        AS c ON c.pod_uid = k.pod_uid AND c.container = k.container AND c.is_init = k.is_init
    LEFT JOIN (
        -- (observed names the kill `kill_event_key`: a bare `event_key` here would bind to
        -- the outer kills row and count every linked restart of every pod)
        SELECT kill_event_key AS event_key, count(*) AS used
        FROM observed
        WHERE kill_event_key IS NOT NULL
        GROUP BY ALL
    ) AS u ON u.event_key = k.event_key
    WHERE (c.last_obs IS NULL OR k.first_ts <= c.last_obs) AND k.restarts_it
    GROUP BY ALL
),
unseen AS (
    SELECT
        o.*,
        row_number() OVER (PARTITION BY o.pod_uid, o.container, o.is_init ORDER BY o.restart_no)
            AS k,
        count(*) OVER (PARTITION BY o.pod_uid, o.container, o.is_init) AS n_unseen,
        greatest(coalesce(s.live, 0), 0)::BIGINT AS live,
        greatest(coalesce(s.startup, 0), 0)::BIGINT AS startup,
        s.live_msg,
        s.startup_msg
    FROM observed AS o
    LEFT JOIN spare_kills AS s
        ON s.pod_uid = o.pod_uid AND s.container = o.container AND s.is_init = o.is_init
    WHERE o.cause IS NULL
)
SELECT
    r.pod_uid,
    p.namespace,
    p.pod,
    r.container,
    r.restart_no::INTEGER AS restart_no,
    r."at",
    r.cause,
    r.exit_code,
    r.evidence,
    r.at_basis,
    r.killing_ts,
    r.kill_event_key
FROM (
    SELECT pod_uid, container, restart_no, "at", exit_code, cause,
        concat(evidence, pending_note) AS evidence, at_basis, killing_ts, kill_event_key
    FROM observed
    WHERE cause IS NOT NULL
    UNION ALL
    SELECT
        pod_uid,
        container,
        restart_no,
        "at",
        NULL,
        -- left-over kills explain these restarts only when there are enough for all of them;
        -- fewer kills than restarts leave each one open
        CASE
            WHEN live + startup < n_unseen THEN 'unknown'
            WHEN k <= live THEN 'liveness_probe'
            WHEN k <= live + startup THEN 'startup_probe'
            ELSE 'unknown'
        END,
        concat(
            CASE
                WHEN live + startup >= n_unseen AND k <= live THEN concat('Killing: ', live_msg,
                    ' (', live, ' kill(s) no capture places)')
                WHEN live + startup >= n_unseen AND k <= live + startup THEN concat(
                    'Killing: ', startup_msg, ' (', startup, ' kill(s) no capture places)')
                WHEN events_only THEN 'Started events prove this restart; no capture shows'
                    || ' how the replaced instance ended'
                ELSE concat('restartCount reached ', restart_no,
                    '; no capture shows how the replaced instance ended')
            END,
            CASE WHEN live + startup > 0 AND live + startup < n_unseen THEN concat('; ',
                live + startup, ' probe kill(s) (', coalesce(live_msg, startup_msg),
                ') fall among the ', n_unseen, ' restarts no capture explains') END,
            note,
            pending_note
        ),
        at_basis,
        NULL::TIMESTAMPTZ,
        NULL::VARCHAR
    FROM unseen
) AS r
JOIN pods AS p ON p.pod_uid = r.pod_uid
ORDER BY r.pod_uid, r.container, r.restart_no;

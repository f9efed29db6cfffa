-- restarts: one row per container restart. Where snapshots exist, a container's restarts are
-- numbered 1..(its last observed restartCount); restart k replaced instance k-1 by instance k
-- (container_instances). The cause comes from the replaced instance: OOMKilled by its reason;
-- liveness_probe / startup_probe when a Killing "failed <probe> probe" event covers its end
-- (an aggregated event covers at most `count` instances); else completed (exit 0) or error;
-- unknown when no capture shows how it ended, except that probe kills no captured instance used
-- up are given to those, in order. Events-only pods: the restarts the events prove, that is the more of
-- (Started occurrences - 1) and the probe kills that say the container "will be restarted".
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
numbers AS (
    SELECT pod_uid, container, is_init, unnest(range(1, n + 1)) AS restart_no, last_obs
    FROM counts
    WHERE n > 0
),
kills AS (
    SELECT
        pod_uid, container, event_key, kill_cause, message, count, first_ts, last_ts
    FROM pod_events
    WHERE kill_cause IN ('liveness', 'startup')
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
            k.message, k.count, o.finished_at
        FROM old_inst AS o
        JOIN kills AS k ON k.pod_uid = o.pod_uid AND k.container = o.container
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
observed AS (
    SELECT
        n.pod_uid,
        n.container,
        n.restart_no,
        nw.started_at AS "at",
        o.exit_code,
        CASE
            WHEN o.restart_no IS NULL OR (o.finished_at IS NULL AND o.reason IS NULL
                AND o.exit_code IS NULL) THEN NULL
            WHEN o.reason = 'OOMKilled' THEN 'OOMKilled'
            WHEN km.kill_cause IS NOT NULL THEN km.kill_cause || '_probe'
            WHEN o.exit_code = 0 OR o.reason = 'Completed' THEN 'completed'
            WHEN o.reason = 'ContainerStatusUnknown' THEN 'unknown'
            WHEN o.reason IS NOT NULL OR o.exit_code IS NOT NULL THEN 'error'
            ELSE 'unknown'
        END AS cause,
        CASE
            WHEN o.restart_no IS NULL OR (o.finished_at IS NULL AND o.reason IS NULL
                AND o.exit_code IS NULL) THEN NULL
            WHEN km.kill_cause IS NOT NULL AND o.reason IS DISTINCT FROM 'OOMKilled'
                THEN concat('Killing: ', km.message,
                    CASE WHEN km.count > 1 THEN concat(' (×', km.count, ')') ELSE '' END,
                    '; then terminated ', coalesce(o.reason, '?'), ' exit ',
                    coalesce(o.exit_code::VARCHAR, '?'))
            ELSE concat('terminated ', coalesce(o.reason, '?'), ' exit ',
                coalesce(o.exit_code::VARCHAR, '?'), ' at ',
                coalesce(strftime(o.finished_at, '%Y-%m-%dT%H:%M:%SZ'), '?'))
        END AS evidence,
        n.is_init,
        n.last_obs
    FROM numbers AS n
    LEFT JOIN old_inst AS o
        ON o.pod_uid = n.pod_uid AND o.container = n.container AND o.is_init = n.is_init
        AND o.restart_no = n.restart_no
    LEFT JOIN container_instances AS nw
        ON nw.pod_uid = n.pod_uid AND nw.container = n.container AND nw.is_init = n.is_init
        AND nw.idx = n.restart_no
    LEFT JOIN kill_match AS km
        ON km.pod_uid = n.pod_uid AND km.container = n.container AND km.is_init = n.is_init
        AND km.restart_no = n.restart_no
),
spare_kills AS (
    -- probe kills (up to the last snapshot) that no captured instance used up
    SELECT
        k.pod_uid,
        k.container,
        sum(k.count - coalesce(u.used, 0)) FILTER (WHERE k.kill_cause = 'liveness') AS live,
        sum(k.count - coalesce(u.used, 0)) FILTER (WHERE k.kill_cause = 'startup') AS startup,
        arg_max(k.message, k.last_ts) FILTER (WHERE k.kill_cause = 'liveness') AS live_msg,
        arg_max(k.message, k.last_ts) FILTER (WHERE k.kill_cause = 'startup') AS startup_msg
    FROM kills AS k
    JOIN (SELECT pod_uid, container, max(last_obs) AS last_obs FROM counts GROUP BY ALL) AS c
        ON c.pod_uid = k.pod_uid AND c.container = k.container
    LEFT JOIN (SELECT event_key, count(*) AS used FROM kill_match GROUP BY ALL) AS u
        ON u.event_key = k.event_key
    WHERE k.first_ts <= c.last_obs
        AND (k.message ILIKE '%restarted%' OR k.message ILIKE '%re-created%'
            OR k.message ILIKE '%recreated%')
    GROUP BY ALL
),
unseen AS (
    SELECT
        o.*,
        row_number() OVER (PARTITION BY o.pod_uid, o.container ORDER BY o.restart_no) AS k,
        coalesce(s.live, 0)::BIGINT AS live,
        coalesce(s.startup, 0)::BIGINT AS startup,
        s.live_msg,
        s.startup_msg
    FROM observed AS o
    LEFT JOIN spare_kills AS s ON s.pod_uid = o.pod_uid AND s.container = o.container
    WHERE o.cause IS NULL
),
from_snapshots AS (
    SELECT pod_uid, container, restart_no, "at", exit_code, cause, evidence FROM observed
    WHERE cause IS NOT NULL
    UNION ALL
    SELECT
        pod_uid,
        container,
        restart_no,
        "at",
        NULL,
        CASE
            WHEN k <= live THEN 'liveness_probe'
            WHEN k <= live + startup THEN 'startup_probe'
            ELSE 'unknown'
        END,
        CASE
            WHEN k <= live THEN concat('Killing: ', live_msg, ' (instance not captured)')
            WHEN k <= live + startup THEN concat('Killing: ', startup_msg,
                ' (instance not captured)')
            ELSE concat('restartCount reached ', restart_no,
                '; no capture shows how the replaced instance ended')
        END
    FROM unseen
),
ev_only AS (
    SELECT
        e.pod_uid,
        e.container,
        coalesce(sum(e.count) FILTER (WHERE e.reason = 'Started'), 0)::BIGINT AS started,
        max(e.last_ts) FILTER (WHERE e.reason = 'Started') AS last_started,
        coalesce(sum(e.count) FILTER (WHERE e.kill_cause = 'liveness'
            AND (e.message ILIKE '%restarted%' OR e.message ILIKE '%re-created%'
                OR e.message ILIKE '%recreated%')), 0)::BIGINT AS live,
        coalesce(sum(e.count) FILTER (WHERE e.kill_cause = 'startup'
            AND (e.message ILIKE '%restarted%' OR e.message ILIKE '%re-created%'
                OR e.message ILIKE '%recreated%')), 0)::BIGINT AS startup,
        arg_max(e.message, e.last_ts) FILTER (WHERE e.kill_cause = 'liveness') AS live_msg,
        arg_max(e.message, e.last_ts) FILTER (WHERE e.kill_cause = 'startup') AS startup_msg,
        arg_max(e.message, e.last_ts) FILTER (WHERE e.reason = 'Started') AS started_msg
    FROM pod_events AS e
    WHERE e.container IS NOT NULL
        AND e.pod_uid NOT IN (SELECT pod_uid FROM container_snapshots)
    GROUP BY ALL
),
ev_numbers AS (
    SELECT
        *,
        greatest(started - 1, live + startup) AS n,
        unnest(range(1, greatest(started - 1, live + startup) + 1)) AS restart_no
    FROM ev_only
    WHERE greatest(started - 1, live + startup) > 0
),
from_events AS (
    SELECT
        pod_uid,
        container,
        restart_no,
        CASE WHEN restart_no = started - 1 THEN last_started END AS "at",
        NULL::INTEGER AS exit_code,
        CASE
            WHEN restart_no <= live THEN 'liveness_probe'
            WHEN restart_no <= live + startup THEN 'startup_probe'
            ELSE 'unknown'
        END AS cause,
        CASE
            WHEN restart_no <= live THEN concat('Killing: ', live_msg, ' (×', live, ')')
            WHEN restart_no <= live + startup THEN concat('Killing: ', startup_msg, ' (×',
                startup, ')')
            ELSE concat('Started ×', started, ': ', started_msg)
        END AS evidence
    FROM ev_numbers
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
    r.evidence
FROM (SELECT * FROM from_snapshots UNION ALL SELECT * FROM from_events) AS r
JOIN pods AS p ON p.pod_uid = r.pod_uid
ORDER BY r.pod_uid, r.container, r.restart_no;

-- pod_problems and pod_why (issue 17): what went wrong with each pod, in words, with the
-- evidence. pod_problems holds every problem a pod shows (one row per pod and problem);
-- pod_why one row per pod: its worst problem (lowest severity number), null when none.
-- Severity order (docs/sql.md): 1 image_pull, 2 unschedulable, 3 oom_killed, 4 probe_kill,
-- 5 crash_loop, 6 failed, 7 evicted, 8 blocked, 9 stuck_pending, 10 never_ready,
-- 11 slow_termination, 12 restarted, 13 deleted. A figure the evidence does not fix (a gap, a null) is left out of
-- the words or called unknown, never guessed.

CREATE OR REPLACE TEMP MACRO why_span(s) AS CASE
    WHEN s < 120 THEN concat(round(s)::BIGINT, ' s')
    WHEN s < 7200 THEN concat(round(s / 60)::BIGINT, ' m')
    ELSE concat(round(s / 3600, 1), ' h')
END;
-- the end of a long error message: "...: not found", "...: authorization failed"
CREATE OR REPLACE TEMP MACRO why_tail(m) AS coalesce(
    nullif(trim(regexp_extract(m, ':\s*([^:]+)$', 1)), ''), m
);
-- the first sentence of a message (a period inside a host name does not end it)
CREATE OR REPLACE TEMP MACRO why_sentence(m) AS regexp_extract(m, '^(.*?)(\.\s|\.$|$)', 1);
-- a probe failure in a few words: "HTTP 500", else the end of the message
CREATE OR REPLACE TEMP MACRO why_probe(m) AS CASE
    WHEN regexp_matches(m, 'statuscode: [0-9]+') THEN
        concat('HTTP ', regexp_extract(m, 'statuscode: ([0-9]+)', 1))
    ELSE why_tail(m)
END;

CREATE OR REPLACE TABLE pod_problems AS
WITH
-- how each container instance ended, newest last (the words of crash loops and restarts)
ended AS (
    SELECT pod_uid,
        arg_max(concat(coalesce(reason, 'terminated'), ' exit ', coalesce(exit_code::VARCHAR,
            '?')), (coalesce(finished_at, last_observed), container, idx)) AS last_end
    FROM container_instances
    WHERE reason IS NOT NULL OR exit_code IS NOT NULL
    GROUP BY pod_uid
),
restart_sum AS (
    SELECT pod_uid, max("at") AS last_at,
        count(*) FILTER (WHERE cause = 'liveness_probe') AS liveness,
        count(*) FILTER (WHERE cause = 'startup_probe') AS startup,
        count(*) FILTER (WHERE cause = 'unknown') AS unknown_n,
        count(*) AS n
    FROM restarts
    GROUP BY pod_uid
),
probe_msg AS (
    SELECT pod_uid, probe, sum(count) AS n, arg_max(message, (last_ts, message)) AS message
    FROM probe_failures
    GROUP BY ALL
),
pull_fail AS (
    SELECT pod_uid,
        sum(count) FILTER (WHERE message ILIKE 'Failed to pull image%') AS failures,
        arg_max(message, (last_ts, message)) FILTER (WHERE message ILIKE 'Failed to pull image%')
            AS message,
        bool_or(reason = 'BackOff' OR message ILIKE '%ImagePullBackOff%') AS backoff,
        max(last_ts) AS last_ts
    FROM pod_events
    WHERE (reason = 'Failed' AND (message ILIKE 'Failed to pull image%'
            OR message ILIKE 'Error: %Image%'))
        OR (reason = 'BackOff' AND message ILIKE 'Back-off pulling image%')
        OR reason IN ('ErrImagePull', 'ImagePullBackOff', 'InspectFailed', 'ErrImageNeverPull')
    GROUP BY pod_uid
),
pull_wait AS (
    SELECT pod_uid, arg_max(reason, (start_ts, reason)) AS reason,
        arg_max(message, (start_ts, message)) AS message,
        max(end_ts) AS last_ts
    FROM container_intervals
    WHERE state = 'waiting'
        AND reason IN ('ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull')
    GROUP BY pod_uid
),
pull_ran AS (
    -- a container ran after the last pull failure: the image came in the end
    SELECT DISTINCT c.pod_uid
    FROM container_intervals AS c
    JOIN (SELECT pod_uid, max(last_ts) AS last_ts FROM (
        SELECT pod_uid, last_ts FROM pull_fail UNION ALL SELECT pod_uid, last_ts FROM pull_wait
    ) GROUP BY pod_uid) AS f USING (pod_uid)
    WHERE c.state = 'running' AND c.start_ts >= f.last_ts
),
sched AS (
    SELECT pod_uid, sum(count) AS attempts, arg_max(message, (last_ts, message)) AS message
    FROM pod_events
    WHERE reason = 'FailedScheduling'
    GROUP BY pod_uid
),
oom AS (
    SELECT pod_uid, arg_max(container, (coalesce(end_ts, start_ts), container)) AS container,
        max(coalesce(end_ts, start_ts)) AS last_ts
    FROM container_intervals
    WHERE state = 'terminated' AND reason = 'OOMKilled'
    GROUP BY pod_uid
),
spec_mem AS (
    -- the memory limit of the OOM-killed container, from the last spec that lists it
    SELECT pod_uid,
        arg_max(spec ->> '$.resources.limits.memory', (observed_at, source_id)) AS mem_limit,
        true AS has_spec
    FROM (
        SELECT o.pod_uid, s.observed_at, s.source_id,
            list_filter(list_concat(
                coalesce(json_extract(s.raw, '$.spec.containers[*]'), []),
                coalesce(json_extract(s.raw, '$.spec.initContainers[*]'), [])
            ), lambda c: c ->> 'name' = o.container)[1] AS spec
        FROM oom AS o
        JOIN pod_snapshots AS s USING (pod_uid)
    )
    WHERE spec IS NOT NULL
    GROUP BY pod_uid
),
last_warning AS (
    SELECT pod_uid, arg_max(concat(reason, ': ', message), (last_ts, reason, message)) AS text
    FROM pod_events
    WHERE type = 'Warning' AND reason NOT IN ('FailedScheduling', 'BackOff', 'Unhealthy')
    GROUP BY pod_uid
),
last_waiting AS (
    SELECT pod_uid, arg_max(reason, (start_ts, reason)) AS reason
    FROM container_intervals
    WHERE state = 'waiting' AND reason IS NOT NULL
    GROUP BY pod_uid
),
evict_event AS (
    SELECT pod_uid, arg_max(reason, (last_ts, reason)) AS reason,
        arg_max(message, (last_ts, message)) AS message
    FROM pod_events
    WHERE reason IN ('Evicted', 'Preempted', 'Preempting', 'TaintManagerEviction')
    GROUP BY pod_uid
),
controller_delete AS (
    -- a controller's SuccessfulDelete event naming the pod (ReplicaSet: "Deleted pod: NAME";
    -- StatefulSet: "delete Pod NAME in StatefulSet X successful")
    SELECT e.object_namespace AS namespace,
        coalesce(nullif(regexp_extract(e.message, '^Deleted pod: (\S+)', 1), ''),
            nullif(regexp_extract(e.message, '^delete Pod (\S+) in', 1), '')) AS pod,
        max(concat(e.object_kind, ' ', e.object_name)) AS controller,
        max(e.last_ts) AS ts
    FROM events AS e
    WHERE e.reason = 'SuccessfulDelete' AND coalesce(e.object_kind, '') <> 'Pod'
    GROUP BY ALL
),
base AS (
    SELECT p.pod_uid, p.namespace, p.pod, p.final_phase, p.final_reason, p.final_message,
        p.deletion_requested_at, p.grace_period_s, s.restarts, s.crashlooped, s.never_ready,
        s.oom_kills, s.pending_s, s.time_to_scheduled_s, s.terminating_s, s.grace_exceeded,
        en.last_end, r.last_at, coalesce(r.unknown_n, 0) AS unknown_n
    FROM pods AS p
    JOIN pod_stats AS s USING (pod_uid)
    LEFT JOIN ended AS en USING (pod_uid)
    LEFT JOIN restart_sum AS r USING (pod_uid)
)
-- 1 image_pull
SELECT b.pod_uid, 'image_pull' AS problem, 1 AS severity,
    concat(coalesce(w.reason, CASE WHEN f.backoff THEN 'ImagePullBackOff' ELSE 'ErrImagePull' END),
        CASE WHEN f.message IS NOT NULL THEN concat(': ', why_tail(f.message)) END,
        CASE WHEN f.failures > 1 THEN concat(' ×', f.failures) END,
        CASE WHEN b.pod_uid IN (SELECT pod_uid FROM pull_ran) THEN ', then pulled' END) AS why,
    coalesce(f.message, w.message) AS evidence
FROM base AS b
LEFT JOIN pull_fail AS f USING (pod_uid)
LEFT JOIN pull_wait AS w USING (pod_uid)
WHERE f.pod_uid IS NOT NULL OR w.pod_uid IS NOT NULL
UNION ALL
-- 2 unschedulable: how long it waited (to scheduled, else Pending so far) and the last reason
SELECT b.pod_uid, 'unschedulable', 2,
    concat('Unschedulable',
        CASE WHEN coalesce(b.time_to_scheduled_s, b.pending_s) IS NOT NULL
            THEN concat(' ', why_span(coalesce(b.time_to_scheduled_s, b.pending_s))) END,
        CASE WHEN b.time_to_scheduled_s IS NOT NULL THEN ', then scheduled' END,
        CASE WHEN sc.message IS NOT NULL THEN concat(': ',
            regexp_replace(why_sentence(sc.message), ' are available', ''))
        END),
    concat(coalesce(sc.message, 'PodScheduled False: Unschedulable'),
        CASE WHEN sc.attempts > 1 THEN concat(' (', sc.attempts, ' attempts)') END)
FROM base AS b
LEFT JOIN sched AS sc USING (pod_uid)
WHERE sc.pod_uid IS NOT NULL OR EXISTS (
    SELECT 1 FROM condition_intervals AS c
    WHERE c.pod_uid = b.pod_uid AND (c.condition, c.status, c.reason)
        = ('PodScheduled', 'False', 'Unschedulable')
)
UNION ALL
-- 3 oom_killed, with the container's memory limit when a spec shows it
SELECT b.pod_uid, 'oom_killed', 3,
    concat('OOMKilled ×', b.oom_kills,
        CASE WHEN m.mem_limit IS NOT NULL THEN concat(' (limit ', m.mem_limit, ')')
            WHEN m.has_spec THEN ' (no memory limit)' END),
    concat('container ', o.container, ' last OOM-killed ',
        strftime(o.last_ts, '%Y-%m-%dT%H:%M:%SZ'))
FROM base AS b
JOIN oom AS o USING (pod_uid)
LEFT JOIN spec_mem AS m USING (pod_uid)
WHERE b.oom_kills > 0
UNION ALL
-- 4 probe_kill: the probe that killed most, with its last failure message
SELECT b.pod_uid, 'probe_kill', 4,
    concat(k.probe, ' probe killed it ×', k.kills,
        CASE WHEN pm.message IS NOT NULL THEN concat(': ', why_probe(pm.message)) END),
    pm.message
FROM base AS b
JOIN (
    SELECT pod_uid,
        CASE WHEN liveness >= startup THEN 'liveness' ELSE 'startup' END AS probe,
        greatest(liveness, startup) AS kills
    FROM restart_sum
    WHERE liveness + startup > 0
) AS k USING (pod_uid)
LEFT JOIN probe_msg AS pm ON pm.pod_uid = k.pod_uid AND pm.probe = k.probe
UNION ALL
-- 5 crash_loop and 12 restarted: how the last instance ended, restarts, the last one's time
SELECT b.pod_uid,
    CASE WHEN b.crashlooped THEN 'crash_loop' ELSE 'restarted' END,
    CASE WHEN b.crashlooped THEN 5 ELSE 12 END,
    concat(CASE WHEN b.crashlooped THEN 'CrashLoopBackOff: ' ELSE 'restarted: ' END,
        coalesce(b.last_end, 'how it ended unknown'),
        CASE WHEN b.restarts > 0 THEN concat(' ×', b.restarts) END,
        CASE WHEN b.last_at IS NOT NULL THEN concat(', last ', strftime(b.last_at, '%H:%M')) END),
    concat(b.restarts, ' restart(s)',
        CASE WHEN b.unknown_n > 0 THEN concat(', ', b.unknown_n, ' of them with no capture',
            ' of how the replaced instance ended') END,
        CASE WHEN b.last_at IS NOT NULL
            THEN concat('; last at ', strftime(b.last_at, '%Y-%m-%dT%H:%M:%SZ')) END)
FROM base AS b
WHERE b.crashlooped OR b.restarts > 0
UNION ALL
-- 6 failed (not evicted, not stopped by a deletion) and 7 evicted (a reason the kubelet or a
-- controller gives: Evicted, Preempting, NodeLost, ...)
SELECT b.pod_uid,
    CASE WHEN coalesce(b.final_reason, ev.reason) IS NULL
        OR b.final_reason = 'DeadlineExceeded' THEN 'failed' ELSE 'evicted' END,
    CASE WHEN coalesce(b.final_reason, ev.reason) IS NULL
        OR b.final_reason = 'DeadlineExceeded' THEN 6 ELSE 7 END,
    CASE
        WHEN b.final_reason = 'DeadlineExceeded' THEN concat('Failed: DeadlineExceeded',
            CASE WHEN b.final_message IS NOT NULL THEN concat(': ', b.final_message) END)
        WHEN coalesce(b.final_reason, ev.reason) IS NOT NULL THEN concat(
            CASE coalesce(b.final_reason, ev.reason)
                WHEN 'Evicted' THEN 'evicted'
                WHEN 'Preempting' THEN 'preempted'
                WHEN 'Preempted' THEN 'preempted'
                WHEN 'NodeLost' THEN 'node lost'
                WHEN 'TaintManagerEviction' THEN 'evicted by taint'
                ELSE coalesce(b.final_reason, ev.reason)
            END,
            CASE WHEN coalesce(b.final_message, ev.message) IS NOT NULL THEN concat(': ',
                why_sentence(coalesce(b.final_message, ev.message))) END)
        ELSE concat('Failed: ', coalesce(b.last_end, 'reason unknown'))
    END,
    coalesce(b.final_message, ev.message)
FROM base AS b
LEFT JOIN evict_event AS ev USING (pod_uid)
WHERE (b.final_phase = 'Failed' AND b.deletion_requested_at IS NULL)
    OR (b.final_phase = 'Failed' AND b.final_reason IS NOT NULL)
    OR ev.pod_uid IS NOT NULL
UNION ALL
-- 8 blocked: the longest stretch no container could be created or run (creation_blocks):
-- "blocked 3 m by FailedMount ×4 (volume): timed out waiting for the condition"
SELECT b.pod_uid, 'blocked', 8,
    concat('blocked ', why_span(k.blocked_s), ' by ', replace(k.reasons, ',', '/'),
        CASE WHEN k.events > 1 THEN concat(' ×', k.events) END, ' (', k.cause, ')',
        CASE WHEN k.message IS NOT NULL THEN concat(': ', left(why_tail(k.message), 120)) END,
        CASE WHEN NOT k.open THEN ', then started' END),
    k.message
FROM base AS b
JOIN (
    SELECT pod_uid,
        arg_max(cause, (blocked_s, blocked_from, cause)) AS cause,
        arg_max(reasons, (blocked_s, blocked_from, cause)) AS reasons,
        arg_max(events, (blocked_s, blocked_from, cause)) AS events,
        arg_max(blocked_s, (blocked_s, blocked_from, cause)) AS blocked_s,
        arg_max(open, (blocked_s, blocked_from, cause)) AS open,
        arg_max(message, (blocked_s, blocked_from, cause)) AS message
    FROM creation_blocks
    GROUP BY pod_uid
) AS k USING (pod_uid)
UNION ALL
-- 9 stuck_pending: still Pending after a minute (or for as long as the evidence cannot tell)
SELECT b.pod_uid, 'stuck_pending', 9,
    concat('Pending', CASE WHEN b.pending_s IS NOT NULL THEN concat(' ', why_span(b.pending_s))
        ELSE ' (how long unknown)' END,
        CASE WHEN coalesce(lw.text, wt.reason) IS NOT NULL
            THEN concat(': ', left(coalesce(lw.text, wt.reason), 120)) END),
    lw.text
FROM base AS b
LEFT JOIN last_warning AS lw USING (pod_uid)
LEFT JOIN last_waiting AS wt USING (pod_uid)
WHERE b.final_phase = 'Pending' AND b.deletion_requested_at IS NULL
    AND (b.pending_s IS NULL OR b.pending_s >= 60)
UNION ALL
-- 10 never_ready, with the readiness probe's failures when there are some
SELECT b.pod_uid, 'never_ready', 10,
    concat('never Ready', CASE WHEN pm.n IS NOT NULL THEN concat(': readiness probe failed ×',
        pm.n, ': ', why_probe(pm.message)) END),
    pm.message
FROM base AS b
LEFT JOIN probe_msg AS pm ON pm.pod_uid = b.pod_uid AND pm.probe = 'readiness'
WHERE b.never_ready
UNION ALL
-- 11 slow_termination: outlived its grace period, or took over a minute more than it
SELECT b.pod_uid, 'slow_termination', 11,
    concat('terminating', CASE WHEN b.terminating_s IS NOT NULL
            THEN concat(' ', why_span(b.terminating_s)) END,
        CASE WHEN b.grace_period_s IS NOT NULL
            THEN concat(' (grace ', why_span(b.grace_period_s), ')') END,
        CASE WHEN b.grace_exceeded THEN ', outlived its grace period' END),
    NULL
FROM base AS b
WHERE b.grace_exceeded OR b.terminating_s > coalesce(b.grace_period_s, 30) + 60
UNION ALL
-- 13 deleted: by a controller when its SuccessfulDelete event names the pod
SELECT b.pod_uid, 'deleted', 13,
    concat(CASE WHEN cd.controller IS NOT NULL THEN concat('deleted by a controller (',
            cd.controller, ')') ELSE 'deleted (no event says by whom)' END,
        CASE WHEN b.final_phase = 'Failed' THEN concat(', its containers stopped: ',
            coalesce(b.last_end, 'how unknown')) END),
    NULL
FROM base AS b
LEFT JOIN controller_delete AS cd ON cd.namespace IS NOT DISTINCT FROM b.namespace
    AND cd.pod = b.pod
WHERE b.deletion_requested_at IS NOT NULL;

CREATE OR REPLACE TABLE pod_why AS
SELECT
    p.pod_uid,
    p.namespace,
    p.pod,
    w.problem,
    w.severity,
    w.why,
    w.evidence,
    coalesce(w.problems, []::VARCHAR[]) AS problems,
    -- why a pod that ended Failed (or with a reason) did: its own reason (Evicted,
    -- DeadlineExceeded...), a deletion that stopped its containers, else how its last
    -- container ended (Error, OOMKilled...), else 'reason unknown'
    CASE WHEN p.final_phase = 'Failed' OR p.final_reason IS NOT NULL THEN coalesce(
        p.final_reason,
        CASE WHEN p.deletion_requested_at IS NOT NULL THEN
            CASE WHEN w.deleted_why LIKE 'deleted by a controller%'
                THEN 'deleted by a controller' ELSE 'deleted' END
        END,
        ce.reason,
        'reason unknown'
    ) END AS failure
FROM pods AS p
LEFT JOIN (
    SELECT pod_uid,
        arg_min(problem, severity) AS problem,
        min(severity) AS severity,
        arg_min(why, severity) AS why,
        arg_min(evidence, severity) AS evidence,
        list(problem ORDER BY severity) AS problems,
        any_value(why) FILTER (WHERE problem = 'deleted') AS deleted_why
    FROM pod_problems
    GROUP BY pod_uid
) AS w USING (pod_uid)
LEFT JOIN (
    SELECT pod_uid, arg_max(reason, (coalesce(finished_at, last_observed), container, idx))
        AS reason
    FROM container_instances
    WHERE reason IS NOT NULL
    GROUP BY pod_uid
) AS ce USING (pod_uid)
ORDER BY p.pod_uid;

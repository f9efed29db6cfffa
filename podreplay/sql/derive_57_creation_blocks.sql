-- creation_blocks: one row per pod, cause and stretch during which no container could be
-- created or run because of a volume (FailedMount, FailedAttachVolume), the pod sandbox
-- (FailedCreatePodSandBox, FailedPodSandBoxStatus, SandboxChanged, NetworkNotReady) or the container's config
-- (waiting CreateContainerConfigError / CreateContainerError, `Failed` `Error: …` that is not
-- an image error: a missing Secret / ConfigMap / key).
-- A stretch ends at the first container start at or after the blocker's first evidence
-- (blocked_until, open = false), else at the pod's deletion or last evidence (open = true: still
-- blocked when last seen). It starts where the pod began waiting for it: the earliest waiting
-- state after the pod's last non-waiting state before the blocker's first evidence (its
-- admission, for a pod that never ran), or that evidence itself when a container was running
-- then or no waiting state is known (events-only pods: a lower bound).
-- blocked_s = blocked_until - blocked_from: the time the blocker cost. Events are counted by
-- their occurrences (lower bounds where the event TTL or the spam filter dropped some).
CREATE OR REPLACE TABLE creation_blocks AS
WITH ev AS (
    SELECT pod_uid, first_ts, last_ts, count, reason, message,
        CASE
            WHEN reason IN ('FailedMount', 'FailedAttachVolume') THEN 'volume'
            WHEN reason IN ('FailedCreatePodSandBox', 'FailedPodSandBoxStatus', 'SandboxChanged',
                            'NetworkNotReady') THEN 'sandbox'
            ELSE 'config'
        END AS cause
    FROM pod_events
    WHERE reason IN ('FailedMount', 'FailedAttachVolume', 'FailedCreatePodSandBox',
                     'FailedPodSandBoxStatus', 'SandboxChanged', 'NetworkNotReady')
        OR (reason = 'Failed' AND message LIKE 'Error: %'
            AND message NOT IN ('Error: ErrImagePull', 'Error: ImagePullBackOff',
                'Error: InvalidImageName', 'Error: ErrImageNeverPull',
                'Error: ImageInspectError', 'Error: RegistryUnavailable',
                'Error: SignatureValidationFailed')
            AND message NOT LIKE 'Error: failed to start %'
            AND message NOT LIKE 'Error: failed to create containerd task%')
    UNION ALL
    SELECT pod_uid, start_ts, coalesce(end_ts, start_ts), 0, reason, message, 'config'
    FROM container_intervals
    WHERE state = 'waiting' AND reason IN ('CreateContainerConfigError', 'CreateContainerError')
),
starts AS (
    SELECT pod_uid, start_ts FROM container_intervals WHERE state = 'running'
),
ev_until AS (
    SELECT e.*, s.start_ts AS until_ts
    FROM ev AS e
    ASOF LEFT JOIN starts AS s ON s.pod_uid = e.pod_uid AND s.start_ts >= e.first_ts
),
grouped AS (
    SELECT
        pod_uid,
        cause,
        until_ts,
        min(first_ts) AS first_event_ts,
        max(last_ts) AS last_event_ts,
        sum(count)::BIGINT AS events,
        string_agg(DISTINCT reason, ',' ORDER BY reason) AS reasons,
        arg_max(message, last_ts) AS message
    FROM ev_until
    GROUP BY ALL
),
anchored AS (
    SELECT
        g.*,
        (SELECT max(c.start_ts) FROM container_intervals AS c
            WHERE c.pod_uid = g.pod_uid AND c.state IN ('running', 'terminated')
                AND c.start_ts < g.first_event_ts) AS prev_state_ts,
        EXISTS (SELECT 1 FROM container_intervals AS c
            WHERE c.pod_uid = g.pod_uid AND c.state = 'running'
                AND c.start_ts < g.first_event_ts
                AND (c.end_ts IS NULL OR c.end_ts > g.first_event_ts)) AS running_then
    FROM grouped AS g
),
fromed AS (
    SELECT
        a.*,
        CASE WHEN a.running_then THEN a.first_event_ts ELSE least(a.first_event_ts, (
            SELECT min(c.start_ts) FROM container_intervals AS c
            WHERE c.pod_uid = a.pod_uid AND c.state = 'waiting'
                AND c.start_ts <= a.first_event_ts
                AND (a.prev_state_ts IS NULL OR c.start_ts > a.prev_state_ts)
        )) END AS blocked_from
    FROM anchored AS a
)
SELECT
    f.pod_uid,
    p.namespace,
    p.pod,
    f.cause,
    f.reasons,
    f.events,
    f.first_event_ts,
    f.last_event_ts,
    f.blocked_from,
    coalesce(f.until_ts, p.deleted_at, greatest(p.evidence_to, f.last_event_ts)) AS blocked_until,
    epoch(coalesce(f.until_ts, p.deleted_at, greatest(p.evidence_to, f.last_event_ts))
        - f.blocked_from)::DOUBLE AS blocked_s,
    f.until_ts IS NULL AS open,
    f.message
FROM fromed AS f
JOIN pods AS p USING (pod_uid)
ORDER BY f.pod_uid, f.blocked_from, f.cause;

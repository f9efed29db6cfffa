-- pod_events: the events about pods, each joined to its pod_uid and classified once for the
-- derive files after this one (and the timeline). Join by involvedObject.uid; where the uid is
-- missing (old captures) or the snapshots only have a surrogate uid, by namespace/name to the
-- latest pod of that name created before the event (ASOF). Pods known only from events keep
-- their uid, else get the surrogate ns/name/first-event-time.
CREATE OR REPLACE TABLE pod_events AS
WITH ev AS (
    SELECT
        e.event_key, e.source_id, e.object_namespace, e.object_name, e.object_uid, e.reason,
        e.message, e.type, e.container, e.field_path, e.count, e.component, e.host,
        coalesce(e.first_ts, e.event_ts, e.last_ts) AS ts0,
        greatest(coalesce(e.last_ts, e.event_ts, e.first_ts), coalesce(e.first_ts, e.event_ts))
            AS ts1
    FROM events AS e
    WHERE coalesce(e.object_kind, 'Pod') = 'Pod' AND e.object_name IS NOT NULL
),
snap_pods AS (
    SELECT
        pod_uid,
        arg_max(namespace, observed_at) AS namespace,
        arg_max(pod, observed_at) AS pod,
        coalesce(min(created_at), min(observed_at)) AS created_at,
        pod_uid LIKE '%/%' AS surrogate
    FROM pod_snapshots
    GROUP BY pod_uid
),
by_uid AS (
    SELECT ev.*, ev.object_uid AS pod_uid
    FROM ev SEMI JOIN snap_pods AS sp ON ev.object_uid = sp.pod_uid
),
rest AS (
    SELECT ev.* FROM ev ANTI JOIN snap_pods AS sp ON ev.object_uid = sp.pod_uid
),
by_name AS (
    SELECT r.*, sp.pod_uid AS matched_uid
    FROM rest AS r
    ASOF LEFT JOIN snap_pods AS sp
        ON r.object_namespace = sp.namespace
        AND r.object_name = sp.pod
        AND r.ts0 + INTERVAL 1 SECOND >= sp.created_at
),
named AS (
    SELECT
        * EXCLUDE (matched_uid),
        CASE
            WHEN matched_uid IS NOT NULL AND (object_uid IS NULL OR matched_uid LIKE '%/%')
                THEN matched_uid
            WHEN object_uid IS NOT NULL THEN object_uid
            ELSE concat_ws(
                '/', object_namespace, object_name,
                strftime(min(ts0) OVER (PARTITION BY object_namespace, object_name),
                    '%Y-%m-%dT%H:%M:%SZ')
            )
        END AS pod_uid
    FROM by_name
),
joined AS (
    SELECT * FROM by_uid
    UNION ALL BY NAME
    SELECT * FROM named
)
SELECT
    pod_uid,
    event_key,
    source_id,
    object_namespace AS namespace,
    object_name AS pod,
    reason,
    message,
    type,
    container,
    coalesce(field_path LIKE 'spec.initContainers%', false) AS is_init,
    greatest(coalesce(count, 1), 1) AS count,
    ts0 AS first_ts,
    ts1 AS last_ts,
    component,
    host,
    CASE WHEN reason = 'Unhealthy' THEN nullif(lower(
        regexp_extract(message, '(Liveness|Readiness|Startup) probe', 1)
    ), '') END AS probe,
    CASE WHEN reason = 'Killing' THEN (
        CASE
            WHEN message ILIKE '%failed liveness probe%'
                OR message ILIKE '%is unhealthy, it will be killed%' THEN 'liveness'
            WHEN message ILIKE '%failed startup probe%' THEN 'startup'
            WHEN message ILIKE '%Stopping container%' OR message ILIKE '%Need to kill Pod%'
                THEN 'stop'
            ELSE 'other'
        END
    ) END AS kill_cause
FROM joined;

-- pod_events: the events about pods, each joined to its pod_uid and classified once for the
-- derive files after this one (and the timeline). Join by involvedObject.uid; where the uid is
-- missing (old captures) or the snapshots only have a surrogate uid, by namespace/name to the
-- latest pod of that name created before the event (ASOF). Pods known only from events keep
-- their uid, else get the surrogate ns/name/first-event-time.
-- Static pods: the kubelet's events carry the pod's config hash as uid, while the API's mirror
-- pod has its own uid and the hash in its `kubernetes.io/config.mirror` annotation: such
-- events are joined to the mirror pod, so a static pod is one pod, not two.
CREATE OR REPLACE TABLE pod_events AS
WITH mirror AS (
    SELECT config_hash, arg_max(pod_uid, observed_at) AS pod_uid
    FROM (
        SELECT pod_uid, observed_at,
            raw->'metadata'->'annotations'->>'kubernetes.io/config.mirror' AS config_hash
        FROM pod_snapshots
    )
    WHERE config_hash IS NOT NULL
    GROUP BY config_hash
),
ev AS (
    SELECT
        e.rowid AS event_row, e.event_key, e.source_id, e.object_namespace, e.object_name,
        coalesce(mi.pod_uid, e.object_uid) AS object_uid, e.reason, e.message, e.type,
        e.container, e.field_path, e.count, e.component, e.host, src.cluster,
        coalesce(e.first_ts, e.event_ts, e.last_ts) AS ts0,
        greatest(coalesce(e.last_ts, e.event_ts, e.first_ts), coalesce(e.first_ts, e.event_ts))
            AS ts1
    FROM events AS e
    JOIN sources AS src ON src.source_id = e.source_id
    LEFT JOIN mirror AS mi ON mi.config_hash = e.object_uid
    WHERE coalesce(e.object_kind, 'Pod') = 'Pod' AND e.object_name IS NOT NULL
),
snap_pods AS (
    -- pods of different clusters never match by name
    SELECT
        ps.pod_uid,
        min(s.cluster) AS cluster,
        arg_max(ps.namespace, ps.observed_at) AS namespace,
        arg_max(ps.pod, ps.observed_at) AS pod,
        coalesce(min(ps.created_at), min(ps.observed_at)) AS created_at,
        ps.pod_uid LIKE '%/%' AS surrogate
    FROM pod_snapshots AS ps
    JOIN sources AS s ON s.source_id = ps.source_id
    GROUP BY ps.pod_uid
),
-- each event once, with whether its uid is a snapshot pod's and whether its namespace/name is
-- one (only those can match by name: the ASOF join sees just their keys, not the documents)
marked AS (
    SELECT
        ev.*,
        u.pod_uid IS NOT NULL AS uid_known,
        n.namespace IS NOT NULL AS name_known
    FROM ev
    LEFT JOIN (SELECT DISTINCT pod_uid FROM snap_pods) AS u ON ev.object_uid = u.pod_uid
    LEFT JOIN (SELECT DISTINCT cluster, namespace, pod FROM snap_pods) AS n
        ON ev.object_namespace = n.namespace AND ev.object_name = n.pod
        AND ev.cluster = n.cluster
),
by_name AS (
    SELECT r.event_key, sp.pod_uid AS matched_uid
    FROM (
        SELECT event_key, cluster, object_namespace, object_name, ts0
        FROM marked
        WHERE NOT uid_known AND name_known
    ) AS r
    ASOF JOIN snap_pods AS sp
        ON r.cluster = sp.cluster
        AND r.object_namespace = sp.namespace
        AND r.object_name = sp.pod
        AND r.ts0 + INTERVAL 1 SECOND >= sp.created_at
),
-- the surrogate uid's time: the first event of that namespace/name among those not joined by
-- uid, computed only for the names that need it
need_first AS (
    SELECT DISTINCT m.cluster, m.object_namespace, m.object_name
    FROM marked AS m
    ANTI JOIN by_name AS b ON b.event_key = m.event_key
    WHERE m.object_uid IS NULL
),
first_seen AS (
    SELECT m.cluster, m.object_namespace, m.object_name, min(m.ts0) AS first_ts
    FROM marked AS m
    SEMI JOIN need_first AS n
        ON m.cluster = n.cluster
        AND m.object_namespace IS NOT DISTINCT FROM n.object_namespace
        AND m.object_name = n.object_name
    WHERE NOT m.uid_known
    GROUP BY ALL
),
joined AS (
    SELECT
        m.* EXCLUDE (uid_known, name_known),
        CASE
            WHEN m.uid_known THEN m.object_uid
            WHEN b.matched_uid IS NOT NULL AND (m.object_uid IS NULL OR b.matched_uid LIKE '%/%')
                THEN b.matched_uid
            WHEN m.object_uid IS NOT NULL THEN m.object_uid
            ELSE concat_ws(
                '/', m.object_namespace, m.object_name,
                strftime(f.first_ts, '%Y-%m-%dT%H:%M:%SZ')
            )
        END AS pod_uid
    FROM marked AS m
    LEFT JOIN by_name AS b ON b.event_key = m.event_key
    LEFT JOIN first_seen AS f
        ON m.cluster = f.cluster
        AND m.object_namespace IS NOT DISTINCT FROM f.object_namespace
        AND m.object_name = f.object_name
),
sandbox_changes AS (
    SELECT pod_uid, ts0, ts1 FROM joined WHERE reason = 'SandboxChanged'
)
SELECT
    pod_uid,
    event_key,
    source_id,
    object_namespace AS namespace,
    object_name AS pod,
    reason,
    -- an aggregated event (client-go: 10 distinct messages of one reason within 10 min) is
    -- read by its latest message
    CASE WHEN starts_with(message, '(combined from similar events): ')
        THEN substr(message, 33) ELSE message END AS message,
    type,
    container,
    coalesce(field_path LIKE 'spec.initContainers%', false) AS is_init,
    greatest(coalesce(count, 1), 1) AS count,
    ts0 AS first_ts,
    ts1 AS last_ts,
    component,
    host,
    cluster,
    CASE WHEN reason = 'Unhealthy' THEN nullif(lower(
        regexp_extract(message, '(Liveness|Readiness|Startup) probe', 1)
    ), '') END AS probe,
    CASE WHEN reason = 'Killing' THEN (
        CASE
            WHEN message ILIKE '%failed liveness probe%'
                OR message ILIKE '%is unhealthy, it will be killed%' THEN 'liveness'
            WHEN message ILIKE '%failed startup probe%' THEN 'startup'
            -- an in-place resize that needs a restart (resizePolicy RestartContainer)
            WHEN message ILIKE '%resize requires restart%' THEN 'resize'
            -- the containers stopped because the pod sandbox is re-created (SandboxChanged
            -- then Stopping container): a restart, no deletion
            WHEN (message ILIKE '%Stopping container%' OR message ILIKE '%Need to kill Pod%')
                AND pod_uid IN (SELECT s.pod_uid FROM sandbox_changes AS s
                    WHERE joined.ts0 BETWEEN s.ts0 AND s.ts0 + INTERVAL 2 SECOND
                        OR joined.ts0 BETWEEN s.ts1 AND s.ts1 + INTERVAL 2 SECOND)
                THEN 'sandbox'
            WHEN message ILIKE '%Stopping container%' OR message ILIKE '%Need to kill Pod%'
                THEN 'stop'
            ELSE 'other'
        END
    ) END AS kill_cause,
    -- about an ephemeral (`kubectl debug`) container: no app container, no restart
    coalesce(field_path LIKE 'spec.ephemeralContainers%', false) AS is_ephemeral,
    coalesce(starts_with(message, '(combined from similar events): '), false) AS combined
FROM joined
-- stored pod by pod, in time order (the files after this one group and window by pod), events
-- of the same time in the order of the events table
ORDER BY pod_uid, first_ts, event_row;

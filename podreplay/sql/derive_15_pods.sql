-- pods: one row per pod (pod_uid), fused from snapshots and pod events.
-- deletion_requested_at = deletionTimestamp - deletionGracePeriodSeconds (first delete seen);
-- deleted_at = when the pod object was gone: a DELETED watch record, else (inferred) when a later
-- List of the pod's namespace in its cluster (list_views, continuing its capture: it shows a pod
-- seen while this one was) no longer shows it: gone by that List; deleted_after = the pod's last
-- evidence (it was there then: a Killing event or a snapshot with deletionTimestamp).
-- evidence_to = the pod's last observation (a snapshot, an event, a status time, or the end of a
-- watch stream that showed it); scope_end = the last observation that would have shown it
-- (capture_scopes of its cluster, source group and namespace).
-- workload: ReplicaSet -> Deployment (pod-template-hash dropped), Job -> CronJob
-- (owners table or the `name-<scheduled minutes>` pattern), other owners by name, no owner by the
-- generated-name pattern, else the pod name.
CREATE OR REPLACE TABLE pods AS
WITH snap_order AS (
    SELECT
        pod_uid, observed_at, namespace, pod, phase, reason, message, restart_policy, owner_kind,
        owner_name,
        row_number() OVER (
            PARTITION BY pod_uid
            ORDER BY observed_at DESC, try_cast(resource_version AS BIGINT) DESC NULLS LAST,
                (watch_type = 'DELETED') DESC NULLS LAST, source_id DESC
        ) AS rn_desc
    FROM pod_snapshots
),
last_snap AS (SELECT * FROM snap_order WHERE rn_desc = 1),
disrupt_cond AS (
    -- the DisruptionTarget condition (1.26+) says what ended the pod: its latest True reason,
    -- from the first True observation's lastTransitionTime
    SELECT pod_uid, arg_max(reason, observed_at) AS reason,
        min(coalesce(last_transition_ts, observed_at)) AS at
    FROM condition_snapshots
    WHERE condition = 'DisruptionTarget' AND status = 'True'
    GROUP BY pod_uid
),
watch_ends AS (
    -- a watch stream shows every change until it ends: the end of its source group
    SELECT ps.source_id AS wid, greatest(max(ps.observed_at), any_value(g.group_end)) AS watch_end
    FROM pod_snapshots AS ps
    LEFT JOIN source_groups AS g ON g.source_id = ps.source_id
    WHERE ps.watch_type IS NOT NULL
    GROUP BY ps.source_id
),
snap_agg AS (
    SELECT
        ps.pod_uid,
        min(src.cluster) AS cluster,
        arg_max(src.grp, ps.observed_at) AS grp,
        max(w.watch_end) AS watch_end,
        min(created_at) AS created_at,
        min(observed_at) AS first_obs,
        max(observed_at) AS last_obs,
        arg_max(node, observed_at) FILTER (WHERE node IS NOT NULL AND node <> '') AS node,
        arg_max(qos_class, observed_at) FILTER (WHERE qos_class IS NOT NULL) AS qos_class,
        min(deleted_at - to_seconds(coalesce(deletion_grace_s, termination_grace_s, 30)))
            AS deletion_requested_at,
        min(observed_at) FILTER (WHERE watch_type = 'DELETED') AS deleted_seen,
        arg_max(termination_grace_s, observed_at) AS grace_period_s
    FROM pod_snapshots AS ps
    JOIN (SELECT source_id AS sid, cluster, grp FROM source_groups) AS src
        ON src.sid = ps.source_id
    LEFT JOIN watch_ends AS w ON w.wid = ps.source_id
    GROUP BY ps.pod_uid
),
ev_agg AS (
    SELECT
        pod_uid,
        min(cluster) AS cluster,
        arg_max(grp, last_ts) AS grp,
        arg_min(reason, first_ts) AS first_reason,
        arg_min(namespace, first_ts) AS namespace,
        arg_min(pod, first_ts) AS pod,
        min(first_ts) AS first_ts,
        max(last_ts) AS last_ts,
        max(nullif(regexp_extract(message, ' to (\S+)$', 1), '')) FILTER (WHERE reason = 'Scheduled')
            AS sched_node,
        arg_max(host, last_ts) FILTER (WHERE component = 'kubelet' AND host <> '') AS host,
        min(first_ts) FILTER (WHERE kill_cause = 'stop' OR reason IN ('Preempted', 'TaintManagerEviction'))
            AS stop_ts,
        arg_min(reason, CASE reason
            WHEN 'Evicted' THEN 1 WHEN 'Preempting' THEN 2 WHEN 'DeadlineExceeded' THEN 3
            WHEN 'Preempted' THEN 4 WHEN 'NodeLost' THEN 5 END)
            FILTER (WHERE reason IN ('Evicted', 'Preempting', 'DeadlineExceeded', 'Preempted',
                'NodeLost')) AS end_reason,
        arg_max(message, last_ts) FILTER (WHERE reason IN ('Evicted', 'Preempting',
            'DeadlineExceeded', 'Preempted', 'NodeLost')) AS end_message,
        bool_or(reason IN ('Evicted', 'Preempting', 'DeadlineExceeded')) AS failed,
        -- the disruption events name (where no DisruptionTarget condition is seen)
        arg_min(CASE
            WHEN reason IN ('Evicted', 'Preempting') THEN 'TerminationByKubelet'
            WHEN reason = 'Preempted' THEN 'PreemptionByScheduler'
            WHEN reason = 'TaintManagerEviction' THEN 'DeletionByTaintManager'
            ELSE 'EvictionByEvictionAPI' END, first_ts)
            FILTER (WHERE reason IN ('Evicted', 'Preempting', 'Preempted')
                OR (reason = 'TaintManagerEviction' AND message LIKE 'Marking for deletion%')
                OR message LIKE 'pod evicted by %') AS ev_disruption,
        min(first_ts) FILTER (WHERE reason IN ('Evicted', 'Preempting', 'Preempted')
                OR (reason = 'TaintManagerEviction' AND message LIKE 'Marking for deletion%')
                OR message LIKE 'pod evicted by %') AS ev_disruption_at,
        -- a started, probed or killed app container was running
        bool_or(reason IN ('Started', 'Unhealthy', 'Killing') AND NOT is_init
            AND container IS NOT NULL) AS started
    FROM pod_events
    LEFT JOIN (SELECT source_id AS gsid, grp FROM source_groups) AS g ON g.gsid = source_id
    GROUP BY pod_uid
),
creates AS (
    -- SuccessfulCreate on the owner gives an events-only pod its creation time.
    -- An aggregated event (count > 2) hides the occurrences between its first and last: its
    -- first occurrence dates no pod for sure, as a later unseen one may be the pod's.
    SELECT coalesce(object_namespace, namespace) AS namespace, pod,
        unnest([first_ts, last_ts]) AS ts,
        unnest([coalesce(count, 1) <= 2, true]) AS sure
    FROM (
        SELECT
            *,
            coalesce(
                nullif(regexp_extract(message, 'Created pod: (\S+)', 1), ''),
                nullif(regexp_extract(message, '[Cc]reate Pod (\S+) in StatefulSet', 1), '')
            ) AS pod
        FROM events
        WHERE reason = 'SuccessfulCreate'
    )
    WHERE pod IS NOT NULL
),
status_times AS (
    -- a status time later than its snapshot's observation time (clock skew, a file dated too
    -- early) is evidence too
    SELECT pod_uid, max(greatest(started_at, finished_at, last_finished_at)) AS last_status
    FROM container_snapshots
    GROUP BY pod_uid
),
window_ AS (
    -- each pod's evidence: its first and last observation
    SELECT
        coalesce(ls.pod_uid, e.pod_uid) AS pod_uid,
        coalesce(sa.cluster, e.cluster) AS cluster,
        coalesce(sa.grp, e.grp) AS grp,
        coalesce(ls.namespace, e.namespace) AS namespace,
        least(sa.first_obs, e.first_ts) AS first_seen,
        greatest(sa.last_obs, sa.watch_end, e.last_ts, st.last_status) AS evidence_to,
        sa.deleted_seen
    FROM last_snap AS ls
    FULL JOIN ev_agg AS e ON ls.pod_uid = e.pod_uid
    LEFT JOIN snap_agg AS sa ON sa.pod_uid = ls.pod_uid
    LEFT JOIN status_times AS st ON st.pod_uid = ls.pod_uid
),
list_obs AS (
    -- each List of a namespace, with the earliest time any pod it shows was seen: a List only
    -- proves a pod gone when it continues that pod's capture (shows a pod seen back then), not
    -- when it is a much later capture of the same namespace name. list_members: the pods of
    -- every List; kept_first_seen: the pods an incremental rebuild does not recompute (derive.py)
    SELECT lv.cluster, lv.grp, lv.namespace, lv.observed_at, min(w.first_seen) AS continues_from
    FROM list_views AS lv
    JOIN list_members AS ps ON ps.source_id = lv.source_id AND ps.observed_at = lv.observed_at
    JOIN (
        SELECT pod_uid, first_seen FROM window_
        UNION ALL
        SELECT pod_uid, first_seen FROM kept_first_seen
    ) AS w ON w.pod_uid = ps.pod_uid
    -- only the namespaces of the pods made here can use it (`vanished`)
    SEMI JOIN window_ AS here ON here.cluster = lv.cluster AND here.namespace = lv.namespace
    GROUP BY lv.source_id, lv.cluster, lv.grp, lv.namespace, lv.observed_at
),
vanished AS (
    SELECT s.pod_uid, l.observed_at AS gone_by
    FROM (SELECT * FROM window_ WHERE deleted_seen IS NULL) AS s
    ASOF JOIN list_obs AS l
        ON s.cluster = l.cluster AND s.namespace = l.namespace AND l.observed_at > s.evidence_to
    WHERE l.continues_from <= s.evidence_to
),
base AS (
    SELECT
        coalesce(ls.pod_uid, e.pod_uid) AS pod_uid,
        coalesce(ls.namespace, e.namespace) AS namespace,
        coalesce(ls.pod, e.pod) AS pod,
        coalesce(sa.node, e.sched_node, e.host) AS node,
        sa.qos_class,
        sa.created_at AS snap_created,
        least(sa.first_obs, e.first_ts) AS first_seen,
        greatest(sa.last_obs, e.last_ts) AS last_seen,
        coalesce(
            sa.deletion_requested_at,
            -- a kill of every container ("Stopping container") shows the request where no
            -- snapshot did, for pods only events show or that vanished between snapshots
            -- (not evictions and kubelet preemptions, which stop containers without a delete)
            CASE WHEN (ls.pod_uid IS NULL OR v.gone_by IS NOT NULL)
                AND e.end_reason IS DISTINCT FROM 'Evicted'
                AND e.end_reason IS DISTINCT FROM 'Preempting' THEN e.stop_ts END
        ) AS deletion_requested_at,
        coalesce(
            sa.deleted_seen,
            -- gone by the List that lacks it (not by the deletion deadline: the object outlives
            -- it until the kubelet reports the containers stopped)
            CASE WHEN v.gone_by IS NOT NULL THEN v.gone_by END
        ) AS deleted_at,
        CASE WHEN sa.deleted_seen IS NULL AND v.gone_by IS NOT NULL THEN w.evidence_to
            ELSE sa.deleted_seen END AS deleted_after,
        w.cluster,
        w.grp,
        w.evidence_to,
        CASE
            WHEN sa.deleted_seen IS NOT NULL THEN 'observed'
            WHEN v.gone_by IS NOT NULL THEN 'inferred'
        END AS deleted_basis,
        CASE
            WHEN ls.pod_uid IS NOT NULL THEN ls.phase
            WHEN e.failed THEN 'Failed'
            WHEN e.started THEN 'Running'
            ELSE 'Pending'
        END AS final_phase,
        -- a pod that failed with no status.reason: the disruption that ended it
        CASE WHEN ls.pod_uid IS NOT NULL THEN coalesce(ls.reason, CASE WHEN ls.phase = 'Failed'
            THEN coalesce(dc.reason, e.end_reason) END) ELSE e.end_reason END AS final_reason,
        coalesce(dc.reason, e.ev_disruption) AS disruption_reason,
        coalesce(dc.at, e.ev_disruption_at) AS disruption_at,
        CASE WHEN ls.pod_uid IS NOT NULL THEN coalesce(ls.message, CASE WHEN ls.phase = 'Failed'
            THEN e.end_message END) ELSE e.end_message END AS final_message,
        ls.restart_policy,
        sa.grace_period_s,
        ls.owner_kind,
        ls.owner_name,
        e.first_ts AS ev_first_ts,
        e.first_reason
    FROM last_snap AS ls
    FULL JOIN ev_agg AS e ON ls.pod_uid = e.pod_uid
    LEFT JOIN snap_agg AS sa ON sa.pod_uid = ls.pod_uid
    LEFT JOIN window_ AS w ON w.pod_uid = coalesce(ls.pod_uid, e.pod_uid)
    LEFT JOIN vanished AS v ON v.pod_uid = coalesce(ls.pod_uid, e.pod_uid)
    LEFT JOIN disrupt_cond AS dc ON dc.pod_uid = ls.pod_uid
),
created AS (
    SELECT b.pod_uid, cr.ts AS create_ts
    FROM (SELECT * FROM base WHERE snap_created IS NULL AND ev_first_ts IS NOT NULL) AS b
    ASOF JOIN creates AS cr
        ON cr.namespace = b.namespace AND cr.pod = b.pod AND cr.ts <= b.ev_first_ts
    WHERE cr.sure
),
with_owner AS (
    SELECT
        b.*,
        o.owner_kind AS owner_owner_kind,
        o.owner_name AS owner_owner_name
    FROM base AS b
    LEFT JOIN (
        SELECT namespace, kind, name, any_value(owner_kind) AS owner_kind,
            any_value(owner_name) AS owner_name
        FROM owners
        GROUP BY ALL
    ) AS o ON o.namespace = b.namespace AND o.kind = b.owner_kind AND o.name = b.owner_name
),
named AS (
    SELECT
        *,
        CASE
            WHEN owner_kind = 'ReplicaSet' AND owner_owner_kind = 'Deployment'
                THEN struct_pack(w := owner_owner_name, k := 'Deployment')
            WHEN owner_kind = 'ReplicaSet' AND owner_owner_kind IS NULL
                AND regexp_matches(owner_name, '-[0-9bcdfghjklmnpqrstvwxz]{5,10}$')
                THEN struct_pack(
                    w := regexp_replace(owner_name, '-[0-9bcdfghjklmnpqrstvwxz]{5,10}$', ''),
                    k := 'Deployment')
            WHEN owner_kind = 'Job' AND owner_owner_kind = 'CronJob'
                THEN struct_pack(w := owner_owner_name, k := 'CronJob')
            WHEN owner_kind = 'Job' AND regexp_matches(owner_name, '^.+-[0-9]{8,}$')
                THEN struct_pack(w := regexp_replace(owner_name, '-[0-9]{8,}$', ''), k := 'CronJob')
            WHEN owner_kind IS NOT NULL AND owner_name IS NOT NULL
                THEN struct_pack(w := owner_name, k := owner_kind)
            WHEN regexp_matches(pod, '^.+-[0-9bcdfghjklmnpqrstvwxz]{5,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$')
                THEN struct_pack(
                    w := regexp_replace(pod,
                        '-[0-9bcdfghjklmnpqrstvwxz]{5,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$', ''),
                    k := NULL::VARCHAR)
            WHEN regexp_matches(pod, '^.+-[bcdfghjklmnpqrstvwxz2456789]{5}$')
                THEN struct_pack(w := regexp_replace(pod, '-[bcdfghjklmnpqrstvwxz2456789]{5}$', ''),
                    k := NULL::VARCHAR)
            ELSE struct_pack(w := pod, k := NULL::VARCHAR)
        END AS wl
    FROM with_owner
)
SELECT
    n.pod_uid,
    n.namespace,
    n.pod,
    n.wl.w AS workload,
    n.node,
    n.qos_class,
    coalesce(n.snap_created, cr.create_ts, n.first_seen) AS created_at,
    n.first_seen,
    n.last_seen,
    n.deletion_requested_at,
    n.deleted_at,
    n.final_phase,
    n.final_reason,
    n.restart_policy,
    n.final_message,
    n.grace_period_s,
    n.owner_kind,
    n.owner_name,
    n.wl.k AS workload_kind,
    n.deleted_basis,
    CASE
        WHEN n.snap_created IS NOT NULL THEN 'observed'
        WHEN cr.create_ts IS NOT NULL THEN 'event'
        -- the scheduler's first attempt comes within a second of the creation
        WHEN n.first_reason IN ('Scheduled', 'FailedScheduling') AND n.ev_first_ts <= n.first_seen
            THEN 'event'
        -- the first evidence of the pod: it existed then, created when is unknown
        ELSE 'inferred'
    END AS created_basis,
    n.cluster,
    n.deleted_after,
    n.evidence_to,
    greatest(n.evidence_to, sc.last_ts) AS scope_end,
    n.disruption_reason,
    n.disruption_at
FROM named AS n
LEFT JOIN created AS cr ON cr.pod_uid = n.pod_uid
LEFT JOIN capture_scopes AS sc
    ON sc.cluster = n.cluster AND sc.source_group = n.grp
    AND sc.namespace IS NOT DISTINCT FROM n.namespace;

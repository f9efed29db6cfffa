-- Normalising sources, step 3: pod objects prepared as pod/container/condition snapshots
-- (ingest_35_pods_write.sql stores them, one source at a time).
-- When a snapshot was taken: a watch record's own "observedAt" stamp, else --observed-at,
-- else a time in the file name, else (inferred) the latest timestamp the snapshot shows:
-- for a List, the latest over all its pods and the source's events (each event's latest state
-- in the source); for a lone record, its own.
-- Speed: the documents are not carried through the steps (each copy of a 250 MB List costs);
-- `new_pods` joins them back by seq.
-- A pod seen more than once in one List or array is not one snapshot but successive states (a
-- watch saved as an array, Lists merged by hand): each of its states is dated like a record.

CREATE OR REPLACE TEMP TABLE stage_pods AS
SELECT seq, src, location, listed, list_no, watch_type,
    nn(record_observed) AS record_observed,
    f[1] AS uid, f[2] AS namespace, f[3] AS pod, f[4] AS t_created, f[5] AS t_start,
    f[6] AS t_deleted, f[7] AS deletion_grace, f[8] AS node, f[9] AS phase, f[10] AS reason,
    f[11] AS message, f[12] AS qos_class, f[13] AS termination_grace, f[14] AS owner_kind,
    f[15] AS owner_name, f[16] AS restart_policy, f[17] AS resource_version, f[18] AS resize,
    -- one list, one conversion (a lambda per list costs each small source its set-up); only
    -- where it may date a snapshot (a source without --observed-at or a time in its name, and
    -- a pod listed, its List dated together, or without its record's stamp): 8 more parses of
    -- each pod that a stamped watch or a dated file does not need
    CASE WHEN undated AND (listed OR nn(record_observed) IS NULL) THEN max_ts(flatten([
        json_extract_string(obj, '$.status.conditions[*].lastTransitionTime'),
        json_extract_string(obj, '$.status.conditions[*].lastProbeTime'),
        json_extract_string(obj, '$.status.containerStatuses[*].state.*.startedAt'),
        json_extract_string(obj, '$.status.containerStatuses[*].state.*.finishedAt'),
        json_extract_string(obj, '$.status.containerStatuses[*].lastState.*.finishedAt'),
        json_extract_string(obj, '$.status.initContainerStatuses[*].state.*.startedAt'),
        json_extract_string(obj, '$.status.initContainerStatuses[*].state.*.finishedAt'),
        json_extract_string(obj, '$.status.ephemeralContainerStatuses[*].state.*.startedAt')
    ])) END AS status_latest
FROM (
    SELECT *, list_transform(json_extract_string(obj, [
            '$.metadata.uid', '$.metadata.namespace', '$.metadata.name',
            '$.metadata.creationTimestamp', '$.status.startTime', '$.metadata.deletionTimestamp',
            '$.metadata.deletionGracePeriodSeconds', '$.spec.nodeName', '$.status.phase',
            '$.status.reason', '$.status.message', '$.status.qosClass',
            '$.spec.terminationGracePeriodSeconds', '$.metadata.ownerReferences[0].kind',
            '$.metadata.ownerReferences[0].name', '$.spec.restartPolicy',
            '$.metadata.resourceVersion', '$.status.resize'
        ]), lambda v: nn(v)) AS f,
        m.observed_at IS NULL AND m.file_ts IS NULL AS undated
    FROM stage_kind JOIN stage_meta AS m USING (src)
    WHERE kind = 'Pod'
);

CREATE OR REPLACE TEMP TABLE checked_pods AS
SELECT *,
    listed AND count(*) OVER (PARTITION BY src, listed, list_no, coalesce(uid, namespace || '/' || pod))
        > 1 AS repeated,
    ts(t_created) AS created_at, ts(t_start) AS start_time, ts(t_deleted) AS deleted_at,
    try_cast(deletion_grace AS DOUBLE) AS deletion_grace_s,
    greatest(ts(t_created), ts(t_start), status_latest,
             ts(t_deleted) - to_seconds(coalesce(try_cast(deletion_grace AS DOUBLE), 0)))
        AS own_latest,
    concat_ws('; ',
        CASE WHEN pod IS NULL AND uid IS NULL THEN 'pod without metadata.name or metadata.uid' END,
        bad_ts(t_created, 'metadata.creationTimestamp'), bad_ts(t_start, 'status.startTime'),
        bad_ts(t_deleted, 'metadata.deletionTimestamp'), bad_ts(record_observed, 'observedAt')
    ) AS error
FROM stage_pods;

CREATE OR REPLACE TEMP TABLE timed_pods AS
SELECT p.*,
    CASE
        WHEN p.record_observed IS NOT NULL THEN ts(p.record_observed)
        WHEN m.observed_at IS NOT NULL THEN m.observed_at
        WHEN m.file_ts IS NOT NULL THEN m.file_ts
        WHEN p.listed AND NOT p.repeated THEN greatest(l.pods_latest, e.events_latest)
        ELSE p.own_latest
    END AS observed_at,
    CASE
        WHEN p.record_observed IS NOT NULL THEN 'record'
        WHEN m.observed_at IS NOT NULL THEN 'option'
        WHEN m.file_ts IS NOT NULL THEN 'file_name'
        ELSE 'inferred'
    END AS observed_basis
FROM checked_pods AS p
JOIN stage_meta AS m USING (src)
LEFT JOIN (
    SELECT src, max(own_latest) FILTER (WHERE listed AND NOT repeated AND error = '')
               AS pods_latest
    FROM checked_pods GROUP BY src
) AS l USING (src)
LEFT JOIN stage_events_latest AS e USING (src)
WHERE p.error = '';

CREATE OR REPLACE TEMP TABLE new_pods AS
SELECT n.*, k.obj AS raw
FROM (
    SELECT
        src, observed_at, observed_basis, watch_type,
        coalesce(uid, concat_ws('/', namespace, pod, coalesce(created_at::VARCHAR, '?')))
            AS pod_uid,
        namespace, pod, node, phase, reason, message, qos_class, created_at, start_time,
        deleted_at, deletion_grace_s, try_cast(termination_grace AS DOUBLE) AS termination_grace_s,
        owner_kind, owner_name, restart_policy, resource_version, resize, seq
    FROM timed_pods
    WHERE observed_at IS NOT NULL
    -- the same pod state seen twice in one source (or a watch echo) is one snapshot
    QUALIFY row_number() OVER (
        PARTITION BY src, pod_uid, observed_at, coalesce(resource_version, ''),
                     coalesce(watch_type, '')
        ORDER BY seq DESC) = 1
) AS n
JOIN stage_kind AS k USING (seq);

CREATE OR REPLACE TEMP TABLE stage_containers AS
WITH c AS (
    SELECT seq, observed_at, pod_uid, false AS is_init,
           unnest(json_extract(raw, '$.status.containerStatuses[*]')) AS cs
    FROM new_pods
    UNION ALL
    SELECT seq, observed_at, pod_uid, true AS is_init,
           unnest(json_extract(raw, '$.status.initContainerStatuses[*]')) AS cs
    FROM new_pods
)
SELECT seq, observed_at, pod_uid, is_init,
    list_transform(json_extract_string(cs, [
        '$.name', '$.image', '$.ready', '$.started', '$.restartCount',
        '$.state.terminated', '$.state.running', '$.state.waiting',
        '$.lastState.terminated', '$.lastState.running', '$.lastState.waiting'
    ]), lambda v: nn(v)) AS f,
    CASE WHEN f[6] IS NOT NULL THEN 'terminated' WHEN f[7] IS NOT NULL THEN 'running'
         WHEN f[8] IS NOT NULL THEN 'waiting' END AS state,
    CASE WHEN f[9] IS NOT NULL THEN 'terminated' WHEN f[10] IS NOT NULL THEN 'running'
         WHEN f[11] IS NOT NULL THEN 'waiting' END AS last_state,
    cs->('$.state.' || state) AS s,
    cs->('$.lastState.' || last_state) AS l
FROM c;

-- (keyed by the pod's seq: only the pods a source stores take theirs along)
CREATE OR REPLACE TEMP TABLE stage_container_rows AS
SELECT seq, observed_at, pod_uid, coalesce(f[1], '?') AS container, is_init,
    f[2] AS image, state,
    nn(s->>'reason') AS reason, nn(s->>'message') AS message,
    try_cast(s->>'exitCode' AS INTEGER) AS exit_code,
    ts(nn(s->>'startedAt')) AS started_at, ts(nn(s->>'finishedAt')) AS finished_at,
    try_cast(f[3] AS BOOLEAN) AS ready, try_cast(f[4] AS BOOLEAN) AS started,
    try_cast(f[5] AS INTEGER) AS restart_count,
    last_state, nn(l->>'reason') AS last_reason, try_cast(l->>'exitCode' AS INTEGER) AS last_exit_code,
    ts(nn(l->>'startedAt')) AS last_started_at, ts(nn(l->>'finishedAt')) AS last_finished_at
FROM stage_containers;

CREATE OR REPLACE TEMP TABLE stage_condition_rows AS
WITH c AS (
    SELECT seq, observed_at, pod_uid,
           unnest(json_extract(raw, '$.status.conditions[*]')) AS cond
    FROM new_pods
), f AS (
    SELECT seq, observed_at, pod_uid,
           list_transform(json_extract_string(cond, ['$.type', '$.status', '$.reason',
                                                     '$.lastTransitionTime']),
                          lambda v: nn(v)) AS f
    FROM c
)
SELECT seq, observed_at, pod_uid, coalesce(f[1], '?') AS type, f[2] AS status, f[3] AS reason,
       ts(f[4]) AS last_transition FROM f;

-- `status.resize` (1.27-1.32) read as the conditions that replaced it in 1.33: Proposed,
-- Deferred and Infeasible as PodResizePending (that reason), InProgress as PodResizeInProgress;
-- no transition time (the field has none); a snapshot that reports the condition itself wins.
-- Speed: `resize` is read with the pod's other fields (one parse of each pod, not a second
-- one of `raw`), and the check reads the rows above, not the conditions again
INSERT INTO stage_condition_rows
SELECT seq, observed_at, pod_uid,
    CASE WHEN resize = 'InProgress' THEN 'PodResizeInProgress' ELSE 'PodResizePending' END,
    'True', CASE WHEN resize = 'InProgress' THEN NULL ELSE resize END, NULL::TIMESTAMPTZ
FROM new_pods AS z
WHERE resize IN ('Proposed', 'InProgress', 'Deferred', 'Infeasible')
    AND NOT EXISTS (SELECT 1 FROM stage_condition_rows AS c
                    WHERE c.seq = z.seq AND c.type LIKE 'PodResize%');

INSERT INTO stage_rejects
SELECT p.src, 3, p.seq, p.location, p.error, s.doc
FROM (
    SELECT src, seq, location, error FROM checked_pods WHERE error <> ''
    UNION ALL
    SELECT src, seq, location, 'pod snapshot without any timestamp to date it (use --observed-at)'
    FROM timed_pods WHERE observed_at IS NULL
) AS p JOIN stage AS s USING (seq);

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

-- Speed: each pod is parsed once (`pod_type()`, ingest_00_macros.sql), into a struct its fields,
-- the status times that may date it, its containers and its conditions are all read from; a
-- watch record's pod is read inside the record (not unwrapped first).
CREATE OR REPLACE TEMP TABLE stage_pods AS
SELECT seq, src, location, listed, list_no, watch_type,
    nn(record_observed) AS record_observed,
    nn(p.metadata.uid) AS uid, nn(p.metadata.namespace) AS namespace, nn(p.metadata.name) AS pod,
    nn(p.metadata.creationTimestamp) AS t_created, nn(p.status.startTime) AS t_start,
    nn(p.metadata.deletionTimestamp) AS t_deleted,
    nn(p.metadata.deletionGracePeriodSeconds) AS deletion_grace, nn(p.spec.nodeName) AS node,
    nn(p.status.phase) AS phase, nn(p.status.reason) AS reason, nn(p.status.message) AS message,
    nn(p.status.qosClass) AS qos_class,
    nn(p.spec.terminationGracePeriodSeconds) AS termination_grace,
    nn(p.metadata.ownerReferences[1].kind) AS owner_kind,
    nn(p.metadata.ownerReferences[1].name) AS owner_name,
    nn(p.spec.restartPolicy) AS restart_policy, nn(p.metadata.resourceVersion) AS resource_version,
    nn(p.status.resize) AS resize,
    -- the latest time the pod's status shows, only where it may date a snapshot (a source
    -- without --observed-at or a time in its name, and a pod listed, its List dated together,
    -- or without its record's stamp); `.*`: whichever state a container is in
    CASE WHEN undated AND (listed OR nn(record_observed) IS NULL) THEN max_ts(flatten([
        list_transform(p.status.conditions, lambda c: c.lastTransitionTime),
        list_transform(p.status.conditions, lambda c: c.lastProbeTime),
        flatten(list_transform(p.status.containerStatuses, lambda c: list_concat(
            json_extract_string(c.state, '$.*.startedAt'),
            json_extract_string(c.state, '$.*.finishedAt'),
            json_extract_string(c.lastState, '$.*.finishedAt')))),
        flatten(list_transform(p.status.initContainerStatuses, lambda c: list_concat(
            json_extract_string(c.state, '$.*.startedAt'),
            json_extract_string(c.state, '$.*.finishedAt')))),
        flatten(list_transform(p.status.ephemeralContainerStatuses,
                               lambda c: json_extract_string(c.state, '$.*.startedAt')))
    ])) END AS status_latest,
    p.status.conditions AS conditions, p.status.containerStatuses AS containers,
    p.status.initContainerStatuses AS init_containers
FROM (
    SELECT c.seq, c.src, s.location, s.listed, s.list_no, c.watch_type, c.record_observed,
        CASE WHEN c.is_watch THEN json_transform(s.doc, '{"object":' || pod_type() || '}').object
             ELSE json_transform(s.doc, pod_type()) END AS p,
        m.observed_at IS NULL AND m.file_ts IS NULL AS undated
    FROM stage_class AS c JOIN stage AS s USING (seq) JOIN stage_meta AS m ON m.src = c.src
    WHERE c.kind = 'Pod'
);

CREATE OR REPLACE TEMP TABLE checked_pods AS
SELECT * EXCLUDE (conditions, containers, init_containers),
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
SELECT n.*,
    -- (a watch record's pod unwrapped: only a record has a watch_type)
    CASE WHEN n.watch_type IS NULL THEN s.doc::JSON ELSE json_extract(s.doc, '$.object') END
        AS raw
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
JOIN stage AS s USING (seq);

-- containers and conditions from the pod's struct (keyed by the pod's seq: only the pods a source
-- stores take theirs along)
CREATE OR REPLACE TEMP TABLE stage_container_rows AS
SELECT seq, observed_at, pod_uid, coalesce(nn(cs.name), '?') AS container, is_init,
    nn(cs.image) AS image, state,
    nn(s[1]) AS reason, nn(s[2]) AS message, try_cast(s[3] AS INTEGER) AS exit_code,
    ts(nn(s[4])) AS started_at, ts(nn(s[5])) AS finished_at,
    try_cast(nn(cs.ready) AS BOOLEAN) AS ready, try_cast(nn(cs.started) AS BOOLEAN) AS started,
    try_cast(nn(cs.restartCount) AS INTEGER) AS restart_count,
    last_state, nn(l[1]) AS last_reason, try_cast(l[2] AS INTEGER) AS last_exit_code,
    ts(nn(l[3])) AS last_started_at, ts(nn(l[4])) AS last_finished_at
FROM (
    -- which of waiting/running/terminated a state holds, then that one's fields
    SELECT *,
        json_extract_string(cs.state->('$.' || state),
                            ['$.reason', '$.message', '$.exitCode', '$.startedAt', '$.finishedAt'])
            AS s,
        json_extract_string(cs.lastState->('$.' || last_state),
                            ['$.reason', '$.exitCode', '$.startedAt', '$.finishedAt']) AS l
    FROM (
        SELECT *,
            CASE WHEN nn(k[1]) IS NOT NULL THEN 'terminated' WHEN nn(k[2]) IS NOT NULL THEN 'running'
                 WHEN nn(k[3]) IS NOT NULL THEN 'waiting' END AS state,
            CASE WHEN nn(lk[1]) IS NOT NULL THEN 'terminated'
                 WHEN nn(lk[2]) IS NOT NULL THEN 'running'
                 WHEN nn(lk[3]) IS NOT NULL THEN 'waiting' END AS last_state
        FROM (
            SELECT *,
                json_extract_string(cs.state, ['$.terminated', '$.running', '$.waiting']) AS k,
                json_extract_string(cs.lastState, ['$.terminated', '$.running', '$.waiting'])
                    AS lk
            FROM (
                SELECT seq, observed_at, pod_uid, false AS is_init, unnest(p.containers) AS cs
                FROM new_pods JOIN stage_pods AS p USING (seq)
                UNION ALL
                SELECT seq, observed_at, pod_uid, true AS is_init, unnest(p.init_containers) AS cs
                FROM new_pods JOIN stage_pods AS p USING (seq)
            )
        )
    )
);

CREATE OR REPLACE TEMP TABLE stage_condition_rows AS
WITH c AS (
    SELECT seq, observed_at, pod_uid, unnest(p.conditions) AS cond
    FROM new_pods JOIN stage_pods AS p USING (seq)
)
SELECT seq, observed_at, pod_uid, coalesce(nn(cond.type), '?') AS type, nn(cond.status) AS status,
       nn(cond.reason) AS reason, ts(nn(cond.lastTransitionTime)) AS last_transition FROM c;

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

-- (the pods' structs are read: their memory is free for storing)
DROP TABLE stage_pods;

-- Normalise one source's staged objects into the ingested tables. Runs inside the source's
-- transaction, after podreplay/ingest.py filled:
--   stage(seq, location, listed, error, doc)    one JSON text per object read (or why not)
--   stage_meta(source_id, observed_at, observed_basis, file_ts)   one row
-- Every staged object ends up in exactly one place: events, pod_snapshots, owners/skipped
-- (other kinds, counted) or rejects (with its location and why).

CREATE OR REPLACE TEMP MACRO nn(x) AS CASE WHEN x IN ('null', '', '<nil>') THEN NULL ELSE x END;
CREATE OR REPLACE TEMP MACRO ts(x) AS coalesce(
    try_cast(nn(x) AS TIMESTAMPTZ),
    try_strptime(regexp_replace(nn(x), ' [A-Z]{3,4}$', ''), '%Y-%m-%d %H:%M:%S %z'),
    try_strptime(regexp_replace(nn(x), ' [A-Z]{3,4}$', ''), '%Y-%m-%d %H:%M:%S.%f %z')
);
-- a timestamp field that is present but unreadable
CREATE OR REPLACE TEMP MACRO bad_ts(x, field) AS
    CASE WHEN nn(x) IS NOT NULL AND ts(x) IS NULL THEN 'bad timestamp in ' || field || ': ' || left(x, 80) END;
CREATE OR REPLACE TEMP MACRO max_ts(xs) AS list_max(list_transform(xs, lambda x: ts(x)));

CREATE OR REPLACE TEMP TABLE stage_obj AS
WITH parsed AS (
    SELECT seq, location, listed, error, doc,
           CASE WHEN error IS NULL AND json_valid(doc) THEN doc::JSON END AS j
    FROM stage
), unwrapped AS (
    SELECT seq, location, listed, error, doc, j,
           j IS NOT NULL AND json_type(j) = 'OBJECT'
             AND j->>'type' IN ('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR')
             AND json_type(j, '$.object') = 'OBJECT' AS is_watch
    FROM parsed
)
SELECT seq, location, listed, doc,
       CASE WHEN is_watch THEN j->'object' ELSE j END AS obj,
       CASE WHEN is_watch THEN j->>'type' END AS watch_type,
       CASE WHEN is_watch THEN j->>'observedAt' END AS record_observed,
       CASE
           WHEN error IS NOT NULL THEN error
           WHEN j IS NULL THEN 'invalid JSON'
           WHEN json_type(j) <> 'OBJECT' THEN 'expected an object, got ' || lower(json_type(j))
       END AS parse_error
FROM unwrapped;

CREATE OR REPLACE TEMP TABLE stage_kind AS
SELECT *,
       CASE
           WHEN parse_error IS NOT NULL THEN NULL
           WHEN watch_type IN ('BOOKMARK', 'ERROR') THEN 'watch ' || watch_type
           ELSE coalesce(
               nn(obj->>'kind'),
               CASE
                   WHEN json_type(obj, '$.involvedObject') = 'OBJECT'
                     OR json_type(obj, '$.regarding') = 'OBJECT' THEN 'Event'
                   WHEN json_type(obj, '$.spec.containers') = 'ARRAY'
                     AND json_type(obj, '$.metadata') = 'OBJECT' THEN 'Pod'
               END)
       END AS kind
FROM stage_obj;

-- ---------------------------------------------------------------- events
CREATE OR REPLACE TEMP TABLE stage_events AS
WITH e AS (
    SELECT seq, location, doc, obj,
        coalesce(nn(obj->>'apiVersion'),
                 CASE WHEN json_type(obj, '$.regarding') = 'OBJECT' THEN 'events.k8s.io/v1' ELSE 'v1' END)
            AS api_version,
        nn(obj->>'$.metadata.namespace') AS namespace,
        nn(obj->>'$.metadata.name') AS name,
        nn(obj->>'$.metadata.uid') AS uid,
        coalesce(nn(obj->>'$.regarding.kind'), nn(obj->>'$.involvedObject.kind')) AS object_kind,
        coalesce(nn(obj->>'$.regarding.namespace'), nn(obj->>'$.involvedObject.namespace'),
                 nn(obj->>'$.metadata.namespace')) AS object_namespace,
        coalesce(nn(obj->>'$.regarding.name'), nn(obj->>'$.involvedObject.name')) AS object_name,
        coalesce(nn(obj->>'$.regarding.uid'), nn(obj->>'$.involvedObject.uid')) AS object_uid,
        coalesce(nn(obj->>'$.regarding.fieldPath'), nn(obj->>'$.involvedObject.fieldPath'))
            AS field_path,
        nn(obj->>'reason') AS reason,
        coalesce(nn(obj->>'note'), nn(obj->>'message')) AS message,
        nn(obj->>'type') AS type,
        coalesce(try_cast(nn(obj->>'$.series.count') AS BIGINT), try_cast(nn(obj->>'count') AS BIGINT),
                 try_cast(nn(obj->>'deprecatedCount') AS BIGINT)) AS raw_count,
        obj->>'firstTimestamp' AS t_first,
        obj->>'deprecatedFirstTimestamp' AS t_dfirst,
        obj->>'lastTimestamp' AS t_last,
        obj->>'deprecatedLastTimestamp' AS t_dlast,
        obj->>'eventTime' AS t_event,
        obj->>'$.series.lastObservedTime' AS t_series,
        obj->>'$.metadata.creationTimestamp' AS t_created,
        coalesce(nn(obj->>'reportingController'), nn(obj->>'reportingComponent'),
                 nn(obj->>'$.source.component'), nn(obj->>'$.deprecatedSource.component'))
            AS component,
        coalesce(nn(obj->>'$.source.host'), nn(obj->>'$.deprecatedSource.host'),
                 nn(obj->>'reportingInstance')) AS host,
        nn(obj->>'$.metadata.resourceVersion') AS resource_version
    FROM stage_kind
    WHERE kind = 'Event'
)
SELECT *,
    coalesce(ts(t_first), ts(t_dfirst), ts(t_event), ts(t_series), ts(t_last), ts(t_dlast), ts(t_created))
        AS first_ts,
    coalesce(ts(t_series), ts(t_last), ts(t_dlast), ts(t_event), ts(t_first), ts(t_dfirst), ts(t_created))
        AS last_ts,
    ts(t_event) AS event_ts,
    greatest(coalesce(raw_count, 1), 1) AS count,
    concat_ws('; ',
        CASE WHEN object_kind IS NULL AND object_name IS NULL
             THEN 'event without involvedObject/regarding' END,
        CASE WHEN reason IS NULL AND message IS NULL THEN 'event without reason or message' END,
        bad_ts(t_first, 'firstTimestamp'), bad_ts(t_last, 'lastTimestamp'),
        bad_ts(t_event, 'eventTime'), bad_ts(t_series, 'series.lastObservedTime'),
        bad_ts(t_dfirst, 'deprecatedFirstTimestamp'), bad_ts(t_dlast, 'deprecatedLastTimestamp')
    ) AS error
FROM e;

CREATE OR REPLACE TEMP TABLE new_events AS
SELECT
    coalesce(uid, namespace || '/' || name,
             md5(concat_ws('|', object_uid, object_name, reason, message, first_ts::VARCHAR)))
        AS event_key,
    (SELECT source_id FROM stage_meta) AS source_id,
    api_version, namespace, name, uid, object_kind, object_namespace, object_name, object_uid,
    field_path,
    nullif(regexp_extract(field_path,
        'spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]*)\}', 1), '') AS container,
    reason, message, type, count, first_ts, last_ts, event_ts, component, host, resource_version,
    doc::JSON AS raw
FROM stage_events
WHERE error = ''
QUALIFY row_number() OVER (
    PARTITION BY event_key
    ORDER BY count DESC, last_ts DESC NULLS LAST, try_cast(resource_version AS HUGEINT) DESC NULLS LAST,
             seq DESC) = 1;

-- latest state wins: drop stored versions that are not newer than the incoming one
DELETE FROM events AS old
USING new_events AS n
WHERE old.event_key = n.event_key
  AND (n.count > old.count
       OR (n.count = old.count AND coalesce(n.last_ts, 'epoch'::TIMESTAMPTZ)
                                   >= coalesce(old.last_ts, 'epoch'::TIMESTAMPTZ)));

INSERT INTO events
SELECT n.* FROM new_events AS n
WHERE NOT EXISTS (SELECT 1 FROM events AS old WHERE old.event_key = n.event_key);

-- ---------------------------------------------------------------- pods
CREATE OR REPLACE TEMP TABLE stage_pods AS
WITH p AS (
    SELECT seq, location, listed, doc, obj, watch_type, record_observed,
        nn(obj->>'$.metadata.uid') AS uid,
        nn(obj->>'$.metadata.namespace') AS namespace,
        nn(obj->>'$.metadata.name') AS pod,
        obj->>'$.metadata.creationTimestamp' AS t_created,
        obj->>'$.status.startTime' AS t_start,
        obj->>'$.metadata.deletionTimestamp' AS t_deleted,
        -- the latest moment the object itself shows: a lower bound for when it was observed
        greatest(
            ts(obj->>'$.metadata.creationTimestamp'),
            ts(obj->>'$.status.startTime'),
            max_ts(json_extract_string(obj, '$.status.conditions[*].lastTransitionTime')),
            max_ts(json_extract_string(obj, '$.status.conditions[*].lastProbeTime')),
            max_ts(json_extract_string(obj, '$.status.containerStatuses[*].state.*.startedAt')),
            max_ts(json_extract_string(obj, '$.status.containerStatuses[*].state.*.finishedAt')),
            max_ts(json_extract_string(obj, '$.status.containerStatuses[*].lastState.*.finishedAt')),
            max_ts(json_extract_string(obj, '$.status.initContainerStatuses[*].state.*.startedAt')),
            max_ts(json_extract_string(obj, '$.status.initContainerStatuses[*].state.*.finishedAt')),
            ts(obj->>'$.metadata.deletionTimestamp')
              - to_seconds(coalesce(try_cast(obj->>'$.metadata.deletionGracePeriodSeconds' AS DOUBLE), 0))
        ) AS own_latest
    FROM stage_kind
    WHERE kind = 'Pod'
)
SELECT *,
    concat_ws('; ',
        CASE WHEN pod IS NULL AND uid IS NULL THEN 'pod without metadata.name or metadata.uid' END,
        bad_ts(t_created, 'metadata.creationTimestamp'), bad_ts(t_start, 'status.startTime'),
        bad_ts(t_deleted, 'metadata.deletionTimestamp'), bad_ts(record_observed, 'observedAt')
    ) AS error
FROM p;

CREATE OR REPLACE TEMP TABLE timed_pods AS
WITH source_latest AS (
    SELECT greatest(
        (SELECT max(own_latest) FROM stage_pods WHERE listed AND error = ''),
        (SELECT max(last_ts) FROM new_events)) AS t
), timed AS (
    SELECT sp.*,
        CASE
            WHEN ts(sp.record_observed) IS NOT NULL THEN ts(sp.record_observed)
            WHEN m.observed_at IS NOT NULL THEN m.observed_at
            WHEN m.file_ts IS NOT NULL THEN m.file_ts
            WHEN sp.listed THEN (SELECT t FROM source_latest)
            ELSE sp.own_latest
        END AS observed_at,
        CASE
            WHEN ts(sp.record_observed) IS NOT NULL THEN 'record'
            WHEN m.observed_at IS NOT NULL THEN 'option'
            WHEN m.file_ts IS NOT NULL THEN 'file_name'
            ELSE 'inferred'
        END AS observed_basis,
        m.source_id
    FROM stage_pods AS sp, stage_meta AS m
    WHERE sp.error = ''
)
SELECT * FROM timed;

CREATE OR REPLACE TEMP TABLE new_pods AS
SELECT
    source_id, observed_at, observed_basis, watch_type,
    coalesce(uid, concat_ws('/', namespace, pod, coalesce(ts(t_created)::VARCHAR, '?'))) AS pod_uid,
    namespace, pod,
    nn(obj->>'$.spec.nodeName') AS node,
    nn(obj->>'$.status.phase') AS phase,
    nn(obj->>'$.status.reason') AS reason,
    nn(obj->>'$.status.message') AS message,
    nn(obj->>'$.status.qosClass') AS qos_class,
    ts(t_created) AS created_at,
    ts(t_start) AS start_time,
    ts(t_deleted) AS deleted_at,
    try_cast(nn(obj->>'$.metadata.deletionGracePeriodSeconds') AS DOUBLE) AS deletion_grace_s,
    try_cast(nn(obj->>'$.spec.terminationGracePeriodSeconds') AS DOUBLE) AS termination_grace_s,
    nn(obj->>'$.metadata.ownerReferences[0].kind') AS owner_kind,
    nn(obj->>'$.metadata.ownerReferences[0].name') AS owner_name,
    nn(obj->>'$.spec.restartPolicy') AS restart_policy,
    nn(obj->>'$.metadata.resourceVersion') AS resource_version,
    obj AS raw,
    seq
FROM timed_pods
WHERE observed_at IS NOT NULL
-- the same pod state seen twice in one source (or a watch echo) is one snapshot
QUALIFY row_number() OVER (
    PARTITION BY pod_uid, observed_at, coalesce(resource_version, ''), coalesce(watch_type, '')
    ORDER BY seq DESC) = 1;

-- already stored (overlapping captures, or the same snapshot in two files): keep one copy
DELETE FROM new_pods AS n
USING pod_snapshots AS old
WHERE old.pod_uid = n.pod_uid AND old.observed_at = n.observed_at
  AND coalesce(old.resource_version, '') = coalesce(n.resource_version, '')
  AND coalesce(old.watch_type, '') = coalesce(n.watch_type, '');

INSERT INTO pod_snapshots
SELECT source_id, observed_at, observed_basis, watch_type, pod_uid, namespace, pod, node, phase,
       reason, message, qos_class, created_at, start_time, deleted_at, deletion_grace_s,
       termination_grace_s, owner_kind, owner_name, restart_policy, resource_version, raw
FROM new_pods;

INSERT INTO container_snapshots
WITH c AS (
    SELECT source_id, observed_at, pod_uid, false AS is_init,
           unnest(json_extract(raw, '$.status.containerStatuses[*]')) AS cs
    FROM new_pods
    UNION ALL
    SELECT source_id, observed_at, pod_uid, true AS is_init,
           unnest(json_extract(raw, '$.status.initContainerStatuses[*]')) AS cs
    FROM new_pods
), s AS (
    SELECT *,
        CASE
            WHEN json_type(cs, '$.state.terminated') = 'OBJECT' THEN 'terminated'
            WHEN json_type(cs, '$.state.running') = 'OBJECT' THEN 'running'
            WHEN json_type(cs, '$.state.waiting') = 'OBJECT' THEN 'waiting'
        END AS state,
        CASE
            WHEN json_type(cs, '$.lastState.terminated') = 'OBJECT' THEN 'terminated'
            WHEN json_type(cs, '$.lastState.running') = 'OBJECT' THEN 'running'
            WHEN json_type(cs, '$.lastState.waiting') = 'OBJECT' THEN 'waiting'
        END AS last_state
    FROM c
)
SELECT source_id, observed_at, pod_uid, coalesce(nn(cs->>'name'), '?') AS container, is_init,
    nn(cs->>'image') AS image, state,
    nn(cs->>('$.state.' || state || '.reason')) AS reason,
    nn(cs->>('$.state.' || state || '.message')) AS message,
    try_cast(cs->>('$.state.' || state || '.exitCode') AS INTEGER) AS exit_code,
    ts(cs->>('$.state.' || state || '.startedAt')) AS started_at,
    ts(cs->>('$.state.' || state || '.finishedAt')) AS finished_at,
    try_cast(cs->>'ready' AS BOOLEAN) AS ready,
    try_cast(cs->>'started' AS BOOLEAN) AS started,
    try_cast(cs->>'restartCount' AS INTEGER) AS restart_count,
    last_state,
    nn(cs->>('$.lastState.' || last_state || '.reason')) AS last_reason,
    try_cast(cs->>('$.lastState.' || last_state || '.exitCode') AS INTEGER) AS last_exit_code,
    ts(cs->>('$.lastState.' || last_state || '.startedAt')) AS last_started_at,
    ts(cs->>('$.lastState.' || last_state || '.finishedAt')) AS last_finished_at
FROM s;

INSERT INTO condition_snapshots
WITH c AS (
    SELECT source_id, observed_at, pod_uid,
           unnest(json_extract(raw, '$.status.conditions[*]')) AS cond
    FROM new_pods
)
SELECT source_id, observed_at, pod_uid, coalesce(nn(cond->>'type'), '?') AS condition,
       nn(cond->>'status') AS status, nn(cond->>'reason') AS reason,
       ts(cond->>'lastTransitionTime') AS last_transition_ts
FROM c;

-- ---------------------------------------------------------------- owners and other kinds
INSERT INTO owners
SELECT DISTINCT nn(obj->>'$.metadata.uid'), kind, nn(obj->>'$.metadata.namespace'),
       obj->>'$.metadata.name', nn(obj->>'$.metadata.ownerReferences[0].kind'),
       nn(obj->>'$.metadata.ownerReferences[0].name')
FROM stage_kind AS s
WHERE kind IN ('ReplicaSet', 'Job', 'StatefulSet', 'DaemonSet', 'Deployment', 'CronJob',
               'ReplicationController')
  AND nn(obj->>'$.metadata.name') IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM owners AS o
      WHERE o.kind = s.kind AND o.name = s.obj->>'$.metadata.name'
        AND o.namespace IS NOT DISTINCT FROM nn(s.obj->>'$.metadata.namespace'));

-- ---------------------------------------------------------------- rejects
INSERT INTO rejects
SELECT (SELECT source_id FROM stage_meta), location, error, left(doc, 65536)
FROM (
    SELECT seq, location, parse_error AS error, doc FROM stage_kind WHERE parse_error IS NOT NULL
    UNION ALL
    SELECT seq, location, 'not a Kubernetes object: no kind, and neither an event nor a pod', doc
    FROM stage_kind WHERE parse_error IS NULL AND kind IS NULL
    UNION ALL
    SELECT seq, location, error, doc FROM stage_events WHERE error <> ''
    UNION ALL
    SELECT seq, location, error, doc FROM stage_pods WHERE error <> ''
    UNION ALL
    SELECT seq, location, 'pod snapshot without any timestamp to date it (use --observed-at)', doc
    FROM timed_pods WHERE observed_at IS NULL
) ORDER BY seq;

-- ---------------------------------------------------------------- this source's summary
CREATE OR REPLACE TEMP TABLE stage_summary AS
SELECT
    (SELECT count(*) FROM stage_kind WHERE kind IS NOT NULL) AS n_objects,
    (SELECT count(*) FROM rejects WHERE source_id = (SELECT source_id FROM stage_meta)) AS n_rejects,
    (SELECT count(*) FROM stage_events WHERE error = '') AS n_events,
    (SELECT count(*) FROM stage_pods WHERE error = '') AS n_pods,
    (SELECT count(*) FROM stage_kind WHERE kind IS NOT NULL AND kind NOT IN ('Event', 'Pod'))
        AS n_skipped,
    (SELECT string_agg(kind || ':' || n, ', ' ORDER BY n DESC, kind)
     FROM (SELECT kind, count(*) AS n FROM stage_kind
           WHERE kind IS NOT NULL AND kind NOT IN ('Event', 'Pod') GROUP BY kind)) AS skipped_kinds,
    least((SELECT min(first_ts) FROM stage_events WHERE error = ''),
          (SELECT min(observed_at) FROM timed_pods)) AS first_ts,
    greatest((SELECT max(last_ts) FROM stage_events WHERE error = ''),
             (SELECT max(observed_at) FROM timed_pods)) AS last_ts;

-- Normalising one source, step 2: events of both APIs into `events` (latest state wins).

-- the documents stay in `stage`: only their fields are copied (joined back by seq for raw)
CREATE OR REPLACE TEMP TABLE stage_events_raw AS
SELECT seq, f[1] AS api_version, f[2] AS namespace, f[3] AS name, f[4] AS uid,
    coalesce(f[5], f[6]) AS object_kind, coalesce(f[7], f[8], f[2]) AS object_namespace,
    coalesce(f[9], f[10]) AS object_name, coalesce(f[11], f[12]) AS object_uid,
    coalesce(f[13], f[14]) AS field_path, f[15] AS reason, coalesce(f[16], f[17]) AS message,
    f[18] AS type, coalesce(f[19], f[20], f[21]) AS raw_count,
    f[22] AS t_first, f[23] AS t_dfirst, f[24] AS t_last, f[25] AS t_dlast, f[26] AS t_event,
    f[27] AS t_series, f[28] AS t_created,
    coalesce(f[29], f[30], f[31], f[32]) AS component, coalesce(f[33], f[34], f[35]) AS host,
    f[36] AS resource_version, f[37] AS regarding_kind
FROM (
    SELECT seq,
        list_transform(json_extract_string(obj, [
            '$.apiVersion', '$.metadata.namespace', '$.metadata.name', '$.metadata.uid',
            '$.regarding.kind', '$.involvedObject.kind',
            '$.regarding.namespace', '$.involvedObject.namespace',
            '$.regarding.name', '$.involvedObject.name',
            '$.regarding.uid', '$.involvedObject.uid',
            '$.regarding.fieldPath', '$.involvedObject.fieldPath',
            '$.reason', '$.note', '$.message', '$.type',
            '$.series.count', '$.count', '$.deprecatedCount',
            '$.firstTimestamp', '$.deprecatedFirstTimestamp', '$.lastTimestamp',
            '$.deprecatedLastTimestamp', '$.eventTime', '$.series.lastObservedTime',
            '$.metadata.creationTimestamp',
            '$.reportingController', '$.reportingComponent', '$.source.component',
            '$.deprecatedSource.component',
            '$.source.host', '$.deprecatedSource.host', '$.reportingInstance',
            '$.metadata.resourceVersion', '$.regarding'
        ]), lambda v: nn(v)) AS f
    FROM stage_kind
    WHERE kind = 'Event'
);

CREATE OR REPLACE TEMP TABLE stage_events AS
SELECT *,
    coalesce(ts(t_first), ts(t_dfirst), ts(t_event), ts(t_series), ts(t_last), ts(t_dlast),
             ts(t_created)) AS first_ts,
    coalesce(ts(t_series), ts(t_last), ts(t_dlast), ts(t_event), ts(t_first), ts(t_dfirst),
             ts(t_created)) AS last_ts,
    ts(t_event) AS event_ts,
    greatest(coalesce(try_cast(raw_count AS BIGINT), 1), 1) AS count,
    concat_ws('; ',
        CASE WHEN object_kind IS NULL AND object_name IS NULL
             THEN 'event without involvedObject/regarding' END,
        CASE WHEN reason IS NULL AND message IS NULL THEN 'event without reason or message' END,
        bad_ts(t_first, 'firstTimestamp'), bad_ts(t_last, 'lastTimestamp'),
        bad_ts(t_event, 'eventTime'), bad_ts(t_series, 'series.lastObservedTime'),
        bad_ts(t_dfirst, 'deprecatedFirstTimestamp'), bad_ts(t_dlast, 'deprecatedLastTimestamp')
    ) AS error
FROM stage_events_raw;

CREATE OR REPLACE TEMP TABLE new_events AS
SELECT
    coalesce(uid, namespace || '/' || name,
             md5(concat_ws('|', object_uid, object_name, reason, message, first_ts::VARCHAR)))
        AS event_key,
    (SELECT source_id FROM stage_meta) AS source_id,
    coalesce(api_version, CASE WHEN regarding_kind IS NOT NULL THEN 'events.k8s.io/v1' ELSE 'v1' END)
        AS api_version,
    namespace, name, uid, object_kind, object_namespace, object_name, object_uid, field_path,
    nullif(regexp_extract(field_path,
        'spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]*)\}', 1), '') AS container,
    reason, message, type, count, first_ts, last_ts, event_ts, component, host, resource_version,
    seq
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
SELECT n.* EXCLUDE (seq), s.doc AS raw FROM new_events AS n JOIN stage AS s USING (seq)
WHERE NOT EXISTS (SELECT 1 FROM events AS old WHERE old.event_key = n.event_key);

INSERT INTO rejects
SELECT (SELECT source_id FROM stage_meta), s.location, e.error, left(s.doc, 65536)
FROM stage_events AS e JOIN stage AS s USING (seq) WHERE e.error <> '' ORDER BY seq;

-- Normalising sources, step 2: events of both APIs, prepared for `events` (latest state wins;
-- ingest_25_events_write.sql stores them).

-- One pass over the event documents: their fields, parsed timestamps, key and why not (error),
-- carried with the document itself (no join back to `stage` for it later).
CREATE OR REPLACE TEMP TABLE stage_events AS
WITH parsed AS (
    -- one parse per document; a field that is absent, null, or not under an object is NULL
    SELECT seq, src, obj AS raw, json_transform(obj, '{
        "apiVersion": "VARCHAR",
        "metadata": {"namespace": "VARCHAR", "name": "VARCHAR", "uid": "VARCHAR",
                     "creationTimestamp": "VARCHAR", "resourceVersion": "VARCHAR"},
        "regarding": {"kind": "VARCHAR", "namespace": "VARCHAR", "name": "VARCHAR",
                      "uid": "VARCHAR", "fieldPath": "VARCHAR"},
        "involvedObject": {"kind": "VARCHAR", "namespace": "VARCHAR", "name": "VARCHAR",
                           "uid": "VARCHAR", "fieldPath": "VARCHAR"},
        "reason": "VARCHAR", "note": "VARCHAR", "message": "VARCHAR", "type": "VARCHAR",
        "series": {"count": "VARCHAR", "lastObservedTime": "VARCHAR"},
        "count": "VARCHAR", "deprecatedCount": "VARCHAR",
        "firstTimestamp": "VARCHAR", "deprecatedFirstTimestamp": "VARCHAR",
        "lastTimestamp": "VARCHAR", "deprecatedLastTimestamp": "VARCHAR",
        "eventTime": "VARCHAR", "reportingController": "VARCHAR",
        "reportingComponent": "VARCHAR", "reportingInstance": "VARCHAR",
        "source": {"component": "VARCHAR", "host": "VARCHAR"},
        "deprecatedSource": {"component": "VARCHAR", "host": "VARCHAR"}
    }') AS e
    FROM stage_kind
    WHERE kind = 'Event'
), fields AS (
    SELECT seq, src, raw, nn(e.apiVersion) AS api_version, nn(e.metadata.namespace) AS namespace,
        nn(e.metadata.name) AS name, nn(e.metadata.uid) AS uid,
        coalesce(nn(e.regarding.kind), nn(e.involvedObject.kind)) AS object_kind,
        coalesce(nn(e.regarding.namespace), nn(e.involvedObject.namespace),
                 nn(e.metadata.namespace)) AS object_namespace,
        coalesce(nn(e.regarding.name), nn(e.involvedObject.name)) AS object_name,
        coalesce(nn(e.regarding.uid), nn(e.involvedObject.uid)) AS object_uid,
        coalesce(nn(e.regarding.fieldPath), nn(e.involvedObject.fieldPath)) AS field_path,
        nn(e.reason) AS reason, coalesce(nn(e.note), nn(e.message)) AS message,
        nn(e.type) AS type,
        coalesce(nn(e.series.count), nn(e.count), nn(e.deprecatedCount)) AS raw_count,
        nn(e.firstTimestamp) AS t_first, nn(e.deprecatedFirstTimestamp) AS t_dfirst,
        nn(e.lastTimestamp) AS t_last, nn(e.deprecatedLastTimestamp) AS t_dlast,
        nn(e.eventTime) AS t_event, nn(e.series.lastObservedTime) AS t_series,
        nn(e.metadata.creationTimestamp) AS t_created,
        coalesce(nn(e.reportingController), nn(e.reportingComponent), nn(e.source.component),
                 nn(e.deprecatedSource.component)) AS component,
        coalesce(nn(e.source.host), nn(e.deprecatedSource.host), nn(e.reportingInstance)) AS host,
        nn(e.metadata.resourceVersion) AS resource_version,
        e.regarding IS NOT NULL AS has_regarding,
        e.regarding IS NOT NULL OR e.involvedObject IS NOT NULL AS has_object
    FROM parsed
), timed AS (
    SELECT *,
        coalesce(ts(t_first), ts(t_dfirst), ts(t_event), ts(t_series), ts(t_last), ts(t_dlast),
                 ts(t_created)) AS first_ts,
        coalesce(ts(t_series), ts(t_last), ts(t_dlast), ts(t_event), ts(t_first), ts(t_dfirst),
                 ts(t_created)) AS last_ts,
        ts(t_event) AS event_ts,
        greatest(coalesce(try_cast(raw_count AS BIGINT), 1), 1) AS count,
        concat_ws('; ',
            -- (an involvedObject holding only a namespace is valid: OpenShift's bootstrap events)
            CASE WHEN NOT has_object THEN 'event without involvedObject/regarding' END,
            CASE WHEN reason IS NULL AND message IS NULL THEN 'event without reason or message' END,
            bad_ts(t_first, 'firstTimestamp'), bad_ts(t_last, 'lastTimestamp'),
            bad_ts(t_event, 'eventTime'), bad_ts(t_series, 'series.lastObservedTime'),
            bad_ts(t_dfirst, 'deprecatedFirstTimestamp'), bad_ts(t_dlast, 'deprecatedLastTimestamp')
        ) AS error
    FROM fields
)
-- (the timestamps' texts and the raw count are not kept: the checks above read them)
SELECT * EXCLUDE (t_first, t_dfirst, t_last, t_dlast, t_event, t_series, t_created, raw_count,
                  has_object),
    coalesce(uid, namespace || '/' || name,
             md5(concat_ws('|', object_uid, object_name, reason, message, first_ts::VARCHAR)))
        AS event_key
FROM timed;

-- several versions of one event in one source: only the latest state goes on (the window runs
-- over the repeated keys alone; most sources have none)
CREATE OR REPLACE TEMP TABLE stage_event_superseded AS
WITH repeated AS (
    SELECT src, event_key FROM stage_events WHERE error = '' GROUP BY src, event_key
    HAVING count(*) > 1
)
SELECT seq
FROM stage_events AS e SEMI JOIN repeated USING (src, event_key)
WHERE error = ''
QUALIFY row_number() OVER (
    PARTITION BY src, event_key
    ORDER BY count DESC, last_ts DESC NULLS LAST, try_cast(resource_version AS HUGEINT) DESC NULLS LAST,
             seq DESC) > 1;

CREATE OR REPLACE TEMP VIEW stage_events_kept AS
SELECT * FROM stage_events
WHERE error = ''
  AND NOT EXISTS (SELECT 1 FROM stage_event_superseded AS o WHERE o.seq = stage_events.seq);

INSERT INTO stage_events_latest SELECT src, max(last_ts) FROM stage_events_kept GROUP BY src;

-- the events of the source being stored (`cur`)
CREATE OR REPLACE TEMP VIEW new_events AS
SELECT
    event_key,
    (SELECT source_id FROM cur) AS source_id,
    coalesce(api_version, CASE WHEN has_regarding THEN 'events.k8s.io/v1' ELSE 'v1' END)
        AS api_version,
    namespace, name, uid, object_kind, object_namespace, object_name, object_uid, field_path,
    nullif(regexp_extract(field_path,
        'spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]*)\}', 1), '') AS container,
    reason, message, type, count, first_ts, last_ts, event_ts, component, host, resource_version,
    raw
FROM stage_events_kept
WHERE src = (SELECT src FROM cur);

INSERT INTO stage_rejects
SELECT e.src, 2, e.seq, s.location, e.error, s.doc
FROM stage_events AS e JOIN stage AS s USING (seq) WHERE e.error <> '';

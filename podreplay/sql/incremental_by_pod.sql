-- events_by_pod: the events the per-pod derive files read, under the pod each is about (its
-- involved pod, or the pod a controller's SuccessfulCreate / SuccessfulDelete message names),
-- stored ordered by (key_namespace, key_pod): the row groups' min/max then skip all but the
-- few that hold the touched pods' events, which an incremental rebuild reads from here
-- (incremental_shadows.sql) instead of looking them up among all the events. `seq` keeps the
-- order of the events table (the derive files break ties by it).
-- Run by derive.py before the derive files: for a full rebuild over an empty events_by_pod
-- (all events), for an incremental one over the events of the sources after
-- getvariable('by_pod_since') (the last source it holds): the new events and the new versions
-- of stored ones (the latest version wins in events: the stored rows of their keys go).
-- It keeps event_bounds (derive_10) in step too. {db} is the database's catalog.
CREATE TABLE IF NOT EXISTS {db}.main.events_by_pod (
    key_namespace VARCHAR,
    key_pod VARCHAR,
    seq BIGINT,
    event_key VARCHAR,
    source_id INTEGER,
    namespace VARCHAR,
    object_kind VARCHAR,
    object_namespace VARCHAR,
    object_name VARCHAR,
    object_uid VARCHAR,
    field_path VARCHAR,
    container VARCHAR,
    reason VARCHAR,
    message VARCHAR,
    type VARCHAR,
    count BIGINT,
    first_ts TIMESTAMPTZ,
    last_ts TIMESTAMPTZ,
    event_ts TIMESTAMPTZ,
    component VARCHAR,
    host VARCHAR
);

-- (derive.py sets by_pod_replaced false when the events grew by exactly the new sources' rows:
-- no stored event was replaced, and the key lookup in all the stored rows is skipped)
DELETE FROM {db}.main.events_by_pod
WHERE event_key IN (
    SELECT event_key FROM {db}.main.events
    WHERE source_id > getvariable('by_pod_since') AND getvariable('by_pod_replaced')
);

-- event_bounds: the events' time bounds per source and namespace (derive_10): the new sources'
-- added, all of them recomputed when a stored event was replaced (its source's bounds may move)
CREATE TABLE IF NOT EXISTS {db}.main.event_bounds (
    source_id INTEGER,
    namespace VARCHAR,
    about_pod BOOLEAN,
    lo TIMESTAMPTZ,
    hi TIMESTAMPTZ,
    first_ts TIMESTAMPTZ
);

DELETE FROM {db}.main.event_bounds WHERE source_id > getvariable('bounds_since');

INSERT INTO {db}.main.event_bounds
SELECT
    source_id,
    coalesce(object_namespace, namespace) AS namespace,
    coalesce(object_kind, 'Pod') = 'Pod' AS about_pod,
    min(least(first_ts, event_ts, last_ts)) AS lo,
    max(greatest(first_ts, event_ts, last_ts)) AS hi,
    min(coalesce(first_ts, event_ts, last_ts)) AS first_ts
FROM {db}.main.events
WHERE source_id > getvariable('bounds_since')
GROUP BY ALL;

-- the new rows after the stored ones, in the events table's order (its rowids only grow)
SET VARIABLE by_pod_seq = (SELECT coalesce(max(seq), -1) + 1 FROM {db}.main.events_by_pod)
    - (SELECT coalesce(min(rowid), 0) FROM {db}.main.events
        WHERE source_id > getvariable('by_pod_since'));

INSERT INTO {db}.main.events_by_pod
SELECT * FROM (
    SELECT object_namespace AS key_namespace, object_name AS key_pod,
        rowid + getvariable('by_pod_seq') AS seq, event_key, source_id, namespace, object_kind,
        object_namespace, object_name, object_uid, field_path, container, reason, message, type,
        count, first_ts, last_ts, event_ts, component, host
    FROM {db}.main.events
    WHERE source_id > getvariable('by_pod_since')
        AND coalesce(object_kind, 'Pod') = 'Pod' AND object_name IS NOT NULL
    UNION ALL
    SELECT coalesce(object_namespace, namespace),
        regexp_extract(message,
            '(?:Created pod: |[Cc]reate Pod |^Deleted pod: |^delete Pod )(\S+)', 1),
        rowid + getvariable('by_pod_seq'), event_key, source_id, namespace, object_kind,
        object_namespace, object_name, object_uid, field_path, container, reason, message, type,
        count, first_ts, last_ts, event_ts, component, host
    FROM {db}.main.events
    WHERE source_id > getvariable('by_pod_since')
        AND reason IN ('SuccessfulCreate', 'SuccessfulDelete')
)
WHERE key_namespace IS NOT NULL AND key_pod <> ''
ORDER BY key_namespace, key_pod;

-- Helpers for normalising staged objects (connection-scoped; created before each source).
-- Apply them to plain columns, not to JSON extractions: each use expands inline.

-- YAML encoders in real bundles write the string "null" for null
CREATE OR REPLACE TEMP MACRO nn(x) AS CASE WHEN x IN ('null', '', '<nil>') THEN NULL ELSE x END;
-- RFC 3339 (as kubectl prints), else Go's time.String() form "2024-03-01 02:13:00 +0000 UTC"
CREATE OR REPLACE TEMP MACRO ts(x) AS coalesce(
    try_cast(x AS TIMESTAMPTZ),
    try_strptime(regexp_replace(x, ' [A-Z]{3,4}$', ''), ['%Y-%m-%d %H:%M:%S %z', '%Y-%m-%d %H:%M:%S.%f %z'])
);
-- a timestamp field that is present but unreadable
CREATE OR REPLACE TEMP MACRO bad_ts(x, field) AS
    CASE WHEN x IS NOT NULL AND ts(x) IS NULL THEN 'bad timestamp in ' || field || ': ' || left(x, 80) END;
CREATE OR REPLACE TEMP MACRO max_ts(xs) AS list_max(list_transform(xs, lambda x: ts(nn(x))));
-- What the pods step reads of a pod object, for one json_transform (one parse of each pod):
-- strings as text (numbers and booleans as JSON writes them, as json_extract_string gives
-- them), a container's state and lastState as JSON (which of waiting/running/terminated it
-- holds, and `.*` over them, read from that small text)
CREATE OR REPLACE TEMP MACRO container_type() AS '[{"name":"VARCHAR","image":"VARCHAR",'
    || '"ready":"VARCHAR","started":"VARCHAR","restartCount":"VARCHAR","state":"JSON",'
    || '"lastState":"JSON"}]';
CREATE OR REPLACE TEMP MACRO pod_type() AS '{'
    || '"metadata":{"uid":"VARCHAR","namespace":"VARCHAR","name":"VARCHAR",'
    || '"creationTimestamp":"VARCHAR","deletionTimestamp":"VARCHAR",'
    || '"deletionGracePeriodSeconds":"VARCHAR","resourceVersion":"VARCHAR",'
    || '"ownerReferences":[{"kind":"VARCHAR","name":"VARCHAR"}]},'
    || '"spec":{"nodeName":"VARCHAR","terminationGracePeriodSeconds":"VARCHAR",'
    || '"restartPolicy":"VARCHAR"},'
    || '"status":{"startTime":"VARCHAR","phase":"VARCHAR","reason":"VARCHAR","message":"VARCHAR",'
    || '"qosClass":"VARCHAR","resize":"VARCHAR",'
    || '"conditions":[{"type":"VARCHAR","status":"VARCHAR","reason":"VARCHAR",'
    || '"lastTransitionTime":"VARCHAR","lastProbeTime":"VARCHAR"}],'
    || '"containerStatuses":' || container_type() || ','
    || '"initContainerStatuses":' || container_type() || ','
    || '"ephemeralContainerStatuses":[{"state":"JSON"}]}}';

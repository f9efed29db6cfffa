-- Normalising one source, step 1: parse, unwrap watch records, classify by kind.
-- Runs inside the source's transaction after podreplay/ingest.py filled:
--   stage(seq, location, listed, error, doc)        one JSON text per object read (or why not)
--   stage_meta(source_id, observed_at, file_ts)      one row
-- Every staged object ends up in exactly one place: events, pod_snapshots, owners/skipped
-- (other kinds, counted) or rejects (with its location and why).

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
WITH k AS (
    SELECT *, obj->>'kind' AS raw_kind,
           json_type(obj, '$.involvedObject') = 'OBJECT' OR json_type(obj, '$.regarding') = 'OBJECT'
               AS event_shaped,
           json_type(obj, '$.spec.containers') = 'ARRAY' AND json_type(obj, '$.metadata') = 'OBJECT'
               AS pod_shaped
    FROM stage_obj
)
SELECT seq, location, listed, doc, obj, watch_type, record_observed, parse_error,
       CASE
           WHEN parse_error IS NOT NULL THEN NULL
           WHEN watch_type IN ('BOOKMARK', 'ERROR') THEN 'watch ' || watch_type
           ELSE coalesce(nn(raw_kind),
                         CASE WHEN event_shaped THEN 'Event' WHEN pod_shaped THEN 'Pod' END)
       END AS kind
FROM k;

INSERT INTO rejects
SELECT (SELECT source_id FROM stage_meta), location,
       coalesce(parse_error, 'not a Kubernetes object: no kind, and neither an event nor a pod'),
       left(doc, 65536)
FROM stage_kind
WHERE kind IS NULL
ORDER BY seq;

-- Normalising sources, step 1: parse, unwrap watch records, classify by kind.
-- Runs over a batch of sources (several small files are read together: statements cost per
-- run, not per row) after podreplay/ingest_stage.py (or the fast path) filled:
--   stage(seq, location, listed, error, doc, valid, list_no, src)  one JSON text per object
--                                  read (or why not), valid: DuckDB can parse doc, list_no: its
--                                  List, src: its source within the batch
--   stage_lists(src, list_no, kind)  the kind a List gives its items (`PodList` -> `Pod`)
--   stage_meta(src, observed_at, file_ts)  one row per source
-- The steps named *_write.sql then store one source at a time, each in its own transaction,
-- reading `cur(src, source_id, cluster)`.
-- Every staged object ends up in exactly one place: events, pod_snapshots, owners/skipped
-- (other kinds, and JSON that is no Kubernetes object: counted) or rejects (with its location
-- and why). An object's kind: its own `kind`, else its List's, else its shape.
-- Speed: each document is parsed once for its strings, and once more for its types only when
-- they decide its kind (no kind of its own, or a watch record's `type`), and the big
-- texts are not copied: `stage_class` keeps small columns, the `stage_kind` view joins the
-- document back (watch records are unwrapped only when a later step reads `obj`).

CREATE OR REPLACE TEMP TABLE stage_class AS
WITH strings AS (
    SELECT seq, src, error, valid, doc, l.kind AS list_kind,
           CASE WHEN error IS NULL AND valid
                THEN json_extract_string(doc, ['$.type', '$.observedAt', '$.kind', '$.object.kind',
                                               '$.apiVersion'])
           END AS s
    FROM stage LEFT JOIN stage_lists AS l USING (src, list_no)
), parsed AS (
    -- The JSON types are read (a second parse) only where they decide something: a document
    -- with a kind of its own that is no watch record is an object (a non-object has no
    -- `$.kind`), and its kind is that kind, so its shape is never asked (['OBJECT'] stands
    -- for its types; the others are NULL and unread).
    SELECT seq, src, error, s, list_kind,
           CASE WHEN error IS NULL AND valid THEN
               CASE WHEN nn(s[3]) IS NOT NULL
                         AND coalesce(s[1] NOT IN ('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK',
                                                   'ERROR'), true)
                    THEN ['OBJECT']
                    ELSE json_type(doc, [
                        '$', '$.object', '$.involvedObject', '$.regarding', '$.spec.containers',
                        '$.metadata', '$.object.involvedObject', '$.object.regarding',
                        '$.object.spec.containers', '$.object.metadata'])
               END
           END AS t
    FROM strings
), unwrapped AS (
    SELECT seq, src, error, t, s, list_kind,
           coalesce(t IS NOT NULL AND t[1] = 'OBJECT'
                    AND s[1] IN ('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR')
                    AND t[2] = 'OBJECT', false) AS is_watch
    FROM parsed
), k AS (
    SELECT seq, src, is_watch, list_kind, s[5] AS api_version,
           CASE WHEN is_watch THEN s[1] END AS watch_type,
           CASE WHEN is_watch THEN s[2] END AS record_observed,
           CASE
               WHEN error IS NOT NULL THEN error
               WHEN t IS NULL THEN 'invalid JSON'
               WHEN t[1] <> 'OBJECT' THEN 'expected an object, got ' || lower(t[1])
           END AS parse_error,
           CASE WHEN is_watch THEN s[4] ELSE s[3] END AS raw_kind,
           CASE WHEN is_watch THEN t[7] = 'OBJECT' OR t[8] = 'OBJECT'
                ELSE t[3] = 'OBJECT' OR t[4] = 'OBJECT' END AS event_shaped,
           CASE WHEN is_watch THEN t[9] = 'ARRAY' AND t[10] = 'OBJECT'
                ELSE t[5] = 'ARRAY' AND t[6] = 'OBJECT' END AS pod_shaped
    FROM unwrapped
)
SELECT *,
       -- valid JSON with no kind, no apiVersion and no shape of ours: not a Kubernetes object
       -- (a must-gather's cpu_affinities.json, a JSON log line): skipped and counted
       parse_error IS NULL AND kind IS NULL AND NOT coalesce(is_watch, false)
           AND nn(api_version) IS NULL
           AS is_foreign
FROM (
    SELECT seq, src, is_watch, watch_type, record_observed, parse_error,
           CASE
               WHEN parse_error IS NOT NULL THEN NULL
               WHEN watch_type IN ('BOOKMARK', 'ERROR') THEN 'watch ' || watch_type
               ELSE coalesce(nn(raw_kind), nn(list_kind),
                             CASE WHEN event_shaped THEN 'Event' WHEN pod_shaped THEN 'Pod' END)
           END AS kind,
           api_version
    FROM k
);

CREATE OR REPLACE TEMP VIEW stage_kind AS
SELECT c.seq, c.src, s.location, s.listed, s.list_no, s.doc,
       CASE WHEN c.parse_error IS NOT NULL THEN NULL
            WHEN c.is_watch THEN json_extract(s.doc, '$.object')
            ELSE s.doc::JSON END AS obj,
       c.watch_type, c.record_observed, c.parse_error, c.kind, c.is_foreign
FROM stage_class AS c JOIN stage AS s USING (seq);

-- what each source rejects, stored by ingest_50_write.sql (step: the order they are stored in)
CREATE OR REPLACE TEMP TABLE stage_rejects AS
SELECT src, 1 AS step, seq, location,
       coalesce(parse_error, 'not a Kubernetes object: no kind, and neither an event nor a pod')
           AS error,
       doc
FROM stage_kind
WHERE kind IS NULL AND NOT coalesce(is_foreign, false);

-- the source being stored (set per source by podreplay/ingest_write.py; the views below read it)
CREATE OR REPLACE TEMP TABLE cur (src INTEGER, source_id INTEGER, cluster VARCHAR);

-- the latest event time of each source (ingest_20_events.sql fills it): dates its pod Lists
CREATE OR REPLACE TEMP TABLE stage_events_latest (src INTEGER, events_latest TIMESTAMPTZ);

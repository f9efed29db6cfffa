-- Normalising one source, step 5: the gap records `podreplay capture` writes
-- ({"apiVersion": "podreplay.capture/v1", "kind": "CaptureGap", "context", "namespace", "start",
-- "end", "reason"}, see docs/capture.md) become capture_gaps rows; one without a readable start
-- and end before it is a reject. A gap already stored (same cluster, scope and times) is kept once.
-- The row's cluster is the source's (`ingest --cluster`, default 'default'), not the kubectl
-- context the record names.
CREATE OR REPLACE TEMP TABLE stage_gaps AS
SELECT location, doc,
       (SELECT cluster FROM stage_meta) AS cluster, nn(obj->>'namespace') AS namespace,
       ts(obj->>'start') AS start_ts, ts(obj->>'end') AS end_ts, nn(obj->>'reason') AS reason,
       CASE
           WHEN coalesce(obj->>'apiVersion', '') <> 'podreplay.capture/v1'
               THEN 'CaptureGap of an unknown apiVersion: ' || coalesce(obj->>'apiVersion', 'none')
           WHEN ts(obj->>'start') IS NULL OR ts(obj->>'end') IS NULL
               THEN 'CaptureGap without a readable start and end'
           WHEN ts(obj->>'end') < ts(obj->>'start') THEN 'CaptureGap ends before it starts'
       END AS error
FROM stage_kind
WHERE kind = 'CaptureGap';

INSERT INTO rejects
SELECT (SELECT source_id FROM stage_meta), location, error, left(doc, 65536)
FROM stage_gaps
WHERE error IS NOT NULL;

INSERT INTO capture_gaps
SELECT DISTINCT (SELECT source_id FROM stage_meta), cluster, namespace, start_ts, end_ts, reason
FROM stage_gaps AS g
WHERE error IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM capture_gaps AS c
      WHERE c.cluster IS NOT DISTINCT FROM g.cluster
        AND c.namespace IS NOT DISTINCT FROM g.namespace
        AND c.start_ts = g.start_ts AND c.end_ts = g.end_ts);

-- Normalising sources, step 5: the gap records `podreplay capture` writes
-- ({"apiVersion": "podreplay.capture/v1", "kind": "CaptureGap", "context", "namespace", "start",
-- "end", "reason"}, see docs/capture.md), checked over the whole batch; ingest_55_gaps_write.sql
-- stores each source's. One without a readable start and end before it is a reject.
CREATE OR REPLACE TEMP TABLE stage_gaps AS
SELECT src, seq, location, doc,
       nn(obj->>'namespace') AS namespace,
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

INSERT INTO stage_rejects
SELECT src, 5, seq, location, error, doc FROM stage_gaps WHERE error IS NOT NULL;

-- Storing one source's capture gaps (`cur`, inside its transaction). The row's cluster is the
-- source's (`ingest --cluster`, default 'default'), not the kubectl context the record names. A
-- gap already stored (same cluster, scope and times) is kept once.
INSERT INTO capture_gaps
SELECT DISTINCT (SELECT source_id FROM cur), (SELECT cluster FROM cur), namespace, start_ts,
       end_ts, reason
FROM stage_gaps AS g
WHERE src = (SELECT src FROM cur) AND error IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM capture_gaps AS c
      WHERE c.cluster = (SELECT cluster FROM cur)
        AND c.namespace IS NOT DISTINCT FROM g.namespace
        AND c.start_ts = g.start_ts AND c.end_ts = g.end_ts);

-- evidence_gaps: where each pod's evidence stops, as the start of a stretch whose state is
-- unknown (the interval files turn each into a `gap` interval lasting until the next
-- observation of the pod, its deletion or its scope end):
-- * `after_last_evidence`: the pod's last observation (pods.evidence_to), when the pod is not
--   known gone then and its capture scope went on;
-- * `capture_gap`: the start of a capture_gaps stretch of the pod's cluster and namespace (or of
--   every namespace) within the pod's life; end_ts is where the stretch ends (the interval files
--   resume with the pod's first observation from then on).
CREATE OR REPLACE TABLE evidence_gaps AS
SELECT pod_uid, evidence_to AS ts, 'after_last_evidence' AS reason, NULL::TIMESTAMPTZ AS end_ts
FROM pods
WHERE evidence_to < coalesce(deleted_at, scope_end)
UNION
SELECT p.pod_uid, greatest(g.start_ts, p.created_at), 'capture_gap', g.end_ts
FROM capture_gaps AS g
JOIN pods AS p
    ON p.cluster = g.cluster
    AND (g.namespace IS NULL OR g.namespace = p.namespace)
    AND g.start_ts < least(p.evidence_to, coalesce(p.deleted_at, p.scope_end))
    AND g.end_ts > p.created_at
ORDER BY pod_uid, ts;

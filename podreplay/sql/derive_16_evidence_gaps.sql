-- evidence_gaps: where each pod's evidence stops, as the start of a stretch whose state is
-- unknown (the interval files turn each into a `gap` interval lasting until the next
-- observation of the pod, its deletion or its scope end):
-- * `after_last_evidence`: the pod's last observation (pods.evidence_to), when the pod is not
--   known gone then and its capture scope went on;
-- * `capture_gap`: the start of a capture_gaps stretch of the pod's cluster and namespace (or of
--   every namespace) within the pod's life; end_ts is where the stretch ends (the interval files
--   resume with the pod's first observation from then on);
-- * `between_captures`: the pod's last observation in one source group when a later, separate
--   group shows it again (two captures hours or months apart say nothing of the time between);
--   end_ts is its first observation in that later group.
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
UNION
SELECT pod_uid, grp_last, 'between_captures', next_first
FROM (
    SELECT
        pod_uid, max(hi) AS grp_last,
        lead(min(lo)) OVER (PARTITION BY pod_uid ORDER BY min(lo)) AS next_first
    FROM (
        SELECT s.pod_uid, g.grp, s.observed_at AS lo, s.observed_at AS hi
        FROM pod_snapshots AS s JOIN source_groups AS g ON g.source_id = s.source_id
        UNION ALL
        SELECT e.pod_uid, g.grp, e.first_ts, e.last_ts
        FROM pod_events AS e JOIN source_groups AS g ON g.source_id = e.source_id
    )
    GROUP BY pod_uid, grp
)
WHERE next_first > grp_last
ORDER BY pod_uid, ts;

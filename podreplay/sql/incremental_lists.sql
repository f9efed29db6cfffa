-- After a first pass over the touched pods (temp.main.pods recomputed): the pods a List may now
-- prove gone, or no longer, though none of their own evidence changed (derive_15 `vanished`:
-- the first List of the pod's namespace after its last evidence proves it gone when the List
-- continues its capture, continues_from <= evidence_to). Such a pod is touched when its
-- evidence_to lies
-- * between a List's continues_from before and now (a touched pod it shows was first seen at
--   another time), before that List;
-- * before a List view that is new or gone, and not before an older List of the namespace
--   (the first List after its evidence may be another one now).
-- Their names go to list_names; derive.py runs the pass again when it holds a new one.
CREATE OR REPLACE TEMP TABLE list_names AS
WITH candidates AS (
    -- the Lists whose continues_from can have moved: those showing a touched pod, and the
    -- views that are new or gone
    SELECT DISTINCT source_id, observed_at FROM list_members SEMI JOIN rebuild_pods USING (pod_uid)
    UNION
    SELECT source_id, observed_at FROM (
        (SELECT * FROM list_views EXCEPT SELECT * FROM before_list_views)
        UNION ALL
        (SELECT * FROM before_list_views EXCEPT SELECT * FROM list_views)
    )
),
-- each candidate List's members with their first sightings before (the database's pods) and
-- now (the recomputed pods, and kept_first_seen: the database's for the pods outside
-- kept_from_db): one pass over the members for both
member_first AS (
    SELECT m.source_id, m.observed_at,
        b.first_seen AS before_first,
        b.pod_uid IS NOT NULL AS before_known,
        least(CASE WHEN r.pod_uid IS NULL THEN b.first_seen END, t.first_seen) AS now_first,
        (r.pod_uid IS NULL AND b.pod_uid IS NOT NULL) OR t.pod_uid IS NOT NULL AS now_known
    FROM list_members AS m
    SEMI JOIN candidates AS c ON c.source_id = m.source_id AND c.observed_at = m.observed_at
    LEFT JOIN {db}.main.pods AS b ON b.pod_uid = m.pod_uid
    LEFT JOIN kept_from_db AS r ON r.pod_uid = m.pod_uid
    LEFT JOIN temp.main.pods AS t ON t.pod_uid = m.pod_uid
),
list_first AS (
    SELECT source_id, observed_at,
        min(before_first) FILTER (WHERE before_known) AS before_from,
        bool_or(before_known) AS before_known,
        min(now_first) FILTER (WHERE now_known) AS now_from,
        bool_or(now_known) AS now_known
    FROM member_first
    GROUP BY ALL
),
now_ AS (
    SELECT DISTINCT lv.source_id, lv.observed_at, lv.cluster, lv.grp, lv.namespace,
        f.now_from AS continues_from
    FROM list_views AS lv
    JOIN list_first AS f ON f.source_id = lv.source_id AND f.observed_at = lv.observed_at
    WHERE f.now_known
),
before_ AS (
    SELECT DISTINCT lv.source_id, lv.observed_at, lv.cluster, lv.grp, lv.namespace,
        f.before_from AS continues_from
    FROM before_list_views AS lv
    JOIN list_first AS f ON f.source_id = lv.source_id AND f.observed_at = lv.observed_at
    WHERE f.before_known
),
moved AS (
    SELECT
        coalesce(n.cluster, b.cluster) AS cluster,
        coalesce(n.namespace, b.namespace) AS namespace,
        coalesce(n.observed_at, b.observed_at) AS observed_at,
        n.source_id IS NOT NULL AND b.source_id IS NOT NULL AS kept,
        least(n.continues_from, b.continues_from) AS lo,
        greatest(n.continues_from, b.continues_from) AS hi
    FROM now_ AS n
    FULL JOIN before_ AS b
        ON b.source_id = n.source_id AND b.observed_at = n.observed_at
        AND b.cluster = n.cluster AND b.grp = n.grp AND b.namespace = n.namespace
    WHERE n.continues_from IS DISTINCT FROM b.continues_from
),
ranges AS (
    -- a List kept: between its two continues_from; a List new or gone: since the List before it
    SELECT m.cluster, m.namespace, m.observed_at,
        CASE WHEN m.kept THEN m.lo ELSE (
            SELECT CASE WHEN count(*) = count(o.prev) THEN min(o.prev) END
            FROM (
                SELECT (SELECT max(o.observed_at) FROM list_views AS o
                    WHERE o.cluster = m.cluster AND o.namespace = m.namespace
                        AND o.observed_at < m.observed_at) AS prev
                UNION ALL
                SELECT (SELECT max(o.observed_at) FROM before_list_views AS o
                    WHERE o.cluster = m.cluster AND o.namespace = m.namespace
                        AND o.observed_at < m.observed_at)
            ) AS o
        ) END AS lo,
        CASE WHEN m.kept THEN m.hi END AS hi
    FROM moved AS m
)
SELECT DISTINCT p.namespace, p.pod
FROM {db}.main.pods AS p
JOIN ranges AS r
    ON r.cluster = p.cluster AND r.namespace = p.namespace
    AND p.evidence_to < r.observed_at
    AND (r.lo IS NULL OR p.evidence_to >= r.lo)
    AND (r.hi IS NULL OR p.evidence_to < r.hi)
ANTI JOIN rebuild_names AS t ON t.namespace = p.namespace AND t.pod = p.pod;

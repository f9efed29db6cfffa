-- The events' time bounds per source and namespace, read once for the four tables below
-- (min/max of these per-group bounds are the same as over the events): event_bounds, which
-- derive.py keeps in step with the events before this file runs (incremental_by_pod.sql).
-- about_pod: the events a capture scope counts (involvedObject a Pod, or of no kind).
CREATE OR REPLACE TEMP TABLE source_event_bounds AS
SELECT source_id, namespace, about_pod, lo, hi, first_ts FROM event_bounds;

-- capture_span: one row, the time all captures together cover (the latest observation over all
-- sources: a snapshot's observation time or the latest event timestamp).
CREATE OR REPLACE TABLE capture_span AS
WITH bounds AS (
    SELECT min(observed_at) AS lo, max(observed_at) AS hi FROM pod_snapshots
    UNION ALL
    SELECT min(lo), max(hi) FROM source_event_bounds
)
SELECT min(lo) AS start_ts, max(hi) AS end_ts FROM bounds;

-- source_groups: the sources of one cluster whose time ranges overlap or follow each other
-- within an hour were captured together (a watch beside an event capture, Lists minutes apart);
-- group_end is the latest time any of them shows. A watch stream or an event capture is taken to
-- have run until its group ended. Captures further apart (two years, two incidents) are separate
-- groups: one never extends the other's pods.
CREATE OR REPLACE TABLE source_groups AS
WITH shown AS (
    SELECT source_id, min(observed_at) AS lo, max(observed_at) AS hi
    FROM pod_snapshots
    GROUP BY source_id
    UNION ALL
    SELECT source_id, min(lo), max(hi)
    FROM source_event_bounds
    GROUP BY source_id
),
ranges AS (
    SELECT sh.source_id, coalesce(any_value(s.cluster), 'default') AS cluster,
        min(sh.lo) AS first_ts, max(sh.hi) AS last_ts
    FROM shown AS sh
    LEFT JOIN sources AS s ON s.source_id = sh.source_id
    GROUP BY sh.source_id
),
ordered AS (
    SELECT
        source_id, cluster, first_ts, last_ts,
        max(last_ts) OVER (
            PARTITION BY cluster ORDER BY first_ts, source_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS reach
    FROM ranges
),
numbered AS (
    SELECT
        *,
        sum(CASE WHEN reach IS NULL OR first_ts > reach + INTERVAL 1 HOUR THEN 1 ELSE 0 END)
            OVER (PARTITION BY cluster ORDER BY first_ts, source_id) AS grp
    FROM ordered
)
SELECT
    source_id, cluster, grp,
    min(first_ts) OVER (PARTITION BY cluster, grp) AS group_start,
    max(last_ts) OVER (PARTITION BY cluster, grp) AS group_end
FROM numbered;

-- list_views: every pod List that could prove a pod gone, per namespace it covers: the pods of
-- one source observed at one time (not watch records). A List showing pods of several
-- namespaces (`get pods -A`, a cluster-info dump) covers every namespace of its cluster seen by
-- then. derive_15 only lets a List prove a pod gone when it continues the pod's capture.
CREATE OR REPLACE TABLE list_views AS
WITH snaps AS (
    SELECT ps.source_id, ps.observed_at, ps.namespace, ps.pod_uid, g.cluster, g.grp
    FROM pod_snapshots AS ps
    JOIN source_groups AS g ON g.source_id = ps.source_id
    WHERE ps.watch_type IS NULL
),
views AS (
    SELECT
        source_id, observed_at, cluster, grp,
        count(DISTINCT namespace) AS n_ns,
        list(DISTINCT namespace) AS namespaces
    FROM snaps
    GROUP BY ALL
),
cluster_ns AS (
    SELECT g.cluster, g.grp, e.namespace, min(e.first_ts) AS first_ts
    FROM source_event_bounds AS e JOIN source_groups AS g ON g.source_id = e.source_id
    GROUP BY ALL
    UNION ALL
    SELECT cluster, grp, namespace, min(observed_at) FROM snaps GROUP BY ALL
)
SELECT v.source_id, v.observed_at, v.cluster, v.grp, unnest(v.namespaces) AS namespace
FROM views AS v
WHERE v.n_ns = 1
UNION
SELECT v.source_id, v.observed_at, v.cluster, v.grp, c.namespace
FROM views AS v
JOIN cluster_ns AS c
    ON c.cluster = v.cluster AND c.grp = v.grp AND c.first_ts <= v.observed_at
WHERE v.n_ns > 1;

-- capture_scopes: per cluster and namespace, the first and last observation that would have
-- shown a pod of it. A namespace that pod snapshots cover ends with its last List or with the
-- end of the source group of a watch stream that showed it; events show only pods that did
-- something, so they set the end only of namespaces no snapshot covers (their source group's).
CREATE OR REPLACE TABLE capture_scopes AS
WITH snap AS (
    SELECT
        g.cluster, g.grp, ps.namespace, min(ps.observed_at) AS lo,
        greatest(max(ps.observed_at), max(g.group_end) FILTER (WHERE ps.watch_type IS NOT NULL))
            AS hi
    FROM pod_snapshots AS ps
    JOIN source_groups AS g ON g.source_id = ps.source_id
    GROUP BY ALL
    UNION ALL
    SELECT cluster, grp, namespace, min(observed_at), max(observed_at)
    FROM list_views
    GROUP BY ALL
),
snap_ns AS (
    SELECT cluster, grp, namespace, min(lo) AS lo, max(hi) AS hi FROM snap GROUP BY ALL
),
ev_ns AS (
    SELECT g.cluster, g.grp, e.namespace,
        min(e.lo) AS lo, greatest(max(e.hi), max(g.group_end)) AS hi
    FROM source_event_bounds AS e
    JOIN source_groups AS g ON g.source_id = e.source_id
    WHERE e.about_pod
    GROUP BY ALL
)
SELECT
    coalesce(sn.cluster, ev.cluster) AS cluster,
    coalesce(sn.namespace, ev.namespace) AS namespace,
    least(sn.lo, ev.lo) AS first_ts,
    coalesce(sn.hi, ev.hi) AS last_ts,
    coalesce(sn.grp, ev.grp) AS source_group
FROM snap_ns AS sn
FULL JOIN ev_ns AS ev
    ON ev.cluster = sn.cluster AND ev.grp = sn.grp
    AND ev.namespace IS NOT DISTINCT FROM sn.namespace
ORDER BY cluster, source_group, namespace;

DROP TABLE source_event_bounds;

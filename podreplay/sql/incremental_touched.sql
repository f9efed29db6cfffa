-- The pod names an incremental rebuild recomputes (rebuild_names; incremental_shadows.sql turns
-- them into uids and shadow tables). Run by derive.py after derive_10 recomputed the global tables, with
-- before_* holding the global tables as the previous rebuild left them, getvariable
-- ('rebuild_since') the last source_id that rebuild covered and {db} the database's catalog.
-- A pod is touched (by its namespace and name: events and snapshots meet by name, and a name
-- gives the uid of every pod that had it) when:
-- * a new source has an event or a snapshot of it, an earlier state of one of its events, or
--   a controller's SuccessfulCreate / SuccessfulDelete event naming it (its creation time, its
--   deleter);
-- * a source it has evidence in changed source group or group end (its source group, the end
--   of a watch that showed it, the gaps between captures);
-- * its cluster and namespace's capture scope ended elsewhere (its scope_end);
-- * a List that could prove it gone is new, or continues from another time than before (it
--   shows a touched pod whose first sighting moved: incremental_lists.sql, after a first pass);
-- * a new capture gap covers its cluster and namespace, or an owner record names its owner.
CREATE OR REPLACE TEMP TABLE new_sources AS
SELECT source_id, cluster FROM {db}.main.sources WHERE source_id > getvariable('rebuild_since');

CREATE OR REPLACE TEMP TABLE rebuild_names AS
SELECT e.object_namespace AS namespace, e.object_name AS pod
FROM {db}.main.events AS e
SEMI JOIN new_sources AS n ON n.source_id = e.source_id
WHERE coalesce(e.object_kind, 'Pod') = 'Pod' AND e.object_name IS NOT NULL
UNION
SELECT coalesce(e.object_namespace, e.namespace), coalesce(
    nullif(regexp_extract(e.message, 'Created pod: (\S+)', 1), ''),
    nullif(regexp_extract(e.message, '[Cc]reate Pod (\S+) in StatefulSet', 1), ''),
    nullif(regexp_extract(e.message, '^Deleted pod: (\S+)', 1), ''),
    nullif(regexp_extract(e.message, '^delete Pod (\S+) in', 1), ''))
FROM {db}.main.events AS e
SEMI JOIN new_sources AS n ON n.source_id = e.source_id
WHERE e.reason IN ('SuccessfulCreate', 'SuccessfulDelete')
UNION
SELECT ps.namespace, ps.pod
FROM {db}.main.pod_snapshots AS ps
SEMI JOIN new_sources AS n ON n.source_id = ps.source_id
;

-- the sources whose group changed (new sources included)
CREATE OR REPLACE TEMP TABLE moved_sources AS
SELECT source_id FROM (
    SELECT source_id, cluster, grp, group_end FROM source_groups
    EXCEPT
    SELECT source_id, cluster, grp, group_end FROM before_source_groups
);

CREATE OR REPLACE TEMP TABLE moved_scopes AS
SELECT DISTINCT cluster, namespace FROM (
    (SELECT cluster, namespace, source_group, last_ts FROM capture_scopes
    EXCEPT SELECT cluster, namespace, source_group, last_ts FROM before_capture_scopes)
    UNION ALL
    (SELECT cluster, namespace, source_group, last_ts FROM before_capture_scopes
    EXCEPT SELECT cluster, namespace, source_group, last_ts FROM capture_scopes)
);

INSERT INTO rebuild_names
SELECT namespace, pod FROM {db}.main.pods AS p
WHERE EXISTS (
    SELECT 1 FROM moved_scopes AS m
    WHERE m.cluster = p.cluster AND m.namespace IS NOT DISTINCT FROM p.namespace
)
OR EXISTS (
    SELECT 1 FROM {db}.main.capture_gaps AS g
    WHERE g.source_id > getvariable('rebuild_since') AND g.cluster = p.cluster
        AND (g.namespace IS NULL OR g.namespace = p.namespace)
)
OR EXISTS (
    SELECT 1 FROM (
        SELECT namespace, kind, name, owner_kind, owner_name FROM {db}.main.owners
        EXCEPT SELECT namespace, kind, name, owner_kind, owner_name FROM before_owners
    ) AS o
    WHERE o.namespace = p.namespace AND o.kind = p.owner_kind AND o.name = p.owner_name
)
UNION
SELECT namespace, pod FROM {db}.main.pod_events SEMI JOIN moved_sources USING (source_id)
UNION
SELECT namespace, pod FROM {db}.main.pod_snapshots SEMI JOIN moved_sources USING (source_id);


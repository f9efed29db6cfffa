-- The uids of the touched names (rebuild_names) and the shadows of the fact tables: temporary
-- tables of the same names holding only those pods' rows, which the derive files read instead
-- of the database's ({db}). Run again when incremental_lists.sql touched more names.
CREATE OR REPLACE TEMP TABLE rebuild_names AS SELECT DISTINCT namespace, pod FROM rebuild_names;

-- every uid those names had or have (derive_12 adds the surrogate uids it makes)
CREATE OR REPLACE TEMP TABLE rebuild_pods AS
SELECT pod_uid FROM {db}.main.pod_events SEMI JOIN rebuild_names USING (namespace, pod)
UNION
SELECT pod_uid FROM {db}.main.pod_snapshots SEMI JOIN rebuild_names USING (namespace, pod)
UNION
SELECT pod_uid FROM {db}.main.pods SEMI JOIN rebuild_names USING (namespace, pod);

-- derive_15: each List's members, and when the pods not recomputed were first seen
CREATE OR REPLACE TEMP VIEW list_members AS
SELECT source_id, observed_at, pod_uid FROM {db}.main.pod_snapshots WHERE watch_type IS NULL;

CREATE OR REPLACE TEMP TABLE kept_first_seen AS
SELECT pod_uid, first_seen FROM {db}.main.pods ANTI JOIN rebuild_pods USING (pod_uid);

-- the pods kept_first_seen leaves out (incremental_lists.sql; derive_12 adds to rebuild_pods)
CREATE OR REPLACE TEMP TABLE kept_from_db AS SELECT pod_uid FROM rebuild_pods;

-- the shadows, in the order of the tables (the derive files break ties by it)
-- (the events' documents stay behind: no derive file reads them). The events of the names
-- new to this pass (new_names: all of them in the first pass, the names incremental_lists.sql
-- added in the next) join those of the passes before (shadow_events, by rowid): a second pass
-- does not look up the first pass's pods again. The events about a pod, and the controllers'
-- events naming it: any of the forms derive_15 and derive_70 read.
CREATE OR REPLACE TEMP TABLE shadow_event_rows AS
(
    SELECT e.rowid AS r
    FROM {db}.main.events AS e
    SEMI JOIN new_names AS n ON n.namespace = e.object_namespace AND n.pod = e.object_name
    WHERE coalesce(e.object_kind, 'Pod') = 'Pod'
    UNION
    SELECT r FROM (
        SELECT rowid AS r, coalesce(object_namespace, namespace) AS namespace,
            regexp_extract(message,
                '(?:Created pod: |[Cc]reate Pod |^Deleted pod: |^delete Pod )(\S+)', 1) AS pod
        FROM {db}.main.events
        WHERE reason IN ('SuccessfulCreate', 'SuccessfulDelete')
    ) AS c
    SEMI JOIN new_names AS n ON n.namespace = c.namespace AND n.pod = c.pod
)
EXCEPT
SELECT r FROM shadow_events;

-- (the event's own name, uid, apiVersion and resourceVersion stay NULL: no derive file after
-- derive_10 reads them, and the zstd columns name and uid cost a third of this fetch)
INSERT INTO shadow_events
SELECT * EXCLUDE (raw) REPLACE (NULL::VARCHAR AS name, NULL::VARCHAR AS uid,
    NULL::VARCHAR AS api_version, NULL::VARCHAR AS resource_version), rowid AS r
FROM {db}.main.events
WHERE rowid IN (SELECT r FROM shadow_event_rows);

CREATE OR REPLACE TEMP TABLE events AS
SELECT * EXCLUDE (r) FROM shadow_events ORDER BY r;

CREATE OR REPLACE TEMP TABLE event_versions AS
SELECT * FROM {db}.main.event_versions AS v
WHERE v.event_key IN (SELECT event_key FROM temp.main.events)
ORDER BY v.rowid;

CREATE OR REPLACE TEMP TABLE pod_snapshots AS
SELECT * FROM {db}.main.pod_snapshots WHERE pod_uid IN (SELECT pod_uid FROM rebuild_pods)
ORDER BY rowid;

CREATE OR REPLACE TEMP TABLE container_snapshots AS
SELECT * FROM {db}.main.container_snapshots WHERE pod_uid IN (SELECT pod_uid FROM rebuild_pods)
ORDER BY rowid;

CREATE OR REPLACE TEMP TABLE condition_snapshots AS
SELECT * FROM {db}.main.condition_snapshots WHERE pod_uid IN (SELECT pod_uid FROM rebuild_pods)
ORDER BY rowid;

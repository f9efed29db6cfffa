-- The uids of the touched names (rebuild_names) and the shadows of the fact tables: temporary
-- tables of the same names holding only those pods' rows, which the derive files read instead
-- of the database's ({db}). Run again when incremental_lists.sql touched more names.
CREATE OR REPLACE TEMP TABLE rebuild_names AS SELECT DISTINCT namespace, pod FROM rebuild_names;

-- every uid the names new to this pass had or have (derive_12 adds the surrogate uids it makes)
INSERT INTO rebuild_pods
SELECT pod_uid FROM {db}.main.pod_events SEMI JOIN new_names USING (namespace, pod)
UNION
SELECT pod_uid FROM {db}.main.pod_snapshots SEMI JOIN new_names USING (namespace, pod)
UNION
SELECT pod_uid FROM {db}.main.pods SEMI JOIN new_names USING (namespace, pod)
EXCEPT
SELECT pod_uid FROM rebuild_pods;

-- derive_15: each List's members, and when the pods not recomputed were first seen
CREATE OR REPLACE TEMP VIEW list_members AS
SELECT source_id, observed_at, pod_uid FROM {db}.main.pod_snapshots WHERE watch_type IS NULL;

DELETE FROM kept_first_seen WHERE pod_uid IN (SELECT pod_uid FROM rebuild_pods);

-- the pods kept_first_seen leaves out (incremental_lists.sql; derive_12 adds to rebuild_pods)
CREATE OR REPLACE TEMP TABLE kept_from_db AS SELECT pod_uid FROM rebuild_pods;

-- the shadows, in the order of the tables (the derive files break ties by it)
-- (the events' documents stay behind: no derive file reads them). The events of the names
-- new to this pass (new_names: all of them in the first pass, the names incremental_lists.sql
-- added in the next) join those of the passes before (shadow_events, by `seq`, the events
-- table's order): a second pass does not look up the first pass's pods again. The events
-- about a pod, and the controllers' events naming it, come from events_by_pod (stored by pod:
-- its row groups' min/max skip the other pods'; incremental_by_pod.sql). The event's own
-- name, uid, apiVersion and resourceVersion stay NULL: no derive file after derive_10 reads
-- them.
INSERT INTO shadow_events BY NAME
SELECT * EXCLUDE (key_namespace, key_pod, seq), seq AS r FROM (
    SELECT DISTINCT ON (e.seq) e.*
    FROM {db}.main.events_by_pod AS e
    SEMI JOIN new_names AS n ON n.namespace = e.key_namespace AND n.pod = e.key_pod
) AS e
WHERE e.seq NOT IN (SELECT r FROM shadow_events);

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

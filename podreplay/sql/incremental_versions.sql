-- Run by derive.py after incremental_touched.sql, when the ingest added event
-- versions: earlier states of a stored event a new source showed touch the event's pod
-- (event_versions is only appended to; the stored event row may still be the old source's,
-- holding the higher count).
INSERT INTO rebuild_names
SELECT e.object_namespace, e.object_name
FROM {db}.main.events AS e
WHERE e.object_name IS NOT NULL AND e.event_key IN (
    SELECT event_key FROM {db}.main.event_versions
    WHERE rowid >= (SELECT n_event_versions FROM before_counts)
);

-- Storing one source's events (`cur`, inside its transaction): the latest state wins.

-- the stored events with the key of an incoming one, each beside it: one lookup among the
-- stored events for the three statements below
CREATE OR REPLACE TEMP TABLE stored_pairs AS
SELECT o.rowid AS r, o.event_key, o.count AS o_count, o.last_ts AS o_last_ts,
    n.reason AS n_reason, n.count AS n_count, n.last_ts AS n_last_ts
FROM events AS o
JOIN (SELECT event_key, reason, count, last_ts FROM new_events) AS n
    ON o.event_key = n.event_key;

-- the states of Unhealthy events whose count grows (a watch stream repeats the object, a later
-- capture stores a higher count) before the latest state wins: each dates one occurrence
INSERT INTO event_versions
SELECT event_key, count, last_ts FROM (
    SELECT event_key, count, last_ts
    FROM stage_events
    WHERE src = (SELECT src FROM cur) AND error = '' AND reason = 'Unhealthy'
        AND last_ts IS NOT NULL AND event_key IN (
            SELECT event_key FROM stage_events
            WHERE src = (SELECT src FROM cur) AND error = '' AND reason = 'Unhealthy'
            GROUP BY event_key HAVING count(*) > 1)
    UNION
    SELECT unnest([event_key, event_key]), unnest([n_count, o_count]),
        unnest([n_last_ts, o_last_ts])
    FROM stored_pairs
    WHERE n_reason = 'Unhealthy' AND o_count <> n_count
        AND n_last_ts IS NOT NULL AND o_last_ts IS NOT NULL
    EXCEPT
    SELECT event_key, count, last_ts FROM event_versions
);

-- latest state wins: drop stored versions that are not newer than the incoming one
CREATE OR REPLACE TEMP TABLE superseded_rows AS
SELECT DISTINCT r FROM stored_pairs
WHERE n_count > o_count
    OR (n_count = o_count AND coalesce(n_last_ts, 'epoch'::TIMESTAMPTZ)
                              >= coalesce(o_last_ts, 'epoch'::TIMESTAMPTZ));

DELETE FROM events WHERE rowid IN (SELECT r FROM superseded_rows);

INSERT INTO events
SELECT * FROM new_events AS n
WHERE NOT EXISTS (
    SELECT 1 FROM stored_pairs AS o
    WHERE o.event_key = n.event_key AND o.r NOT IN (SELECT r FROM superseded_rows)
);

DROP TABLE stored_pairs;
DROP TABLE superseded_rows;

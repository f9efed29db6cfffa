-- Storing one source's events (`cur`, inside its transaction): the latest state wins.

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
    SELECT unnest([n.event_key, o.event_key]), unnest([n.count, o.count]),
        unnest([n.last_ts, o.last_ts])
    FROM (SELECT event_key, count, last_ts FROM new_events WHERE reason = 'Unhealthy') AS n
    JOIN events AS o ON o.event_key = n.event_key AND o.count <> n.count
    WHERE n.last_ts IS NOT NULL AND o.last_ts IS NOT NULL
    EXCEPT
    SELECT event_key, count, last_ts FROM event_versions
);

-- latest state wins: drop stored versions that are not newer than the incoming one
DELETE FROM events AS old
USING new_events AS n
WHERE old.event_key = n.event_key
  AND (n.count > old.count
       OR (n.count = old.count AND coalesce(n.last_ts, 'epoch'::TIMESTAMPTZ)
                                   >= coalesce(old.last_ts, 'epoch'::TIMESTAMPTZ)));

INSERT INTO events
SELECT * FROM new_events AS n
WHERE NOT EXISTS (SELECT 1 FROM events AS old WHERE old.event_key = n.event_key);

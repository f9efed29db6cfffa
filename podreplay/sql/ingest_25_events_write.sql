-- Storing one source's events (`cur`, inside its transaction): the latest state wins.

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

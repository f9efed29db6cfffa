-- capture_span: one row, the time the captures cover. The end is the latest observation over all
-- sources (a snapshot's observation time or the latest event timestamp); intervals still running
-- then are `open` and end there.
CREATE OR REPLACE TABLE capture_span AS
WITH bounds AS (
    SELECT min(observed_at) AS lo, max(observed_at) AS hi FROM pod_snapshots
    UNION ALL
    SELECT
        min(least(first_ts, event_ts, last_ts)),
        max(greatest(first_ts, event_ts, last_ts))
    FROM events
)
SELECT min(lo) AS start_ts, max(hi) AS end_ts FROM bounds;

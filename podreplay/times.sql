-- The capture span (podreplay/times.py). {at} is empty for the store's own database, or
-- `"CATALOG".` for one attached under that name.

-- name: has_table
-- Whether the database attached as $catalog has the table $name.
SELECT count(*) FROM information_schema.tables
WHERE table_catalog = $catalog AND table_name = $name

-- name: span
SELECT start_ts, end_ts FROM {at}capture_span LIMIT 1

-- name: span_from_evidence
-- A database not rebuilt yet: the span computed from the snapshots and events, as the
-- derived capture_span table computes it.
SELECT
    least((SELECT min(observed_at) FROM {at}pod_snapshots),
          (SELECT min(least(first_ts, event_ts, last_ts)) FROM {at}events)),
    greatest((SELECT max(observed_at) FROM {at}pod_snapshots),
             (SELECT max(greatest(first_ts, event_ts, last_ts)) FROM {at}events))

-- probe_failures: one row per failure burst, that is per Unhealthy event object (the kubelet
-- aggregates repeats of one message into one object: count = occurrences, first and last
-- occurrence). Several objects of one container and probe are several rows, never folded into
-- one span. Extra columns: `event_key` (the events row), `period_s` (the probe's periodSeconds,
-- probe_specs) and `one_burst`: the occurrences fit one run a probe period apart
-- (last - first <= (count - 1) * period + 2 s); false when the object holds several bursts that
-- the capture cannot tell apart (only their first and last occurrence are known).
CREATE OR REPLACE TABLE probe_failures AS
SELECT
    e.pod_uid,
    e.container,
    e.probe,
    e.first_ts,
    e.last_ts,
    e.count::BIGINT AS count,
    e.message,
    e.event_key,
    coalesce(s.period_s, 10) AS period_s,
    epoch(e.last_ts) - epoch(e.first_ts) <= (e.count - 1) * coalesce(s.period_s, 10) + 2
        AS one_burst
FROM pod_events AS e
LEFT JOIN probe_specs AS s
    ON s.pod_uid = e.pod_uid AND s.container = e.container AND s.is_init = e.is_init
    AND s.probe = e.probe
WHERE e.probe IS NOT NULL
ORDER BY e.pod_uid, e.container, e.probe, e.first_ts, e.event_key;

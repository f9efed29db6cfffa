-- probe_failures: Unhealthy events grouped per pod, container and probe kind; aggregated events
-- count as their `count` occurrences.
CREATE OR REPLACE TABLE probe_failures AS
SELECT
    pod_uid,
    container,
    probe,
    min(first_ts) AS first_ts,
    max(last_ts) AS last_ts,
    sum(count)::BIGINT AS count,
    arg_max(message, last_ts) AS message
FROM pod_events
WHERE probe IS NOT NULL
GROUP BY pod_uid, container, probe
ORDER BY pod_uid, container, probe;

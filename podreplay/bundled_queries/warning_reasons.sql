-- name: warning_reasons
-- description: Warning events by reason: occurrences, objects affected, first and last time.
-- param: namespace (default: all) only events about objects in this namespace
SELECT
    reason,
    sum(coalesce(count, 1))::BIGINT AS occurrences,
    count(DISTINCT coalesce(object_kind, '') || '/' || coalesce(object_namespace, '') || '/'
        || coalesce(object_name, '')) AS objects,
    min(coalesce(first_ts, event_ts, last_ts)) AS first_ts,
    max(coalesce(last_ts, event_ts, first_ts)) AS last_ts,
    arg_max(message, coalesce(last_ts, event_ts, first_ts)) AS last_message
FROM events
WHERE type = 'Warning'
  AND ($namespace IS NULL OR object_namespace = $namespace)
GROUP BY reason
ORDER BY occurrences DESC, reason;

-- The overview section's queries.

-- name: warning_reasons
-- Warning event reasons for the pods in scope inside the window, most frequent first.
SELECT reason, sum(coalesce(count, 1)) AS occurrences, count(DISTINCT pod_uid) AS pods
FROM pod_events
WHERE type = 'Warning' AND pod_uid IN (SELECT pod_uid FROM temp.report_pods)
  AND (?::TIMESTAMPTZ IS NULL OR last_ts >= ?::TIMESTAMPTZ)
  AND (?::TIMESTAMPTZ IS NULL OR first_ts <= ?::TIMESTAMPTZ)
GROUP BY reason ORDER BY occurrences DESC, reason LIMIT 15

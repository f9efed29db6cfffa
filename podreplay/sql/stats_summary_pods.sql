-- stats --by pod: every pod_stats figure of each selected pod, its identity first.
-- Placeholders analytics.py fills in: first (the identity columns).
SELECT {first}, * EXCLUDE ({first})
FROM temp.stats_pods
ORDER BY namespace, pod, pod_uid

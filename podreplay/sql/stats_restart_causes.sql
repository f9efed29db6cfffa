-- The restart_causes section: restarts and pods per group and cause, counting the restarts
-- inside the window ($since..$until; a restart of unknown time always counts).
-- Placeholders analytics.py fills in: keys (the group's columns of sel).
SELECT {keys}, r.cause, count(*) AS restarts, count(DISTINCT r.pod_uid) AS pods
FROM restarts r
JOIN temp.stats_pods sel USING (pod_uid)
WHERE ($since::TIMESTAMPTZ IS NULL OR r."at" IS NULL OR r."at" >= $since::TIMESTAMPTZ)
  AND ($until::TIMESTAMPTZ IS NULL OR r."at" IS NULL OR r."at" <= $until::TIMESTAMPTZ)
GROUP BY ALL
ORDER BY {keys}, restarts DESC, r.cause

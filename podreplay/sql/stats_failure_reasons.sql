-- The failure_reasons section: per group, the most frequent Warning event reasons (events
-- overlapping the window $since..$until) and pod failure reasons.
-- Placeholders analytics.py fills in: keys and sel_keys (the group's columns, bare and of sel),
-- top (how many reasons a group keeps).
WITH reasons AS (
    SELECT {sel_keys}, 'event' AS source, e.reason,
        sum(e.count)::BIGINT AS occurrences, count(DISTINCT e.pod_uid) AS pods
    FROM pod_events e
    JOIN temp.stats_pods sel USING (pod_uid)
    WHERE e.type = 'Warning'
      AND ($since::TIMESTAMPTZ IS NULL OR e.last_ts >= $since::TIMESTAMPTZ)
      AND ($until::TIMESTAMPTZ IS NULL OR e.first_ts <= $until::TIMESTAMPTZ)
    GROUP BY ALL
    UNION ALL
    -- why a failed pod failed (pod_why.failure): its own reason (Evicted, DeadlineExceeded...),
    -- a deletion, else how its last container ended
    SELECT {sel_keys}, 'pod_status', sel.failure, count(*), count(*)
    FROM temp.stats_pods sel
    WHERE sel.failure IS NOT NULL
    GROUP BY ALL
)
SELECT *
FROM reasons
QUALIFY row_number() OVER (
    PARTITION BY {keys} ORDER BY occurrences DESC, reason, source
) <= {top}
ORDER BY {keys}, occurrences DESC, reason, source

-- The latencies section: one row per group (none for --by pod) and duration, with its
-- p50/p90/p99 and max, durations in analytics.METRICS order.
-- Placeholders analytics.py fills in: key_cols (the group's columns and a comma, or nothing),
-- metrics (the durations), quantiles (the percentiles), metric_list (their order).
WITH long AS (
    UNPIVOT (SELECT {key_cols}{metrics} FROM temp.stats_pods)
    ON {metrics} INTO NAME metric VALUE value
)
SELECT
    {key_cols}metric,
    count(*) AS pods,
    {quantiles},
    max(value) AS max_s
FROM long
GROUP BY {key_cols}metric
ORDER BY {key_cols}array_position({metric_list}, metric)

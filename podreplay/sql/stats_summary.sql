-- stats --by workload|namespace|node: per group, pods by final phase, restarts, crash-looping
-- and never-ready pods, and p50/p90/p99/max of each duration.
-- Placeholders analytics.py fills in: keys (the group's columns), figures (the percentiles).
SELECT
    {keys},
    count(*) AS pods,
    count(*) FILTER (WHERE final_phase = 'Pending') AS pending,
    count(*) FILTER (WHERE final_phase = 'Running') AS running,
    count(*) FILTER (WHERE final_phase = 'Succeeded') AS succeeded,
    count(*) FILTER (WHERE final_phase = 'Failed') AS failed,
    count(*) FILTER (WHERE final_phase = 'Unknown') AS unknown,
    sum(restarts)::BIGINT AS restarts,
    count(*) FILTER (WHERE crashlooped) AS crashlooping,
    count(*) FILTER (WHERE never_ready) AS never_ready,
    sum(oom_kills)::BIGINT AS oom_kills,
    sum(probe_failures)::BIGINT AS probe_failures,
    {figures}
FROM temp.stats_pods
GROUP BY ALL
ORDER BY {keys}

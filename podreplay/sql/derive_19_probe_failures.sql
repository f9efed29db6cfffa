-- probe_failures: one row per failure burst. An Unhealthy event object (the kubelet aggregates
-- repeats of one message into one object: count = occurrences, first and last occurrence) is one
-- burst, unless earlier states of the object (event_versions: a watch stream, or an earlier
-- capture, showing occurrence number `count` at `last_ts`) date two consecutive occurrences more
-- than a probe period (+ 2 s) apart: the object splits there. Several objects of one container
-- and probe are several rows, never folded into one span.
-- Extra columns: `event_key` (the events row), `burst_no` (1.. within the object), `period_s`
-- (the probe's periodSeconds, probe_specs) and `one_burst`: the occurrences fit one run a probe
-- period apart (last - first <= (count - 1) * period + 2 s); false when the row holds several
-- bursts that the capture cannot tell apart.
CREATE OR REPLACE TABLE probe_failures AS
WITH objs AS (
    SELECT
        e.pod_uid, e.container, e.probe, e.event_key, e.count, e.first_ts, e.last_ts, e.message,
        coalesce(s.period_s, 10) AS period_s
    FROM pod_events AS e
    LEFT JOIN probe_specs AS s
        ON s.pod_uid = e.pod_uid AND s.container = e.container AND s.is_init = e.is_init
        AND s.probe = e.probe
    WHERE e.probe IS NOT NULL
),
points AS (
    -- known occurrences: (number, time)
    SELECT event_key, 1 AS n, first_ts AS t FROM objs
    UNION ALL
    SELECT event_key, count, last_ts FROM objs
    UNION ALL
    SELECT v.event_key, v.count, v.last_ts
    FROM event_versions AS v
    SEMI JOIN objs AS o ON o.event_key = v.event_key AND v.count BETWEEN 1 AND o.count
),
dated AS (
    SELECT event_key, n, min(t) AS t FROM points GROUP BY ALL
),
splits AS (
    SELECT
        d.*,
        o.period_s,
        -- consecutive occurrences further apart than a period: a new burst
        CASE WHEN n - lag(n) OVER w = 1
            AND epoch(t) - epoch(lag(t) OVER w) > o.period_s + 2 THEN 1 ELSE 0 END AS new_burst
    FROM dated AS d
    JOIN objs AS o ON o.event_key = d.event_key
    WINDOW w AS (PARTITION BY d.event_key ORDER BY d.n)
),
bursts AS (
    SELECT
        event_key,
        1 + sum(new_burst) OVER (PARTITION BY event_key ORDER BY n) AS burst_no,
        n,
        t
    FROM splits
),
grouped AS (
    SELECT event_key, burst_no, min(n) AS n0, max(n) AS n1, arg_min(t, n) AS first_ts,
        arg_max(t, n) AS last_ts
    FROM bursts
    GROUP BY ALL
)
SELECT
    o.pod_uid,
    o.container,
    o.probe,
    g.first_ts,
    g.last_ts,
    (g.n1 - g.n0 + 1)::BIGINT AS count,
    o.message,
    o.event_key,
    g.burst_no::INTEGER AS burst_no,
    o.period_s,
    epoch(g.last_ts) - epoch(g.first_ts) <= (g.n1 - g.n0) * o.period_s + 2 AS one_burst
FROM grouped AS g
JOIN objs AS o ON o.event_key = g.event_key
ORDER BY o.pod_uid, o.container, o.probe, g.first_ts, o.event_key, g.burst_no;

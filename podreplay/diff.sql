-- The comparison's queries (podreplay/diff.py). Each side's database is attached as {cat};
-- {side} (before, after) names its CTEs and its parameters: $SIDE_lo, $SIDE_hi (the window)
-- and $SIDE_incl (whether hi is the capture end, so a moment at hi still counts).
-- {k} is the grouping's key columns, {sk} the same on the alias s.

-- name: selection
-- The pods of one side: alive in its window (life overlaps it), or created in it.
sel_{side} AS (
    SELECT s.*,
        (born >= ${side}_lo AND (born < ${side}_hi OR (${side}_incl AND born = ${side}_hi)))
            AS created_in
    FROM (
        SELECT s.*, coalesce(p.created_at, p.first_seen) AS born,
            coalesce(p.deleted_at, p.last_seen, p.created_at, p.first_seen) AS gone
        FROM {cat}.pod_stats s JOIN {cat}.pods p USING (pod_uid)
    ) s
    WHERE born <= ${side}_hi AND gone >= ${side}_lo
)

-- name: metrics_side
-- Long rows (keys, metric, value) of one side; slots: the latency quantiles over the pods
-- created in the window, and their names.
per_pod_{side} AS (
    SELECT {k},
        count(*)::DOUBLE AS pods,
        count(*) FILTER (WHERE created_in)::DOUBLE AS pods_created,
        {lat}
    FROM sel_{side}
    GROUP BY ALL
),
running_{side} AS (
    SELECT {sk},
        sum(greatest(0, epoch(least(i.end_ts, ${side}_hi))
            - epoch(greatest(i.start_ts, ${side}_lo)))) / 3600.0 AS value
    FROM {cat}.phase_intervals i JOIN sel_{side} s USING (pod_uid)
    WHERE i.phase = 'Running' AND i.start_ts < ${side}_hi AND i.end_ts > ${side}_lo
    GROUP BY ALL
),
restarts_{side} AS (
    SELECT {sk}, r.cause, count(*)::DOUBLE AS value
    FROM {cat}.restarts r JOIN sel_{side} s USING (pod_uid)
    WHERE (r."at" >= ${side}_lo AND (r."at" < ${side}_hi OR (${side}_incl AND r."at" = ${side}_hi)))
        OR (r."at" IS NULL AND s.created_in)
    GROUP BY ALL
),
long_{side} AS (
    -- every group has every latency row, empty where no figure is known
    SELECT {k}, metric, value
    FROM per_pod_{side}
    UNPIVOT INCLUDE NULLS (value FOR metric IN (pods, pods_created, {lat_cols}))
    UNION ALL
    SELECT {k}, 'running_pod_hours', value FROM running_{side}
    UNION ALL
    SELECT {k}, 'restarts', sum(value) FROM restarts_{side} GROUP BY ALL
    UNION ALL
    SELECT {k}, 'restarts:' || coalesce(cause, 'unknown'), value FROM restarts_{side}
)

-- name: metrics
-- Every metric of every group on both sides (first slot: the WITH list of `selection` and
-- `metrics_side` for each), with the change; $counts are the metrics that are zero where a
-- side has none, $metrics their order. Slots: the keys on the alias f, and the join of f and
-- h on every key.
{sides},
both_sides AS (
    SELECT {k}, metric, 'before' AS side, value FROM long_before
    UNION ALL
    SELECT {k}, metric, 'after', value FROM long_after
),
groups AS (SELECT DISTINCT {k} FROM both_sides),
wide AS (
    SELECT {k}, metric,
        max(value) FILTER (WHERE side = 'before') AS before,
        max(value) FILTER (WHERE side = 'after') AS after
    FROM both_sides
    GROUP BY ALL
    UNION ALL
    -- every group has every count, zero where a side has none
    SELECT {k}, m, NULL, NULL
    FROM groups, unnest($counts::VARCHAR[]) AS t(m)
),
merged AS (
    SELECT {k}, metric, max(before) AS before, max(after) AS after
    FROM wide
    GROUP BY ALL
),
filled AS (
    SELECT {k}, metric,
        CASE WHEN list_contains($counts::VARCHAR[], metric) OR metric LIKE 'restarts:%'
            THEN coalesce(before, 0) ELSE before END AS before,
        CASE WHEN list_contains($counts::VARCHAR[], metric) OR metric LIKE 'restarts:%'
            THEN coalesce(after, 0) ELSE after END AS after
    FROM merged
),
rates AS (
    SELECT {fk},
        replace(f.metric, 'restarts', 'restarts_per_pod_hour') AS metric,
        f.before / nullif(h.before, 0) AS before,
        f.after / nullif(h.after, 0) AS after
    FROM filled f
    JOIN filled h
        ON {same_group}
        AND h.metric = 'running_pod_hours'
    WHERE f.metric = 'restarts' OR f.metric LIKE 'restarts:%'
),
final AS (
    SELECT * FROM filled UNION ALL SELECT * FROM rates
)
SELECT {k}, metric, before, after, after - before AS change,
    CASE WHEN before <> 0 THEN 100.0 * (after - before) / abs(before) END AS change_pct
FROM final
ORDER BY {k},
    coalesce(array_position($metrics::VARCHAR[], split_part(metric, ':', 1)), 99),
    metric

-- name: reasons_side
-- Failure reasons of one side: Warning events in the window, and the pods that failed in it.
reasons_{side} AS (
    SELECT {sk}, e.reason, sum(coalesce(e.count, 1))::BIGINT AS n
    FROM {cat}.pod_events e JOIN sel_{side} s USING (pod_uid)
    WHERE e.type = 'Warning' AND e.reason IS NOT NULL
        AND e.last_ts >= ${side}_lo
        AND (e.first_ts < ${side}_hi OR (${side}_incl AND e.first_ts = ${side}_hi))
    GROUP BY ALL
    UNION ALL
    -- a failed pod's own reason (Evicted, DeadlineExceeded...), else its containers' last
    SELECT {sk}, coalesce(s.final_reason, t.reason, 'Failed'), count(*)
    FROM sel_{side} s
    LEFT JOIN (
        SELECT pod_uid, arg_max(reason, finished_at) AS reason
        FROM {cat}.container_snapshots
        WHERE state = 'terminated' AND reason IS NOT NULL
        GROUP BY pod_uid
    ) t USING (pod_uid)
    WHERE (s.final_phase = 'Failed' OR s.final_reason IS NOT NULL)
        AND s.gone >= ${side}_lo AND s.gone <= ${side}_hi
    GROUP BY ALL
)

-- name: reasons
-- Failure reasons of both sides (first slot: `selection` and `reasons_side` for each),
-- marked new, gone or both.
{sides},
both_sides AS (
    SELECT {k}, reason, n AS before, 0 AS after FROM reasons_before
    UNION ALL
    SELECT {k}, reason, 0, n FROM reasons_after
),
summed AS (
    SELECT {k}, reason, sum(before)::BIGINT AS before, sum(after)::BIGINT AS after
    FROM both_sides
    GROUP BY ALL
)
SELECT *,
    CASE WHEN before = 0 THEN 'new' WHEN after = 0 THEN 'gone' ELSE 'both' END AS status
FROM summed
ORDER BY {k}, array_position(['new', 'gone', 'both'], status), after + before DESC, reason

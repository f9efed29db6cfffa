-- name: node_incidents
-- description: Per node: NodeNotReady events, evictions, time pods spent Unknown, OOM kills and restarts.
-- param: namespace (default: all) only pods in this namespace (node events are always counted)
WITH node_events AS (
    SELECT
        coalesce(object_name, host) AS node,
        sum(coalesce(count, 1)) FILTER (WHERE reason = 'NodeNotReady')::BIGINT
            AS not_ready_events,
        sum(coalesce(count, 1)) FILTER (WHERE type = 'Warning')::BIGINT AS node_warnings
    FROM events
    WHERE object_kind = 'Node'
    GROUP BY 1
),
pod_side AS (
    SELECT
        node,
        count(*) AS pods,
        sum(restarts)::BIGINT AS restarts,
        sum(oom_kills)::BIGINT AS oom_kills,
        count(*) FILTER (WHERE final_reason IN ('Evicted', 'Preempting', 'NodeLost', 'Terminated'))
            AS evicted_or_lost,
        round(sum(unknown_s), 3) AS unknown_s,
        count(*) FILTER (WHERE crashlooped) AS crashlooping_pods
    FROM pod_stats
    WHERE node IS NOT NULL AND ($namespace IS NULL OR namespace = $namespace)
    GROUP BY node
),
pod_not_ready AS (
    SELECT p.node, sum(coalesce(e.count, 1))::BIGINT AS pod_node_not_ready_events
    FROM pod_events e
    JOIN pods p USING (pod_uid)
    WHERE e.reason = 'NodeNotReady' AND ($namespace IS NULL OR p.namespace = $namespace)
    GROUP BY p.node
)
SELECT
    node,
    coalesce(ps.pods, 0) AS pods,
    coalesce(ne.not_ready_events, 0) AS node_not_ready_events,
    coalesce(pn.pod_node_not_ready_events, 0) AS pod_node_not_ready_events,
    coalesce(ne.node_warnings, 0) AS node_warnings,
    coalesce(ps.evicted_or_lost, 0) AS evicted_or_lost,
    coalesce(ps.unknown_s, 0) AS unknown_s,
    coalesce(ps.oom_kills, 0) AS oom_kills,
    coalesce(ps.restarts, 0) AS restarts,
    coalesce(ps.crashlooping_pods, 0) AS crashlooping_pods
FROM pod_side ps
FULL JOIN node_events ne USING (node)
FULL JOIN pod_not_ready pn USING (node)
WHERE node IS NOT NULL
ORDER BY node_not_ready_events + pod_node_not_ready_events + evicted_or_lost DESC, restarts DESC,
    node;

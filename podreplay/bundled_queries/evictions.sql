-- name: evictions
-- description: Pods evicted, preempted or lost with their node and QoS class (pod status reason, DisruptionTarget reason or Evicted/Preempted events).
-- param: namespace (default: all) only pods in this namespace
WITH ev AS (
    SELECT
        pod_uid,
        arg_min(reason, first_ts) AS event_reason,
        min(first_ts) AS event_at,
        arg_min(message, first_ts) AS message
    FROM pod_events
    WHERE reason IN ('Evicted', 'Preempted', 'Preempting', 'TaintManagerEviction',
                     'NodeControllerEviction')
    GROUP BY pod_uid
)
SELECT
    p.namespace,
    p.pod,
    p.workload,
    p.node,
    p.qos_class,
    coalesce(p.final_reason, ev.event_reason, p.disruption_reason) AS reason,
    ev.event_at,
    p.final_phase,
    ev.message,
    p.disruption_reason,
    p.disruption_at
FROM pods p
LEFT JOIN ev USING (pod_uid)
WHERE (ev.pod_uid IS NOT NULL OR p.disruption_reason IS NOT NULL
       OR p.final_reason IN ('Evicted', 'Preempting', 'NodeLost', 'Terminated', 'NodeShutdown',
                             'NodeAffinity', 'OutOfcpu', 'OutOfmemory'))
  AND ($namespace IS NULL OR p.namespace = $namespace)
ORDER BY coalesce(ev.event_at, p.disruption_at) NULLS LAST, p.namespace, p.pod;

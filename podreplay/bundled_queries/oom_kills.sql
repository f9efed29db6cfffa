-- name: oom_kills
-- description: Containers killed for running out of memory (restarted or left terminated), with QoS class.
-- param: namespace (default: all) only pods in this namespace
WITH kills AS (
    -- instances replaced after an OOM kill
    SELECT pod_uid, container, "at" AS restarted_at, exit_code, 'restart' AS outcome
    FROM restarts
    WHERE cause = 'OOMKilled'
    UNION ALL
    -- instances whose last observed state is terminated by OOM (not restarted, e.g. Never)
    SELECT pod_uid, container, NULL, arg_max(exit_code, observed_at), 'terminated'
    FROM container_snapshots
    GROUP BY pod_uid, container
    HAVING arg_max(state, observed_at) = 'terminated'
       AND arg_max(reason, observed_at) = 'OOMKilled'
)
SELECT
    p.namespace,
    p.pod,
    k.container,
    p.node,
    p.qos_class,
    k.outcome,
    k.restarted_at,
    k.exit_code
FROM kills k
JOIN pods p USING (pod_uid)
WHERE ($namespace IS NULL OR p.namespace = $namespace)
ORDER BY p.namespace, p.pod, k.container, k.restarted_at NULLS LAST;

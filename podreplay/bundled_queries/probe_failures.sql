-- name: probe_failures
-- description: Failed liveness, readiness and startup probes per container (failures and bursts), most failures first.
-- param: namespace (default: all) only pods in this namespace
-- param: probe (default: all) liveness, readiness or startup
SELECT
    p.namespace,
    p.pod,
    f.container,
    f.probe,
    sum(f.count)::BIGINT AS failures,
    count(*) AS bursts,
    max(f.count)::BIGINT AS longest_burst,
    min(f.first_ts) AS first_ts,
    max(f.last_ts) AS last_ts,
    arg_max(f.message, f.last_ts) AS last_message
FROM probe_failures f
JOIN pods p USING (pod_uid)
WHERE ($namespace IS NULL OR p.namespace = $namespace)
  AND ($probe IS NULL OR f.probe = $probe)
GROUP BY p.pod_uid, p.namespace, p.pod, f.container, f.probe
ORDER BY failures DESC, p.namespace, p.pod, f.container, f.probe;

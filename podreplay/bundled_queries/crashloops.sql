-- name: crashloops
-- description: Pods that sat in CrashLoopBackOff, longest first, with their restarts and last exit.
-- param: namespace (default: all) only pods in this namespace
SELECT
    s.namespace,
    s.pod,
    s.workload,
    round(s.crashloop_s, 3) AS crashloop_s,
    s.restarts,
    r.last_cause,
    r.last_exit_code,
    s.final_phase
FROM pod_stats s
LEFT JOIN (
    SELECT
        pod_uid,
        arg_max(cause, restart_no) AS last_cause,
        arg_max(exit_code, restart_no) AS last_exit_code
    FROM restarts
    GROUP BY pod_uid
) r USING (pod_uid)
WHERE s.crashlooped
  AND ($namespace IS NULL OR s.namespace = $namespace)
ORDER BY s.crashloop_s DESC, s.restarts DESC, s.namespace, s.pod;

-- The worst offenders' queries.

-- name: problems
-- Every problem of the pods in scope, most severe first.
SELECT pod_uid, problem, severity, why FROM pod_problems
WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods)
ORDER BY severity, pod_uid

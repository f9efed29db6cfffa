-- The state-at-a-moment section's queries: every change of the pods in scope, by kind
-- (0 phase, 1 ready, 2 restarts, 3 gone, 4 a container's state).

-- name: phase
SELECT pod_uid, start_ts AS ts, 0 AS kind, phase AS value FROM phase_intervals
WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods)

-- name: gone
-- The end of a pod's last phase, when the capture saw it end.
SELECT pod_uid, max(end_ts) AS ts, 3 AS kind, NULL AS value FROM phase_intervals
WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods)
GROUP BY pod_uid HAVING NOT bool_or(coalesce(open, false))

-- name: ready
SELECT pod_uid, start_ts AS ts, 1 AS kind, status AS value FROM condition_intervals
WHERE condition = 'Ready' AND pod_uid IN (SELECT pod_uid FROM temp.report_pods)

-- name: containers
SELECT pod_uid, start_ts AS ts, 4 AS kind,
    concat(
        CASE WHEN is_init THEN 'init:' END, container, '=', state,
        CASE WHEN reason IS NOT NULL OR exit_code IS NOT NULL
            THEN concat(' (', concat_ws(' ', reason, 'exit ' || exit_code), ')') END
    ) AS value
FROM container_intervals WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods)

-- name: restarts
SELECT pod_uid, "at" AS ts, 2 AS kind,
    CAST(row_number() OVER (PARTITION BY pod_uid ORDER BY "at", container, restart_no)
         AS VARCHAR) AS value
FROM restarts WHERE "at" IS NOT NULL AND pod_uid IN (SELECT pod_uid FROM temp.report_pods)

-- name: changes
-- The parts above whose tables exist, in time order.
SELECT ts, pod_uid, kind, value FROM ({union}) WHERE ts IS NOT NULL
ORDER BY ts, kind, pod_uid, value

-- Finding a pod and reading its summary (podreplay/lifecycle.py). A pod's story is
-- podreplay/sql/lifecycle_story.sql.

-- name: named
-- The pods whose name or uid is $name (in $namespace, when given).
SELECT pod_uid, namespace, pod, created_at, final_phase, node, workload
FROM pods
WHERE (pod = $name OR pod_uid = $name)
    AND ($namespace IS NULL OR namespace = $namespace)
ORDER BY namespace, pod, created_at, pod_uid

-- name: prefixed
-- The pods whose name or uid starts with $name (in $namespace, when given).
SELECT pod_uid, namespace, pod, created_at, final_phase, node, workload
FROM pods
WHERE (starts_with(pod, $name) OR starts_with(pod_uid, $name))
    AND ($namespace IS NULL OR namespace = $namespace)
ORDER BY namespace, pod, created_at, pod_uid

-- name: summary
-- The pod's `pods` row, its restart total and its worst problem in words (slot: `summary_why`,
-- or NULL where the database has no pod_why).
SELECT p.*, (SELECT count(*) FROM restarts AS r WHERE r.pod_uid = p.pod_uid) AS restarts,
    {why} AS why
FROM pods AS p
WHERE p.pod_uid = ?

-- name: summary_why
(SELECT w.why FROM pod_why AS w WHERE w.pod_uid = p.pod_uid)

-- name: pod_why_stand_in
-- A database built before pod_why existed: no problems; `failure` the pod's own reason.
CREATE OR REPLACE TEMP VIEW pod_why AS
SELECT pod_uid, namespace, pod,
    NULL::VARCHAR AS problem, NULL::INTEGER AS severity, NULL::VARCHAR AS why,
    NULL::VARCHAR AS evidence, []::VARCHAR[] AS problems,
    CASE WHEN final_phase = 'Failed' OR final_reason IS NOT NULL
        THEN coalesce(final_reason, 'reason unknown') END AS failure
FROM pods

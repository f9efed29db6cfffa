-- Which pods a command looks at (podreplay/selection.py).

-- name: labels
-- Every pod's labels, from its latest snapshot, as rows (pod_uid, key, value).
CREATE OR REPLACE TEMP TABLE pod_labels AS
WITH latest AS (
    SELECT pod_uid, arg_max(raw, observed_at) AS raw
    FROM pod_snapshots
    WHERE raw IS NOT NULL
    GROUP BY pod_uid
)
SELECT pod_uid, k AS key, json_extract_string(raw -> 'metadata' -> 'labels', k) AS value
FROM latest, unnest(json_keys(raw -> 'metadata' -> 'labels')) AS u(k)

-- name: has_label
-- Whether pod p has the label $kN (slot: N, the requirement's number; `and_value` the
-- condition on its value, or nothing).
EXISTS (SELECT 1 FROM temp.pod_labels l WHERE l.pod_uid = p.pod_uid AND l.key = $k{n} {and_value})

-- name: label_value
AND list_contains($v{n}::VARCHAR[], l.value)

-- name: phase_end
-- The end of the pod's last phase interval that is not Succeeded or Failed.
(SELECT max(end_ts) FROM phase_intervals i WHERE i.pod_uid = p.pod_uid
    AND i.phase NOT IN ('Succeeded', 'Failed'))

-- name: selected_pods
-- The pods in $namespace, among $uids, alive at some point in [$since, $until] (each NULL:
-- no condition); slots: the phase end (`phase_end`, or NULL without phase_intervals) and the
-- label requirements (`has_label`, each on its own line after AND).
CREATE OR REPLACE TEMP TABLE selected_pods AS
SELECT p.pod_uid
FROM pods p
WHERE ($namespace::VARCHAR IS NULL OR p.namespace = $namespace::VARCHAR)
  AND ($uids::VARCHAR[] IS NULL OR list_contains($uids::VARCHAR[], p.pod_uid))
  AND ($since::TIMESTAMPTZ IS NULL
       OR greatest(p.last_seen, p.deleted_at, p.first_seen, {phase_end})
          >= $since::TIMESTAMPTZ)
  AND ($until::TIMESTAMPTZ IS NULL
       OR least(p.created_at, p.first_seen) <= $until::TIMESTAMPTZ){labels}

-- Storing one source's pod snapshots (`cur`, inside its transaction) with their containers
-- and conditions.

-- (snapshots stored before, by this batch or earlier: already dropped by
-- ingest_33_pods_stored.sql)
INSERT INTO pod_snapshots
SELECT (SELECT source_id FROM cur), observed_at, observed_basis, watch_type, pod_uid, namespace,
       pod, node, phase, reason, message, qos_class, created_at, start_time, deleted_at,
       deletion_grace_s, termination_grace_s, owner_kind, owner_name, restart_policy,
       resource_version, raw
FROM new_pods WHERE src = (SELECT src FROM cur);

-- (containers and conditions of the pods stored just now, by the pod's seq)
INSERT INTO container_snapshots
SELECT (SELECT source_id FROM cur), * EXCLUDE (seq) FROM stage_container_rows
WHERE seq IN (SELECT seq FROM new_pods WHERE src = (SELECT src FROM cur));

INSERT INTO condition_snapshots
SELECT (SELECT source_id FROM cur), * EXCLUDE (seq) FROM stage_condition_rows
WHERE seq IN (SELECT seq FROM new_pods WHERE src = (SELECT src FROM cur));

-- Storing one source's pod snapshots (inside its transaction) with their containers and
-- conditions: $1 the source's id, $2 and $3 the first and last `seq` of its pods (a source's
-- objects are read one after another, so its seqs are one range no other source's overlap;
-- containers and conditions carry their pod's). Each statement runs on its own (each ends with a
-- semicolon at the end of a line): a plain filtered insert, no join per source. The snapshots
-- stored before are already dropped, with their containers and conditions
-- (ingest_33_pods_stored.sql).

INSERT INTO pod_snapshots
SELECT $1::INTEGER, observed_at, observed_basis, watch_type, pod_uid, namespace, pod, node,
       phase, reason, message, qos_class, created_at, start_time, deleted_at, deletion_grace_s,
       termination_grace_s, owner_kind, owner_name, restart_policy, resource_version, raw
FROM new_pods WHERE seq BETWEEN $2 AND $3;

INSERT INTO container_snapshots
SELECT $1::INTEGER, * EXCLUDE (seq) FROM stage_container_rows WHERE seq BETWEEN $2 AND $3;

INSERT INTO condition_snapshots
SELECT $1::INTEGER, * EXCLUDE (seq) FROM stage_condition_rows WHERE seq BETWEEN $2 AND $3;

-- Storing one source's workload objects (`cur`, inside its transaction): they map pods to
-- workloads.
INSERT INTO owners
SELECT DISTINCT f[1], kind, f[2], f[3], f[4], f[5]
FROM (
    SELECT kind, list_transform(json_extract_string(obj, [
               '$.metadata.uid', '$.metadata.namespace', '$.metadata.name',
               '$.metadata.ownerReferences[0].kind', '$.metadata.ownerReferences[0].name'
           ]), lambda v: nn(v)) AS f
    FROM stage_kind
    WHERE kind IN ('ReplicaSet', 'Job', 'StatefulSet', 'DaemonSet', 'Deployment', 'CronJob',
                   'ReplicationController')
      AND src = (SELECT src FROM cur)
) AS s
WHERE f[3] IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM owners AS o
      WHERE o.kind = s.kind AND o.name = s.f[3] AND o.namespace IS NOT DISTINCT FROM s.f[2]);

-- native_sidecars: the init containers a pod spec marks `restartPolicy: Always` (native
-- sidecars, 1.28+): they keep running beside the app, so their events imply no Pending phase
-- and no init container completion.
CREATE OR REPLACE TABLE native_sidecars AS
SELECT DISTINCT ps.pod_uid, json_extract_string(sc.spec, '$.name') AS container
FROM pod_snapshots AS ps,
    unnest(json_extract(ps.raw, '$.spec.initContainers[*]')) AS sc(spec)
WHERE json_extract_string(sc.spec, '$.restartPolicy') = 'Always';

-- native_sidecars: the init containers that are native sidecars (restartable init containers,
-- 1.28+): they keep running beside the app, so their events imply no Pending phase and no init
-- container completion. `basis` spec: a pod spec marks it `restartPolicy: Always`; event: a pod
-- no snapshot shows whose events have the init container active after an app container was
-- known running (started, probed, stopped: a sidecar stops after the app; a plain init container never runs again then, unless the pod sandbox was
-- re-created), or killed by a probe (`Init container X failed liveness probe`: plain init
-- containers have none).
CREATE OR REPLACE TABLE native_sidecars AS
SELECT DISTINCT ps.pod_uid, json_extract_string(sc.spec, '$.name') AS container, 'spec' AS basis
FROM pod_snapshots AS ps,
    unnest(json_extract(ps.raw, '$.spec.initContainers[*]')) AS sc(spec)
WHERE json_extract_string(sc.spec, '$.restartPolicy') = 'Always'
UNION
SELECT DISTINCT e.pod_uid, e.container, 'event'
FROM pod_events AS e
LEFT JOIN (
    -- the first time an app container is known running (started, probed or stopped)
    SELECT pod_uid, min(first_ts) AS t FROM pod_events
    WHERE reason IN ('Started', 'Unhealthy', 'Killing') AND NOT is_init AND NOT is_ephemeral
        AND container IS NOT NULL
    GROUP BY pod_uid
) AS a ON a.pod_uid = e.pod_uid
WHERE e.is_init AND e.container IS NOT NULL
    AND e.pod_uid NOT IN (SELECT pod_uid FROM pod_snapshots)
    AND (
        (e.reason = 'Killing' AND e.message ILIKE 'Init container % failed % probe%')
        OR (e.last_ts > a.t AND NOT EXISTS (
            SELECT 1 FROM pod_events AS s
            WHERE s.pod_uid = e.pod_uid AND s.reason = 'SandboxChanged' AND s.first_ts >= a.t
        ))
    );

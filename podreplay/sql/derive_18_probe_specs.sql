-- probe_specs: the probe settings of each container that has probe failures or probe kills, read
-- from the spec of the pod's latest snapshot (periodSeconds, failureThreshold, successThreshold);
-- where no snapshot carries a spec the Kubernetes defaults (10 s, 3, 1) stand, `spec_basis`
-- 'default'. probe_failures, readiness spells (derive_22) and restart chains (derive_30) use them.
CREATE OR REPLACE TABLE probe_specs AS
WITH wanted AS (
    SELECT DISTINCT pod_uid, container, is_init,
        coalesce(probe, CASE kill_cause WHEN 'liveness' THEN 'liveness'
            WHEN 'startup' THEN 'startup' END) AS probe
    FROM pod_events
    WHERE container IS NOT NULL AND (probe IS NOT NULL OR kill_cause IN ('liveness', 'startup'))
),
latest AS (
    -- only the pods that need it, and only their latest snapshot: carrying every snapshot's
    -- document through an arg_max cost ten times more
    SELECT s.pod_uid, max(s.observed_at) AS observed_at
    FROM pod_snapshots AS s
    SEMI JOIN wanted AS w ON w.pod_uid = s.pod_uid
    WHERE s.raw IS NOT NULL
    GROUP BY s.pod_uid
),
spec AS (
    SELECT s.pod_uid, any_value(s.raw) AS raw
    FROM pod_snapshots AS s
    JOIN latest AS l ON l.pod_uid = s.pod_uid AND l.observed_at = s.observed_at
    WHERE s.raw IS NOT NULL
    GROUP BY s.pod_uid
),
containers AS (
    SELECT pod_uid, false AS is_init, unnest(from_json(json_extract(raw, '$.spec.containers'),
        '["JSON"]')) AS c
    FROM spec
    UNION ALL
    SELECT pod_uid, true, unnest(from_json(json_extract(raw, '$.spec.initContainers'),
        '["JSON"]'))
    FROM spec
),
probes AS (
    SELECT pod_uid, is_init, c ->> 'name' AS container, p.probe,
        json_extract(c, '$.' || p.probe || 'Probe') AS ps
    FROM containers
    CROSS JOIN (VALUES ('liveness'), ('readiness'), ('startup')) AS p(probe)
)
SELECT
    w.pod_uid,
    w.container,
    w.is_init,
    w.probe,
    coalesce(try_cast(p.ps ->> 'periodSeconds' AS INTEGER), 10) AS period_s,
    coalesce(try_cast(p.ps ->> 'failureThreshold' AS INTEGER), 3) AS failure_threshold,
    coalesce(try_cast(p.ps ->> 'successThreshold' AS INTEGER), 1) AS success_threshold,
    CASE WHEN p.ps IS NOT NULL THEN 'spec' ELSE 'default' END AS spec_basis
FROM wanted AS w
LEFT JOIN probes AS p
    ON p.pod_uid = w.pod_uid AND p.container = w.container AND p.is_init = w.is_init
    AND p.probe = w.probe
ORDER BY w.pod_uid, w.container, w.probe;

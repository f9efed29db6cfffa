-- The cluster timeline's queries: pods per phase over time and what is wrong inside a phase.

-- name: phase_counts
-- Pods in each phase at evenly spaced moments (from, to, step) of the window.
WITH b AS (
    SELECT unnest(generate_series(?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::INTERVAL)) AS ts
),
ph AS (
    SELECT DISTINCT phase FROM phase_intervals
    WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods)
),
n AS (
    SELECT b.ts, pi.phase, count(*) AS pods
    FROM b JOIN phase_intervals pi
      ON pi.start_ts <= b.ts
     AND (b.ts < pi.end_ts OR (pi.open AND b.ts <= pi.end_ts))
    WHERE pi.pod_uid IN (SELECT pod_uid FROM temp.report_pods)
    GROUP BY ALL
)
SELECT b.ts, ph.phase, coalesce(n.pods, 0) AS pods
FROM b CROSS JOIN ph LEFT JOIN n ON n.ts = b.ts AND n.phase = ph.phase
ORDER BY b.ts, ph.phase

-- name: overlay_crashloop
SELECT pod_uid, 'CrashLoopBackOff' AS overlay, start_ts, end_ts
FROM container_intervals WHERE state = 'waiting' AND reason = 'CrashLoopBackOff'

-- name: overlay_not_ready
SELECT c.pod_uid, 'not Ready' AS overlay, greatest(c.start_ts, r.start_ts),
       least(c.end_ts, r.end_ts)
FROM condition_intervals c JOIN phase_intervals r
  ON r.pod_uid = c.pod_uid AND r.phase = 'Running' AND c.start_ts < r.end_ts
 AND c.end_ts > r.start_ts
WHERE c.condition = 'Ready' AND c.status = 'False'

-- name: overlay_terminating
SELECT pod_uid, 'terminating' AS overlay, deletion_requested_at,
       coalesce(deleted_at, evidence_to)
FROM pods WHERE deletion_requested_at IS NOT NULL

-- name: overlays
-- The overlay parts above (those whose tables exist), cut to the window.
SELECT pod_uid, overlay, greatest(start_ts, ?::TIMESTAMPTZ) AS start_ts,
       least(end_ts, ?::TIMESTAMPTZ) AS end_ts
FROM ({union}) AS o (pod_uid, overlay, start_ts, end_ts)
WHERE pod_uid IN (SELECT pod_uid FROM temp.report_pods) AND end_ts > start_ts
  AND (?::TIMESTAMPTZ IS NULL OR end_ts >= ?::TIMESTAMPTZ)
  AND (?::TIMESTAMPTZ IS NULL OR start_ts <= ?::TIMESTAMPTZ)
ORDER BY pod_uid, start_ts, overlay

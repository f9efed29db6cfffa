-- The pod timelines' queries: what a few pods' timelines draw (the pods are a `?` list).

-- name: warning_counts
-- Warning events per pod in scope (which pods get a timeline).
SELECT pod_uid, sum(coalesce(count, 1)) AS warnings FROM pod_events
WHERE type = 'Warning' AND pod_uid IN (SELECT pod_uid FROM temp.report_pods)
GROUP BY pod_uid

-- name: conditions
SELECT pod_uid, condition, status, start_ts, end_ts, seconds, reason, basis
FROM condition_intervals WHERE list_contains(?::VARCHAR[], pod_uid)
ORDER BY pod_uid, condition, start_ts

-- name: containers
SELECT pod_uid, container, is_init, state, reason, start_ts, end_ts, seconds,
       exit_code, basis, message
FROM container_intervals WHERE list_contains(?::VARCHAR[], pod_uid)
ORDER BY pod_uid, is_init DESC, container, start_ts

-- name: restarts
SELECT pod_uid, container, restart_no, "at", cause, exit_code, evidence
FROM restarts WHERE list_contains(?::VARCHAR[], pod_uid)
ORDER BY pod_uid, "at", container, restart_no

-- name: probes
SELECT pod_uid, container, probe, first_ts, last_ts, count, message
FROM probe_failures WHERE list_contains(?::VARCHAR[], pod_uid)
ORDER BY pod_uid, first_ts, container, probe

-- name: events
-- Events about the pods with first/last occurrence, newest last.
SELECT pe.pod_uid, pe.event_key, pe.type, pe.reason, pe.message, pe.container,
       pe.count, pe.first_ts, pe.last_ts,
       e.event_ts, pe.component
FROM pod_events pe LEFT JOIN events e USING (event_key)
WHERE list_contains(?::VARCHAR[], pe.pod_uid)
ORDER BY pe.pod_uid, pe.first_ts, pe.event_key

-- name: events_unlinked
-- The same from the events table, in a database without pod_events.
SELECT p.pod_uid, e.event_key, e.type, e.reason, e.message, e.container, e.count,
       coalesce(e.first_ts, e.event_ts, e.last_ts) AS first_ts,
       coalesce(e.last_ts, e.event_ts, e.first_ts) AS last_ts,
       e.event_ts, e.component
FROM events e JOIN pods p
  ON e.object_uid = p.pod_uid
  OR (e.object_uid IS NULL AND e.object_kind = 'Pod'
      AND e.object_namespace = p.namespace AND e.object_name = p.pod)
WHERE list_contains(?::VARCHAR[], p.pod_uid)
ORDER BY p.pod_uid, coalesce(e.first_ts, e.event_ts, e.last_ts), e.event_key

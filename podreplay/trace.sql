-- The trace's queries (podreplay/trace.py). Each event query yields (ev, ts, rank, tid, seq,
-- sub): the event's JSON and its place in the file. At one timestamp: metadata, then slices
-- (longer first, so parents precede children), then each instant directly followed by the flow
-- events bound to it.

-- name: tracks
-- Every track of the trace: one pod track per pod, one per (pod, condition) and one per
-- (pod, container). pids are 1..groups; tids follow them so no tid equals a pid (Perfetto takes
-- tid == pid for a process's main thread). Tracks sort by group, pod creation, then kind.
CREATE OR REPLACE TEMP TABLE trace_tracks AS
WITH pod_group AS (
    SELECT
        pod_uid, pod,
        CASE WHEN $group_by = 'node' THEN coalesce(node, $no_node) ELSE coalesce(namespace, '')
        END AS grp,
        coalesce(created_at, first_seen) AS born
    FROM pods
),
groups AS (
    SELECT grp, row_number() OVER (ORDER BY grp) AS pid FROM (SELECT DISTINCT grp FROM pod_group)
),
raw_tracks AS (
    SELECT pod_uid, 'pod' AS kind, 0 AS kind_rank, NULL::VARCHAR AS name, NULL::BOOLEAN AS is_init
    FROM pods
    UNION ALL
    SELECT DISTINCT pod_uid, 'condition', 1, condition, NULL FROM condition_intervals
    UNION ALL
    SELECT DISTINCT pod_uid, 'container', CASE WHEN is_init THEN 2 ELSE 3 END, container, is_init
    FROM container_intervals
)
SELECT
    t.pod_uid, t.kind, t.name, t.is_init, g.pid, g.grp,
    (SELECT count(*) FROM groups)
        + row_number() OVER (ORDER BY g.pid, p.born, p.pod, t.pod_uid, t.kind_rank, t.name)
        AS tid,
    CASE t.kind
        WHEN 'pod' THEN p.pod
        WHEN 'condition' THEN p.pod || ' · ' || t.name
        ELSE p.pod || ' · ' || CASE WHEN t.is_init THEN 'init:' ELSE '' END || t.name
    END AS label
FROM raw_tracks t
JOIN pod_group p USING (pod_uid)
JOIN groups g USING (grp)

-- name: metadata
SELECT json_object('name', 'process_name', 'ph', 'M', 'pid', pid,
        'args', json_object('name', grp)) AS ev,
    NULL::BIGINT AS ts, 0 AS rank, pid AS tid, 0 AS seq, 0 AS sub
FROM (SELECT DISTINCT pid, grp FROM trace_tracks)
UNION ALL
SELECT json_object('name', 'process_sort_index', 'ph', 'M', 'pid', pid,
        'args', json_object('sort_index', pid)),
    NULL, 0, pid, 1, 0
FROM (SELECT DISTINCT pid FROM trace_tracks)
UNION ALL
SELECT json_object('name', 'thread_name', 'ph', 'M', 'pid', pid, 'tid', tid,
        'args', json_object('name', label)),
    NULL, 0, tid, 2, 0
FROM trace_tracks
UNION ALL
SELECT json_object('name', 'thread_sort_index', 'ph', 'M', 'pid', pid, 'tid', tid,
        'args', json_object('sort_index', tid)),
    NULL, 0, tid, 3, 0
FROM trace_tracks

-- name: slices
-- Complete ('X') events for the intervals of one derived table (slots: the table, the condition
-- picking its tracks, the slice name, category and args); a stretch no capture covers (basis
-- 'gap') is named 'no evidence'.
SELECT json_object(
        'name', CASE WHEN i.basis = 'gap' THEN 'no evidence' ELSE {name} END,
        'cat', '{cat}', 'ph', 'X',
        'ts', epoch_us(i.start_ts), 'dur', epoch_us(i.end_ts) - epoch_us(i.start_ts),
        'pid', t.pid, 'tid', t.tid,
        'args', json_object('pod_uid', i.pod_uid, {args},
            'start', strftime(i.start_ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
            'end', strftime(i.end_ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
            'seconds', i.seconds, 'basis', i.basis, 'open', i.open)) AS ev,
    epoch_us(i.start_ts) AS ts, 1 AS rank, t.tid,
    -(epoch_us(i.end_ts) - epoch_us(i.start_ts)) AS seq, 0 AS sub
FROM {source} i
JOIN trace_tracks t ON t.pod_uid = i.pod_uid AND {join}
WHERE i.start_ts IS NOT NULL AND i.end_ts IS NOT NULL

-- name: instants
-- One instant per event object at its first occurrence, and one at its last when the event was
-- aggregated over a stretch of time (count > 1). seq is their order in the file.
CREATE OR REPLACE TEMP TABLE trace_instants AS
WITH occ AS (
    SELECT e.*, 'first' AS occurrence, e.first_ts AS at FROM pod_events e
    WHERE e.first_ts IS NOT NULL
    UNION ALL
    SELECT e.*, 'last', e.last_ts FROM pod_events e
    WHERE e.last_ts > e.first_ts
)
SELECT
    o.*, t.pid, t.tid, epoch_us(o.at) AS ts,
    row_number() OVER (
        ORDER BY o.at, t.tid,
            -- at one second, the kubelet's order: probe failure, kill, pull, create, start
            CASE o.reason WHEN 'Unhealthy' THEN 0 WHEN 'Killing' THEN 1 WHEN 'Created' THEN 3
                WHEN 'Started' THEN 4 ELSE 2 END,
            o.event_key, o.occurrence
    ) AS seq
FROM occ o
JOIN trace_tracks t ON t.pod_uid = o.pod_uid AND t.kind = 'pod'

-- name: events
SELECT json_object('name', coalesce(reason, '(no reason)'), 'cat', 'event', 'ph', 'i', 's', 't',
        'ts', ts, 'pid', pid, 'tid', tid,
        'args', json_object('reason', reason, 'message', message, 'type', type,
            'container', container, 'count', count, 'occurrence', occurrence,
            'first', strftime(first_ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
            'last', strftime(last_ts, '%Y-%m-%dT%H:%M:%S.%fZ'),
            'component', component, 'host', host, 'pod_uid', pod_uid, 'event_key', event_key))
        AS ev,
    ts, 2 AS rank, tid, seq, 0 AS sub
FROM trace_instants

-- name: flows
-- Probe-kill chains: each Killing instant of a liveness or startup probe kill, the latest
-- Unhealthy instant of that probe on the same container before it, and the container's restart
-- after it: the first running slice on its track that starts then or later (else the first
-- Started instant then or later). The chain's first point is a flow start ('s'), the middle a
-- step ('t'), the last its end ('f'); each directly follows, on its track and at its time, the
-- instant or slice it binds to ('bp': 'e', the enclosing slice).
WITH kills AS (
    SELECT *, row_number() OVER (ORDER BY seq) AS flow_id
    FROM trace_instants
    WHERE kill_cause IN ('liveness', 'startup')
),
unhealthy AS (
    SELECT * FROM trace_instants WHERE reason = 'Unhealthy' AND probe IS NOT NULL
),
started AS (
    SELECT * FROM trace_instants WHERE reason = 'Started'
),
runs AS (
    SELECT i.pod_uid, i.container, epoch_us(i.start_ts) AS ts, t.pid, t.tid, 0 AS seq
    FROM container_intervals i
    JOIN trace_tracks t
        ON t.pod_uid = i.pod_uid AND t.kind = 'container' AND t.name = i.container
        AND t.is_init = i.is_init
    WHERE i.state = 'running' AND NOT i.is_init
),
restarted AS (
    SELECT k.flow_id, k.kill_cause, 2 AS leg, r.ts, r.pid, r.tid, r.seq, 0 AS pick
    FROM kills k
    ASOF JOIN runs r
        ON r.pod_uid = k.pod_uid AND r.container = k.container AND r.ts >= k.ts
    UNION ALL
    SELECT k.flow_id, k.kill_cause, 2, s.ts, s.pid, s.tid, s.seq, 1
    FROM kills k
    ASOF JOIN started s
        ON s.pod_uid = k.pod_uid AND coalesce(s.container, '') = coalesce(k.container, '')
        AND s.ts >= k.ts
),
points AS (
    SELECT k.flow_id, k.kill_cause, 1 AS leg, k.ts, k.pid, k.tid, k.seq FROM kills k
    UNION ALL
    SELECT k.flow_id, k.kill_cause, 0, u.ts, u.pid, u.tid, u.seq
    FROM kills k
    ASOF JOIN unhealthy u
        ON u.pod_uid = k.pod_uid AND coalesce(u.container, '') = coalesce(k.container, '')
        AND u.probe = k.kill_cause AND u.ts <= k.ts
    UNION ALL
    SELECT flow_id, kill_cause, leg, ts, pid, tid, seq
    FROM restarted
    QUALIFY row_number() OVER (PARTITION BY flow_id ORDER BY pick) = 1
),
numbered AS (
    SELECT *,
        row_number() OVER (PARTITION BY flow_id ORDER BY leg) AS n,
        count(*) OVER (PARTITION BY flow_id) AS points
    FROM points
)
SELECT json_object('name', kill_cause || ' probe kill', 'cat', 'restart',
        'ph', CASE WHEN n = 1 THEN 's' WHEN n = points THEN 'f' ELSE 't' END,
        'id', flow_id, 'ts', ts, 'pid', pid, 'tid', tid, 'bp', 'e') AS ev,
    ts, 2 AS rank, tid, seq, n AS sub
FROM numbered
WHERE points >= 2

-- name: all
-- Every event of the trace in file order (slots: the event queries above).
SELECT ev FROM (
    SELECT * FROM ({metadata})
    UNION ALL SELECT * FROM ({phases})
    UNION ALL SELECT * FROM ({conditions})
    UNION ALL SELECT * FROM ({containers})
    UNION ALL SELECT * FROM ({events})
    UNION ALL SELECT * FROM ({flows})
) ORDER BY ts NULLS FIRST, rank, tid, seq, sub

-- name: header
-- The file's `otherData`: what wrote it, the grouping and the capture span.
SELECT json_object('generator', 'podreplay', 'group_by', $group_by,
    'capture_start', (SELECT strftime(start_ts, '%Y-%m-%dT%H:%M:%S.%fZ') FROM capture_span LIMIT 1),
    'capture_end', (SELECT strftime(end_ts, '%Y-%m-%dT%H:%M:%S.%fZ') FROM capture_span LIMIT 1),
    'time', 'ts is microseconds since the Unix epoch (UTC)')

-- name: summary
-- What the trace holds: groups, pods, tracks, slices, instants and flows.
SELECT
    (SELECT count(DISTINCT pid) FROM trace_tracks),
    (SELECT count(*) FROM trace_tracks WHERE kind = 'pod'),
    (SELECT count(*) FROM trace_tracks),
    (SELECT count(*) FROM ({phases})) + (SELECT count(*) FROM ({conditions}))
        + (SELECT count(*) FROM ({containers})),
    (SELECT count(*) FROM trace_instants),
    (SELECT count(DISTINCT ev->>'id') FROM ({flows}))

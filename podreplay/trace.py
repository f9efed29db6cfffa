"""The pods' lifecycles as a Chrome trace-event JSON file (ui.perfetto.dev, chrome://tracing).

One process per namespace (or node); per pod a thread track of phase slices with the pod's
Kubernetes events as instants, one track per condition and one per container with their state
slices, and flow arrows along probe-kill chains (Unhealthy → Killing → Started). Each kind of
trace event is one SQL query that renders the events' JSON in DuckDB; Python only writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, get_args

from podreplay.errors import UsageError
from podreplay.store import Store

TraceGrouping = Literal["namespace", "node"]
TRACE_GROUPINGS: tuple[str, ...] = get_args(TraceGrouping)
NO_NODE = "(no node)"
BATCH_ROWS = 50_000

# Every track of the trace: one pod track per pod, one per (pod, condition) and one per
# (pod, container). pids are 1..groups; tids follow them so no tid equals a pid (Perfetto takes
# tid == pid for a process's main thread). Tracks sort by group, pod creation, then kind.
_TRACKS = """
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
"""

_ISO = "'%Y-%m-%dT%H:%M:%S.%fZ'"

# Each query yields (ev, ts, rank, tid, seq, sub): the event's JSON and its place in the file.
# At one timestamp: metadata, then slices (longer first, so parents precede children), then each
# instant directly followed by the flow events bound to it.
_METADATA = """
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
"""


def _slices(source: str, join: str, name: str, cat: str, args: str) -> str:
    """Complete ('X') events for the intervals of one derived table; a stretch no capture
    covers (basis 'gap') is named 'no evidence'."""
    return f"""
SELECT json_object(
        'name', CASE WHEN i.basis = 'gap' THEN 'no evidence' ELSE {name} END,
        'cat', '{cat}', 'ph', 'X',
        'ts', epoch_us(i.start_ts), 'dur', epoch_us(i.end_ts) - epoch_us(i.start_ts),
        'pid', t.pid, 'tid', t.tid,
        'args', json_object('pod_uid', i.pod_uid, {args},
            'start', strftime(i.start_ts, {_ISO}), 'end', strftime(i.end_ts, {_ISO}),
            'seconds', i.seconds, 'basis', i.basis, 'open', i.open)) AS ev,
    epoch_us(i.start_ts) AS ts, 1 AS rank, t.tid,
    -(epoch_us(i.end_ts) - epoch_us(i.start_ts)) AS seq, 0 AS sub
FROM {source} i
JOIN trace_tracks t ON t.pod_uid = i.pod_uid AND {join}
WHERE i.start_ts IS NOT NULL AND i.end_ts IS NOT NULL"""


_PHASES = _slices(
    "phase_intervals",
    "t.kind = 'pod'",
    "i.phase",
    "phase",
    "'phase', i.phase",
)
_CONDITIONS = _slices(
    "condition_intervals",
    "t.kind = 'condition' AND t.name = i.condition",
    "i.condition || '=' || coalesce(i.status, '?')",
    "condition",
    "'condition', i.condition, 'status', i.status, 'reason', i.reason",
)
_CONTAINERS = _slices(
    "container_intervals",
    "t.kind = 'container' AND t.name = i.container AND t.is_init = i.is_init",
    "i.state || coalesce(': ' || i.reason, '') || coalesce(' (exit ' || i.exit_code || ')', '')",
    "container",
    "'container', i.container, 'init', i.is_init, 'state', i.state, 'reason', i.reason,"
    " 'exit_code', i.exit_code, 'message', i.message",
)

# One instant per event object at its first occurrence, and one at its last when the event was
# aggregated over a stretch of time (count > 1). seq is their order in the file.
_INSTANTS = """
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
"""

_EVENTS = f"""
SELECT json_object('name', coalesce(reason, '(no reason)'), 'cat', 'event', 'ph', 'i', 's', 't',
        'ts', ts, 'pid', pid, 'tid', tid,
        'args', json_object('reason', reason, 'message', message, 'type', type,
            'container', container, 'count', count, 'occurrence', occurrence,
            'first', strftime(first_ts, {_ISO}), 'last', strftime(last_ts, {_ISO}),
            'component', component, 'host', host, 'pod_uid', pod_uid, 'event_key', event_key))
        AS ev,
    ts, 2 AS rank, tid, seq, 0 AS sub
FROM trace_instants
"""

# Probe-kill chains: each Killing instant of a liveness or startup probe kill, the latest
# Unhealthy instant of that probe on the same container before it, and the container's restart
# after it: the first running slice on its track that starts then or later (else the first
# Started instant then or later). The chain's first point is a flow start ('s'), the middle a
# step ('t'), the last its end ('f'); each directly follows, on its track and at its time, the
# instant or slice it binds to ('bp': 'e', the enclosing slice).
_FLOWS = """
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
"""

_KINDS = (_METADATA, _PHASES, _CONDITIONS, _CONTAINERS, _EVENTS, _FLOWS)
_ALL = (
    "SELECT ev FROM ("
    + " UNION ALL ".join(f"SELECT * FROM ({q})" for q in _KINDS)
    + ") ORDER BY ts NULLS FIRST, rank, tid, seq, sub"
)


@dataclass(frozen=True)
class TraceSummary:
    """What a trace holds: groups (processes), tracks (threads), slices, instants and flows."""

    groups: int
    pods: int
    tracks: int
    slices: int
    instants: int
    flows: int


def write_trace(
    store: Store, out: IO[str], group_by: TraceGrouping | str = "namespace"
) -> TraceSummary:
    """Write the whole database as a Chrome trace-event JSON object to `out`; return what it
    holds."""
    if group_by not in TRACE_GROUPINGS:
        raise UsageError(
            f"--group-by must be one of {', '.join(TRACE_GROUPINGS)}, not {group_by!r}"
        )
    with _trace_tables(store, group_by):
        span = store.rows(
            f"SELECT strftime(start_ts, {_ISO}), strftime(end_ts, {_ISO}) FROM capture_span"
        )
        start, end = span[0] if span else (None, None)
        header = store.scalar(
            "SELECT json_object('generator', 'podreplay', 'group_by', ?, 'capture_start', ?,"
            " 'capture_end', ?, 'time', 'ts is microseconds since the Unix epoch (UTC)')",
            [group_by, start, end],
        )
        out.write('{"displayTimeUnit":"ms","otherData":' + str(header) + ',"traceEvents":[\n')
        cursor = store.execute(_ALL)
        first = True
        while batch := cursor.fetchmany(BATCH_ROWS):
            out.write(("" if first else ",\n") + ",\n".join(row[0] for row in batch))
            first = False
        out.write("\n]}\n")
        return _summary(store)


def _summary(store: Store) -> TraceSummary:
    row = store.rows(
        f"""SELECT
                (SELECT count(DISTINCT pid) FROM trace_tracks),
                (SELECT count(*) FROM trace_tracks WHERE kind = 'pod'),
                (SELECT count(*) FROM trace_tracks),
                (SELECT count(*) FROM ({_PHASES})) + (SELECT count(*) FROM ({_CONDITIONS}))
                    + (SELECT count(*) FROM ({_CONTAINERS})),
                (SELECT count(*) FROM trace_instants),
                (SELECT count(DISTINCT ev->>'id') FROM ({_FLOWS}))"""
    )[0]
    return TraceSummary(*(int(v) for v in row))


def export_trace(
    store: Store, path: str | Path, group_by: TraceGrouping | str = "namespace"
) -> TraceSummary:
    """Write the trace to `path` (replaced only once complete) and return what it holds."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target}: is a directory (give a file name, e.g. trace.json)")
    if not target.parent.exists():
        raise UsageError(f"{target.parent}: no such directory")
    work = target.with_name(f".{target.name}.partial")
    try:
        with work.open("w", encoding="utf-8") as out:
            summary = write_trace(store, out, group_by)
        work.replace(target)
    finally:
        work.unlink(missing_ok=True)
    return summary


@contextmanager
def _trace_tables(store: Store, group_by: str) -> Iterator[None]:
    store.execute(_TRACKS, {"group_by": group_by, "no_node": NO_NODE})
    store.execute(_INSTANTS)
    try:
        yield
    finally:
        store.execute("DROP TABLE IF EXISTS trace_instants")
        store.execute("DROP TABLE IF EXISTS trace_tracks")

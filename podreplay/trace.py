"""The pods' lifecycles as a Chrome trace-event JSON file (ui.perfetto.dev, chrome://tracing).

One process per namespace (or node); per pod a thread track of phase slices with the pod's
Kubernetes events as instants, one track per condition and one per container with their state
slices, and flow arrows along probe-kill chains (Unhealthy → Killing → Started). Each kind of
trace event is one SQL query that renders the events' JSON in DuckDB (the named blocks of
`trace.sql`); Python only writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, get_args

from podreplay.errors import UsageError
from podreplay.sqlfiles import Sql
from podreplay.store import Store

TraceGrouping = Literal["namespace", "node"]
TRACE_GROUPINGS: tuple[str, ...] = get_args(TraceGrouping)
NO_NODE = "(no node)"
BATCH_ROWS = 50_000

SQL = Sql(__file__)

# The slot values of `slices` for each derived table of intervals.
_SLICES: dict[str, dict[str, str]] = {
    "phases": {
        "source": "phase_intervals",
        "join": "t.kind = 'pod'",
        "name": "i.phase",
        "cat": "phase",
        "args": "'phase', i.phase",
    },
    "conditions": {
        "source": "condition_intervals",
        "join": "t.kind = 'condition' AND t.name = i.condition",
        "name": "i.condition || '=' || coalesce(i.status, '?')",
        "cat": "condition",
        "args": "'condition', i.condition, 'status', i.status, 'reason', i.reason",
    },
    "containers": {
        "source": "container_intervals",
        "join": "t.kind = 'container' AND t.name = i.container AND t.is_init = i.is_init",
        "name": "i.state || coalesce(': ' || i.reason, '')"
        " || coalesce(' (exit ' || i.exit_code || ')', '')",
        "cat": "container",
        "args": "'container', i.container, 'init', i.is_init, 'state', i.state,"
        " 'reason', i.reason, 'exit_code', i.exit_code, 'message', i.message",
    },
}


def _slices() -> dict[str, str]:
    """The slice queries by kind (phases, conditions, containers)."""
    return {kind: SQL("slices", **slots) for kind, slots in _SLICES.items()}


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
        header = store.scalar(SQL("header"), {"group_by": group_by})
        out.write('{"displayTimeUnit":"ms","otherData":' + str(header) + ',"traceEvents":[\n')
        events = {"metadata": SQL("metadata"), "events": SQL("events"), "flows": SQL("flows")}
        cursor = store.execute(SQL("all", **_slices(), **events))
        first = True
        while batch := cursor.fetchmany(BATCH_ROWS):
            out.write(("" if first else ",\n") + ",\n".join(row[0] for row in batch))
            first = False
        out.write("\n]}\n")
        return _summary(store)


def _summary(store: Store) -> TraceSummary:
    row = store.rows(SQL("summary", **_slices(), flows=SQL("flows")))[0]
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
    store.execute(SQL("tracks"), {"group_by": group_by, "no_node": NO_NODE})
    store.execute(SQL("instants"))
    try:
        yield
    finally:
        store.execute("DROP TABLE IF EXISTS trace_instants")
        store.execute("DROP TABLE IF EXISTS trace_tracks")

"""Replay: the state of every pod at a moment, and the stream of changes between two moments.

Both read the lifecycle's derived tables (`capture_span`, `pods`, `*_intervals`, `restarts`) and
the events attached to pods (`pod_events`), with set-based SQL in `sql/replay_*.sql`. Pacing a
stream at a speed factor is `paced`; times given by users are read by `podreplay.times`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import polars as pl

from podreplay.errors import UsageError
from podreplay.lifecycle import ensure_pod_why
from podreplay.store import Store, sql_text

LATEST_EVENTS = 3


def state_at(
    store: Store,
    at: datetime,
    namespace: str | None = None,
    *,
    uids: list[str] | None = None,
    n_events: int = LATEST_EVENTS,
) -> pl.DataFrame:
    """Every pod that exists at `at`, with its phase, conditions, containers and latest events.

    Columns: pod_uid, namespace, pod, node, workload, phase, restarts (so far), pod_scheduled,
    initialized, containers_ready, ready (booleans; null when unknown), terminating, created_at,
    conditions (list of {condition, status, reason, since}), containers (list of {container,
    is_init, state, reason, exit_code, since}) and events (the latest `n_events` up to `at`,
    newest first: {at, reason, message, type, count}). `uids` keeps only those pods.
    """
    ensure_pod_why(store)
    params: dict[str, object] = {"at": at, "ns": namespace, "uids": uids, "n_events": n_events}
    return store.frame(sql_text("replay_state.sql"), params)


def changes(
    store: Store,
    start: datetime,
    end: datetime,
    uids: list[str] | None = None,
    namespace: str | None = None,
) -> pl.DataFrame:
    """The events and state changes from `start` to `end` (inclusive), in replay order.

    One row per change: ts, namespace, pod, pod_uid, kind (pod, phase, condition, container,
    restart, event), subject (condition, container), value (the new phase, status, state, restart
    number, event reason, or created/deleting/deleted), reason, message, exit_code, type, count,
    last_at (an aggregated event's last occurrence), object (an event's Kind/name), event_key,
    basis. `uids` keeps only those pods and their own events; else `namespace` keeps every
    event of the namespace.
    """
    if end < start:
        raise UsageError("--to is before --from")
    params: dict[str, object] = {"start": start, "end": end, "uids": uids, "ns": namespace}
    return store.frame(sql_text("replay_changes.sql"), params)


def paced(
    rows: Iterable[dict[str, Any]],
    speed: float,
    *,
    start: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[dict[str, Any]]:
    """Yield rows (each with a `ts`) at their recorded pace divided by `speed`; 0 = no waiting.

    Waits are measured from the replay's start, so slow consumers do not accumulate drift.
    """
    if speed < 0:
        raise UsageError("--speed must be 0 (instant) or positive")
    origin: datetime | None = start
    began = clock()
    for row in rows:
        ts: datetime = row["ts"]
        if origin is None:
            origin = ts
        if speed > 0:
            due = began + (ts - origin).total_seconds() / speed
            wait = due - clock()
            if wait > 0:
                sleep(wait)
        yield row

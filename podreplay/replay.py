"""Replay: the state of every pod at a moment, and the stream of changes between two moments.

Both read the lifecycle's derived tables (`capture_span`, `pods`, `*_intervals`, `restarts`) and
the events attached to pods (`pod_events`), with set-based SQL in `sql/replay_*.sql`. Times given
by users are parsed here (`parse_time`); pacing a stream at a speed factor is `paced`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from podreplay.errors import NotFoundError, UsageError
from podreplay.store import Store, sql_text

LATEST_EVENTS = 3

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")


@dataclass(frozen=True)
class CaptureSpan:
    """The first and last observation of the capture."""

    start: datetime
    end: datetime


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `90s`, `5m`, `1h30m`, `1.5h`, `250ms` or a bare number."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            raise UsageError(f"{text!r} is not a duration (examples: 90s, 5m, 1h30m)") from None
        seconds = sum(float(n) * _UNIT_S[u] for n, u in parts)
    if seconds < 0 or seconds != seconds:
        raise UsageError(f"{text!r} is not a duration (examples: 90s, 5m, 1h30m)")
    return seconds


def parse_time(text: str, capture_start: datetime, capture_end: datetime | None = None) -> datetime:
    """A user's moment as an aware UTC datetime.

    Accepts RFC 3339 (`2025-09-11T20:45:00Z`, `...+02:00`; no offset means UTC), `+DURATION`
    after the capture start (`+5m`, `+90s`, `+1h30m`), `-DURATION` before the capture end,
    `start` / `end`, and a time of day (`20:45`, `20:45:30`) on the capture start's date (the
    next day if that is before the capture start).
    """
    value = text.strip()
    if not value:
        raise UsageError("empty time (examples: 2025-09-11T20:45:00Z, +5m, -30s, 20:45)")
    lowered = value.lower()
    if lowered == "start":
        return capture_start.astimezone(UTC)
    if lowered == "end":
        return _need_end(capture_end, value)
    if value[0] in "+-":
        delta = timedelta(seconds=parse_duration(value[1:]))
        if value[0] == "+":
            return capture_start.astimezone(UTC) + delta
        return _need_end(capture_end, value) - delta
    if _TIME_OF_DAY.fullmatch(value):
        day = capture_start.astimezone(UTC)
        hours, minutes, *rest = value.split(":")
        if int(hours) > 23 or int(minutes) > 59 or (rest and float(rest[0]) >= 60):
            raise UsageError(f"{text!r} is not a time of day")
        clock = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            hours=int(hours), minutes=int(minutes), seconds=float(rest[0]) if rest else 0.0
        )
        return clock if clock >= day.replace(microsecond=0, second=0) else clock + timedelta(1)
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(
            f"{text!r} is not a time (examples: 2025-09-11T20:45:00Z, +5m, -30s, 20:45)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _need_end(capture_end: datetime | None, text: str) -> datetime:
    if capture_end is None:
        raise UsageError(f"{text!r} is relative to the capture end, which is unknown here")
    return capture_end.astimezone(UTC)


def capture_span(store: Store) -> CaptureSpan:
    """The capture's first and last observation (from the `capture_span` table)."""
    if not store.has_table("capture_span"):
        raise NotFoundError("the database holds no capture (run `podreplay ingest` first)")
    df = store.frame("SELECT start_ts, end_ts FROM capture_span")
    if df.is_empty() or df["start_ts"][0] is None or df["end_ts"][0] is None:
        raise NotFoundError("the database holds no capture (run `podreplay ingest` first)")
    start: datetime = df["start_ts"][0]
    end: datetime = df["end_ts"][0]
    return CaptureSpan(start.astimezone(UTC), end.astimezone(UTC))


def state_at(
    store: Store, at: datetime, namespace: str | None = None, *, n_events: int = LATEST_EVENTS
) -> pl.DataFrame:
    """Every pod that exists at `at`, with its phase, conditions, containers and latest events.

    Columns: pod_uid, namespace, pod, node, workload, phase, restarts (so far), pod_scheduled,
    initialized, containers_ready, ready (booleans; null when unknown), terminating, created_at,
    conditions (list of {condition, status, reason, since}), containers (list of {container,
    is_init, state, reason, exit_code, since}) and events (the latest `n_events` up to `at`,
    newest first: {at, reason, message, type, count}).
    """
    params: dict[str, object] = {"at": at, "ns": namespace, "n_events": n_events}
    return store.frame(sql_text("replay_state.sql"), params)


def changes(
    store: Store,
    start: datetime,
    end: datetime,
    pod: str | None = None,
    namespace: str | None = None,
) -> pl.DataFrame:
    """The events and state changes from `start` to `end` (inclusive), in replay order.

    One row per change: ts, namespace, pod, pod_uid, kind (pod, phase, condition, container,
    restart, event), subject (condition, container), value (the new phase, status, state, restart
    number, event reason, or created/deleting/deleted), reason, message, exit_code, type, count,
    last_at (an aggregated event's last occurrence), object (an event's Kind/name), event_key,
    basis. `pod` is a pod name or uid.
    """
    if end < start:
        raise UsageError("--to is before --from")
    if pod is not None:
        known = store.frame(
            "SELECT count(*) AS n FROM pods WHERE (pod = ? OR pod_uid = ?)"
            " AND (CAST(? AS VARCHAR) IS NULL OR namespace = ?)",
            [pod, pod, namespace, namespace],
        )
        if known["n"][0] == 0:
            where = f" in namespace {namespace}" if namespace else ""
            raise NotFoundError(f"no pod named {pod!r}{where} in the capture")
    params: dict[str, object] = {"start": start, "end": end, "pod": pod, "ns": namespace}
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

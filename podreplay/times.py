"""Times given by users, and the capture span they are relative to.

Every option that takes a moment (`stats --since/--until`, `report --since/--until`,
`replay --at/--from/--to`, `ingest --observed-at`, `simulate --start`) reads it with
`parse_moment`, so they all accept the same forms:

- RFC 3339 / ISO 8601: `2025-09-11T20:45:00Z`, `2025-09-11T22:45:00+02:00`, `2025-09-11 20:45`;
  a time written without a zone is UTC;
- `+DURATION` after the capture start, `-DURATION` before the capture end (`+5m`, `-30s`,
  `+1h30m`, `+250ms`);
- `start` and `end`: the capture's first and last observation;
- a time of day, `HH:MM` or `HH:MM:SS` (UTC), on the day the capture starts; when that is
  before the capture's start, the next day (a capture from 23:50 to 00:20 reads `00:05` as
  the second day).

The relative forms need a capture: they are refused where there is none yet (`ingest`,
`simulate`). A window (`stats`/`report --since/--until`, `replay --from/--to`) is read by
`parse_window`; which pods live in it is `selection.select_pods`'s one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from podreplay.errors import EmptySelectionError, NotFoundError, UsageError
from podreplay.sqlfiles import Sql

if TYPE_CHECKING:
    from podreplay.store import Store

# The one-line rule quoted by every --help that takes a time.
TIME_FORMS = (
    "TIME: RFC 3339 (no zone means UTC), +5m / -30s from the capture start / end, "
    "start, end, or HH:MM[:SS] UTC on the capture's first day."
)
ABSOLUTE_FORMS = "TIME: RFC 3339 (no zone means UTC), e.g. 2024-03-01T02:00:00Z."

SQL = Sql(__file__)
_EXAMPLES = "examples: 2025-09-11T20:45:00Z, +5m, -30s, start, end, 20:45"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?")


@dataclass(frozen=True)
class CaptureSpan:
    """The first and last observation of the capture (aware, UTC)."""

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


def parse_moment(text: str, span: CaptureSpan | None = None, option: str = "") -> datetime:
    """A user's moment as an aware UTC datetime (the forms are in the module docstring).

    `span` is the capture the relative forms refer to; without one they are a UsageError.
    `option` (e.g. `--since`) prefixes error messages.
    """
    where = f"{option}: " if option else ""
    value = text.strip()
    if not value:
        raise UsageError(f"{where}empty time ({_EXAMPLES})")
    lowered = value.lower()
    relative = lowered in ("start", "end") or value[0] in "+-" or _TIME_OF_DAY.fullmatch(value)
    if relative:
        if span is None:
            raise UsageError(
                f"{where}{text!r} is relative to a capture, and there is none here;"
                " give an RFC 3339 time (e.g. 2024-03-01T02:00:00Z)"
            )
        return _relative(value, span, where)
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(f"{where}{text!r} is not a time ({_EXAMPLES})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _relative(value: str, span: CaptureSpan, where: str) -> datetime:
    lowered = value.lower()
    if lowered == "start":
        return span.start
    if lowered == "end":
        return span.end
    if value[0] in "+-":
        try:
            delta = timedelta(seconds=parse_duration(value[1:]))
        except UsageError as exc:
            raise UsageError(f"{where}{exc}") from None
        return span.start + delta if value[0] == "+" else span.end - delta
    hours, minutes, *rest = value.split(":")
    if int(hours) > 23 or int(minutes) > 59 or (rest and float(rest[0]) >= 60):
        raise UsageError(f"{where}{value!r} is not a time of day")
    day = span.start
    clock = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        hours=int(hours), minutes=int(minutes), seconds=float(rest[0]) if rest else 0.0
    )
    return clock if clock >= day.replace(microsecond=0, second=0) else clock + timedelta(1)


def parse_window(
    since: str | datetime | None,
    until: str | datetime | None,
    span: CaptureSpan | None,
    options: tuple[str, str] = ("--since", "--until"),
) -> tuple[datetime | None, datetime | None]:
    """A window's ends as moments (text read by `parse_moment`, a datetime as it is, None
    open); a window that ends before it starts is refused, naming the `options` given."""
    lo = parse_moment(since, span, options[0]) if isinstance(since, str) else since
    hi = parse_moment(until, span, options[1]) if isinstance(until, str) else until
    if lo is not None and hi is not None and lo > hi:
        raise EmptySelectionError(
            f"{options[0]} {since} is after {options[1]} {until}: no time selected"
        )
    return lo, hi


def table_in(store: Store, name: str, catalog: str | None = None) -> bool:
    """Whether the table `name` exists in the store's database, or in the one attached as
    `catalog`."""
    if catalog is None:
        return store.has_table(name)
    return bool(store.scalar(SQL("has_table"), {"catalog": catalog, "name": name}))


def capture_span(store: Store, catalog: str | None = None) -> CaptureSpan | None:
    """The capture's first and last observation; None when the database holds none.

    Read from the derived `capture_span` table, else (a database not rebuilt yet) computed
    from the snapshots and events the same way. `catalog` names a database attached under
    that name (as `diff` attaches its two sides) to read instead of the store's own.
    """
    at = "" if catalog is None else '"' + catalog.replace('"', '""') + '".'
    if table_in(store, "capture_span", catalog):
        row = store.rows(SQL("span", at=at))
    elif table_in(store, "pod_snapshots", catalog):
        row = store.rows(SQL("span_from_evidence", at=at))
    else:
        return None
    if not row or row[0][0] is None or row[0][1] is None:
        return None
    start: datetime = row[0][0]
    end: datetime = row[0][1]
    return CaptureSpan(start.astimezone(UTC), end.astimezone(UTC))


def require_span(store: Store) -> CaptureSpan:
    """The capture span; NotFoundError when the database holds no capture."""
    span = capture_span(store)
    if span is None:
        raise NotFoundError("the database holds no capture (run `podreplay ingest` first)")
    return span

"""One reader for every time a user gives (podreplay.times): the forms, and the rule that a
time without a zone is UTC, through the library and through each command's option."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podreplay.errors import UsageError
from podreplay.times import CaptureSpan, parse_duration, parse_moment

START = datetime(2025, 9, 11, 20, 39, 39, tzinfo=UTC)
END = datetime(2025, 9, 11, 20, 53, 53, tzinfo=UTC)
SPAN = CaptureSpan(START, END)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+5m", START + timedelta(minutes=5)),
        ("+90s", START + timedelta(seconds=90)),
        ("+1h30m", START + timedelta(hours=1, minutes=30)),
        ("+1.5s", START + timedelta(seconds=1.5)),
        ("-5m", END - timedelta(minutes=5)),
        ("start", START),
        ("end", END),
        ("2025-09-11T20:45:00Z", datetime(2025, 9, 11, 20, 45, tzinfo=UTC)),
        ("2025-09-11T22:45:00+02:00", datetime(2025, 9, 11, 20, 45, tzinfo=UTC)),
        ("2025-09-11T20:45:00.250Z", datetime(2025, 9, 11, 20, 45, 0, 250000, tzinfo=UTC)),
        ("2025-09-11 20:45:00", datetime(2025, 9, 11, 20, 45, tzinfo=UTC)),  # no offset: UTC
        ("20:45", datetime(2025, 9, 11, 20, 45, tzinfo=UTC)),
        ("20:39", datetime(2025, 9, 11, 20, 39, tzinfo=UTC)),  # the capture's first minute
        ("01:15:30", datetime(2025, 9, 12, 1, 15, 30, tzinfo=UTC)),  # before the start: next day
    ],
)
def test_parse_moment_reads_rfc3339_relative_and_time_of_day(text: str, expected: datetime) -> None:
    assert parse_moment(text, SPAN) == expected


@pytest.mark.parametrize("text", ["", "soon", "+5", "+5 minutes", "25:00", "2025-13-01T00:00:00Z"])
def test_parse_moment_rejects_what_it_cannot_read(text: str) -> None:
    if text == "+5":  # a bare number is seconds
        assert parse_moment(text, SPAN) == START + timedelta(seconds=5)
        return
    with pytest.raises(UsageError):
        parse_moment(text, SPAN)


@pytest.mark.parametrize("text", ["-5m", "+5m", "start", "end", "20:45"])
def test_relative_forms_need_a_capture(text: str) -> None:
    with pytest.raises(UsageError, match="relative to a capture"):
        parse_moment(text, None, "--observed-at")


@given(st.lists(st.tuples(st.integers(0, 99), st.sampled_from(["ms", "s", "m", "h", "d"]))))
def test_parse_duration_sums_its_parts(parts: list[tuple[int, str]]) -> None:
    unit = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    if not parts:
        return
    text = "".join(f"{n}{u}" for n, u in parts)
    assert parse_duration(text) == pytest.approx(sum(n * unit[u] for n, u in parts))

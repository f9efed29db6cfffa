"""The terminal renderers: one style map for the timeline and the live replay, and a change
stream written as it comes (a change is out before the next one is read)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from podreplay.render.terminal import replay
from podreplay.render.terminal.styles import KIND_STYLE, WARNING_STYLE, row_style

CHANGE: dict[str, Any] = {
    "ts": datetime(2024, 3, 1, 2, 0, 5, tzinfo=UTC),
    "namespace": "shop",
    "pod": "cart-0",
    "kind": "phase",
    "subject": None,
    "value": "Running",
    "reason": None,
    "exit_code": None,
    "type": None,
    "count": None,
    "last_at": None,
    "object": None,
    "message": None,
}


def test_a_warning_event_is_red_and_every_other_row_takes_its_kind_style() -> None:
    assert row_style("event", "Warning") == WARNING_STYLE
    assert row_style("event", "Normal") == KIND_STYLE["event"]
    assert all(row_style(kind) == style for kind, style in KIND_STYLE.items())
    assert row_style("something new") == ""


def _then_stuck() -> Iterator[dict[str, Any]]:
    yield CHANGE
    raise AssertionError("the second change was read before the first was written")


@pytest.mark.parametrize("render", [replay.text_lines, replay.json_lines, replay.csv_chunks])
def test_a_change_is_written_before_the_next_is_read(
    render: Callable[[Iterator[dict[str, Any]]], Iterator[str]],
) -> None:
    first = next(render(_then_stuck()))
    assert "Running" in first and first.endswith("\n")


def test_a_change_reads_as_one_line() -> None:
    (line,) = replay.text_lines(iter([CHANGE]))
    assert line == "2024-03-01T02:00:05Z  shop/cart-0  phase Running\n"

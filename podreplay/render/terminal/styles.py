"""The one style map of row kinds: how a phase, a condition flip, a container state, an event or a
restart is coloured, in the timeline table and the live replay alike."""

from __future__ import annotations

KIND_STYLE = {
    "pod": "bold",
    "phase": "bold cyan",
    "condition": "magenta",
    "container": "green",
    "event": "",
    "restart": "bold red",
    "probe": "yellow",
    "blocked": "bold yellow",
}
WARNING_STYLE = "red"  # a Warning event, whatever its kind's style


def row_style(kind: str, event_type: str | None = None) -> str:
    """The style of a row of this kind (a Warning event in WARNING_STYLE)."""
    if kind == "event" and event_type == "Warning":
        return WARNING_STYLE
    return KIND_STYLE.get(kind, "")

"""The rules of the Chrome trace-event format that ui.perfetto.dev and chrome://tracing rely on,
checked on a parsed trace: returns every violation found (an empty list means valid)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

PHASES = {"X", "B", "E", "i", "I", "M", "s", "t", "f"}
# 2000-01-01 and 2100-01-01 in microseconds: a ts outside is not epoch microseconds
MIN_US, MAX_US = 946_684_800_000_000, 4_102_444_800_000_000


def violations(doc: Any) -> list[str]:
    """Every rule the trace breaks."""
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["not an object with a traceEvents array"]
    events: list[dict[str, Any]] = doc["traceEvents"]
    bad: list[str] = []
    bad += _fields(events)
    if bad:
        return bad
    bad += _order(events)
    bad += _names(events)
    bad += _begin_end(events)
    bad += _nesting(events)
    bad += _flows(events)
    return bad


def _fields(events: list[dict[str, Any]]) -> list[str]:
    bad = []
    for n, e in enumerate(events):
        ph = e.get("ph")
        if ph not in PHASES:
            bad.append(f"#{n}: unknown ph {ph!r}")
            continue
        if not isinstance(e.get("pid"), int):
            bad.append(f"#{n}: pid is not an integer")
        if (ph != "M" or "tid" in e) and not isinstance(e.get("tid"), int):
            bad.append(f"#{n}: tid is not an integer")
        if ph == "M":
            continue
        ts = e.get("ts")
        if not isinstance(ts, int) or not MIN_US <= ts <= MAX_US:
            bad.append(f"#{n}: ts {ts!r} is not integer microseconds since the epoch")
        if ph == "X" and (not isinstance(e.get("dur"), int) or e["dur"] < 0):
            bad.append(f"#{n}: X without a non-negative integer dur")
        if ph in "iI" and e.get("s", "t") not in ("t", "p", "g"):
            bad.append(f"#{n}: instant scope {e.get('s')!r}")
        if ph in "stf" and "id" not in e:
            bad.append(f"#{n}: flow event without id")
        if not isinstance(e.get("name"), str):
            bad.append(f"#{n}: name is not a string")
    return bad


def _order(events: list[dict[str, Any]]) -> list[str]:
    """Metadata first, then every event in timestamp order."""
    bad = []
    seen_timed = False
    last = -1
    for n, e in enumerate(events):
        if e["ph"] == "M":
            if seen_timed:
                bad.append(f"#{n}: metadata after timed events")
            continue
        seen_timed = True
        if e["ts"] < last:
            bad.append(f"#{n}: ts {e['ts']} before the previous event's {last}")
        last = e["ts"]
    return bad


def _names(events: list[dict[str, Any]]) -> list[str]:
    """Every process and thread is named; a tid belongs to one process and is no pid."""
    bad = []
    procs = {e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    threads = {
        (e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"
    }
    used = {(e["pid"], e["tid"]) for e in events if e["ph"] != "M"}
    bad += [f"process {p} has no process_name" for p, _ in used if p not in procs]
    bad += [f"thread {t} has no thread_name" for t in used - threads]
    owner: dict[int, int] = {}
    for pid, tid in threads:
        if owner.setdefault(tid, pid) != pid:
            bad.append(f"tid {tid} in two processes")
        if tid in procs:
            bad.append(f"tid {tid} is also a pid")
    return bad


def _begin_end(events: list[dict[str, Any]]) -> list[str]:
    """Every B has its E on the same track, last opened first closed."""
    bad = []
    stacks: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        track = (e["pid"], e.get("tid", 0))
        if e["ph"] == "B":
            stacks[track].append(e)
        elif e["ph"] == "E":
            if not stacks[track]:
                bad.append(f"E at {e['ts']} on {track} without a B")
            else:
                b = stacks[track].pop()
                if e["ts"] < b["ts"]:
                    bad.append(f"E at {e['ts']} before its B at {b['ts']} on {track}")
    bad += [f"B at {b['ts']} on {t} never ends" for t, bs in stacks.items() for b in bs]
    return bad


def slices_by_track(events: list[dict[str, Any]]) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """(start, end) of every slice (X, instants as zero-length) per (pid, tid)."""
    out: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            out[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
        elif e["ph"] in "iI" and e.get("s", "t") == "t":
            out[(e["pid"], e["tid"])].append((e["ts"], e["ts"]))
    return out


def _nesting(events: list[dict[str, Any]]) -> list[str]:
    """Slices on one track are disjoint or one contains the other."""
    bad = []
    for track, spans in slices_by_track(events).items():
        stack: list[tuple[int, int]] = []
        for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
            while stack and stack[-1][1] <= start:
                stack.pop()
            if stack and end > stack[-1][1]:
                bad.append(f"{track}: slice {start}..{end} overlaps {stack[-1]}")
                continue
            stack.append((start, end))
    return bad


def _flows(events: list[dict[str, Any]]) -> list[str]:
    """Each flow has one start and one end, in time order, each right after the slice or
    instant it binds to (on its track, at its time)."""
    bad = []
    flows: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    previous: dict[tuple[int, int], dict[str, Any]] = {}
    for n, e in enumerate(events):
        track = (e["pid"], e.get("tid", 0))
        if e["ph"] in "stf":
            flows[(e["id"], e.get("cat"), e["name"])].append(e)
            bound = previous.get(track)
            if bound is None or not bound["ts"] <= e["ts"] <= bound["ts"] + bound.get("dur", 0):
                bad.append(f"#{n}: flow {e['id']} at {e['ts']} has no enclosing slice")
        elif e["ph"] in "XiI":
            previous[track] = e
    for key, steps in flows.items():
        phases = "".join(s["ph"] for s in steps)
        if phases[:1] != "s" or phases[-1:] != "f" or set(phases[1:-1]) - {"t"}:
            bad.append(f"flow {key}: phases {phases!r}")
        if [s["ts"] for s in steps] != sorted(s["ts"] for s in steps):
            bad.append(f"flow {key}: steps out of time order")
    return bad

"""What the API server holds of the simulated events when the capture is taken: the client-go
recorder's aggregation and spam filter, the events.k8s.io series flush lag and the event TTL.

Each behaviour turns the full event history (every occurrence, `Recorder`) into the Event
objects a `kubectl get events` at the capture end would find; see docs/simulator.md.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Collection, Sequence

from podreplay.sim.model import SimEvent, rand_uid

# the behaviours (ttl, spam_filter, series_lag) live in names.py: `simulate --help` lists them
from podreplay.sim.names import EVENT_BEHAVIOURS as EVENT_BEHAVIOURS

# kube-apiserver --event-ttl default: an Event object lives this long after its last update
EVENT_TTL_S = 3600
# client-go tools/record: aggregation after 10 distinct messages within a 600 s sliding window
AGGREGATE_MAX = 10
AGGREGATE_WINDOW_S = 600
COMBINED_PREFIX = "(combined from similar events): "
# client-go tools/record spam filter: a token bucket per source and object, burst 25, 1 / 300 s
SPAM_BURST = 25
SPAM_REFILL_S = 300
# client-go tools/events: open series re-patched every 30 min, closed 6 min after the last one
SERIES_HEARTBEAT_S = 1800
SERIES_FINISH_S = 360


def _occurrences(events: Sequence[SimEvent]) -> list[tuple[int, int, SimEvent]]:
    """(time, order, event) of every occurrence, in time order (ties in event order)."""
    return sorted(
        ((t, i, ev) for i, ev in enumerate(events) for t in ev.occurrences),
        key=lambda x: (x[0], x[1]),
    )


def aggregate_similar(events: Sequence[SimEvent], rng: random.Random) -> list[SimEvent]:
    """`EventAggregator`: per source, object, reason and type (not message nor fieldPath), once
    10 distinct messages fall within a 600 s sliding window, each occurrence of a further one
    goes to one `(combined from similar events): <latest message>` object instead."""
    groups: dict[tuple[object, ...], list[SimEvent]] = {}
    for ev in events:
        if not ev.series:
            key = (ev.component, ev.host, ev.obj_uid, ev.reason, ev.type)
            groups.setdefault(key, []).append(ev)
    out: list[SimEvent] = [ev for ev in events if ev.series]
    for evs in groups.values():
        kept: dict[int, list[int]] = {id(ev): [] for ev in evs}
        combined: list[tuple[int, SimEvent]] = []
        seen: set[str] = set()
        last: int | None = None
        for t, _, ev in _occurrences(evs):
            if last is not None and t - last > AGGREGATE_WINDOW_S:
                seen = set()
            last = t
            seen.add(ev.message)
            if len(seen) < AGGREGATE_MAX:
                kept[id(ev)].append(t)
            else:
                seen.discard(ev.message)  # client-go pops an arbitrary one: this one
                combined.append((t, ev))
        for ev in evs:
            if kept[id(ev)]:
                out.append(dataclasses.replace(ev, occurrences=kept[id(ev)]))
        if combined:
            first = combined[0][1]
            out.append(
                dataclasses.replace(
                    first,
                    message=COMBINED_PREFIX + combined[-1][1].message,
                    occurrences=[t for t, _ in combined],
                    uid=rand_uid(rng),
                    nanos=rng.randrange(1, 999_999) * 1000,
                )
            )
    return out


def spam_filter(events: Sequence[SimEvent], minor: int) -> list[SimEvent]:
    """`EventSourceObjectSpamFilter`: per source and object (and type from 1.32) a bucket of 25
    tokens refilled one per 5 min; an occurrence without a token is dropped. The dedupe count
    still grew, so an object keeps its first occurrence and every one up to its last that got
    through (its count jumps); one with none through was never written."""
    buckets: dict[tuple[object, ...], tuple[float, int]] = {}
    last_kept: dict[int, int] = {}
    for t, _, ev in _occurrences([ev for ev in events if not ev.series]):
        key = (ev.component, ev.host, ev.obj_uid) + ((ev.type,) if minor >= 32 else ())
        tokens, since = buckets.get(key, (float(SPAM_BURST), t))
        tokens = min(float(SPAM_BURST), tokens + (t - since) / SPAM_REFILL_S)
        if tokens >= 1:
            tokens -= 1
            last_kept[id(ev)] = t
        buckets[key] = (tokens, t)
    out = []
    for ev in events:
        if ev.series:
            out.append(ev)
        elif id(ev) in last_kept:
            upto = [t for t in ev.occurrences if t <= last_kept[id(ev)]]
            out.append(dataclasses.replace(ev, occurrences=upto))
    return out


def series_flush(events: Sequence[SimEvent], end: int, rng: random.Random) -> list[SimEvent]:
    """events.k8s.io series as written by the capture end: the second occurrence is patched at
    once, later ones only by the 30-min heartbeat or the final patch on the first 6-min tick
    at least 6 min after the last; `series.count` and `lastObservedTime` are those of the
    latest write (the broadcaster's tickers start at a random phase)."""
    beat, tick = rng.randrange(0, SERIES_HEARTBEAT_S), rng.randrange(0, SERIES_FINISH_S)
    out = []
    for ev in events:
        occ = ev.occurrences
        if not ev.series or len(occ) < 2:
            out.append(ev)
            continue
        done = occ[-1] + SERIES_FINISH_S
        final = done + (tick - done) % SERIES_FINISH_S
        writes = [occ[1], final, *range(beat, end + 1, SERIES_HEARTBEAT_S)]
        written = max(w for w in writes if w <= end) if min(writes) <= end else occ[1]
        out.append(dataclasses.replace(ev, occurrences=[t for t in occ if t <= written]))
    return out


def written_events(
    events: Sequence[SimEvent],
    end: int,
    minor: int,
    behaviours: Collection[str],
    seed: int,
) -> list[SimEvent]:
    """The Event objects a capture at `end` finds under the given behaviours (any of
    `EVENT_BEHAVIOURS`; none: every occurrence, as recorded)."""
    rng = random.Random(f"event-behaviour/{seed}")
    out = list(events)
    if "spam_filter" in behaviours:
        out = spam_filter(aggregate_similar(out, rng), minor)
    if "series_lag" in behaviours:
        out = series_flush(out, end, rng)
    if "ttl" in behaviours:
        out = [ev for ev in out if ev.occurrences[-1] >= end - EVENT_TTL_S]
    return out

"""A simulated cluster living in accelerated time: the simulator's history replayed as API writes.

`Replay(cap, state, speed)` turns a `podreplay.sim.simulate.generate()` capture into the writes
an API server would have seen (pods created, scheduled, started, restarted, deleted; events
created and their counts bumped), in time order, and applies each one to a `ClusterState` when the
simulated clock reaches it. Simulated second `t` is `cap.start + t`; the clock runs `speed`
times faster than the wall clock from `start()` on. `now()` is that clock, for the capture.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from podreplay.sim.simulate import Capture
from podreplay.sim.write import RenderContext, render_event_core, render_pod
from tests.support.apiserver import ClusterState


@dataclass(frozen=True)
class Write:
    """One change at simulated second `t`."""

    t: int
    resource: str
    type: str
    obj: dict[str, Any]


def writes(cap: Capture) -> list[Write]:
    """Every change of the capture in the order an API server would have stored them."""
    ctx = RenderContext(cap.start, int(cap.k8s_version.split(".")[1]), "control-plane-1")
    out: list[tuple[int, int, int, Write]] = []
    for m in cap.pods:
        for i, v in enumerate(m.versions):
            typ = "ADDED" if i == 0 else "MODIFIED"
            out.append((v.t, 0, len(out), Write(v.t, "pods", typ, render_pod(m, v.status, 0, ctx))))
        if m.deleted_at is not None:
            obj = render_pod(m, m.versions[-1].status, 0, ctx)
            out.append((m.deleted_at, 0, len(out), Write(m.deleted_at, "pods", "DELETED", obj)))
    for ev in cap.events:
        for k, t in enumerate(ev.occurrences):
            upto = dataclasses.replace(ev, occurrences=ev.occurrences[: k + 1])
            obj = render_event_core(upto, 0, None, ctx)
            out.append((t, 1, len(out), Write(t, "events", "ADDED" if k == 0 else "MODIFIED", obj)))
    out.sort(key=lambda w: w[:3])
    return [w for *_, w in out]


class Replay:
    """Applies a capture's writes to `state` as the accelerated clock reaches them."""

    def __init__(self, cap: Capture, state: ClusterState, speed: float) -> None:
        self.cap = cap
        self.state = state
        self.speed = speed
        self.pending = writes(cap)
        self.applied: dict[int, int] = {}  # resourceVersion -> simulated second of the write
        self._t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sim-replay", daemon=True)
        self.done = threading.Event()

    def sim_seconds(self) -> float:
        """Simulated seconds since the capture start."""
        return (time.monotonic() - self._t0) * self.speed

    def now(self) -> datetime:
        """The simulated wall clock (aware UTC)."""
        return self.cap.start + timedelta(seconds=self.sim_seconds())

    def wait_until(self, t: float, timeout: float = 60) -> None:
        """Block until the simulated clock reaches second `t`."""
        left = (t - self.sim_seconds()) / self.speed
        assert left < timeout, f"simulated second {t} is {left:.0f}s of wall time away"
        if left > 0:
            self._stop.wait(left)

    def start(self) -> Replay:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        i = 0
        while i < len(self.pending) and not self._stop.is_set():
            now = self.sim_seconds()
            while i < len(self.pending) and self.pending[i].t <= now:
                w = self.pending[i]
                rv = self.state.write(w.resource, w.type, w.obj)
                self.applied[rv] = w.t
                i += 1
            if i < len(self.pending):
                self._stop.wait(min(0.05, (self.pending[i].t - now) / self.speed))
        self.done.set()

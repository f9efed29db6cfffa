"""The steps scenarios are built from: boot a pod (scheduling, init containers, app
containers), start a native sidecar, settle readiness, restart a container after it exited."""

from __future__ import annotations

from podreplay.sim.pod import PodSim
from podreplay.sim.workload import (
    pick_node,
)


def boot(p: PodSim, t: int, node: str | None = None, present: bool | None = None) -> int:
    """Scheduled → admitted → init containers one by one → app containers started.

    Returns the time the last app container started. Readiness is left to `settle`.
    """
    rng = p.rng
    t += rng.randrange(0, 2)
    p.schedule(t, node or pick_node(p.cl))
    t += 1
    p.admit(t)
    if present is None:
        present = rng.random() < 0.5
    inits = p.init_names()
    for c in inits:
        t = p.pull(t, c, present or rng.random() < 0.5)
        t += 1
        if p.spec(c).sidecar:  # keeps running; the next one starts once it has started
            t = start_sidecar(p, t, c) + 2
            continue
        p.start(t, c, ready=False)
        t += rng.randrange(2, 20)
        p.exit(t, c, 0)
        t += 1
    if inits:
        p.set_cond(t - 1, "Initialized", "True")
        p.commit(t - 1)
    for c in p.app_names():
        t = p.pull(t, c, present)
        t += 1 if not present else 0
        p.start(t, c)
    return t


def start_sidecar(p: PodSim, t: int, c: str) -> int:
    """A native sidecar starts at `t`; returns when it counts as started (its startup probe
    passed, if it has one)."""
    p.start(t, c)
    sp = p.spec(c).probe("startup")
    if sp is None:
        return t
    at = t + sp.initial_delay + sp.period
    p.set_ready(at, c, True, started=True)
    return at


def settle(p: PodSim, t: int) -> int:
    """Readiness probes pass for containers that have one; returns when the pod is ready."""
    last = t
    for c in p.app_names():
        spec = p.spec(c)
        rp = spec.probe("readiness")
        if rp is not None and p.cs(c).state == "running" and not p.cs(c).ready:
            at = t + rp.initial_delay + rp.period
            p.set_ready(at, c, True)
            last = max(last, at)
    return last


def restart_after_exit(p: PodSim, te: int, c: str, cause: str) -> int:
    """After an exit at `te`: first restart at once, later ones after CrashLoopBackOff."""
    if p.cs(c).restart_count == 0 and c not in p.backoff_n:
        p.backoff_n[c] = 0
        at = te + 1
    else:
        at = p.backoff(te + 1, c)
    p.restart(at, c, cause)
    return at

"""Scenarios about kinds of containers: native sidecars, failing init containers, ephemeral
(debug) containers and in-place resize."""

from __future__ import annotations

import json

from podreplay.sim.cluster import Cluster
from podreplay.sim.model import ContainerSpec, rand_name
from podreplay.sim.pod import PodSim
from podreplay.sim.steps import boot, restart_after_exit, settle
from podreplay.sim.workload import (
    INIT_NAMES,
    SIDECARS,
    Workload,
    app_spec,
    new_pod,
    pick_node,
    readiness,
    startup,
)


# -- native sidecars (restartable init containers) -----------------------------------------
def sc_native_sidecar(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """An init container with restartPolicy Always keeps running beside the app: Initialized
    once it started (startup probe passed), its crashes restart it, it stops after the app."""
    rng = cl.rng
    side = ContainerSpec(
        name=rng.choice(SIDECARS),
        image="envoyproxy/envoy:v1.29.1",
        is_init=True,
        restart_policy="Always",
        probes=[startup()] if rng.random() < 0.5 else [],
        image_size=60_000_000,
    )
    first = [ContainerSpec(name=INIT_NAMES[0], image="busybox:1.36", is_init=True)]
    inits = [*first, side] if rng.random() < 0.4 else [side]
    p = new_pod(cl, wl, "native_sidecar", [*inits, app_spec(rng, wl, probes=[readiness()])], t0)
    t = settle(p, boot(p, t0))
    c = side.name
    for _ in range(rng.randrange(0, 4)):
        te = t + rng.randrange(60, 900)
        oom = rng.random() < 0.3
        p.exit(te, c, 137 if oom else 1, "OOMKilled" if oom else None)
        t = restart_after_exit(p, te, c, "OOMKilled" if oom else "error")
        sp = side.probe("startup")
        if sp is not None:
            t += sp.period
            p.set_ready(t, c, True, started=True)
    if rng.random() < 0.4:
        td = t + rng.randrange(60, 900)
        if p.m.owner_kind == "ReplicaSet":
            cl.owner_event(td, p.m, "SuccessfulDelete", f"Deleted pod: {p.m.name}")
        p.delete(td, "graceful")


# -- init container failures ------------------------------------------------------------------
def sc_init_failure(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The last init container fails (Error or OOMKilled): Init:CrashLoopBackOff while the pod
    stays Pending (40 %: it passes after a few tries); restartPolicy Never fails the pod."""
    rng = cl.rng
    policy = "Never" if wl.kind in ("Job", "CronJob") else "Always"
    k = rng.randrange(1, 3)
    inits = [
        ContainerSpec(name=INIT_NAMES[i], image="busybox:1.36", is_init=True) for i in range(k)
    ]
    spec = app_spec(rng, wl, probes=[readiness()])
    p = new_pod(cl, wl, "init_failure", [*inits, spec], t0, restart_policy=policy)
    t = t0 + rng.randrange(0, 2)
    p.schedule(t, pick_node(cl))
    t += 1
    p.admit(t)
    for s in inits[:-1]:
        t = p.pull(t, s.name, True) + 1
        p.start(t, s.name, ready=False)
        t += rng.randrange(2, 20)
        p.exit(t, s.name, 0)
        t += 1
    c = inits[-1].name
    t = p.pull(t, c, rng.random() < 0.5) + 1
    p.start(t, c, ready=False)
    oom = rng.random() < 0.3
    code, reason = (137, "OOMKilled") if oom else (rng.choice([1, 1, 2]), "Error")
    cause = "OOMKilled" if oom else "error"
    passes_after = rng.randrange(1, 5) if rng.random() < 0.4 else None
    tries = 0
    while t < cl.end:
        if tries == passes_after:
            te = t + rng.randrange(2, 20)
            p.exit(te, c, 0)
            p.set_cond(te, "Initialized", "True")
            p.commit(te)
            present = rng.random() < 0.5
            t = p.pull(te + 1, spec.name, present) + (0 if present else 1)
            p.start(t, spec.name)
            settle(p, t)
            return
        te = t + rng.randrange(2, 30)
        p.exit(te, c, code, reason)
        tries += 1
        if policy == "Never":
            p.set_phase(te, "Failed")
            return
        t = restart_after_exit(p, te, c, cause)


# -- ephemeral containers -----------------------------------------------------------------------
def sc_ephemeral_debug(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """`kubectl debug` on a running pod, once or twice: an ephemeral container targeting the
    app starts; 60 % it exits 0 after 30–600 s (the shell quit), else it runs on."""
    rng = cl.rng
    spec = app_spec(rng, wl, probes=[readiness()])
    p = new_pod(cl, wl, "ephemeral_debug", [spec], t0)
    t = settle(p, boot(p, t0))
    for _ in range(rng.randrange(1, 3)):
        stay = rng.randrange(30, 600) if rng.random() < 0.6 else None
        name = f"debugger-{rand_name(rng, 5)}"
        t = p.debug(t + rng.randrange(60, 600), name, "busybox:1.36", spec.name, stay)
        if stay is None:
            return


# -- in-place resize -----------------------------------------------------------------------------
NO_ROOM = "Node didn't have enough capacity: cpu, requested: 2000, capacity: 1800"
NEVER_FITS = (
    "Node didn't have enough capacity: memory, requested: 68719476736, capacity: 8300000000"
)


def sc_inplace_resize(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The app's resources are patched in place, 1–3 times: from 1.33 the PodResizePending
    (Deferred, Infeasible) and PodResizeInProgress conditions, removed when done; before,
    `status.resize` (Proposed first, then Deferred / Infeasible / InProgress, then gone). 35 %
    the app's resizePolicy restarts it for memory: each resize kills and restarts it."""
    rng = cl.rng
    spec = app_spec(rng, wl, qos="Burstable", probes=[readiness()])
    spec.resize_restart = rng.random() < 0.35
    p = new_pod(cl, wl, "inplace_resize", [spec], t0)
    t = settle(p, boot(p, t0))
    for generation in range(2, 2 + rng.randrange(1, 4)):
        t += rng.randrange(60, 600)
        if cl.minor < 33:  # the API server marks the patch Proposed, the kubelet answers
            _resize_state(p, t, "Proposed", None)
            t += 1
        if rng.random() < 0.15:  # it can never fit this node: the user reverts the patch
            _resize_state(p, t, "Infeasible", NEVER_FITS, generation)
            t += rng.randrange(60, 600)
            _resize_state(p, t, None, None)
            continue
        if rng.random() < 0.4:  # the node lacks room for now
            _resize_state(p, t, "Deferred", NO_ROOM, generation)
            t += rng.randrange(30, 300)
        _resize_state(p, t, "InProgress", None, generation)
        if spec.resize_restart:
            t = _resize_restart(p, t, spec.name)
        else:
            t += rng.randrange(2, 30)
        _resize_state(p, t, None, None, generation)


def _resize_state(
    p: PodSim, t: int, state: str | None, msg: str | None, generation: int = 0
) -> None:
    """The resize's state at `t`: a condition from 1.33 (status.resize before), gone when None;
    from 1.35 the kubelet's Resize* events (message: the resources asked for, as JSON)."""
    conds = p.st.conditions
    if p.cl.minor >= 33:
        conds.pop("PodResizePending", None)
        conds.pop("PodResizeInProgress", None)
        if state == "InProgress":
            p.set_cond(t, "PodResizeInProgress", "True")
        elif state is not None:
            p.set_cond(t, "PodResizePending", "True", state, msg)
    else:
        p.st.resize = state
    if p.cl.minor >= 35 and generation:
        reason, head = {
            "InProgress": ("ResizeStarted", "Pod resize started"),
            "Deferred": ("ResizeDeferred", "Pod resize Deferred"),
            "Infeasible": ("ResizeInfeasible", "Pod resize Infeasible"),
            None: ("ResizeCompleted", "Pod resize completed"),
        }[state]
        spec = next(s for s in p.m.specs if not s.is_init)
        body: dict[str, object] = {
            "containers": [
                {"name": spec.name, "resources": {"limits": spec.limits, "requests": spec.requests}}
            ],
            "generation": generation,
        }
        if msg:
            body["error"] = msg
        kind = "Warning" if state in ("Deferred", "Infeasible") else "Normal"
        text = json.dumps(body, separators=(",", ":"))
        p.event(t, reason, f"{head}: {text}", kind)
    p.commit(t)


def _resize_restart(p: PodSim, t: int, c: str) -> int:
    """resizePolicy RestartContainer: the kubelet kills `c` and starts it again with the new
    resources at once (no back-off); returns when it is ready again."""
    p.event(t, "Killing", f"Container {c} resize requires restart", container=c)
    te = t + p.rng.randrange(1, 4)
    p.exit(te, c, 0 if p.rng.random() < 0.3 else 143)
    p.restart(te + 1, c, "resize")
    return settle(p, te + 1)

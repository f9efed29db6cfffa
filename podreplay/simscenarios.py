"""Named scenario generators: each creates one or more pods of a workload and drives them.

Every generator has the signature `(cl, wl, t0, n_pods) -> None`; `n_pods` is how many pod
objects it must create (1 for most; jobs that retry and recreated StatefulSet pods take more).
"""

from __future__ import annotations

from collections.abc import Callable

from podreplay.simmodel import ContainerSpec, rand_hex, rand_name, rand_uid
from podreplay.simpod import Cluster, PodSim
from podreplay.simworkload import (
    BAD_IMAGE,
    INIT_NAMES,
    SIDECARS,
    Workload,
    app_spec,
    liveness,
    new_pod,
    pick_node,
    readiness,
    startup,
)

ScenarioFn = Callable[[Cluster, Workload, int, int], None]


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


# -- scenarios --------------------------------------------------------------------------------
def sc_healthy(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Scheduled → (Pulling → Pulled | already present) → Created → Started → Ready."""
    rng = cl.rng
    specs = [app_spec(rng, wl, probes=[readiness(), liveness()] if rng.random() < 0.6 else [])]
    if rng.random() < 0.25:
        side = app_spec(rng, wl, qos="BestEffort")
        side.name, side.image = rng.choice(SIDECARS), "envoyproxy/envoy:v1.29.1"
        if specs[0].requests:
            side.requests, side.limits = {"cpu": "10m", "memory": "32Mi"}, {}
        specs.append(side)
    p = new_pod(cl, wl, "healthy", specs, t0)
    node = None
    if wl.kind == "DaemonSet":
        node = cl.nodes[wl.ordinal % len(cl.nodes)].name
    settle(p, boot(p, t0, node=node))


def sc_init_containers(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """One to three init containers run one by one before the app (Initialized flips once)."""
    rng = cl.rng
    k = rng.randrange(1, 4)
    inits = [
        ContainerSpec(name=INIT_NAMES[i], image="busybox:1.36", is_init=True, image_size=2_200_000)
        for i in range(k)
    ]
    specs = [*inits, app_spec(rng, wl, probes=[readiness()])]
    p = new_pod(cl, wl, "init_containers", specs, t0)
    settle(p, boot(p, t0))


def restart_after_exit(p: PodSim, te: int, c: str, cause: str) -> int:
    """After an exit at `te`: first restart at once, later ones after CrashLoopBackOff."""
    if p.cs(c).restart_count == 0 and c not in p.backoff_n:
        p.backoff_n[c] = 0
        at = te + 1
    else:
        at = p.backoff(te + 1, c)
    p.restart(at, c, cause)
    return at


def sc_crashloop(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The app exits after a few seconds, again and again: CrashLoopBackOff 10s…300s."""
    rng = cl.rng
    code = rng.choice([1, 1, 1, 2, 0, 255])
    p = new_pod(cl, wl, "crashloop", [app_spec(rng, wl)], t0)
    c = p.app_names()[0]
    t = boot(p, t0)
    cause = "completed" if code == 0 else "error"
    while t < cl.end:
        te = t + rng.randrange(1, 9)
        p.exit(te, c, code)
        t = restart_after_exit(p, te, c, cause)


def sc_liveness_kill(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Unhealthy ×failureThreshold → Killing "failed liveness probe" → restarted."""
    rng = cl.rng
    spec = app_spec(rng, wl, probes=[liveness(), readiness()])
    p = new_pod(cl, wl, "liveness_kill", [spec], t0)
    c = spec.name
    t = settle(p, boot(p, t0))
    lp = spec.probe("liveness")
    assert lp is not None
    for _ in range(rng.randrange(1, 4)):
        f = t + rng.randrange(600, 1200)
        last = p.probe_failures(f, c, "liveness", lp.failure_threshold, "HTTP probe failed with "
                                "statuscode: 500")  # fmt: skip
        te = p.probe_kill(last, c, "liveness", sigkill=rng.random() < 0.5)
        p.restart(te + 1, c, "liveness_probe")
        p.backoff_n[c] = 0
        t = settle(p, te + 1)


def sc_startup_probe(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The startup probe never passes in time: killed and restarted, with back-off."""
    rng = cl.rng
    spec = app_spec(rng, wl, probes=[startup(), liveness(), readiness()])
    p = new_pod(cl, wl, "startup_probe", [spec], t0)
    c = spec.name
    sp = spec.probe("startup")
    assert sp is not None
    t = boot(p, t0)
    kills = rng.randrange(1, 5)
    for i in range(kills + 1):
        if i == kills:
            if rng.random() < 0.6:
                at = t + sp.period * rng.randrange(1, sp.failure_threshold)
                p.set_ready(at, c, False, started=True)
                settle(p, at)
            return
        first = t + sp.initial_delay + sp.period
        last = p.probe_failures(first, c, "startup", sp.failure_threshold, "Get "
                                '"http://10.244.0.9:8080/healthz": dial tcp 10.244.0.9:8080: '
                                "connect: connection refused")  # fmt: skip
        te = p.probe_kill(last, c, "startup", sigkill=rng.random() < 0.3)
        t = restart_after_exit(p, te, c, "startup_probe")


def sc_oom_kill(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Memory limit hit: terminated OOMKilled exit 137 (no event), then BackOff."""
    rng = cl.rng
    spec = app_spec(rng, wl, qos="Burstable")
    spec.limits = {"memory": "128Mi"}
    p = new_pod(cl, wl, "oom_kill", [spec], t0)
    c = spec.name
    t = boot(p, t0)
    for _ in range(rng.randrange(2, 8)):
        te = t + rng.randrange(20, 300)
        p.exit(te, c, 137, "OOMKilled")
        t = restart_after_exit(p, te, c, "OOMKilled")


def sc_image_pull_failure(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Pulling → Failed/ErrImagePull → BackOff/ImagePullBackOff, pod stays Pending."""
    rng = cl.rng
    spec = app_spec(rng, wl)
    spec.image = BAD_IMAGE.format(name=wl.name)
    p = new_pod(cl, wl, "image_pull_failure", [spec], t0)
    c = spec.name
    t0 += rng.randrange(0, 2)
    p.schedule(t0, pick_node(cl))
    p.admit(t0 + 1)
    t = t0 + 1
    stop = cl.end if rng.random() < 0.6 else t + rng.randrange(300, 1500)
    err = (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{spec.image}": '
        f'failed to resolve reference "{spec.image}": {spec.image}: not found'
    )
    delay = 10
    while t < stop:
        p.event(t, "Pulling", f'Pulling image "{spec.image}"', container=c)
        tf = t + rng.randrange(1, 4)
        p.event(tf, "Failed", f'Failed to pull image "{spec.image}": {err}', "Warning", c)
        p.event(tf, "Failed", "Error: ErrImagePull", "Warning", c)
        cs = p.cs(c)
        cs.reason, cs.message, cs.since = "ErrImagePull", f"{err}", tf
        p.commit(tf)
        tb = tf + 1
        cs.reason, cs.since = "ImagePullBackOff", tb
        cs.message = f'Back-off pulling image "{spec.image}"'
        if cl.minor >= 32:
            cs.message += f": ErrImagePull: {err}"
        p.commit(tb)
        at = tb
        while at < tf + delay:
            p.event(at, "BackOff", f'Back-off pulling image "{spec.image}"', "Normal", c)
            p.event(at, "Failed", "Error: ImagePullBackOff", "Warning", c)
            at += rng.randrange(10, 30)
        t = tf + delay
        delay = min(delay * 2, 300)
    # the last pull attempt may end after `stop`: the deletion comes after what it recorded
    stop = max(stop, p.m.versions[-1].t) if p.m.versions else stop
    if stop < cl.end:
        cl.owner_event(stop, p.m, "SuccessfulDelete", f"Deleted pod: {p.m.name}")
        p.delete(stop)


def sc_unschedulable(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """FailedScheduling (aggregated series), PodScheduled=False; maybe scheduled later."""
    rng = cl.rng
    spec = app_spec(rng, wl, qos="Guaranteed")
    spec.requests = {"cpu": "8", "memory": "16Gi"}
    spec.limits = dict(spec.requests)
    p = new_pod(cl, wl, "unschedulable", [spec], t0)
    why = rng.choice(["Insufficient cpu", "Insufficient memory"])
    later = rng.random() < 0.6
    until = t0 + rng.randrange(120, 1200) if later else cl.end + 1
    p.unschedulable(t0, until, why)
    if later:
        settle(p, boot(p, until))


def sc_node_loss(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """NodeNotReady: Ready=False, phase Unknown (NodeLost); back to Running or Failed/deleted."""
    rng = cl.rng
    p = new_pod(cl, wl, "node_loss", [app_spec(rng, wl, probes=[readiness()])], t0)
    t = settle(p, boot(p, t0))
    tl = t + rng.randrange(200, 900)
    node = p.node
    p.event(tl, "NodeNotReady", "Node is not ready", "Warning", component="node-controller")
    cl.rec.add(
        tl,
        namespace="",
        obj=("Node", node, node, ""),
        reason="NodeNotReady",
        message=f"Node {node} status is now: NodeNotReady",
        component="node-controller",
        pod_uid=p.m.uid,
    )
    p.ready_override = True
    msg = f"Node {node} which was running pod {p.m.name} is unresponsive"
    p.set_phase(tl, "Unknown", "NodeLost", msg)
    if rng.random() < 0.5:
        tr = tl + rng.randrange(60, 280)
        p.ready_override = False
        p.set_phase(tr, "Running")
        return
    td = tl + 300
    comp = "taint-eviction-controller" if cl.minor >= 29 else "taint-controller"
    text = f"Marking for deletion Pod {p.m.namespace}/{p.m.name}"
    p.event(td, "TaintManagerEviction", text, component=comp)
    reason = "DeletionByTaintManager"
    p.set_cond(
        td, "DisruptionTarget", "True", reason, "Taint manager: deleting due to NoExecute taint"
    )
    p.st.deletion_ts, p.st.deletion_grace = td + p.m.grace, p.m.grace
    p.commit(td)
    tf = td + p.m.grace + rng.randrange(5, 40)
    p.set_phase(tf, "Failed", "NodeLost", msg)
    p.gone_now(tf + rng.randrange(1, 3))


def sc_eviction(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Node memory pressure: the BestEffort pod is Evicted (phase Failed, reason Evicted)."""
    rng = cl.rng
    spec = app_spec(rng, wl, qos="BestEffort")
    p = new_pod(cl, wl, "eviction", [spec], t0)
    c = spec.name
    t = settle(p, boot(p, t0))
    te = t + rng.randrange(300, 1500)
    used = rng.randrange(300, 900)
    msg = "The node was low on resource: memory. "
    if cl.minor >= 26:
        msg += f"Threshold quantity: 100Mi, available: {rng.randrange(20_000, 99_000)}Ki. "
        msg += f"Container {c} was using {used}Mi, request is 0, has larger consumption of memory. "
    else:
        msg += f"Container {c} was using {used}Mi, which exceeds its request of 0. "
    _kubelet_evicts(p, te, c, msg, condition=cl.minor >= 26)


def _kubelet_evicts(p: PodSim, te: int, c: str, msg: str, condition: bool = True) -> None:
    """The kubelet evicts under node pressure at `te`: Evicted and Killing events,
    DisruptionTarget True `TerminationByKubelet` (where `condition`: from 1.26), container `c`
    SIGKILLed (137) a second or two later, phase Failed Evicted."""
    p.event(te, "Evicted", msg, "Warning")
    p.event(te, "Killing", f"Stopping container {c}", container=c)
    if condition:
        p.set_cond(te, "DisruptionTarget", "True", "TerminationByKubelet", msg)
    p.commit(te)
    tx = te + p.rng.randrange(1, 3)
    p.exit(tx, c, 137)
    p.set_phase(tx, "Failed", "Evicted", msg)


def sc_readiness_flap(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Readiness probe fails on and off: Ready/ContainersReady flip, Unhealthy aggregated."""
    rng = cl.rng
    spec = app_spec(rng, wl, probes=[readiness(), liveness()])
    p = new_pod(cl, wl, "readiness_flap", [spec], t0)
    c = spec.name
    rp = spec.probe("readiness")
    assert rp is not None
    t = settle(p, boot(p, t0))
    while t < cl.end:
        f = t + rng.randrange(60, 400)
        k = rp.failure_threshold + rng.randrange(0, 12)
        p.probe_failures(f, c, "readiness", k, "HTTP probe failed with statuscode: 503")
        p.set_ready(f + (rp.failure_threshold - 1) * rp.period, c, False)
        t = f + k * rp.period
        p.set_ready(t, c, True)


def sc_termination(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Scale-down delete: Killing "Stopping container", preStop, exit 143 or SIGKILL 137."""
    rng = cl.rng
    spec = app_spec(rng, wl, probes=[readiness()])
    p = new_pod(cl, wl, "termination", [spec], t0)
    t = settle(p, boot(p, t0))
    td = t + rng.randrange(120, 1500)
    mode = "sigkill" if rng.random() < 0.4 else "graceful"
    if p.m.owner_kind == "ReplicaSet":
        cl.owner_event(td, p.m, "SuccessfulDelete", f"Deleted pod: {p.m.name}")
    p.delete(td, mode, prestop_fail=rng.random() < 0.5)


def sc_recreated(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """A StatefulSet pod is deleted and recreated under the same name with a new uid."""
    rng = cl.rng
    t = t0
    for i in range(n):
        p = new_pod(cl, wl, "recreated", [app_spec(rng, wl, probes=[readiness()])], t)
        t = settle(p, boot(p, t))
        if i < n - 1:
            gone = p.delete(t + rng.randrange(120, 900))
            t = gone + 1


def sc_job_succeeded(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """A Job pod runs to completion (exit 0): phase Succeeded, Job Completed."""
    rng = cl.rng
    policy = rng.choice(["Never", "OnFailure"])
    spec = app_spec(rng, wl, qos="Burstable")
    p = new_pod(cl, wl, "job_succeeded", [spec], t0, restart_policy=policy)
    c = spec.name
    t = boot(p, t0)
    if policy == "OnFailure" and rng.random() < 0.6:
        te = t + rng.randrange(5, 60)
        p.exit(te, c, 1)
        t = restart_after_exit(p, te, c, "error")
    te = t + rng.randrange(30, 600)
    p.exit(te, c, 0)
    p.finish_if_done(te)
    job = p.m.owner_name or wl.name
    cl.owner_event(te + 1, p.m, "Completed", "Job completed")
    if wl.kind == "CronJob":
        word = "condition" if cl.minor >= 31 else "status"
        text = f"Saw completed job: {job}, {word}: Complete"
        cl.owner_event(
            te + 2, p.m, "SawCompletedJob", text, kind="CronJob", name=wl.name, uid=wl.uid
        )


def sc_job_failed(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Each Job pod exits 1 (restartPolicy Never); after backoffLimit: BackoffLimitExceeded."""
    rng = cl.rng
    t = t0
    for i in range(n):
        spec = app_spec(rng, wl, qos="Burstable")
        p = new_pod(cl, wl, "job_failed", [spec], t, restart_policy="Never")
        c = spec.name
        ts = boot(p, t)
        te = ts + rng.randrange(3, 120)
        p.exit(te, c, rng.choice([1, 1, 2, 127]))
        p.finish_if_done(te)
        if i == n - 1:
            msg = "Job has reached the specified backoff limit"
            cl.owner_event(te + 1, p.m, "BackoffLimitExceeded", msg, type_="Warning")
        t = te + (10 << i) + rng.randrange(0, 3)


def sc_preemption(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Kubelet preemption for a critical pod: Preempting, phase Failed reason Preempting."""
    rng = cl.rng
    spec = app_spec(rng, wl, qos="BestEffort")
    p = new_pod(cl, wl, "preemption", [spec], t0)
    c = spec.name
    t = settle(p, boot(p, t0))
    tp = t + rng.randrange(300, 1500)
    msg = "Preempted in order to admit critical pod"
    p.event(tp, "Preempting", msg, "Warning")
    p.event(tp, "Killing", f"Stopping container {c}", container=c)
    if cl.minor >= 26:
        p.set_cond(tp, "DisruptionTarget", "True", "TerminationByKubelet", msg)
    p.commit(tp)
    tx = tp + rng.randrange(1, 5)
    p.exit(tx, c, 143)
    p.set_phase(tx, "Failed", "Preempting", msg)


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
def sc_inplace_resize(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The app's resources are patched in place, 1–3 times, without a restart: from 1.33 the
    PodResizePending (Deferred, 40 %) and PodResizeInProgress conditions, removed when done;
    before, `status.resize` (Deferred / InProgress, then gone)."""
    rng = cl.rng
    spec = app_spec(rng, wl, qos="Burstable", probes=[readiness()])
    p = new_pod(cl, wl, "inplace_resize", [spec], t0)
    t = settle(p, boot(p, t0))
    for _ in range(rng.randrange(1, 4)):
        t += rng.randrange(60, 600)
        if rng.random() < 0.4:  # the node lacks room for now
            if cl.minor >= 33:
                msg = "Node didn't have enough capacity: cpu, requested: 2000, capacity: 1800"
                p.set_cond(t, "PodResizePending", "True", "Deferred", msg)
            else:
                p.st.resize = "Deferred"
            p.commit(t)
            t += rng.randrange(30, 300)
            p.st.conditions.pop("PodResizePending", None)
        if cl.minor >= 33:
            p.set_cond(t, "PodResizeInProgress", "True")
        else:
            p.st.resize = "InProgress"
        p.commit(t)
        t += rng.randrange(2, 30)
        p.st.conditions.pop("PodResizeInProgress", None)
        p.st.resize = None
        p.commit(t)


# -- stuck in ContainerCreating: volumes, sandbox, config (issue 19) ----------------------------
def _stuck_creating(
    cl: Cluster,
    wl: Workload,
    t0: int,
    scenario: str,
    cause: str,
    attempts: Callable[[PodSim, int, int], None],
) -> None:
    """Admitted, then no container can be created until `stop` (60 %: fixed 2.5–20 min later
    and the pod boots; else stuck to the end, 30 % of those deleted while stuck). `attempts`
    emits what the failing retries leave; the truth gets the stuck stretch."""
    rng = cl.rng
    spec = app_spec(rng, wl)
    p = new_pod(cl, wl, scenario, [spec], t0)
    t0 += rng.randrange(0, 2)
    p.schedule(t0, pick_node(cl))
    ta = t0 + 1
    p.admit(ta)
    fixed = rng.random() < 0.6
    deleted = not fixed and rng.random() < 0.3
    stop = ta + rng.randrange(150, 1200) if fixed or deleted else cl.end + 1
    attempts(p, ta, stop)
    if fixed:
        for c in p.app_names():
            p.pull(stop, c, present=True)
            p.start(stop, c)
        settle(p, stop)
        p.m.creation_blocks.append((cause, ta, stop))
        return
    p.m.creation_blocks.append((cause, ta, None))
    if deleted:
        if p.m.owner_kind == "ReplicaSet":
            cl.owner_event(stop, p.m, "SuccessfulDelete", f"Deleted pod: {p.m.name}")
        p.delete(stop)


def _volume_attempts(p: PodSim, ta: int, stop: int) -> None:
    """A volume that never attaches (FailedAttachVolume from the attach/detach controller) or
    whose SetUp fails (a missing ConfigMap), then the kubelet's 2-minute `FailedMount` timeout
    `Unable to attach or mount volumes: … timed out waiting for the condition`."""
    rng = p.rng
    token = f"kube-api-access-{rand_name(rng, 5)}"
    at, gap = ta, 1
    if rng.random() < 0.5:
        vol, disk = f"pvc-{rand_uid(rng)}", f"vol-{rand_hex(rng, 17)}"
        msg = (
            f'AttachVolume.Attach failed for volume "{vol}" : rpc error: code = Internal desc ='
            f' Could not attach volume "{disk}" to node "i-{rand_hex(rng, 17)}": attachment of'
            f' disk "{disk}" failed, expected device to be attached but was attaching'
        )
        while at < stop:
            p.event(at, "FailedAttachVolume", msg, "Warning", component="attachdetach-controller")
            at, gap = at + gap, min(gap * 2, 120)
        unmounted, unattached = "data", f"data {token}"
    else:
        cm = f"{p.m.name.split('-')[0]}-config"
        msg = f'MountVolume.SetUp failed for volume "config" : configmap "{cm}" not found'
        while at < stop:
            p.event(at, "FailedMount", msg, "Warning")
            at, gap = at + gap, min(gap * 2, 122)
        unmounted, unattached = "config", f"config {token}"
    text = (
        f"Unable to attach or mount volumes: unmounted volumes=[{unmounted}], unattached"
        f" volumes=[{unattached}]: timed out waiting for the condition"
    )
    at = ta + 122
    while at < stop:
        p.event(at, "FailedMount", text, "Warning")
        at += 122 + rng.randrange(0, 3)


def _sandbox_attempts(p: PodSim, ta: int, stop: int) -> None:
    """The CNI cannot set up the sandbox's network: `FailedCreatePodSandBox` at each retry
    (each sandbox id its own message), PodReadyToStartContainers False; once it works,
    `SandboxChanged` and PodReadyToStartContainers True."""
    rng = p.rng
    if p.cl.minor >= 29:
        p.set_cond(ta, "PodReadyToStartContainers", "False")
        p.commit(ta)
    at = ta
    while at < stop:
        msg = (
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup"
            f' network for sandbox "{rand_hex(rng, 64)}": plugin type="calico" failed (add):'
            " error getting ClusterInformation: connection is unauthorized: Unauthorized"
        )
        p.event(at, "FailedCreatePodSandBox", msg, "Warning")
        at += rng.randrange(10, 30)
    if stop <= p.cl.end:
        p.event(stop, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
        if p.cl.minor >= 29:
            p.set_cond(stop, "PodReadyToStartContainers", "True")
            p.commit(stop)


def _config_attempts(p: PodSim, ta: int, stop: int) -> None:
    """The container's env names a missing Secret/ConfigMap (key): waiting
    `CreateContainerConfigError`, `Failed` `Error: …` (and `Pulled`) at each retry."""
    rng = p.rng
    c = p.app_names()[0]
    base = p.m.name.split("-")[0]
    err = rng.choice(
        [
            f'configmap "{base}-config" not found',
            f'secret "{base}-credentials" not found',
            f"couldn't find key password in Secret {p.m.namespace}/{base}-credentials",
        ]
    )
    tp = p.pull(ta, c, present=rng.random() < 0.7)
    cs = p.cs(c)
    cs.reason, cs.message, cs.since = "CreateContainerConfigError", err, tp
    p.commit(tp)
    at = tp
    image = p.spec(c).image
    while at < stop:
        if at > tp:
            p.event(
                at, "Pulled", f'Container image "{image}" already present on machine', "Normal", c
            )
        p.event(at, "Failed", f"Error: {err}", "Warning", c)
        at += rng.randrange(10, 30)


def sc_volume_mount_failure(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """ContainerCreating: a volume fails to attach or mount (FailedAttachVolume, FailedMount)."""
    _stuck_creating(cl, wl, t0, "volume_mount_failure", "volume", _volume_attempts)


def sc_sandbox_failure(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """ContainerCreating: the pod sandbox fails (FailedCreatePodSandBox, then SandboxChanged)."""
    _stuck_creating(cl, wl, t0, "sandbox_failure", "sandbox", _sandbox_attempts)


def sc_config_error(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """CreateContainerConfigError: a missing Secret/ConfigMap (key) the container needs."""
    _stuck_creating(cl, wl, t0, "config_error", "config", _config_attempts)


# -- eviction variants: the DisruptionTarget reasons (issue 19) ---------------------------------
def _disrupted(
    cl: Cluster, wl: Workload, t0: int, scenario: str, qos: str | None
) -> tuple[PodSim, int]:
    """A booted pod that a disruption will end, and when it is ready."""
    spec = app_spec(cl.rng, wl, qos=qos, probes=[readiness()])
    p = new_pod(cl, wl, scenario, [spec], t0)
    return p, settle(p, boot(p, t0))


def sc_pressure_eviction(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """Node pressure: the kubelet evicts a pod over its request (BestEffort first, then
    Burstable): `Evicted`, DisruptionTarget True `TerminationByKubelet`, phase Failed Evicted."""
    rng = cl.rng
    qos = rng.choice(["BestEffort", "Burstable"])
    p, ready = _disrupted(cl, wl, t0, "pressure_eviction", qos)
    c = p.app_names()[0]
    te = ready + rng.randrange(300, 1500)
    request = "0" if qos == "BestEffort" else p.spec(c).requests.get("memory", "0")
    resource = rng.choice(["memory", "ephemeral-storage"])
    used = f"{rng.randrange(600, 1900)}Mi"
    threshold = "100Mi" if resource == "memory" else "10%"
    msg = (
        f"The node was low on resource: {resource}. Threshold quantity: {threshold}, available:"
        f" {rng.randrange(20_000, 99_000)}Ki. Container {c} was using {used}, request is"
        f" {request}, has larger consumption of {resource}. "
    )
    _kubelet_evicts(p, te, c, msg)


def _deleted_by(p: PodSim, t: int, reason: str, msg: str) -> None:
    """DisruptionTarget True `reason`, then the graceful delete that carries it out."""
    p.set_cond(t, "DisruptionTarget", "True", reason, msg)
    p.commit(t)
    p.delete(t)


def sc_api_eviction(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The Eviction API (kubectl drain, the descheduler): DisruptionTarget True
    `EvictionByEvictionAPI` `Eviction API: evicting`, then a graceful delete."""
    rng = cl.rng
    p, ready = _disrupted(cl, wl, t0, "api_eviction", None)
    te = ready + rng.randrange(300, 1500)
    if rng.random() < 0.5:
        strategy = rng.choice(["LowNodeUtilization", "RemoveDuplicates", "PodLifeTime"])
        p.event(
            te,
            strategy,
            "pod evicted by sigs.k8s.io/descheduler",
            component="sigs.k8s.io.descheduler",
        )
    _deleted_by(p, te, "EvictionByEvictionAPI", "Eviction API: evicting")


def sc_scheduler_preemption(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """The scheduler preempts the pod for a higher-priority one: `Preempted` (events.k8s.io),
    DisruptionTarget True `PreemptionByScheduler`, then a graceful delete."""
    rng = cl.rng
    p, ready = _disrupted(cl, wl, t0, "scheduler_preemption", None)
    tp = ready + rng.randrange(300, 1500)
    by = f"Preempted by pod {rand_uid(rng)} on node {p.node}"
    p.sched_event(tp, "Preempted", by, "Normal", "Preempting")
    msg = "default-scheduler: preempting to accommodate a higher priority pod"
    _deleted_by(p, tp, "PreemptionByScheduler", msg)


def sc_taint_eviction(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """A NoExecute taint the pod does not tolerate: `TaintManagerEviction`, DisruptionTarget
    True `DeletionByTaintManager`, then a graceful delete."""
    rng = cl.rng
    p, ready = _disrupted(cl, wl, t0, "taint_eviction", None)
    td = ready + rng.randrange(300, 1500)
    comp = "taint-eviction-controller" if cl.minor >= 29 else "taint-controller"
    text = f"Marking for deletion Pod {p.m.namespace}/{p.m.name}"
    p.event(td, "TaintManagerEviction", text, component=comp)
    _deleted_by(p, td, "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")


SCENARIOS: dict[str, tuple[ScenarioFn, int]] = {
    # name: (generator, default weight)
    "healthy": (sc_healthy, 30),
    "init_containers": (sc_init_containers, 6),
    "crashloop": (sc_crashloop, 8),
    "liveness_kill": (sc_liveness_kill, 6),
    "startup_probe": (sc_startup_probe, 4),
    "oom_kill": (sc_oom_kill, 5),
    "image_pull_failure": (sc_image_pull_failure, 5),
    "unschedulable": (sc_unschedulable, 4),
    "node_loss": (sc_node_loss, 3),
    "eviction": (sc_eviction, 3),
    "readiness_flap": (sc_readiness_flap, 5),
    "termination": (sc_termination, 6),
    "recreated": (sc_recreated, 3),
    "job_succeeded": (sc_job_succeeded, 6),
    "job_failed": (sc_job_failed, 3),
    "preemption": (sc_preemption, 2),
    "native_sidecar": (sc_native_sidecar, 4),
    "init_failure": (sc_init_failure, 4),
    "ephemeral_debug": (sc_ephemeral_debug, 2),
    "inplace_resize": (sc_inplace_resize, 2),
    "volume_mount_failure": (sc_volume_mount_failure, 2),
    "sandbox_failure": (sc_sandbox_failure, 2),
    "config_error": (sc_config_error, 2),
    "pressure_eviction": (sc_pressure_eviction, 2),
    "api_eviction": (sc_api_eviction, 2),
    "scheduler_preemption": (sc_scheduler_preemption, 1),
    "taint_eviction": (sc_taint_eviction, 1),
}

# How many pods a scenario creates: (minimum, maximum).
POD_COUNTS: dict[str, tuple[int, int]] = {"recreated": (2, 3), "job_failed": (1, 3)}

KINDS: dict[str, list[str]] = {
    "healthy": ["Deployment"] * 5 + ["StatefulSet", "DaemonSet", "DaemonSet", "Pod"],
    "recreated": ["StatefulSet"],
    "job_succeeded": ["Job", "CronJob"],
    "job_failed": ["Job", "Job", "CronJob"],
    "eviction": ["Deployment", "Deployment", "Pod"],
    "preemption": ["Deployment", "Pod"],
    "init_failure": ["Deployment", "Deployment", "StatefulSet", "Job"],
    "pressure_eviction": ["Deployment", "Deployment", "Pod"],
}
DEFAULT_KINDS = ["Deployment"] * 4 + ["StatefulSet"]

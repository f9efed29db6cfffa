"""Scenarios of pods taken away: node loss, kubelet evictions (node pressure), API evictions,
preemption by the scheduler and NoExecute taints, each with its DisruptionTarget reason."""

from __future__ import annotations

from podreplay.sim.cluster import Cluster
from podreplay.sim.model import rand_uid
from podreplay.sim.pod import PodSim
from podreplay.sim.steps import boot, settle
from podreplay.sim.workload import (
    Workload,
    app_spec,
    new_pod,
    readiness,
)


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

"""Scenarios of pods that run, crash, are killed by probes or the OOM killer, cannot pull or be
scheduled, flap readiness, terminate, are recreated, and of jobs that succeed or fail."""

from __future__ import annotations

from podreplay.sim.cluster import Cluster
from podreplay.sim.model import ContainerSpec
from podreplay.sim.steps import boot, restart_after_exit, settle
from podreplay.sim.workload import (
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

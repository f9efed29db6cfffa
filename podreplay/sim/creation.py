"""Scenarios of pods stuck in ContainerCreating: volumes that do not mount or attach, sandboxes
that cannot be created, container configs that name a missing Secret or ConfigMap key; and a
running pod whose sandbox is re-created under it."""

from __future__ import annotations

from collections.abc import Callable

from podreplay.sim.cluster import Cluster
from podreplay.sim.model import rand_hex, rand_name, rand_uid
from podreplay.sim.pod import PodSim
from podreplay.sim.steps import boot, settle
from podreplay.sim.workload import (
    Workload,
    app_spec,
    new_pod,
    pick_node,
    readiness,
)


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


SANDBOX_CHANGED = "Pod sandbox changed, it will be killed and re-created."


def sc_sandbox_recreated(cl: Cluster, wl: Workload, t0: int, n: int) -> None:
    """A running pod's sandbox is gone (the runtime lost its pause container or network
    namespace): `SandboxChanged`, every container stopped (`Killing` `Stopping container X`,
    exit 143 or 0) and started again in a new sandbox 1–3 s after the last exit. The pod stays
    Running; each container restarts (cause `sandbox`); the truth has the stretch without a
    running container as a `sandbox` creation block."""
    rng = cl.rng
    spec = app_spec(rng, wl, probes=[readiness()] if rng.random() < 0.6 else None)
    p = new_pod(cl, wl, "sandbox_recreated", [spec], t0)
    ts = settle(p, boot(p, t0)) + rng.randrange(60, 1200)
    p.event(ts, "SandboxChanged", SANDBOX_CHANGED)
    if cl.minor >= 29:
        p.set_cond(ts, "PodReadyToStartContainers", "False")
    p.commit(ts)
    last = ts
    for c in p.app_names():
        p.event(ts, "Killing", f"Stopping container {c}", container=c)
        te = ts + rng.randrange(0, 3)
        p.exit(te, c, 0 if rng.random() < 0.3 else 143)
        last = max(last, te)
    tn = last + rng.randrange(1, 4)
    if cl.minor >= 29:
        p.set_cond(tn, "PodReadyToStartContainers", "True")
    for c in p.app_names():
        p.restart(tn, c, "sandbox")
    settle(p, tn)
    p.m.creation_blocks.append(("sandbox", ts, tn))

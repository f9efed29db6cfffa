"""Building blocks of a simulated pod's life: schedule, pull, start, crash, back off, delete.

Each method takes the time (seconds since capture start) at which the step happens, mutates the
pod status, records the events the real components would write and commits a version; the
caller walks time forward. Message wording follows the cluster's Kubernetes minor version.
"""

from __future__ import annotations

from podreplay.sim.cluster import Cluster
from podreplay.sim.model import (
    Cond,
    ContainerSpec,
    CStatus,
    LastTerm,
    PodModel,
    PodStatus,
    Restart,
    Version,
    clone,
    full_image,
    go_duration,
    rand_hex,
)

BACKOFF_START = 10
BACKOFF_MAX = 300


class PodSim:
    """Drives one pod through its life, recording versions and events."""

    def __init__(self, cl: Cluster, model: PodModel) -> None:
        self.cl = cl
        self.m = model
        self.rng = cl.rng
        self.st = PodStatus()
        self.backoff_n: dict[str, int] = {}
        self.ready_override = False
        cl.pods.append(model)

    # -- plumbing -------------------------------------------------------------------------
    @property
    def node(self) -> str:
        """The node the pod is bound to."""
        assert self.st.node is not None
        return self.st.node

    def spec(self, name: str) -> ContainerSpec:
        """The spec of container `name`."""
        return next(s for s in self.m.specs if s.name == name)

    def cs(self, name: str) -> CStatus:
        """The current status of container `name`."""
        return next(c for c in self.st.containers if c.name == name)

    def app_names(self) -> list[str]:
        """Names of the regular (non-init) containers."""
        return [s.name for s in self.m.specs if not s.is_init]

    def init_names(self) -> list[str]:
        """Names of the init containers, in order."""
        return [s.name for s in self.m.specs if s.is_init]

    def fmt_pod(self) -> str:
        """`format.Pod`: name_namespace(uid)."""
        return f"{self.m.name}_{self.m.namespace}({self.m.uid})"

    def set_cond(
        self, t: int, name: str, status: str, reason: str | None = None, msg: str | None = None
    ) -> None:
        """Set a condition; lastTransitionTime (and reason) only move when the status flips."""
        c = self.st.conditions.get(name)
        if c is None or c.status != status:
            self.st.conditions[name] = Cond(status, reason, msg, t)
        elif c.since == t:  # refined within the same second
            c.reason, c.message = reason, msg
        elif c.reason == reason:
            c.message = msg

    def _derive_ready(self, t: int) -> None:
        if "Ready" not in self.st.conditions:
            return
        # app containers and native sidecars decide readiness
        apps = [c for c in self.st.containers if not c.is_init or self.spec(c.name).sidecar]
        unready = [c.name for c in apps if not c.ready]
        if self.st.phase == "Succeeded":
            reason: str | None = "PodCompleted"
        elif self.st.phase == "Failed":
            reason = "PodFailed"
        else:
            reason = "ContainersNotReady"
        msg = f"containers with unready status: [{' '.join(unready)}]" if unready else None
        if self.st.phase in ("Succeeded", "Failed"):
            msg = None
        cr = "False" if unready else "True"
        self.set_cond(t, "ContainersReady", cr, None if cr == "True" else reason, msg)
        ready = "False" if unready or self.ready_override else "True"
        if ready == "False" and not unready:
            reason, msg = None, None
        self.set_cond(t, "Ready", ready, None if ready == "True" else reason, msg)

    def commit(self, t: int) -> None:
        """Record the pod as it is from `t` on (one watch record)."""
        self._derive_ready(t)
        vs = self.m.versions
        assert not vs or t >= vs[-1].t, (self.m.name, t, vs[-1].t)
        if vs and vs[-1].t == t:
            vs[-1] = Version(t, clone(self.st))
        else:
            vs.append(Version(t, clone(self.st)))

    def event(
        self,
        t: int,
        reason: str,
        message: str,
        type_: str = "Normal",
        container: str | None = None,
        component: str = "kubelet",
    ) -> None:
        """A kubelet (or other component's) event on this pod."""
        fp = None
        if container is not None:
            kind = "initContainers" if self.spec(container).is_init else "containers"
            fp = f"spec.{kind}{{{container}}}"
        host = self.st.node if component == "kubelet" else None
        self.cl.rec.add(
            t,
            namespace=self.m.namespace,
            obj=("Pod", self.m.name, self.m.uid, "v1"),
            reason=reason,
            message=message,
            type_=type_,
            component=component,
            host=host,
            field_path=fp,
            pod_uid=self.m.uid,
        )

    def sched_event(self, t: int, reason: str, message: str, type_: str, action: str) -> None:
        """A scheduler event (events.k8s.io recorder: eventTime + series)."""
        self.cl.rec.add(
            t,
            namespace=self.m.namespace,
            obj=("Pod", self.m.name, self.m.uid, "v1"),
            reason=reason,
            message=message,
            type_=type_,
            component="default-scheduler",
            series=True,
            action=action,
            pod_uid=self.m.uid,
        )

    # -- message wording by version -------------------------------------------------------
    def _created_msg(self, c: str) -> str:
        if self.cl.minor >= 35:
            return "Container created"
        if self.cl.minor >= 32:
            return f"Created container: {c}"
        return f"Created container {c}"

    def _started_msg(self, c: str) -> str:
        return "Container started" if self.cl.minor >= 35 else f"Started container {c}"

    def _pulled_msg(self, image: str, secs: int, size: int) -> str:
        took = f"{secs - 1}.{self.rng.randrange(100, 999)}s"
        if self.cl.minor >= 30:
            return (
                f'Successfully pulled image "{image}" in {took} ({took} including waiting).'
                f" Image size: {size} bytes."
            )
        if self.cl.minor >= 26:
            return f'Successfully pulled image "{image}" in {took} ({took} including waiting)'
        return f'Successfully pulled image "{image}" in {took}'

    def _backoff_msg(self, c: str) -> str:
        if self.cl.minor >= 26:
            return f"Back-off restarting failed container {c} in pod {self.fmt_pod()}"
        return "Back-off restarting failed container"

    # -- lifecycle steps ------------------------------------------------------------------
    def create(self, t: int) -> None:
        """The pod object appears (ADDED)."""
        self.st.containers = []
        if self.m.owner_kind in ("ReplicaSet", "Job", "DaemonSet"):
            self.cl.owner_event(t, self.m, "SuccessfulCreate", f"Created pod: {self.m.name}")
        elif self.m.owner_kind == "StatefulSet":
            msg = f"create Pod {self.m.name} in StatefulSet {self.m.owner_name} successful"
            self.cl.owner_event(t, self.m, "SuccessfulCreate", msg)
        self.commit(t)

    def unschedulable(self, t: int, until: int, reason_text: str) -> None:
        """FailedScheduling attempts from `t` until `until` (exclusive)."""
        n = len(self.cl.nodes)
        msg = f"0/{n} nodes are available: {n} {reason_text}."
        if self.cl.minor >= 24:
            msg += (
                f" preemption: 0/{n} nodes are available: {n} No preemption victims found"
                " for incoming pod."
            )
        self.set_cond(t, "PodScheduled", "False", "Unschedulable", msg)
        self.commit(t)
        at, gap = t, 1
        while at < until:
            self.sched_event(at, "FailedScheduling", msg, "Warning", "Scheduling")
            at += gap + self.rng.randrange(0, 3)
            gap = min(gap * 2, 60) if gap < 60 else 60 + self.rng.randrange(0, 240)

    def schedule(self, t: int, node: str) -> None:
        """The scheduler binds the pod to `node`."""
        self.st.node = node
        self.set_cond(t, "PodScheduled", "True")
        msg = f"Successfully assigned {self.m.namespace}/{self.m.name} to {node}"
        self.sched_event(t, "Scheduled", msg, "Normal", "Binding")
        self.commit(t)

    def admit(self, t: int) -> None:
        """The kubelet takes the pod: sandbox, IP, startTime, initial container statuses."""
        node = next(n for n in self.cl.nodes if n.name == self.st.node)
        self.st.host_ip = node.ip
        self.st.pod_ip = f"10.244.{node.index}.{node.next_ip}"
        node.next_ip += 1
        self.st.start_time = t
        inits = self.init_names()
        wait = "PodInitializing" if inits else "ContainerCreating"
        self.st.containers = [
            CStatus(name=s.name, is_init=s.is_init, image=s.image, reason=wait, since=t)
            for s in self.m.specs
        ]
        if self.cl.minor >= 29:
            self.set_cond(t, "PodReadyToStartContainers", "True")
        if inits:
            msg = f"containers with incomplete status: [{' '.join(inits)}]"
            self.set_cond(t, "Initialized", "False", "ContainersNotInitialized", msg)
        else:
            self.set_cond(t, "Initialized", "True")
        self.set_cond(t, "Ready", "False", "ContainersNotReady")
        self.set_cond(t, "ContainersReady", "False", "ContainersNotReady")
        self.commit(t)

    def pull(self, t: int, c: str, present: bool) -> int:
        """Image pull for container `c`; returns when the image is there."""
        s = self.spec(c)
        if present:
            msg = f'Container image "{s.image}" already present on machine'
            self.event(t, "Pulled", msg, container=c)
            return t
        self.event(t, "Pulling", f'Pulling image "{s.image}"', container=c)
        d = self.rng.randrange(2, 25)
        self.event(t + d, "Pulled", self._pulled_msg(s.image, d, s.image_size), container=c)
        self.m.pulls.append((t, t + d))
        return t + d

    def _image_id(self, c: str) -> str:
        repo = full_image(self.spec(c).image).rsplit(":", 1)[0]
        image = self.spec(c).image
        if image not in self.cl.digests:
            self.cl.digests[image] = f"{repo}@sha256:{rand_hex(self.rng, 64)}"
        return self.cl.digests[image]

    def start(self, t: int, c: str, *, ready: bool | None = None, started: bool = True) -> None:
        """Created + Started: container `c` runs from `t`."""
        s = self.spec(c)
        cs = self.cs(c)
        self.event(t, "Created", self._created_msg(c), container=c)
        self.event(t, "Started", self._started_msg(c), container=c)
        cs.state, cs.reason, cs.message, cs.since = "running", None, None, t
        cs.started_at, cs.finished_at, cs.exit_code = t, None, None
        cs.container_id = f"containerd://{rand_hex(self.rng, 64)}"
        if cs.image_id is None:
            cs.image_id = self._image_id(c)
        if ready is None:
            probed = s.probe("readiness") is not None or s.probe("startup") is not None
            ready = (not s.is_init or s.sidecar) and not probed
        cs.ready = ready
        cs.started = started and s.probe("startup") is None
        if not s.is_init:
            if self.st.phase == "Pending":
                self.st.phase = "Running"
            for other in self.st.containers:
                if not other.is_init and other.reason == "PodInitializing":
                    other.reason = "ContainerCreating"
        self.commit(t)

    def set_ready(self, t: int, c: str, ready: bool, started: bool | None = None) -> None:
        """The readiness (and optionally startup) state of `c` flips at `t`."""
        cs = self.cs(c)
        cs.ready = ready
        if started is not None:
            cs.started = started
        self.commit(t)

    def exit(self, t: int, c: str, code: int, reason: str | None = None) -> None:
        """Container `c` terminates at `t` with `code`."""
        self._terminate(t, c, code, reason)
        self.commit(t)

    def _terminate(self, t: int, c: str, code: int, reason: str | None) -> None:
        cs = self.cs(c)
        if reason is None:
            reason = "Completed" if code == 0 else "Error"
        cs.state, cs.reason, cs.message, cs.since = "terminated", reason, None, t
        cs.finished_at, cs.exit_code = t, code
        cs.ready = cs.is_init and code == 0 and not self.spec(c).sidecar
        cs.started = False

    def restart(self, t: int, c: str, cause: str) -> None:
        """A new instance of `c` starts at `t`, replacing the terminated one."""
        cs = self.cs(c)
        if cs.state == "terminated":
            self._to_last(cs)
        assert cs.state == "waiting" and cs.last is not None
        cs.restart_count += 1
        self.m.restarts.append(Restart(c, cs.restart_count, t, cause, cs.last.exit_code))
        self.pull(t, c, present=True)
        self.start(t, c)

    def _to_last(self, cs: CStatus) -> None:
        """Move the current termination into lastState; the container is waiting again."""
        assert cs.state == "terminated" and cs.exit_code is not None
        assert cs.started_at is not None and cs.finished_at is not None and cs.reason
        assert cs.container_id is not None
        cs.last = LastTerm(cs.exit_code, cs.reason, cs.started_at, cs.finished_at, cs.container_id)
        cs.state, cs.reason, cs.message = "waiting", None, None
        cs.started_at, cs.finished_at, cs.exit_code = None, None, None

    def backoff(self, t: int, c: str) -> int:
        """CrashLoopBackOff after an exit at `t - 1`; returns the time of the restart."""
        n = self.backoff_n.get(c, 0)
        self.backoff_n[c] = n + 1
        delay = min(BACKOFF_START << min(n, 10), BACKOFF_MAX)
        cs = self.cs(c)
        finished = cs.finished_at if cs.finished_at is not None else t
        if cs.state == "terminated":
            self._to_last(cs)
        cs.state, cs.reason, cs.since = "waiting", "CrashLoopBackOff", t
        cs.message = (
            f"back-off {go_duration(delay)} restarting failed container={c} pod={self.fmt_pod()}"
        )
        self.commit(t)
        restart_at = max(finished + delay, t + 1)
        at = t
        while at < restart_at:
            self.event(at, "BackOff", self._backoff_msg(c), "Warning", container=c)
            at += self.rng.randrange(10, 25)
        return restart_at

    def probe_failures(self, t: int, c: str, kind: str, n: int, output: str) -> int:
        """`n` failed probes of `kind` from `t`, one per period; returns the last failure."""
        p = self.spec(c).probe(kind)
        period = p.period if p else 10
        label = kind.capitalize()
        at = t
        for i in range(n):
            at = t + i * period
            self.event(at, "Unhealthy", f"{label} probe failed: {output}", "Warning", container=c)
            self.m.probe_fail.append((c, kind, at))
        return at

    def probe_kill(self, t: int, c: str, kind: str, sigkill: bool) -> int:
        """Killing after a failed liveness/startup probe; returns the exit time."""
        will = "" if self.m.restart_policy == "Never" else ", will be restarted"
        self.event(t, "Killing", f"Container {c} failed {kind} probe{will}", container=c)
        if sigkill:
            te = t + self.m.grace
            self.exit(te, c, 137, "Error")
        else:
            te = t + self.rng.randrange(1, 4)
            self.exit(te, c, 143, "Error")
        return te

    def set_phase(
        self, t: int, phase: str, reason: str | None = None, msg: str | None = None
    ) -> None:
        """Phase (and pod-level reason/message) change at `t`."""
        self.st.phase, self.st.reason, self.st.message = phase, reason, msg
        self.commit(t)

    def finish_if_done(self, t: int) -> None:
        """Terminal phase once every app container has terminated for good."""
        apps = [self.cs(n) for n in self.app_names()]
        if all(a.state == "terminated" for a in apps):
            ok = all(a.exit_code == 0 for a in apps)
            self.set_phase(t, "Succeeded" if ok else "Failed")

    def delete(self, t: int, mode: str = "graceful", prestop_fail: bool = False) -> int:
        """A delete request at `t`; containers stop, the pod goes away. Returns deleted_at.

        mode: graceful (exit 143/0 within the grace period) or sigkill (exit 137 one second
        after the deadline). Running containers exit, then the phase turns terminal.
        """
        g = self.m.grace
        self.st.deletion_ts, self.st.deletion_grace = t + g, g
        self.commit(t)
        live = [n for n in self.app_names() if self.cs(n).state == "running"]
        exits: dict[str, tuple[int, int]] = {}
        for n in live:
            self.event(t, "Killing", f"Stopping container {n}", container=n)
            if self.spec(n).pre_stop and prestop_fail:
                self.event(t + 1, "FailedPreStopHook", self._prestop_msg(n), "Warning", n)
            if mode == "sigkill":
                exits[n] = (t + g + 1, 137)
            else:
                code = 0 if self.rng.random() < 0.25 else 143
                exits[n] = (t + self.rng.randrange(1, max(2, min(g, 12))), code)
        sidecars = [n for n in self.init_names() if self.spec(n).sidecar]
        after = max((te for te, _ in exits.values()), default=t)
        for n in sidecars:  # native sidecars stop after the app containers
            if self.cs(n).state == "running":
                ts = after + self.rng.randrange(1, 3)
                self.event(ts, "Killing", f"Stopping container {n}", container=n)
                exits[n] = (ts + 1, 143 if self.rng.random() < 0.7 else 0)
        if mode == "sigkill" and live:
            self.m.grace_exceeded_at = t + g + 1
            if self.rng.random() < 0.6:
                msg = "Container runtime did not kill the pod within specified grace period."
                self.event(t + g + 2, "ExceededGracePeriod", msg, "Warning")
        last = t
        times = sorted({te for te, _ in exits.values()})
        for te in times:
            for n, (tn, code) in exits.items():
                if tn == te:
                    self._terminate(te, n, code, None)
            if te == times[-1]:
                apps = [self.cs(n) for n in self.app_names()]
                ok = all(a.state == "terminated" and a.exit_code == 0 for a in apps)
                self.st.phase = "Succeeded" if ok else "Failed"
            self.commit(te)
            last = te
        gone = last + self.rng.randrange(1, 3)
        self.m.deleted_at = gone
        return gone

    def debug(self, t: int, name: str, image: str, target: str, stay_s: int | None) -> int:
        """`kubectl debug` at `t`: an ephemeral container targeting `target` is pulled and
        started; it exits 0 after `stay_s` (None: runs on). Returns its last change."""
        self.m.debug_targets[name] = target
        fp = f"spec.ephemeralContainers{{{name}}}"

        def ev(at: int, reason: str, message: str) -> None:
            self.cl.rec.add(
                at,
                namespace=self.m.namespace,
                obj=("Pod", self.m.name, self.m.uid, "v1"),
                reason=reason,
                message=message,
                host=self.st.node,
                field_path=fp,
                pod_uid=self.m.uid,
            )

        ev(t, "Pulled", f'Container image "{image}" already present on machine')
        at = t + 1
        ev(at, "Created", self._created_msg(name))
        ev(at, "Started", self._started_msg(name))
        cs = CStatus(name=name, is_init=False, image=image, state="running", reason=None)
        cs.started_at, cs.since = at, at
        cs.container_id = f"containerd://{rand_hex(self.rng, 64)}"
        self.st.ephemeral.append(cs)
        self.commit(at)
        if stay_s is None:
            return at
        at += stay_s
        cs.state, cs.reason, cs.exit_code, cs.finished_at, cs.since = (
            "terminated", "Completed", 0, at, at
        )  # fmt: skip
        self.commit(at)
        return at

    def _prestop_msg(self, c: str) -> str:
        if self.cl.minor >= 26:
            return "PreStopHook failed"
        return (
            f'Exec lifecycle hook ([/bin/sh -c sleep 5 && /app/drain]) for Container "{c}" in Pod'
            f" \"{self.fmt_pod()}\" failed - error: command '/bin/sh -c sleep 5 && /app/drain'"
            ' exited with 126: , message: ""'
        )

    def gone_now(self, t: int) -> None:
        """The pod object disappears at `t` (force delete, GC)."""
        self.m.deleted_at = t

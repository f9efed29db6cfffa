"""In-memory model of a simulated cluster: pods whose status changes are recorded as versions.

A scenario drives a `PodSim` through time (integer seconds since the capture start); every
`commit` records a full copy of the pod status (one watch record), every `event` adds an
occurrence to an aggregated Event. Writers and the ground truth read the recorded history.
"""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass, field

HEX = "0123456789abcdef"
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def rand_uid(rng: random.Random) -> str:
    """A random UUID4 string drawn from `rng`."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rand_hex(rng: random.Random, n: int) -> str:
    """`n` random lower-case hex digits."""
    return "".join(rng.choice(HEX) for _ in range(n))


def rand_name(rng: random.Random, n: int) -> str:
    """`n` characters of the alphabet k8s uses for generated name suffixes."""
    return "".join(rng.choice(NAME_ALPHABET) for _ in range(n))


def full_image(image: str) -> str:
    """The image reference as the runtime reports it (docker.io/library/ prefix)."""
    first = image.split("/")[0]
    if "/" not in image:
        return f"docker.io/library/{image}"
    if "." not in first and ":" not in first:
        return f"docker.io/{image}"
    return image


def go_duration(seconds: int) -> str:
    """Go's `time.Duration.String()` for whole seconds: 10s, 1m20s, 5m0s."""
    if seconds < 60:
        return f"{seconds}s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m}m{s}s"
    h, m = divmod(m, 60)
    return f"{h}h{m}m{s}s"


@dataclass(frozen=True)
class Probe:
    """A container probe (HTTP GET)."""

    kind: str  # liveness | readiness | startup
    period: int = 10
    failure_threshold: int = 3
    initial_delay: int = 0
    path: str = "/healthz"
    port: int = 8080


@dataclass
class ContainerSpec:
    """What `spec.containers[]` / `spec.initContainers[]` says about one container."""

    name: str
    image: str
    is_init: bool = False
    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    probes: list[Probe] = field(default_factory=list)
    pre_stop: bool = False
    pull_policy: str = "IfNotPresent"
    image_size: int = 50_000_000
    restart_policy: str | None = None  # "Always" on an init container: a native sidecar
    resize_restart: bool = False  # resizePolicy memory RestartContainer: a resize restarts it

    @property
    def sidecar(self) -> bool:
        """A restartable init container (native sidecar): it keeps running beside the app."""
        return self.is_init and self.restart_policy == "Always"

    def probe(self, kind: str) -> Probe | None:
        """The probe of that kind, if the container has one."""
        return next((p for p in self.probes if p.kind == kind), None)


@dataclass
class LastTerm:
    """`lastState.terminated` of a container."""

    exit_code: int
    reason: str
    started_at: int
    finished_at: int
    container_id: str


@dataclass
class CStatus:
    """One entry of `containerStatuses[]` / `initContainerStatuses[]`."""

    name: str
    is_init: bool
    image: str
    state: str = "waiting"  # waiting | running | terminated
    reason: str | None = "ContainerCreating"
    message: str | None = None
    started_at: int | None = None
    finished_at: int | None = None
    exit_code: int | None = None
    container_id: str | None = None
    last: LastTerm | None = None
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    image_id: str | None = None
    since: int = 0


@dataclass
class Cond:
    """One pod condition."""

    status: str
    reason: str | None
    message: str | None
    since: int


@dataclass
class PodStatus:
    """The mutable part of a pod: status plus the metadata fields that change."""

    phase: str = "Pending"
    reason: str | None = None
    message: str | None = None
    conditions: dict[str, Cond] = field(default_factory=dict)
    node: str | None = None
    host_ip: str | None = None
    pod_ip: str | None = None
    start_time: int | None = None
    containers: list[CStatus] = field(default_factory=list)
    deletion_ts: int | None = None
    deletion_grace: int | None = None
    ephemeral: list[CStatus] = field(default_factory=list)  # `kubectl debug` containers
    resize: str | None = None  # status.resize (1.27-1.32): Proposed, InProgress, Deferred…


@dataclass
class Version:
    """The pod as it was from time `t` on (one watch record)."""

    t: int
    status: PodStatus


@dataclass
class Restart:
    """A container restart: the new instance started at `at`."""

    container: str
    restart_no: int
    at: int
    cause: str
    exit_code: int


@dataclass
class SimEvent:
    """One Event object, possibly aggregated (several occurrences)."""

    namespace: str
    obj_kind: str
    obj_name: str
    obj_uid: str
    obj_api_version: str
    field_path: str | None
    reason: str
    message: str
    type: str
    component: str
    host: str | None
    occurrences: list[int]
    uid: str
    nanos: int  # sub-second part of the first occurrence, in nanoseconds
    series: bool = False  # written by the events.k8s.io recorder (scheduler)
    action: str | None = None
    pod_uid: str | None = None  # the pod this event is about (directly or via its owner)
    v1_copy: str = "core"  # core | both | v1 (which file(s) carry it)


@dataclass
class PodModel:
    """Everything the simulator knows about one pod object (one uid)."""

    uid: str
    namespace: str
    name: str
    scenario: str
    workload: str | None
    workload_kind: str | None
    owner_kind: str | None
    owner_name: str | None
    owner_uid: str | None
    labels: dict[str, str]
    restart_policy: str
    grace: int
    qos: str
    specs: list[ContainerSpec]
    created: int
    priority: int = 0
    versions: list[Version] = field(default_factory=list)
    deleted_at: int | None = None
    restarts: list[Restart] = field(default_factory=list)
    pulls: list[tuple[int, int]] = field(default_factory=list)
    grace_exceeded_at: int | None = None
    probe_fail: list[tuple[str, str, int]] = field(default_factory=list)  # container, probe, t
    debug_targets: dict[str, str] = field(default_factory=dict)  # ephemeral container -> target
    # stretches stuck before any container could run: cause (volume | sandbox | config), from,
    # until (the first container start; None while still stuck)
    creation_blocks: list[tuple[str, int, int | None]] = field(default_factory=list)


class Recorder:
    """Collects events for the whole cluster, aggregating identical ones like client-go does."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.events: dict[tuple[str, ...], SimEvent] = {}

    def add(
        self,
        t: int,
        *,
        namespace: str,
        obj: tuple[str, str, str, str],
        reason: str,
        message: str,
        type_: str = "Normal",
        component: str = "kubelet",
        host: str | None = None,
        field_path: str | None = None,
        series: bool = False,
        action: str | None = None,
        pod_uid: str | None = None,
    ) -> None:
        """Record one occurrence; `obj` is (kind, name, uid, apiVersion)."""
        kind, name, uid, api = obj
        # events.k8s.io series key ignores the note; core/v1 dedupe key includes the message.
        msg_key = "" if series else message
        key = (uid, field_path or "", reason, msg_key, type_, component)
        ev = self.events.get(key)
        if ev is None:
            self.events[key] = SimEvent(
                namespace=namespace,
                obj_kind=kind,
                obj_name=name,
                obj_uid=uid,
                obj_api_version=api,
                field_path=field_path,
                reason=reason,
                message=message,
                type=type_,
                component=component,
                host=host,
                occurrences=[t],
                uid=rand_uid(self.rng),
                nanos=self.rng.randrange(1, 999_999) * 1000,
                series=series,
                action=action,
                pod_uid=pod_uid,
            )
        else:
            ev.occurrences.append(t)


def clone(status: PodStatus) -> PodStatus:
    """A deep copy of a pod status."""
    return copy.deepcopy(status)

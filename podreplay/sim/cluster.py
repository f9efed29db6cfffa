"""The shared context of one simulation: its nodes, randomness, event recorder and capture
end, and the events written on pod owners (ReplicaSets, Jobs, StatefulSets…)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from podreplay.sim.model import (
    PodModel,
    Recorder,
)


@dataclass
class Node:
    """A worker node."""

    name: str
    ip: str
    index: int
    next_ip: int = 2


@dataclass
class Cluster:
    """Shared context of one simulation: randomness, nodes, event recorder, capture end."""

    rng: random.Random
    minor: int  # Kubernetes minor version (1.<minor>)
    nodes: list[Node]
    end: int
    rec: Recorder
    control_plane: str = "control-plane-1"
    pods: list[PodModel] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)

    def owner_event(
        self,
        t: int,
        pod: PodModel,
        reason: str,
        message: str,
        *,
        kind: str | None = None,
        name: str | None = None,
        type_: str = "Normal",
        uid: str | None = None,
    ) -> None:
        """An event on the pod's owner object (ReplicaSet, Job, StatefulSet…)."""
        kind = kind or pod.owner_kind
        name = name or pod.owner_name
        if kind is None or name is None:
            return
        component = {
            "ReplicaSet": "replicaset-controller",
            "Job": "job-controller",
            "StatefulSet": "statefulset-controller",
            "DaemonSet": "daemonset-controller",
            "CronJob": "cronjob-controller",
        }[kind]
        api = "batch/v1" if kind in ("Job", "CronJob") else "apps/v1"
        if uid is None:
            uid = pod.owner_uid if kind == pod.owner_kind and pod.owner_uid else f"{kind}/{name}"
        self.rec.add(
            t,
            namespace=pod.namespace,
            obj=(kind, name, uid, api),
            reason=reason,
            message=message,
            type_=type_,
            component=component,
            pod_uid=pod.uid,
        )

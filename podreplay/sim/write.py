"""Render a simulated capture as the files kubectl writes (events, pod snapshots, watch stream).

JSON objects go through `json.dumps(sort_keys=True, indent=4)` like kubectl's `-o json`
(unstructured objects, keys in alphabetical order); watch records are one per line.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from podreplay.sim.model import (
    ContainerSpec,
    CStatus,
    PodModel,
    PodStatus,
    Probe,
    SimEvent,
    full_image,
)
from podreplay.sim.truth import rfc3339

COND_ORDER = [
    "PodResizePending",
    "PodResizeInProgress",
    "DisruptionTarget",
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
]
PRESTOP = ["/bin/sh", "-c", "sleep 5 && /app/drain"]


@dataclass
class RenderContext:
    """What rendering needs besides the pod: time base, version and resourceVersions."""

    start: datetime
    minor: int
    control_plane: str


def micro(start: datetime, s: int, nanos: int) -> str:
    """`start + s` seconds plus a sub-second part, as metav1.MicroTime (µs)."""
    t = start + timedelta(seconds=s, microseconds=nanos // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _probe(p: Probe) -> dict[str, Any]:
    return {
        "httpGet": {"path": p.path, "port": p.port, "scheme": "HTTP"},
        "initialDelaySeconds": p.initial_delay,
        "timeoutSeconds": 1,
        "periodSeconds": p.period,
        "successThreshold": 1,
        "failureThreshold": p.failure_threshold,
    }


def _container_spec(s: ContainerSpec) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if s.requests:
        res["requests"] = dict(s.requests)
    if s.limits:
        res["limits"] = dict(s.limits)
    out: dict[str, Any] = {"name": s.name, "image": s.image, "resources": res}
    for p in s.probes:
        out[f"{p.kind}Probe"] = _probe(p)
    if s.pre_stop:
        out["lifecycle"] = {"preStop": {"exec": {"command": PRESTOP}}}
    out["imagePullPolicy"] = s.pull_policy
    if s.restart_policy:
        out["restartPolicy"] = s.restart_policy
    if s.resize_restart:
        out["resizePolicy"] = [
            {"resourceName": "cpu", "restartPolicy": "NotRequired"},
            {"resourceName": "memory", "restartPolicy": "RestartContainer"},
        ]
    return out


def _cstatus(cs: CStatus, ts: Any) -> dict[str, Any]:
    state: dict[str, Any]
    if cs.state == "running":
        state = {"running": {"startedAt": ts(cs.started_at)}}
    elif cs.state == "terminated":
        term: dict[str, Any] = {"exitCode": cs.exit_code, "reason": cs.reason}
        term["startedAt"] = ts(cs.started_at) if cs.started_at is not None else None
        term["finishedAt"] = ts(cs.finished_at)
        if cs.container_id:
            term["containerID"] = cs.container_id
        state = {"terminated": term}
    else:
        wait: dict[str, Any] = {"reason": cs.reason}
        if cs.message:
            wait["message"] = cs.message
        state = {"waiting": wait}
    last: dict[str, Any] = {}
    if cs.last is not None:
        last = {
            "terminated": {
                "exitCode": cs.last.exit_code,
                "reason": cs.last.reason,
                "startedAt": ts(cs.last.started_at),
                "finishedAt": ts(cs.last.finished_at),
                "containerID": cs.last.container_id,
            }
        }
    out: dict[str, Any] = {
        "name": cs.name,
        "state": state,
        "lastState": last,
        "ready": cs.ready,
        "restartCount": cs.restart_count,
        "image": full_image(cs.image),
        "imageID": cs.image_id or "",
        "started": cs.started,
    }
    if cs.container_id:
        out["containerID"] = cs.container_id
    return out


def render_pod(m: PodModel, st: PodStatus, rv: int, ctx: RenderContext) -> dict[str, Any]:
    """The pod object as `kubectl get pod -o json` shows it at one moment."""

    def ts(s: int | None) -> str | None:
        return None if s is None else rfc3339(ctx.start, s)

    meta: dict[str, Any] = {
        "name": m.name,
        "namespace": m.namespace,
        "uid": m.uid,
        "resourceVersion": str(rv),
        "creationTimestamp": ts(m.created),
        "labels": dict(m.labels),
    }
    if m.owner_kind and m.owner_name:
        if m.owner_kind != "StatefulSet":
            meta["generateName"] = m.name[: m.name.rfind("-") + 1]
        api = "batch/v1" if m.owner_kind == "Job" else "apps/v1"
        meta["ownerReferences"] = [
            {
                "apiVersion": api,
                "kind": m.owner_kind,
                "name": m.owner_name,
                "uid": m.owner_uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    if st.deletion_ts is not None:
        meta["deletionTimestamp"] = ts(st.deletion_ts)
        meta["deletionGracePeriodSeconds"] = st.deletion_grace
    spec: dict[str, Any] = {
        "containers": [_container_spec(s) for s in m.specs if not s.is_init],
        "restartPolicy": m.restart_policy,
        "terminationGracePeriodSeconds": m.grace,
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "priority": m.priority,
    }
    inits = [_container_spec(s) for s in m.specs if s.is_init]
    if inits:
        spec["initContainers"] = inits
    if st.ephemeral:  # added to the spec by `kubectl debug`
        spec["ephemeralContainers"] = [
            {
                "name": e.name,
                "image": e.image,
                "command": ["sh"],
                "stdin": True,
                "tty": True,
                "targetContainerName": m.debug_targets[e.name],
                "imagePullPolicy": "IfNotPresent",
            }
            for e in st.ephemeral
        ]
    if st.node:
        spec["nodeName"] = st.node
    status: dict[str, Any] = {"phase": st.phase}
    if st.reason:
        status["reason"] = st.reason
    if st.message:
        status["message"] = st.message
    conds = []
    for name in COND_ORDER:
        c = st.conditions.get(name)
        if c is None:
            continue
        d: dict[str, Any] = {
            "type": name,
            "status": c.status,
            "lastProbeTime": None,
            "lastTransitionTime": ts(c.since),
        }
        if c.reason:
            d["reason"] = c.reason
        if c.message:
            d["message"] = c.message
        conds.append(d)
    if conds:
        status["conditions"] = conds
    if st.host_ip:
        status["hostIP"] = st.host_ip
        status["hostIPs"] = [{"ip": st.host_ip}]
    if st.pod_ip:
        status["podIP"] = st.pod_ip
        status["podIPs"] = [{"ip": st.pod_ip}]
    if st.start_time is not None:
        status["startTime"] = ts(st.start_time)
    ics = [_cstatus(c, ts) for c in st.containers if c.is_init]
    acs = [_cstatus(c, ts) for c in st.containers if not c.is_init]
    if ics:
        status["initContainerStatuses"] = ics
    if acs:
        status["containerStatuses"] = acs
    if st.ephemeral:
        status["ephemeralContainerStatuses"] = [_cstatus(e, ts) for e in st.ephemeral]
    if st.resize:
        status["resize"] = st.resize
    status["qosClass"] = m.qos
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _involved(ev: SimEvent, pod_rv: int | None) -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": ev.obj_kind, "name": ev.obj_name, "uid": ev.obj_uid}
    if ev.obj_kind != "Node":
        obj["namespace"] = ev.namespace
    if ev.obj_api_version:
        obj["apiVersion"] = ev.obj_api_version
    if pod_rv is not None:
        obj["resourceVersion"] = str(pod_rv)
    if ev.field_path:
        obj["fieldPath"] = ev.field_path
    return obj


def _event_meta(ev: SimEvent, rv: int, ctx: RenderContext) -> dict[str, Any]:
    first = ev.occurrences[0]
    epoch_ns = (int(ctx.start.timestamp()) + first) * 1_000_000_000 + ev.nanos
    return {
        "name": f"{ev.obj_name}.{epoch_ns:x}",
        "namespace": ev.namespace or "default",
        "uid": ev.uid,
        "resourceVersion": str(rv),
        "creationTimestamp": rfc3339(ctx.start, first),
    }


def render_event_core(
    ev: SimEvent, rv: int, pod_rv: int | None, ctx: RenderContext
) -> dict[str, Any]:
    """The Event as `kubectl get events -o json` (core/v1) shows it."""
    first, last, n = ev.occurrences[0], ev.occurrences[-1], len(ev.occurrences)
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": _event_meta(ev, rv, ctx),
        "involvedObject": _involved(ev, pod_rv),
        "reason": ev.reason,
        "message": ev.message,
        "type": ev.type,
    }
    if ev.series:
        out["source"] = {}
        out["firstTimestamp"] = None
        out["lastTimestamp"] = None
        out["eventTime"] = micro(ctx.start, first, ev.nanos)
        if n > 1:
            out["series"] = {"count": n, "lastObservedTime": micro(ctx.start, last, ev.nanos)}
        out["action"] = ev.action
        out["reportingComponent"] = ev.component
        out["reportingInstance"] = f"{ev.component}-{ctx.control_plane}"
        return out
    src: dict[str, Any] = {"component": ev.component}
    if ev.host:
        src["host"] = ev.host
    out["source"] = src
    out["firstTimestamp"] = rfc3339(ctx.start, first)
    out["lastTimestamp"] = rfc3339(ctx.start, last)
    out["count"] = n
    out["eventTime"] = None
    modern = ctx.minor >= 28
    out["reportingComponent"] = ev.component if modern else ""
    out["reportingInstance"] = (ev.host or "") if modern else ""
    return out


def render_event_v1(
    ev: SimEvent, rv: int, pod_rv: int | None, ctx: RenderContext
) -> dict[str, Any]:
    """The same Event read through `events.k8s.io/v1` (regarding/note/series/deprecated*)."""
    first, last, n = ev.occurrences[0], ev.occurrences[-1], len(ev.occurrences)
    out: dict[str, Any] = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": _event_meta(ev, rv, ctx),
        "regarding": _involved(ev, pod_rv),
        "note": ev.message,
        "reason": ev.reason,
        "type": ev.type,
    }
    if ev.series:
        out["eventTime"] = micro(ctx.start, first, ev.nanos)
        if n > 1:
            out["series"] = {"count": n, "lastObservedTime": micro(ctx.start, last, ev.nanos)}
        out["action"] = ev.action
        out["reportingController"] = ev.component
        out["reportingInstance"] = f"{ev.component}-{ctx.control_plane}"
        out["deprecatedSource"] = {}
        return out
    modern = ctx.minor >= 28
    out["eventTime"] = None
    out["reportingController"] = ev.component if modern else ""
    out["reportingInstance"] = (ev.host or "") if modern else ""
    src: dict[str, Any] = {"component": ev.component}
    if ev.host:
        src["host"] = ev.host
    out["deprecatedSource"] = src
    out["deprecatedFirstTimestamp"] = rfc3339(ctx.start, first)
    out["deprecatedLastTimestamp"] = rfc3339(ctx.start, last)
    out["deprecatedCount"] = n
    return out


def kubectl_list(items: list[dict[str, Any]]) -> str:
    """A `kubectl get … -o json` List document (4-space indent, sorted keys)."""
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return json.dumps(doc, indent=4, sort_keys=True) + "\n"


@dataclass
class Timeline:
    """resourceVersions of pod versions and events, assigned in time order."""

    pod_rv: dict[str, list[tuple[int, int]]]  # uid -> [(t, rv)] one per version (+ deletion)
    event_rv: dict[str, int]  # event uid -> rv of its last write


def assign_rvs(pods: Iterable[PodModel], events: Iterable[SimEvent], base: int) -> Timeline:
    """Global resourceVersion counter over every write in time order."""
    writes: list[tuple[int, int, str, str]] = []
    for m in pods:
        for v in m.versions:
            writes.append((v.t, 0, "pod", m.uid))
        if m.deleted_at is not None:
            writes.append((m.deleted_at, 0, "pod", m.uid))
    for ev in events:
        for t in ev.occurrences:
            writes.append((t, 1, "event", ev.uid))
    writes.sort(key=lambda w: (w[0], w[1]))
    pod_rv: dict[str, list[tuple[int, int]]] = {}
    event_rv: dict[str, int] = {}
    for i, (t, _, kind, key) in enumerate(writes):
        rv = base + i
        if kind == "pod":
            pod_rv.setdefault(key, []).append((t, rv))
        else:
            event_rv[key] = rv
    return Timeline(pod_rv, event_rv)


def pod_rv_at(tl: Timeline, uid: str, t: int) -> int | None:
    """The pod's resourceVersion at time `t` (latest write at or before `t`)."""
    best = None
    for wt, rv in tl.pod_rv.get(uid, []):
        if wt <= t:
            best = rv
    return best


def write_events(
    path_core: Path | None,
    path_v1: Path | None,
    events: list[SimEvent],
    tl: Timeline,
    ctx: RenderContext,
    rng: random.Random,
) -> tuple[int, int]:
    """Write the core/v1 and (optionally) events.k8s.io/v1 lists; returns item counts."""
    core: list[tuple[str, str, dict[str, Any]]] = []
    v1: list[tuple[str, str, dict[str, Any]]] = []
    for ev in events:
        where = "core"
        if path_v1 is not None and path_core is not None:
            r = rng.random()
            if ev.series:
                where = "v1" if r < 0.3 else "both"
            else:
                where = "v1" if r < 0.1 else ("both" if r < 0.3 else "core")
        elif path_v1 is not None:
            where = "v1"
        ev.v1_copy = where
        rv = tl.event_rv[ev.uid]
        prv = pod_rv_at(tl, ev.obj_uid, ev.occurrences[0]) if ev.obj_kind == "Pod" else None
        key = (ev.namespace or "default", "")
        if where in ("core", "both"):
            obj = render_event_core(ev, rv, prv, ctx)
            core.append((key[0], obj["metadata"]["name"], obj))
        if where in ("v1", "both"):
            obj = render_event_v1(ev, rv, prv, ctx)
            v1.append((key[0], obj["metadata"]["name"], obj))
    if path_core is not None:
        core.sort(key=lambda x: (x[0], x[1]))
        path_core.write_text(kubectl_list([o for _, _, o in core]))
    if path_v1 is not None:
        v1.sort(key=lambda x: (x[0], x[1]))
        path_v1.write_text(kubectl_list([o for _, _, o in v1]))
    return len(core), len(v1)


def snapshot_name(start: datetime, t: int) -> str:
    """`pods-YYYYMMDDTHHMMSSZ.json` for the snapshot taken at `t`."""
    return f"pods-{(start + timedelta(seconds=t)).strftime('%Y%m%dT%H%M%SZ')}.json"


def write_snapshots(
    dir_: Path, pods: list[PodModel], times: list[int], tl: Timeline, ctx: RenderContext
) -> list[Path]:
    """One `kubectl get pods -A -o json` List per snapshot time."""
    dir_.mkdir(parents=True, exist_ok=True)
    paths = []
    ordered = sorted(pods, key=lambda m: (m.namespace, m.name, m.created))
    for t in times:
        items = []
        for m in ordered:
            if m.created > t or (m.deleted_at is not None and m.deleted_at <= t):
                continue
            idx = max(i for i, v in enumerate(m.versions) if v.t <= t)
            rv = tl.pod_rv[m.uid][idx][1]
            items.append(render_pod(m, m.versions[idx].status, rv, ctx))
        p = dir_ / snapshot_name(ctx.start, t)
        p.write_text(kubectl_list(items))
        paths.append(p)
    return paths


def write_watch(path: Path, pods: list[PodModel], tl: Timeline, ctx: RenderContext) -> int:
    """`kubectl get pods -A -w -o json --output-watch-events`, plus observedAt per record."""
    recs: list[tuple[int, int, str]] = []
    for m in pods:
        rvs = tl.pod_rv[m.uid]
        # a pod older than the capture: the watch lists it as it was then (ADDED at the start)
        first = max(i for i, v in enumerate(m.versions) if i == 0 or v.t <= 0)
        for i, v in enumerate(m.versions[first:], start=first):
            typ = "ADDED" if i == first else "MODIFIED"
            obj = render_pod(m, v.status, rvs[i][1], ctx)
            at = max(v.t, 0)
            recs.append((at, rvs[i][1], _watch_line(typ, obj, rfc3339(ctx.start, at))))
        if m.deleted_at is not None:
            rv = rvs[-1][1]
            obj = render_pod(m, m.versions[-1].status, rv, ctx)
            recs.append(
                (m.deleted_at, rv, _watch_line("DELETED", obj, rfc3339(ctx.start, m.deleted_at)))
            )
    recs.sort(key=lambda r: (r[0], r[1]))
    with path.open("w") as fh:
        for _, _, line in recs:
            fh.write(line + "\n")
    return len(recs)


def _watch_line(typ: str, obj: dict[str, Any], observed: str) -> str:
    body = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return f'{{"type":"{typ}","object":{body},"observedAt":"{observed}"}}'

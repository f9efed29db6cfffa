"""The objects a stand-in API server holds and how it shows them (tests/support/apiserver.py).

`ClusterState` keeps the objects, their change history under a global resourceVersion and the
watch bookkeeping; the helpers render what the API returns besides the objects themselves:
label selection, the events.k8s.io/v1 view of a core Event, Status and Table documents.
"""

from __future__ import annotations

import bisect
import builtins
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RESOURCES = {  # (group/version, plural) -> (kind, list kind, short names)
    ("v1", "pods"): ("Pod", "PodList", ["po"]),
    ("v1", "events"): ("Event", "EventList", ["ev"]),
    ("events.k8s.io/v1", "events"): ("Event", "EventList", ["ev"]),
}


@dataclass
class Change:
    """One write: the object as it was after it, under the resourceVersion it took."""

    rv: int
    resource: str  # "pods" | "events"
    type: str  # ADDED | MODIFIED | DELETED
    obj: dict[str, Any]


@dataclass
class ClusterState:
    """Objects, their change history and the watch bookkeeping; every method is thread-safe."""

    rv: int = 1000
    compacted: int = 0  # a watch from an older version is "too old"
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    history: list[Change] = field(default_factory=list)
    epoch: int = 0  # bumped to end every open watch
    expire_watch: set[str] = field(default_factory=set)  # resources whose next watch gets 410
    expired: int = 0  # how many watches were answered "too old resource version"
    expired_at: dict[str, int] = field(default_factory=dict)  # resource -> its watch count then
    watching: int = 0  # watch streams open now
    watches: dict[str, int] = field(default_factory=dict)  # watch requests per resource
    cond: threading.Condition = field(default_factory=threading.Condition)

    def write(self, resource: str, type_: str, obj: dict[str, Any], keep_rv: bool = False) -> int:
        """Store an ADDED/MODIFIED/DELETED change; returns the resourceVersion it took.

        `keep_rv` keeps the object's own resourceVersion (loading recorded objects); the
        counter moves on from the highest one.
        """
        meta = obj["metadata"]
        key = (resource, meta.get("namespace") or "", meta["name"])
        with self.cond:
            if keep_rv:
                self.rv = max(self.rv, int(meta["resourceVersion"]))
                self.compacted = self.rv  # no history before the loaded state
                rv = int(meta["resourceVersion"])
            else:
                self.rv += 1
                rv = self.rv
            obj = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
            if type_ == "DELETED":
                self.objects.pop(key, None)
            else:
                self.objects[key] = obj
            if not keep_rv:  # recorded objects are the state before any watch
                self.history.append(Change(rv, resource, type_, obj))
            self.cond.notify_all()
            return rv

    def list(self, resource: str, namespace: str | None) -> tuple[list[dict[str, Any]], int]:
        """The objects of a resource (in a namespace) and the version they were read at."""
        with self.cond:
            items = [
                o
                for (r, ns, _), o in sorted(self.objects.items())
                if r == resource and (namespace is None or ns == namespace)
            ]
            return items, self.rv

    def after(self, rv: int) -> builtins.list[Change]:
        """The changes after version `rv` (call with `cond` held)."""
        return self.history[bisect.bisect_right(self.history, rv, key=lambda c: c.rv) :]

    def wait(self, predicate: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
        """Block until `predicate()` (read under the lock) holds; fail after `timeout` s."""
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), f"timed out waiting for {what}"

    def drop_watches(self) -> None:
        """End every open watch stream (as an API server does on a restart or timeout)."""
        with self.cond:
            self.epoch += 1
            self.cond.notify_all()

    def compact(self) -> None:
        """Compact the history up to now: a new watch from an older version is too old (410)."""
        with self.cond:
            self.compacted = self.rv

    def expire_next_watch(self, resource: str) -> None:
        """Before the next watch of `resource` from a version: another write lands and the
        history is compacted up to it (as on a busy cluster), so that watch gets 410."""
        with self.cond:
            self.expire_watch.add(resource)


def selected(obj: dict[str, Any], selector: str | None) -> bool:
    """Equality label selectors: `a=b`, `a==b`, `a!=b`, comma-separated (all must hold)."""
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in selector.split(","):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.strip() not in labels:
            return False
    return True


def to_events_v1(ev: dict[str, Any]) -> dict[str, Any]:
    """A core/v1 Event as events.k8s.io/v1 shows it (the API server converts on read)."""
    out: dict[str, Any] = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": ev["metadata"],
        "regarding": ev.get("involvedObject"),
        "note": ev.get("message"),
        "reason": ev.get("reason"),
        "type": ev.get("type"),
        "eventTime": ev.get("eventTime"),
        "reportingController": ev.get("reportingComponent", ""),
        "reportingInstance": ev.get("reportingInstance", ""),
        "deprecatedSource": ev.get("source") or {},
    }
    for key in ("series", "action"):
        if ev.get(key) is not None:
            out[key] = ev[key]
    if ev.get("firstTimestamp") is not None:
        out["deprecatedFirstTimestamp"] = ev["firstTimestamp"]
        out["deprecatedLastTimestamp"] = ev["lastTimestamp"]
        out["deprecatedCount"] = ev.get("count")
    return out


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def table(resource: str, objs: list[dict[str, Any]], rv: str) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of the objects (the columns `kubectl get` prints)."""
    if resource == "pods":
        cols = ["Name", "Ready", "Status", "Restarts", "Node"]
        rows = []
        for o in objs:
            statuses = o.get("status", {}).get("containerStatuses") or []
            ready = f"{sum(1 for c in statuses if c.get('ready'))}/{len(o['spec']['containers'])}"
            restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
            phase = o.get("status", {}).get("phase", "")
            cells = [o["metadata"]["name"], ready, phase, restarts, o["spec"].get("nodeName", "")]
            rows.append((o, cells))
    else:
        cols = ["Type", "Reason", "Object", "Message"]
        rows = []
        for o in objs:
            inv = o.get("involvedObject") or o.get("regarding") or {}
            obj = f"{inv.get('kind', '').lower()}/{inv.get('name', '')}"
            msg = o.get("message", o.get("note", ""))
            rows.append((o, [o.get("type", ""), o.get("reason", ""), obj, msg]))
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": [
            {"name": c, "type": "integer" if c == "Restarts" else "string", "format": ""}
            | {"description": c, "priority": 0}
            for c in cols
        ],
        "rows": [
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o["metadata"],
                },
            }
            for o, cells in rows
        ],
    }

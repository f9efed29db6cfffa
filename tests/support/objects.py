"""Kubernetes objects as kubectl prints them, for tests that write a small capture by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def core_event(
    pod: str,
    reason: str,
    message: str,
    first: str,
    last: str | None = None,
    *,
    name: str,
    uid: str,
    pod_uid: str,
    namespace: str = "ns",
    type_: str = "Warning",
    count: int = 1,
    container: str | None = None,
    component: str | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """A core/v1 Event about a pod, `count` occurrences from `first` to `last` (RFC 3339);
    `container` adds the involved object's fieldPath, `component` and `host` its source."""
    involved = {"kind": "Pod", "namespace": namespace, "name": pod, "uid": pod_uid}
    if container:
        involved["fieldPath"] = f"spec.containers{{{container}}}"
    event: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace, "uid": uid},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": first,
        "lastTimestamp": last or first,
    }
    source = {k: v for k, v in (("component", component), ("host", host)) if v}
    if source:
        event["source"] = source
    return event


def write_list(path: Path, items: list[dict[str, Any]]) -> Path:
    """`items` as one kubectl List (`kubectl get ... -o json`) in the file `path`."""
    doc = {"apiVersion": "v1", "kind": "List", "items": items}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path

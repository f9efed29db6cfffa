"""Databases for the statistics, query and export tests: a simulated capture (with its ground
truth) ingested once per session, and a hand-built capture whose answers are reasoned out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from podreplay.derive import ingest_and_rebuild
from podreplay.simulate import simulate
from podreplay.store import Store

# Events of both APIs plus the pod watch stream: every transition at 1 s resolution, and fast
# to ingest (the periodic List snapshots add nothing the watch stream does not show).
FORMATS = ("events", "events_v1", "watch")
SIM_PODS = 70
SIM_SEED = 11


@dataclass(frozen=True)
class SimDb:
    """A simulated capture ingested and rebuilt, with the simulator's ground truth."""

    db: Path
    out_dir: Path
    truth: dict[str, Any]

    @property
    def pods(self) -> list[dict[str, Any]]:
        """The truth record of every pod."""
        pods: list[dict[str, Any]] = self.truth["pods"]
        return pods

    def truth_stats(self) -> pl.DataFrame:
        """The simulator's per-pod `stats` with pod_uid, namespace, pod, workload, node,
        scenario and final_reason beside them."""
        keys = ("pod_uid", "namespace", "pod", "workload", "node", "scenario", "final_reason")
        rows = [{**{k: p[k] for k in keys}, **p["stats"]} for p in self.pods]
        return pl.DataFrame(rows, infer_schema_length=None)


_CACHE: dict[tuple[Path, int, int, tuple[str, ...]], SimDb] = {}


def simulated_db(
    root: Path,
    pods: int = SIM_PODS,
    seed: int = SIM_SEED,
    formats: tuple[str, ...] = FORMATS,
    snapshot_every_s: int = 60,
) -> SimDb:
    """Simulate, ingest and rebuild once per (root, pods, seed, formats); later calls reuse it."""
    key = (root, pods, seed, formats)
    if key not in _CACHE:
        out = root / f"sim-{pods}-{seed}-{'-'.join(formats)}"
        result = simulate(
            out, pods=pods, seed=seed, formats=formats, snapshot_every_s=snapshot_every_s
        )
        db = out / "podreplay.duckdb"
        paths = [p for p in (result.events_path, result.events_v1_path, result.watch_path) if p]
        with Store(db) as store:
            ingest_and_rebuild(store, [*paths, *result.snapshot_paths])
        truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
        _CACHE[key] = SimDb(db=db, out_dir=out, truth=truth)
    return _CACHE[key]


# A hand-built capture: one Deployment pod in namespace "shop" on node-a, watched from creation
# to Ready, then deleted; one Job pod in namespace "batch" on node-b that restarts after an
# OOM kill and completes. Timestamps are seconds after 10:00:00Z.
T0 = "2024-05-01T10:00:00Z"


def at(seconds: int) -> str:
    """T0 plus `seconds`, as RFC 3339."""
    minutes, secs = divmod(seconds, 60)
    return f"2024-05-01T10:{minutes:02d}:{secs:02d}Z"


def _pod(
    uid: str,
    ns: str,
    name: str,
    owner: tuple[str, str],
    node: str | None,
    phase: str,
    conditions: list[tuple[str, str, int]],
    containers: list[dict[str, Any]],
    *,
    start: int | None = None,
    deletion: int | None = None,
    restart_policy: str = "Always",
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "uid": uid,
        "creationTimestamp": at(0),
        "ownerReferences": [{"kind": owner[0], "name": owner[1], "controller": True}],
    }
    if deletion is not None:
        meta["deletionTimestamp"] = at(deletion + 30)
        meta["deletionGracePeriodSeconds"] = 30
    spec: dict[str, Any] = {
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": 30,
        "containers": [{"name": c["name"], "image": c["image"]} for c in containers],
    }
    if node:
        spec["nodeName"] = node
    status: dict[str, Any] = {
        "phase": phase,
        "qosClass": "Burstable",
        "conditions": [
            {"type": t, "status": s, "lastTransitionTime": at(ts)} for t, s, ts in conditions
        ],
        "containerStatuses": [c["status"] for c in containers],
    }
    if start is not None:
        status["startTime"] = at(start)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _event(
    uid: str,
    ns: str,
    pod: str,
    reason: str,
    message: str,
    ts: int,
    *,
    container: str | None = None,
    type_: str = "Normal",
    count: int = 1,
    last: int | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": "Pod", "namespace": ns, "name": pod, "uid": uid}
    if container:
        obj["fieldPath"] = f"spec.containers{{{container}}}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{pod}.{reason}.{ts}",
            "namespace": ns,
            "uid": f"{uid}-{reason}-{ts}",
        },
        "involvedObject": obj,
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": at(ts),
        "lastTimestamp": at(last if last is not None else ts),
        "source": {"component": "kubelet"},
    }


WEB = ("uid-web", "shop", "web-7d4b9c8f6d-x2x4q")
JOB = ("uid-job", "batch", "report-28500000-abcde")


def hand_capture(out: Path) -> Path:
    """Write the hand-built capture (a watch stream and an event list) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    running = {"running": {"startedAt": at(12)}}
    web_c = {"name": "app", "image": "shop/web:1.0"}
    web = [
        # created at 0; scheduled at 2; Pulling 3 → Pulled 8; started 12; Ready at 20
        (
            0,
            "ADDED",
            _pod(
                *WEB,
                ("ReplicaSet", "web-7d4b9c8f6d"),
                None,
                "Pending",
                [],
                [
                    {
                        **web_c,
                        "status": {
                            "name": "app",
                            "image": "shop/web:1.0",
                            "ready": False,
                            "restartCount": 0,
                            "state": {"waiting": {"reason": "ContainerCreating"}},
                        },
                    }
                ],
            ),
        ),
        (
            12,
            "MODIFIED",
            _pod(
                *WEB,
                ("ReplicaSet", "web-7d4b9c8f6d"),
                "node-a",
                "Running",
                [
                    ("PodScheduled", "True", 2),
                    ("Initialized", "True", 2),
                    ("Ready", "False", 2),
                    ("ContainersReady", "False", 2),
                ],
                [
                    {
                        **web_c,
                        "status": {
                            "name": "app",
                            "image": "shop/web:1.0",
                            "ready": False,
                            "restartCount": 0,
                            "state": running,
                        },
                    }
                ],
                start=2,
            ),
        ),
        (
            20,
            "MODIFIED",
            _pod(
                *WEB,
                ("ReplicaSet", "web-7d4b9c8f6d"),
                "node-a",
                "Running",
                [
                    ("PodScheduled", "True", 2),
                    ("Initialized", "True", 2),
                    ("Ready", "True", 20),
                    ("ContainersReady", "True", 20),
                ],
                [
                    {
                        **web_c,
                        "status": {
                            "name": "app",
                            "image": "shop/web:1.0",
                            "ready": True,
                            "restartCount": 0,
                            "state": running,
                        },
                    }
                ],
                start=2,
            ),
        ),
        # deletion requested at 100 (deletionTimestamp 130, grace 30); exits and is gone at 110
        (
            100,
            "MODIFIED",
            _pod(
                *WEB,
                ("ReplicaSet", "web-7d4b9c8f6d"),
                "node-a",
                "Running",
                [
                    ("PodScheduled", "True", 2),
                    ("Initialized", "True", 2),
                    ("Ready", "True", 20),
                    ("ContainersReady", "True", 20),
                ],
                [
                    {
                        **web_c,
                        "status": {
                            "name": "app",
                            "image": "shop/web:1.0",
                            "ready": True,
                            "restartCount": 0,
                            "state": running,
                        },
                    }
                ],
                start=2,
                deletion=100,
            ),
        ),
        (
            110,
            "DELETED",
            _pod(
                *WEB,
                ("ReplicaSet", "web-7d4b9c8f6d"),
                "node-a",
                "Running",
                [
                    ("PodScheduled", "True", 2),
                    ("Initialized", "True", 2),
                    ("Ready", "False", 110),
                    ("ContainersReady", "False", 110),
                ],
                [
                    {
                        **web_c,
                        "status": {
                            "name": "app",
                            "image": "shop/web:1.0",
                            "ready": False,
                            "restartCount": 0,
                            "state": {
                                "terminated": {
                                    "reason": "Completed",
                                    "exitCode": 0,
                                    "startedAt": at(12),
                                    "finishedAt": at(110),
                                }
                            },
                        },
                    }
                ],
                start=2,
                deletion=100,
            ),
        ),
    ]
    job_c = {"name": "report", "image": "batch/report:2"}
    oom = {
        "terminated": {
            "reason": "OOMKilled",
            "exitCode": 137,
            "startedAt": at(5),
            "finishedAt": at(30),
        }
    }
    job = [
        (
            0,
            "ADDED",
            _pod(
                *JOB,
                ("Job", "report-28500000"),
                "node-b",
                "Pending",
                [("PodScheduled", "True", 1)],
                [
                    {
                        **job_c,
                        "status": {
                            "name": "report",
                            "image": "batch/report:2",
                            "ready": False,
                            "restartCount": 0,
                            "state": {"waiting": {"reason": "ContainerCreating"}},
                        },
                    }
                ],
                restart_policy="OnFailure",
            ),
        ),
        # image already present: started at 5, OOM-killed at 30, restarted at 31, done at 60
        (
            5,
            "MODIFIED",
            _pod(
                *JOB,
                ("Job", "report-28500000"),
                "node-b",
                "Running",
                [("PodScheduled", "True", 1), ("Initialized", "True", 1), ("Ready", "True", 5)],
                [
                    {
                        **job_c,
                        "status": {
                            "name": "report",
                            "image": "batch/report:2",
                            "ready": True,
                            "restartCount": 0,
                            "state": {"running": {"startedAt": at(5)}},
                        },
                    }
                ],
                start=1,
                restart_policy="OnFailure",
            ),
        ),
        (
            31,
            "MODIFIED",
            _pod(
                *JOB,
                ("Job", "report-28500000"),
                "node-b",
                "Running",
                [("PodScheduled", "True", 1), ("Initialized", "True", 1), ("Ready", "True", 31)],
                [
                    {
                        **job_c,
                        "status": {
                            "name": "report",
                            "image": "batch/report:2",
                            "ready": True,
                            "restartCount": 1,
                            "state": {"running": {"startedAt": at(31)}},
                            "lastState": oom,
                        },
                    }
                ],
                start=1,
                restart_policy="OnFailure",
            ),
        ),
        (
            60,
            "MODIFIED",
            _pod(
                *JOB,
                ("Job", "report-28500000"),
                "node-b",
                "Succeeded",
                [("PodScheduled", "True", 1), ("Initialized", "True", 1), ("Ready", "False", 60)],
                [
                    {
                        **job_c,
                        "status": {
                            "name": "report",
                            "image": "batch/report:2",
                            "ready": False,
                            "restartCount": 1,
                            "state": {
                                "terminated": {
                                    "reason": "Completed",
                                    "exitCode": 0,
                                    "startedAt": at(31),
                                    "finishedAt": at(60),
                                }
                            },
                            "lastState": oom,
                        },
                    }
                ],
                start=1,
                restart_policy="OnFailure",
            ),
        ),
    ]
    records = sorted(
        [(t, kind, obj) for t, kind, obj in web + job],
        key=lambda r: (r[0], r[2]["metadata"]["uid"]),
    )
    lines = []
    for t, kind, obj in records:
        obj["metadata"]["resourceVersion"] = str(1000 + t)
        lines.append(json.dumps({"type": kind, "object": obj}))
    (out / "pods-watch.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = [
        _event(*WEB, "Scheduled", f"Successfully assigned shop/{WEB[2]} to node-a", 2),
        _event(*WEB, "Pulling", 'Pulling image "shop/web:1.0"', 3, container="app"),
        _event(
            *WEB,
            "Pulled",
            'Successfully pulled image "shop/web:1.0" in 4.5s '
            "(4.5s including waiting). Image size: 1000 bytes.",
            8,
            container="app",
        ),
        _event(*WEB, "Created", "Created container: app", 11, container="app"),
        _event(*WEB, "Started", "Started container app", 12, container="app"),
        _event(
            *WEB,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            14,
            container="app",
            type_="Warning",
            count=3,
            last=18,
        ),
        _event(*WEB, "Killing", "Stopping container app", 100, container="app"),
        _event(*JOB, "Scheduled", f"Successfully assigned batch/{JOB[2]} to node-b", 1),
        _event(
            *JOB,
            "Pulled",
            'Container image "batch/report:2" already present on machine',
            3,
            container="report",
        ),
        _event(*JOB, "Started", "Started container report", 5, container="report"),
    ]
    (out / "events.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": events}, indent=1),
        encoding="utf-8",
    )
    return out


def hand_db(out: Path) -> Path:
    """The hand-built capture ingested into `out/podreplay.duckdb` and rebuilt."""
    capture = hand_capture(out / "capture")
    db = out / "podreplay.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, sorted(capture.iterdir()))
    return db

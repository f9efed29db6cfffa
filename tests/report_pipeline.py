"""Databases for the report tests, built by the real pipeline: simulator → ingest → derive.

`HOSTILE_MESSAGE` is an event message that would run script if it were ever parsed as HTML; it
arrives through a core/v1 EventList written here and ingested like any capture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from podreplay.derive import ingest_and_rebuild
from podreplay.simulate import ALL_FORMATS, TRUTH_FILE, simulate
from podreplay.store import Store

HOSTILE_MESSAGE = (
    'Back-off <script>window.__pwned=1</script> then <img src=x onerror="window.__pwned=1"> & done'
)
HOSTILE_NS = "hostile"
HOSTILE_POD = "evil-pod"
HOSTILE_UID = "0f0f0f0f-hostile-0000-0000-000000000001"


def hostile_capture(path: Path) -> Path:
    """A core/v1 EventList about one pod: a Warning whose message carries HTML and script,
    and a Normal event before it (times inside the simulator's default capture hour)."""

    def event(
        name: str, reason: str, message: str, kind: str, first: str, last: str, n: int
    ) -> Any:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": HOSTILE_NS, "uid": f"uid-{name}"},
            "involvedObject": {
                "kind": "Pod",
                "namespace": HOSTILE_NS,
                "name": HOSTILE_POD,
                "uid": HOSTILE_UID,
                "fieldPath": "spec.containers{app}",
            },
            "reason": reason,
            "message": message,
            "type": kind,
            "count": n,
            "firstTimestamp": first,
            "lastTimestamp": last,
            "source": {"component": "kubelet", "host": "node-1"},
        }

    doc = {
        "apiVersion": "v1",
        "kind": "EventList",
        "metadata": {"resourceVersion": ""},
        "items": [
            event(
                f"{HOSTILE_POD}.1",
                "Started",
                "Started container app",
                "Normal",
                "2024-03-01T02:10:00Z",
                "2024-03-01T02:10:00Z",
                1,
            ),
            event(
                f"{HOSTILE_POD}.2",
                "BackOff",
                HOSTILE_MESSAGE,
                "Warning",
                "2024-03-01T02:12:00Z",
                "2024-03-01T02:15:00Z",
                7,
            ),
        ],
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def build_database(
    workdir: Path,
    *,
    pods: int,
    seed: int,
    snapshot_every_s: int = 300,
    formats: tuple[str, ...] = ALL_FORMATS,
    hostile: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """Simulate a capture, ingest it (plus the hostile events) and rebuild the derived tables;
    returns the database path and the simulator's ground truth."""
    cap = workdir / "capture"
    result = simulate(cap, pods=pods, seed=seed, snapshot_every_s=snapshot_every_s, formats=formats)
    paths = sorted(p for p in cap.rglob("*") if p.is_file() and p.name != TRUTH_FILE)
    if hostile:
        paths.append(hostile_capture(workdir / "hostile-events.json"))
    db = workdir / "report.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, paths)
    return db, result.truth


def shared_database(
    factory: Any, name: str, *, pods: int, seed: int
) -> tuple[Path, dict[str, Any]]:
    """`build_database` once per test session, from events and the watch stream only (the
    2,000-pod capture still takes half a minute): later callers with the same name reuse the
    files under pytest's session temp dir."""
    work = Path(factory.getbasetemp()) / name
    db, truth = work / "report.duckdb", work / "capture" / TRUTH_FILE
    if db.exists() and truth.exists():
        return db, json.loads(truth.read_text(encoding="utf-8"))
    work.mkdir(parents=True, exist_ok=True)
    return build_database(work, pods=pods, seed=seed, formats=("events", "watch"))

"""When a pod snapshot was taken: the file name's time, `--observed-at`, a watch record's
`observedAt` stamp, else the newest timestamp the snapshot holds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podreplay.ingest import IngestOptions, file_timestamp, ingest_paths
from podreplay.store import Store
from tests.support.paths import K3S_PODS, real, real_items

HARVESTER_PODS = "harvester-system__pods"
SONOBUOY_PODS = "sonobuoy-results__kube-system__Pods"


def test_file_name_time_is_the_observation_time(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pods-20250911T205400Z.json"
    path.write_bytes(real(K3S_PODS).read_bytes())
    ingest_paths(store, [path])
    assert store.rows("SELECT DISTINCT observed_at, observed_basis FROM pod_snapshots") == [
        (datetime(2025, 9, 11, 20, 54, tzinfo=UTC), "file_name")
    ]


def test_observed_at_option_wins_over_the_file_name(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pods-20250911T205400Z.json"
    path.write_bytes(real(K3S_PODS).read_bytes())
    when = datetime(2025, 9, 11, 20, 55, 30, tzinfo=UTC)
    ingest_paths(store, [path], IngestOptions(observed_at=when))
    assert store.rows("SELECT DISTINCT observed_at, observed_basis FROM pod_snapshots") == [
        (when, "option")
    ]


def test_without_a_time_a_snapshot_is_dated_by_its_latest_timestamp(store: Store) -> None:
    ingest_paths(store, [real(K3S_PODS)])
    latest = max(_timestamps(real_items(K3S_PODS)))
    assert store.rows("SELECT DISTINCT observed_at, observed_basis FROM pod_snapshots") == [
        (latest, "inferred")
    ]


def _timestamps(pods: list[dict[str, Any]]) -> list[datetime]:
    found: list[datetime] = []
    for pod in pods:
        status = pod["status"]
        values = [pod["metadata"].get("creationTimestamp"), status.get("startTime")]
        values += [c.get("lastTransitionTime") for c in status.get("conditions", [])]
        values += [c.get("lastProbeTime") for c in status.get("conditions", [])]
        for cs in status.get("containerStatuses", []) + status.get("initContainerStatuses", []):
            for state in cs.get("state", {}).values():
                values += [state.get("startedAt"), state.get("finishedAt")]
            for state in cs.get("lastState", {}).values():
                values.append(state.get("finishedAt"))
        found += [datetime.fromisoformat(v) for v in values if v]
    return found


def test_watch_records_use_their_observed_at_stamp(store: Store, tmp_path: Path) -> None:
    pods = real_items(K3S_PODS)
    lines = [
        json.dumps({"type": "ADDED", "object": p, "observedAt": f"2025-09-11T21:00:0{i}Z"})
        for i, p in enumerate(pods)
    ]
    path = tmp_path / "pods-watch.ndjson"
    path.write_text("\n".join(lines) + "\n")
    ingest_paths(store, [path])
    rows = store.rows(
        "SELECT pod, observed_at, observed_basis, watch_type FROM pod_snapshots "
        "ORDER BY observed_at"
    )
    assert [r[0] for r in rows] == [p["metadata"]["name"] for p in pods]
    assert {r[2] for r in rows} == {"record"} and {r[3] for r in rows} == {"ADDED"}
    assert rows[0][1] == datetime(2025, 9, 11, 21, 0, 0, tzinfo=UTC)


def test_file_timestamp_reads_compact_and_rfc3339_names() -> None:
    assert file_timestamp("pods-20240301T021300Z.json") == datetime(2024, 3, 1, 2, 13, tzinfo=UTC)
    assert file_timestamp("dump/2024-03-01T02-13-00Z.yaml") == datetime(
        2024, 3, 1, 2, 13, tzinfo=UTC
    )
    assert file_timestamp("pods.json") is None

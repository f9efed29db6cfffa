"""Odd pod objects: what the pods step reads of them, through both readers.

The pods step reads each pod once into a struct (`pod_type()` in sql/ingest_00_macros.sql);
these shapes are where a struct could read differently from a path into the document: values
of the wrong JSON type, states under keys Kubernetes does not write, the string "null", lists
that are objects or hold nulls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podreplay.ingest import IngestOptions, ingest_paths
from podreplay.store import Store

READERS = pytest.mark.parametrize(
    "fast_min_bytes", [0, 1 << 62], ids=["fast path", "python reader"]
)
T0 = "2024-03-01T02:00:00Z"


def pod(name: str, status: object, **metadata: object) -> dict[str, Any]:
    meta = {"name": name, "namespace": "ns", "uid": f"uid-{name}", "creationTimestamp": T0}
    meta.update(metadata)
    spec = {"nodeName": "n1", "restartPolicy": "Always", "terminationGracePeriodSeconds": 30.5}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def ingest(tmp_path: Path, pods: list[dict[str, Any]], fast_min_bytes: int) -> Store:
    """The pods as a watch stream without stamps (each record dated by its own times)."""
    path = tmp_path / "pods-watch.ndjson"
    path.write_text("".join(json.dumps({"type": "MODIFIED", "object": p}) + "\n" for p in pods))
    store = Store(tmp_path / "db.duckdb")
    result = ingest_paths(store, [path], IngestOptions(fast_min_bytes=fast_min_bytes))
    assert not result.failed
    return store


def when(store: Store, name: str) -> str:
    return str(
        store.scalar(
            "SELECT strftime(observed_at, '%Y-%m-%dT%H:%M:%SZ') FROM pod_snapshots WHERE pod = ?",
            [name],
        )
    )


@READERS
def test_a_record_is_dated_by_any_state_its_containers_show(
    tmp_path: Path, fast_min_bytes: int
) -> None:
    pods = [
        # a state under a key Kubernetes does not write still dates the record (`state.*`)
        pod(
            "other-key",
            {
                "containerStatuses": [
                    {"name": "a", "state": {"x": {"startedAt": "2024-03-01T02:20:00Z"}}}
                ]
            },
        ),
        pod(
            "last-state",
            {
                "containerStatuses": [
                    {
                        "name": "a",
                        "lastState": {"terminated": {"finishedAt": "2024-03-01T02:21:00Z"}},
                    }
                ]
            },
        ),
        pod(
            "init",
            {
                "initContainerStatuses": [
                    {"name": "i", "state": {"terminated": {"finishedAt": "2024-03-01T02:22:00Z"}}}
                ]
            },
        ),
        pod(
            "ephemeral",
            {
                "ephemeralContainerStatuses": [
                    {"name": "e", "state": {"running": {"startedAt": "2024-03-01T02:23:00Z"}}}
                ]
            },
        ),
        pod("probe", {"conditions": [{"type": "Ready", "lastProbeTime": "2024-03-01T02:24:00Z"}]}),
        # Go's time.String() form
        pod(
            "go-time",
            {
                "conditions": [
                    {"type": "Ready", "lastTransitionTime": "2024-03-01 02:25:00 +0000 UTC"}
                ]
            },
        ),
    ]
    with ingest(tmp_path, pods, fast_min_bytes) as store:
        got = {p["metadata"]["name"]: when(store, p["metadata"]["name"]) for p in pods}
    assert got == {
        "other-key": "2024-03-01T02:20:00Z",
        "last-state": "2024-03-01T02:21:00Z",
        "init": "2024-03-01T02:22:00Z",
        "ephemeral": "2024-03-01T02:23:00Z",
        "probe": "2024-03-01T02:24:00Z",
        "go-time": "2024-03-01T02:25:00Z",
    }


@READERS
def test_container_states_and_values_of_other_types(tmp_path: Path, fast_min_bytes: int) -> None:
    status = {
        "startTime": "2024-03-01T02:01:00Z",
        "containerStatuses": [
            # "null" is no state (YAML encoders write it for null): the next one counts
            {
                "name": "a",
                "ready": True,
                "started": "false",
                "restartCount": 2,
                "state": {"terminated": "null", "running": {"startedAt": "2024-03-01T02:02:00Z"}},
                "lastState": {"terminated": {"exitCode": "137", "reason": "OOMKilled"}},
            },
            # a state that is no object is still the state the container is in
            {"name": 5, "image": 7, "state": {"waiting": "x"}, "lastState": []},
            None,
            "not an object",
        ],
    }
    with ingest(tmp_path, [pod("p", status)], fast_min_bytes) as store:
        got = store.rows(
            "SELECT container, image, state, reason, started_at IS NOT NULL, ready, started,"
            " restart_count, last_state, last_reason, last_exit_code"
            " FROM container_snapshots ORDER BY container"
        )
    assert got == [
        ("5", "7", "waiting", None, False, None, None, None, None, None, None),
        ("?", None, None, None, False, None, None, None, None, None, None),
        ("?", None, None, None, False, None, None, None, None, None, None),
        ("a", None, "running", None, True, True, False, 2, "terminated", "OOMKilled", 137),
    ]


@READERS
def test_lists_that_are_objects_or_hold_nulls(tmp_path: Path, fast_min_bytes: int) -> None:
    pods = [
        pod(
            "objects",
            {"startTime": T0, "conditions": {"type": "Ready"}, "containerStatuses": {"name": "a"}},
            ownerReferences={"kind": "ReplicaSet", "name": "rs"},
        ),
        pod(
            "nulls",
            {"startTime": T0, "conditions": [None, {"type": "Ready", "status": True}]},
            ownerReferences=[{"kind": "Job", "name": "j"}, {"kind": "X", "name": "y"}],
        ),
    ]
    with ingest(tmp_path, pods, fast_min_bytes) as store:
        conditions = store.rows(
            "SELECT pod, condition, status FROM condition_snapshots JOIN pod_snapshots"
            " USING (pod_uid) ORDER BY pod, condition"
        )
        owners = store.rows("SELECT pod, owner_kind, owner_name FROM pod_snapshots ORDER BY pod")
        containers = store.scalar("SELECT count(*) FROM container_snapshots")
    assert conditions == [("nulls", "?", None), ("nulls", "Ready", "true")]
    assert owners == [("nulls", "Job", "j"), ("objects", None, None)]
    assert containers == 0

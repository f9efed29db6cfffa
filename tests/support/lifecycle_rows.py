"""Hand-built rows for the ingested tables, for lifecycle tests that reason out their answer.

Times are seconds after T0 (2024-05-01T10:00:00Z) so a case reads as a small story.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from podreplay.derive import rebuild
from podreplay.store import Store

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def at(seconds: float | None) -> datetime | None:
    """The time `seconds` after T0 (None stays None)."""
    return None if seconds is None else T0 + timedelta(seconds=seconds)


def _insert(store: Store, table: str, row: dict[str, Any]) -> None:
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    store.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))


def source(store: Store, source_id: int = 1, path: str = "capture.json") -> None:
    """A sources row (the ingester writes one per file)."""
    _insert(
        store,
        "sources",
        {
            "source_id": source_id,
            "path": path,
            "sha256": f"sha-{source_id}",
            "format": "test",
            "ingested_at": T0,
            "n_objects": 0,
            "n_rejects": 0,
            "n_events": 0,
            "n_pods": 0,
            "n_skipped": 0,
        },
    )


def pod(
    store: Store,
    t: float,
    uid: str = "uid-1",
    *,
    phase: str = "Pending",
    name: str = "web-7d4b9c8f6d-x2k9q",
    namespace: str = "default",
    created: float | None = 0,
    start_time: float | None = None,
    deletion: float | None = None,
    deletion_grace: float | None = None,
    watch_type: str | None = "MODIFIED",
    reason: str | None = None,
    restart_policy: str = "Always",
    owner: tuple[str, str] | None = ("ReplicaSet", "web-7d4b9c8f6d"),
    grace: float = 30,
    source_id: int = 1,
    node: str | None = "node-1",
) -> None:
    """One pod_snapshots row observed at T0+t (a watch record unless watch_type is None)."""
    _insert(
        store,
        "pod_snapshots",
        {
            "source_id": source_id,
            "observed_at": at(t),
            "observed_basis": "record",
            "watch_type": watch_type,
            "pod_uid": uid,
            "namespace": namespace,
            "pod": name,
            "node": node,
            "phase": phase,
            "reason": reason,
            "qos_class": "Burstable",
            "created_at": at(created),
            "start_time": at(start_time),
            "deleted_at": at(deletion),
            "deletion_grace_s": deletion_grace,
            "termination_grace_s": grace,
            "owner_kind": owner[0] if owner else None,
            "owner_name": owner[1] if owner else None,
            "restart_policy": restart_policy,
        },
    )


def container(
    store: Store,
    t: float,
    uid: str = "uid-1",
    *,
    name: str = "app",
    is_init: bool = False,
    state: str = "waiting",
    reason: str | None = None,
    exit_code: int | None = None,
    started: float | None = None,
    finished: float | None = None,
    restarts: int = 0,
    last: tuple[str, int, float, float] | None = None,
    source_id: int = 1,
) -> None:
    """One container_snapshots row at T0+t; `last` = (reason, exit code, started, finished)."""
    _insert(
        store,
        "container_snapshots",
        {
            "source_id": source_id,
            "observed_at": at(t),
            "pod_uid": uid,
            "container": name,
            "is_init": is_init,
            "image": "registry.example/app:1",
            "state": state,
            "reason": reason,
            "exit_code": exit_code,
            "started_at": at(started),
            "finished_at": at(finished),
            "ready": state == "running",
            "started": state == "running",
            "restart_count": restarts,
            "last_state": "terminated" if last else None,
            "last_reason": last[0] if last else None,
            "last_exit_code": last[1] if last else None,
            "last_started_at": at(last[2]) if last else None,
            "last_finished_at": at(last[3]) if last else None,
        },
    )


def condition(
    store: Store,
    t: float,
    uid: str = "uid-1",
    *,
    name: str = "Ready",
    status: str = "False",
    since: float | None = None,
    reason: str | None = None,
    source_id: int = 1,
) -> None:
    """One condition_snapshots row at T0+t with lastTransitionTime T0+since."""
    _insert(
        store,
        "condition_snapshots",
        {
            "source_id": source_id,
            "observed_at": at(t),
            "pod_uid": uid,
            "condition": name,
            "status": status,
            "reason": reason,
            "last_transition_ts": at(since),
        },
    )


def event(
    store: Store,
    first: float,
    reason: str,
    message: str,
    uid: str | None = "uid-1",
    *,
    last: float | None = None,
    count: int = 1,
    container: str | None = "app",
    name: str = "web-7d4b9c8f6d-x2k9q",
    namespace: str = "default",
    kind: str = "Pod",
    type_: str = "Normal",
    key: str | None = None,
    source_id: int = 1,
) -> None:
    """One events row: `count` occurrences from T0+first to T0+last (1 s resolution)."""
    fp = f"spec.containers{{{container}}}" if container else None
    _insert(
        store,
        "events",
        {
            "event_key": key or f"{name}.{reason}.{first}.{message[:20]}",
            "source_id": source_id,
            "api_version": "v1",
            "namespace": namespace,
            "name": f"{name}.{int(first)}",
            "object_kind": kind,
            "object_namespace": namespace,
            "object_name": name,
            "object_uid": uid,
            "field_path": fp,
            "container": container,
            "reason": reason,
            "message": message,
            "type": type_,
            "count": count,
            "first_ts": at(first),
            "last_ts": at(last if last is not None else first),
            "component": "kubelet",
            "host": "node-1",
        },
    )


def rebuilt(store: Store) -> Store:
    """Run the derive files over what was inserted; returns the store for chaining."""
    rebuild(store)
    return store


def check_intervals_tile_time(store: Store) -> None:
    """Whatever the evidence: per pod (condition, container) the intervals follow each other
    without gap or overlap, none is negative, and only the last one may be open."""
    for table, key in (
        ("phase_intervals", "pod_uid"),
        ("condition_intervals", "pod_uid, condition"),
        ("container_intervals", "pod_uid, container, is_init"),
    ):
        broken = store.rows(
            f"SELECT {key}, start_ts, end_ts, open FROM ("
            f" SELECT *, lead(start_ts) OVER w AS next_start FROM {table}"
            # a state seen last just before a gap may last 0 s: it comes first
            f" WINDOW w AS (PARTITION BY {key} ORDER BY start_ts, end_ts))"
            " WHERE seconds < 0 OR end_ts < start_ts"
            " OR (next_start IS NOT NULL AND (next_start <> end_ts OR open))"
        )
        assert broken == [], (table, broken[:5])


def ready_rows(store: Store, uid: str = "uid-1") -> list[tuple[Any, ...]]:
    """The pod's Ready and ContainersReady intervals: condition, status, start, end, basis, open."""
    return store.rows(
        "SELECT condition, status, start_ts, end_ts, basis, open FROM condition_intervals"
        " WHERE pod_uid = ? AND condition IN ('Ready', 'ContainersReady')"
        " ORDER BY condition, start_ts",
        [uid],
    )

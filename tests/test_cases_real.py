"""Real pod objects of the lifecycle cases issue 19 names (tests/data/real, provenance in
SOURCES.md), rebuilt with the facts each one shows: a native sidecar, an init container in
Init:Error with a restart, a pod with an ephemeral (`kubectl debug`) container, and (edited
from the sidecar pod) an in-place resize."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from podreplay.derive import ingest_and_rebuild
from podreplay.lifecycle import pod_story
from podreplay.store import Store
from tests.conftest import real
from tests.lifecycle_rows import check_intervals_tile_time


@pytest.fixture
def rebuilt(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    with Store(tmp_path / "real.duckdb") as store:
        ingest_and_rebuild(store, [real(request.param)])
        check_intervals_tile_time(store)
        yield store


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rows(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.rows(sql)]


@pytest.mark.parametrize("rebuilt", ["pod-native-sidecar"], indirect=True)
def test_a_native_sidecar_initializes_the_pod_by_starting_and_keeps_running(
    rebuilt: Store,
) -> None:
    # Initialized turned True a second after the sidecar started, 21 s before the app did
    assert rows(
        rebuilt,
        "SELECT status, start_ts FROM condition_intervals WHERE condition = 'Initialized'",
    ) == [("True", t("2026-06-28T21:14:19"))]
    assert rows(rebuilt, "SELECT phase, start_ts FROM phase_intervals ORDER BY start_ts") == [
        ("Pending", t("2026-06-28T21:14:08")),
        ("Running", t("2026-06-28T21:14:40")),
    ]
    # the sidecar runs on: never Completed, still running at the end, no restart
    assert rows(
        rebuilt,
        "SELECT state, start_ts, open FROM container_intervals"
        " WHERE container = 'log-collector' AND state <> 'waiting' ORDER BY start_ts",
    ) == [("running", t("2026-06-28T21:14:18"), True)]
    assert rows(rebuilt, "SELECT restarts, time_to_initialized_s FROM pod_stats") == [(0, 11.0)]


@pytest.mark.parametrize("rebuilt", ["pod-crashloop-pending"], indirect=True)
def test_a_failing_init_container_keeps_the_pod_pending_and_its_restart_counts(
    rebuilt: Store,
) -> None:
    assert rows(rebuilt, "SELECT DISTINCT phase FROM phase_intervals") == [("Pending",)]
    # restartCount 1 on the init container: the instance that exited 1 at 12:37:01 was
    # replaced at 12:37:04 (lastState), the new one exited 1 too (Init:Error)
    assert rows(
        rebuilt,
        'SELECT container, restart_no, "at", cause, exit_code FROM restarts',
    ) == [("crashloop-init", 1, t("2024-09-05T12:37:04"), "error", 1)]
    assert rows(
        rebuilt,
        "SELECT state, reason, exit_code, start_ts FROM container_intervals"
        " WHERE container = 'crashloop-init' AND state <> 'waiting' ORDER BY start_ts",
    ) == [
        ("running", None, None, t("2024-09-05T12:36:41")),
        ("terminated", "Error", 1, t("2024-09-05T12:37:01")),
        ("running", None, None, t("2024-09-05T12:37:04")),
        ("terminated", "Error", 1, t("2024-09-05T12:37:24")),
    ]
    # the app container never left PodInitializing; the pod never initialized
    assert rows(
        rebuilt,
        "SELECT DISTINCT state, reason FROM container_intervals WHERE container = 'main-container'",
    ) == [("waiting", "PodInitializing")]
    assert rows(rebuilt, "SELECT restarts, time_to_initialized_s, final_phase FROM pod_stats") == [
        (1, None, "Pending")
    ]


@pytest.mark.parametrize("rebuilt", ["pod-with-ephemeral-container"], indirect=True)
def test_an_ephemeral_container_is_on_the_timeline_and_no_restart(rebuilt: Store) -> None:
    # the debug shell started 19 s after the last other status time: the List is dated by it
    assert rows(rebuilt, "SELECT evidence_to FROM pods") == [(t("2026-06-28T21:20:31"),)]
    assert rows(
        rebuilt,
        "SELECT container, target, state, started_at, finished_at FROM ephemeral_containers",
    ) == [("debug-shell", "main", "running", t("2026-06-28T21:20:31"), None)]
    # not an app container: no interval, no restart, no readiness or phase change
    assert rows(rebuilt, "SELECT DISTINCT container FROM container_intervals") == [("main",)]
    assert rows(rebuilt, "SELECT count(*) FROM restarts") == [(0,)]
    assert rows(rebuilt, "SELECT phase FROM phase_intervals ORDER BY start_ts") == [
        ("Pending",),
        ("Running",),
    ]
    uid = rebuilt.scalar("SELECT pod_uid FROM pods")
    story = pod_story(rebuilt, uid).filter(subject="ephemeral:debug-shell").to_dicts()
    assert [(r["ts"], r["what"], r["detail"]) for r in story] == [
        (t("2026-06-28T21:20:31"), "running", "kubectl debug, target main")
    ]


def test_an_in_place_resize_is_a_condition_not_a_restart(tmp_path: Path) -> None:
    # the native-sidecar pod as a 1.33 kubelet shows it while resizing the app in place, and
    # ten minutes later, done: the condition is gone, the container instance the same
    pod = yaml.safe_load(real("pod-native-sidecar").read_text())
    resizing = yaml.safe_load(real("pod-native-sidecar").read_text())
    resizing["status"]["conditions"].append(
        {"type": "PodResizeInProgress", "status": "True",
         "lastTransitionTime": "2026-06-28T21:30:00Z", "lastProbeTime": None}
    )  # fmt: skip
    resizing["status"]["containerStatuses"][0]["allocatedResources"] = {"cpu": "20m"}
    paths = []
    for name, obj in (("20260628T213010Z", resizing), ("20260628T214000Z", pod)):
        paths.append(tmp_path / f"pods-{name}.yaml")
        paths[-1].write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [obj]}))
    with Store(tmp_path / "db.duckdb") as store:
        ingest_and_rebuild(store, paths)
        check_intervals_tile_time(store)
        assert rows(
            store,
            "SELECT status, start_ts, basis FROM condition_intervals"
            " WHERE condition = 'PodResizeInProgress' ORDER BY start_ts",
        ) == [
            ("True", t("2026-06-28T21:30:00"), "observed"),
            ("absent", t("2026-06-28T21:40:00"), "inferred"),
        ]
        assert rows(store, "SELECT count(*) FROM restarts") == [(0,)]
        # the app container's instance is the same one: running since 21:14:40, unbroken
        assert rows(
            store,
            "SELECT start_ts FROM container_intervals WHERE container = 'main'"
            " AND state = 'running'",
        ) == [(t("2026-06-28T21:14:40"),)]

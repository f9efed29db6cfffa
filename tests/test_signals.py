"""Restart causes and times, probe-kill chains and probe failure bursts (readiness spells are in
test_readiness.py), on hand-built rows (times are seconds after T0, see
tests/support/lifecycle_rows.py) and on the k3s capture. Each case's answer is reasoned out in
its comments.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podreplay.store import Store
from tests.support.cli import run
from tests.support.db import load
from tests.support.lifecycle_rows import at, container, event, pod, ready_rows, rebuilt, source
from tests.support.paths import K3S_FILES, REAL
from tests.support.truth import SETTINGS, close, rebuilt_capture, scenario_sets, ts

LIVENESS_KILL = "Container app failed liveness probe, will be restarted"
READY = ("Ready", "ContainersReady")


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return store.rows(sql, params or [])


def pulled(store: Store, t: float, ms: int, uid: str = "uid-1", name: str = "worker-x7k2p") -> None:
    """A Pulled event; the pull's duration makes each message (so each event object) unique."""
    msg = f'Successfully pulled image "app:1" in {ms}ms ({ms}ms including waiting)'
    event(store, t, "Pulled", msg, uid, name=name)


# -- restarts --------------------------------------------------------------------------------
def test_a_probe_kill_between_two_starts_is_linked_to_the_restart_that_follows(
    store: Store,
) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=2)
    # three liveness failures 100..120, the kill at 122; the Started event (×2) shows the new
    # instance at 150. The snapshot at 200 shows restartCount 1 but no lastState (so no exit)
    event(store, 100, "Unhealthy", "Liveness probe failed: timeout", last=120, count=3)
    event(store, 122, "Killing", LIVENESS_KILL)
    event(store, 2, "Started", "Started container app", last=150, count=2)
    pod(store, 200, phase="Running", start_time=0)
    container(store, 200, state="running", started=150, restarts=1)
    rebuilt(store)
    [(no, when, cause, code, killing, basis, evidence)] = rows(
        store,
        'SELECT restart_no, "at", cause, exit_code, killing_ts, at_basis, evidence FROM restarts',
    )
    # the kill at 122 lies between instance 0's start (2) and instance 1's (150)
    assert (no, when, cause, code, killing, basis) == (
        1,
        at(150),
        "liveness_probe",
        None,
        at(122),
        "observed",
    )
    assert evidence == (
        "Unhealthy liveness ×3 10:01:40–10:02:00 → Killing 2024-05-01T10:02:02Z: "
        f"{LIVENESS_KILL} → Started 2024-05-01T10:02:30Z"
    )


def test_events_date_each_restart_and_link_each_kill_to_its_own_restart(store: Store) -> None:
    source(store)
    uid, name = "ev-only", "worker-x7k2p"
    # Started ×3 gives instances 0 (3) and 2 (200) exactly, not instance 1; each Pulled object
    # (its own message) is one occurrence, so Pulled dates all three: 2, 99, 199
    event(store, 3, "Started", "Started container app", uid, name=name, last=200, count=3)
    for t, ms in ((2, 310), (99, 280), (199, 295)):
        pulled(store, t, ms, uid, name)
    # one kill, at 190: between instance 1's start (99) and instance 2's (200)
    event(store, 190, "Killing", LIVENESS_KILL, uid, name=name)
    rebuilt(store)
    # restart 1's replaced instance ended unseen: unknown (the kill is not spread to it);
    # restart 2 is the kill's, dated by the Started event; restart 1 by its Pulled event
    assert rows(
        store,
        'SELECT restart_no, "at", at_basis, cause, killing_ts FROM restarts ORDER BY restart_no',
    ) == [
        (1, at(99), "event", "unknown", None),
        (2, at(200), "event", "liveness_probe", at(190)),
    ]
    [evidence] = store.rows("SELECT evidence FROM restarts WHERE restart_no = 1")[0]
    assert evidence.endswith("; start: Pulled occurrence 2 of 3")


def test_two_kills_of_one_aggregated_event_each_find_their_restart_and_burst(
    store: Store,
) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=2)
    # two liveness bursts (two messages, two objects) and one Killing object ×2 (122 and 322)
    event(store, 100, "Unhealthy", "Liveness probe failed: timeout", last=120, count=3)
    event(store, 300, "Unhealthy", "Liveness probe failed: HTTP 500", last=320, count=3)
    event(store, 122, "Killing", LIVENESS_KILL, last=322, count=2)
    # at 500: instance 2 runs since 400; lastState is instance 1 (150..352, SIGKILL)
    pod(store, 500, phase="Running", start_time=0)
    container(store, 500, state="running", started=400, restarts=2, last=("Error", 137, 150, 352))
    rebuilt(store)
    got = rows(
        store,
        'SELECT restart_no, "at", cause, exit_code, killing_ts, evidence FROM restarts'
        " ORDER BY restart_no",
    )
    # restart 1: the kill at 122 lies between instance 0's start (2) and instance 1's (150);
    # restart 2: instance 1 ended (352) within the kill window plus the grace period
    assert [r[:5] for r in got] == [
        (1, at(150), "liveness_probe", None, at(122)),
        (2, at(400), "liveness_probe", 137, None),
    ]
    assert got[0][5].startswith("Unhealthy liveness ×3 10:01:40–10:02:00 → Killing ")
    assert got[1][5].startswith("Unhealthy liveness ×3 10:05:00–10:05:20 → Killing: ")
    assert "→ terminated Error exit 137 → Started 2024-05-01T10:06:40Z" in got[1][5]


def test_overlapping_event_objects_date_no_restart(store: Store) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=2)
    # two Pulled objects whose windows overlap (2..150 and 60..70): the order of the
    # occurrences inside is unknown, so neither dates an instance; Started ×3 dates only the
    # first and last instance
    event(store, 2, "Started", "Started container app", last=150, count=3)
    event(store, 2, "Pulled", 'Container image "app:1" already present', last=150, count=2)
    pulled(store, 65, 300)
    pod(store, 200, phase="Running", start_time=0)
    container(store, 200, state="running", started=150, restarts=2)
    rebuilt(store)
    assert rows(store, 'SELECT restart_no, "at", at_basis FROM restarts ORDER BY restart_no') == [
        (1, None, None),
        (2, at(150), "observed"),
    ]


@pytest.fixture(scope="module")
def k3s(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("k3s") / "k3s.duckdb"
    with Store(db) as store:
        load(store, K3S_FILES)
        yield store


def k3s_at(hms: str) -> datetime:
    return datetime.fromisoformat(f"2025-09-11T{hms}").replace(tzinfo=UTC)


def test_k3s_backend_api_restarts_are_dated_by_their_pulled_events(k3s: Store) -> None:
    # restartCount 5 while waiting in CrashLoopBackOff: six instances (0..5). Started ×6 and
    # Created ×6 give only instances 0 and 5; the five Pulled objects (one with ×2, 20:51:13 and
    # 20:51:56) never overlap, so they date every instance. lastState (Error, exit 1, started
    # 20:53:27) is instance 5, started by restart 5: its exit is the cause of the restart still
    # pending, and what ended instances 0..4 no capture shows
    got = rows(
        k3s,
        'SELECT restart_no, "at", at_basis, cause, exit_code FROM restarts'
        " WHERE pod = 'backend-api-75fb46b7bd-xtkrh' ORDER BY restart_no",
    )
    assert got == [
        (1, k3s_at("20:50:22"), "event", "unknown", None),
        (2, k3s_at("20:50:40"), "event", "unknown", None),
        (3, k3s_at("20:51:13"), "event", "unknown", None),
        (4, k3s_at("20:51:56"), "event", "unknown", None),
        (5, k3s_at("20:53:27"), "observed", "unknown", None),
    ]
    [(evidence,)] = rows(
        k3s,
        "SELECT evidence FROM restarts WHERE pod = 'backend-api-75fb46b7bd-xtkrh'"
        " AND restart_no = 5",
    )
    assert "then terminated Error exit 1 at 2025-09-11T20:53:27Z" in evidence
    # instance 5 is the one lastState shows
    assert rows(
        k3s,
        "SELECT idx, started_at, reason, exit_code FROM container_instances"
        " JOIN pods USING (pod_uid) WHERE pod = 'backend-api-75fb46b7bd-xtkrh'",
    ) == [(5, k3s_at("20:53:27"), "Error", 1)]


def test_k3s_metrics_server_was_not_ready_from_its_start_to_its_first_ready(k3s: Store) -> None:
    # one List: the container started 20:40:08, Ready turned True 20:40:26; nine readiness
    # failures 20:40:10..20:40:24 at its 2 s period (one burst, threshold 3) lie inside
    assert rows(
        k3s,
        "SELECT f.first_ts, f.last_ts, f.count, f.period_s, f.one_burst FROM probe_failures f"
        " JOIN pods USING (pod_uid) WHERE pod = 'metrics-server-7bfffcd44-vjjg6'",
    ) == [(k3s_at("20:40:10"), k3s_at("20:40:24"), 9, 2, True)]
    got = rows(
        k3s,
        "SELECT condition, status, start_ts, basis FROM condition_intervals"
        " JOIN pods USING (pod_uid) WHERE pod = 'metrics-server-7bfffcd44-vjjg6'"
        " AND condition IN ('Ready', 'ContainersReady') ORDER BY condition, start_ts",
    )
    assert got == [
        (name, status, k3s_at(hms), basis)
        for name in ("ContainersReady", "Ready")
        for status, hms, basis in (
            ("False", "20:40:08", "inferred"),
            ("True", "20:40:26", "observed"),
        )
    ]


def test_minikube_liveness_kills_are_placed_where_the_events_allow(tmp_path: Path) -> None:
    # events only: Started ×3 (05:24:18..05:25:58), one Pulled object per start (05:24:18,
    # 05:25:08, 05:25:58), Killing "failed liveness probe, will be restarted" ×3 (05:24:35..
    # 05:26:15): three restarts, the third one after the capture. The first kill lies between
    # instance 0's start and instance 1's: restart 1's chain; the other two kills are not dated
    # (the middle occurrence is unknown, the last follows the last start) and go in order
    with Store(tmp_path / "minikube.duckdb") as store:
        load(store, sorted(REAL.glob("minikube_2023_troubleshoot-fixture__multi*")))
        got = rows(
            store,
            'SELECT restart_no, "at", cause, killing_ts FROM restarts'
            " WHERE pod = 'failing-liveness-pod' ORDER BY restart_no",
        )

    def t(hms: str) -> datetime:
        return datetime.fromisoformat(f"2023-07-10T{hms}+00:00")

    assert got == [
        (1, t("05:25:08"), "liveness_probe", t("05:24:35")),
        (2, t("05:25:58"), "liveness_probe", None),
        (3, None, "liveness_probe", None),
    ]


# -- probe failures --------------------------------------------------------------------------
def test_each_unhealthy_event_object_is_its_own_burst(store: Store) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=2)
    # three bursts of one readiness probe: two messages (two objects) 100..120 and 400..410,
    # and one object of the first message again after the first expired (key differs) at 900
    event(store, 100, "Unhealthy", "Readiness probe failed: timeout", last=120, count=3)
    event(store, 400, "Unhealthy", "Readiness probe failed: HTTP 503", last=410, count=2)
    event(store, 900, "Unhealthy", "Readiness probe failed: timeout", key="again")
    # one object of a liveness probe whose occurrences lie further apart than one period
    # (10 s by default): several bursts the capture cannot split
    event(store, 300, "Unhealthy", "Liveness probe failed: timeout", last=500, count=3)
    rebuilt(store)
    assert rows(
        store,
        "SELECT probe, first_ts, last_ts, count, one_burst FROM probe_failures"
        " ORDER BY probe, first_ts",
    ) == [
        ("liveness", at(300), at(500), 3, False),
        ("readiness", at(100), at(120), 3, True),
        ("readiness", at(400), at(410), 2, True),
        ("readiness", at(900), at(900), 1, True),
    ]


def unhealthy_watch_record(count: int, t: float) -> str:
    """One `kubectl get events -w -o json --output-watch-events` line: the object's state after
    occurrence number `count` at T0+t."""
    stamp = at(t).strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
    obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "api-0.17f3a", "namespace": "default", "uid": "ev-unhealthy"},
        "involvedObject": {
            "kind": "Pod",
            "namespace": "default",
            "name": "api-0",
            "uid": "pod-api-0",
            "fieldPath": "spec.containers{app}",
        },
        "reason": "Unhealthy",
        "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "type": "Warning",
        "count": count,
        "firstTimestamp": at(100).strftime("%Y-%m-%dT%H:%M:%SZ"),  # type: ignore[union-attr]
        "lastTimestamp": stamp,
        "source": {"component": "kubelet", "host": "node-1"},
    }
    return json.dumps({"type": "ADDED" if count == 1 else "MODIFIED", "object": obj})


def test_a_watched_event_whose_count_grows_splits_into_its_bursts(tmp_path: Path) -> None:
    # one Unhealthy object seen 7 times through a watch: 100, 110, 120 | 400, 410, 420 | 900
    times = [100, 110, 120, 400, 410, 420, 900]
    capture = tmp_path / "events-watch.ndjson"
    capture.write_text(
        "".join(unhealthy_watch_record(i + 1, t) + "\n" for i, t in enumerate(times))
    )
    db = tmp_path / "w.duckdb"
    for _ in range(2):  # the second ingest is a no-op
        result = run("ingest", str(capture), "--db", str(db))
        assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM event_versions") == len(times)
        assert rows(
            store, "SELECT first_ts, last_ts, count, burst_no, one_burst FROM probe_failures"
        ) == [
            (at(100), at(120), 3, 1, True),
            (at(400), at(420), 3, 2, True),
            (at(900), at(900), 1, 3, True),
        ]
        # bursts of 3 failures (the default threshold) make the pod not ready from the third
        # until a period (10 s) after it; the single failure does not; between the two spells
        # nothing shows the condition (unknown, a gap)
        assert ready_rows(store, "pod-api-0") == [
            row
            for name in ("ContainersReady", "Ready")
            for row in (
                (name, "False", at(120), at(130), "inferred", False),
                (name, "unknown", at(130), at(420), "gap", False),
                (name, "False", at(420), at(430), "inferred", False),
            )
        ]


# -- the simulator's ground truth ------------------------------------------------------------
@pytest.mark.slow
@SETTINGS
@given(
    seed=st.integers(0, 2**20),
    scenarios=scenario_sets,
    formats=st.sampled_from([("events", "events_v1"), ("events", "snapshots")]),
)
def test_thin_captures_date_and_explain_restarts_only_as_they_were(
    seed: int, scenarios: list[str], formats: tuple[str, ...]
) -> None:
    scenarios = sorted({*scenarios, "crashloop", "liveness_kill", "startup_probe"})
    with rebuilt_capture(seed, scenarios, formats) as (store, truth):
        want = {
            (p["pod_uid"], r["container"], r["restart_no"]): r
            for p in truth["pods"]
            for r in p["restarts"]
        }
        for uid, c, no, when, cause in store.rows(
            'SELECT pod_uid, container, restart_no, "at", cause FROM restarts'
        ):
            r = want[(uid, c, no)]
            # a time or cause the rebuild states is the true one; the rest stays null/unknown
            assert when is None or close(when, ts(r["at"])), (uid, no, when, r)
            assert cause in ("unknown", r["cause"]), (uid, no, cause, r)


def test_fewer_left_over_kills_than_unexplained_restarts_name_none_of_them(store: Store) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=2)
    # one liveness kill no start places, three restarts no capture explains: which one it ended
    # is unknown, so all three stay unknown and say so
    event(store, 100, "Killing", LIVENESS_KILL)
    pod(store, 500, phase="Running", start_time=0)
    container(store, 500, state="running", started=400, restarts=3)
    rebuilt(store)
    got = rows(store, "SELECT restart_no, cause, evidence FROM restarts ORDER BY restart_no")
    assert [(no, cause) for no, cause, _ in got] == [(1, "unknown"), (2, "unknown"), (3, "unknown")]
    assert got[0][2] == (
        "restartCount reached 1; no capture shows how the replaced instance ended; 1 probe"
        f" kill(s) ({LIVENESS_KILL}) fall among the 3 restarts no capture explains"
    )

"""Restart causes and times, probe-kill chains, probe failure bursts and readiness spells, on
hand-built rows (times are seconds after T0, see tests/lifecycle_rows.py) and on the k3s capture.
Each case's answer is reasoned out in its comments.
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
from typer.testing import CliRunner

from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.store import Store
from tests.conftest import REAL
from tests.lifecycle_rows import at, condition, container, event, pod, rebuilt, source
from tests.test_lifecycle_truth import SETTINGS, close, rebuilt_capture, scenario_sets, ts

LIVENESS_KILL = "Container app failed liveness probe, will be restarted"
READY = ("Ready", "ContainersReady")
runner = CliRunner()


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
        ingest_and_rebuild(store, sorted(REAL.glob("k3s-*")))
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
        ingest_and_rebuild(store, sorted(REAL.glob("minikube_2023_troubleshoot-fixture__multi*")))
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
        result = runner.invoke(app, ["ingest", str(capture), "--db", str(db)])
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


# -- readiness -------------------------------------------------------------------------------
def ready_rows(store: Store, uid: str = "uid-1") -> list[tuple[Any, ...]]:
    return rows(
        store,
        "SELECT condition, status, start_ts, end_ts, basis, open FROM condition_intervals"
        " WHERE pod_uid = ? AND condition IN ('Ready', 'ContainersReady')"
        " ORDER BY condition, start_ts",
        [uid],
    )


def with_readiness_probe(
    store: Store, uid: str, period: int, failures: int, successes: int
) -> None:
    """Give the pod's snapshots a spec whose app container has that readiness probe."""
    probe = {"periodSeconds": period, "failureThreshold": failures, "successThreshold": successes}
    spec = {"spec": {"containers": [{"name": "app", "readinessProbe": probe}]}}
    store.execute("UPDATE pod_snapshots SET raw = ? WHERE pod_uid = ?", [json.dumps(spec), uid])


def test_a_single_snapshot_shows_the_pod_not_ready_from_its_start_to_ready(store: Store) -> None:
    source(store)
    # one List at 1000: the container runs since 100, Ready/ContainersReady turned True at 160
    pod(store, 1000, phase="Running", start_time=90, watch_type=None)
    container(store, 1000, state="running", started=100)
    for name in READY:
        condition(store, 1000, name=name, status="True", since=160)
    rebuilt(store)
    # a started container is not ready until its readiness probe passes: False from its start
    assert ready_rows(store) == [
        (name, status, at(s), at(e), basis, is_open)
        for name in ("ContainersReady", "Ready")
        for status, s, e, basis, is_open in (
            ("False", 100, 160, "inferred", False),
            ("True", 160, 1000, "observed", True),
        )
    ]
    assert store.scalar("SELECT not_ready_running_s FROM pod_stats") == 60.0


def test_conditions_without_transition_times_seen_at_the_capture_end_are_kept(
    store: Store,
) -> None:
    source(store)
    # one record at the capture end whose conditions carry no lastTransitionTime: each run
    # starts (and ends) at that observation, open; when Ready turned True after the start (10)
    # is unknown, so no not-ready time is inferred
    pod(store, 50, phase="Running", start_time=0, watch_type=None)
    container(store, 50, state="running", started=10)
    for name in READY:
        condition(store, 50, name=name, status="True")
    rebuilt(store)
    assert ready_rows(store) == [
        (name, "True", at(50), at(50), "observed", True) for name in ("ContainersReady", "Ready")
    ]


def test_a_container_started_at_the_turn_to_ready_leaves_nothing_to_infer(store: Store) -> None:
    source(store)
    # one List: instance 1 started at 500, the moment Ready turned True; instance 0 ran 100..498
    # (and was most likely ready then): nothing before 500 is claimed
    pod(store, 1000, phase="Running", start_time=90, watch_type=None)
    container(store, 1000, state="running", started=500, restarts=1, last=("Error", 1, 100, 498))
    condition(store, 1000, status="True", since=500)
    rebuilt(store)
    assert ready_rows(store) == [("Ready", "True", at(500), at(1000), "observed", True)]


def test_aws_calico_node_not_ready_spell_joins_its_restart(tmp_path: Path) -> None:
    # Kubernetes 1.8 (no ContainersReady): calico-node restarted at 17:03:02 and turned Ready at
    # 17:03:18; four readiness failures 17:02:38..17:03:08 at the default 10 s period made it
    # not ready from the third (17:02:58): one not-ready spell 17:02:58..17:03:18
    with Store(tmp_path / "aws.duckdb") as store:
        ingest_and_rebuild(store, sorted(REAL.glob("aws-*")))
        assert rows(
            store,
            "SELECT condition, status, start_ts, basis FROM condition_intervals"
            " JOIN pods USING (pod_uid) WHERE pod = 'calico-node-fb8vk'"
            " AND condition IN ('Ready', 'ContainersReady') ORDER BY condition, start_ts",
        ) == [
            ("Ready", "False", datetime(2017, 12, 13, 17, 2, 58, tzinfo=UTC), "inferred"),
            ("Ready", "True", datetime(2017, 12, 13, 17, 3, 18, tzinfo=UTC), "observed"),
        ]


def test_a_readiness_burst_makes_the_pod_not_ready_by_its_probe_spec(store: Store) -> None:
    source(store)
    for uid in ("uid-1", "uid-2"):
        pod(store, 0, uid, phase="Running", start_time=0)
        container(store, 0, uid, state="running", started=0)
        for name in READY:
            condition(store, 0, uid, name=name, status="True", since=0)
        # four readiness failures 5 s apart; the probe fails the pod after 2, and needs 3
        # successes: not ready from the second failure (205) until 3 periods after the last (230)
        event(store, 200, "Unhealthy", "Readiness probe failed: timeout", uid, last=215, count=4)
        # a single failure later is below the threshold: no spell
        event(store, 500, "Unhealthy", "Readiness probe failed: HTTP 503", uid)
        with_readiness_probe(store, uid, period=5, failures=2, successes=3)
    # pod 1: a List at 1000 agrees (Ready turned True again at 230)
    pod(store, 1000, phase="Running", start_time=0, watch_type=None)
    container(store, 1000, state="running", started=0)
    for name in READY:
        condition(store, 1000, name=name, status="True", since=230)
    # pod 2: a List at 210 still shows it Ready since 0: the snapshot wins, no spell
    pod(store, 210, "uid-2", phase="Running", start_time=0, watch_type=None)
    container(store, 210, "uid-2", state="running", started=0)
    for name in READY:
        condition(store, 210, "uid-2", name=name, status="True", since=0)
    rebuilt(store)
    assert ready_rows(store, "uid-1") == [
        (name, status, at(s), at(e), basis, is_open)
        for name in ("ContainersReady", "Ready")
        for status, s, e, basis, is_open in (
            ("True", 0, 205, "observed", False),
            ("False", 205, 230, "inferred", False),
            ("True", 230, 1000, "observed", True),
        )
    ]
    assert [(c, st) for c, st, *_ in ready_rows(store, "uid-2")] == [
        ("ContainersReady", "True"),
        ("Ready", "True"),
    ]
    assert rows(store, "SELECT pod_uid, not_ready_running_s FROM pod_stats ORDER BY 1") == [
        ("uid-1", 25.0),
        ("uid-2", 0.0),
    ]


def test_a_failing_startup_probe_means_not_ready(store: Store) -> None:
    source(store)
    uid, name = "ev-only", "worker-x7k2p"
    event(store, 0, "Started", "Started container app", uid, name=name)
    # two startup failures (below any kill threshold) at the default 10 s period: the container
    # had not started, so it was not ready from the first failure until the next probe (50)
    event(store, 30, "Unhealthy", "Startup probe failed: connection refused", uid, name=name,
          last=40, count=2)  # fmt: skip
    event(store, 200, "Pulled", 'Container image "app:1" already present', uid, name=name)
    rebuilt(store)
    assert ready_rows(store, uid) == [
        ("ContainersReady", "False", at(30), at(50), "inferred", False),
        ("Ready", "False", at(30), at(50), "inferred", False),
    ]


def test_events_alone_show_a_readiness_spell_and_nothing_after_it(store: Store) -> None:
    source(store)
    uid, name = "ev-only", "worker-x7k2p"
    event(store, 0, "Started", "Started container app", uid, name=name)
    # default probe (10 s, 3 failures, 1 success): failures at 100..140, not ready from the
    # third (120) until one period after the last (150); the capture ends at 200
    event(store, 100, "Unhealthy", "Readiness probe failed: timeout", uid, name=name, last=140,
          count=5)  # fmt: skip
    event(store, 200, "Pulled", 'Container image "app:1" already present', uid, name=name)
    rebuilt(store)
    assert ready_rows(store, uid) == [
        ("ContainersReady", "False", at(120), at(150), "inferred", False),
        ("Ready", "False", at(120), at(150), "inferred", False),
    ]


# -- the simulator's ground truth ------------------------------------------------------------
@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenarios=scenario_sets)
def test_events_alone_find_the_knowable_bursts_and_claim_no_readiness_beyond_them(
    seed: int, scenarios: list[str]
) -> None:
    scenarios = sorted({*scenarios, "readiness_flap"})
    with rebuilt_capture(seed, scenarios, ("events", "events_v1")) as (store, truth):
        end = store.scalar("SELECT end_ts FROM capture_span")
        for p in truth["pods"]:
            if "events" not in p["seen_in"]:
                continue
            uid = p["pod_uid"]
            want = [
                (b["container"], b["probe"], ts(b["first_ts"]), ts(b["last_ts"]), b["count"])
                for b in p["probe_bursts"]
            ]
            for c, probe, first, last, n, one in store.rows(
                "SELECT container, probe, first_ts, last_ts, count, one_burst"
                " FROM probe_failures WHERE pod_uid = ?",
                [uid],
            ):
                inside = [w for w in want if w[:2] == (c, probe) and first <= w[2] <= last]
                # a row is a true burst, or a run of whole bursts it says it cannot split
                assert sum(w[4] for w in inside) == n, (p["pod"], first, last, n, inside)
                assert (len(inside) == 1) == one, (p["pod"], first, last, inside)
                if one:
                    assert inside[0][2:] == (first, last, n)
                    known_to = store.scalar(
                        "SELECT least(evidence_to, ?) FROM pods WHERE pod_uid = ?", [end, uid]
                    )
                    if (
                        probe == "readiness"
                        and n >= 3
                        and first.timestamp() + 20 < known_to.timestamp()
                    ):
                        # a knowable spell is found: from the third failure (10 s period), where
                        # the pod's evidence goes on after it
                        assert store.scalar(
                            "SELECT count(*) FROM condition_intervals WHERE pod_uid = ?"
                            " AND condition = 'Ready' AND status = 'False'"
                            " AND abs(epoch(start_ts) - ?) <= 1",
                            [uid, first.timestamp() + 20],
                        ), (p["pod"], first)
            # every inferred not-ready spell lies inside a true one
            false_spans = [
                (c["condition"], ts(c["start"]), ts(c["end"]))
                for c in p["conditions"]
                if c["status"] == "False"
            ]
            for cond, start, stop in store.rows(
                "SELECT condition, start_ts, end_ts FROM condition_intervals WHERE pod_uid = ?"
                " AND status = 'False' AND basis = 'inferred'",
                [uid],
            ):
                assert any(
                    name == cond
                    and close(min(s, start), s)
                    and (e is None or close(max(e, stop), e))
                    for name, s, e in false_spans
                ), (p["pod"], cond, start, stop, false_spans)


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

"""Lifecycle rebuild on small hand-built cases: rows go straight into the ingested tables of a
DuckDB file, the derive files run, and each case's answer is reasoned out in its comments.

Times are seconds after T0 (see tests/support/lifecycle_rows.py).
"""

from __future__ import annotations

from typing import Any

from podreplay.lifecycle import pod_story
from podreplay.store import Store
from tests.support.lifecycle_rows import at, condition, container, event, pod, rebuilt, source


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return store.rows(sql, params or [])


def crashloop_with_oom(store: Store) -> None:
    """Created at 0, admitted at 1, app starts at 5, exits 1 at 20, restarts at once at 21,
    is OOM-killed at 40, waits in CrashLoopBackOff from 41 and runs again from 50."""
    source(store)
    pod(store, 0, watch_type="ADDED")
    pod(store, 1, start_time=1)
    container(store, 1, reason="ContainerCreating")
    condition(store, 1, name="Ready", status="False", since=1, reason="ContainersNotReady")
    pod(store, 5, phase="Running", start_time=1)
    container(store, 5, state="running", started=5)
    pod(store, 20, phase="Running", start_time=1)
    container(store, 20, state="terminated", reason="Error", exit_code=1, started=5, finished=20)
    pod(store, 21, phase="Running", start_time=1)
    container(store, 21, state="running", started=21, restarts=1, last=("Error", 1, 5, 20))
    pod(store, 40, phase="Running", start_time=1)
    container(
        store,
        40,
        state="terminated",
        reason="OOMKilled",
        exit_code=137,
        started=21,
        finished=40,
        restarts=1,
        last=("Error", 1, 5, 20),
    )
    pod(store, 41, phase="Running", start_time=1)
    container(store, 41, reason="CrashLoopBackOff", restarts=1, last=("OOMKilled", 137, 21, 40))
    pod(store, 50, phase="Running", start_time=1)
    container(store, 50, state="running", started=50, restarts=2, last=("OOMKilled", 137, 21, 40))
    condition(store, 50, name="Ready", status="True", since=50)
    # the capture ends with the last event at 90
    event(store, 41, "BackOff", "Back-off restarting failed container", type_="Warning")
    event(
        store,
        60,
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 500",
        last=90,
        count=4,
        type_="Warning",
    )
    rebuilt(store)


def test_restarts_take_their_cause_from_the_replaced_instance(store: Store) -> None:
    crashloop_with_oom(store)
    # restart 1 replaced instance 0 (Error, exit 1) at 21; restart 2 replaced the OOM-killed
    # instance 1 at 50: restartCount 2 at the last snapshot = two rows
    assert rows(
        store,
        'SELECT restart_no, "at", cause, exit_code FROM restarts ORDER BY restart_no',
    ) == [(1, at(21), "error", 1), (2, at(50), "OOMKilled", 137)]


def test_phases_run_from_creation_through_the_first_start_to_the_capture_end(
    store: Store,
) -> None:
    crashloop_with_oom(store)
    # Pending from creationTimestamp (0) until the first container start (5), then Running
    # until the capture end (the last event, 90), still open
    assert rows(
        store, "SELECT phase, start_ts, end_ts, seconds, open, basis FROM phase_intervals"
    ) == [
        ("Pending", at(0), at(5), 5.0, False, "observed"),
        ("Running", at(5), at(90), 85.0, True, "observed"),
    ]


def test_container_states_follow_instances_and_waiting_observations(store: Store) -> None:
    crashloop_with_oom(store)
    # waiting from admission (startTime 1), each instance running until its finishedAt,
    # terminated until the next state: the restart at 21, CrashLoopBackOff observed at 41
    assert rows(
        store,
        "SELECT state, reason, start_ts, end_ts, exit_code FROM container_intervals"
        " ORDER BY start_ts",
    ) == [
        ("waiting", "ContainerCreating", at(1), at(5), None),
        ("running", None, at(5), at(20), None),
        ("terminated", "Error", at(20), at(21), 1),
        ("running", None, at(21), at(40), None),
        ("terminated", "OOMKilled", at(40), at(41), 137),
        ("waiting", "CrashLoopBackOff", at(41), at(50), None),
        ("running", None, at(50), at(90), None),
    ]


def test_conditions_start_at_their_last_transition_time(store: Store) -> None:
    crashloop_with_oom(store)
    # observed False from 1 and True from 50; the readiness burst 60..90 (4 failures, 10 s
    # apart) makes the pod not ready from the third failure (80) until a period after the
    # last (100), cut at the capture end (90); the snapshots show no ContainersReady, so none is
    # made up
    assert rows(
        store,
        "SELECT condition, status, start_ts, end_ts, open, basis FROM condition_intervals"
        " ORDER BY condition, start_ts",
    ) == [
        ("Ready", "False", at(1), at(50), False, "observed"),
        ("Ready", "True", at(50), at(80), False, "observed"),
        ("Ready", "False", at(80), at(90), True, "inferred"),
    ]


def test_aggregated_probe_failures_count_every_occurrence(store: Store) -> None:
    crashloop_with_oom(store)
    # one Unhealthy event object with count 4 between 60 and 90 = 4 readiness failures
    assert rows(store, "SELECT container, probe, first_ts, last_ts, count FROM probe_failures") == [
        ("app", "readiness", at(60), at(90), 4)
    ]


def test_liveness_kill_events_make_the_restart_a_probe_restart(store: Store) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=2)
    # three liveness failures, the kubelet kills at 32, the process dies of SIGTERM (143) at 33
    # and the new instance starts at 34
    event(store, 10, "Unhealthy", "Liveness probe failed: timeout", last=30, count=3)
    event(store, 32, "Killing", "Container app failed liveness probe, will be restarted")
    pod(store, 40, phase="Running", start_time=0)
    container(store, 40, state="running", started=34, restarts=1, last=("Error", 143, 2, 33))
    rebuilt(store)
    assert rows(store, 'SELECT restart_no, "at", cause, exit_code FROM restarts') == [
        (1, at(34), "liveness_probe", 143)
    ]
    assert rows(store, "SELECT probe, count FROM probe_failures") == [("liveness", 3)]


def test_restarts_no_capture_shows_are_numbered_and_unknown(store: Store) -> None:
    source(store)
    pod(store, 0, phase="Running", start_time=0)
    container(store, 0, state="running", started=1)
    # 100 s later restartCount is 3: instance 3 runs since 90 and lastState is instance 2
    # (started 70, Error exit 2 at 85). Instance 1 was never seen, so restarts 1 and 2 (which
    # replaced instances 0 and 1) have no cause, and only restart 2's start (instance 2, 70)
    # is known; restart 3 replaced instance 2 at 90
    pod(store, 100, phase="Running", start_time=0)
    container(store, 100, state="running", started=90, restarts=3, last=("Error", 2, 70, 85))
    rebuilt(store)
    assert rows(
        store, 'SELECT restart_no, "at", cause, exit_code FROM restarts ORDER BY restart_no'
    ) == [(1, None, "unknown", None), (2, at(70), "unknown", None), (3, at(90), "error", 2)]


def test_an_events_only_pod_gets_a_timeline_and_the_restarts_its_events_prove(
    store: Store,
) -> None:
    source(store)
    uid = "ev-only"
    event(
        store,
        0,
        "Scheduled",
        "Successfully assigned default/worker-x7k2p to node-9",
        uid,
        name="worker-x7k2p",
        container=None,
    )
    event(store, 2, "Pulled", "Container image already present", uid, name="worker-x7k2p")
    # the container started 3 times (one aggregated event) and was killed twice for liveness
    event(store, 3, "Started", "Started container app", uid, name="worker-x7k2p", last=80, count=3)
    event(
        store,
        40,
        "Killing",
        "Container app failed liveness probe, will be restarted",
        uid,
        name="worker-x7k2p",
        last=75,
        count=2,
    )
    rebuilt(store)
    # node from the Scheduled message; created at the first event (no snapshot, no owner event)
    assert rows(store, "SELECT node, final_phase, created_at FROM pods") == [
        ("node-9", "Running", at(0))
    ]
    # Pending from the first event until the first Started, then Running (event bounds)
    assert rows(store, "SELECT phase, start_ts, end_ts, basis FROM phase_intervals") == [
        ("Pending", at(0), at(3), "event"),
        ("Running", at(3), at(80), "event"),
    ]
    # Started ×3 proves 2 restarts, both liveness kills; only the last start time is known
    assert rows(store, 'SELECT restart_no, "at", cause FROM restarts ORDER BY restart_no') == [
        (1, None, "liveness_probe"),
        (2, at(80), "liveness_probe"),
    ]


def test_deletion_request_is_the_deletion_timestamp_minus_the_grace_period(
    store: Store,
) -> None:
    source(store)
    pod(store, 5, phase="Running", start_time=0)
    container(store, 5, state="running", started=2)
    # delete at 60 with a 30 s grace period: deletionTimestamp 90
    pod(store, 60, phase="Running", start_time=0, deletion=90, deletion_grace=30)
    container(store, 60, state="running", started=2)
    pod(store, 64, phase="Failed", start_time=0, deletion=90, deletion_grace=30)
    container(store, 64, state="terminated", reason="Error", exit_code=143, started=2, finished=63)
    pod(
        store,
        65,
        phase="Failed",
        start_time=0,
        deletion=90,
        deletion_grace=30,
        watch_type="DELETED",
    )
    rebuilt(store)
    assert rows(store, "SELECT deletion_requested_at, deleted_at, final_phase FROM pods") == [
        (at(60), at(65), "Failed")
    ]
    # Failed from the container's finish (63) until the pod is gone (65): closed, not open
    assert rows(store, "SELECT phase, start_ts, end_ts, open FROM phase_intervals") == [
        ("Pending", at(0), at(2), False),
        ("Running", at(2), at(63), False),
        ("Failed", at(63), at(65), False),
    ]


def test_a_node_loss_goes_unknown_and_back_to_running(store: Store) -> None:
    source(store)
    pod(store, 5, phase="Running", start_time=0)
    container(store, 5, state="running", started=1)
    event(store, 100, "NodeNotReady", "Node is not ready", container=None, type_="Warning")
    pod(store, 130, phase="Unknown", reason="NodeLost", start_time=0)
    pod(store, 300, phase="Running", start_time=0)
    rebuilt(store)
    # Pending from creation (0) to the start (1); Unknown starts at the NodeNotReady event
    # (between the observations at 5 and 130) and lasts until the observation at 300 shows
    # Running again (the capture ends there: a zero-length open interval)
    assert rows(store, "SELECT phase, start_ts, end_ts, basis FROM phase_intervals") == [
        ("Pending", at(0), at(1), "observed"),
        ("Running", at(1), at(100), "observed"),
        ("Unknown", at(100), at(300), "event"),
        ("Running", at(300), at(300), "observed"),
    ]


def test_init_containers_run_before_the_app(store: Store) -> None:
    source(store)
    pod(store, 0, watch_type="ADDED")
    pod(store, 30, phase="Running", start_time=1)
    container(
        store,
        30,
        name="migrate",
        is_init=True,
        state="terminated",
        reason="Completed",
        exit_code=0,
        started=3,
        finished=9,
    )
    container(store, 30, name="app", state="running", started=12)
    condition(store, 30, name="Initialized", status="True", since=10)
    rebuilt(store)
    # both wait PodInitializing from admission (1); the init container runs 3..9 and stays
    # Completed; Initialized turns True at 10, before the app starts at 12
    assert rows(
        store,
        "SELECT container, state, reason, start_ts FROM container_intervals"
        " ORDER BY container, start_ts",
    ) == [
        ("app", "waiting", "PodInitializing", at(1)),
        ("app", "running", None, at(12)),
        ("migrate", "waiting", "PodInitializing", at(1)),
        ("migrate", "running", None, at(3)),
        ("migrate", "terminated", "Completed", at(9)),
    ]
    assert rows(store, "SELECT condition, start_ts FROM condition_intervals") == [
        ("Initialized", at(10))
    ]


def test_the_story_is_in_time_order_and_groups_events(store: Store) -> None:
    crashloop_with_oom(store)
    story = pod_story(store, "uid-1")
    stamps = [t for t in story["ts"].to_list() if t is not None]
    assert stamps == sorted(stamps)
    kinds = set(story["kind"].to_list())
    assert kinds == {"phase", "condition", "container", "event", "restart", "probe"}
    # the Unhealthy event appears once, as the grouped probe row with its count
    probe = story.filter(story["kind"] == "probe")
    assert probe["count"].to_list() == [4]
    assert "Unhealthy" not in story.filter(story["kind"] == "event")["what"].to_list()


def test_events_alone_cannot_tell_an_init_container_done_from_a_sidecar_running(
    store: Store,
) -> None:
    source(store)
    event(store, 0, "Scheduled", "Successfully assigned default/x to n", "u", container=None)
    event(store, 2, "Started", "Started container init1", "u", container="init1")
    event(store, 6, "Started", "Started container app", "u", container="app")
    store.execute(
        "UPDATE events SET field_path = 'spec.initContainers{init1}' WHERE container = 'init1'"
    )
    rebuilt(store)
    # init1 (started 2) had completed by the time the app started (6), or it is a native
    # sidecar still running: without a pod spec its state from then is unknown; the app's
    # start proves the pod Initialized by then
    assert rows(
        store,
        "SELECT container, state, reason, start_ts, exit_code, basis FROM container_intervals"
        " ORDER BY container, start_ts",
    ) == [
        ("app", "running", None, at(6), None, "event"),
        ("init1", "running", None, at(2), None, "event"),
        ("init1", "unknown", None, at(6), None, "gap"),
    ]
    assert rows(
        store, "SELECT status, start_ts, basis FROM condition_intervals"
        " WHERE condition = 'Initialized'",
    ) == [("True", at(6), "inferred")]  # fmt: skip


def test_events_alone_show_a_sidecar_that_runs_on_after_the_app_started(store: Store) -> None:
    source(store)
    event(store, 0, "Scheduled", "Successfully assigned default/x to n", "u", container=None)
    event(store, 2, "Started", "Started container envoy", "u", container="envoy", count=2,
          last=40)  # fmt: skip
    event(store, 6, "Started", "Started container app", "u", container="app")
    store.execute(
        "UPDATE events SET field_path = 'spec.initContainers{envoy}' WHERE container = 'envoy'"
    )
    rebuilt(store)
    # envoy started again (40) after the app (6): a native sidecar, never done, no Pending
    assert rows(store, "SELECT container, basis FROM native_sidecars") == [("envoy", "event")]
    assert rows(
        store,
        "SELECT state, start_ts FROM container_intervals WHERE container = 'envoy'"
        " ORDER BY start_ts",
    ) == [("running", at(2)), ("running", at(40))]
    assert rows(store, "SELECT phase FROM phase_intervals ORDER BY start_ts")[-1] == ("Running",)


def test_probe_kills_left_over_go_to_restarts_no_capture_shows(store: Store) -> None:
    source(store)
    pod(store, 5, phase="Running", start_time=0)
    container(store, 5, state="running", started=2)
    # one aggregated Killing event: three liveness kills between 100 and 300
    event(
        store,
        100,
        "Killing",
        "Container app failed liveness probe, will be restarted",
        last=300,
        count=3,
    )
    # at 400 restartCount is 3; lastState is instance 2 (started 250, SIGKILLed 310, inside the
    # last kill's window plus the 30 s grace period)
    pod(store, 400, phase="Running", start_time=0)
    container(store, 400, state="running", started=350, restarts=3, last=("Error", 137, 250, 310))
    rebuilt(store)
    # restart 3 replaced instance 2: a probe kill by its window; the two kills it left go to
    # restarts 1 and 2, whose replaced instances no capture shows (restart 2's new instance is
    # instance 2, so its start is known)
    assert rows(
        store, 'SELECT restart_no, "at", cause, exit_code FROM restarts ORDER BY restart_no'
    ) == [
        (1, None, "liveness_probe", None),
        (2, at(250), "liveness_probe", None),
        (3, at(350), "liveness_probe", 137),
    ]


def test_a_pod_missing_from_the_next_list_of_its_capture_is_gone(store: Store) -> None:
    source(store)
    source(store, 2, "later.json")
    # two List snapshots of one namespace: at 10 pods A and C run; at 70 only C is left
    pod(store, 10, "A", name="a-0", phase="Running", watch_type=None, source_id=1)
    pod(store, 10, "C", name="c-0", phase="Running", watch_type=None, source_id=1)
    pod(store, 70, "C", name="c-0", phase="Running", watch_type=None, source_id=2)
    rebuilt(store)
    # A vanished between its last sighting (the List at 10) and the List at 70: gone by 70
    assert rows(
        store, "SELECT pod_uid, deleted_after, deleted_at, deleted_basis FROM pods ORDER BY 1"
    ) == [
        ("A", at(10), at(70), "inferred"),
        ("C", None, None, None),
    ]
    # nothing shows A between the two Lists: its state there is unknown, not Running
    assert rows(
        store,
        "SELECT phase, start_ts, end_ts, basis FROM phase_intervals WHERE pod_uid = 'A'"
        " ORDER BY start_ts, end_ts",
    )[-1] == ("unknown", at(10), at(70), "gap")


def test_a_list_from_another_capture_does_not_make_pods_gone(store: Store) -> None:
    source(store)
    source(store, 2, "other-cluster.json")
    # the same namespace name in another cluster, captured much later: the List at 5000 shows
    # only a pod never seen before, so it says nothing about A
    pod(store, 10, "A", name="a-0", phase="Running", watch_type=None, source_id=1)
    pod(store, 5000, "B", name="b-0", phase="Running", watch_type=None, source_id=2, created=4000)
    rebuilt(store)
    assert rows(store, "SELECT pod_uid, deleted_at FROM pods ORDER BY 1") == [
        ("A", None),
        ("B", None),
    ]


def test_an_aggregated_event_speaks_only_where_no_snapshot_does(store: Store) -> None:
    source(store)
    # BackOff events from 2 (before the first snapshot) to 50 (while snapshots show the
    # container running since 30): only the occurrence at 2 adds a state. restartCount 1: the
    # first instance ran (unseen) somewhere before 2, so 0..2 is no evidenced ContainerCreating
    event(store, 2, "BackOff", "Back-off restarting failed container", last=50, count=5)
    pod(store, 30, phase="Running", start_time=0, created=None)
    container(store, 30, state="running", started=25, restarts=1)
    pod(store, 60, phase="Running", start_time=0, created=None)
    container(store, 60, state="running", started=25, restarts=1)
    rebuilt(store)
    assert rows(
        store,
        "SELECT state, reason, start_ts, end_ts FROM container_intervals ORDER BY start_ts, end_ts",
    ) == [
        ("waiting", "ContainerCreating", at(0), at(0)),
        ("unknown", None, at(0), at(2)),
        ("waiting", "CrashLoopBackOff", at(2), at(25)),
        ("running", None, at(25), at(60)),
    ]

"""Readiness spells: inferred from a container's start to its first observed Ready, from
probe-failure bursts and the pod's probe spec, from startup probes, and from events alone, on
hand-built rows (times are seconds after T0, see tests/support/lifecycle_rows.py) and a real
capture. Each case's answer is reasoned out in its comments.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podreplay.store import Store
from tests.support.db import load
from tests.support.lifecycle_rows import (
    at,
    condition,
    container,
    event,
    pod,
    ready_rows,
    rebuilt,
    source,
)
from tests.support.paths import REAL
from tests.support.truth import SETTINGS, close, rebuilt_capture, scenario_sets, ts

READY = ("Ready", "ContainersReady")
LIVENESS_KILL = "Container app failed liveness probe, will be restarted"


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return store.rows(sql, params or [])


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
        load(store, sorted(REAL.glob("aws-*")))
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

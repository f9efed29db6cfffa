"""Issue 19 cases against the simulator's ground truth: pods stuck before their containers could
run (volume, sandbox, config errors: `creation_blocks` and the `stuck_creating` query) and the
eviction variants (the DisruptionTarget reasons: `pods.disruption_reason`, the final reason
and the `evictions` query), plus every event reason of those cases being recognised."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.queries import run_named
from podreplay.store import Store
from tests.lifecycle_rows import check_intervals_tile_time
from tests.test_lifecycle_truth import SETTINGS, check_pod_exactly, rebuilt_capture, ts

# no shrinking: one capture takes seconds, and a failing seed is reported as it is
FAST = settings(SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])

STUCK = ["volume_mount_failure", "sandbox_failure", "config_error"]
DISRUPTED = ["pressure_eviction", "api_eviction", "scheduler_preemption", "taint_eviction"]
CAUSE = {"volume_mount_failure": "volume", "sandbox_failure": "sandbox", "config_error": "config"}
REASON = {
    "pressure_eviction": "TerminationByKubelet",
    "api_eviction": "EvictionByEvictionAPI",
    "scheduler_preemption": "PreemptionByScheduler",
    "taint_eviction": "DeletionByTaintManager",
}


def blocks(store: Store, uid: str) -> list[tuple[Any, ...]]:
    return store.rows(
        "SELECT cause, blocked_from, blocked_until, blocked_s, open FROM creation_blocks"
        " WHERE pod_uid = ? ORDER BY blocked_from",
        [uid],
    )


def want_blocks(p: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The truth's stretches; an open one ends at the deletion or the capture end."""
    out = []
    for b in p["creation_blocks"]:
        start = ts(b["from"])
        assert start is not None
        end = ts(b["until"]) or datetime.fromtimestamp(
            start.timestamp() + b["blocked_s"], start.tzinfo
        )
        out.append((b["cause"], start, end, b["blocked_s"], b["until"] is None))
    return out


@pytest.mark.slow
@FAST
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(STUCK))
def test_stuck_pods_rebuild_exactly_with_the_time_each_blocker_cost(
    seed: int, scenario: str
) -> None:
    with rebuilt_capture(seed, [scenario]) as (store, truth):
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            check_pod_exactly(store, p)
            assert [b["cause"] for b in p["creation_blocks"]] == [CAUSE[scenario]]
            assert blocks(store, p["pod_uid"]) == want_blocks(p), p["pod"]
            stats = store.rows(
                "SELECT final_phase FROM pod_stats WHERE pod_uid = ?", [p["pod_uid"]]
            )
            if p["creation_blocks"][0]["until"] is None and p["deleted_at"] is None:
                assert stats == [("Pending",)]


@pytest.mark.slow
@FAST
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(STUCK))
def test_lists_every_five_minutes_still_date_the_stuck_stretch(seed: int, scenario: str) -> None:
    # without the watch stream: admission comes from status.startTime, the start of the first
    # container from its startedAt, so the stretch is still exact (a deletion only within the
    # List period: the pod is gone by the List that lacks it)
    with rebuilt_capture(seed, [scenario], ("events", "snapshots")) as (store, truth):
        for p in truth["pods"]:
            got = blocks(store, p["pod_uid"])
            want = want_blocks(p)
            assert [g[:2] for g in got] == [w[:2] for w in want], p["pod"]
            if p["deleted_at"] is None:
                assert got == want, p["pod"]
            else:
                assert got[0][2] >= want[0][2] and got[0][4], p["pod"]


@pytest.mark.slow
@FAST
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(DISRUPTED))
def test_disruption_target_reason_is_the_pods_disruption_and_final_reason(
    seed: int, scenario: str
) -> None:
    with rebuilt_capture(seed, [scenario]) as (store, truth):
        for p in truth["pods"]:
            check_pod_exactly(store, p)  # final_reason included
            # a disruption after the capture end is not in the truth either
            assert p["disruption_reason"] in (REASON[scenario], None)
            got = store.rows(
                "SELECT disruption_reason, qos_class FROM pods WHERE pod_uid = ?", [p["pod_uid"]]
            )
            assert got == [(p["disruption_reason"], p["qos_class"])], p["pod"]
            if p["final_phase"] == "Failed":
                assert p["final_reason"] in (REASON[scenario], "Evicted"), p


@pytest.mark.slow
@FAST
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(DISRUPTED))
def test_events_alone_name_the_disruption(seed: int, scenario: str) -> None:
    # no pod objects: the Evicted / Preempted / TaintManagerEviction / descheduler events say it;
    # an Eviction API call leaves no event unless the descheduler made it
    with rebuilt_capture(seed, [scenario], ("events", "events_v1")) as (store, truth):
        for p in truth["pods"]:
            got = store.rows("SELECT disruption_reason FROM pods WHERE pod_uid = ?", [p["pod_uid"]])
            if p["disruption_reason"] is None or scenario == "api_eviction":
                assert got in ([(p["disruption_reason"],)], [(None,)]), p["pod"]
            else:
                assert got == [(REASON[scenario],)], p["pod"]


# --- every reason of these cases is recognised (from the kubelet, controller and scheduler
# sources: FailedMount's two wordings, the sandbox reasons, config errors, the eviction events)
BLOCK_EVENTS = [
    (
        "FailedMount",
        'Unable to mount volumes for pod "web_shop(u)": timeout expired waiting for volumes'
        " to attach or mount",
        "volume",
    ),
    (
        "FailedMount",
        "Unable to attach or mount volumes: unmounted volumes=[data], unattached"
        " volumes=[data]: timed out waiting for the condition",
        "volume",
    ),
    (
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "web-config" not found',
        "volume",
    ),
    (
        "FailedAttachVolume",
        'AttachVolume.Attach failed for volume "pvc-1" : rpc error: code = Internal',
        "volume",
    ),
    (
        "FailedCreatePodSandBox",
        "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup"
        ' network for sandbox "abc"',
        "sandbox",
    ),
    ("FailedCreatePodSandBox", "Failed create pod sandbox: rpc error: code = Unknown", "sandbox"),
    ("FailedPodSandBoxStatus", "Unable to get pod sandbox status: rpc error", "sandbox"),
    ("SandboxChanged", "Pod sandbox changed, it will be killed and re-created.", "sandbox"),
    ("NetworkNotReady", "network is not ready: container runtime network not ready", "sandbox"),
    ("Failed", 'Error: configmap "web-config" not found', "config"),
    ("Failed", 'Error: secret "web-credentials" not found', "config"),
    ("Failed", "Error: couldn't find key password in Secret shop/web-credentials", "config"),
    (
        "Failed",
        "Error: services have not yet been read at least once, cannot construct envvars",
        "config",
    ),
]
NOT_BLOCKS = [
    "Error: ErrImagePull",
    "Error: ImagePullBackOff",
    "Error: InvalidImageName",
    "Error: ErrImageNeverPull",
    "Error: ImageInspectError",
]
DISRUPTION_EVENTS = [
    ("Evicted", "The node was low on resource: memory. ", "kubelet", "TerminationByKubelet"),
    ("Preempting", "Preempted in order to admit critical pod", "kubelet", "TerminationByKubelet"),
    ("Preempted", "Preempted by pod 5c1e on node n1", "default-scheduler", "PreemptionByScheduler"),
    (
        "TaintManagerEviction",
        "Marking for deletion Pod shop/p",
        "taint-eviction-controller",
        "DeletionByTaintManager",
    ),
    (
        "TaintManagerEviction",
        "Marking for deletion Pod shop/p",
        "taint-controller",
        "DeletionByTaintManager",
    ),
    (
        "LowNodeUtilization",
        "pod evicted by sigs.k8s.io/descheduler",
        "sigs.k8s.io.descheduler",
        "EvictionByEvictionAPI",
    ),
    (
        "RemoveDuplicates",
        "pod evicted by sigs.k8s.io/descheduler",
        "sigs.k8s.io.descheduler",
        "EvictionByEvictionAPI",
    ),
]


def _event(
    i: int, pod: str, reason: str, message: str, component: str = "kubelet"
) -> dict[str, Any]:
    when = f"2024-05-01T10:{i % 60:02d}:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod}.{i:x}", "namespace": "shop", "uid": f"ev-{i}"},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": "shop", "uid": f"uid-{pod}"},
        "reason": reason,
        "message": message,
        "type": "Warning",
        "count": 1,
        "firstTimestamp": when,
        "lastTimestamp": when,
        "source": {"component": component, "host": "n1"},
    }


def test_every_reason_of_these_cases_is_recognised(tmp_path: Path) -> None:
    items = [_event(i, f"b{i}", r, m) for i, (r, m, _) in enumerate(BLOCK_EVENTS)]
    items += [_event(100 + i, f"n{i}", "Failed", m) for i, m in enumerate(NOT_BLOCKS)]
    items += [
        _event(200 + i, f"d{i}", r, m, comp) for i, (r, m, comp, _) in enumerate(DISRUPTION_EVENTS)
    ]
    legacy = "Marking for deletion Pod shop/legacy from Node n1"
    items.append(_event(300, "legacy", "NodeControllerEviction", legacy, "node-controller"))
    src = tmp_path / "events.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    with Store(tmp_path / "db.duckdb") as store:
        ingest_and_rebuild(store, [src])
        got = dict(store.rows("SELECT pod, cause FROM creation_blocks"))
        assert got == {f"b{i}": cause for i, (_, _, cause) in enumerate(BLOCK_EVENTS)}
        got = dict(store.rows("SELECT pod, disruption_reason FROM pods WHERE pod LIKE 'd%'"))
        assert got == {f"d{i}": want for i, (*_, want) in enumerate(DISRUPTION_EVENTS)}
        listed = {r["pod"] for r in run_named(store, "evictions", {}).to_dicts()}
        assert {f"d{i}" for i in range(len(DISRUPTION_EVENTS))} | {"legacy"} <= listed


def test_waiting_config_errors_block_creation(tmp_path: Path) -> None:
    # a List shows the container waiting CreateContainerError / CreateContainerConfigError
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": "shop",
                "uid": f"uid-{name}",
                "creationTimestamp": "2024-05-01T10:00:00Z",
            },
            "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "app:1"}]},
            "status": {
                "phase": "Pending",
                "startTime": "2024-05-01T10:00:01Z",
                "containerStatuses": [
                    {
                        "name": "app",
                        "image": "app:1",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"waiting": {"reason": reason, "message": "boom"}},
                    }
                ],
            },
        }
        for name, reason in [("cfg", "CreateContainerConfigError"), ("crt", "CreateContainerError")]
    ]
    src = tmp_path / "pods-20240501T101000Z.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
    with Store(tmp_path / "db.duckdb") as store:
        ingest_and_rebuild(store, [src])
        rows = store.rows("SELECT pod, cause, reasons, open FROM creation_blocks ORDER BY pod")
        assert rows == [
            ("cfg", "config", "CreateContainerConfigError", True),
            ("crt", "config", "CreateContainerError", True),
        ]


# --- the named queries -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stuck_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from podreplay.simulate import simulate

    root = tmp_path_factory.mktemp("stuck")
    res = simulate(root / "cap", pods=9, seed=5, scenarios=[*STUCK, *DISRUPTED], duration_s=1800)
    db = root / "db.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [root / "cap"])
    return db, res.truth


def test_stuck_creating_lists_each_blocked_pod_longest_first(
    stuck_db: tuple[Path, dict[str, Any]],
) -> None:
    db, truth = stuck_db
    with Store(db, read_only=True) as store:
        rows = run_named(store, "stuck_creating", {}).to_dicts()
        longer = run_named(store, "stuck_creating", {"min_s": "600"}).to_dicts()
    want = sorted(
        (p["pod"], b["cause"], b["blocked_s"]) for p in truth["pods"] for b in p["creation_blocks"]
    )
    assert want and sorted((r["pod"], r["cause"], r["blocked_s"]) for r in rows) == want
    assert [r["blocked_s"] for r in rows] == sorted((r["blocked_s"] for r in rows), reverse=True)
    assert [r["pod"] for r in longer] == [r["pod"] for r in rows if r["blocked_s"] >= 600]


def test_evictions_query_shows_the_disruption_reason_and_qos_through_the_cli(
    stuck_db: tuple[Path, dict[str, Any]],
) -> None:
    db, truth = stuck_db
    res = CliRunner().invoke(app, ["query", "evictions", "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    got = sorted((r["pod"], r["disruption_reason"], r["qos_class"]) for r in rows)
    want = sorted(
        (p["pod"], p["disruption_reason"], p["qos_class"])
        for p in truth["pods"]
        if p["disruption_reason"]
    )
    assert want and got == want


def test_timeline_shows_the_blocked_stretch_and_the_disruption(
    stuck_db: tuple[Path, dict[str, Any]],
) -> None:
    db, truth = stuck_db
    stuck = next(p for p in truth["pods"] if p["creation_blocks"])
    cause = stuck["creation_blocks"][0]["cause"]
    res = CliRunner().invoke(app, ["timeline", stuck["pod_uid"], "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert f"blocked ({cause}" in res.output
    gone = next(p for p in truth["pods"] if p["disruption_reason"])
    res = CliRunner().invoke(app, ["timeline", gone["pod_uid"], "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "DisruptionTarget=True" in res.output and gone["disruption_reason"] in res.output


def test_spare_probe_kills_are_counted_per_kill_event() -> None:
    # events only, several pods with probe kills: the kills a pod's restarts did not use go to
    # its undated restarts (each kill event's own uses, not every pod's linked restarts)
    with rebuilt_capture(0, ["startup_probe"], ("events", "events_v1")) as (store, truth):
        for p in truth["pods"]:
            got = store.scalar(
                "SELECT count(*) FROM restarts WHERE pod_uid = ? AND cause = 'startup_probe'",
                [p["pod_uid"]],
            )
            want = sum(1 for r in p["restarts"] if r["cause"] == "startup_probe")
            assert got == want, (p["pod"], got, want)

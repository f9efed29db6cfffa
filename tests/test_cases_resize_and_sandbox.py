"""Issue 19 cases against the simulator's ground truth: in-place resize read from the 1.33
conditions and from `status.resize` (1.27–1.32) alike, a resize that restarts the container
(resizePolicy RestartContainer: a restart caused by the resize, not a crash) with the 1.35
`Resize*` events, and the pod sandbox re-created under a running pod (`SandboxChanged`: the
pod stays Running, its containers restart with cause `sandbox`)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podreplay.ingest import IngestOptions, ingest_paths
from podreplay.lifecycle import pod_story
from podreplay.store import Store
from tests.support.db import load
from tests.support.lifecycle_rows import check_intervals_tile_time
from tests.support.paths import K3S_PODS, real
from tests.support.truth import SETTINGS, check_pod_exactly, rebuilt_capture, ts

VERSIONS = ["1.28", "1.31", "1.32", "1.33", "1.35"]
EVENTS_ONLY = ("events", "events_v1")


@pytest.mark.parametrize("fast_min_bytes", [0, 1 << 62], ids=["fast path", "python reader"])
def test_status_resize_is_stored_as_its_condition_unless_the_pod_reports_one(
    store: Store, tmp_path: Path, fast_min_bytes: int
) -> None:
    # one pod per case: status.resize alone, status.resize beside the condition that
    # replaced it (the condition wins), a value that is no resize state, no field at all
    pods = json.loads(real(K3S_PODS).read_text())["items"][:4]
    for pod in pods:
        pod["status"]["conditions"] = []
    pods[0]["status"]["resize"] = "Deferred"
    pods[1]["status"]["resize"] = "InProgress"
    pods[1]["status"]["conditions"] = [
        {
            "type": "PodResizeInProgress",
            "status": "True",
            "lastTransitionTime": "2025-09-11T20:53:00Z",
        }
    ]
    pods[2]["status"]["resize"] = "Unknown"
    path = tmp_path / "pods-20250911T205400Z.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
    ingest_paths(store, [path], IngestOptions(fast_min_bytes=fast_min_bytes))
    got = store.rows(
        "SELECT p.pod, c.condition, c.status, c.reason, c.last_transition_ts"
        " FROM condition_snapshots c"
        " JOIN pod_snapshots p USING (pod_uid, observed_at) ORDER BY p.pod"
    )
    assert got == sorted(
        [
            (pods[0]["metadata"]["name"], "PodResizePending", "True", "Deferred", None),
            (
                pods[1]["metadata"]["name"],
                "PodResizeInProgress",
                "True",
                None,
                ts("2025-09-11T20:53:00Z"),
            ),
        ]
    )


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), version=st.sampled_from(VERSIONS))
def test_a_resize_is_the_same_intervals_from_conditions_or_status_resize(
    seed: int, version: str
) -> None:
    # every capture form: the resize states are condition intervals (status.resize read as the
    # conditions that replaced it), and a resize that restarts the container is cause `resize`
    with rebuilt_capture(seed, ["inplace_resize"], k8s_version=version) as (store, truth):
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            check_pod_exactly(store, p)
            assert all(r["cause"] == "resize" for r in p["restarts"]), p["restarts"]


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), version=st.sampled_from(VERSIONS))
def test_without_a_watch_a_resize_restart_is_still_no_crash(seed: int, version: str) -> None:
    # Lists every 5 minutes and events: each restart still has the resize's Killing event
    with rebuilt_capture(seed, ["inplace_resize"], ("events", "snapshots"), version) as (
        store,
        truth,
    ):
        for p in truth["pods"]:
            got = store.rows(
                "SELECT restart_no, cause, exit_code FROM restarts WHERE pod_uid = ?"
                " ORDER BY restart_no",
                [p["pod_uid"]],
            )
            want = [(r["restart_no"], r["cause"], r["exit_code"]) for r in p["restarts"]]
            assert got == want, (p["pod"], got, want)


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), version=st.sampled_from(VERSIONS))
def test_events_alone_prove_each_resize_restart(seed: int, version: str) -> None:
    with rebuilt_capture(seed, ["inplace_resize"], EVENTS_ONLY, version) as (store, truth):
        for p in truth["pods"]:
            got = store.rows(
                "SELECT cause FROM restarts WHERE pod_uid = ? ORDER BY restart_no", [p["pod_uid"]]
            )
            assert [g[0] for g in got] == [r["cause"] for r in p["restarts"]], p["pod"]


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20))
def test_the_1_35_resize_events_alone_give_the_resize_conditions(seed: int) -> None:
    # events only: ResizeDeferred / ResizeInfeasible start a pending resize, ResizeStarted its
    # progress, ResizeCompleted its end; a reverted Infeasible resize leaves no event (its end
    # is not known), every other span is exact
    with rebuilt_capture(seed, ["inplace_resize"], EVENTS_ONLY, "1.35") as (store, truth):
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            got = store.rows(
                "SELECT condition, reason, start_ts, end_ts FROM condition_intervals"
                " WHERE pod_uid = ? AND condition LIKE 'PodResize%' AND status = 'True'"
                " ORDER BY condition, start_ts",
                [p["pod_uid"]],
            )
            want = sorted(
                (
                    (c["condition"], c["reason"], ts(c["start"]), ts(c["end"]))
                    for c in p["conditions"]
                    if c["condition"].startswith("PodResize") and c["status"] == "True"
                ),
                key=lambda w: (w[0], w[2]),
            )
            assert [g[:3] for g in got] == [w[:3] for w in want], (p["pod"], got, want)
            for g, w in zip(got, want, strict=True):
                if w[1] != "Infeasible" and w[3] is not None:
                    assert g[3] == w[3], (p["pod"], g, w)


# -- the pod sandbox re-created under a running pod -------------------------------------------
@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), version=st.sampled_from(VERSIONS))
def test_a_sandbox_recreated_under_a_running_pod_restarts_its_containers(
    seed: int, version: str
) -> None:
    # every capture form: the pod stays Running, each container restarts with cause sandbox,
    # and the seconds without a running container are the sandbox's creation block
    with rebuilt_capture(seed, ["sandbox_recreated"], k8s_version=version) as (store, truth):
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            check_pod_exactly(store, p)
            assert [x["phase"] for x in p["phases"]] == ["Pending", "Running"], p["phases"]
            got = store.rows(
                "SELECT cause, epoch(blocked_from)::BIGINT, blocked_s FROM creation_blocks"
                " WHERE pod_uid = ?",
                [p["pod_uid"]],
            )
            want = [(b["cause"], epoch(b["from"]), b["blocked_s"]) for b in p["creation_blocks"]]
            assert got == want, (p["pod"], got, want)


@pytest.mark.slow
@SETTINGS
@given(
    seed=st.integers(0, 2**20),
    formats=st.sampled_from([("events", "snapshots"), EVENTS_ONLY, ("snapshots",)]),
)
def test_every_capture_form_names_the_sandbox_restart_and_no_deletion(
    seed: int, formats: tuple[str, ...]
) -> None:
    # Lists alone show the restart but not why (a gap hides its cause: error/completed from
    # the exit); with the SandboxChanged event it is cause sandbox; the containers' "Stopping
    # container" kills are no deletion request
    with rebuilt_capture(seed, ["sandbox_recreated"], formats) as (store, truth):
        for p in truth["pods"]:
            got = store.rows(
                "SELECT cause FROM restarts WHERE pod_uid = ? ORDER BY container, restart_no",
                [p["pod_uid"]],
            )
            if "events" in formats:
                assert [g[0] for g in got] == [r["cause"] for r in p["restarts"]], p["pod"]
            else:
                assert [g[0] for g in got] == [
                    "completed" if r["exit_code"] == 0 else "error" for r in p["restarts"]
                ], p["pod"]
            row = store.rows(
                "SELECT deletion_requested_at, final_phase FROM pods WHERE pod_uid = ?",
                [p["pod_uid"]],
            )
            assert row == [(None, "Running")], (p["pod"], row)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


# -- every reason of these cases is recognised (the kubelet's wording, 1.27-1.35) ---------------
def _ev(
    pod: str,
    i: int,
    sec: int,
    reason: str,
    message: str,
    container: str | None = None,
    init: bool = False,
    count: int = 1,
    last: int | None = None,
) -> dict[str, Any]:
    """One core/v1 Event about pod `pod`, `sec` seconds after 10:00."""
    obj: dict[str, Any] = {"kind": "Pod", "name": pod, "namespace": "shop", "uid": f"uid-{pod}"}
    if container:
        obj["fieldPath"] = f"spec.{'initContainers' if init else 'containers'}{{{container}}}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod}.{i:x}", "namespace": "shop", "uid": f"ev-{pod}-{i}"},
        "involvedObject": obj,
        "reason": reason,
        "message": message,
        "type": "Warning" if reason in ("ResizeDeferred", "ResizeInfeasible") else "Normal",
        "count": count,
        "firstTimestamp": f"2024-05-01T10:{sec // 60:02d}:{sec % 60:02d}Z",
        "lastTimestamp": f"2024-05-01T10:{(last or sec) // 60:02d}:{(last or sec) % 60:02d}Z",
        "source": {"component": "kubelet", "host": "n1"},
    }


RESIZE_BODY = '{"containers":[{"name":"app","resources":{"limits":{"memory":"512Mi"}}}]'
NO_ROOM = '"error":"Node didn\'t have enough capacity"'
RESIZE = {
    "ResizeDeferred": f'Pod resize Deferred: {RESIZE_BODY},"generation":2,{NO_ROOM}}}',
    "ResizeStarted": f'Pod resize started: {RESIZE_BODY},"generation":2}}',
    "ResizeCompleted": f'Pod resize completed: {RESIZE_BODY},"generation":2}}',
    "ResizeInfeasible": f'Pod resize Infeasible: {RESIZE_BODY},"generation":3,{NO_ROOM}}}',
    "ResizeError": f'Pod resize error: {RESIZE_BODY},"generation":4,"error":"cgroup update"}}',
}
SANDBOX = "Pod sandbox changed, it will be killed and re-created."


def test_every_reason_of_these_cases_is_recognised(tmp_path: Path) -> None:
    started = "Started container app"
    at = {"ResizeDeferred": 60, "ResizeStarted": 120, "ResizeCompleted": 125}
    items = [
        # a resize that restarts the container: a restart caused by the resize
        _ev("rz", 1, 0, "Started", started, "app", count=2, last=122),
        *(_ev("rz", 2 + i, at.get(r, 200 + i), r, m) for i, (r, m) in enumerate(RESIZE.items())),
        _ev("rz", 9, 120, "Killing", "Container app resize requires restart", "app"),
        # the sandbox re-created under the running pod: a restart, no deletion
        _ev("sb", 1, 0, "Started", started, "app", count=2, last=63),
        _ev("sb", 2, 60, "SandboxChanged", SANDBOX),
        _ev("sb", 3, 60, "Killing", "Stopping container app", "app"),
        # a native sidecar killed by its probe: a sidecar, restarted
        _ev("sc", 1, 0, "Started", "Started container envoy", "envoy", True, 2, 90),
        _ev("sc", 2, 5, "Started", started, "app"),
        _ev("sc", 3, 88, "Killing", "Init container envoy failed liveness probe", "envoy", True),
    ]
    src = tmp_path / "events.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    with Store(tmp_path / "db.duckdb") as store:
        load(store, [src])
        causes = store.rows("SELECT pod, container, cause FROM restarts ORDER BY pod")
        assert causes == [
            ("rz", "app", "resize"), ("sb", "app", "sandbox"), ("sc", "envoy", "liveness_probe")
        ]  # fmt: skip
        kills = dict(store.rows("SELECT pod, kill_cause FROM pod_events WHERE reason = 'Killing'"))
        assert kills == {"rz": "resize", "sb": "sandbox", "sc": "liveness"}
        assert store.rows("SELECT pod, deletion_requested_at, final_phase FROM pods ORDER BY pod")[
            :2
        ] == [("rz", None, "Running"), ("sb", None, "Running")]
        assert store.rows("SELECT container, basis FROM native_sidecars") == [("envoy", "event")]
        # the resize events are on the timeline as they are, no Pending, no restart of their own
        story = pod_story(store, "uid-rz")
        listed = set(story.filter(story["kind"] == "event")["what"].to_list())
        assert set(RESIZE) <= {w.split(" ")[0] for w in listed}, listed
        phases = store.rows("SELECT DISTINCT phase FROM phase_intervals WHERE pod = 'rz'")
        assert ("Pending",) not in phases

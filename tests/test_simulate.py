"""The capture simulator: determinism, kubectl shapes, scenarios, truth invariants."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podreplay.errors import UsageError
from podreplay.simulate import (
    SCENARIO_NAMES,
    SimulationResult,
    generate,
    simulate,
    write_capture,
)


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _secs(a: str, b: str) -> float:
    return (_t(b) - _t(a)).total_seconds()


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    out = tmp_path_factory.mktemp("sim")
    return simulate(out, pods=len(SCENARIO_NAMES) + 6, seed=11, duration_s=2400)


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = simulate(tmp_path / "a", pods=12, seed=5, duration_s=900, snapshot_every_s=120)
    b = simulate(tmp_path / "b", pods=12, seed=5, duration_s=900, snapshot_every_s=120)
    assert _files(a.out_dir) == _files(b.out_dir)
    c = simulate(tmp_path / "c", pods=12, seed=6, duration_s=900, snapshot_every_s=120)
    assert _files(a.out_dir) != _files(c.out_dir)


def test_every_scenario_in_truth(capture: SimulationResult) -> None:
    seen = {p["scenario"] for p in capture.truth["pods"]}
    assert seen == set(SCENARIO_NAMES)


def test_selected_scenarios_only() -> None:
    cap = generate(6, 3, None, ["crashloop", "oom_kill"], duration_s=900)
    assert {p["scenario"] for p in cap.truth["pods"]} == {"crashloop", "oom_kill"}
    assert len(cap.truth["pods"]) == 6
    with pytest.raises(UsageError):
        generate(3, 0, None, ["no-such-scenario"])


def test_events_file_shape(capture: SimulationResult) -> None:
    assert capture.events_path is not None and capture.events_v1_path is not None
    text = capture.events_path.read_text()
    assert text.startswith('{\n    "apiVersion": "v1",\n    "items": [')
    doc = json.loads(text)
    assert doc["kind"] == "List" and doc["items"]
    for ev in doc["items"]:
        assert ev["kind"] == "Event" and ev["apiVersion"] == "v1"
        meta, obj = ev["metadata"], ev["involvedObject"]
        assert meta["name"].startswith(obj["name"] + ".")
        assert {"uid", "namespace", "resourceVersion", "creationTimestamp"} <= set(meta)
        if ev.get("eventTime"):  # scheduler (events.k8s.io recorder)
            assert ev["firstTimestamp"] is None and ev["lastTimestamp"] is None
            assert ev["reportingComponent"] == "default-scheduler"
            if "series" in ev:
                assert ev["series"]["count"] >= 2
        else:
            assert ev["count"] >= 1
            assert _t(ev["firstTimestamp"]) <= _t(ev["lastTimestamp"])
            assert ev["source"]["component"]
        if "fieldPath" in obj:
            assert obj["fieldPath"].startswith(("spec.containers{", "spec.initContainers{"))
    v1 = json.loads(capture.events_v1_path.read_text())["items"]
    assert all(e["apiVersion"] == "events.k8s.io/v1" and "regarding" in e for e in v1)
    core_uids = {e["metadata"]["uid"] for e in doc["items"]}
    assert any(e["metadata"]["uid"] in core_uids for e in v1)  # overlap exercises the merge
    # aggregated repeats are one object: no two core events share the dedupe key
    keys = [
        (
            e["involvedObject"]["uid"],
            e["involvedObject"].get("fieldPath"),
            e["reason"],
            e["message"],
            e["source"].get("component"),
        )
        for e in doc["items"]
        if not e.get("eventTime")
    ]
    assert len(keys) == len(set(keys))


def test_snapshot_and_watch_shape(capture: SimulationResult) -> None:
    assert capture.snapshot_paths and capture.watch_path is not None
    first = json.loads(capture.snapshot_paths[0].read_text())
    assert first["kind"] == "List"
    for pod in first["items"]:
        assert pod["kind"] == "Pod" and pod["metadata"]["uid"]
        assert pod["status"]["phase"] and pod["status"]["qosClass"]
    lines = capture.watch_path.read_text().splitlines()
    types = set()
    for line in lines:
        rec = json.loads(line)
        assert list(rec) == ["type", "object", "observedAt"]
        types.add(rec["type"])
    assert types == {"ADDED", "MODIFIED", "DELETED"}


def _check_truth(truth: dict[str, Any]) -> None:
    cend = truth["capture_end"]
    assert _t(truth["capture_start"]) <= _t(cend)
    uids = [p["pod_uid"] for p in truth["pods"]]
    assert len(uids) == len(set(uids))
    for p in truth["pods"]:
        stop = p["deleted_at"] or cend
        ph = p["phases"]
        assert ph[0]["start"] == p["created_at"]
        for a, b in itertools.pairwise(ph):
            assert a["end"] == b["start"] and a["phase"] != b["phase"]
        assert ph[-1]["end"] == p["deleted_at"]
        assert ph[-1]["phase"] == p["final_phase"] == p["stats"]["final_phase"]
        total = sum(_secs(i["start"], i["end"] or cend) for i in ph)
        s = p["stats"]
        summed = sum(s[k] for k in ("pending_s", "running_s", "succeeded_s", "failed_s"))
        assert summed + s["unknown_s"] == pytest.approx(total)
        assert total == pytest.approx(_secs(p["created_at"], stop))
        for c in p["containers"]:
            st_ = c["states"]
            for a, b in itertools.pairwise(st_):
                assert a["end"] == b["start"]
            nos = [r["restart_no"] for r in p["restarts"] if r["container"] == c["container"]]
            assert nos == list(range(1, c["restart_count"] + 1))
        assert s["restarts"] == len(p["restarts"])
        for r in p["restarts"]:
            assert r["cause"] in {
                "liveness_probe", "startup_probe", "OOMKilled", "error", "completed", "unknown"
            }  # fmt: skip
        for f in p["probe_failures"]:
            assert f["count"] >= 1 and f["first_ts"] <= f["last_ts"]
        for cond in {c["condition"] for c in p["conditions"]}:
            iv = [c for c in p["conditions"] if c["condition"] == cond]
            for a, b in itertools.pairwise(iv):
                assert a["end"] == b["start"] and a["status"] != b["status"]
        if p["deletion_requested_at"] is None:
            assert s["terminating_s"] is None
        else:
            assert s["terminating_s"] == _secs(p["deletion_requested_at"], stop)


def test_truth_invariants(capture: SimulationResult) -> None:
    _check_truth(capture.truth)
    assert json.loads(capture.truth_path.read_text()) == capture.truth


def _at(intervals: list[dict[str, Any]], key: str, when: datetime) -> Any:
    for i in intervals:
        if _t(i["start"]) <= when and (i["end"] is None or when < _t(i["end"])):
            return i[key]
    return None


def test_truth_matches_snapshots(capture: SimulationResult) -> None:
    by_uid = {p["pod_uid"]: p for p in capture.truth["pods"]}
    last_restart_count: dict[str, int] = {}
    for path in capture.snapshot_paths:
        stamp = path.stem.split("-")[1]
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        for pod in json.loads(path.read_text())["items"]:
            p = by_uid[pod["metadata"]["uid"]]
            assert pod["status"]["phase"] == _at(p["phases"], "phase", when)
            for c in pod["status"].get("conditions", []):
                iv = [x for x in p["conditions"] if x["condition"] == c["type"]]
                assert c["status"] == _at(iv, "status", when)
                assert any(x["start"] == c["lastTransitionTime"] for x in iv)
            n = 0
            for cs in pod["status"].get("containerStatuses", []):
                n += cs["restartCount"]
            last_restart_count[p["pod_uid"]] = n
    for uid, n in last_restart_count.items():
        restarts = by_uid[uid]["restarts"]
        assert n <= len(restarts)
    for p in capture.truth["pods"]:
        if p["deleted_at"] is None and p["pod_uid"] in last_restart_count:
            assert last_restart_count[p["pod_uid"]] == p["stats"]["restarts"]


def test_formats_can_be_left_out(tmp_path: Path) -> None:
    cap = generate(5, 2, None, None, duration_s=600)
    res = write_capture(cap, tmp_path, formats=["events"])
    names = {p.name for p in tmp_path.iterdir()}
    assert names == {"events.json", "ground_truth.json"}
    assert res.truth["formats"] == ["events"]
    _check_truth(res.truth)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    pods=st.integers(1, 12),
    duration=st.integers(120, 2400),
    version=st.sampled_from([None, "1.24", "1.27", "1.35"]),
)
def test_truth_invariants_property(
    seed: int, pods: int, duration: int, version: str | None
) -> None:
    cap = generate(pods, seed, None, None, duration_s=duration, k8s_version=version)
    assert 1 <= len(cap.truth["pods"]) <= pods
    _check_truth(cap.truth)

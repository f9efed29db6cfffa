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
from podreplay.sim.simulate import (
    SCENARIO_NAMES,
    SimulationResult,
    generate,
    simulate,
    write_capture,
)
from tests.support.cli import run


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
            kinds = ("spec.containers{", "spec.initContainers{", "spec.ephemeralContainers{")
            assert obj["fieldPath"].startswith(kinds)
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
                "liveness_probe", "startup_probe", "resize", "sandbox", "OOMKilled", "error",
                "completed", "unknown",
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
            # init containers' restarts count too (native sidecars, failing init containers)
            st_ = pod["status"]
            for cs in st_.get("containerStatuses", []) + st_.get("initContainerStatuses", []):
                n += cs["restartCount"]
            last_restart_count[p["pod_uid"]] = n
    for uid, n in last_restart_count.items():
        restarts = by_uid[uid]["restarts"]
        assert n <= len(restarts)
    for p in capture.truth["pods"]:
        if p["deleted_at"] is None and p["pod_uid"] in last_restart_count:
            assert last_restart_count[p["pod_uid"]] == p["stats"]["restarts"]


def _watch_by_uid(path: Path) -> dict[str, list[dict[str, Any]]]:
    recs: dict[str, list[dict[str, Any]]] = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        recs.setdefault(rec["object"]["metadata"]["uid"], []).append(rec)
    return recs


def test_truth_replays_from_watch(capture: SimulationResult) -> None:
    """Phases and container states rebuilt from the watch stream equal the truth exactly."""
    assert capture.watch_path is not None
    recs = _watch_by_uid(capture.watch_path)
    for p in capture.truth["pods"]:
        rs = recs[p["pod_uid"]]
        assert rs[0]["type"] == "ADDED" and rs[0]["observedAt"] == p["created_at"]
        gone = rs[-1]["observedAt"] if rs[-1]["type"] == "DELETED" else None
        assert gone == p["deleted_at"]
        live = [r for r in rs if r["type"] != "DELETED"]
        phases: list[list[Any]] = []
        for r in live:
            phase = r["object"]["status"]["phase"]
            if not phases or phases[-1][0] != phase:
                if phases:
                    phases[-1][2] = r["observedAt"]
                phases.append([phase, r["observedAt"], None])
        if phases:
            phases[-1][2] = gone
        assert phases == [[x["phase"], x["start"], x["end"]] for x in p["phases"]]
        for c in p["containers"]:
            key = "initContainerStatuses" if c["is_init"] else "containerStatuses"
            got: list[list[Any]] = []
            for r in live:
                cs = [x for x in r["object"]["status"].get(key, []) if x["name"] == c["container"]]
                if not cs:
                    continue
                ((state, body),) = cs[0]["state"].items()
                k = (state, body.get("reason"), body.get("exitCode"), body.get("startedAt"))
                if got and got[-1][0] == k:
                    continue
                start = {"running": body.get("startedAt"), "terminated": body.get("finishedAt")}
                t = start.get(state) or r["observedAt"]
                if got:
                    got[-1][3] = t
                got.append([k, t, state, None])
            if got:
                got[-1][3] = gone
            want = [
                [s["state"], s["reason"], s["exit_code"], s["start"], s["end"]] for s in c["states"]
            ]
            assert [[k[0], k[1], k[2], t, e] for k, t, _, e in got] == want
        last = live[-1]["object"]["status"]
        statuses = last.get("containerStatuses", []) + last.get("initContainerStatuses", [])
        assert sum(x["restartCount"] for x in statuses) == p["stats"]["restarts"]


def _all_events(res: SimulationResult) -> dict[str, dict[str, Any]]:
    """Events of both files merged on metadata.uid, in a common form."""
    out: dict[str, dict[str, Any]] = {}
    assert res.events_path is not None and res.events_v1_path is not None
    for e in json.loads(res.events_path.read_text())["items"]:
        series = e.get("series") or {}
        out[e["metadata"]["uid"]] = {
            "uid": e["involvedObject"]["uid"],
            "fp": e["involvedObject"].get("fieldPath"),
            "reason": e["reason"],
            "msg": e["message"],
            "count": e.get("count") or series.get("count", 1),
            "first": e.get("firstTimestamp") or e["eventTime"],
            "last": e.get("lastTimestamp") or series.get("lastObservedTime") or e["eventTime"],
        }
    for e in json.loads(res.events_v1_path.read_text())["items"]:
        series = e.get("series") or {}
        out.setdefault(
            e["metadata"]["uid"],
            {
                "uid": e["regarding"]["uid"],
                "fp": e["regarding"].get("fieldPath"),
                "reason": e["reason"],
                "msg": e["note"],
                "count": e.get("deprecatedCount") or series.get("count", 1),
                "first": e.get("deprecatedFirstTimestamp") or e["eventTime"],
                "last": e.get("deprecatedLastTimestamp")
                or series.get("lastObservedTime")
                or e["eventTime"],
            },
        )
    return out


def _sec(s: str) -> datetime:
    return _t(s).replace(microsecond=0)


def test_truth_matches_events(capture: SimulationResult) -> None:
    """Started counts, probe kills, Unhealthy counts, pulls and Scheduled agree with truth."""
    events = list(_all_events(capture).values())
    for p in capture.truth["pods"]:
        mine = [e for e in events if e["uid"] == p["pod_uid"]]
        for c in p["containers"]:
            kind = "initContainers" if c["is_init"] else "containers"
            fp = f"spec.{kind}{{{c['container']}}}"
            started = sum(e["count"] for e in mine if e["fp"] == fp and e["reason"] == "Started")
            assert started in (0, c["restart_count"] + 1)
            for probe in ("liveness", "startup"):
                kills = sum(
                    e["count"]
                    for e in mine
                    if e["fp"] == fp
                    and e["reason"] == "Killing"
                    and f"failed {probe} probe" in e["msg"]
                )
                causes = [r for r in p["restarts"] if r["cause"] == f"{probe}_probe"]
                assert kills >= len([r for r in causes if r["container"] == c["container"]])
        for f in p["probe_failures"]:
            fp = f"spec.containers{{{f['container']}}}"
            label = f["probe"].capitalize()
            un = [
                e
                for e in mine
                if e["fp"] == fp and e["reason"] == "Unhealthy" and e["msg"].startswith(label)
            ]
            assert sum(e["count"] for e in un) == f["count"]
            assert min(_sec(e["first"]) for e in un) == _t(f["first_ts"])
            assert max(_sec(e["last"]) for e in un) == _t(f["last_ts"])
        pulled = 0.0
        for e in mine:
            if e["reason"] == "Pulled" and e["msg"].startswith("Successfully"):
                pulling = [x for x in mine if x["fp"] == e["fp"] and x["reason"] == "Pulling"]
                pulled += (_t(e["first"]) - _t(pulling[0]["first"])).total_seconds()
        assert p["stats"]["image_pull_s"] == (pulled or None)
        sched = [e for e in mine if e["reason"] == "Scheduled"]
        if sched:
            ttl = (_sec(sched[0]["first"]) - _t(p["created_at"])).total_seconds()
            assert p["stats"]["time_to_scheduled_s"] == ttl


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


def test_cli_simulate(tmp_path: Path) -> None:

    out = tmp_path / "cli"
    args = ["simulate", "--pods", "4", "--seed", "2", "--out", str(out), "--duration", "600"]
    res = run(*args, "--scenario", "crashloop", "--without", "events_v1")
    assert res.exit_code == 0, res.output
    assert (out / "events.json").exists() and not (out / "events-v1.json").exists()
    truth = json.loads((out / "ground_truth.json").read_text())
    assert {p["scenario"] for p in truth["pods"]} == {"crashloop"}
    bad = run(*args, "--scenario", "nope")
    assert bad.exit_code == 2


def test_the_simulator_contract_forbids_every_other_podreplay_module() -> None:
    """The import-linter contract that keeps the simulator apart names every module of
    podreplay but `errors` and `sim` itself, so a new module cannot slip past it."""
    import pkgutil
    import tomllib

    import podreplay

    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c.get("source_modules") == ["podreplay.sim"]]
    modules = {
        f"podreplay.{m.name}"
        for m in pkgutil.iter_modules(podreplay.__path__)
        if m.name not in ("errors", "sim", "__main__")
    }
    assert modules - set(contract["forbidden_modules"]) == set()

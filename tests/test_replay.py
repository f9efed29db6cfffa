"""Replay: `replay --at` against the simulator's ground truth, and the ordered change stream."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.replay import paced
from podreplay.simulate import simulate
from podreplay.store import Store

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
# replay has capture-time resolution (1 s); truth transitions closer than this are not judged
MARGIN_S = 1.0
CONDITION_COLUMNS = {
    "PodScheduled": "pod_scheduled",
    "Initialized": "initialized",
    "ContainersReady": "containers_ready",
    "Ready": "ready",
}


def _t(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Sim:
    """A simulated capture ingested into a database, with its ground truth."""

    def __init__(self, out: Path, db: Path, truth: dict[str, Any]) -> None:
        self.out = out
        self.db = db
        self.truth = truth
        self.start = _t(truth["capture_start"])
        self.end = _t(truth["capture_end"])
        assert self.start is not None and self.end is not None


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    out = tmp_path_factory.mktemp("sim")
    result = simulate(out / "capture", pods=30, seed=7, duration_s=1500, snapshot_every_s=300)
    db = out / "sim.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [result.out_dir / n for n in _capture_files(result.out_dir)])
    return Sim(result.out_dir, db, result.truth)


def _capture_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name != "ground_truth.json")


def _replay(sim: Sim, *args: str) -> Any:
    res = runner.invoke(app, ["replay", "--db", str(sim.db), *args])
    assert res.exit_code == 0, res.stderr
    return res


def _state(sim: Sim, at: datetime) -> list[dict[str, Any]]:
    """`replay --at` as JSON rows; a moment with no pod exits 3 and says so."""
    res = runner.invoke(app, ["replay", "--db", str(sim.db), "--at", _iso(at), "-f", "json"])
    if res.exit_code == 3:
        assert "no pods existed at" in res.stderr and res.stdout == ""
        return []
    assert res.exit_code == 0, res.stderr
    rows: list[dict[str, Any]] = json.loads(res.stdout)
    assert rows
    return rows


def _covering(intervals: list[dict[str, Any]], at: datetime) -> dict[str, Any] | None:
    for iv in intervals:
        start, end = _t(iv["start"]), _t(iv["end"])
        assert start is not None
        if start <= at and (end is None or at < end):
            return iv
    return None


def _edges(pod: dict[str, Any]) -> list[datetime]:
    """Every moment the truth says something about this pod changed."""
    out = [pod["created_at"], pod["deleted_at"]]
    for iv in pod["phases"] + pod["conditions"]:
        out += [iv["start"], iv["end"]]
    for c in pod["containers"]:
        for st_ in c["states"]:
            out += [st_["start"], st_["end"]]
    out += [r["at"] for r in pod["restarts"]]
    return [t for t in map(_t, out) if t is not None]


def _truth_exists(pod: dict[str, Any], at: datetime) -> bool:
    created, deleted = _t(pod["created_at"]), _t(pod["deleted_at"])
    assert created is not None
    return created <= at and (deleted is None or at < deleted)


def _check_pod(pod: dict[str, Any], got: dict[str, Any], at: datetime) -> None:
    where = f"{pod['pod']} ({pod['scenario']}) at {_iso(at)}"
    phase = _covering(pod["phases"], at)
    assert got["phase"] == (phase and phase["phase"]), where
    restarts = sum(1 for r in pod["restarts"] if (_t(r["at"]) or at) <= at)
    assert got["restarts"] == restarts, where
    for condition, column in CONDITION_COLUMNS.items():
        iv = _covering([c for c in pod["conditions"] if c["condition"] == condition], at)
        assert got[column] == (None if iv is None else iv["status"] == "True"), (where, condition)
    states = {(c["container"], c["is_init"]): c for c in got["containers"] or []}
    for container in pod["containers"]:
        want = _covering(container["states"], at)
        have = states.get((container["container"], container["is_init"]))
        assert (want and (want["state"], want["reason"])) == (
            have and (have["state"], have["reason"])
        ), (where, container["container"])


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
def test_replay_at_matches_ground_truth_at_random_moments(sim: Sim, fraction: float) -> None:
    assert sim.start is not None and sim.end is not None
    at = sim.start + (sim.end - sim.start) * fraction
    got = {r["pod_uid"]: r for r in _state(sim, at)}
    for pod in sim.truth["pods"]:
        if any(abs((edge - at).total_seconds()) <= MARGIN_S for edge in _edges(pod)):
            continue
        assert (pod["pod_uid"] in got) == _truth_exists(pod, at), pod["pod"]
        if pod["pod_uid"] in got:
            _check_pod(pod, got[pod["pod_uid"]], at)


def test_pods_not_yet_created_or_already_gone_are_absent(sim: Sim) -> None:
    deleted = [p for p in sim.truth["pods"] if p["deleted_at"]]
    assert deleted, "the simulated capture should delete some pods"
    for pod in deleted[:5]:
        created, gone = _t(pod["created_at"]), _t(pod["deleted_at"])
        assert created is not None and gone is not None

        def uids(at: datetime) -> set[str]:
            return {r["pod_uid"] for r in _state(sim, at)}

        assert pod["pod_uid"] not in uids(created - timedelta(seconds=1))
        assert pod["pod_uid"] in uids(created + (gone - created) / 2)
        assert pod["pod_uid"] not in uids(gone + timedelta(seconds=1))


def test_replay_at_json_has_one_object_per_pod_with_the_contract_keys(sim: Sim) -> None:
    rows = json.loads(_replay(sim, "--at", "-1s", "--format", "json").stdout)
    assert len({r["pod_uid"] for r in rows}) == len(rows) > 0
    for row in rows:
        assert {"pod_uid", "namespace", "pod", "phase", "restarts", "ready"} <= set(row)
        assert {"conditions", "containers", "events"} <= set(row)


def test_namespace_option_keeps_only_that_namespace(sim: Sim) -> None:
    everything = json.loads(_replay(sim, "--at", "-1s", "-f", "json").stdout)
    namespace = everything[0]["namespace"]
    some = json.loads(_replay(sim, "--at", "-1s", "-n", namespace, "-f", "json").stdout)
    assert some == [r for r in everything if r["namespace"] == namespace]


def test_relative_at_is_the_same_moment_as_its_absolute_time(sim: Sim) -> None:
    assert sim.start is not None and sim.end is not None
    # relative to the rebuilt capture start: the first observation (an empty first List shows
    # nothing, so it may come after the simulated start)
    with Store(sim.db, read_only=True) as store:
        start = store.scalar("SELECT start_ts FROM capture_span")
    relative = _replay(sim, "--at", "+7m30s", "-f", "json").stdout
    absolute = _replay(sim, "--at", _iso(start + timedelta(minutes=7.5)), "-f", "json")
    assert relative == absolute.stdout
    from_end = _replay(sim, "--at", "-90s", "-f", "json").stdout
    assert (
        from_end == _replay(sim, "--at", _iso(sim.end - timedelta(seconds=90)), "-f", "json").stdout
    )


def _events_in_order(paths: list[Path]) -> list[str]:
    """The event uids of these EventList files ordered as the events happened, computed from the
    files alone: by occurrence second, namespace, involved object, then name (whose suffix is the
    creation time in hex)."""
    items = [ev for path in paths for ev in json.loads(path.read_text())["items"]]

    def key(ev: dict[str, Any]) -> tuple[datetime, str, str, str]:
        when = _t(ev.get("firstTimestamp") or ev.get("eventTime") or ev.get("lastTimestamp"))
        assert when is not None
        obj = ev["involvedObject"]
        namespace = obj.get("namespace") or ev["metadata"].get("namespace") or ""
        return (when.replace(microsecond=0), namespace, obj["name"], ev["metadata"]["name"])

    return [ev["metadata"]["uid"] for ev in sorted(items, key=key)]


def _streamed_events(db: Path, wanted: set[str]) -> list[str]:
    args = ["replay", "--db", str(db), "--from", "start", "--to", "end", "--speed", "0"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    seconds = [r["ts"][:19] for r in rows]
    assert seconds == sorted(seconds)
    return [r["event_key"] for r in rows if r["kind"] == "event" and r["event_key"] in wanted]


def test_speed_zero_streams_events_exactly_in_event_order(sim: Sim) -> None:
    expected = _events_in_order([sim.out / "events.json"])
    assert _streamed_events(sim.db, set(expected)) == expected


def test_speed_zero_streams_real_events_exactly_in_event_order(k3s_db: Path) -> None:
    expected = _events_in_order(sorted(RECORDED.glob("*__events.json")))
    assert _streamed_events(k3s_db, set(expected)) == expected


def test_plain_stream_prints_one_line_per_change_in_the_same_order(sim: Sim) -> None:
    as_json = _replay(sim, "--from", "+5m", "--to", "+10m", "--speed", "0", "-f", "json").stdout
    rows = [json.loads(line) for line in as_json.splitlines()]
    lines = _replay(sim, "--from", "+5m", "--to", "+10m", "--speed", "0").stdout.splitlines()
    assert len(lines) == len(rows) > 0
    assert [line.split("  ")[0] for line in lines] == [r["ts"] for r in rows]


def test_pod_option_streams_only_that_pods_changes(sim: Sim) -> None:
    pod = next(p for p in sim.truth["pods"] if p["restarts"])
    res = _replay(sim, "--pod", pod["pod"], "-n", pod["namespace"], "--speed", "0", "-f", "json")
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert rows and {r["pod_uid"] for r in rows} == {pod["pod_uid"]}
    restarted = [r["ts"] for r in rows if r["kind"] == "restart"]
    assert restarted == [r["at"] for r in pod["restarts"]]


def test_at_with_pod_shows_only_that_pod(sim: Sim) -> None:
    everything = json.loads(_replay(sim, "--at", "-1s", "-f", "json").stdout)
    one = everything[-1]
    rows = json.loads(_replay(sim, "--at", "-1s", "--pod", one["pod_uid"], "-f", "json").stdout)
    assert rows == [one]


def test_unknown_pod_is_a_not_found_error(sim: Sim) -> None:
    res = runner.invoke(app, ["replay", "--db", str(sim.db), "--pod", "no-such-pod"])
    assert res.exit_code == 3
    assert res.stdout == ""
    assert res.stderr.startswith("podreplay: error: no pod named 'no-such-pod'")


def test_at_with_from_is_a_usage_error(sim: Sim) -> None:
    res = runner.invoke(app, ["replay", "--db", str(sim.db), "--at", "+1m", "--from", "+2m"])
    assert res.exit_code == 2
    assert "podreplay: error:" in res.stderr


def test_ctrl_c_stops_a_replay_cleanly_with_exit_130(sim: Sim) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "podreplay", "replay", "--db", str(sim.db), "--speed", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first change is printed at once, then it waits
    assert first
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert err.decode().strip() == "podreplay: interrupted"


START = datetime(2025, 9, 11, 20, 39, 39, tzinfo=UTC)
END = datetime(2025, 9, 11, 20, 53, 53, tzinfo=UTC)


def test_paced_waits_the_recorded_gaps_divided_by_the_speed() -> None:
    # rows 0 s, 60 s, 60 s and 180 s after the start; at ×60 they are due at 0, 1, 1 and 3 s
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    rows = [{"ts": START + timedelta(seconds=s)} for s in (0, 60, 60, 180)]
    out = list(paced(rows, 60, start=START, sleep=sleep, clock=lambda: now[0]))
    assert out == rows
    assert waits == pytest.approx([1.0, 2.0])
    assert now[0] == pytest.approx(3.0)


def test_speed_zero_never_waits() -> None:
    def sleep(seconds: float) -> None:
        raise AssertionError("speed 0 slept")

    rows = [{"ts": START + timedelta(hours=h)} for h in range(5)]
    assert list(paced(rows, 0, sleep=sleep)) == rows
    started = time.monotonic()
    assert list(paced(rows, 0)) == rows
    assert time.monotonic() - started < 1


def test_replay_on_a_database_without_a_capture_says_to_ingest_first(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db).close()
    res = runner.invoke(app, ["replay", "--db", str(db), "--at", "+1m"])
    assert res.exit_code == 3
    assert res.stderr == (
        "podreplay: error: the database holds no capture (run `podreplay ingest` first)\n"
    )


RECORDED = Path(__file__).resolve().parent / "data" / "capture"


@pytest.fixture(scope="module")
def k3s_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real k3s recordings (tests/data/capture) ingested."""
    db = tmp_path_factory.mktemp("k3s") / "k3s.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, sorted(RECORDED.glob("*.json")))
    return db


def test_latest_events_are_the_last_known_occurrences_up_to_the_moment(k3s_db: Path) -> None:
    # an aggregated event is known to have happened at its first and last occurrence: the later
    # of those at or before the moment orders it; its count is known once the last one is
    at = datetime(2025, 9, 11, 20, 52, tzinfo=UTC)
    pod = "backend-api-75fb46b7bd-xtkrh"
    items = json.loads(next(RECORDED.glob("*__default__events.json")).read_text())["items"]
    known = []
    for ev in items:
        if ev["involvedObject"]["name"] != pod:
            continue
        first = _t(ev["firstTimestamp"] or ev["eventTime"])
        last = _t(ev["lastTimestamp"] or ev["eventTime"])
        assert first is not None and last is not None
        if first <= at:
            seen, count = (last, ev.get("count") or 1) if last <= at else (first, None)
            known.append((_iso(seen), ev["reason"], count))
    expected = sorted(known, reverse=True)[:3]
    assert len({seen for seen, _, _ in expected}) == 3  # no ties: the answer is unambiguous
    res = runner.invoke(
        app, ["replay", "--db", str(k3s_db), "--at", _iso(at), "--pod", pod, "-f", "json"]
    )
    assert res.exit_code == 0, res.stderr
    [row] = json.loads(res.stdout)
    assert [(e["at"], e["reason"], e["count"]) for e in row["events"]] == expected


def test_replay_at_as_csv_encodes_nested_columns_as_json(sim: Sim) -> None:
    result = _replay(sim, "--at", "+10m", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    containers = [json.loads(r["containers"]) for r in rows]
    assert rows and all(c is None or isinstance(c, list) for c in containers)
    assert any(c and c[0]["state"] for c in containers)

"""`podreplay capture` with the real kubectl against a stand-in API server playing a simulated
cluster in accelerated time; the rebuild of the recording is checked against the simulator's truth.

The capture's clock runs at the simulation's speed (simulated second t is `cap.start + t`), so its
observation stamps and snapshot names are in the simulated cluster's time, like a capture of a
real cluster is in that cluster's time. During the run the server ends every watch, answers one
watch "410 too old resource version", and goes away for a few seconds.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import podreplay.capture
from podreplay.sim.simulate import generate
from podreplay.sim.truth import pod_truth
from podreplay.store import Store
from tests.support.apiserver import ApiServer, ClusterState
from tests.support.cli import run
from tests.support.simcluster import Replay

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (the live capture needs it)"
)
SPEED = 25.0  # simulated seconds per wall second
SIM_S = 300  # simulated cluster history: 12 s of wall time
DROP_AT, EXPIRE_AT, OUTAGE_AT, OUTAGE_WALL_S = 60, 120, 180, 2.5


@dataclass
class LiveRun:
    """What the capture of the simulated cluster left behind."""

    cap: Any
    replay: Replay
    state: ClusterState
    out: Path
    db: Store
    stderr: str
    outage: tuple[datetime, datetime]


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _disrupt(server: ApiServer, replay: Replay, outage: list[datetime]) -> None:
    """The server ends every watch, then makes one watch too old, then goes away for a while."""
    replay.wait_until(DROP_AT)
    server.state.drop_watches()
    replay.wait_until(EXPIRE_AT)
    server.state.expire_next_watch("pods")
    server.state.drop_watches()
    replay.wait_until(OUTAGE_AT)
    outage.append(replay.now())
    with server.outage():
        threading.Event().wait(OUTAGE_WALL_S)  # the length of the outage, not a synchronisation
        outage.append(replay.now())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRun]:
    tmp = tmp_path_factory.mktemp("live")
    scenarios = ["crashloop", "healthy", "termination", "oom_kill", "job_succeeded"]
    cap = generate(12, seed=11, scenarios=scenarios, duration_s=SIM_S, k8s_version="1.32")
    state = ClusterState()
    server = ApiServer(state).start()
    mp = pytest.MonkeyPatch()
    mp.setenv("KUBECONFIG", str(server.kubeconfig(tmp / "kubeconfig")))
    mp.setenv("KUBECACHEDIR", str(tmp / "kube-cache"))
    replay = Replay(cap, state, SPEED)
    mp.setattr(podreplay.capture, "utc_now", replay.now)
    out, db = tmp / "cap", tmp / "live.duckdb"
    outage: list[datetime] = []
    disruptor = threading.Thread(target=_disrupt, args=(server, replay, outage), daemon=True)
    try:
        replay.start()
        disruptor.start()
        wall_s = (SIM_S + 20) / SPEED
        args = ["capture", "--out", str(out), "-A", "--duration", f"{wall_s}s"]
        res = run(*args, "--snapshot-every", "1s")
        assert res.exit_code == 0, res.stderr
        disruptor.join()
        res_ingest = run("ingest", str(out), "--db", str(db), "-q")
        assert res_ingest.exit_code == 0, res_ingest.stderr
    finally:
        replay.stop()
        server.stop()
        mp.undo()
    with Store(db) as store:
        yield LiveRun(cap, replay, state, out, store, res.stderr, (outage[0], outage[1]))


def _gaps(live: LiveRun) -> list[tuple[datetime, datetime]]:
    return [(s, e) for s, e in live.db.rows("SELECT start_ts, end_ts FROM capture_gaps ORDER BY 1")]


def test_the_capture_resumed_after_every_disruption(live: LiveRun) -> None:
    # the compaction can catch an events watch too, as on a real cluster
    assert "pods" in live.state.expired_at, "the 410 was never served"
    assert "too old resource version" in live.stderr
    assert "was refused" in live.stderr  # kubectl's own words while the server was away
    watches = [r for r in live.state.history if r.resource == "pods"]
    assert watches, "nothing was replayed"
    records = [json.loads(x) for x in (live.out / "pods-watch.ndjson").read_text().splitlines()]
    # the last pod change of the simulation arrived after all three disruptions
    last = max(r.rv for r in live.state.history if r.resource == "pods")
    assert any(int(r["object"]["metadata"]["resourceVersion"]) == last for r in records)


def test_no_watch_record_is_written_twice(live: LiveRun) -> None:
    for name in ("pods-watch.ndjson", "events-watch.ndjson"):
        lines = (live.out / name).read_text().splitlines()
        keys = [
            (r["type"], r["object"]["metadata"]["uid"], r["object"]["metadata"]["resourceVersion"])
            for r in map(json.loads, lines)
        ]
        assert len(keys) == len(set(keys)), name
        assert not [k for k in keys if k[0] not in ("ADDED", "MODIFIED", "DELETED")]


def test_the_outage_is_a_gap_of_every_namespace(live: LiveRun) -> None:
    down, up = live.outage
    rows = live.db.rows("SELECT cluster, namespace, start_ts, end_ts, reason FROM capture_gaps")
    covering = [r for r in rows if r[2] <= down + timedelta(seconds=2) and r[3] >= up]
    assert len(covering) == 1, (rows, live.outage)
    cluster, namespace, start, end, reason = covering[0]
    assert (cluster, namespace) == ("default", None)
    assert start >= down - timedelta(seconds=1)  # the watch ended when the server went
    assert reason.startswith("pods watch ended")
    assert (end - up).total_seconds() < 10 * SPEED  # resumed within the backoff
    assert live.db.scalar("SELECT count(*) FROM rejects") == 0
    gap_aware = live.db.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'evidence_gaps'"
    )
    if gap_aware:  # a rebuild that turns capture_gaps into gap intervals: every pod alive
        # across the outage has one starting when the gap does
        alive = live.db.rows(
            "SELECT pod_uid FROM pods"
            " WHERE created_at < ? AND (deleted_at IS NULL OR deleted_at > ?)",
            [start, end],
        )
        assert alive
        for (uid,) in alive:
            marked = live.db.scalar(
                "SELECT count(*) FROM phase_intervals WHERE pod_uid = ? AND basis = 'gap'"
                " AND start_ts = ?",
                [uid, start],
            )
            assert marked == 1, uid


def test_nothing_is_lost_every_pod_and_event_count(live: LiveRun) -> None:
    want = {m.uid for m in live.cap.pods}
    got = {r[0] for r in live.db.rows("SELECT pod_uid FROM pods")}
    assert got == want
    counts = dict(live.db.rows("SELECT uid, count FROM events WHERE uid IS NOT NULL"))
    for ev in live.cap.events:
        if ev.series:
            continue  # scheduler events count in `series`, checked through the pods' timelines
        assert counts.get(ev.uid) == len(ev.occurrences), (ev.reason, ev.obj_name)


def _in_gap(t: float, gaps: list[tuple[float, float]]) -> bool:
    return any(s <= t <= e for s, e in gaps)


def test_the_rebuild_equals_the_simulators_truth(live: LiveRun) -> None:
    start = live.cap.start
    gaps = [((s - start).total_seconds(), (e - start).total_seconds()) for s, e in _gaps(live)]
    end = live.db.scalar("SELECT end_ts FROM capture_span")
    cend = (end - start).total_seconds()
    # the capture's resolution: how late a change outside the gaps reached the recording
    lag = 0.0
    for line in (live.out / "pods-watch.ndjson").read_text().splitlines():
        record = json.loads(line)
        t = live.replay.applied.get(int(record["object"]["metadata"]["resourceVersion"]))
        if t is not None and not _in_gap(t, gaps):
            lag = max(lag, (_ts(record["observedAt"]) - start).total_seconds() - t)
    assert lag < 2 * SPEED, f"watch records arrived {lag:.1f} simulated seconds late"
    tolerance = lag + 1.0
    exact = 0
    for m in live.cap.pods:
        truth = pod_truth(m, start, int(cend))
        changes = [v.t for v in m.versions] + ([m.deleted_at] if m.deleted_at else [])
        if any(_in_gap(t, gaps) for t in changes):
            _check_final_state(live.db, truth)
            continue
        _check_pod(live.db, truth, tolerance)
        exact += 1
    print(f"lag {lag:.2f}s, gaps {gaps}, {exact} of {len(live.cap.pods)} pods exact")
    assert exact >= 3, f"only {exact} pods changed outside the gaps"


def _check_final_state(db: Store, p: dict[str, Any]) -> None:
    row = db.rows("SELECT final_phase FROM pods WHERE pod_uid = ?", [p["pod_uid"]])
    if p["deleted_at"] is None:
        assert row == [(p["final_phase"],)], p["pod"]
    restarts = db.scalar("SELECT count(*) FROM restarts WHERE pod_uid = ?", [p["pod_uid"]])
    assert restarts == p["stats"]["restarts"], p["pod"]


def _close(a: datetime | None, b: str | None, tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs((a - _ts(b)).total_seconds()) <= tol


def _same(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]], tol: float) -> bool:
    return len(got) == len(want) and all(
        g[:-2] == w[:-2] and _close(g[-2], w[-2], tol) and _close(g[-1], w[-1], tol)
        for g, w in zip(got, want, strict=True)
    )


def _without_gaps(rows: list[tuple[Any, ...]], group: int) -> list[tuple[Any, ...]]:
    """Rows `(labels..., start, end, basis)` minus the intervals a rebuild marks as `gap` (time
    the capture did not see). For a pod that did not change inside a gap, the runs on both sides
    of it are one run again, and a run followed by a gap at the end is still open. `group` is
    how many leading labels name a separate sequence (1 for the condition name)."""
    out: list[tuple[Any, ...]] = []
    gap_after: tuple[Any, ...] | None = None  # the group whose last run a gap follows
    for *labels, start, end, basis in rows:
        key = tuple(labels[:group])
        if basis == "gap":
            gap_after = key
            continue
        if gap_after == key and out and tuple(out[-1][:-2]) == tuple(labels):
            out[-1] = (*out[-1][:-1], end)
        else:
            if gap_after is not None and gap_after != key and out:
                out[-1] = (*out[-1][:-1], None)  # the gap ended that sequence
            out.append((*labels, start, end))
        gap_after = None
    if gap_after is not None and out:
        out[-1] = (*out[-1][:-1], None)
    return out


def _check_pod(db: Store, p: dict[str, Any], tol: float) -> None:
    uid, label = p["pod_uid"], f"{p['scenario']} {p['pod']}"
    phases = _without_gaps(
        db.rows(
            "SELECT phase, start_ts, CASE WHEN NOT open THEN end_ts END, basis"
            " FROM phase_intervals WHERE pod_uid = ? ORDER BY start_ts",
            [uid],
        ),
        0,
    )
    want = [(x["phase"], x["start"], x["end"]) for x in p["phases"]]
    assert _same(phases, want, tol), (label, phases, want)
    conds = _without_gaps(
        db.rows(
            "SELECT condition, status, start_ts, CASE WHEN NOT open THEN end_ts END, basis"
            " FROM condition_intervals WHERE pod_uid = ? ORDER BY condition, start_ts",
            [uid],
        ),
        1,
    )
    ordered = sorted(p["conditions"], key=lambda x: (x["condition"], x["start"]))
    want = [(x["condition"], x["status"], x["start"], x["end"]) for x in ordered]
    assert _same(conds, want, tol), (label, conds, want)
    for c in p["containers"]:
        states = _without_gaps(
            db.rows(
                "SELECT state, reason, exit_code, start_ts, CASE WHEN NOT open THEN end_ts END,"
                " basis FROM container_intervals WHERE pod_uid = ? AND container = ?"
                " ORDER BY start_ts",
                [uid, c["container"]],
            ),
            0,
        )
        want = [
            (x["state"], x["reason"], x["exit_code"], x["start"], x["end"]) for x in c["states"]
        ]
        assert _same(states, want, tol), (label, c["container"], states, want)
    restarts = db.rows(
        'SELECT container, restart_no, "at", exit_code FROM restarts WHERE pod_uid = ?'
        " ORDER BY container, restart_no",
        [uid],
    )
    want = [(x["container"], x["restart_no"], _ts(x["at"]), x["exit_code"]) for x in p["restarts"]]
    assert restarts == sorted(want), (label, restarts, want)
    # time inside gaps is `unknown_s` where the rebuild tells it apart, else still its phase
    columns = {r[0] for r in db.rows("SELECT column_name FROM (DESCRIBE pod_stats)")}
    unknown = "unknown_s" if "unknown_s" in columns else "0.0"
    ((restart_count, running, pending, unseen),) = db.rows(
        f"SELECT restarts, running_s, pending_s, {unknown} FROM pod_stats WHERE pod_uid = ?", [uid]
    )
    s = p["stats"]
    assert restart_count == s["restarts"], label
    for got, want_s in ((running, s["running_s"]), (pending, s["pending_s"])):
        if got is None:  # a gap-aware rebuild leaves out a figure a gap makes unknowable
            assert unseen > 0, (label, running, pending, s)
        else:
            assert abs(got - want_s) <= 2 * tol + unseen, (label, running, pending, s)

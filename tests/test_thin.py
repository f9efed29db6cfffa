"""Thin captures (`simulate --thin`): a late look at a long-running cluster — one pod List at the
end (or Lists minutes apart), only the events of the last hour, no watch stream. Properties: the
rebuild claims nothing the simulated cluster did not do, and finds what the capture can tell
(the truth's `knowable` part).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from podreplay.cli import app
from podreplay.derive import ingest_and_rebuild
from podreplay.simulate import simulate
from podreplay.store import Store

SLACK = timedelta(seconds=1)  # timestamps have 1 s resolution


def thin_db(root: Path, seed: int, duration: int, every: int | None) -> tuple[Path, dict[str, Any]]:
    out = root / f"thin-{seed}-{duration}-{every}"
    res = simulate(out, pods=24, seed=seed, duration_s=duration, snapshot_every_s=every, thin=True)
    db = out / "db.duckdb"
    paths = [p for p in (res.events_path, res.events_v1_path) if p] + res.snapshot_paths
    with Store(db) as store:
        ingest_and_rebuild(store, paths)
    return db, res.truth


def t(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def covered(lo: datetime, hi: datetime, spans: list[tuple[datetime, datetime | None]]) -> bool:
    """Whether [lo, hi] lies within the union of spans (end None: still going)."""
    at = lo
    for start, end in sorted(spans):
        if start <= at and (end is None or end >= at):
            at = hi if end is None else max(at, end)
        if at >= hi:
            return True
    return at >= hi


def check(db: Path, truth: dict[str, Any]) -> None:
    pods = {p["pod_uid"]: p for p in truth["pods"]}
    with Store(db, read_only=True) as store:
        phases = store.rows(
            "SELECT pod_uid, phase, start_ts, end_ts FROM phase_intervals WHERE basis <> 'gap'"
        )
        stats = {
            r[0]: r[1:]
            for r in store.rows(
                "SELECT s.pod_uid, s.final_phase, s.restarts, s.pending_s, p.deleted_after,"
                " p.deleted_at FROM pod_stats AS s JOIN pods AS p USING (pod_uid)"
            )
        }
    # nothing claimed: every evidenced phase interval is a time the pod really was in it
    for uid, phase, start, end in phases:
        if end - start <= 2 * SLACK:
            continue
        # known limit: without a pod object (its spec), a native sidecar's events cannot be told
        # from an init container's, and init container activity reads as Pending
        know = pods[uid]["knowable"]
        if (
            pods[uid]["scenario"] == "native_sidecar"
            and phase == "Pending"
            and not know["in_last_list"]
        ):
            continue
        # known limit: a node that stopped reporting and came back leaves a later snapshot
        # showing the same container running since before: the reported Unknown spell between
        # is invisible, so a Running claim may cover it
        same = {phase, "Unknown"} if phase == "Running" else {phase}
        spans = [(t(x["start"]), t(x["end"])) for x in pods[uid]["phases"] if x["phase"] in same]
        assert covered(start + SLACK, end - SLACK, spans), (pods[uid]["scenario"], phase, start)
    for uid, (final_phase, restarts, pending_s, deleted_after, deleted_at) in stats.items():
        truth_pod, know = pods[uid], pods[uid]["knowable"]
        assert know["visible"], uid
        # a Pending figure is the truth's, or (pinned within a minute) at most a minute more;
        # a pod dated by its Scheduled event (0-1 s after creation, with a sub-second part)
        # may come out up to 2 s short
        true_pending = truth_pod["stats"]["pending_s"]
        if pending_s is not None:
            assert true_pending - 2 <= pending_s <= true_pending + 61, truth_pod["scenario"]
        # a pod seen gone is gone by then, and was there at its last sighting
        if deleted_at is not None:
            gone = t(truth_pod["deleted_at"])
            assert gone is not None and deleted_after - SLACK <= gone <= deleted_at + SLACK
        # everything knowable is found
        if know["final_phase"] is not None:
            assert final_phase == know["final_phase"]
        if know["restarts"] is not None:
            assert restarts == know["restarts"]
        if know["pending_s"] is not None:
            assert pending_s is not None and abs(pending_s - know["pending_s"]) <= 1
    # every pod the capture shows is in the rebuild
    assert {u for u, p in pods.items() if p["knowable"]["visible"]} == set(stats)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    duration=st.sampled_from([7200, 10800]),
    every=st.sampled_from([None, 600, 1800]),
)
def test_thin_captures_claim_nothing_beyond_the_evidence_and_find_what_is_knowable(
    tmp_path_factory: Any, seed: int, duration: int, every: int | None
) -> None:
    db, truth = thin_db(tmp_path_factory.mktemp("thin"), seed, duration, every)
    check(db, truth)


def test_simulate_thin_writes_one_list_and_the_last_hour_of_events(tmp_path: Path) -> None:
    out = tmp_path / "cap"
    res = CliRunner().invoke(
        app,
        ["simulate", "--thin", "--pods", "20", "--seed", "4", "--duration", "7200", "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert [p.name for p in (out / "pods").iterdir()] == ["pods-20240301T040000Z.json"]
    assert not (out / "pods-watch.ndjson").exists()
    truth = res_truth(out)
    assert truth["thin"] is True
    assert all("knowable" in p for p in truth["pods"])
    # an event object survives only when updated within the last hour
    events = json.loads((out / "events.json").read_text())["items"]
    assert events
    assert min(e["lastTimestamp"] for e in events) >= "2024-03-01T03:00:00Z"


def res_truth(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "ground_truth.json").read_text())
    return doc

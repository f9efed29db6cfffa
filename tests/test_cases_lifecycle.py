"""Lifecycle cases real clusters produce, simulated with ground truth and rebuilt: native
sidecars (restartable init containers), init container failures, pods older than the capture.
For the first two the properties are those tests/test_lifecycle_truth.py checks for every
scenario: with every capture form the rebuild matches the truth exactly; with snapshots and
events restarts follow restartCount; events alone prove every restart. Pods that predate the
capture match the truth exactly from the capture start on."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from podreplay.store import Store
from tests.support.cli import run
from tests.support.lifecycle_rows import check_intervals_tile_time
from tests.support.truth import (
    SETTINGS,
    Rows,
    check_events_alone_prove_restarts_and_probe_failures,
    check_every_capture_form_recovers_the_truth,
    check_pod_exactly,
    check_snapshots_and_events_give_restart_counts,
    interval_pairs,
    rebuilt_capture,
    restart_pair,
    same_intervals,
    scenario_sets,
    ts,
)

CASES = ["native_sidecar", "init_failure", "ephemeral_debug", "inplace_resize"]


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(CASES))
def test_sidecars_and_init_failures_are_rebuilt_exactly(seed: int, scenario: str) -> None:
    check_every_capture_form_recovers_the_truth(seed, [scenario])


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20))
def test_ephemeral_containers_are_rebuilt_as_such_and_never_restarts(seed: int) -> None:
    with rebuilt_capture(seed, ["ephemeral_debug"]) as (store, truth):
        for p in truth["pods"]:
            check_pod_exactly(store, p)  # no app container, restart or readiness change
            got = store.rows(
                "SELECT container, target, state, started_at, finished_at, exit_code"
                " FROM ephemeral_containers WHERE pod_uid = ? ORDER BY started_at",
                [p["pod_uid"]],
            )
            want = [
                (e["container"], e["target"], e["state"], ts(e["started_at"]),
                 ts(e["finished_at"]), e["exit_code"])
                for e in p["ephemeral_containers"]
            ]  # fmt: skip
            assert got == want, (p["pod"], got, want)


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(CASES))
def test_sidecar_and_init_restarts_follow_restart_count_and_events(
    seed: int, scenario: str
) -> None:
    check_snapshots_and_events_give_restart_counts(seed, [scenario])
    check_events_alone_prove_restarts_and_probe_failures(seed, [scenario])


# -- pods that predate the capture ------------------------------------------------------------
LEAD_IN_S = 7_200  # the cluster ran two hours before the capture started


def clipped(ivs: list[tuple[Any, ...]], lo: datetime) -> list[tuple[Any, ...]]:
    """Intervals (labels…, start, end or None) cut to start at `lo`."""
    return [(*iv[:-2], max(iv[-2], lo), iv[-1]) for iv in ivs if iv[-1] is None or iv[-1] > lo]


def unseen_removals_dropped(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> Rows:
    """The truth's clipped conditions without a first `absent` interval the rebuild does not
    start with: a condition the kubelet removed before the capture start (a resize done) is
    merely not reported in the capture, which the rebuild shows as no interval, as for a pod
    that never had it. The rebuild's own `absent` must still be the truth's."""
    got_first: dict[str, str] = {}
    for cond, status, *_ in sorted(got, key=lambda iv: iv[-2]):
        got_first.setdefault(cond, status)
    out: Rows = []
    seen: set[str] = set()
    for iv in sorted(want, key=lambda iv: (iv[0], iv[-2])):
        if iv[0] in seen or iv[1] != "absent" or got_first.get(iv[0]) == "absent":
            out.append(iv)
        seen.add(iv[0])
    return sorted(out)


def check_predating_pod(store: Store, p: dict[str, Any], lo: datetime) -> None:
    """From the capture start on everything is observed (a watch lists the pod as it was then):
    intervals match the truth exactly, but for a condition removed before the start; before it
    only status times speak, and restart numbers come from restartCount, times and causes of
    earlier restarts only where still shown."""
    uid, label = p["pod_uid"], f"{p['scenario']} {p['namespace']}/{p['pod']}"
    for what, got, want in interval_pairs(store, p):
        got_c, want_c = clipped(got, lo), clipped(want, lo)
        if what == "conditions":
            want_c = unseen_removals_dropped(got_c, want_c)
        assert same_intervals(got_c, want_c), (label, what, got, want)
    got, want = restart_pair(store, p)
    assert [g[:2] for g in got] == [w[:2] for w in want], (label, got, want)
    for g, w in zip(got, want, strict=True):
        if w[2] >= lo:
            assert g == w, (label, g, w)
        else:  # before the capture: unknown, or what a status time still shows; a probe or
            # resize kill whose Killing event expired reads as the exit it left (`error` for
            # 137 / 143, `completed` for 0)
            left = {0: "completed", 137: "error", 143: "error"}.get(w[4])
            announced = w[3].endswith("_probe") or w[3] == "resize"
            causes = ("unknown", w[3], left) if announced and left else ("unknown", w[3])
            assert g[2] in (None, w[2]) and g[3] in causes and g[4] in (None, w[4]), (label, g, w)
    row = store.rows(
        "SELECT created_at, final_phase, final_reason, node FROM pods WHERE pod_uid = ?", [uid]
    )
    assert row == [(ts(p["created_at"]), p["final_phase"], p["final_reason"], p["node"])], label


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenarios=scenario_sets)
@example(seed=0, scenarios=["healthy", "inplace_resize"])  # resizes done before the start
@example(seed=30, scenarios=["inplace_resize"])  # resize kills whose Killing events expired
def test_pods_that_predate_the_capture_are_rebuilt_from_its_start_on(
    seed: int, scenarios: list[str]
) -> None:
    with rebuilt_capture(seed, scenarios, lead_in_s=LEAD_IN_S) as (store, truth):
        check_intervals_tile_time(store)
        lo = ts(truth["capture_start"])
        assert lo is not None
        for p in truth["pods"]:
            if p["predates_capture"]:
                check_predating_pod(store, p, lo)
            else:
                check_pod_exactly(store, p)


def test_simulate_lead_in_starts_the_capture_in_the_pods_mid_life(tmp_path: Path) -> None:
    out = tmp_path / "cap"
    args = ["simulate", "--lead-in", "7200", "--pods", "8", "--seed", "3", "--duration", "600"]
    res = run(*args, "-o", str(out))
    assert res.exit_code == 0, res.output
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["lead_in_s"] == 7200
    older = [p for p in truth["pods"] if p["predates_capture"]]
    assert older and all(p["created_at"] < truth["capture_start"] for p in older)
    # the watch lists each older pod once as ADDED at the capture start, in its state then
    recs = [json.loads(line) for line in (out / "pods-watch.ndjson").read_text().splitlines()]
    added = {r["object"]["metadata"]["uid"]: r for r in recs if r["type"] == "ADDED"}
    assert all(added[p["pod_uid"]]["observedAt"] == truth["capture_start"] for p in older)
    assert min(r["observedAt"] for r in recs) == truth["capture_start"]
    bad = run("simulate", "--lead-in", "-5", "-o", str(tmp_path / "x"))
    assert bad.exit_code != 0 and "--lead-in" in bad.output and "Traceback" not in bad.output


# -- native sidecars seen through events alone -------------------------------------------------
@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20))
def test_events_alone_never_show_a_sidecar_pod_stuck_initialising(seed: int) -> None:
    # no pod spec: a sidecar cannot be told from an init container until it runs again after
    # the app started. Nothing false is claimed: no Pending once the app ran, no sidecar
    # Completed, Initialized True no earlier than it was
    with rebuilt_capture(seed, ["native_sidecar"], ("events", "events_v1")) as (store, truth):
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            uid, label = p["pod_uid"], p["pod"]
            ran = next((ts(x["start"]) for x in p["phases"] if x["phase"] == "Running"), None)
            if ran is None or "events" not in p["seen_in"]:
                continue
            late_pending = store.scalar(
                "SELECT count(*) FROM phase_intervals WHERE pod_uid = ? AND phase = 'Pending'"
                " AND start_ts >= ?",
                [uid, ran],
            )
            assert late_pending == 0, label
            for c in p["containers"]:  # an init container still running: a sidecar
                if not c["is_init"] or c["states"][-1]["state"] != "running":
                    continue
                done = store.rows(
                    "SELECT start_ts FROM container_intervals WHERE pod_uid = ? AND container = ?"
                    " AND reason = 'Completed'",
                    [uid, c["container"]],
                )
                assert done == [], (label, c["container"], done)
            want = next(
                ts(x["start"])
                for x in p["conditions"]
                if x["condition"] == "Initialized" and x["status"] == "True"
            )
            got = store.scalar(
                "SELECT min(start_ts) FROM condition_intervals WHERE pod_uid = ?"
                " AND condition = 'Initialized' AND status = 'True'",
                [uid],
            )
            assert got is not None and want is not None and got >= want, (label, got, want)

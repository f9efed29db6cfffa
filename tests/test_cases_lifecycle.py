"""Lifecycle cases real clusters produce, simulated with ground truth and rebuilt: native
sidecars (restartable init containers), init container failures, pods older than the capture.
For the first two the properties are those tests/test_lifecycle_truth.py checks for every
scenario: with every capture form the rebuild matches the truth exactly; with snapshots and
events restarts follow restartCount; events alone prove every restart. Pods that predate the
capture match the truth exactly from the capture start on."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from podreplay.cli import app
from podreplay.derive import ingest_and_rebuild
from podreplay.simulate import simulate
from podreplay.store import Store
from tests.lifecycle_rows import check_intervals_tile_time
from tests.test_lifecycle_truth import (
    SETTINGS,
    check_pod_exactly,
    interval_pairs,
    rebuilt_capture,
    restart_pair,
    same_intervals,
    scenario_sets,
    ts,
)
from tests.test_lifecycle_truth import (
    test_events_alone_prove_every_restart_and_probe_failure as events_alone,
)
from tests.test_lifecycle_truth import (
    test_every_capture_form_together_recovers_the_truth_exactly as every_form,
)
from tests.test_lifecycle_truth import (
    test_snapshots_and_events_give_restart_counts_equal_to_restart_count as snapshots_and_events,
)

CASES = ["native_sidecar", "init_failure", "ephemeral_debug", "inplace_resize"]


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenario=st.sampled_from(CASES))
def test_sidecars_and_init_failures_are_rebuilt_exactly(seed: int, scenario: str) -> None:
    every_form.hypothesis.inner_test(seed, [scenario])


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
    snapshots_and_events.hypothesis.inner_test(seed, [scenario])
    events_alone.hypothesis.inner_test(seed, [scenario])


# -- pods that predate the capture ------------------------------------------------------------
LEAD_IN_S = 7_200  # the cluster ran two hours before the capture started


def clipped(ivs: list[tuple[Any, ...]], lo: datetime) -> list[tuple[Any, ...]]:
    """Intervals (labels…, start, end or None) cut to start at `lo`."""
    return [(*iv[:-2], max(iv[-2], lo), iv[-1]) for iv in ivs if iv[-1] is None or iv[-1] > lo]


def check_predating_pod(store: Store, p: dict[str, Any], lo: datetime) -> None:
    """From the capture start on everything is observed (a watch lists the pod as it was then):
    intervals match the truth exactly; before it only status times speak, and restart numbers
    come from restartCount, times and causes of earlier restarts only where still shown."""
    uid, label = p["pod_uid"], f"{p['scenario']} {p['namespace']}/{p['pod']}"
    for what, got, want in interval_pairs(store, p):
        assert same_intervals(clipped(got, lo), clipped(want, lo)), (label, what, got, want)
    got, want = restart_pair(store, p)
    assert [g[:2] for g in got] == [w[:2] for w in want], (label, got, want)
    for g, w in zip(got, want, strict=True):
        if w[2] >= lo:
            assert g == w, (label, g, w)
        else:  # before the capture: unknown, or what a status time still shows; a probe
            # kill whose Killing event expired reads as the exit it left (`error`)
            expired_kill = w[3].endswith("_probe") and w[4] in (137, 143)
            causes = ("unknown", w[3], "error") if expired_kill else ("unknown", w[3])
            assert g[2] in (None, w[2]) and g[3] in causes and g[4] in (None, w[4]), (label, g, w)
    row = store.rows(
        "SELECT created_at, final_phase, final_reason, node FROM pods WHERE pod_uid = ?", [uid]
    )
    assert row == [(ts(p["created_at"]), p["final_phase"], p["final_reason"], p["node"])], label


@pytest.mark.slow
@SETTINGS
@given(seed=st.integers(0, 2**20), scenarios=scenario_sets)
def test_pods_that_predate_the_capture_are_rebuilt_from_its_start_on(
    seed: int, scenarios: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "capture"
        res = simulate(
            out, pods=6, seed=seed, scenarios=scenarios, duration_s=900,
            snapshot_every_s=300, lead_in_s=LEAD_IN_S,
        )  # fmt: skip
        with Store(Path(tmp) / "test.duckdb") as store:
            ingest_and_rebuild(store, [out])
            check_intervals_tile_time(store)
            lo = ts(res.truth["capture_start"])
            assert lo is not None
            for p in res.truth["pods"]:
                if p["predates_capture"]:
                    check_predating_pod(store, p, lo)
                else:
                    check_pod_exactly(store, p)


def test_simulate_lead_in_starts_the_capture_in_the_pods_mid_life(tmp_path: Path) -> None:
    out = tmp_path / "cap"
    args = ["simulate", "--lead-in", "7200", "--pods", "8", "--seed", "3", "--duration", "600"]
    res = CliRunner().invoke(app, [*args, "-o", str(out)])
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
    bad = CliRunner().invoke(app, ["simulate", "--lead-in", "-5", "-o", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "--lead-in" in bad.output and "Traceback" not in bad.output

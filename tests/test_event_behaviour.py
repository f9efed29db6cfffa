"""Event behaviour of real clusters against the simulator's ground truth: the 1-hour event TTL,
the client-go aggregation and spam filter (25 events per source and object, then one per 5 min;
`(combined from similar events)` messages) and the events.k8s.io series flush lag. The rebuild
must claim nothing the surviving events do not show: counts are lower bounds, combined
messages are read by their message, and lagging series never move a time."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from podreplay.derive import ingest_and_rebuild
from podreplay.simevents import EVENT_BEHAVIOURS
from podreplay.simulate import SCENARIO_NAMES, generate, simulate, write_capture
from podreplay.store import Store
from tests.lifecycle_rows import check_intervals_tile_time
from tests.test_lifecycle_truth import SETTINGS, check_pod_exactly, ts

FAST = settings(SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])
SLACK = timedelta(seconds=1)  # eventTime / lastObservedTime carry a sub-second part
scenario_sets = st.lists(st.sampled_from(SCENARIO_NAMES), min_size=1, max_size=3, unique=True)


@contextmanager
def rebuilt(
    seed: int, scenarios: list[str], formats: tuple[str, ...]
) -> Iterator[tuple[Store, dict[str, Any]]]:
    """A 90-minute capture with every event behaviour on, ingested and rebuilt."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "capture"
        res = simulate(
            out,
            pods=6,
            seed=seed,
            scenarios=scenarios,
            duration_s=5400,
            snapshot_every_s=300,
            formats=formats,
            event_behaviour=EVENT_BEHAVIOURS,
        )
        with Store(Path(tmp) / "test.duckdb") as store:
            ingest_and_rebuild(store, [out])
            yield store, res.truth


def check_claims_only_what_survived(store: Store, truth: dict[str, Any]) -> None:
    assert truth["event_behaviour"] == sorted(EVENT_BEHAVIOURS)
    for p in truth["pods"]:
        uid, label = p["pod_uid"], f"{p['scenario']} {p['pod']}"
        got = {
            r: (n, first, last)
            for r, n, first, last in store.rows(
                "SELECT reason, sum(count), min(first_ts), max(last_ts) FROM pod_events"
                " WHERE pod_uid = ? GROUP BY reason",
                [uid],
            )
        }
        for k in p["events_knowable"]:
            n, first, last = got.get(k["reason"], (0, None, None))
            # exactly what the surviving objects hold, never more than happened
            assert n == k["written"] <= k["occurred"], (label, k, n)
            if n:
                assert first + SLACK >= ts(k["first_ts"]), (label, k, first)
                assert last - SLACK <= ts(k["written_last_ts"]) <= ts(k["last_ts"]), (label, k)
        # restarts and probe failures read from events are lower bounds
        n_restarts = store.scalar("SELECT count(*) FROM restarts WHERE pod_uid = ?", [uid])
        assert n_restarts <= len(p["restarts"]), (label, n_restarts)
        fails = store.scalar(
            "SELECT coalesce(sum(count), 0) FROM probe_failures WHERE pod_uid = ?", [uid]
        )
        assert fails <= sum(x["count"] for x in p["probe_failures"]), label
        # a combined message is read by its message
        assert not store.scalar(
            "SELECT count(*) FROM pod_events WHERE pod_uid = ? AND message LIKE '(combined%'",
            [uid],
        )


@pytest.mark.slow
@FAST
@given(seed=st.integers(0, 2**20), scenarios=scenario_sets)
def test_events_alone_claim_nothing_the_surviving_events_do_not_show(
    seed: int, scenarios: list[str]
) -> None:
    with rebuilt(seed, scenarios, ("events", "events_v1")) as (store, truth):
        check_intervals_tile_time(store)
        check_claims_only_what_survived(store, truth)
        for p in truth["pods"]:
            # the Scheduled event is never part of a series: the time it was bound stays exact
            sched = next((k for k in p["events_knowable"] if k["reason"] == "Scheduled"), None)
            if sched and sched["written"]:
                got = store.scalar(
                    "SELECT min(start_ts) FROM condition_intervals WHERE pod_uid = ?"
                    " AND condition = 'PodScheduled' AND status = 'True'",
                    [p["pod_uid"]],
                )
                want = next(
                    c["start"] for c in p["conditions"]
                    if c["condition"] == "PodScheduled" and c["status"] == "True"
                )  # fmt: skip
                assert abs(got - ts(want)) <= SLACK, (p["pod"], got, want)


@pytest.mark.slow
@FAST
@given(seed=st.integers(0, 2**20), scenarios=scenario_sets)
def test_the_watch_stream_keeps_the_rebuild_exact_whatever_the_events_lost(
    seed: int, scenarios: list[str]
) -> None:
    with rebuilt(seed, scenarios, ("events", "events_v1", "snapshots", "watch")) as (store, truth):
        check_intervals_tile_time(store)
        check_claims_only_what_survived(store, truth)
        for p in truth["pods"]:
            # the watch stream dates no probe failure: those the spam filter or the TTL cut
            # are gone (check_claims_only_what_survived holds them to what survived)
            cut = any(
                k["reason"] == "Unhealthy" and k["written"] < k["occurred"]
                for k in p["events_knowable"]
            )
            check_pod_exactly(store, p, probes_exact=not cut)


def test_spam_filter_keeps_25_then_one_per_5_minutes_and_combines_similar_events(
    tmp_path: Path,
) -> None:
    # a sandbox failing every 10-30 s for many minutes: each message names its sandbox, so after
    # 9 distinct ones the rest go to one combined object; the pod's bucket of 25 then lets one
    # event through per 5 min, so the count stops short of what happened
    for seed in range(40):
        cap = generate(pods=1, seed=seed, scenarios=["sandbox_failure"], duration_s=3600)
        res = write_capture(cap, tmp_path / f"c{seed}", event_behaviour=["spam_filter"])
        [pod] = res.truth["pods"]
        k = next(k for k in pod["events_knowable"] if k["reason"] == "FailedCreatePodSandBox")
        if k["occurred"] >= 40:
            break
    else:
        pytest.fail("no seed keeps the sandbox failing")
    assert k["written"] < k["occurred"]
    with Store(tmp_path / "db.duckdb") as store:
        ingest_and_rebuild(store, [tmp_path / f"c{seed}"])
        rows = store.rows(
            "SELECT combined, count(*), sum(count) FROM pod_events"
            " WHERE reason = 'FailedCreatePodSandBox' GROUP BY combined ORDER BY combined"
        )
        assert [r[:2] for r in rows] == [(False, 9), (True, 1)]
        assert sum(r[2] for r in rows) == k["written"]
        raw = store.scalar(
            "SELECT count(*) FROM events WHERE message LIKE '(combined from similar events): %'"
        )
        assert raw == 1
        [(cause, events)] = store.rows("SELECT cause, events FROM creation_blocks")
        changed = [x["written"] for x in pod["events_knowable"] if x["reason"] == "SandboxChanged"]
        assert cause == "sandbox" and events == k["written"] + sum(changed)


def test_series_written_up_to_the_last_flush(tmp_path: Path) -> None:
    # a pod unschedulable to the end: its FailedScheduling series was last written by the
    # 30-minute heartbeat, so the capture shows fewer attempts, and an earlier last one
    for seed in range(20):
        cap = generate(pods=1, seed=seed, scenarios=["unschedulable"], duration_s=3600)
        res = write_capture(cap, tmp_path / f"c{seed}", event_behaviour=["series_lag"])
        [pod] = res.truth["pods"]
        k = next(k for k in pod["events_knowable"] if k["reason"] == "FailedScheduling")
        if pod["final_phase"] == "Pending" and k["written"] < k["occurred"]:
            assert k["written_last_ts"] < k["last_ts"]
            assert k["written_first_ts"] == k["first_ts"]
            return
    pytest.fail("no seed shows the series lag")


def test_unknown_event_behaviour_is_a_one_line_usage_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from podreplay.cli.app import app

    res = CliRunner().invoke(
        app, ["simulate", "--out", str(tmp_path / "x"), "--pods", "1", "--event-behaviour", "nope"]
    )
    assert res.exit_code != 0 and "unknown event behaviour 'nope'" in res.output
    assert "Traceback" not in res.output

"""The simulator's ground truth against the rebuild: a short simulated capture ingested and
rebuilt, and checks that its pods come back exactly (times within the 1 s resolution of the
sources) or within the documented limits of less evidence."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from podreplay.sim.simulate import SCENARIO_NAMES, simulate
from podreplay.store import Store
from tests.support.db import load
from tests.support.lifecycle_rows import check_intervals_tile_time

RESOLUTION_S = 1.0
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
scenario_sets = st.lists(st.sampled_from(SCENARIO_NAMES), min_size=1, max_size=3, unique=True)


@contextmanager
def rebuilt_capture(
    seed: int,
    scenarios: list[str],
    formats: tuple[str, ...] | None = None,
    k8s_version: str | None = None,
    **options: Any,
) -> Iterator[tuple[Store, dict[str, Any]]]:
    """Simulate a short capture (6 pods for 15 minutes, a snapshot every 5, unless `options`
    for `simulate` say otherwise), ingest it into a fresh file and rebuild; yields
    (store, truth)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "capture"
        kwargs: dict[str, Any] = {"pods": 6, "duration_s": 900, "snapshot_every_s": 300}
        kwargs.update(options)
        if formats is not None:
            kwargs["formats"] = formats
        if k8s_version is not None:
            kwargs["k8s_version"] = k8s_version
        res = simulate(out, seed=seed, scenarios=scenarios, **kwargs)
        with Store(Path(tmp) / "test.duckdb") as store:
            load(store, [out])
            yield store, res.truth


def ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def close(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs((a - b).total_seconds()) <= RESOLUTION_S


def same_intervals(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> bool:
    """Same labels in the same order; start and end (None = open) within the resolution."""
    if len(got) != len(want):
        return False
    return all(
        g[:-2] == w[:-2] and close(g[-2], w[-2]) and close(g[-1], w[-1])
        for g, w in zip(got, want, strict=True)
    )


def open_end(end: datetime, is_open: bool) -> datetime | None:
    return None if is_open else end


Rows = list[tuple[Any, ...]]


def interval_pairs(store: Store, p: dict[str, Any]) -> Iterator[tuple[str, Rows, Rows]]:
    """(what, rebuilt, truth) for the pod's phases, conditions and each container's states;
    intervals are (labels…, start, end or None while open)."""
    uid = p["pod_uid"]
    phases = [
        (ph, s, open_end(e, o))
        for ph, s, e, o in store.rows(
            "SELECT phase, start_ts, end_ts, open FROM phase_intervals WHERE pod_uid = ?"
            " ORDER BY start_ts",
            [uid],
        )
    ]
    yield "phases", phases, [(x["phase"], ts(x["start"]), ts(x["end"])) for x in p["phases"]]
    conds = sorted(
        (c, st_, s, open_end(e, o))
        for c, st_, s, e, o in store.rows(
            "SELECT condition, status, start_ts, end_ts, open FROM condition_intervals"
            " WHERE pod_uid = ?",
            [uid],
        )
    )
    want = sorted(
        (x["condition"], x["status"], ts(x["start"]), ts(x["end"])) for x in p["conditions"]
    )
    yield "conditions", conds, want
    for c in p["containers"]:
        states = [
            (st_, r, ec, s, open_end(e, o))
            for st_, r, ec, s, e, o in store.rows(
                "SELECT state, reason, exit_code, start_ts, end_ts, open FROM container_intervals"
                " WHERE pod_uid = ? AND container = ? ORDER BY start_ts",
                [uid, c["container"]],
            )
        ]
        want = [
            (x["state"], x["reason"], x["exit_code"], ts(x["start"]), ts(x["end"]))
            for x in c["states"]
        ]
        yield c["container"], states, want


def restart_pair(store: Store, p: dict[str, Any]) -> tuple[Rows, Rows]:
    """(rebuilt, truth) restarts: (container, restart_no, at, cause, exit_code)."""
    restarts = store.rows(
        'SELECT container, restart_no, "at", cause, exit_code FROM restarts WHERE pod_uid = ?'
        " ORDER BY container, restart_no",
        [p["pod_uid"]],
    )
    want = sorted(
        (x["container"], x["restart_no"], ts(x["at"]), x["cause"], x["exit_code"])
        for x in p["restarts"]
    )
    return restarts, want


def check_pod_exactly(store: Store, p: dict[str, Any], probes_exact: bool = True) -> None:
    """Everything the truth says of the pod, exactly; `probes_exact` False where the probe
    failure events were cut (spam filter, TTL): their counts are then lower bounds only."""
    uid = p["pod_uid"]
    label = f"{p['scenario']} {p['namespace']}/{p['pod']}"
    for what, got, want in interval_pairs(store, p):
        assert same_intervals(got, want), (label, what, got, want)
    restarts, want = restart_pair(store, p)
    assert restarts == want, (label, restarts, want)

    probes = store.rows(
        "SELECT container, probe, count, first_ts, last_ts FROM probe_failures WHERE pod_uid = ?"
        " ORDER BY container, probe",
        [uid],
    )
    want = sorted(
        (x["container"], x["probe"], x["count"], ts(x["first_ts"]), ts(x["last_ts"]))
        for x in p["probe_failures"]
    )
    assert probes == want or not probes_exact, (label, probes, want)

    row = store.rows(
        "SELECT created_at, deletion_requested_at, deleted_at, final_phase, final_reason, node,"
        " qos_class FROM pods WHERE pod_uid = ?",
        [uid],
    )
    want_row = (
        ts(p["created_at"]),
        ts(p["deletion_requested_at"]),
        ts(p["deleted_at"]),
        p["final_phase"],
        p["final_reason"],
        p["node"],
        p["qos_class"],
    )
    assert row == [want_row], (label, row, want_row)


def check_every_capture_form_recovers_the_truth(seed: int, scenarios: list[str]) -> None:
    """With every capture form written the truth is fully observable: every pod exactly."""
    with rebuilt_capture(seed, scenarios) as (store, truth):
        assert store.scalar("SELECT count(*) FROM pods") == len(truth["pods"])
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            check_pod_exactly(store, p)


def check_snapshots_and_events_give_restart_counts(seed: int, scenarios: list[str]) -> None:
    """Snapshots and events: restarts follow the last restartCount; phases the last observed."""
    with rebuilt_capture(seed, scenarios, ("events", "snapshots")) as (store, truth):
        check_intervals_tile_time(store)
        # every container's restarts = the restartCount of its last snapshot, from the raw
        # pod objects the ingester stored
        last = store.rows(
            "SELECT pod_uid, c.value->>'name', (c.value->>'restartCount')::INTEGER"
            " FROM (SELECT * FROM pod_snapshots QUALIFY row_number() OVER"
            " (PARTITION BY pod_uid ORDER BY observed_at DESC) = 1) AS p,"
            " json_each(p.raw, '$.status.containerStatuses') AS c"
        )
        for uid, name, count in last:
            got = store.scalar(
                "SELECT count(*) FROM restarts WHERE pod_uid = ? AND container = ?", [uid, name]
            )
            assert got == count, (uid, name, got, count)
        by_uid = {p["pod_uid"]: p for p in truth["pods"]}
        for uid, phase in store.rows("SELECT pod_uid, final_phase FROM pods"):
            # a pod that ends between two snapshots can only show its last observed phase
            if by_uid[uid]["deleted_at"] is None:
                assert phase == by_uid[uid]["final_phase"], uid


def check_events_alone_prove_restarts_and_probe_failures(seed: int, scenarios: list[str]) -> None:
    """Events alone: every restart and probe failure they prove, no more."""
    with rebuilt_capture(seed, scenarios, ("events", "events_v1")) as (store, truth):
        check_intervals_tile_time(store)
        for p in truth["pods"]:
            if "events" not in p["seen_in"]:
                continue
            got = store.scalar("SELECT count(*) FROM restarts WHERE pod_uid = ?", [p["pod_uid"]])
            # a probe kill in the capture's last minute announces a restart ("will be restarted")
            # that the capture ends before: the rebuild counts it (undated), the truth not yet
            pending = store.scalar(
                "SELECT count(*) FROM restarts, capture_span AS cs WHERE pod_uid = ?"
                ' AND "at" IS NULL AND killing_ts >= cs.end_ts - INTERVAL 60 SECOND',
                [p["pod_uid"]],
            )
            assert got - pending == len(p["restarts"]), (p["pod"], got, pending, p["restarts"])
            probes = store.rows(
                "SELECT container, probe, count FROM probe_failures WHERE pod_uid = ?"
                " ORDER BY container, probe",
                [p["pod_uid"]],
            )
            want = sorted((x["container"], x["probe"], x["count"]) for x in p["probe_failures"])
            assert probes == want, (p["pod"], probes, want)
            # the restarts events can name a cause for are the probe kills, exactly
            probe_kills = store.scalar(
                "SELECT count(*) FROM restarts WHERE pod_uid = ? AND cause LIKE '%_probe'",
                [p["pod_uid"]],
            )
            want_kills = sum(1 for r in p["restarts"] if r["cause"].endswith("_probe"))
            assert probe_kills - pending == want_kills, (p["pod"], probe_kills, want_kills)

"""`podreplay export --trace`: a Chrome trace-event file that follows the format's rules and holds
every pod, interval and event of the capture at the right times."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.store import Store
from tests.analytics_data import SimDb, simulated_db
from tests.conftest import REAL
from tests.trace_rules import violations

runner = CliRunner()


def us(value: datetime | str) -> int:
    """A time as integer microseconds since the epoch."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return round(value.timestamp() * 1_000_000)


def export(db: Path, out: Path, *extra: str) -> dict[str, Any]:
    res = runner.invoke(app, ["export", "--trace", str(out), "--db", str(db), *extra])
    assert res.exit_code == 0, res.stderr
    assert res.stdout == ""
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> SimDb:
    return simulated_db(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def trace(sim: SimDb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return export(sim.db, tmp_path_factory.mktemp("trace") / "trace.json")


def events_of(doc: dict[str, Any], ph: str, cat: str | None = None) -> list[dict[str, Any]]:
    return [e for e in doc["traceEvents"] if e["ph"] == ph and (cat is None or e["cat"] == cat)]


def test_the_simulated_trace_follows_the_format_rules(trace: dict[str, Any]) -> None:
    assert violations(trace) == []
    assert events_of(trace, "X") and events_of(trace, "i") and events_of(trace, "s")


@pytest.mark.parametrize("group_by", ["namespace", "node"])
def test_one_process_per_group_and_one_pod_track_per_pod(
    sim: SimDb, tmp_path: Path, group_by: str
) -> None:
    doc = export(sim.db, tmp_path / "t.json", "--group-by", group_by)
    assert violations(doc) == []
    procs = {
        e["pid"]: e["args"]["name"] for e in events_of(doc, "M") if e["name"] == "process_name"
    }
    want_groups = {p[group_by] or "(no node)" for p in sim.pods}
    assert sorted(procs.values()) == sorted(want_groups)
    # every pod's phases are on one track of its group's process
    phase_tracks: dict[str, set[tuple[int, int]]] = {}
    for e in events_of(doc, "X", "phase"):
        phase_tracks.setdefault(e["args"]["pod_uid"], set()).add((e["pid"], e["tid"]))
    truth = {p["pod_uid"]: p for p in sim.pods}
    assert set(phase_tracks) == set(truth)
    for uid, tracks in phase_tracks.items():
        assert len(tracks) == 1
        ((pid, _tid),) = tracks
        assert procs[pid] == (truth[uid][group_by] or "(no node)")


def test_phase_slices_are_the_true_phases(sim: SimDb, trace: dict[str, Any]) -> None:
    """Against the simulator's ground truth (within the sources' 1 s resolution); an open
    phase ends at the capture end."""
    end = us(sim.truth["capture_end"])
    got: dict[str, list[tuple[str, int, int]]] = {}
    for e in events_of(trace, "X", "phase"):
        got.setdefault(e["args"]["pod_uid"], []).append((e["name"], e["ts"], e["ts"] + e["dur"]))
    for pod in sim.pods:
        want = [
            (ph["phase"], us(ph["start"]), us(ph["end"]) if ph["end"] else end)
            for ph in pod["phases"]
        ]
        have = sorted(got[pod["pod_uid"]], key=lambda s: s[1])
        assert [h[0] for h in have] == [w[0] for w in want], pod["pod"]
        for h, w in zip(have, want, strict=True):
            assert abs(h[1] - w[1]) <= 1_000_000 and abs(h[2] - w[2]) <= 1_000_000, pod["pod"]


def close(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> bool:
    """Same labels in the same order; start and end within the sources' 1 s resolution."""
    return len(got) == len(want) and all(
        g[:-2] == w[:-2] and abs(g[-2] - w[-2]) <= 1_000_000 and abs(g[-1] - w[-1]) <= 1_000_000
        for g, w in zip(got, want, strict=True)
    )


def test_condition_and_container_slices_are_the_true_ones(
    sim: SimDb, trace: dict[str, Any]
) -> None:
    end = us(sim.truth["capture_end"])
    got: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for e in events_of(trace, "X", "condition"):
        a = e["args"]
        key = (a["pod_uid"], "condition", a["condition"])
        got.setdefault(key, []).append((a["status"], e["ts"], e["ts"] + e["dur"]))
    for e in events_of(trace, "X", "container"):
        a = e["args"]
        key = (a["pod_uid"], "container", a["container"])
        got.setdefault(key, []).append((a["state"], a["reason"], e["ts"], e["ts"] + e["dur"]))
    want: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for pod in sim.pods:
        uid = pod["pod_uid"]
        for c in pod["conditions"]:
            span = (us(c["start"]), us(c["end"]) if c["end"] else end)
            want.setdefault((uid, "condition", c["condition"]), []).append((c["status"], *span))
        for c in pod["containers"]:
            if not c["states"]:  # never created (an unschedulable pod's): no track
                continue
            want[(uid, "container", c["container"])] = [
                (s["state"], s["reason"], us(s["start"]), us(s["end"]) if s["end"] else end)
                for s in c["states"]
            ]
    assert set(got) == set(want)
    wrong = [k for k, w in want.items() if not close(sorted(got[k], key=lambda g: g[-2]), w)]
    assert wrong == []


def _rows(store: Store, sql: str) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(r) for r in store.rows(sql))


def test_every_interval_is_a_slice_with_its_times(sim: SimDb, trace: dict[str, Any]) -> None:
    with Store(sim.db, read_only=True) as store:
        want = {
            "phase": _rows(
                store,
                "SELECT pod_uid, phase, epoch_us(start_ts), epoch_us(end_ts) FROM phase_intervals",
            ),
            "condition": _rows(
                store,
                "SELECT pod_uid, condition || '=' || status, epoch_us(start_ts),"
                " epoch_us(end_ts) FROM condition_intervals",
            ),
            "container": _rows(
                store,
                "SELECT pod_uid, container || ':' || state || ':' || coalesce(reason, ''),"
                " epoch_us(start_ts), epoch_us(end_ts) FROM container_intervals",
            ),
        }
    for cat, rows in want.items():
        got: Counter[tuple[Any, ...]] = Counter()
        for e in events_of(trace, "X", cat):
            a = e["args"]
            label = {
                "phase": e["name"],
                "condition": e["name"],
                "container": f"{a.get('container')}:{a.get('state')}:{a.get('reason') or ''}",
            }[cat]
            got[(a["pod_uid"], label, e["ts"], e["ts"] + e["dur"])] += 1
        assert got == rows, cat


def test_every_pod_event_is_an_instant_at_its_time(sim: SimDb, trace: dict[str, Any]) -> None:
    with Store(sim.db, read_only=True) as store:
        want = _rows(
            store,
            "SELECT event_key, reason, message, epoch_us(first_ts) FROM pod_events"
            " UNION ALL SELECT event_key, reason, message, epoch_us(last_ts) FROM pod_events"
            " WHERE last_ts > first_ts",
        )
    got = Counter(
        (e["args"]["event_key"], e["args"]["reason"], e["args"]["message"], e["ts"])
        for e in events_of(trace, "i", "event")
    )
    assert got == want


def test_core_events_in_the_capture_files_are_in_the_trace(
    sim: SimDb, trace: dict[str, Any]
) -> None:
    """Read from the kubectl file itself, not from the database."""
    items = json.loads((sim.out_dir / "events.json").read_text())["items"]
    pod_events = [i for i in items if i["involvedObject"]["kind"] == "Pod"]
    at = {(e["args"]["event_key"], e["ts"]): e for e in events_of(trace, "i", "event")}
    assert pod_events
    for item in pod_events:
        first = item.get("firstTimestamp") or item["eventTime"]
        e = at[(item["metadata"]["uid"], us(first))]
        assert e["name"] == item["reason"]
        assert e["args"]["message"] == item["message"]
        if item.get("count"):
            assert e["args"]["count"] == item["count"]


def test_probe_kill_flows_run_unhealthy_killing_restart(sim: SimDb, trace: dict[str, Any]) -> None:
    """Each flow starts at an Unhealthy instant, steps at the Killing one and ends on the
    restarted container's running slice; every probe kill starts or steps a flow."""
    events = trace["traceEvents"]
    flows: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for n, e in enumerate(events):
        if e["ph"] in "stf":
            bound = next(
                b for b in reversed(events[:n]) if b["ph"] in "Xi" and b["tid"] == e["tid"]
            )
            flows.setdefault(e["id"], []).append((e["ph"], bound))
    assert flows
    full = 0
    for steps in flows.values():
        names = [(ph, b["name"]) for ph, b in steps]
        assert names[0][1] in ("Unhealthy", "Killing"), names
        killing = [b for _, b in steps if b["name"] == "Killing"]
        assert len(killing) == 1
        assert "probe" in killing[0]["args"]["message"]
        if [ph for ph, _ in steps] == ["s", "t", "f"]:
            full += 1
            assert steps[2][1]["cat"] == "container" and steps[2][1]["args"]["state"] == "running"
            assert steps[0][1]["ts"] <= steps[1][1]["ts"] <= steps[2][1]["ts"]
    assert full
    kills = {
        (e["args"]["event_key"], e["ts"])
        for e in events_of(trace, "i", "event")
        if e["name"] == "Killing" and "probe" in (e["args"]["message"] or "")
    }
    flowed = {
        (b["args"]["event_key"], b["ts"])
        for steps in flows.values()
        for _, b in steps
        if b["name"] == "Killing"
    }
    assert flowed <= kills


def test_messages_are_json_strings_whatever_they_hold(tmp_path: Path) -> None:
    """Untrusted text (quotes, backslashes, control characters, HTML, non-BMP) round-trips."""
    nasty = 'probe failed: "x"\\n\n\t\x01</script><b>&amp; \u2028 😀'
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "p.1", "namespace": "ns", "uid": "ev-1"},
        "involvedObject": {"kind": "Pod", "namespace": "ns", "name": 'p"1', "uid": "u-1"},
        "reason": 'Weird"Reason',
        "message": nasty,
        "type": "Warning",
        "count": 1,
        "firstTimestamp": "2024-05-01T10:00:00Z",
        "lastTimestamp": "2024-05-01T10:00:00Z",
    }
    src = tmp_path / "events.json"
    src.write_text(json.dumps({"kind": "List", "items": [event]}), encoding="utf-8")
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [src])
    doc = export(db, tmp_path / "t.json")
    assert violations(doc) == []
    (inst,) = events_of(doc, "i", "event")
    assert inst["name"] == 'Weird"Reason'
    assert inst["args"]["message"] == nasty
    names = {e["args"]["name"] for e in events_of(doc, "M") if e["name"] == "thread_name"}
    assert 'p"1' in names


def test_trace_to_stdout(sim: SimDb) -> None:
    res = runner.invoke(app, ["export", "--trace", "-", "--db", str(sim.db)])
    assert res.exit_code == 0, res.stderr
    assert violations(json.loads(res.stdout)) == []
    assert "probe-kill flows" in res.stderr


def test_export_needs_something_to_write(sim: SimDb) -> None:
    res = runner.invoke(app, ["export", "--db", str(sim.db)])
    assert res.exit_code == 2
    assert res.stderr.startswith("podreplay: error: nothing to export")
    assert res.stdout == ""


def test_a_trace_into_a_missing_directory_is_a_clean_error(sim: SimDb, tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["export", "--trace", str(tmp_path / "no" / "t.json"), "--db", str(sim.db)]
    )
    assert res.exit_code == 2
    assert "no such directory" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("group_by", ["namespace", "node"])
def test_real_captures_give_valid_traces(tmp_path: Path, group_by: str) -> None:
    db = tmp_path / "real.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [REAL])
        # a pod whose only evidence is one moment has no phase interval, hence no phase slice
        pods = store.scalar("SELECT count(DISTINCT pod_uid) FROM phase_intervals")
        events = store.scalar(
            "SELECT count(*) + count(*) FILTER (WHERE last_ts > first_ts) FROM pod_events"
        )
        intervals = store.scalar(
            "SELECT (SELECT count(*) FROM phase_intervals)"
            " + (SELECT count(*) FROM condition_intervals)"
            " + (SELECT count(*) FROM container_intervals)"
        )
    doc = export(db, tmp_path / "real.json", "--group-by", group_by)
    assert violations(doc) == []
    assert len({e["args"]["pod_uid"] for e in events_of(doc, "X", "phase")}) == pods
    assert len(events_of(doc, "i", "event")) == events
    assert len(events_of(doc, "X")) == intervals


T = 1_714_557_600_000_000  # 2024-05-01T10:00:00Z in microseconds
NAMES = [
    {"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "ns"}},
    {"name": "thread_name", "ph": "M", "pid": 1, "tid": 2, "args": {"name": "pod"}},
]


@pytest.mark.parametrize(
    ("events", "complaint"),
    [
        ([{"ph": "B", "name": "a", "pid": 1, "tid": 2, "ts": T}], "never ends"),
        (
            [
                {"ph": "X", "name": "a", "pid": 1, "tid": 2, "ts": T, "dur": 10},
                {"ph": "X", "name": "b", "pid": 1, "tid": 2, "ts": T + 5, "dur": 10},
            ],
            "overlaps",
        ),
        (
            [
                {"ph": "X", "name": "a", "pid": 1, "tid": 2, "ts": T + 5, "dur": 1},
                {"ph": "X", "name": "b", "pid": 1, "tid": 2, "ts": T, "dur": 1},
            ],
            "before the previous",
        ),
        ([{"ph": "X", "name": "a", "pid": 1, "tid": 2, "ts": 1_714_557_600, "dur": 1}], "micro"),
        ([{"ph": "s", "name": "f", "id": 1, "pid": 1, "tid": 2, "ts": T}], "no enclosing"),
        ([{"ph": "X", "name": "a", "pid": 1, "tid": 3, "ts": T, "dur": 1}], "no thread_name"),
    ],
)
def test_the_rule_checker_catches_broken_traces(
    events: list[dict[str, Any]], complaint: str
) -> None:
    found = violations({"traceEvents": NAMES + events})
    assert any(complaint in v for v in found), found


def test_a_stretch_without_evidence_is_named_so(sim: SimDb, tmp_path: Path) -> None:
    db = tmp_path / "gap.duckdb"
    shutil.copyfile(sim.db, db)
    with Store(db) as store:
        store.execute(
            "UPDATE phase_intervals SET basis = 'gap', phase = 'unknown'"
            " WHERE rowid = (SELECT min(rowid) FROM phase_intervals)"
        )
    doc = export(db, tmp_path / "gap.json")
    gaps = [e for e in events_of(doc, "X", "phase") if e["args"]["basis"] == "gap"]
    assert [e["name"] for e in gaps] == ["no evidence"]


def test_group_by_without_a_trace_is_a_usage_error(sim: SimDb, tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["export", "--parquet", str(tmp_path / "p"), "--group-by", "node", "--db", str(sim.db)]
    )
    assert res.exit_code == 2
    assert "--group-by applies to --trace only" in res.stderr

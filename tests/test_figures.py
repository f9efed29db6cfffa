"""Figures and report HTML checked without a browser, over databases built by the real pipeline
(simulator → ingest → derive); expectations come from the simulator's ground truth or the input
files."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import podreplay.cli  # noqa: F401  (registers the commands on `app`)
from podreplay.errors import NotFoundError
from podreplay.render.html.cluster import CLUSTER_ROWS_CAP, cluster_timeline_figure
from podreplay.render.html.distributions import distribution_bins
from podreplay.render.html.page import PLOTLY_TRACE_TYPES
from podreplay.render.html.pod_figure import PodFrames, pod_timeline_figure
from podreplay.render.html.pods import pod_detail_frames, write_pod_timeline
from podreplay.render.html.report import render_report, write_report
from podreplay.render.html.scope import (
    TIMELINE_CAP,
    Scope,
    phase_intervals,
    restarts_in_scope,
    select_scope,
)
from podreplay.store import Store
from tests.support.cli import run
from tests.support.report_pipeline import (
    HOSTILE_MESSAGE,
    HOSTILE_NS,
    HOSTILE_UID,
    build_database,
    shared_database,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return build_database(tmp_path_factory.mktemp("figures"), pods=36, seed=21)


@pytest.fixture
def store(built: tuple[Path, dict[str, Any]]) -> Iterator[Store]:
    with Store(built[0], read_only=True) as s:
        yield s


@pytest.fixture(scope="module")
def report_text(built: tuple[Path, dict[str, Any]]) -> tuple[str, Any]:
    with Store(built[0], read_only=True) as s:
        return render_report(s)


@pytest.fixture
def truth(built: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return built[1]


def _pod_frames(store: Store, pod_uid: str) -> PodFrames:
    data = select_scope(store, Scope())
    row = data.pods.filter(pl.col("pod_uid") == pod_uid).row(0, named=True)
    detail = pod_detail_frames(store, data, [pod_uid])
    return PodFrames(
        pod=row,
        phases=detail["phases"],
        conditions=detail["conditions"],
        containers=detail["containers"],
        restarts=detail["restarts"],
        probes=detail["probes"],
        events=detail["events"],
        span_end=data.end,
    )


def _truth_pod(truth: dict[str, Any], predicate: Any) -> dict[str, Any]:
    return next(p for p in truth["pods"] if predicate(p))


def _points(fig: Any, name: str) -> list[Any]:
    return [t for t in fig.data if t.name == name]


def test_pod_timeline_has_a_lane_for_phase_each_condition_each_container_and_events(
    store: Store, truth: dict[str, Any]
) -> None:
    pod = _truth_pod(truth, lambda p: len(p["containers"]) >= 1 and p["conditions"])
    fig = pod_timeline_figure(_pod_frames(store, pod["pod_uid"]))
    lanes = list(fig.layout.yaxis.categoryarray)
    expected = {"phase", "events"}
    expected |= {f"condition: {c['condition']}" for c in pod["conditions"]}
    expected |= {
        f"{'init' if c['is_init'] else 'container'}: {c['container']}" for c in pod["containers"]
    }
    assert set(lanes) == expected
    assert lanes[0] == "phase" and lanes[-1] == "events"
    init = [i for i, lane in enumerate(lanes) if lane.startswith("init: ")]
    app_lanes = [i for i, lane in enumerate(lanes) if lane.startswith("container: ")]
    assert not init or max(init) < min(app_lanes)


def test_pod_timeline_phase_bars_match_the_true_phases(store: Store, truth: dict[str, Any]) -> None:
    pod = _truth_pod(truth, lambda p: len(p["phases"]) >= 2)
    fig = pod_timeline_figure(_pod_frames(store, pod["pod_uid"]))
    drawn = sorted(
        (base, trace.name)
        for trace in fig.data
        if trace.type == "bar" and set(trace.y) == {"phase"}
        for base in trace.base
    )
    want = sorted(
        (datetime.fromisoformat(ph["start"]).strftime("%Y-%m-%d %H:%M:%S.000"), ph["phase"])
        for ph in pod["phases"]
    )
    assert drawn == want


def test_restart_markers_sit_at_each_true_restart_with_its_cause(
    store: Store, truth: dict[str, Any]
) -> None:
    pod = _truth_pod(truth, lambda p: len(p["restarts"]) >= 2)
    fig = pod_timeline_figure(_pod_frames(store, pod["pod_uid"]))
    (marks,) = _points(fig, "restart")
    want = [
        datetime.fromisoformat(r["at"]).strftime("%Y-%m-%d %H:%M:%S.000") for r in pod["restarts"]
    ]
    assert sorted(marks.x) == sorted(want)
    causes = {r["cause"] for r in pod["restarts"]}
    assert all(any(f"cause: {c}" in h for h in marks.hovertext) for c in causes)
    assert set(marks.y) == {f"container: {r['container']}" for r in pod["restarts"]}


def test_event_hover_shows_reason_message_count_and_times_from_the_capture_file(
    store: Store, built: tuple[Path, dict[str, Any]]
) -> None:
    capture = json.loads((built[0].parent / "capture" / "events.json").read_text())
    by_pod: dict[str, list[dict[str, Any]]] = {}
    for item in capture["items"]:
        if item["involvedObject"].get("kind") == "Pod":
            by_pod.setdefault(item["involvedObject"]["uid"], []).append(item)
    uid, items = max(by_pod.items(), key=lambda kv: (len(kv[1]), kv[0]))
    fig = pod_timeline_figure(_pod_frames(store, uid))
    hovers = [
        h for t in fig.data if t.name in ("Normal event", "Warning event") for h in t.hovertext
    ]
    flat = [h.replace("<br>", " ") for h in hovers]
    for item in items:
        # messages are wrapped at spaces for the hover label; compare word sequences
        words = html.escape(item["message"], quote=False).split()
        assert any(
            f"<b>{item['reason']}</b>" in h and " ".join(words) in " ".join(h.split()) for h in flat
        ), item["message"]
        if item.get("count", 1) > 1:
            assert any(f"count: {item['count']}" in h for h in flat)


def test_probe_failures_are_marked_on_their_container(store: Store, truth: dict[str, Any]) -> None:
    pod = _truth_pod(truth, lambda p: len(p["probe_failures"]) >= 1)
    fig = pod_timeline_figure(_pod_frames(store, pod["pod_uid"]))
    (marks,) = _points(fig, "probe failure")
    assert {f"container: {pf['container']}" for pf in pod["probe_failures"]} == set(marks.y)
    assert {pf["probe"] for pf in pod["probe_failures"]} <= {
        m.group(1) for h in marks.hovertext if (m := re.search(r"<b>(\w+) probe failed", h))
    }


def test_hover_text_escapes_markup_from_the_cluster(store: Store) -> None:
    fig = pod_timeline_figure(_pod_frames(store, HOSTILE_UID))
    hovers = [h for t in fig.data if t.name == "Warning event" for h in t.hovertext]
    assert len(hovers) == 1
    assert "<script" not in hovers[0] and "<img" not in hovers[0]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in hovers[0]
    assert "&amp;" in hovers[0] and "& " not in hovers[0]


def test_cluster_timeline_has_one_row_per_pod_and_marks_every_timed_restart(
    store: Store,
) -> None:
    data = select_scope(store, Scope())
    rows = data.pods.with_columns(link=pl.lit(""))
    restarts = restarts_in_scope(store, data)
    fig = cluster_timeline_figure(rows, phase_intervals(store, data), restarts)
    assert list(fig.layout.yaxis.categoryarray) == rows["label"].to_list()
    assert len(set(rows["label"].to_list())) == rows.height
    bar_rows = {y for t in fig.data if t.type == "bar" for y in t.y}
    with_phases = store.scalar("SELECT count(DISTINCT pod_uid) FROM phase_intervals")
    assert len(bar_rows) == with_phases
    (marks,) = _points(fig, "restart")
    assert len(marks.x) == restarts.filter(pl.col("at").is_not_null()).height > 0
    orders = [b.args[0]["yaxis.categoryarray"] for b in fig.layout.updatemenus[0].buttons]
    assert all(sorted(o) == sorted(rows["label"].to_list()) for o in orders)


def test_distribution_bins_count_every_pod_once(store: Store) -> None:
    data = select_scope(store, Scope())
    for col in ("time_to_ready_s", "pending_s", "image_pull_s"):
        values = data.pods[col]
        bins = distribution_bins(values)
        assert bins["n"].sum() == values.drop_nulls().len()
        assert (bins["lo"] < bins["hi"]).all()
        assert bins["lo"].min() <= values.min() and bins["hi"].max() >= values.max()  # type: ignore[operator]


def test_distribution_bins_switch_to_a_ladder_for_long_tails() -> None:
    # nine pods ready in 1-9 s and one after 30 min: even bins would hide the nine in one bar
    values = pl.Series([float(i) for i in range(1, 10)] + [1800.0])
    bins = distribution_bins(values)
    assert bins["n"].sum() == 10
    assert bins.filter(pl.col("hi") <= 10)["n"].sum() == 9
    assert bins["label"][0] == "1–2 s"  # the rung holding the smallest value, 1 s


def test_report_is_deterministic(store: Store, report_text: tuple[str, Any]) -> None:
    again, _ = render_report(store)
    assert again == report_text[0]


def test_report_embeds_plotly_once_and_loads_nothing_from_the_network(
    report_text: tuple[str, Any],
) -> None:
    text, summary = report_text
    assert text.count("* plotly.js (basic - minified) v") == 1
    # the embedded partial bundle has every trace type the figures draw
    for spec in re.findall(r'<script type="application/json" id="fig-[^"]*">(.*?)</script>', text):
        assert {t.get("type", "scatter") for t in json.loads(spec)["data"]} <= PLOTLY_TRACE_TYPES
    # outside the library's own code (map attributions, logo link), nothing points anywhere
    ours = re.sub(r"<script type=\"text/javascript\">.*?</script>", "", text, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", ours)
    assert "<script src" not in ours and "cdn.plot.ly" not in ours
    assert summary.timelines == len(re.findall(r'<article class="pod" id="pod-', text))
    assert summary.timelines <= TIMELINE_CAP


def test_report_html_never_contains_hostile_markup_unescaped(store: Store) -> None:
    text, _ = render_report(store, namespace=HOSTILE_NS)
    assert HOSTILE_MESSAGE not in text
    assert "<img src=x" not in text
    assert "<script>window.__pwned" not in text
    assert html.escape(HOSTILE_MESSAGE) in text  # the events table shows it as text


def test_report_links_only_to_pod_timelines_it_contains(report_text: tuple[str, Any]) -> None:
    text, _ = report_text
    anchors = set(re.findall(r'<article class="pod" id="(pod-[0-9a-f]+)"', text))
    links = set(re.findall(r'href="#(pod-[0-9a-f]+)"', text))
    assert links and links <= anchors


def test_report_for_one_namespace_lists_only_its_pods(store: Store, truth: dict[str, Any]) -> None:
    ns = sorted({p["namespace"] for p in truth["pods"]})[0]
    want = {p["pod_uid"] for p in truth["pods"] if p["namespace"] == ns}
    _, summary = render_report(store, namespace=ns)
    assert summary.pods == len(want)


def test_report_window_keeps_pods_alive_in_it(store: Store, truth: dict[str, Any]) -> None:
    end = datetime.fromisoformat(truth["capture_end"])
    since = end - timedelta(minutes=5)
    # a pod is alive in the window unless it was deleted before it starts
    want = [
        p
        for p in truth["pods"]
        if p["deleted_at"] is None or datetime.fromisoformat(p["deleted_at"]) >= since
    ]
    _, summary = render_report(store, since=since)
    # not the hostile pod: known from events only (02:10-02:15), it is absent from the
    # simulator's `get pods -A` List at 02:20, so it was gone by then
    assert summary.pods == len(want)


def test_pod_timeline_page_for_an_unknown_pod_is_not_found(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        write_pod_timeline(store, "no-such-uid", tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_pod_timeline_page_draws_its_figure_eagerly(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "pod.html"
    write_pod_timeline(store, HOSTILE_UID, out)
    text = out.read_text(encoding="utf-8")
    assert text.count('class="plot"') == 1 and "data-eager" in text
    assert html.escape(HOSTILE_MESSAGE) in text


def test_report_command_writes_the_file_and_one_line_on_stderr(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    res = run("report", "--db", str(built[0]), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1
    pods = len(built[1]["pods"]) + 1  # the simulated pods and the hostile one
    assert f"{pods} pods" in res.stderr and str(out) in res.stderr
    assert out.stat().st_size > 1_000_000  # plotly.js is inside


def test_report_command_rejects_since_after_until(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "r.html"
    args = ["report", "--db", str(built[0]), "--out", str(out), "--since", "+30m", "--until", "+5m"]
    res = run(*args)
    assert res.exit_code == 3  # an empty selection
    assert res.stderr.startswith("podreplay: error: ") and "--since" in res.stderr
    assert not out.exists()


def test_report_without_lifecycle_tables_says_they_are_not_available(tmp_path: Path) -> None:
    with Store(tmp_path / "bare.duckdb") as bare:  # schema only: nothing was ever derived
        summary = write_report(bare, tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert summary.pods == 0 and "pods" in summary.missing
    assert "not available" in text


@pytest.mark.slow
def test_a_report_of_2000_pods_builds_in_seconds_and_stays_small(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    db, truth = shared_database(tmp_path_factory, "pods2000", pods=2000, seed=5)
    with Store(db, read_only=True) as big:
        started = time.perf_counter()
        summary = write_report(big, tmp_path / "big.html")
        seconds = time.perf_counter() - started
    text = (tmp_path / "big.html").read_text(encoding="utf-8")
    assert summary.pods == len(truth["pods"]) + 1  # and the hostile pod
    assert seconds < 30, seconds  # about 5 s on a laptop core
    assert summary.bytes < 12_000_000  # plotly.js (basic bundle) is 1.2 MB of it
    assert summary.cluster_rows == CLUSTER_ROWS_CAP
    assert summary.timelines == TIMELINE_CAP
    assert text.count('class="plot') == 5 + TIMELINE_CAP
    # the time slider still knows every pod
    state = re.search(r'<script type="application/json" id="state-data">(.*?)</script>', text)
    assert state is not None and len(json.loads(state.group(1))["pods"]) == summary.pods


def _table_after(text: str, heading: str) -> list[list[str]]:
    """The body cells of the first table after an <h3> heading, tags stripped."""
    part = text.split(f"<h3>{heading}</h3>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", part.split("<tbody>", 1)[1], flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", r)] for r in rows]


def test_overview_counts_pods_by_final_phase_and_restarts_by_cause_as_the_truth_does(
    report_text: tuple[str, Any], truth: dict[str, Any]
) -> None:
    text = report_text[0]
    phases: dict[str, int] = {"Running": 1}  # the hostile pod, known from events only
    causes: dict[str, list[int]] = {}
    for i, pod in enumerate(truth["pods"]):
        phases[pod["final_phase"]] = phases.get(pod["final_phase"], 0) + 1
        for r in pod["restarts"]:
            causes.setdefault(r["cause"], []).append(i)
    shown = {ph: int(n.replace(",", "")) for ph, n in _table_after(text, "Pods by final phase")}
    assert shown == phases
    by_cause = {c: (int(r), int(p)) for c, r, p in _table_after(text, "Restarts by cause")}
    assert by_cause == {c: (len(pods), len(set(pods))) for c, pods in causes.items()}


def test_a_restart_of_a_container_no_status_showed_still_gets_its_lane() -> None:
    # events-only evidence: a restart of "ghost" at 02:10, no container intervals at all
    at = datetime(2024, 3, 1, 2, 10, tzinfo=UTC)
    ts = pl.Datetime("us", "UTC")
    empty_iv: dict[str, Any] = {"pod_uid": pl.String, "start_ts": ts, "end_ts": ts}
    frames = PodFrames(
        pod={"pod_uid": "u1", "namespace": "ns", "pod": "p"},
        phases=pl.DataFrame(schema={**empty_iv, "phase": pl.String, "open": pl.Boolean}),
        conditions=pl.DataFrame(
            schema={**empty_iv, "condition": pl.String, "status": pl.String, "reason": pl.String}
        ),
        containers=pl.DataFrame(
            schema={
                **empty_iv,
                "container": pl.String,
                "is_init": pl.Boolean,
                "state": pl.String,
                "reason": pl.String,
                "exit_code": pl.Int32,
            }
        ),
        restarts=pl.DataFrame(
            {
                "pod_uid": ["u1"],
                "container": ["ghost"],
                "restart_no": [1],
                "at": [at],
                "cause": ["error"],
                "exit_code": [1],
            },
            schema_overrides={"at": ts},
        ),
        probes=pl.DataFrame(
            schema={
                "pod_uid": pl.String,
                "container": pl.String,
                "probe": pl.String,
                "first_ts": ts,
                "last_ts": ts,
                "count": pl.Int64,
                "message": pl.String,
            }
        ),
        events=pl.DataFrame(
            schema={
                "pod_uid": pl.String,
                "type": pl.String,
                "reason": pl.String,
                "message": pl.String,
                "container": pl.String,
                "count": pl.Int64,
                "first_ts": ts,
                "last_ts": ts,
                "event_ts": ts,
            }
        ),
    )
    fig = pod_timeline_figure(frames)
    assert list(fig.layout.yaxis.categoryarray) == ["phase", "container: ghost", "events"]
    (marks,) = _points(fig, "restart")
    assert list(marks.y) == ["container: ghost"] and list(marks.x) == ["2024-03-01 02:10:00.000"]


def test_a_report_with_no_pods_in_scope_says_so(store: Store) -> None:
    text, summary = render_report(store, namespace="no-such-namespace")
    assert summary.pods == 0 and summary.timelines == 0
    assert "no pods in scope" in text
    assert 'class="plot' not in text


def test_events_at_the_same_moment_share_one_marker_that_lists_them_all(store: Store) -> None:
    uid, kind = store.rows(
        "SELECT pod_uid, any_value(type) FROM pod_events WHERE type IS NOT NULL"
        " GROUP BY pod_uid, type, first_ts"
        " HAVING count(*) >= 3 ORDER BY pod_uid LIMIT 1"
    )[0]
    events = store.rows(
        "SELECT first_ts, reason FROM pod_events WHERE pod_uid = ? AND type = ?", [uid, kind]
    )
    fig = pod_timeline_figure(_pod_frames(store, uid))
    (marks,) = _points(fig, f"{kind} event")
    times = {t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] for t, _ in events}
    assert sorted(marks.x) == sorted(times)
    label = dict(zip(marks.x, marks.hovertext, strict=True))
    for t, reason in events:
        assert f"<b>{reason}</b>" in label[t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]]


def test_two_processes_write_the_same_bytes(
    built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    outs = []
    for seed in ("1", "2"):  # different hash seeds: no set or dict order leaks into the file
        out = tmp_path / f"r{seed}.html"
        subprocess.run(
            [sys.executable, "-m", "podreplay", "report", "--db", str(built[0]), "--out", str(out)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_creation_deletion_request_and_disappearance_are_marked_when_true(
    store: Store, truth: dict[str, Any]
) -> None:
    pod = _truth_pod(truth, lambda p: p["deletion_requested_at"] and p["deleted_at"])
    fig = pod_timeline_figure(_pod_frames(store, pod["pod_uid"]))
    marks = {a.text: a.x for a in fig.layout.annotations}

    def text(ts: str) -> str:
        return datetime.fromisoformat(ts).strftime("%Y-%m-%d %H:%M:%S.000")

    assert marks == {
        "created": text(pod["created_at"]),
        "delete requested": text(pod["deletion_requested_at"]),
        "gone": text(pod["deleted_at"]),
    }
    assert len(fig.layout.shapes) == 3

"""`podreplay diff`: two simulated captures with different scenarios and seeds compared per
group, checked against the simulator's ground truth and against direct SQL; one capture split
into two windows adds up to the whole."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from statistics import quantiles
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.diff import diff, parse_window
from podreplay.simulate import simulate
from podreplay.store import Store
from tests.conftest import REAL

runner = CliRunner()
TOLERANCE_S = 1.0  # the sources' resolution

BEFORE_SCENARIOS = ["healthy", "image_pull_failure", "oom_kill", "unschedulable"]
AFTER_SCENARIOS = ["healthy", "liveness_kill", "crashloop"]


def build(root: Path, name: str, seed: int, scenarios: list[str]) -> tuple[Path, dict[str, Any]]:
    out = root / name
    res = simulate(out, pods=30, seed=seed, scenarios=scenarios, snapshot_every_s=120)
    db = root / f"{name}.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [out])
    truth: dict[str, Any] = json.loads(res.truth_path.read_text(encoding="utf-8"))
    return db, truth


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("diff")
    return {
        "before": build(root, "before", 3, BEFORE_SCENARIOS),
        "after": build(root, "after", 4, AFTER_SCENARIOS),
    }


def metric(df: pl.DataFrame, ns: str, name: str, side: str) -> float | None:
    rows = df.filter((pl.col("namespace") == ns) & (pl.col("metric") == name))
    assert rows.height <= 1
    return rows[side][0] if rows.height else None


def p(values: list[float], q: float) -> float | None:
    """quantile_cont: linear interpolation between the order statistics."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = quantiles(values, n=100, method="inclusive")
    return cuts[round(q * 100) - 1]


def test_pods_and_latencies_match_the_ground_truth(sims: dict[str, Any]) -> None:
    (before_db, before), (after_db, after) = sims["before"], sims["after"]
    result = diff(before_db, after_db, by="namespace")
    for side, truth in (("before", before), ("after", after)):
        by_ns: dict[str, list[dict[str, Any]]] = {}
        for pod in truth["pods"]:
            by_ns.setdefault(pod["namespace"], []).append(pod)
        for ns, pods in by_ns.items():
            assert metric(result.metrics, ns, "pods", side) == len(pods)
            assert metric(result.metrics, ns, "pods_created", side) == len(pods)
            for fig in ("time_to_scheduled_s", "time_to_ready_s", "pending_s"):
                known = [x["stats"][fig] for x in pods if x["stats"][fig] is not None]
                for q in (0.5, 0.9):
                    want = p(known, q)
                    got = metric(result.metrics, ns, f"{fig[:-2]}_p{int(q * 100)}_s", side)
                    if want is None:
                        assert got is None, (ns, fig)
                    else:
                        assert got is not None and abs(got - want) <= TOLERANCE_S, (ns, fig, q)


def test_restarts_by_cause_match_the_ground_truth(sims: dict[str, Any]) -> None:
    (before_db, before), (after_db, after) = sims["before"], sims["after"]
    result = diff(before_db, after_db, by="namespace")
    for side, truth in (("before", before), ("after", after)):
        want: Counter[tuple[str, str]] = Counter()
        for pod in truth["pods"]:
            for r in pod["restarts"]:
                want[(pod["namespace"], r["cause"])] += 1
        got = {
            (row["namespace"], row["metric"].split(":", 1)[1]): row[side]
            for row in result.metrics.iter_rows(named=True)
            if row["metric"].startswith("restarts:") and row[side]
        }
        assert want and got == dict(want), side


def test_rates_are_restarts_over_running_pod_hours(sims: dict[str, Any]) -> None:
    (before_db, _), (after_db, _) = sims["before"], sims["after"]
    result = diff(before_db, after_db, by="namespace")
    with Store(after_db, read_only=True) as store:
        hours = dict(
            store.rows(
                "SELECT namespace, sum(seconds) / 3600 FROM phase_intervals"
                " WHERE phase = 'Running' GROUP BY namespace"
            )
        )
        restarts = dict(store.rows("SELECT namespace, count(*) FROM restarts GROUP BY namespace"))
    for ns, h in hours.items():
        assert metric(result.metrics, ns, "running_pod_hours", "after") == pytest.approx(h)
        n = restarts.get(ns, 0)
        assert metric(result.metrics, ns, "restarts", "after") == n
        rate = metric(result.metrics, ns, "restarts_per_pod_hour", "after")
        assert rate == (pytest.approx(n / h) if h else None)


def test_failure_reasons_new_and_gone_are_the_set_differences(sims: dict[str, Any]) -> None:
    (before_db, _), (after_db, _) = sims["before"], sims["after"]
    result = diff(before_db, after_db, by="namespace")

    def reasons(db: Path) -> set[tuple[str, str]]:
        with Store(db, read_only=True) as store:
            rows = store.rows(
                "SELECT DISTINCT namespace, reason FROM pod_events WHERE type = 'Warning'"
                " UNION SELECT namespace, coalesce(final_reason, 'Failed') FROM pods"
                " WHERE final_phase = 'Failed' AND final_reason IS NOT NULL"
            )
        return {(str(a), str(b)) for a, b in rows}

    b, a = reasons(before_db), reasons(after_db)
    status = {(r["namespace"], r["reason"]): r["status"] for r in result.failure_reasons.to_dicts()}
    assert {k for k, s in status.items() if s == "new"} >= a - b
    assert {k for k, s in status.items() if s == "gone"} >= b - a
    # an image pull failure before and a liveness kill after
    gone = {r for (_, r), s in status.items() if s == "gone"}
    new = {r for (_, r), s in status.items() if s == "new"}
    assert "Failed" in gone or "ErrImagePull" in gone
    assert "Unhealthy" in new or "Unhealthy" in {r for (_, r), s in status.items() if s == "both"}


def test_two_windows_of_one_capture_add_up_to_the_whole(sims: dict[str, Any]) -> None:
    db, _ = sims["after"]
    whole = diff(db, db, by="workload", before="start..end", after="..")
    split = diff(db, db, by="workload", before="..+30m", after="+30m..")
    keys = ["namespace", "workload", "metric"]
    for name in ("pods_created", "restarts", "running_pod_hours"):
        w = whole.metrics.filter(pl.col("metric") == name).select(*keys, "before")
        s = split.metrics.filter(pl.col("metric") == name).select(
            *keys, (pl.col("before") + pl.col("after")).alias("sum")
        )
        joined = w.join(s, on=keys, how="full", coalesce=True, nulls_equal=True)
        assert joined.height == w.height
        for row in joined.iter_rows(named=True):
            assert row["sum"] == pytest.approx(row["before"]), row
    # the same database and window on both sides changes nothing
    same = whole.metrics.filter(pl.col("before").is_not_null())
    assert same["change"].abs().max() == 0


def test_windows_read_start_end_offsets_and_times() -> None:
    from datetime import UTC, datetime

    start = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
    end = datetime(2024, 3, 1, 3, 0, tzinfo=UTC)
    w = parse_window("+10m..-15m", start, end)
    assert (w.lo.minute, w.hi.minute, w.hi_is_end) == (10, 45, False)
    w = parse_window("2024-03-01T02:20:00Z..", start, end)
    assert (w.lo.minute, w.hi, w.hi_is_end) == (20, end, True)
    w = parse_window("start..+1h30m", start, end)
    assert w.hi == datetime(2024, 3, 1, 3, 30, tzinfo=UTC)
    w = parse_window("02:15..02:45", start, end)
    assert (w.lo.minute, w.hi.minute) == (15, 45)


def test_cli_table_csv_json_and_html(sims: dict[str, Any], tmp_path: Path) -> None:
    (before_db, _), (after_db, _) = sims["before"], sims["after"]
    args = ["diff", str(before_db), str(after_db), "--by", "namespace"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"metrics", "failure_reasons"}
    assert {"namespace", "metric", "before", "after", "change", "change_pct"} == set(
        doc["metrics"][0]
    )
    assert "before: before.duckdb" in res.stderr
    res = runner.invoke(app, [*args, "--format", "csv"])
    assert res.stdout.startswith("namespace,metric,before,after,change,change_pct\n")
    res = runner.invoke(app, [*args, "--format", "csv", "--section", "failure_reasons"])
    assert res.stdout.startswith("namespace,reason,before,after,status\n")
    page = tmp_path / "diff.html"
    res = runner.invoke(app, [*args, "--html", str(page)])
    assert res.exit_code == 0, res.stderr
    assert "changes by namespace" in res.stdout and "failure reasons" in res.stdout
    html = page.read_text()
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")
    assert 'id="failure-reasons"' in html and "Unhealthy" in html


def test_one_database_over_two_windows_from_the_cli(sims: dict[str, Any]) -> None:
    db, _ = sims["after"]
    res = runner.invoke(
        app, ["diff", "--db", str(db), "--before", "..+30m", "--after", "+30m..", "-f", "json"]
    )
    assert res.exit_code == 0, res.stderr
    # the capture starts at its first evidence, 9 s after the simulated start
    assert "02:00:09 .. 2024-03-01 02:30:09" in res.stderr
    assert "02:30:09 .. 2024-03-01 03:00:00" in res.stderr


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ([], 2, "comparing a database with itself"),
        (["--before", "soon..later"], 2, "--before: 'soon' is not a time"),
        (["--before", "+40m..+10m", "--after", ".."], 2, "--before: window '+40m..+10m' is empty"),
        (["--before", "+10m"], 2, "--before: not a window"),
        (["--by", "pod"], 2, "Invalid value for '--by'"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    sims: dict[str, Any], extra: list[str], code: int, message: str
) -> None:
    db, _ = sims["after"]
    res = runner.invoke(app, ["diff", str(db), *extra])
    assert res.exit_code == code
    assert message in res.stderr
    assert res.stdout == "" and "Traceback" not in res.stderr


def test_missing_or_foreign_databases(sims: dict[str, Any], tmp_path: Path) -> None:
    db, _ = sims["after"]
    res = runner.invoke(app, ["diff", str(tmp_path / "none.duckdb"), str(db)])
    assert res.exit_code == 3 and "no such database" in res.stderr
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    res = runner.invoke(app, ["diff", str(junk), str(db)])
    assert res.exit_code == 2 and f"{junk}: cannot open" in res.stderr


def _events_only_db(path: Path, reason: str) -> Path:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "p.1", "namespace": "ns", "uid": f"ev-{path.stem}"},
        "involvedObject": {"kind": "Pod", "namespace": "ns", "name": "web-1", "uid": "u-1"},
        "reason": reason,
        "message": "m",
        "type": "Warning",
        "count": 2,
        "firstTimestamp": "2024-05-01T10:00:00Z",
        "lastTimestamp": "2024-05-01T10:05:00Z",
    }
    src = path.with_suffix(".json")
    src.write_text(json.dumps({"kind": "List", "items": [event]}), encoding="utf-8")
    with Store(path) as store:
        ingest_and_rebuild(store, [src])
    return path


def test_html_escapes_every_value(tmp_path: Path) -> None:
    nasty = '<img src=x onerror="alert(1)">&'
    a = _events_only_db(tmp_path / "a.duckdb", nasty)
    b = _events_only_db(tmp_path / "b.duckdb", "BackOff")
    page = tmp_path / "d.html"
    res = runner.invoke(app, ["diff", str(a), str(b), "--html", str(page)])
    assert res.exit_code == 0, res.stderr
    html = page.read_text()
    assert nasty not in html and "<img" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in html


@pytest.mark.parametrize(
    ("by", "keys"),
    [("workload", "namespace, workload"), ("namespace", "namespace"), ("node", "node")],
)
def test_every_grouping_counts_the_pods_of_each_group(
    sims: dict[str, Any], by: str, keys: str
) -> None:
    (before_db, _), (after_db, _) = sims["before"], sims["after"]
    result = diff(before_db, after_db, by=by)
    cols = [k.strip() for k in keys.split(",")]
    got = {
        (tuple(r[c] for c in cols), side): r[side]
        for r in result.metrics.filter(pl.col("metric") == "pods").iter_rows(named=True)
        for side in ("before", "after")
        if r[side]
    }
    want = {}
    for side, db in (("before", before_db), ("after", after_db)):
        with Store(db, read_only=True) as store:
            for *group, n in store.rows(f"SELECT {keys}, count(*) FROM pod_stats GROUP BY ALL"):
                want[(tuple(group), side)] = n
    assert got == want


def test_a_whole_capture_counts_pods_created_before_its_first_observation(
    tmp_path: Path,
) -> None:
    """A single List of long-running pods (real captures): every pod is the side's own."""
    sides = []
    for name in ("k3s-v1.33_*__kube-system__pods", "kurl-*__pods"):
        db = tmp_path / f"{name[:3]}.duckdb"
        with Store(db) as store:
            ingest_and_rebuild(store, sorted(REAL.glob(f"{name}.json")))
            ready = store.rows(
                "SELECT namespace, quantile_cont(time_to_ready_s, 0.5) FROM pod_stats"
                " GROUP BY namespace"
            )
        sides.append((db, dict(ready)))
    result = diff(sides[0][0], sides[1][0], by="namespace")
    assert "whole capture (" in result.before.label()
    for side, (_, ready) in zip(("before", "after"), sides, strict=True):
        for ns, p50 in ready.items():
            assert metric(result.metrics, ns, "pods_created", side) == metric(
                result.metrics, ns, "pods", side
            )
            assert metric(result.metrics, ns, "time_to_ready_p50_s", side) == p50

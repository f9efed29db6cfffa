"""pod_stats and `podreplay stats`: figures checked against the simulator's ground truth and
against a small hand-built capture whose answers are reasoned out in comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from podreplay.analytics import METRICS, SECTIONS, stats, stats_sections
from podreplay.errors import EmptySelectionError, UsageError
from podreplay.store import Store
from tests.support.analytics_data import JOB, WEB, SimDb, simulated_db
from tests.support.cli import run

CONTRACT = [
    "pod_uid", "namespace", "pod", "workload", "pending_s", "running_s", "succeeded_s",
    "failed_s", "unknown_s", "time_to_scheduled_s", "time_to_initialized_s", "image_pull_s",
    "time_to_ready_s", "not_ready_running_s", "restarts", "crashloop_s", "terminating_s",
    "grace_exceeded", "final_phase",
]  # fmt: skip
TRUTH_STATS = [c for c in CONTRACT[4:]]


@pytest.fixture(scope="module")
def pod_stats(simulated: SimDb) -> pl.DataFrame:
    with Store(simulated.db, read_only=True) as store:
        return store.frame("SELECT * FROM pod_stats")


def _one(db: Path, uid: str) -> dict[str, Any]:
    with Store(db, read_only=True) as store:
        rows = store.frame("SELECT * FROM pod_stats WHERE pod_uid = ?", [uid]).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_pod_stats_starts_with_the_contract_columns(pod_stats: pl.DataFrame) -> None:
    assert pod_stats.columns[: len(CONTRACT)] == CONTRACT


def test_pod_stats_has_one_row_per_simulated_pod(simulated: SimDb, pod_stats: pl.DataFrame) -> None:
    assert sorted(pod_stats["pod_uid"]) == sorted(p["pod_uid"] for p in simulated.pods)


@pytest.mark.parametrize("column", TRUTH_STATS)
def test_pod_stats_figure_matches_the_ground_truth(
    simulated: SimDb, pod_stats: pl.DataFrame, column: str
) -> None:
    truth = simulated.truth_stats().select("pod_uid", "scenario", pl.col(column).alias("truth"))
    got = pod_stats.select("pod_uid", pl.col(column).alias("got"))
    both = truth.join(got, on="pod_uid", how="left")
    if both["truth"].dtype.is_numeric():
        same = (both["truth"].is_null() & both["got"].is_null()) | (
            (both["truth"].cast(pl.Float64) - both["got"].cast(pl.Float64)).abs() < 1e-6
        )
    else:
        same = both["truth"].cast(pl.String).eq_missing(both["got"].cast(pl.String))
    wrong = both.filter(~same.fill_null(False))
    assert wrong.height == 0, f"{column} differs for {wrong.height} pods:\n{wrong.head(10)}"


def test_every_simulated_scenario_is_covered(simulated: SimDb) -> None:
    # the queries' known answers rely on each failure mode being present at least once
    scenarios = {p["scenario"] for p in simulated.pods}
    assert {"crashloop", "oom_kill", "unschedulable", "eviction", "readiness_flap"} <= scenarios


def test_hand_built_deployment_pod_figures(hand_built: Path) -> None:
    row = _one(hand_built, WEB[0])
    # created 0, PodScheduled/Initialized True at 2, container started at 12, Ready at 20
    assert row["time_to_scheduled_s"] == 2.0
    assert row["time_to_initialized_s"] == 2.0
    assert row["pending_s"] == 12.0
    assert row["time_to_ready_s"] == 20.0
    # Pulling at 3, Pulled at 8 (the kubelet said 4.5 s): Pulled − Pulling
    assert row["image_pull_s"] == 5.0
    # Running from 12 until the pod is gone at 110; Ready False from 2 to 20 → 8 s of it
    assert row["running_s"] == 98.0
    assert row["not_ready_running_s"] == 8.0
    # deletionTimestamp 130 with a 30 s grace → requested at 100; gone at 110
    assert row["terminating_s"] == 10.0
    assert row["grace_exceeded"] is False
    assert (row["restarts"], row["crashloop_s"], row["probe_failures"]) == (0, 0.0, 3)
    assert (row["workload"], row["workload_kind"], row["node"]) == ("web", "Deployment", "node-a")


def test_hand_built_job_pod_figures(hand_built: Path) -> None:
    row = _one(hand_built, JOB[0])
    # image already present: no pull; started at 5, Ready at 5
    assert row["image_pull_s"] is None
    assert (row["pending_s"], row["time_to_ready_s"], row["time_to_scheduled_s"]) == (5, 5, 1)
    # Running 5 → 60, then Succeeded until the capture ends at 110 (the web pod's last record)
    assert (row["running_s"], row["succeeded_s"], row["final_phase"]) == (55.0, 50.0, "Succeeded")
    # one OOM kill, restarted at 31
    assert (row["restarts"], row["oom_kills"]) == (1, 1)
    assert row["terminating_s"] is None
    # Job report-28500000 (a scheduled-time suffix) belongs to CronJob report
    assert (row["workload"], row["workload_kind"]) == ("report", "CronJob")


def test_image_pulls_keep_the_kubelets_own_figure(hand_built: Path) -> None:
    with Store(hand_built, read_only=True) as store:
        pulls = store.frame("SELECT pod_uid, seconds, reported_s, node FROM image_pulls")
    # one real pull (the job's image was already present)
    assert pulls.to_dicts() == [
        {"pod_uid": WEB[0], "seconds": 5.0, "reported_s": 4.5, "node": "node-a"}
    ]


def _truth_group(simulated: SimDb, keys: list[str]) -> pl.DataFrame:
    # which group a pod is in is the lifecycle's call (pods.workload); the figures are the truth's
    with Store(simulated.db, read_only=True) as store:
        groups = store.frame("SELECT pod_uid, namespace, workload, node FROM pods")
    t = simulated.truth_stats().drop("namespace", "workload", "node").join(groups, on="pod_uid")
    return (
        t.group_by(keys)
        .agg(
            pl.len().alias("pods"),
            pl.col("restarts").sum().alias("restarts"),
            (pl.col("final_phase") == "Running").sum().alias("running"),
            (pl.col("final_phase") == "Failed").sum().alias("failed"),
            pl.col("time_to_ready_s").quantile(0.5, "linear").alias("time_to_ready_p50_s"),
            pl.col("time_to_ready_s").quantile(0.9, "linear").alias("time_to_ready_p90_s"),
            pl.col("pending_s").quantile(0.99, "linear").alias("pending_p99_s"),
            pl.col("pending_s").max().alias("pending_max_s"),
        )
        .sort(keys)
    )


@pytest.mark.parametrize("by", ["namespace", "node", "workload"])
def test_grouped_counts_and_percentiles_match_the_ground_truth(simulated: SimDb, by: str) -> None:
    keys = ["namespace", "workload"] if by == "workload" else [by]
    expected = _truth_group(simulated, keys)
    with Store(simulated.db, read_only=True) as store:
        got = stats(store, by=by).select(expected.columns).sort(keys)
    assert got["pods"].sum() == len(simulated.pods)
    assert got.height == expected.height
    for col in expected.columns:
        x, y = got[col], expected[col]
        if y.dtype.is_float():
            assert x.is_null().to_list() == y.is_null().to_list(), col
            assert ((x - y).abs().fill_null(0) < 1e-6).all(), col
        else:
            assert x.cast(pl.String).to_list() == y.cast(pl.String).to_list(), col


def test_restart_causes_count_the_simulated_restarts(simulated: SimDb) -> None:
    truth: dict[str, int] = {}
    for p in simulated.pods:
        for r in p["restarts"]:
            truth[r["cause"]] = truth.get(r["cause"], 0) + 1
    with Store(simulated.db, read_only=True) as store:
        frames = stats_sections(store, by="namespace")
    got = frames["restart_causes"].group_by("cause").agg(pl.col("restarts").sum())
    assert dict(got.iter_rows()) == truth


def test_crash_looping_and_never_ready_sections_name_the_right_pods(simulated: SimDb) -> None:
    t = simulated.truth_stats()
    looping = set(t.filter(pl.col("crashloop_s") > 0)["pod_uid"])
    never = set(
        t.filter(
            pl.col("time_to_ready_s").is_null()
            & (pl.col("running_s") > 0)
            & (pl.col("final_phase") != "Succeeded")
        )["pod_uid"]
    )
    with Store(simulated.db, read_only=True) as store:
        frames = stats_sections(store, by="workload")
        uid = dict(store.rows("SELECT namespace || '/' || pod, pod_uid FROM pods"))
    assert {uid[f"{r['namespace']}/{r['pod']}"] for r in frames["crashlooping"].to_dicts()} == (
        looping
    )
    assert {uid[f"{r['namespace']}/{r['pod']}"] for r in frames["never_ready"].to_dicts()} == never


def test_latencies_section_agrees_with_the_summary(simulated: SimDb) -> None:
    with Store(simulated.db, read_only=True) as store:
        frames = stats_sections(store, by="namespace")
    summary, long = frames["summary"], frames["latencies"]
    assert set(long["metric"]) <= set(METRICS)
    for row in long.to_dicts():
        srow = summary.filter(pl.col("namespace") == row["namespace"]).to_dicts()[0]
        stem = row["metric"][:-2]
        assert row["p50_s"] == pytest.approx(srow[f"{stem}_p50_s"])
        assert row["max_s"] == pytest.approx(srow[f"{stem}_max_s"])


def test_failure_reasons_show_the_top_warning_events(simulated: SimDb) -> None:
    with Store(simulated.db, read_only=True) as store:
        frames = stats_sections(store, by="namespace")
        warnings = store.frame(
            "SELECT namespace, reason, sum(count) AS n FROM pod_events WHERE type = 'Warning'"
            " GROUP BY ALL"
        )
    reasons = frames["failure_reasons"]
    assert reasons.group_by("namespace").len()["len"].max() <= 5  # type: ignore[operator]
    top = (
        warnings.sort(["n", "reason"], descending=[True, False])
        .group_by("namespace", maintain_order=True)
        .first()
    )
    for ns, reason, n in top.iter_rows():
        row = reasons.filter((pl.col("namespace") == ns) & (pl.col("reason") == reason))
        assert row["occurrences"].to_list() == [n]


def test_namespace_filter_keeps_only_that_namespace(hand_built: Path) -> None:
    with Store(hand_built, read_only=True) as store:
        frame = stats(store, by="pod", namespace="batch")
    assert frame["pod"].to_list() == [JOB[2]]


def test_since_and_until_select_pods_alive_in_the_window(hand_built: Path) -> None:
    with Store(hand_built, read_only=True) as store:
        # the job was last seen at 10:01:00, the web pod until 10:01:50
        late = stats(store, by="pod", since="2024-05-01T10:01:30Z")
        both = stats(store, by="pod", since="2024-05-01T10:00:30", until="2024-05-01T10:00:40Z")
        with pytest.raises(EmptySelectionError, match="no pods match"):
            stats(store, by="pod", until="2024-05-01T09:59:00Z")
    assert late["pod"].to_list() == [WEB[2]]
    assert sorted(both["pod"]) == sorted([WEB[2], JOB[2]])


def test_a_window_that_ends_before_it_starts_is_refused(hand_built: Path) -> None:
    with (
        Store(hand_built, read_only=True) as store,
        pytest.raises(EmptySelectionError, match="after --until"),
    ):
        stats(store, since="2024-05-01T11:00:00Z", until="2024-05-01T10:00:00Z")
    with Store(hand_built, read_only=True) as store, pytest.raises(UsageError, match="not a time"):
        stats(store, since="yesterday")


def test_stats_json_has_every_section(hand_built: Path) -> None:
    res = run("stats", "--by", "node", "--format", "json", "--db", str(hand_built))
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert list(doc) == list(SECTIONS)
    nodes = {r["node"]: r for r in doc["summary"]}
    assert (nodes["node-b"]["restarts"], nodes["node-b"]["oom_kills"]) == (1, 1)
    assert doc["restart_causes"] == [
        {"node": "node-b", "cause": "OOMKilled", "restarts": 1, "pods": 1}
    ]


def test_stats_csv_prints_one_section(hand_built: Path) -> None:
    args = [
        "stats",
        "--by",
        "workload",
        "--section",
        "latencies",
        "-f",
        "csv",
        "--db",
        str(hand_built),
    ]
    res = run(*args)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "namespace,workload,metric,pods,p50_s,p90_s,p99_s,max_s"
    assert "shop,web,time_to_ready_s,1,20.0,20.0,20.0,20.0" in lines


def test_stats_table_names_each_section(hand_built: Path) -> None:
    res = run("stats", "--by", "namespace", "--db", str(hand_built))
    assert res.exit_code == 0, res.stderr
    for title in ("pods by namespace", "latencies", "restart causes", "failure reasons"):
        assert title in res.stdout


def test_stats_rejects_an_unknown_grouping_with_exit_2(hand_built: Path) -> None:
    res = run("stats", "--by", "cluster", "--db", str(hand_built))
    assert res.exit_code == 2
    assert res.stdout == ""


def test_stats_on_a_missing_database_says_so(tmp_path: Path) -> None:
    res = run("stats", "--db", str(tmp_path / "none.duckdb"))
    assert res.exit_code == 3
    assert res.stdout == ""
    assert res.stderr.startswith("podreplay: error: ")


def test_workloads_view_adds_up_the_pods(simulated: SimDb) -> None:
    with Store(simulated.db, read_only=True) as store:
        pods, restarts, groups = store.rows(
            "SELECT sum(pods)::BIGINT, sum(restarts)::BIGINT, count(*) FROM workloads"
        )[0]
        distinct = store.scalar("SELECT count(DISTINCT (namespace, workload)) FROM pods")
    assert pods == len(simulated.pods)
    assert restarts == sum(p["stats"]["restarts"] for p in simulated.pods)
    assert groups == distinct


@pytest.mark.slow
def test_figures_match_the_truth_when_every_capture_form_overlaps(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # List snapshots every 5 minutes on top of the watch stream and both event APIs: the
    # overlapping sources must merge without changing a single figure
    every = simulated_db(
        tmp_path_factory.getbasetemp(),
        pods=25,
        seed=4,
        formats=("events", "events_v1", "snapshots", "watch"),
        snapshot_every_s=300,
    )
    with Store(every.db, read_only=True) as store:
        got = store.frame("SELECT * FROM pod_stats")
    truth = every.truth_stats()
    both = truth.join(got, on="pod_uid", suffix="_got")
    assert both.height == len(every.pods)
    for column in TRUTH_STATS:
        a, b = both[column], both[f"{column}_got"]
        if a.dtype.is_numeric():
            same = (a.is_null() & b.is_null()) | (
                (a.cast(pl.Float64) - b.cast(pl.Float64)).abs() < 1e-6
            )
        else:
            same = a.cast(pl.String).eq_missing(b.cast(pl.String))
        assert same.fill_null(False).all(), column

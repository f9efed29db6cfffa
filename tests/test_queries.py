"""Named queries and `podreplay query`: each query on data with a known answer (the
hand-built capture reasoned out in tests/support/analytics_data.py, or the simulator's ground
truth), parameters, errors, and the database as an API for clients that never import podreplay."""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from podreplay.errors import NotFoundError, UsageError
from podreplay.queries import bundled_queries, parse_query, resolve, run_named
from podreplay.store import Store
from tests.support.analytics_data import JOB, WEB, SimDb
from tests.support.cli import run as invoke
from tests.support.paths import ROOT

QUERIES_DIR = ROOT / "queries"


def run(db: Path, name: str, **params: str) -> list[dict[str, Any]]:
    """A named query's rows, through the library."""
    with Store(db, read_only=True) as store:
        return run_named(store, name, params).to_dicts()


def cli(*args: str) -> Any:
    return invoke("query", *args)


def keyed(rows: list[dict[str, Any]], value: str) -> list[tuple[str, str, Any]]:
    """(namespace, pod, value) of each row, sorted; a recreated pod keeps its name, so the
    same key can appear twice."""
    return sorted((r["namespace"], r["pod"], r[value]) for r in rows)


def truth_keyed(simulated: SimDb, value: str, where: pl.Expr) -> list[tuple[str, str, Any]]:
    """(namespace, pod, value) of the truth's per-pod stats matching `where`, sorted."""
    t = simulated.truth_stats().filter(where)
    return sorted(zip(t["namespace"], t["pod"], t[value], strict=True))


# --- the library of named queries -------------------------------------------------------------


def test_at_least_twelve_named_queries_ship_with_podreplay() -> None:
    names = [q.name for q in bundled_queries()]
    required = {
        "slowest_to_ready", "crashloops", "restart_causes", "oom_kills", "probe_failures",
        "image_pull_latency_by_node", "unschedulable", "flapping_readiness", "evictions",
        "time_in_phase_by_workload", "job_durations", "node_incidents",
    }  # fmt: skip
    assert required <= set(names)
    assert sorted(names) == sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


@pytest.mark.parametrize("query", bundled_queries(), ids=lambda q: q.name)
def test_every_named_query_has_a_header_and_runs_on_a_real_pipeline(
    query: Any, simulated: SimDb
) -> None:
    assert query.description and not query.description.endswith(" ")
    assert all(not p.required for p in query.params), "named queries need defaults"
    with Store(simulated.db, read_only=True) as store:
        frame = run_named(store, query.name)
    assert frame.width >= 1


def test_slowest_to_ready_orders_by_time_to_ready(hand_built: Path) -> None:
    # web was Ready 20 s after creation, the job pod 5 s
    rows = run(hand_built, "slowest_to_ready")
    assert [(r["pod"], r["time_to_ready_s"]) for r in rows] == [(WEB[2], 20.0), (JOB[2], 5.0)]
    assert [r["pod"] for r in run(hand_built, "slowest_to_ready", limit="1")] == [WEB[2]]
    assert [r["pod"] for r in run(hand_built, "slowest_to_ready", namespace="batch")] == [JOB[2]]


def test_slowest_to_ready_matches_the_ground_truth(simulated: SimDb) -> None:
    rows = run(simulated.db, "slowest_to_ready", limit="1000")
    ready = pl.col("time_to_ready_s").is_not_null()
    assert keyed(rows, "time_to_ready_s") == truth_keyed(simulated, "time_to_ready_s", ready)
    times = [r["time_to_ready_s"] for r in rows]
    assert times == sorted(times, reverse=True)


def test_crashloops_lists_the_pods_that_sat_in_crash_loop_back_off(simulated: SimDb) -> None:
    rows = run(simulated.db, "crashloops")
    truth = truth_keyed(simulated, "crashloop_s", pl.col("crashloop_s") > 0)
    assert keyed(rows, "crashloop_s") == truth
    assert all(r["restarts"] > 0 for r in rows)


def test_restart_causes_sum_to_the_simulated_restarts(simulated: SimDb) -> None:
    truth: dict[str, int] = {}
    for p in simulated.pods:
        for r in p["restarts"]:
            truth[r["cause"]] = truth.get(r["cause"], 0) + 1
    got: dict[str, int] = {}
    for r in run(simulated.db, "restart_causes"):
        got[r["cause"]] = got.get(r["cause"], 0) + r["restarts"]
    assert got == truth


def test_restart_causes_and_oom_kills_on_the_hand_built_job(hand_built: Path) -> None:
    # the job pod's container was OOM-killed (exit 137) once and restarted at 31 s
    assert run(hand_built, "restart_causes") == [
        {"namespace": "batch", "workload": "report", "cause": "OOMKilled", "restarts": 1, "pods": 1}
    ]
    [oom] = run(hand_built, "oom_kills")
    assert (oom["pod"], oom["container"], oom["node"], oom["outcome"], oom["exit_code"]) == (
        JOB[2], "report", "node-b", "restart", 137,
    )  # fmt: skip


def test_oom_kills_match_the_simulated_oom_terminations(simulated: SimDb) -> None:
    expected = 0
    for p in simulated.pods:
        expected += sum(r["cause"] == "OOMKilled" for r in p["restarts"])
        for c in p["containers"]:  # a last state of terminated/OOMKilled that was not restarted
            last = c["states"][-1] if c["states"] else None
            expected += bool(
                last and (last["state"], last["reason"]) == ("terminated", "OOMKilled")
            )
    assert expected > 0
    assert len(run(simulated.db, "oom_kills")) == expected


def test_probe_failures_count_each_probe(hand_built: Path, simulated: SimDb) -> None:
    # three aggregated readiness failures of web's app container: one burst
    [row] = run(hand_built, "probe_failures")
    assert (row["pod"], row["container"], row["probe"], row["failures"], row["bursts"]) == (
        WEB[2], "app", "readiness", 3, 1,
    )  # fmt: skip
    assert run(hand_built, "probe_failures", probe="liveness") == []
    truth = sorted(
        (p["namespace"], p["pod"], f["container"], f["probe"], f["count"])
        for p in simulated.pods
        for f in p["probe_failures"]
    )
    got = sorted(
        (r["namespace"], r["pod"], r["container"], r["probe"], r["failures"])
        for r in run(simulated.db, "probe_failures")
    )
    assert got == truth


def test_image_pull_latency_by_node(hand_built: Path, simulated: SimDb) -> None:
    # one pull on node-a: Pulling at 3 s, Pulled at 8 s
    rows = run(hand_built, "image_pull_latency_by_node")
    assert [(r["node"], r["pulls"], r["p50_s"], r["max_s"]) for r in rows] == [
        ("node-a", 1, 5.0, 5.0)
    ]
    # simulated: total pull seconds per node equal the truth's image_pull_s summed by node
    truth = (
        simulated.truth_stats()
        .filter(pl.col("image_pull_s").is_not_null())
        .group_by("node")
        .agg(pl.col("image_pull_s").sum())
    )
    got = {r["node"]: r["total_s"] for r in run(simulated.db, "image_pull_latency_by_node")}
    assert got == pytest.approx(dict(truth.iter_rows()))


def test_unschedulable_names_the_pods_the_scheduler_refused(simulated: SimDb) -> None:
    truth = sorted(
        (p["namespace"], p["pod"], p["stats"]["time_to_scheduled_s"] is not None)
        for p in simulated.pods
        if p["scenario"] == "unschedulable"
    )
    rows = run(simulated.db, "unschedulable")
    assert keyed(rows, "eventually_scheduled") == truth
    assert all(r["attempts"] >= 1 for r in rows)


def _truth_flaps(pod: dict[str, Any]) -> int:
    """Ready True→False transitions while the pod was Running and not being deleted."""
    ready = sorted(
        (c["start"], c["status"]) for c in pod["conditions"] if c["condition"] == "Ready"
    )
    running = [(p["start"], p["end"]) for p in pod["phases"] if p["phase"] == "Running"]
    deleted = pod["deletion_requested_at"]
    return sum(
        a[1] == "True"
        and b[1] == "False"
        and any(s <= b[0] and (e is None or b[0] < e) for s, e in running)
        and (deleted is None or b[0] < deleted)
        for a, b in itertools.pairwise(ready)
    )  # RFC 3339 UTC strings at whole seconds compare in time order


def test_flapping_readiness_counts_ready_true_to_false_while_running(simulated: SimDb) -> None:
    truth = sorted((p["namespace"], p["pod"], n) for p in simulated.pods if (n := _truth_flaps(p)))
    assert truth
    assert keyed(run(simulated.db, "flapping_readiness"), "flaps") == truth
    busy = [t for t in truth if t[2] >= 3]
    assert keyed(run(simulated.db, "flapping_readiness", min_flaps="3"), "flaps") == busy


def test_going_not_ready_at_completion_or_deletion_is_no_flap(hand_built: Path) -> None:
    # the job's Ready fell to False when it completed at 60, web's when it was deleted at 110
    assert run(hand_built, "flapping_readiness") == []


def test_evictions_list_evicted_and_preempted_pods(simulated: SimDb) -> None:
    ended = {"Evicted", "Preempting", "NodeLost"}
    truth = sorted((p["namespace"], p["pod"], p["final_reason"]) for p in simulated.pods
                   if p["final_reason"] in ended)  # fmt: skip
    rows = [r for r in run(simulated.db, "evictions") if r["reason"] in ended]
    assert truth and keyed(rows, "reason") == truth


def test_time_in_phase_by_workload_sums_the_pods(hand_built: Path) -> None:
    rows = {
        (r["namespace"], r["workload"]): r for r in run(hand_built, "time_in_phase_by_workload")
    }
    web, job = rows[("shop", "web")], rows[("batch", "report")]
    assert (web["pending_s"], web["running_s"], web["not_ready_running_s"]) == (12.0, 98.0, 8.0)
    assert (job["pending_s"], job["running_s"], job["succeeded_s"]) == (5.0, 55.0, 50.0)


def test_job_durations_span_first_creation_to_last_finish(
    hand_built: Path, simulated: SimDb
) -> None:
    # created at 0, Succeeded at 60
    [job] = run(hand_built, "job_durations")
    assert (job["job"], job["pods"], job["succeeded"], job["duration_s"]) == (
        "report-28500000", 1, 1, 60.0,
    )  # fmt: skip
    # every Job-owned pod (job_succeeded, job_failed, an init_failure under a Job)
    jobs = {p["pod_uid"] for p in simulated.pods if p["workload_kind"] in ("Job", "CronJob")}
    assert sum(r["pods"] for r in run(simulated.db, "job_durations")) == len(jobs)


def test_node_incidents_add_up_per_node(hand_built: Path, simulated: SimDb) -> None:
    rows = {r["node"]: r for r in run(hand_built, "node_incidents")}
    assert (rows["node-a"]["pods"], rows["node-a"]["restarts"]) == (1, 0)
    assert (rows["node-b"]["restarts"], rows["node-b"]["oom_kills"]) == (1, 1)
    truth = simulated.truth_stats().filter(pl.col("node").is_not_null())
    restarts = dict(truth.group_by("node").agg(pl.col("restarts").sum()).iter_rows())
    got = {r["node"]: r["restarts"] for r in run(simulated.db, "node_incidents") if r["pods"]}
    assert got == restarts


def test_pending_pods_are_the_ones_still_pending(simulated: SimDb) -> None:
    truth = truth_keyed(simulated, "pending_s", pl.col("final_phase") == "Pending")
    assert keyed(run(simulated.db, "pending_pods"), "pending_s") == truth


def test_warning_reasons_and_slow_terminations(hand_built: Path) -> None:
    # one aggregated Unhealthy event with count 3; web deleted at 100, gone at 110
    assert [
        (r["reason"], r["occurrences"], r["objects"]) for r in run(hand_built, "warning_reasons")
    ] == [("Unhealthy", 3, 1)]
    [term] = run(hand_built, "slow_terminations")
    assert (term["pod"], term["terminating_s"], term["grace_exceeded"]) == (WEB[2], 10.0, False)


# --- the command ------------------------------------------------------------------------------


def test_list_prints_each_query_name_and_description() -> None:
    res = cli("--list", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["name"], r["description"]) for r in rows] == [
        (q.name, q.description) for q in bundled_queries()
    ]


def test_query_json_rows_use_the_column_names(hand_built: Path) -> None:
    res = cli("slowest_to_ready", "--param", "limit=1", "--format", "json", "--db", str(hand_built))
    assert res.exit_code == 0, res.stderr
    [row] = json.loads(res.stdout)
    assert (row["namespace"], row["pod"], row["time_to_ready_s"]) == ("shop", WEB[2], 20.0)


def test_params_bind_as_values_never_as_sql(hand_built: Path) -> None:
    hostile = "batch' OR '1'='1"
    res = cli(
        "slowest_to_ready", "-p", f"namespace={hostile}", "-f", "json", "--db", str(hand_built)
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == []


def test_inline_sql_and_sql_files_take_params(hand_built: Path, tmp_path: Path) -> None:
    sql = "SELECT pod FROM pods WHERE namespace = $ns ORDER BY pod"
    res = cli(sql, "-p", "ns=shop", "-f", "csv", "--db", str(hand_built))
    assert (res.exit_code, res.stdout) == (0, f"pod\n{WEB[2]}\n")
    f = tmp_path / "mine.sql"
    f.write_text(
        "-- name: mine\n-- description: pods of a namespace\n-- param: ns (default: batch)\n" + sql
    )
    res = cli(str(f), "-f", "csv", "--db", str(hand_built))
    assert (res.exit_code, res.stdout) == (0, f"pod\n{JOB[2]}\n")


def test_a_missing_param_is_a_usage_error(hand_built: Path) -> None:
    res = cli("SELECT $ns AS x", "--db", str(hand_built))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr == "podreplay: error: query inline needs --param ns=VALUE\n"


def test_an_unknown_param_is_a_usage_error(hand_built: Path) -> None:
    res = cli("crashloops", "-p", "nodes=x", "--db", str(hand_built))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "has no parameter 'nodes'" in res.stderr


def test_a_query_error_leaves_stdout_empty(hand_built: Path) -> None:
    res = cli("SELECT * FROM no_such_table", "--db", str(hand_built))
    assert res.exit_code == 1
    assert res.stdout == ""
    assert res.stderr.startswith("podreplay: error: ")  # the wording after it is DuckDB's
    assert "no_such_table" in res.stderr
    assert res.stderr.count("\n") == 1


def test_an_unknown_query_name_suggests_close_ones(hand_built: Path) -> None:
    res = cli("crashloop", "--db", str(hand_built))
    assert res.exit_code == 3
    assert res.stdout == ""
    assert "did you mean crashloops" in res.stderr


def test_query_opens_the_database_read_only_unless_write(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    Store(db).close()
    res = cli("CREATE TABLE notes (t VARCHAR)", "--db", str(db))
    assert res.exit_code == 1
    assert res.stderr.startswith("podreplay: error: ")  # the wording after it is DuckDB's
    assert res.stderr.count("\n") == 1
    assert cli("CREATE TABLE notes (t VARCHAR)", "--write", "--db", str(db)).exit_code == 0
    with Store(db, read_only=True) as store:
        assert store.has_table("notes")


def test_header_parsing_reads_defaults_and_descriptions() -> None:
    q = parse_query(
        "-- name: x\n-- description: what it does\n-- param: a (default: all) the a\n"
        "-- param: b (default: 7)\n-- param: c required thing\nSELECT $a, $b, $c",
        name="file",
        origin="t",
    )
    assert (q.name, q.description) == ("x", "what it does")
    assert [(p.name, p.default, p.required, p.description) for p in q.params] == [
        ("a", None, False, "the a"),
        ("b", "7", False, ""),
        ("c", None, True, "required thing"),
    ]


def test_resolve_tells_names_files_and_sql_apart(tmp_path: Path) -> None:
    assert resolve("crashloops").origin == "bundled"
    assert resolve("SELECT 1").origin == "inline"
    with pytest.raises(NotFoundError):
        resolve(str(tmp_path / "missing.sql"))
    with pytest.raises(NotFoundError):
        resolve("no_such_query")
    with pytest.raises(UsageError):
        run_named(Store(":memory:"), "SELECT 1", {"x": "1"})


# --- the database is the API ------------------------------------------------------------------

PLAIN_CLIENT = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
names = sorted(r[0] for r in con.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
counts = {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
pulled = con.execute("SELECT go_duration_s('1m2.5s')").fetchone()[0]
print(json.dumps({"names": names, "counts": counts, "macro": pulled,
       "imported_podreplay": any(m.startswith("podreplay") for m in sys.modules)}))
"""


def test_derived_tables_and_views_are_visible_to_a_plain_duckdb_client(simulated: SimDb) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_CLIENT, str(simulated.db)],
        capture_output=True,
        text=True,
        check=True,
        cwd=simulated.out_dir,
    )
    seen = json.loads(out.stdout)
    assert seen["imported_podreplay"] is False
    derived = {"pod_stats", "workloads", "image_pulls", "pods", "phase_intervals", "restarts"}
    assert derived <= set(seen["names"])
    assert seen["counts"]["pod_stats"] == len(simulated.pods)
    assert seen["counts"]["workloads"] >= 1
    assert seen["macro"] == 62.5


def test_query_without_a_name_or_list_is_a_usage_error() -> None:
    res = cli()
    assert res.exit_code == 2
    assert res.stdout == ""


@pytest.mark.parametrize("command", ["query", "stats", "export"])
def test_help_shows_a_runnable_example(command: str) -> None:
    res = invoke(command, "--help")
    assert res.exit_code == 0
    assert f"Example: podreplay {command} " in res.stdout

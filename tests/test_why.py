"""Each pod's worst problem in words (`pod_why`), through the real CLI: on the simulator's
capture every scenario reads as its problem, with the figures the truth holds; on the k3s
capture the unschedulable, crash-looping and controller-deleted pods say so; `stats --by pod`
shows the why column at any width without cutting a name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from podreplay.store import Store
from tests.support.cli import run_ok as run
from tests.support.objects import core_event, write_list
from tests.support.paths import K3S_FILES

# the problem each simulator scenario must read as (scenarios that end well read as nothing)
SCENARIO_PROBLEM = {
    "crashloop": "crash_loop",
    "liveness_kill": "probe_kill",
    "startup_probe": "probe_kill",
    "oom_kill": "oom_killed",
    "image_pull_failure": "image_pull",
    "unschedulable": "unschedulable",
    "eviction": "evicted",
    "preemption": "evicted",
    "job_failed": "failed",
    "healthy": None,
    "readiness_flap": None,
    "init_containers": None,
}
WORDS = {
    "crash_loop": r"CrashLoopBackOff: (Error|Completed) exit \d+ ×\d+, last \d\d:\d\d",
    "probe_kill": r"(liveness|startup) probe killed it ×\d+: (HTTP 500|connection refused)",
    "oom_killed": r"OOMKilled ×\d+ \(limit \d+Mi\)",
    "image_pull": r"(ImagePullBackOff|ErrImagePull): not found ×\d+",
    "unschedulable": r"Unschedulable \d+ [sm](, then scheduled)?: 0/3 nodes: 3 Insufficient \w+",
    "evicted": r"(evicted|preempted): .+",
    "failed": r"Failed: Error exit \d+",
}


def pods_json(db: Path) -> list[dict[str, Any]]:
    doc = json.loads(run("stats", "--by", "pod", "--format", "json", "--db", str(db)))
    rows: list[dict[str, Any]] = doc["summary"]
    return rows


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("why")
    run("simulate", "--pods", "80", "--seed", "3", "--out", str(root / "cap"))
    db = root / "sim.duckdb"
    run("ingest", str(root / "cap"), "--db", str(db), "-q")
    return db, json.loads((root / "cap" / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def k3s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("k3s") / "k3s.duckdb"
    paths = [str(p) for p in K3S_FILES]
    run("ingest", *paths, "--db", str(db), "-q")
    return db


def test_every_scenario_reads_as_its_problem(sim: tuple[Path, dict[str, Any]]) -> None:
    db, truth = sim
    rows = {r["pod_uid"]: r for r in pods_json(db)}
    checked = 0
    for pod in truth["pods"]:
        if pod["scenario"] not in SCENARIO_PROBLEM:
            continue
        row = rows[pod["pod_uid"]]
        want = SCENARIO_PROBLEM[pod["scenario"]]
        if want is None and pod["restarts"]:
            continue
        assert row["problem"] == want, (pod["pod"], pod["scenario"], row["why"])
        if want is not None:
            assert re.fullmatch(WORDS[want], row["why"]), (pod["pod"], row["why"])
            checked += 1
    assert checked >= 25  # of the 80 pods the weighted mix gives


def test_the_figures_are_the_truths(sim: tuple[Path, dict[str, Any]]) -> None:
    db, truth = sim
    rows = {r["pod_uid"]: r for r in pods_json(db)}
    for pod in truth["pods"]:
        row = rows[pod["pod_uid"]]
        causes = [r["cause"] for r in pod["restarts"]]
        if row["problem"] == "oom_killed":
            # OOM kills: the restarts that were, plus the instance left OOM-killed
            assert int(row["why"].split("×")[1].split()[0]) == row["oom_kills"]
            assert causes.count("OOMKilled") <= row["oom_kills"] <= causes.count("OOMKilled") + 1
        if row["problem"] == "crash_loop":
            assert f"×{len(causes)}," in row["why"], (pod["pod"], row["why"], len(causes))
        if row["problem"] == "probe_kill":
            n = int(row["why"].split("×")[1].split(":")[0])
            probe = row["why"].split()[0]
            assert n == causes.count(f"{probe}_probe"), (pod["pod"], row["why"], causes)


def test_k3s_pods_say_why(k3s: Path) -> None:
    whys = {r["pod"]: r["why"] for r in pods_json(k3s)}
    assert whys["backend-api-75fb46b7bd-xtkrh"] == "CrashLoopBackOff: Error exit 1 ×5, last 20:53"
    stuck = [w for p, w in whys.items() if p.startswith("cpu-intensive-app") and w]
    assert stuck == ["Unschedulable 3 m: 0/1 nodes: 1 Insufficient cpu"] * 2
    deleted = "deleted by a controller (ReplicaSet coredns-5688667fd4)"
    assert whys["coredns-5688667fd4-v5z66"] == deleted
    assert whys["traefik-c98fdf6fb-6jpj2"] is None


def test_every_problem_is_kept_worst_first(sim: tuple[Path, dict[str, Any]]) -> None:
    db, _ = sim
    with Store(db, read_only=True) as store:
        bad = store.rows(
            """SELECT w.pod, w.problem, w.problems FROM pod_why w
            LEFT JOIN (
                SELECT pod_uid, list(problem ORDER BY severity) AS worst_first
                FROM pod_problems GROUP BY pod_uid
            ) p USING (pod_uid)
            WHERE w.problem IS DISTINCT FROM w.problems[1]
               OR w.problems <> coalesce(p.worst_first, [])"""
        )
        assert bad == []
        # one row per pod and problem, severity fixed per problem
        fixed = "SELECT problem FROM pod_problems GROUP BY 1 HAVING count(DISTINCT severity) > 1"
        assert store.rows(fixed) == []
        twice = "SELECT pod_uid, problem FROM pod_problems GROUP BY ALL HAVING count(*) > 1"
        assert store.rows(twice) == []


@pytest.mark.parametrize("width", [80, 120, 200])
def test_stats_table_shows_why_and_whole_names(k3s: Path, width: int) -> None:
    out = run("stats", "--by", "pod", "--db", str(k3s), "--section", "summary", columns=width)
    assert " why " in next(line for line in out.splitlines() if "┃" in line and " pod " in line)
    assert "".join(column_text(out, "pod")).count("cpu-intensive-app-7bcfc5d944-hw2vc") == 1
    if width >= 120:  # wide enough: every name on one line
        assert "cpu-intensive-app-7bcfc5d944-hw2vc" in out
    why = " ".join(column_text(out, "why"))
    assert "Insufficient" in why and "CrashLoopBackOf" in why


def column_text(table: str, header: str) -> list[str]:
    """The cells of one column of a rich table, line by line."""
    lines = table.splitlines()
    head = next(line for line in lines if "┃" in line and f" {header} " in line)
    index = [c.strip() for c in head.split("┃")].index(header)
    return [line.split("│")[index].strip() for line in lines if line.startswith("│")]


def report_text(db: Path, out: Path) -> str:
    run("report", "--db", str(db), "--out", str(out))
    return out.read_text()


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start : html.index("</section>", start)]


def test_report_splits_failures_and_lists_offenders_by_problem(
    sim: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    db, truth = sim
    html = report_text(db, tmp_path / "r.html")
    card = section(html, "overview")
    failed = [p for p in truth["pods"] if p["final_phase"] == "Failed"]
    # the failed card: one line per reason, adding up to the failed pods (none blank)
    lines = re.findall(r"(?:<br>|>)([A-Za-z ]+) (\d+)(?=<br>|</div>)", card.split("failed or")[1])
    assert sum(int(n) for _, n in lines) == len(failed)
    reasons = {r for r, _ in lines}
    # every reason the truth's failed pods ended with (Evicted, Preempting, the
    # DisruptionTarget reasons of pods deleted with no reason of their own), and Error
    wanted = {p["final_reason"] for p in failed if p["final_reason"]}
    assert {"Error", "Evicted", "Preempting"} | wanted <= reasons, (wanted, reasons)
    assert "reason unknown" not in reasons
    offenders = section(html, "offenders")
    for title in ("Stuck Pending", "Image pull failures", "OOM kills", "Probe kills"):
        assert f"<h3>{title} (" in offenders
    pull = offenders.split("<h3>Image pull failures")[1].split("</table>")[0]
    n_pull = sum(p["scenario"] == "image_pull_failure" for p in truth["pods"])
    assert pull.count("ImagePullBackOff: not found") == n_pull
    stuck = offenders.split("<h3>Stuck Pending")[1].split("</table>")[0]
    if any(p["scenario"] == "unschedulable" for p in truth["pods"]):
        assert re.search(r"Unschedulable \d+ m(, then scheduled)?: 0/\d+ nodes: ", stuck), stuck
    # pods stuck in ContainerCreating have their own table, each row naming what blocked it
    blocked_scenarios = ("volume_mount_failure", "sandbox_failure", "config_error")
    if any(p["scenario"] in blocked_scenarios for p in truth["pods"]):
        blocked = offenders.split("<h3>Blocked creating")[1].split("</table>")[0]
        assert re.search(
            r"blocked \d+ (s|m) by (FailedMount|FailedAttachVolume|"
            r"FailedCreatePodSandBox|CreateContainerConfigError)",
            blocked,
        ), blocked


HOSTILE = '0/1 nodes are available: <img src=x onerror="alert(1)">&amp; Insufficient cpu.'


def test_a_hostile_scheduler_message_is_escaped_everywhere(tmp_path: Path) -> None:
    event = core_event(
        "web", "FailedScheduling", HOSTILE, "2024-03-01T02:00:00Z", "2024-03-01T02:10:00Z",
        name="web.1", uid="ev-1", pod_uid="pod-1", namespace="shop", count=3,
    )  # fmt: skip
    src = write_list(tmp_path / "events.json", [event])
    db = tmp_path / "h.duckdb"
    run("ingest", str(src), "--db", str(db), "-q")
    (row,) = pods_json(db)
    assert row["why"].startswith("Unschedulable") and "<img" in row["why"]
    html = report_text(db, tmp_path / "h.html")
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_timeline_header_and_replay_state_say_why(k3s: Path) -> None:
    out = run("timeline", "backend-api-75fb46b7bd-xtkrh", "--db", str(k3s), columns=200)
    assert "why: CrashLoopBackOff: Error exit 1 ×5, last 20:53" in out
    rows = json.loads(run("replay", "--at", "-1m", "--format", "json", "--db", str(k3s)))
    whys = {r["pod"]: r["why"] for r in rows}
    assert whys["cpu-intensive-app-7bcfc5d944-hw2vc"].startswith("Unschedulable 3 m: 0/1 nodes")
    out = run("replay", "--at", "-1m", "--db", str(k3s), columns=100)
    assert " why " in next(line for line in out.splitlines() if "┃" in line and " pod " in line)


def test_a_database_from_before_pod_why_still_answers(k3s: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    old.write_bytes(k3s.read_bytes())
    with Store(old) as store:
        store.execute("DROP TABLE pod_why")
        store.execute("DROP TABLE pod_problems")
    rows = pods_json(old)
    assert len(rows) == 15 and all(r["why"] is None for r in rows)
    state = json.loads(run("replay", "--at", "-1m", "--format", "json", "--db", str(old)))
    assert state and all(r["why"] is None for r in state)
    run("report", "--db", str(old), "--out", str(tmp_path / "old.html"))


def test_a_thin_capture_states_no_duration_it_cannot_know(tmp_path: Path) -> None:
    run("simulate", "--pods", "60", "--seed", "5", "--thin", "--out", str(tmp_path / "cap"))
    db = tmp_path / "thin.duckdb"
    run("ingest", str(tmp_path / "cap"), "--db", str(db), "-q")
    with Store(db, read_only=True) as store:
        rows = store.rows(
            """SELECT p.problem, p.why FROM pod_problems p JOIN pod_stats s USING (pod_uid)
            WHERE (p.problem = 'stuck_pending' AND s.pending_s IS NULL)
               OR (p.problem = 'unschedulable'
                   AND coalesce(s.time_to_scheduled_s, s.pending_s) IS NULL)"""
        )
    assert rows, "the thin capture has pods whose time Pending no capture shows"
    for problem, why in rows:
        assert not re.search(r"\d+(\.\d+)? [smh]\b", why), (problem, why)
        assert problem != "stuck_pending" or "how long unknown" in why

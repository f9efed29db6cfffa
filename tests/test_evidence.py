"""Honest lifecycles on real captures (issue 14): nothing is claimed beyond a pod's evidence.

Expected facts of the k3s troubleshoot bundle and the kubectl-neat single Pod (provenance in
tests/data/real/SOURCES.md) are written out; the corpus-wide checks hold for every real capture.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from podreplay.render.html.cluster import cluster_timeline_figure
from podreplay.render.html.plot import GAP_NAME
from podreplay.render.html.pod_figure import PodFrames, pod_timeline_figure
from podreplay.render.html.pods import pod_detail_frames
from podreplay.render.html.scope import Scope, phase_intervals, select_scope
from podreplay.store import Store
from tests.support.cli import ingest, run
from tests.support.db import rows
from tests.support.lifecycle_rows import (
    at,
    check_intervals_tile_time,
    condition,
    container,
    pod,
    rebuilt,
    source,
)
from tests.support.paths import K3S_FILES, REAL

NEAT = REAL / "kubectl-neat__pod1-raw.json"
CORPUS = sorted(p for p in REAL.iterdir() if p.suffix in (".json", ".yaml"))


def ingested(tmp: Path, paths: list[Path], *extra: str) -> Path:
    """A database with `paths` ingested through the CLI."""
    db = tmp / "db.duckdb"
    res = ingest(db, *paths, extra=("-q", *extra))
    assert res.exit_code in (0, 1), res.output
    return db


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def k3s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested(tmp_path_factory.mktemp("k3s"), K3S_FILES)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested(tmp_path_factory.mktemp("corpus"), CORPUS)


@pytest.mark.parametrize("pod", ["coredns-5688667fd4-v5z66", "metrics-server-6f4c6675d5-98986"])
def test_k3s_pods_killed_and_absent_from_the_next_list_are_gone_by_it(k3s: Path, pod: str) -> None:
    # Killing "Stopping container" at 20:40:05, absent from the kube-system List at 20:40:38
    assert rows(
        k3s,
        "SELECT deletion_requested_at, deleted_after, deleted_at, deleted_basis FROM pods"
        " WHERE pod = ?",
        [pod],
    ) == [
        (
            utc("2025-09-11 20:40:05"),
            utc("2025-09-11 20:40:05"),
            utc("2025-09-11 20:40:38"),
            "inferred",
        )
    ]
    phases = rows(
        k3s,
        "SELECT phase, basis, open, end_ts FROM phase_intervals WHERE pod = ?"
        " ORDER BY start_ts, end_ts",
        [pod],
    )
    # not "still Running when the capture ends": after the last sighting nothing is known
    assert phases[-1] == ("unknown", "gap", False, utc("2025-09-11 20:40:38"))
    assert not any(open_ for _, _, open_, _ in phases)
    (terminating,) = rows(k3s, "SELECT terminating_s FROM pod_stats WHERE pod = ?", [pod])[0]
    assert terminating is not None and terminating <= 60


def test_k3s_namespaces_end_at_their_own_last_list(k3s: Path) -> None:
    assert rows(k3s, "SELECT cluster, namespace, last_ts FROM capture_scopes ORDER BY 2") == [
        ("default", "default", utc("2025-09-11 20:53:27")),
        ("default", "kube-system", utc("2025-09-11 20:40:38")),
    ]
    # kube-system pods still there at its last List are open until that List, not 20:53
    assert rows(
        k3s,
        "SELECT DISTINCT end_ts FROM phase_intervals WHERE namespace = 'kube-system' AND open",
    ) == [(utc("2025-09-11 20:40:38"),)]


def test_a_single_snapshot_of_a_restarted_pod_leaves_pending_unknown(tmp_path: Path) -> None:
    # created 2019-04-24 19:55:27 (Initialized then too); restartCount 3; the lastState
    # instance started 2019-07-03 05:55:39: the first start is somewhere in between
    db = ingested(tmp_path, [NEAT])
    assert rows(
        db, "SELECT phase, start_ts, end_ts, basis FROM phase_intervals ORDER BY start_ts, end_ts"
    ) == [
        ("Pending", utc("2019-04-24 19:55:27"), utc("2019-04-24 19:55:27"), "observed"),
        ("unknown", utc("2019-04-24 19:55:27"), utc("2019-07-03 05:55:39"), "gap"),
        ("Running", utc("2019-07-03 05:55:39"), utc("2019-07-06 18:41:25"), "observed"),
    ]
    stats = rows(
        db, "SELECT pending_s, crashloop_s, restarts, unknown_s, observed_s FROM pod_stats"
    )
    assert stats == [(None, 0.0, 3, 5997612.0, 305146.0)]
    # between the lastState instance's end and the current start: no crash-loop claimed
    assert rows(
        db,
        "SELECT state, basis FROM container_intervals WHERE start_ts = '2019-07-04 08:17:21+00'",
    ) == [("unknown", "gap")]
    assert rows(
        db,
        "SELECT count(*) FROM container_intervals WHERE state = 'waiting' AND seconds > 60",
    ) == [(0,)]


def test_no_real_capture_claims_state_beyond_its_evidence(corpus: Path) -> None:
    for table in ("phase_intervals", "container_intervals", "condition_intervals"):
        assert rows(
            corpus,
            f"SELECT count(*) FROM {table} AS i JOIN pods AS p USING (pod_uid)"
            " WHERE i.basis <> 'gap' AND i.end_ts > p.evidence_to",
        ) == [(0,)], table


def test_no_real_pending_overlaps_a_running_container(corpus: Path) -> None:
    assert rows(
        corpus,
        "SELECT count(*) FROM phase_intervals AS i"
        " JOIN (SELECT pod_uid, min(started_at) AS t FROM container_instances"
        "       WHERE NOT is_init GROUP BY ALL) AS c USING (pod_uid)"
        # timestamps have 1 s resolution; a mirror pod's object is created after its static
        # pod's containers started (0 s Pending at creation)
        " WHERE i.phase = 'Pending' AND i.seconds > 0 AND i.end_ts > c.t + INTERVAL 1 SECOND",
    ) == [(0,)]


def test_real_crash_loops_are_all_evidenced(corpus: Path) -> None:
    # every CrashLoopBackOff interval overlaps a BackOff event or a CrashLoopBackOff observation
    assert rows(
        corpus,
        "SELECT count(*) FROM container_intervals AS i"
        " WHERE i.state = 'waiting' AND i.reason = 'CrashLoopBackOff' AND NOT EXISTS ("
        "  SELECT 1 FROM pod_events AS e WHERE e.pod_uid = i.pod_uid AND e.reason = 'BackOff'"
        "   AND e.last_ts >= i.start_ts - INTERVAL 2 SECOND AND e.first_ts <= i.end_ts"
        "  UNION ALL SELECT 1 FROM container_snapshots AS c WHERE c.pod_uid = i.pod_uid"
        "   AND c.reason = 'CrashLoopBackOff' AND c.observed_at BETWEEN i.start_ts AND i.end_ts)",
    ) == [(0,)]


def test_real_captures_years_apart_do_not_stretch_each_other(corpus: Path) -> None:
    # every interval lies within its own capture: none spans more than the corpus' longest
    # pod lifetime evidenced by one capture (here: kubectl-neat's 73 days)
    (longest,) = rows(corpus, "SELECT max(seconds) FROM phase_intervals WHERE basis <> 'gap'")[0]
    assert longest is not None and longest < 80 * 86400


def test_clusters_never_mix(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    for name in ("east", "west"):
        res = run("ingest", *map(str, K3S_FILES), "--db", str(db), "-q", "--cluster", name)
        assert res.exit_code == 0, res.output
    assert rows(db, "SELECT cluster, count(*) FROM sources GROUP BY 1 ORDER BY 1") == [
        ("east", 4),
        ("west", 4),
    ]
    assert rows(db, "SELECT DISTINCT cluster FROM capture_scopes ORDER BY 1") == [
        ("east",),
        ("west",),
    ]


def test_an_empty_cluster_name_is_a_usage_error(tmp_path: Path) -> None:
    res = run("ingest", str(NEAT), "--db", str(tmp_path / "x.duckdb"), "--cluster", " ")
    assert res.exit_code == 2
    assert "--cluster" in res.output


def test_a_capture_gap_is_unknown_until_the_pod_is_seen_again(store: Store) -> None:
    source(store)
    # a watch: Pending at 0, Running at 10 (container started at 8); the watch drops from 20
    # to 100 (capture_gaps); seen again at 120 (the same container instance) and 200
    pod(store, 0, phase="Pending", start_time=0)
    pod(store, 10, phase="Running", start_time=0)
    container(store, 10, state="running", started=8)
    condition(store, 10, name="Ready", status="True", since=9)
    pod(store, 120, phase="Running", start_time=0)
    container(store, 120, state="running", started=8)
    condition(store, 120, name="Ready", status="True", since=9)
    pod(store, 200, phase="Running", start_time=0)
    container(store, 200, state="running", started=8)
    condition(store, 200, name="Ready", status="True", since=9)
    store.execute(
        "INSERT INTO capture_gaps VALUES (1, 'default', NULL, ?, ?, 'watch dropped')",
        [at(20), at(100)],
    )
    rebuilt(store)
    check_intervals_tile_time(store)
    q = "SELECT {}, start_ts, end_ts, basis FROM {} ORDER BY start_ts, end_ts"
    assert rows_of(store, q.format("phase", "phase_intervals")) == [
        ("Pending", at(0), at(8), "observed"),
        ("Running", at(8), at(20), "observed"),
        ("unknown", at(20), at(120), "gap"),
        ("Running", at(120), at(200), "observed"),
    ]
    assert rows_of(store, q.format("state", "container_intervals"))[-3:] == [
        ("running", at(8), at(20), "observed"),
        ("unknown", at(20), at(120), "gap"),
        ("running", at(120), at(200), "observed"),
    ]
    assert rows_of(store, q.format("status", "condition_intervals")) == [
        # not ready from the container's start until Ready turned True (inferred)
        ("False", at(8), at(9), "inferred"),
        ("True", at(9), at(20), "observed"),
        ("unknown", at(20), at(120), "gap"),
        ("True", at(120), at(200), "observed"),
    ]
    (unknown, observed) = rows_of(store, "SELECT unknown_s, observed_s FROM pod_stats")[0]
    assert (unknown, observed) == (100.0, 100.0)


def rows_of(store: Store, sql: str) -> list[tuple[object, ...]]:
    return store.rows(sql)


def test_timelines_draw_gaps_as_hatched_no_evidence_bands(tmp_path: Path) -> None:
    db = ingested(tmp_path, [NEAT])
    with Store(db, read_only=True) as store:
        data = select_scope(store, Scope())
        row = data.pods.row(0, named=True)
        detail = pod_detail_frames(store, data, [row["pod_uid"]])
        lanes = ("phases", "conditions", "containers", "restarts", "probes", "events")
        frames = PodFrames(pod=row, span_end=data.end, **{k: detail[k] for k in lanes})
        fig = pod_timeline_figure(frames)
        phases = phase_intervals(store, data, clip=False)
    gaps = [t for t in fig.data if t.name == GAP_NAME]
    assert {t.y[0] for t in gaps} == {"phase", "container: myapp"}
    assert all(t.marker.pattern.shape == "/" for t in gaps)
    assert all("basis: gap" in h for t in gaps for h in t.hovertext)
    running = next(t for t in fig.data if t.name == "Running")
    assert "basis: observed" in running.hovertext[0]
    pods = pl.DataFrame(
        {
            "pod_uid": [row["pod_uid"]],
            "label": ["default/myapp"],
            "link": [""],
            "namespace": ["default"],
            "workload": ["myapp"],
            "created_at": [row["created_at"]],
            "restarts": [3],
        }
    )
    restarts = detail["restarts"].head(0)
    cluster = cluster_timeline_figure(pods, phases, restarts)
    assert [t.marker.pattern.shape for t in cluster.data if t.name == GAP_NAME] == ["/"]


INSIGHTS = sorted(REAL.glob("insights-ocp4.8_2021_insights-archive__*.json"))


def test_insights_archive_pods_claim_no_pending_or_crash_loop_they_do_not_show(
    tmp_path: Path,
) -> None:
    db = ingested(tmp_path, INSIGHTS)
    stats = rows(
        db, "SELECT pod, final_phase, pending_s, crashloop_s, restarts FROM pod_stats ORDER BY 1"
    )
    assert stats == [
        # restarted 17 times, one snapshot: its first start (so Pending's end) is unknown
        ("packageserver-6d96bf85f8-kqfkr", "Running", None, 0.0, 17),
        # an init container crash-looping 7527 times keeps the pod Pending all along
        ("vsystem-867f4b77cc-pqcns", "Pending", 2761825.0, 0.0, 7527),
    ]
    assert rows(
        db,
        "SELECT phase, start_ts, end_ts, basis FROM phase_intervals"
        " WHERE pod = 'packageserver-6d96bf85f8-kqfkr' ORDER BY start_ts, end_ts",
    ) == [
        ("Pending", utc("2021-07-07 11:27:22"), utc("2021-07-07 11:27:22"), "observed"),
        ("unknown", utc("2021-07-07 11:27:22"), utc("2021-07-08 11:00:12"), "gap"),
        ("Running", utc("2021-07-08 11:00:12"), utc("2021-07-08 11:01:04"), "observed"),
    ]


def test_a_database_from_before_clusters_gets_the_column_and_keeps_its_sources(
    tmp_path: Path,
) -> None:
    db = ingested(tmp_path, [NEAT])
    with Store(db) as store:  # as schema version 1 left it: no sources.cluster
        store.execute("ALTER TABLE sources DROP COLUMN cluster")
        store.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    ingested(tmp_path, K3S_FILES)  # the same file: a later ingest upgrades it
    assert rows(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert rows(db, "SELECT DISTINCT cluster FROM sources") == [("default",)]
    assert rows(db, "SELECT count(*) FROM sources") == [(5,)]


def test_a_list_of_every_namespace_proves_pods_of_each_gone(store: Store) -> None:
    source(store)
    source(store, 2, "all-namespaces.json")
    # at 10 a List of shop shows A; at 70 a `get pods -A` List shows pods of two other
    # namespaces (one already seen at 10): A, not in it, was gone by 70
    pod(store, 10, "A", name="a-0", namespace="shop", phase="Running", watch_type=None)
    pod(store, 10, "B", name="b-0", namespace="batch", phase="Running", watch_type=None)
    for uid, ns in (("B", "batch"), ("C", "data")):
        pod(
            store,
            70,
            uid,
            name=f"{uid.lower()}-0",
            namespace=ns,
            phase="Running",
            watch_type=None,
            source_id=2,
        )
    rebuilt(store)
    assert rows_of(store, "SELECT pod_uid, deleted_after, deleted_at FROM pods ORDER BY 1") == [
        ("A", at(10), at(70)),
        ("B", None, None),
        ("C", None, None),
    ]


def test_captures_years_apart_end_their_pods_each_at_its_own_last_list(store: Store) -> None:
    source(store)
    source(store, 2, "a-year-later.json")
    year = 365 * 86400
    pod(store, 10, "A", name="a-0", phase="Running", watch_type=None)
    pod(store, 20, "A", name="a-0", phase="Running", watch_type=None)
    pod(
        store,
        year,
        "B",
        name="b-0",
        phase="Running",
        watch_type=None,
        source_id=2,
        created=year - 60,
    )
    rebuilt(store)
    assert rows_of(
        store,
        "SELECT pod_uid, max(end_ts), bool_or(open) FROM phase_intervals GROUP BY 1 ORDER BY 1",
    ) == [("A", at(20), True), ("B", at(year), True)]
    assert rows_of(store, "SELECT count(DISTINCT source_group) FROM capture_scopes") == [(2,)]

"""The command line behaves like the tools SREs already use: names are never cut at any width,
every time option reads the same forms, pods are found one way (name, uid, prefix, ns/name,
labels, every incarnation), an empty selection exits 3, and bad paths, closed pipes and Ctrl-C
end with one line and the right exit code.

Through the real CLI: typer's runner for output, real subprocesses for pipes and signals.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podreplay.store import Store
from tests.support.cli import process as cli
from tests.support.cli import run
from tests.support.paths import K3S_FILES, K3S_PODS, SAMPLE_LOGS, real

WIDTHS = (80, 120, 200)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "sample.duckdb"
    assert run("ingest", str(SAMPLE_LOGS), "--db", str(db), "-q").exit_code == 0
    return db


@pytest.fixture(scope="module")
def k3s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("k3s") / "k3s.duckdb"
    paths = [str(p) for p in K3S_FILES]
    assert run("ingest", *paths, "--db", str(db), "-q").exit_code == 0
    return db


def column_text(table: str, header: str) -> str:
    """Every cell of one column of a rich table, in order, joined: a folded name reads whole."""
    lines = table.splitlines()
    head = next(line for line in lines if "┃" in line and f" {header} " in line)
    index = [c.strip() for c in head.split("┃")].index(header)
    cells = [line.split("│")[index].strip() for line in lines if line.startswith("│")]
    return "".join(cells)


def names(db: Path, sql: str) -> list[str]:
    with Store(db, read_only=True) as store:
        return [r[0] for r in store.rows(sql) if r[0]]


# -- 1. identifiers are never cut ------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["sample", "k3s"])
def test_stats_tables_print_every_name_whole(
    request: pytest.FixtureRequest, which: str, width: int
) -> None:
    db: Path = request.getfixturevalue(which)
    for by, column, sql in (
        ("pod", "pod", "SELECT pod FROM pods"),
        ("workload", "workload", "SELECT workload FROM pods"),
        ("namespace", "namespace", "SELECT namespace FROM pods"),
    ):
        res = run("stats", "--by", by, "--section", "summary", "--db", str(db), columns=width)
        assert res.exit_code == 0, res.stderr
        assert "…" not in res.stdout
        assert max(map(len, res.stdout.splitlines())) <= width
        text = column_text(res.stdout, column)
        for name in names(db, sql):
            assert name in text, (by, name)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("which", ["sample", "k3s"])
def test_ingest_summary_prints_sources_whole_with_totals(
    tmp_path: Path, which: str, width: int
) -> None:
    db = tmp_path / "x.duckdb"
    paths = [str(SAMPLE_LOGS)]
    if which == "k3s":
        paths = [str(p) for p in K3S_FILES]
    res = run("ingest", *paths, "--db", str(db), columns=width)
    assert res.exit_code == 0, res.stderr
    assert "…" not in res.stdout
    assert max(map(len, res.stdout.splitlines())) <= width
    sources = column_text(res.stdout, "source")
    for path in names(db, "SELECT path FROM sources"):
        assert path in sources
    csv = run("ingest", *paths, "--db", str(tmp_path / "y.duckdb"), "-f", "json")
    rows = json.loads(csv.stdout)
    assert all("total" not in r["source"] for r in rows)  # totals are for people, not scripts
    total = next(line for line in res.stdout.splitlines() if f"total ({len(rows)} sources)" in line)
    assert f" {sum(r['events'] for r in rows)} " in total
    assert f" {sum(r['pods'] for r in rows)} " in total


@pytest.mark.parametrize("by", ["namespace", "workload", "node"])
def test_group_tables_end_with_the_totals(sample: Path, by: str) -> None:
    rows = json.loads(run("stats", "--by", by, "-f", "json", "--db", str(sample)).stdout)
    table = run("stats", "--by", by, "--section", "summary", "--db", str(sample), columns=200)
    assert "total" not in {r[by] for r in rows["summary"]}  # only tables get the total row
    res = run("stats", "--by", by, "--db", str(sample), columns=200)
    total = next(line for line in res.stdout.splitlines() if "│ total " in line)
    cells = [c.strip() for c in total.split("│")[1:-1]]
    pods = sum(r["pods"] for r in rows["summary"])
    restarts = sum(r["restarts"] for r in rows["summary"])
    assert str(pods) in cells and str(restarts) in cells
    assert table.exit_code == 0


@pytest.mark.parametrize("width", WIDTHS)
def test_timeline_and_replay_keep_names_whole(k3s: Path, width: int) -> None:
    for pod in names(k3s, "SELECT pod FROM pods ORDER BY length(pod) DESC LIMIT 3"):
        res = run("timeline", pod, "--db", str(k3s), columns=width)
        assert res.exit_code == 0, res.stderr
        assert pod in res.stdout and "…" not in res.stdout
    res = run("replay", "--at", "end", "--db", str(k3s), columns=width)
    assert res.exit_code == 0, res.stderr
    assert "…" not in res.stdout
    text = column_text(res.stdout, "pod")
    alive = json.loads(run("replay", "--at", "end", "--db", str(k3s), "-f", "json").stdout)
    for row in alive:
        assert row["pod"] in text


# -- 2. one reader for every time ------------------------------------------------------------


@pytest.mark.parametrize(
    "when",  # the sample capture runs from 02:00:49 to 02:30:00 UTC
    ["+19m11s", "-10m", "02:20", "2024-03-01 02:20", "2024-03-01T03:20+01:00"],
)
def test_every_time_option_reads_the_same_forms(sample: Path, when: str) -> None:
    db = str(sample)
    want = run("stats", "--since", "2024-03-01T02:20:00Z", "-f", "json", "--db", db).stdout
    assert run("stats", "--since", when, "-f", "json", "--db", db).stdout == want
    moment = run("replay", "--at", "2024-03-01T02:20:00Z", "-f", "json", "--db", db).stdout
    assert run("replay", "--at", when, "-f", "json", "--db", db).stdout == moment
    stream = run("replay", "--to", "2024-03-01T02:20:00Z", "-f", "json", "--speed", "0", "--db", db)
    assert run("replay", "--to", when, "-f", "json", "--speed", "0", "--db", db).stdout == (
        stream.stdout
    )


def test_report_reads_the_same_forms(sample: Path, tmp_path: Path) -> None:
    lines = set()
    for n, when in enumerate(("+19m11s", "02:20", "2024-03-01 02:20")):
        out = tmp_path / f"r{n}.html"
        res = run("report", "--since", when, "--db", str(sample), "--out", str(out))
        assert res.exit_code == 0, res.stderr
        lines.add(res.stderr.split(": ", 1)[1])
    assert len(lines) == 1


def test_ingest_and_simulate_take_absolute_times_zone_less_meaning_utc(tmp_path: Path) -> None:
    snapshot = real(K3S_PODS)
    db = str(tmp_path / "o.duckdb")
    res = run("ingest", str(snapshot), "--db", db, "--observed-at", "2025-06-01 10:00", "-q")
    assert res.exit_code == 0, res.stderr
    assert names(tmp_path / "o.duckdb", "SELECT DISTINCT observed_at::VARCHAR FROM pod_snapshots")[
        0
    ].startswith("2025-06-01 10:00:00")
    res = run("ingest", str(snapshot), "--db", db, "--observed-at", "+5m")
    assert res.exit_code == 2
    assert "relative to a capture" in res.stderr
    out = tmp_path / "sim"
    res = run(
        "simulate",
        "--out",
        str(out),
        "--pods",
        "3",
        "--duration",
        "600",
        "--start",
        "2024-05-01 08:00",
    )
    assert res.exit_code == 0, res.stderr
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["capture_start"] == "2024-05-01T08:00:00Z"


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["report"],
        ["replay"],
        ["ingest"],
        ["simulate"],
    ],
)
def test_each_time_option_states_the_utc_rule(command: list[str]) -> None:
    res = run(*command, "--help", columns=200)
    assert "no zone means UTC" in " ".join(res.stdout.split())


# -- 3 and 4. one pod resolver; label selectors ----------------------------------------------


def test_a_recreated_pod_is_every_incarnation_for_replay_stats_and_report(
    sample: Path, tmp_path: Path
) -> None:
    db = str(sample)
    uids = names(sample, "SELECT pod_uid FROM pods WHERE pod = 'etcd-0' ORDER BY created_at")
    assert len(uids) > 1
    stats = json.loads(run("stats", "--pod", "data/etcd-0", "-f", "json", "--db", db).stdout)
    assert sorted(r["pod_uid"] for r in stats["summary"]) == sorted(uids)
    stream = run("replay", "--pod", "etcd-0", "--speed", "0", "-f", "json", "--db", db)
    seen = {json.loads(line)["pod_uid"] for line in stream.stdout.splitlines()}
    assert seen == set(uids)
    out = tmp_path / "etcd.html"
    res = run("report", "--pod", "etcd-0", "-n", "data", "--out", str(out), "--db", db)
    assert res.exit_code == 0, res.stderr
    assert f"{len(uids)} pods" in res.stderr
    ambiguous = run("stats", "--pod", "e", "--db", db)  # a prefix of several names
    assert ambiguous.exit_code == 2 and "matches" in ambiguous.stderr


@pytest.mark.parametrize(
    ("selector", "sql"),
    [
        ("app=etcd", "app = 'etcd'"),
        ("app==etcd", "app = 'etcd'"),
        ("app in (etcd, redis)", "app IN ('etcd', 'redis')"),
        ("app notin (etcd,redis),app", "app NOT IN ('etcd', 'redis')"),
        ("app!=etcd", "app IS DISTINCT FROM 'etcd'"),
        ("!app", "app IS NULL"),
        ("app", "app IS NOT NULL"),
    ],
)
def test_label_selectors_pick_pods_as_kubectl_does(sample: Path, selector: str, sql: str) -> None:
    want = names(
        sample,
        "WITH l AS (SELECT pod_uid, arg_max(raw, observed_at)->'metadata'->'labels'->>'app' AS app"
        f" FROM pod_snapshots GROUP BY pod_uid) SELECT p.pod_uid FROM pods p LEFT JOIN l"
        f" USING (pod_uid) WHERE {sql}",
    )
    res = run("stats", "-l", selector, "-f", "json", "--db", str(sample))
    if not want:
        assert res.exit_code == 3 and "no pods match" in res.stderr
        return
    assert res.exit_code == 0, res.stderr
    got = [r["pod_uid"] for r in json.loads(res.stdout)["summary"]]
    assert sorted(got) == sorted(want)


def test_a_selector_also_narrows_replay_and_report(sample: Path, tmp_path: Path) -> None:
    db = str(sample)
    etcd = set(names(sample, "SELECT pod_uid FROM pods WHERE pod LIKE 'etcd-%'"))
    stream = run("replay", "-l", "app=etcd", "--speed", "0", "-f", "json", "--db", db)
    assert {json.loads(line)["pod_uid"] for line in stream.stdout.splitlines()} == etcd
    res = run("report", "-l", "app=etcd", "--out", str(tmp_path / "r.html"), "--db", db)
    assert res.exit_code == 0 and f": {len(etcd)} pods" in res.stderr
    bad = run("stats", "-l", "app=(x", "--db", db)
    assert bad.exit_code == 2 and "--selector" in bad.stderr


# -- 5. an empty selection exits 3 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["stats", "-n", "defualt"], "did you mean default"),
        (["stats", "--since", "+20m", "--until", "+5m"], "after --until"),
        (["stats", "--since", "2030-01-01"], "no pods match"),
        (["stats", "-l", "app=nothing-like-this"], "no pods match"),
        (["report", "-n", "nope"], "no pods match"),
        (["report", "--since", "+20m", "--until", "+5m"], "after --until"),
        (["replay", "--from", "+20m", "--to", "+5m"], "after --to"),
        (["replay", "--from", "+3h", "--speed", "0"], "--from +3h is after --to end"),
        (["replay", "--at", "2020-01-01T00:00:00Z"], "no pods existed"),
        (["replay", "-n", "nope", "--speed", "0"], "no pods match"),
    ],
)
def test_a_selection_of_nothing_says_so_and_exits_3(
    sample: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    out = tmp_path / "r.html"
    extra = ["--out", str(out)] if args[0] == "report" else []
    res = run(*args, *extra, "--db", str(sample))
    assert res.exit_code == 3, res.stderr
    assert res.stdout == ""
    assert res.stderr.startswith("podreplay: error: ") and says in res.stderr
    assert not out.exists()


# -- 6. clean errors: paths, pipes, Ctrl-C ---------------------------------------------------


def test_paths_in_missing_folders_are_one_line_errors(sample: Path, tmp_path: Path) -> None:
    capture = str(SAMPLE_LOGS / "cluster" / "events.json")
    cases = [
        (["ingest", capture, "--db", "nowhere/x.duckdb"], 3, "folder nowhere does not exist"),
        (["stats", "--db", "nowhere/x.duckdb"], 3, "no such database"),
        (["report", "--db", str(sample), "--out", "nowhere/r.html"], 3, "does not exist"),
        (["timeline", "etcd", "--db", str(sample), "--html", "nowhere/t.html"], 3, "nowhere"),
    ]
    for args, code, says in cases:
        res = cli(*args, cwd=tmp_path)
        assert res.returncode == code, (args, res.stderr)
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("podreplay: error: ")
        assert says in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_capture_given_as_the_database_is_refused_untouched(tmp_path: Path) -> None:
    capture = tmp_path / "events.json"
    capture.write_bytes((SAMPLE_LOGS / "cluster" / "events.json").read_bytes())
    before = capture.read_bytes()
    for args in (["ingest", str(capture), "--db", str(capture)], ["stats", "--db", str(capture)]):
        res = cli(*args, cwd=tmp_path)
        assert res.returncode == 2, res.stderr
        assert res.stderr == (
            f"podreplay: error: {capture}: not a podreplay database (a capture? ingest it:"
            f" podreplay ingest {capture} --db DATABASE)\n"
        )
    assert capture.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.json"]  # no .lock beside it


@pytest.mark.parametrize(
    "args",
    [
        ["query", "SELECT range AS n FROM range(400000)", "-f", "csv"],
        ["replay", "--speed", "0", "-f", "json"],
        ["stats"],
    ],
)
def test_output_piped_into_head_stops_quietly_with_exit_0(sample: Path, args: list[str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "podreplay", *args, "--db", str(sample)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert b"error" not in err and b"Traceback" not in err and b"Broken" not in err


def test_quiet_keeps_one_summary_line(tmp_path: Path) -> None:
    db = str(tmp_path / "q.duckdb")
    first = run("ingest", str(SAMPLE_LOGS), "--db", db)
    assert "no Kubernetes objects, skipped" in first.stderr
    again = run("ingest", str(SAMPLE_LOGS), "--db", db, "-q")
    assert again.exit_code == 0 and again.stdout == ""
    n = len(list(p for p in SAMPLE_LOGS.rglob("*") if p.is_file()))
    assert again.stderr == (
        f"podreplay: {n} files ({n - 1} already ingested, 1 not captures): 0 events,"
        " 0 pod snapshots, 0 skipped, 0 rejects\n"
    )
    loud = run("ingest", str(SAMPLE_LOGS), "--db", db)
    assert "already ingested (same content), skipped" in loud.stderr


@pytest.mark.slow
def test_ctrl_c_after_reading_keeps_the_sources_and_exits_130(tmp_path: Path) -> None:
    """Ctrl-C while the database is rebuilt and committed: held until the commit is done."""
    sim = tmp_path / "sim"
    assert run("simulate", "--out", str(sim), "--pods", "200", "--without", "events").exit_code == 0
    capture = sim / "pods-watch.ndjson"

    def ingest(db: Path, stop_after: float | None) -> tuple[int, str, float]:
        began = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "podreplay", "ingest", str(capture), "--db", str(db), "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while stop_after is not None and proc.poll() is None:
            if time.monotonic() - began >= stop_after:
                proc.send_signal(signal.SIGINT)
                break
            time.sleep(0.005)
        _, err = proc.communicate(timeout=120)
        return proc.returncode, err, time.monotonic() - began

    code, _, whole = ingest(tmp_path / "whole.duckdb", None)
    assert code == 0
    kept = False
    # a bisection over when to send it, so that a slower or faster machine still hits the
    # rebuild/commit window: too early (interrupted while reading) moves later, too late
    # (finished) moves earlier
    lo, hi = 0.5, 1.0
    for attempt in range(10):
        fraction = (lo + hi) / 2
        db = tmp_path / f"cut-{attempt}.duckdb"
        code, err, _ = ingest(db, whole * fraction)
        assert "Traceback" not in err
        if code == 0 or (
            code == 130
            and err.endswith("podreplay: interrupted\n")
            and "1 file (1 ingested)" in err
        ):
            hi = fraction  # finished before the signal (it came after the summary)
            continue
        assert code == 130, err
        assert not list(tmp_path.glob("*.writing-*"))
        if err.endswith("podreplay: interrupted; the sources read before it were kept\n"):
            assert names(db, "SELECT path FROM sources") == [str(capture)]
            assert names(db, "SELECT count(*)::VARCHAR FROM pods") == names(
                tmp_path / "whole.duckdb", "SELECT count(*)::VARCHAR FROM pods"
            )
            kept = True
            break
        assert "interrupted" in err
        lo = fraction  # stopped while reading: the sources were rolled back
    assert kept, "no Ctrl-C landed in the rebuild or the commit"

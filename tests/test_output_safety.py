"""Hostile names are data, never code: a pod named `x'; DROP TABLE events; --` in a namespace
named like an injection goes through ingest, timeline, query parameters, stats, replay and
report exactly as a plainly named pod does; `query` cannot change the database without --write.

The HTML side (a `<script>` or `<img onerror>` message stays text in the browser) is tested in
tests/test_report_browser.py.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from podreplay.store import Store
from tests.support.cli import run
from tests.support.paths import K3S_EVENTS, K3S_PODS, real

PLAIN_POD = "backend-api-75fb46b7bd-xtkrh"  # crash-looping in the capture
EVIL_POD = "x'; DROP TABLE events; --"
EVIL_NS = "ns'); DELETE FROM pods; --"


def renamed(text: str) -> str:
    """The capture with the crash-looping pod and its namespace given hostile names."""
    return text.replace(PLAIN_POD, EVIL_POD).replace('"default"', f'"{EVIL_NS}"')


def plain_again(text: str) -> str:
    return text.replace(EVIL_POD, PLAIN_POD).replace(EVIL_NS, "default")


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same capture ingested twice: as captured, and with the hostile names."""
    tmp = tmp_path_factory.mktemp("safety")
    plain, evil = tmp / "plain.duckdb", tmp / "evil.duckdb"
    files = []
    for name in (K3S_EVENTS, K3S_PODS):
        path = tmp / f"{name}.json"
        path.write_text(renamed(real(name).read_text()))
        files.append(str(path))
    for db, paths in ((plain, [str(real(K3S_EVENTS)), str(real(K3S_PODS))]), (evil, files)):
        res = run("ingest", *paths, "--db", str(db), "-q")
        assert res.exit_code == 0, res.stderr
    return plain, evil


def test_the_hostile_names_are_stored_as_given(dbs: tuple[Path, Path]) -> None:
    plain, evil = dbs
    with Store(evil, read_only=True) as store:
        assert store.rows("SELECT namespace, pod FROM pods WHERE pod = ?", [EVIL_POD]) == [
            (EVIL_NS, EVIL_POD)
        ]
        assert store.has_table("events") and store.scalar("SELECT count(*) FROM events") > 0
    with Store(plain, read_only=True) as a, Store(evil, read_only=True) as b:
        for table in ("events", "pods", "pod_snapshots", "restarts", "phase_intervals"):
            assert a.scalar(f"SELECT count(*) FROM {table}") == b.scalar(
                f"SELECT count(*) FROM {table}"
            ), table


@pytest.mark.parametrize(
    "args",
    [
        ["timeline", "{pod}", "--namespace", "{ns}", "-f", "json"],
        ["query", "crashloops", "--param", "namespace={ns}", "-f", "csv"],
        [
            "query",
            "SELECT pod, namespace FROM pods WHERE pod = $pod",
            "-p",
            "pod={pod}",
            "-f",
            "csv",
        ],
        ["stats", "-f", "csv"],
        ["replay", "--at", "2025-09-11T20:52:00Z", "-f", "json"],
    ],
)
def test_commands_treat_a_hostile_pod_like_any_other(
    dbs: tuple[Path, Path], args: list[str]
) -> None:
    plain, evil = dbs
    outs = []
    for db, pod, ns in ((plain, PLAIN_POD, "default"), (evil, EVIL_POD, EVIL_NS)):
        res = run(*(a.format(pod=pod, ns=ns) for a in args), "--db", str(db))
        assert res.exit_code == 0, res.stderr
        outs.append(res.stdout)
    assert EVIL_POD in outs[1]
    # same rows once the names are swapped back (the order may follow the names)
    assert canonical(plain_again(outs[1]), args[-1]) == canonical(outs[0], args[-1])


def canonical(text: str, fmt: str) -> list[str]:
    if fmt == "json":
        return sorted(json.dumps(row, sort_keys=True) for row in json.loads(text))
    header, *lines = text.splitlines()
    return [header, *sorted(lines)]


def test_the_report_shows_the_hostile_name_as_text(dbs: tuple[Path, Path], tmp_path: Path) -> None:
    _plain, evil = dbs
    out = tmp_path / "report.html"
    res = run("report", "--out", str(out), "--db", str(evil))
    assert res.exit_code == 0, res.stderr
    page = out.read_text()
    assert EVIL_POD in page or html.escape(EVIL_POD) in page
    with Store(evil, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM events") > 0


def test_query_cannot_write_without_the_write_flag(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    assert run("ingest", str(real(K3S_EVENTS)), "--db", str(db), "-q").exit_code == 0
    with Store(db, read_only=True) as store:
        before = store.scalar("SELECT count(*) FROM events")
    assert before > 0
    res = run("query", "DELETE FROM events", "--db", str(db))
    assert res.exit_code == 1
    assert res.stdout == ""
    assert res.stderr.startswith("podreplay: error: ") and "read-only" in res.stderr
    assert res.stderr.count("\n") == 1
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM events") == before
    res = run("query", "DELETE FROM events", "--db", str(db), "--write")
    assert res.exit_code == 0, res.stderr
    with Store(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM events") == 0

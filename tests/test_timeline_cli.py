"""`podreplay timeline`: every pod of sample_logs/ tells its story; ambiguous and unknown names
get a clear error and the documented exit code; JSON carries the same rows as the library.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.lifecycle import pod_story
from podreplay.store import Store
from tests.conftest import SAMPLE_LOGS, real
from tests.lifecycle_rows import pod, rebuilt, source

runner = CliRunner()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not any(SAMPLE_LOGS.rglob("*.json")):
        pytest.skip("sample_logs/ has no captures yet")
    db = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [SAMPLE_LOGS])
    return db


def sample_pods(db: Path) -> list[tuple[str, str, str]]:
    with Store(db, read_only=True) as store:
        return [(u, n, p) for u, n, p in store.rows("SELECT pod_uid, namespace, pod FROM pods")]


@pytest.mark.slow
def test_every_sample_pod_has_a_timeline_table(sample_db: Path) -> None:
    pods = sample_pods(sample_db)
    assert len(pods) > 10
    for uid, _, name in pods:
        res = runner.invoke(app, ["timeline", uid, "--db", str(sample_db)])
        assert res.exit_code == 0, (name, res.stderr)
        assert name in res.stdout
        assert "phase" in res.stdout


def test_json_gives_the_pod_summary_and_the_library_rows(sample_db: Path) -> None:
    db = str(sample_db)
    with Store(sample_db, read_only=True) as store:
        for uid, namespace, name in sample_pods(sample_db):
            res = runner.invoke(
                app,
                ["timeline", name, "-n", namespace, "--uid", uid, "-f", "json", "--db", db],
            )
            assert res.exit_code == 0, res.stderr
            doc = json.loads(res.stdout)
            assert doc["pod"]["pod_uid"] == uid and doc["pod"]["pod"] == name
            story = pod_story(store, uid)
            assert len(doc["rows"]) == story.height
            assert [r["kind"] for r in doc["rows"]] == story["kind"].to_list()
            assert set(doc["rows"][0]) == set(story.columns)


@pytest.fixture
def twin_db(tmp_path: Path) -> Path:
    """api-0 in two namespaces, and db-0 recreated (two uids) in one."""
    db = tmp_path / "twins.duckdb"
    with Store(db) as store:
        source(store)
        pod(store, 0, "u-shop", name="api-0", namespace="shop")
        pod(store, 0, "u-dev", name="api-0", namespace="dev")
        pod(store, 10, "u-old", name="db-0", namespace="shop", created=0)
        pod(store, 110, "u-new", name="db-0", namespace="shop", created=100)
        rebuilt(store)
    return db


@pytest.mark.parametrize(
    ("args", "uids"),
    [(["api-0"], ["u-shop", "u-dev"]), (["db-0", "--uid", "u-x"], ["u-old", "u-new"])],
)
def test_an_ambiguous_name_lists_the_candidates_and_exits_2(
    twin_db: Path, args: list[str], uids: list[str]
) -> None:
    res = runner.invoke(app, ["timeline", *args, "--db", str(twin_db)])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert res.stderr.startswith("podreplay: error: ")
    for uid in uids:
        assert uid in res.stderr


@pytest.mark.parametrize("name", ["db-0", "shop/db-0", "db"])
def test_a_recreated_pod_shows_every_incarnation_oldest_first(twin_db: Path, name: str) -> None:
    res = runner.invoke(app, ["timeline", name, "--db", str(twin_db), "-f", "json"])
    assert res.exit_code == 0, res.stderr
    assert [d["pod"]["pod_uid"] for d in json.loads(res.stdout)] == ["u-old", "u-new"]
    table = runner.invoke(app, ["timeline", name, "--db", str(twin_db)])
    assert table.exit_code == 0, table.stderr
    assert table.stdout.index("u-old") < table.stdout.index("u-new")
    assert "2 incarnations of shop/db-0, oldest first" in table.stderr
    csv = runner.invoke(app, ["timeline", name, "--db", str(twin_db), "-f", "csv"])
    assert csv.stdout.splitlines()[0].startswith("pod_uid,ts,")


def test_uid_picks_one_incarnation(twin_db: Path) -> None:
    res = runner.invoke(
        app, ["timeline", "db-0", "--uid", "u-n", "--db", str(twin_db), "-f", "json"]
    )
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["pod"]["pod_uid"] == "u-new"


def test_the_namespace_or_the_uid_picks_one_pod(twin_db: Path) -> None:
    res = runner.invoke(app, ["timeline", "api-0", "-n", "dev", "--db", str(twin_db), "-f", "json"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["pod"]["pod_uid"] == "u-dev"
    res = runner.invoke(app, ["timeline", "u-new", "--db", str(twin_db), "-f", "csv"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0] == "ts,end_ts,kind,subject,what,detail,count,basis"


def test_an_unknown_pod_exits_3_with_empty_stdout(twin_db: Path) -> None:
    res = runner.invoke(app, ["timeline", "nope-0", "--db", str(twin_db)])
    assert res.exit_code == 3
    assert res.stdout == ""
    assert "nope-0" in res.stderr


def test_html_writes_the_pod_timeline_page(sample_db: Path, tmp_path: Path) -> None:
    uid, _, name = sample_pods(sample_db)[0]
    out = tmp_path / "pod.html"
    res = runner.invoke(app, ["timeline", uid, "--db", str(sample_db), "--html", str(out)])
    assert res.exit_code == 0, res.stderr
    assert name in out.read_text(encoding="utf-8")


def test_a_pod_can_be_named_namespace_slash_name(tmp_path: Path) -> None:
    db = tmp_path / "k3s.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, [real("k3s-v1.33_2025_troubleshoot-bundle__default__pods")])
        uid = store.scalar("SELECT pod_uid FROM pods WHERE pod LIKE 'backend-api-%'")
        name = store.scalar("SELECT pod FROM pods WHERE pod_uid = ?", [uid])
    result = CliRunner().invoke(
        app, ["timeline", f"default/{name}", "--db", str(db), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pod"]["pod_uid"] == uid

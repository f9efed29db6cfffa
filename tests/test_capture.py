"""Capture with a stand-in kubectl that replays recorded real output (there is no cluster here)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from podreplay.capture import CaptureOptions, CaptureResult, capture, iter_json_values
from podreplay.cli.app import app
from podreplay.derive import rebuild
from podreplay.ingest import IngestOptions, file_timestamp, ingest_paths
from podreplay.store import Store

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
KUBECTL = TESTS / "fake_kubectl" / "kubectl"
RECORDINGS = TESTS / "data" / "capture"
runner = CliRunner()


def _items(kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """The recorded objects of a kind, as the stand-in serves them."""
    items: list[dict[str, Any]] = []
    for path in sorted(RECORDINGS.glob(f"*__{kind}.json")):
        items.extend(json.loads(path.read_text())["items"])
    return [i for i in items if namespace is None or i["metadata"]["namespace"] == namespace]


def _uids(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(o["metadata"]["uid"] for o in objects)


def _lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    assert text == "" or text.endswith("\n"), "the last line is incomplete"
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def fake_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The stand-in's settings: fast records and a state directory for its call log."""
    state = tmp_path / "kubectl-state"
    state.mkdir()
    monkeypatch.setenv("FAKE_KUBECTL_STATE", str(state))
    monkeypatch.setenv("FAKE_KUBECTL_DELAY", "0.001")
    monkeypatch.delenv("FAKE_KUBECTL_DROP_AFTER", raising=False)
    monkeypatch.delenv("FAKE_KUBECTL_FAIL", raising=False)
    yield state


def _calls(state: Path) -> list[list[str]]:
    return [json.loads(line) for line in (state / "calls.log").read_text().splitlines()]


def _options(out: Path, **kw: Any) -> CaptureOptions:
    defaults: dict[str, Any] = {
        "namespace": "default",
        "duration_s": 2.5,
        "snapshot_every_s": 0.5,
        "kubectl": str(KUBECTL),
        "backoff_s": 0.05,
    }
    return CaptureOptions(out=out, **{**defaults, **kw})


def _capture_until(
    options: CaptureOptions, lines: dict[str, int], snapshots: int = 1, **kw: Any
) -> CaptureResult:
    """Capture until each watch file holds at least `lines[kind]` lines and `snapshots` snapshot
    files exist (at most 60 s): a loaded machine then makes the test slower, not wrong."""
    stop = threading.Event()
    done: list[CaptureResult] = []
    worker = threading.Thread(target=lambda: done.append(capture(options, stop=stop, **kw)))
    worker.start()
    deadline = time.monotonic() + 60
    while worker.is_alive() and time.monotonic() < deadline:
        counts = {k: _count_lines(options.out / f"{k}-watch.ndjson") for k in lines}
        taken = len(list(options.out.glob("pods-2*.json")))
        if all(counts[k] >= n for k, n in lines.items()) and taken >= snapshots:
            break
        time.sleep(0.05)
    stop.set()
    worker.join()
    assert done, "capture failed"
    return done[0]


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_capture_stamps_every_watch_record_and_names_snapshots_by_time(
    tmp_path: Path, fake_env: Path
) -> None:
    out = tmp_path / "cap"
    before = datetime.now(UTC).replace(microsecond=0)
    wanted = {"pods": len(_items("pods", "default")), "events": len(_items("events", "default"))}
    result = _capture_until(_options(out, duration_s=None, snapshot_every_s=0.2), wanted, 2)
    after = datetime.now(UTC)
    pods, events = _lines(out / "pods-watch.ndjson"), _lines(out / "events-watch.ndjson")
    assert _uids([r["object"] for r in pods]) == _uids(_items("pods", "default"))
    assert _uids([r["object"] for r in events]) == _uids(_items("events", "default"))
    for record in pods + events:
        assert record["type"] == "ADDED"
        stamped = datetime.fromisoformat(record["observedAt"].replace("Z", "+00:00"))
        assert before <= stamped <= after
    assert result.records == {"pods": len(pods), "events": len(events)}
    assert len(result.snapshots) >= 2
    for path in result.snapshots:
        taken = file_timestamp(path.name)
        assert taken is not None and before <= taken <= after
        assert _uids(json.loads(path.read_text())["items"]) == _uids(_items("pods", "default"))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["pods-watch.ndjson", "events-watch.ndjson", *(p.name for p in result.snapshots)]
    )


def _wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 0):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_capture_leaving_complete_files(
    tmp_path: Path, fake_env: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "cap"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAKE_KUBECTL_DELAY": "0.02"}
    args = [sys.executable, "-m", "podreplay", "capture", "--out", str(out), "-A"]
    args += ["--snapshot-every", "0.3s", "--kubectl", str(KUBECTL)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _wait_for(out / "events-watch.ndjson")
    time.sleep(0.3)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr.decode()
    assert stdout == b""
    assert "Traceback" not in stderr.decode()
    events = _lines(out / "events-watch.ndjson")  # every line complete
    assert 0 < len(events) < len(_items("events"))  # stopped in the middle of the stream
    for path in out.glob("pods-*.json"):
        assert json.loads(path.read_text())["items"]
    assert not list(out.glob(".*"))  # no half-written snapshot left behind
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(out) not in running


def _table(store: Store, table: str, exclude: list[str]) -> list[tuple[Any, ...]]:
    cols = [
        r[0]
        for r in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " ORDER BY ordinal_position",
            [table],
        )
        if r[0] not in exclude
    ]
    select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
    return sorted(store.rows(f"SELECT DISTINCT {select} FROM {table}"), key=repr)


@pytest.mark.slow
def test_capture_then_ingest_gives_the_same_database_as_ingesting_the_recordings(
    tmp_path: Path, fake_env: Path
) -> None:
    # one fixed clock: every watch stamp and snapshot name is T, so both databases see the same
    # observation times and only the capture mechanics can differ
    observed = datetime(2025, 9, 11, 20, 55, 0, tzinfo=UTC)
    out = tmp_path / "cap"
    options = _options(out, namespace=None, all_namespaces=True, duration_s=None)
    wanted = {"pods": len(_items("pods")), "events": len(_items("events"))}
    result = _capture_until(options, wanted, clock=lambda: observed)
    assert result.records == {"pods": len(_items("pods")), "events": len(_items("events"))}

    with Store(tmp_path / "captured.duckdb") as captured:
        ingest_paths(captured, [out])
        rebuild(captured)
        with Store(tmp_path / "recorded.duckdb") as recorded:
            recordings = sorted(RECORDINGS.glob("*.json"))
            ingest_paths(recorded, recordings, IngestOptions(observed_at=observed))
            rebuild(recorded)
            # how each row was timed and which file it came from differ by design
            ignore = ["source_id", "observed_basis", "watch_type", "raw"]
            for table in [
                "events",
                "pod_snapshots",
                "container_snapshots",
                "condition_snapshots",
                "pods",
                "phase_intervals",
                "condition_intervals",
                "container_intervals",
                "restarts",
            ]:
                got, want = _table(captured, table, ignore), _table(recorded, table, ignore)
                assert got == want, table
                assert want, f"{table} is empty: the comparison proves nothing"
            assert captured.scalar("SELECT count(*) FROM rejects") == 0


def test_missing_kubectl_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["capture", "--out", str(tmp_path / "cap"), "--kubectl", str(tmp_path / "nope")]
    )
    assert res.exit_code == 3
    assert res.stderr.endswith("kubectl not found (install it or pass --kubectl PATH)\n")


def test_an_unreachable_cluster_fails_fast_with_kubectl_message(
    tmp_path: Path, fake_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_KUBECTL_FAIL", "1")
    res = runner.invoke(app, ["capture", "--out", str(tmp_path / "cap"), "--kubectl", str(KUBECTL)])
    assert res.exit_code == 1
    assert res.stderr.splitlines()[-1] == (
        "podreplay: error: kubectl get pods failed (exit 1): The connection to the server"
        " localhost:8080 was refused - did you specify the right host or port?"
    )


def test_namespace_and_all_namespaces_together_are_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["capture", "--out", str(tmp_path), "-n", "default", "-A", "--kubectl", str(KUBECTL)]
    )
    assert res.exit_code == 2


def test_a_bad_duration_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["capture", "--out", str(tmp_path), "--duration", "soon"])
    assert res.exit_code == 2
    assert "'soon' is not a duration" in res.stderr


@given(
    values=st.lists(
        st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8))),
        max_size=5,
    ),
    indent=st.sampled_from([None, 4]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
)
def test_watch_output_decodes_whatever_the_chunk_boundaries(
    values: list[dict[str, Any]], indent: int | None, cuts: list[int]
) -> None:
    # non-ASCII text kept raw, so a chunk boundary can split a multi-byte character
    text = "".join(json.dumps(v, indent=indent, ensure_ascii=False) + "\n" for v in values)
    data = text.encode()
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    chunks = [data[a:b] for a, b in itertools.pairwise(points)]
    assert list(iter_json_values(iter(chunks))) == values


def test_stray_text_lines_between_watch_records_are_skipped() -> None:
    chunks = [
        b"W1122 12:00:00 a warning\n{\n    ",
        b'"type": "ADDED"\n}\nnot json\n',
        b'{"n": 1}\n',
    ]
    assert list(iter_json_values(iter(chunks))) == [{"type": "ADDED"}, {"n": 1}]


def test_capture_stops_by_itself_after_the_duration(tmp_path: Path, fake_env: Path) -> None:
    out = tmp_path / "cap"
    args = ["capture", "--out", str(out), "--duration", "1.5s", "--snapshot-every", "0.5s"]
    started = time.monotonic()
    res = runner.invoke(app, [*args, "--kubectl", str(KUBECTL)])
    assert res.exit_code == 0, res.stderr
    assert time.monotonic() - started < 30
    assert res.stdout == ""
    assert res.stderr.splitlines()[-1].endswith(f"next: podreplay ingest {out}")
    assert (out / "pods-watch.ndjson").exists() and list(out.glob("pods-2*.json"))

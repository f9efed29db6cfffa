"""Capture with the real kubectl against the stand-in API server (tests/support/apiserver.py)
serving recorded real k3s objects (tests/data/capture/) or objects the test writes.

The stand-in kubectl (tests/fake_kubectl/) is gone: every case here reaches the real client.
Without kubectl on PATH the tests that need it are skipped with one line saying so.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from podreplay.capture import GAPS_FILE, CaptureOptions, CaptureResult, capture, iter_json_values
from podreplay.cli.app import app
from podreplay.derive import ingest_and_rebuild
from podreplay.ingest import IngestOptions, file_timestamp, ingest_paths
from podreplay.store import Store
from tests.support.apiserver import ApiServer, ClusterState

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
RECORDINGS = TESTS / "data" / "capture"
runner = CliRunner()


def _items(kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """The recorded objects of a kind, as the server serves them."""
    items: list[dict[str, Any]] = []
    for path in sorted(RECORDINGS.glob(f"*__{kind}.json")):
        items.extend(json.loads(path.read_text())["items"])
    return [i for i in items if namespace is None or i["metadata"]["namespace"] == namespace]


def _uids(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(o["metadata"]["uid"] for o in objects)


def _lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text() if path.exists() else ""
    assert text == "" or text.endswith("\n"), "the last line is incomplete"
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    """The stand-in API server holding the recorded objects; kubectl's kubeconfig points at it."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (capture runs the real one)")
    state = ClusterState()
    for kind in ("pods", "events"):
        for item in _items(kind):
            state.write(kind, "ADDED", item, keep_rv=True)
    api = ApiServer(state).start()
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig(tmp_path / "kubeconfig")))
    monkeypatch.setenv("KUBECACHEDIR", str(tmp_path / "kube-cache"))
    yield api
    api.stop()


def _options(out: Path, **kw: Any) -> CaptureOptions:
    defaults: dict[str, Any] = {
        "namespace": "default",
        "duration_s": 2.5,
        "snapshot_every_s": 0.5,
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
    tmp_path: Path, server: ApiServer
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


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 0):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _bump_events(state: ClusterState, stop: threading.Event) -> None:
    """A busy cluster: one recorded event's count goes up every few milliseconds."""
    event = _items("events", "default")[0]
    n = int(event.get("count") or 1)
    while not stop.wait(0.005):
        n += 1
        state.write("events", "MODIFIED", {**event, "count": n})


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_capture_leaving_complete_files(
    tmp_path: Path, server: ApiServer, sig: signal.Signals
) -> None:
    out = tmp_path / "cap"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "podreplay", "capture", "--out", str(out), "-A"]
    args += ["--snapshot-every", "0.3s"]
    stop = threading.Event()
    writer = threading.Thread(target=_bump_events, args=(server.state, stop))
    writer.start()
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        _wait_for(out / "events-watch.ndjson")
        server.state.wait(lambda: server.state.watches.get("events", 0) >= 1, what="a watch")
        proc.send_signal(sig)  # while event records keep arriving
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        stop.set()
        writer.join()
    assert proc.returncode == 130, stderr.decode()
    assert stdout == b""
    assert "Traceback" not in stderr.decode()
    events = _lines(out / "events-watch.ndjson")  # every line complete
    assert len(events) > 0
    for path in out.glob("pods-*.json"):
        assert json.loads(path.read_text())["items"]
    assert not list(out.glob(".*"))  # no half-written snapshot left behind
    # every kubectl was ended: no watch stream is left open on the server
    server.state.wait(lambda: server.state.watching == 0, timeout=30, what="kubectl to end")


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
    tmp_path: Path, server: ApiServer
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
        ingest_and_rebuild(captured, [out])
        with Store(tmp_path / "recorded.duckdb") as recorded:
            recordings = sorted(RECORDINGS.glob("*.json"))
            ingest_and_rebuild(recorded, recordings, IngestOptions(observed_at=observed))
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
    tmp_path: Path, server: ApiServer
) -> None:
    server.stop()
    res = runner.invoke(app, ["capture", "--out", str(tmp_path / "cap")])
    assert res.exit_code == 1
    assert res.stderr.splitlines()[-1] == (
        f"podreplay: error: kubectl get pods failed (exit 1): The connection to the server"
        f" 127.0.0.1:{server.port} was refused - did you specify the right host or port?"
    )


def test_namespace_and_all_namespaces_together_are_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["capture", "--out", str(tmp_path), "-n", "default", "-A"])
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


def test_capture_stops_by_itself_after_the_duration(tmp_path: Path, server: ApiServer) -> None:
    out = tmp_path / "cap"
    args = ["capture", "--out", str(out), "--duration", "1.5s", "--snapshot-every", "0.5s"]
    started = time.monotonic()
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.stderr
    assert time.monotonic() - started < 30
    assert res.stdout == ""
    assert res.stderr.splitlines()[-1].endswith(f"next: podreplay ingest {out}")
    assert (out / "pods-watch.ndjson").exists() and list(out.glob("pods-2*.json"))


# --- recovery: dropped watches, 410 Gone, the server away ---------------------------------------


class _Running:
    """A capture running in a thread until `finish()`; `result` and `notes` afterwards."""

    def __init__(self, options: CaptureOptions) -> None:
        self.stop = threading.Event()
        self.notes: list[str] = []
        self.done: list[CaptureResult] = []
        self.thread = threading.Thread(target=self._run, args=(options,))
        self.thread.start()

    def _run(self, options: CaptureOptions) -> None:
        self.done.append(capture(options, stop=self.stop, on_note=self.notes.append))

    def finish(self) -> CaptureResult:
        self.stop.set()
        self.thread.join()
        assert self.done, "capture failed"
        return self.done[0]


def _wait_lines(path: Path, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _count_lines(path) < n:
        assert time.monotonic() < deadline, f"{path} never reached {n} lines"
        time.sleep(0.05)


def _watching(server: ApiServer, pods: int, events: int) -> None:
    """Wait until the pods and events watches have been opened that many times (and are open)."""
    st = server.state
    server.state.wait(
        lambda: (
            st.watches.get("pods", 0) >= pods
            and st.watches.get("events", 0) >= events
            and st.watching >= 2
        ),
        what=f"{pods} pods and {events} events watches",
    )


def test_a_dropped_watch_resumes_and_a_relist_showing_no_change_records_no_gap(
    tmp_path: Path, server: ApiServer
) -> None:
    out = tmp_path / "cap"
    run = _Running(_options(out, duration_s=None, snapshot_every_s=60))
    _watching(server, 1, 1)
    _wait_lines(out / "pods-watch.ndjson", len(_items("pods", "default")))
    server.state.drop_watches()  # as an API server ends watches
    _watching(server, 2, 2)
    result = run.finish()
    assert result.resumes == 2
    assert not (out / GAPS_FILE).exists()  # the re-list proved that nothing changed
    pods = _lines(out / "pods-watch.ndjson")  # the re-listed copies were not written again
    assert _uids([r["object"] for r in pods]) == _uids(_items("pods", "default"))
    events = _lines(out / "events-watch.ndjson")
    assert _uids([r["object"] for r in events]) == _uids(_items("events", "default"))


def test_a_410_gone_watch_forces_a_relist(tmp_path: Path, server: ApiServer) -> None:
    out = tmp_path / "cap"
    run = _Running(_options(out, duration_s=None, snapshot_every_s=60))
    st = server.state
    _watching(server, 1, 1)
    st.expire_next_watch("pods")
    st.drop_watches()
    st.wait(lambda: st.expired_at.get("pods") is not None, what="the 410")
    # a pods watch again after the one answered 410
    st.wait(lambda: st.watches["pods"] > st.expired_at["pods"] and st.watching >= 2, what="resume")
    result = run.finish()
    assert any("too old resource version: " in n for n in run.notes)
    assert result.resumes >= 2
    assert all(r["type"] == "ADDED" for r in _lines(out / "pods-watch.ndjson"))


def test_a_change_while_the_server_is_away_is_recorded_as_a_gap(
    tmp_path: Path, server: ApiServer
) -> None:
    # no --namespace: kubectl watches its context's namespace, which the gap record names
    server.kubeconfig(Path(os.environ["KUBECONFIG"]), namespace="kube-system")
    out = tmp_path / "cap"
    run = _Running(
        _options(out, namespace=None, duration_s=None, snapshot_every_s=60, backoff_s=0.2)
    )
    _watching(server, 1, 1)
    _wait_lines(out / "pods-watch.ndjson", len(_items("pods", "kube-system")))
    pod = _items("pods", "kube-system")[0]
    down = datetime.now(UTC)
    with server.outage():
        assert server.refuses_connections()
        changed = server.state.write("pods", "MODIFIED", {**pod, "status": {"phase": "Failed"}})
        server.state.wait(lambda: server.state.watching == 0, what="the watches to end")
    up = datetime.now(UTC)
    _wait_lines(out / "pods-watch.ndjson", len(_items("pods", "kube-system")) + 1)
    result = run.finish()
    assert result.gaps == 1
    (gap,) = _lines(out / GAPS_FILE)
    assert gap["apiVersion"] == "podreplay.capture/v1" and gap["kind"] == "CaptureGap"
    assert (gap["context"], gap["namespace"]) == ("sim", "kube-system")
    assert gap["reason"].startswith("pods watch ended")
    start, end = (datetime.fromisoformat(gap[k].replace("Z", "+00:00")) for k in ("start", "end"))
    assert down <= start < end and up <= end
    last = _lines(out / "pods-watch.ndjson")[-1]
    assert last["object"]["metadata"]["resourceVersion"] == str(changed)
    res = runner.invoke(app, ["ingest", str(out), "--db", str(tmp_path / "db.duckdb"), "-q"])
    assert res.exit_code == 0, res.stderr
    with Store(tmp_path / "db.duckdb") as store:
        rows = store.rows("SELECT cluster, namespace, start_ts, end_ts, reason FROM capture_gaps")
        assert rows == [("default", "kube-system", start, end, gap["reason"])]
        assert store.scalar("SELECT count(*) FROM rejects") == 0


def test_gap_records_ingest_once_and_bad_ones_are_rejects(tmp_path: Path) -> None:
    gap = {"apiVersion": "podreplay.capture/v1", "kind": "CaptureGap", "context": "prod",
           "namespace": None, "start": "2025-01-01T00:00:00Z", "end": "2025-01-01T00:01:00Z",
           "reason": "pods watch ended: stream ended"}  # fmt: skip
    bad = {**gap, "end": "soon"}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / GAPS_FILE).write_text(json.dumps(gap) + "\n" + json.dumps(bad) + "\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / GAPS_FILE).write_text(json.dumps(gap) + "\n")  # the same gap again
    with Store(tmp_path / "db.duckdb") as store:
        ingest_paths(store, [tmp_path / "a", tmp_path / "b"])
        assert store.rows("SELECT namespace, reason FROM capture_gaps") == [(None, gap["reason"])]
        assert store.rows("SELECT error FROM rejects") == [
            ("CaptureGap without a readable start and end",)
        ]


# --- the stand-in server itself ------------------------------------------------------------------


def _get(server: ApiServer, path: str, accept: str = "application/json") -> Any:
    request = urllib.request.Request(server.url + path, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:
        return [json.loads(line) for line in response.read().decode().splitlines() if line]


def test_the_server_sends_bookmarks_and_ends_a_watch_after_timeout_seconds() -> None:
    server = ApiServer().start()
    try:
        rv = server.state.write("pods", "ADDED", _items("pods", "default")[0])
        began = time.monotonic()
        records = _get(
            server,
            f"/api/v1/pods?watch=1&resourceVersion={rv - 1}&allowWatchBookmarks=true"
            "&timeoutSeconds=2",
        )
        assert time.monotonic() - began >= 2
        assert records[0]["type"] == "ADDED"
        assert records[1]["type"] == "BOOKMARK"
        assert records[1]["object"]["metadata"] == {"resourceVersion": str(rv)}
        server.state.write("pods", "MODIFIED", _items("pods", "default")[0])
        server.state.compact()
        (error,) = _get(server, f"/api/v1/pods?watch=1&resourceVersion={rv}")
        assert error["type"] == "ERROR" and error["object"]["code"] == 410
    finally:
        server.stop()


def test_kubectl_reads_tables_namespaces_and_events_k8s_io_from_the_server(
    server: ApiServer,
) -> None:
    def kubectl(*args: str) -> str:
        done = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    table = kubectl("get", "pods", "-n", "kube-system").splitlines()
    assert table[0].split()[:3] == ["NAME", "READY", "STATUS"]
    assert len(table) == 1 + len(_items("pods", "kube-system"))
    listed = json.loads(kubectl("get", "events.v1.events.k8s.io", "-o", "json"))
    assert _uids(listed["items"]) == _uids(_items("events", "default"))
    assert {i["apiVersion"] for i in listed["items"]} == {"events.k8s.io/v1"}

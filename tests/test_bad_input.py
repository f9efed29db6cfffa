"""Broken and hostile input through the real CLI: one line naming the file and the place, the
right exit code, good objects land, the rest is kept in `rejects`, never a traceback.

One file per failure mode lives in tests/data/bad/ (see its README); the large or many-variant
cases (truncation, a 5 MB message) are generated here from real captures.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import string
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from podreplay.store import Store
from tests.support.cli import ingest, run
from tests.support.db import rows
from tests.support.dbstate import snapshot
from tests.support.paths import DATA, K3S_EVENTS, K3S_PODS, real, real_items

BAD = DATA / "bad"


def error_lines(res: Result) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("podreplay: error:")]


def the_error(res: Result, path: Path) -> str:
    """The single error line, checked to name the file; returns what follows `path:`."""
    lines = error_lines(res)
    assert len(lines) == 1, res.stderr
    prefix = f"podreplay: error: {path}:"
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix) :]


def text_lines(path: Path) -> list[str]:
    """The file's lines as the reader numbers them (split on \\n only)."""
    return path.read_bytes().decode("utf-8", "replace").removesuffix("\n").split("\n")


# --- files with nothing to load ---------------------------------------------------------------


def test_an_empty_file_is_one_error_and_changes_nothing(db_path: Path) -> None:
    ingest(db_path, real(K3S_EVENTS))
    before = snapshot(db_path)
    res = ingest(db_path, BAD / "empty.json")
    assert res.exit_code == 1
    assert the_error(res, BAD / "empty.json") == "byte 0: empty file, no Kubernetes objects"
    assert snapshot(db_path) == before


def test_binary_garbage_is_one_error_and_changes_nothing(db_path: Path) -> None:
    ingest(db_path, real(K3S_EVENTS))
    before = snapshot(db_path)
    res = ingest(db_path, BAD / "binary_garbage.bin")
    assert res.exit_code == 1
    assert re.fullmatch(
        r"line \d+: no Kubernetes objects found \(not JSON or YAML\)",
        the_error(res, BAD / "binary_garbage.bin"),
    )
    assert snapshot(db_path) == before


def test_garbage_lines_between_events_are_skipped_and_counted_and_the_events_land(
    db_path: Path,
) -> None:
    path = BAD / "garbage_between_events.ndjson"
    lines = text_lines(path)
    good = [json.loads(line) for line in lines if line.startswith("{")]
    bad_lines = [n for n, line in enumerate(lines, 1) if not line.startswith("{")]
    res = ingest(db_path, path, extra=())  # per-file notices are shown without -q
    assert res.exit_code == 0, res.stderr
    assert f"podreplay: {path}: {len(bad_lines)} lines of text skipped" in res.stderr.splitlines()
    got = rows(db_path, "SELECT reason FROM events ORDER BY first_ts, reason")
    assert sorted(r[0] for r in got) == sorted(e["reason"] for e in good)
    assert rows(db_path, "SELECT count(*) FROM rejects") == [(0,)]


def test_a_list_of_deployments_is_skipped_with_a_notice_not_an_error(db_path: Path) -> None:
    path = BAD / "deployment_list.json"
    n_items = len(json.loads(path.read_text())["items"])
    res = run("ingest", str(path), "--db", str(db_path))
    assert res.exit_code == 0, res.stderr
    assert error_lines(res) == []
    assert f"podreplay: {path}: other kinds counted, not loaded: Deployment:{n_items}" in (
        res.stderr.splitlines()
    )
    quiet = ingest(db_path, path)  # -q: the notices go, one summary line stays
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stderr == (
        "podreplay: 1 file (1 already ingested): 0 events, 0 pod snapshots, 0 skipped, 0 rejects\n"
    )
    assert rows(db_path, "SELECT n_objects, n_skipped, n_rejects FROM sources") == [
        (n_items, n_items, 0)
    ]
    for table in ("events", "pod_snapshots", "rejects"):
        assert rows(db_path, f"SELECT count(*) FROM {table}") == [(0,)]


# --- text that is not JSON inside a capture ------------------------------------------------------


def test_kubectl_warnings_and_errors_are_skipped_and_counted_and_the_list_lands(
    db_path: Path,
) -> None:
    path = BAD / "kubectl_stderr_mixed.json"
    lines = text_lines(path)
    noise = [
        (n, line) for n, line in enumerate(lines, 1) if re.match(r"(Warning|error|E\d{4}) ?", line)
    ]
    assert len(noise) == 3  # Warning:, a klog E-line, error:
    start = next(n for n, line in enumerate(lines) if line.startswith("{"))
    items = json.loads("\n".join(lines[start : noise[-1][0] - 1]))["items"]
    res = ingest(db_path, path, extra=())  # per-file notices are shown without -q
    assert res.exit_code == 0, res.stderr
    assert f"podreplay: {path}: 3 lines of text skipped" in res.stderr.splitlines()
    assert rows(db_path, "SELECT uid FROM events ORDER BY uid") == sorted(
        (e["metadata"]["uid"],) for e in items
    )
    assert rows(db_path, "SELECT count(*) FROM rejects") == [(0,)]


# --- what old clusters and hand edits leave out or change ---------------------------------------


@pytest.mark.parametrize("damaged", [3, 700, 1499])
def test_a_damaged_item_in_a_large_list_loses_only_itself(
    db_path: Path, tmp_path: Path, damaged: int
) -> None:
    # the reader refills its buffer while it looks at a damaged item; it must still find the
    # item's indent to resume at the next one (it used to swallow the rest of the List)
    events = real_items(K3S_EVENTS)
    docs = []
    for i in range(1500):
        doc = json.loads(json.dumps(events[i % len(events)]))
        doc["metadata"]["uid"] = f"uid-{i}"
        docs.append(json.dumps(doc, indent=4).replace("\n", "\n        "))
    docs[damaged] = docs[damaged].replace('"reason":', '"reason"', 1)
    path = tmp_path / "events.json"
    path.write_text(
        '{\n    "items": [\n        ' + ",\n        ".join(docs) + "\n    ],\n"
        '    "kind": "List"\n}\n'
    )
    assert path.stat().st_size > (1 << 21)  # several reader chunks
    res = ingest(db_path, path)
    assert res.exit_code == 1
    assert f"(item {damaged}): invalid JSON" in the_error(res, path)
    assert rows(db_path, "SELECT count(*) FROM events") == [(1499,)]
    (reject,) = rows(db_path, "SELECT raw_text FROM rejects")
    assert reject[0].count('"uid": "uid-') == 1 and f'"uid": "uid-{damaged}"' in reject[0]


def test_events_without_uid_event_time_series_or_count_land(db_path: Path) -> None:
    path = BAD / "old_cluster_fields.json"
    items = json.loads(path.read_text())["items"]
    events = [i for i in items if i["kind"] == "Event"]
    assert all("uid" not in e["metadata"] and "eventTime" not in e for e in events)
    res = ingest(db_path, path)
    assert res.exit_code == 0, res.stderr
    got = rows(db_path, "SELECT event_key, uid, count, event_ts FROM events ORDER BY event_key")
    # no uid: keyed by namespace/name; count 0 or absent means the event happened once
    expected = sorted(
        (
            f"{e['metadata']['namespace']}/{e['metadata']['name']}",
            None,
            max(e.get("count") or 1, 1),
            None,
        )
        for e in events
    )
    assert got == expected
    pod = next(i for i in items if i["kind"] == "Pod")
    [(uid, phase)] = rows(db_path, "SELECT pod_uid, phase FROM pod_snapshots")
    # no uid: the surrogate namespace/name/creationTimestamp
    assert uid.startswith(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}/2024-03-01")
    assert phase == pod["status"]["phase"]


def test_timestamps_in_other_formats_are_read_and_invalid_ones_rejected(db_path: Path) -> None:
    path = BAD / "timestamps.json"
    items = json.loads(path.read_text())["items"]
    res = ingest(db_path, path)
    assert res.exit_code == 1
    # every case means 2024-03-01T02:13:00Z (micro adds .123456 s; no-zone is read as UTC)
    got = {
        name: (first.isoformat(), last.isoformat())
        for name, first, last in rows(db_path, "SELECT object_name, first_ts, last_ts FROM events")
    }
    at = "2024-03-01T02:13:00+00:00"
    assert got == {
        "ts-rfc3339": (at, at),
        "ts-go-string": (at, at),
        "ts-offset": (at, at),
        "ts-micro": ("2024-03-01T02:13:00.123456+00:00", "2024-03-01T02:13:00.123456+00:00"),
        "ts-no-zone": (at, at),
    }
    bad = {
        i: e["firstTimestamp"]
        for i, e in enumerate(items)
        if e["involvedObject"]["name"] not in got
    }
    assert len(bad) == 3  # words, out-of-range, epoch seconds
    got_rejects = rows(db_path, "SELECT location, error FROM rejects ORDER BY length(location), 1")
    assert [loc.split("(item ")[1].rstrip(")") for loc, _ in got_rejects] == [str(i) for i in bad]
    for (_loc, error), value in zip(got_rejects, bad.values(), strict=True):
        assert error.startswith(f"bad timestamp in firstTimestamp: {value}")
    first_line = int(got_rejects[0][0].split()[1])
    assert text_lines(path)[first_line - 1].strip() == "{"  # the place is where the item opens
    assert the_error(res, path).startswith(got_rejects[0][0] + ": bad timestamp")


def test_invalid_utf8_in_a_message_becomes_replacement_characters(db_path: Path) -> None:
    path = BAD / "non_utf8_message.ndjson"
    raw_lines = path.read_bytes().splitlines()
    res = ingest(db_path, path)
    assert res.exit_code == 0, res.stderr
    expected = {}
    for raw in raw_lines:
        # policy: each invalid byte becomes U+FFFD (Python's and Go's replacement rule)
        obj = json.loads(raw.decode("utf-8", "replace"))
        expected[obj["reason"]] = obj["message"]
    assert "\ufffd" in expected["Failed"] and "\u65e5" in expected["Started"]
    assert dict(rows(db_path, "SELECT reason, message FROM events")) == expected


def test_a_repeated_json_key_keeps_its_last_value(db_path: Path) -> None:
    res = ingest(db_path, BAD / "duplicate_keys.ndjson", BAD / "duplicate_keys.yaml")
    assert res.exit_code == 0, res.stderr
    # both files repeat reason, message, metadata.uid (and the JSON one involvedObject.name)
    assert rows(db_path, "SELECT uid, object_name, reason, message FROM events ORDER BY 2") == [
        ("uid-last", "web-5", "Pulled", "last message"),
        ("uid-yaml-last", "web-6", "Pulled", "last message"),
    ]


# --- hostile sizes and shapes -------------------------------------------------------------------


def test_a_5_mb_message_lands_whole(db_path: Path, tmp_path: Path) -> None:
    event = json.loads(real(K3S_EVENTS).read_text())["items"][0]
    rng = random.Random(5)
    event["message"] = "".join(rng.choices(string.printable + "<>&\"'\u00e9", k=5 << 20))
    path = tmp_path / "big-message.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    res = ingest(db_path, path)
    assert res.exit_code == 0, res.stderr
    assert rows(db_path, "SELECT message FROM events") == [(event["message"],)]


def test_deep_json_nesting_is_a_reject_not_a_recursion_error(db_path: Path) -> None:
    path = BAD / "deeply_nested.ndjson"
    res = ingest(db_path, path)
    assert res.exit_code == 1
    assert re.match(r"line 2\b.*nested deeper than \d+ levels", the_error(res, path))
    assert rows(db_path, "SELECT count(*) FROM events") == [(2,)]
    [(raw,)] = rows(db_path, "SELECT raw_text FROM rejects")
    assert "[[[[[[[[" in raw


def test_deep_yaml_nesting_is_a_reject_not_a_recursion_error(db_path: Path) -> None:
    """Which limit answers first is PyYAML's business (6.0.4 has its own depth limit, older
    releases recurse into ours); ours is that either way the document is one reject, placed
    inside it, and the document before it is kept."""
    path = BAD / "deeply_nested.yaml"
    res = ingest(db_path, path)
    assert res.exit_code == 1
    error = the_error(res, path)
    where = re.match(
        r"line (\d+) \(document \d+\): (invalid YAML|cannot convert YAML value): ", error
    )
    assert where, error
    assert 9 <= int(where.group(1)) <= len(path.read_text().splitlines())  # the 2nd document
    assert rows(db_path, "SELECT count(*) FROM events") == [(1,)]
    [(raw,)] = rows(db_path, "SELECT raw_text FROM rejects")
    assert "[[[[[[[[" in raw


def test_a_deeply_nested_bare_array_is_a_reject(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    res = ingest(db_path, path)
    assert res.exit_code == 1
    assert "nested deeper than" in the_error(res, path)
    assert rows(db_path, "SELECT count(*) FROM rejects") == [(1,)]


def test_yaml_python_tags_construct_nothing(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = BAD / "python_tags.yaml"
    monkeypatch.chdir(tmp_path)
    res = ingest(db_path, path)
    # an unsafe loader would have run `touch podreplay-yaml-executed` in the working directory
    assert not (tmp_path / "podreplay-yaml-executed").exists()
    assert res.exit_code == 1
    assert "python/object/apply:os.system" in the_error(res, path)
    assert rows(db_path, "SELECT uid FROM events ORDER BY uid") == [
        ("uid-web-7-a",),
        ("uid-web-7-d",),
    ]
    rejects = rows(db_path, "SELECT location, error FROM rejects ORDER BY length(location), 1")
    assert [loc for loc, _ in rejects] == ["line 11 (document 1)", "line 19 (document 2)"]
    assert all("could not determine a constructor" in err for _, err in rejects)


def test_a_yaml_alias_bomb_is_rejected_quickly(db_path: Path) -> None:
    path = BAD / "yaml_alias_bomb.yaml"
    res = ingest(db_path, path)
    assert res.exit_code == 1
    assert "aliases expand to more than" in the_error(res, path)
    assert rows(db_path, "SELECT uid FROM events") == [("uid-web-10-a",)]


def test_a_gz_expanding_past_the_limit_is_refused_whole(db_path: Path) -> None:
    path = BAD / "expands_3mb.json.gz"
    expanded = len(gzip.decompress(path.read_bytes()))
    assert expanded > 3 << 20
    ingest(db_path, real(K3S_EVENTS))
    before = snapshot(db_path)
    res = ingest(db_path, path, extra=("-q", "--max-gz-size", "1000000"))
    assert res.exit_code == 1
    assert the_error(res, path) == (
        "byte 1000000: decompresses to more than 1000000 bytes (limit; see --max-gz-size)"
    )
    assert snapshot(db_path) == before
    # under a limit it fits, the same file lands: the limit was the only reason
    assert ingest(db_path, path).exit_code == 0
    assert rows(db_path, "SELECT count(*) FROM events WHERE object_name = 'web-8'") == [(1,)]


# --- truncation -------------------------------------------------------------------------------


def _kubectl_list(items: list[dict[str, Any]]) -> tuple[bytes, list[int]]:
    """A List printed like `kubectl get -o json`, and the byte offset where each item ends."""
    body = '{\n    "apiVersion": "v1",\n    "items": [\n'
    ends = []
    for i, item in enumerate(items):
        body += (
            (",\n" if i else "")
            + "        "
            + json.dumps(item, indent=4).replace("\n", "\n        ")
        )
        ends.append(len(body.encode()))
    body += '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n'
    body += "    }\n}\n"
    return body.encode(), ends


def _ndjson(items: list[dict[str, Any]]) -> tuple[bytes, list[int]]:
    body, ends = b"", []
    for item in items:
        body += json.dumps({"type": "ADDED", "object": item}).encode()
        ends.append(len(body))
        body += b"\n"
    return body, ends


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["list", "ndjson"])
def test_a_capture_cut_anywhere_keeps_every_complete_item(tmp_path: Path, shape: str) -> None:
    from podreplay.ingest import IngestOptions, ingest_stream  # library: 60 cuts, one db each

    items = json.loads(real(K3S_EVENTS).read_text())["items"][:15]
    data, ends = _kubectl_list(items) if shape == "list" else _ndjson(items)
    cuts = sorted(random.Random(shape).sample(range(1, len(data.rstrip())), 60))
    for n, cut in enumerate(cuts):
        path = tmp_path / f"cut{n}.json"
        path.write_bytes(data[:cut])
        with Store(tmp_path / f"cut{n}.duckdb") as store, path.open("rb") as fh:
            result = ingest_stream(store, fh, str(path), IngestOptions())
            complete = [i for i, end in enumerate(ends) if end <= cut]
            uids = store.rows("SELECT uid FROM events ORDER BY uid")
            assert uids == sorted((items[i]["metadata"]["uid"],) for i in complete), cut
            n_rejects = store.scalar("SELECT count(*) FROM rejects")
            # the one damaged value (or the cut-off end of the List) is kept, nothing else
            expected = 1 if shape == "list" or cut not in ends else 0
            assert (result.n_rejects, n_rejects) == (expected, expected), (cut, result)


def test_a_truncated_capture_through_the_cli_names_the_place(db_path: Path, tmp_path: Path) -> None:
    items = json.loads(real(K3S_PODS).read_text())["items"]
    data, ends = _kubectl_list(items)
    cut = (ends[1] + ends[2]) // 2  # inside the third pod
    path = tmp_path / "pods-cut.json"
    path.write_bytes(data[:cut])
    res = ingest(db_path, path)
    assert res.exit_code == 1
    line = data[: ends[1]].count(b"\n") + 2  # item 1 ends on line count+1, item 2 opens next
    assert the_error(res, path).startswith(f"line {line} (item 2): invalid JSON")
    assert rows(db_path, "SELECT DISTINCT pod_uid FROM pod_snapshots ORDER BY 1") == sorted(
        (p["metadata"]["uid"],) for p in items[:2]
    )


def test_a_truncated_gz_is_one_error_and_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    whole = gzip.compress(real(K3S_EVENTS).read_bytes(), mtime=0)
    path = tmp_path / "events.json.gz"
    path.write_bytes(whole[: len(whole) // 2])
    ingest(db_path, real(K3S_PODS))
    before = snapshot(db_path)
    res = ingest(db_path, path)
    assert res.exit_code == 1
    assert re.fullmatch(
        r"byte \d+ \(decompressed\): corrupt or truncated gzip: .+", the_error(res, path)
    )
    assert snapshot(db_path) == before

"""Ingest: every capture form lands with exact counts; merging, idempotence (when snapshots were
taken: test_snapshot_times.py).

Expected counts come from tests/data/real/SOURCES.md (counted independently when the files were
collected) and are cross-checked against the files themselves with json/yaml.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from podreplay.ingest import IngestOptions, ingest_paths, ingest_stream
from podreplay.store import Store
from tests.support.paths import K3S_EVENTS, K3S_PODS, real, real_items

HARVESTER_CORE = "harvester-system__events_core-v1"
HARVESTER_V1 = "harvester-system__events_events.k8s.io-v1"
HARVESTER_PODS = "harvester-system__pods"
SONOBUOY_EVENTS = "sonobuoy-results__kube-system__Events"
SONOBUOY_PODS = "sonobuoy-results__kube-system__Pods"
MINIKUBE_JOB = "imagepull-and-oom-job__events"


def count(store: Store, table: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {table}"))


def test_core_v1_event_list_lands_every_event(store: Store) -> None:
    result = ingest_paths(store, [real(K3S_EVENTS)])
    assert len(real_items(K3S_EVENTS)) == 56
    assert count(store, "events") == 56
    assert result.sources[0].n_events == 56 and result.n_rejects == 0
    assert result.sources[0].format == "json"


def test_events_with_only_event_time_get_first_and_last_from_it(store: Store) -> None:
    ingest_paths(store, [real(K3S_EVENTS)])
    only_event_time = [
        e for e in real_items(K3S_EVENTS) if e.get("eventTime") and not e.get("firstTimestamp")
    ]
    assert len(only_event_time) == 8  # SOURCES.md: 8 events have only eventTime
    rows = store.rows(
        "SELECT first_ts, last_ts, event_ts FROM events WHERE uid IN "
        f"({','.join('?' * len(only_event_time))})",
        [e["metadata"]["uid"] for e in only_event_time],
    )
    assert len(rows) == 8
    assert all(first == last == ev for first, last, ev in rows)


def test_container_is_parsed_from_field_path(store: Store) -> None:
    ingest_paths(store, [real(K3S_EVENTS)])
    expected = {
        e["metadata"]["uid"]: e["involvedObject"]["fieldPath"].split("{")[1].rstrip("}")
        for e in real_items(K3S_EVENTS)
        if "{" in (e["involvedObject"].get("fieldPath") or "")
    }
    got = dict(store.rows("SELECT uid, container FROM events WHERE container IS NOT NULL"))
    assert expected and got == expected


def test_aggregated_count_is_kept(store: Store) -> None:
    ingest_paths(store, [real(K3S_EVENTS)])
    backoff = [e for e in real_items(K3S_EVENTS) if e["reason"] == "BackOff"]
    assert len(backoff) == 1
    assert store.scalar("SELECT count FROM events WHERE reason = 'BackOff'") == backoff[0]["count"]


def test_pod_list_gives_one_snapshot_per_pod_with_containers_and_conditions(store: Store) -> None:
    ingest_paths(store, [real(K3S_PODS)])
    pods = real_items(K3S_PODS)
    n_containers = sum(
        len(p["status"].get("containerStatuses", []))
        + len(p["status"].get("initContainerStatuses", []))
        for p in pods
    )
    n_conditions = sum(len(p["status"].get("conditions", [])) for p in pods)
    assert count(store, "pod_snapshots") == 6
    assert count(store, "container_snapshots") == n_containers
    assert count(store, "condition_snapshots") == n_conditions
    crash = store.rows(
        "SELECT c.state, c.reason, c.restart_count, c.last_reason, c.last_exit_code "
        "FROM container_snapshots c JOIN pod_snapshots p USING (pod_uid) "
        "WHERE p.pod LIKE 'backend-api-%'"
    )
    assert crash == [("waiting", "CrashLoopBackOff", 5, "Error", 1)]


def test_init_containers_are_marked(store: Store) -> None:
    ingest_paths(store, [real("velero__pods")])
    n_init = sum(
        len(p["status"].get("initContainerStatuses", [])) for p in real_items("velero__pods")
    )
    assert n_init == 10  # 5 in velero-6996dd565b-xl44t, 5 in the other velero pod
    assert store.scalar("SELECT count(*) FROM container_snapshots WHERE is_init") == n_init


def test_bare_array_without_kind_is_sniffed_by_shape(store: Store) -> None:
    result = ingest_paths(store, [real(SONOBUOY_EVENTS), real(SONOBUOY_PODS)])
    assert [s.format for s in result.sources] == ["json-array", "json-array"]
    assert count(store, "events") == 135
    assert count(store, "pod_snapshots") == 14
    assert result.n_rejects == 0


def test_yaml_null_strings_are_nulls(store: Store) -> None:
    ingest_paths(store, [real(HARVESTER_CORE)])
    assert count(store, "events") == 8
    assert store.scalar("SELECT count(*) FROM events WHERE component = 'null'") == 0
    assert store.scalar("SELECT count(*) FROM events WHERE first_ts IS NULL") == 0


def test_both_event_apis_map_to_the_same_rows(store: Store) -> None:
    ingest_paths(store, [real(HARVESTER_CORE)])
    core = store.rows(
        "SELECT event_key, object_kind, object_name, object_uid, reason, message, count, first_ts "
        "FROM events ORDER BY event_key"
    )
    ingest_paths(store, [real(HARVESTER_V1)])
    assert count(store, "events") == 8  # the same 8 events, merged by uid
    both = store.rows(
        "SELECT event_key, object_kind, object_name, object_uid, reason, message, count, first_ts "
        "FROM events ORDER BY event_key"
    )
    assert both == core


def test_series_count_is_the_occurrence_count(store: Store) -> None:
    ingest_paths(store, [real(MINIKUBE_JOB)])
    with_series = [e for e in real_items(MINIKUBE_JOB) if e.get("series")]
    assert len(with_series) == 1
    event = with_series[0]
    got = store.rows("SELECT count, last_ts FROM events WHERE uid = ?", [event["metadata"]["uid"]])[
        0
    ]
    assert got[0] == event["series"]["count"]
    expected_last = datetime.fromisoformat(event["series"]["lastObservedTime"])
    assert got[1] == expected_last


def test_reingesting_a_file_is_a_no_op(store: Store) -> None:
    first = ingest_paths(store, [real(K3S_EVENTS), real(K3S_PODS)])
    before = [count(store, t) for t in ("events", "pod_snapshots", "sources")]
    again = ingest_paths(store, [real(K3S_EVENTS), real(K3S_PODS)])
    assert [s.status for s in first.sources] == ["ingested", "ingested"]
    assert [s.status for s in again.sources] == ["duplicate", "duplicate"]
    assert [count(store, t) for t in ("events", "pod_snapshots", "sources")] == before


def test_overlapping_captures_do_not_double_count(store: Store, tmp_path: Path) -> None:
    events = real_items(K3S_EVENTS)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"kind": "List", "items": events[:40]}))
    # the second capture repeats 20 events, one of them seen again with a higher count
    later = [dict(e) for e in events[20:]]
    bumped = next(e for e in later if e["reason"] == "Pulled")
    bumped["count"] = 7
    bumped["lastTimestamp"] = "2025-09-11T21:00:00Z"
    second.write_text(json.dumps({"kind": "List", "items": later}))
    ingest_paths(store, [first, second])
    assert count(store, "events") == 56
    assert store.rows(
        "SELECT count, last_ts FROM events WHERE uid = ?", [bumped["metadata"]["uid"]]
    ) == [(7, datetime(2025, 9, 11, 21, 0, tzinfo=UTC))]
    # an older state ingested afterwards does not win
    third = tmp_path / "c.json"
    third.write_text(json.dumps({"kind": "List", "items": events[20:30]}))
    ingest_paths(store, [third])
    assert store.scalar("SELECT count FROM events WHERE uid = ?", [bumped["metadata"]["uid"]]) == 7


def test_versions_of_one_event_in_one_source_keep_the_latest_once(
    store: Store, tmp_path: Path
) -> None:
    # a watch-like List repeating events as they were updated; event_key is not a declared
    # PRIMARY KEY, so uniqueness rests on the ingest SQL alone
    events = real_items(K3S_EVENTS)
    first = events[0]
    updates = []
    for n, last in ((3, "2025-09-11T21:03:00Z"), (2, "2025-09-11T21:02:00Z")):
        doc = json.loads(json.dumps(first))
        doc["count"], doc["lastTimestamp"] = n, last
        updates.append(doc)
    same_count_later = json.loads(json.dumps(events[1]))
    same_count_later["lastTimestamp"] = "2025-09-11T23:00:00Z"
    path = tmp_path / "repeats.json"
    docs = [*events, *updates, same_count_later, events[1]]
    path.write_text(json.dumps({"kind": "List", "items": docs}))
    ingest_paths(store, [path])
    assert store.rows("SELECT count(*), count(DISTINCT event_key) FROM events") == [(56, 56)]
    assert store.rows(
        "SELECT count, last_ts FROM events WHERE uid = ?", [first["metadata"]["uid"]]
    ) == [(3, datetime(2025, 9, 11, 21, 3, tzinfo=UTC))]
    assert store.scalar(
        "SELECT last_ts FROM events WHERE uid = ?", [events[1]["metadata"]["uid"]]
    ) == datetime(2025, 9, 11, 23, 0, tzinfo=UTC)
    ingest_paths(store, [path, tmp_path / "repeats.json"])
    assert store.rows("SELECT count(*), count(DISTINCT event_key) FROM events") == [(56, 56)]


def test_pods_are_keyed_by_uid_so_a_recreated_pod_is_two_pods(store: Store, tmp_path: Path) -> None:
    pod = real_items(K3S_PODS)[0]
    again = json.loads(json.dumps(pod))
    again["metadata"]["uid"] = "00000000-0000-0000-0000-000000000001"
    again["metadata"]["creationTimestamp"] = "2025-09-11T22:00:00Z"
    path = tmp_path / "pods-20250911T220500Z.json"
    path.write_text(json.dumps({"kind": "List", "items": [pod, again]}))
    ingest_paths(store, [path])
    assert store.rows("SELECT count(DISTINCT pod_uid), count(DISTINCT pod) FROM pod_snapshots") == [
        (2, 1)
    ]


def test_pods_without_uid_get_a_stable_surrogate(store: Store, tmp_path: Path) -> None:
    pod = json.loads(json.dumps(real_items(K3S_PODS)[0]))
    del pod["metadata"]["uid"]
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"kind": "List", "items": [pod]}))
    ingest_paths(store, [path])
    ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    uid = store.scalar("SELECT pod_uid FROM pod_snapshots")
    assert uid.startswith(f"{ns}/{name}/2025-09-11")


# ------------------------------------------------------------------ the other input shapes


def test_pretty_printed_watch_stream_of_concatenated_objects(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "events-watch.json"
    path.write_text("".join(json.dumps(e, indent=4) + "\n" for e in real_items(K3S_EVENTS)))
    result = ingest_paths(store, [path])
    assert result.sources[0].format == "json-stream"
    assert count(store, "events") == 56 and result.n_rejects == 0


def test_ndjson_events(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in real_items(K3S_EVENTS)))
    ingest_paths(store, [path])
    assert count(store, "events") == 56


def test_multi_document_yaml(store: Store, tmp_path: Path) -> None:
    pods = real_items(HARVESTER_PODS)
    path = tmp_path / "pods.yaml"
    path.write_text("".join("---\n" + yaml.safe_dump(p) for p in pods))
    result = ingest_paths(store, [path])
    assert result.sources[0].format == "yaml"
    assert count(store, "pod_snapshots") == 16 and result.n_rejects == 0


def test_cluster_info_dump_on_stdout_with_logs_between_lists(store: Store, tmp_path: Path) -> None:
    nodes = {"kind": "NodeList", "apiVersion": "v1", "items": [{"kind": "Node", "metadata": {}}]}
    text = (
        json.dumps(nodes, indent=4)
        + "\n"
        + json.dumps({"kind": "EventList", "items": real_items(K3S_EVENTS)}, indent=4)
        + "\n"
        + json.dumps({"kind": "PodList", "items": real_items(K3S_PODS)}, indent=4)
        + "\n==== START logs for container app of pod default/x ====\n"
        + "Warning: this is log text {not json}\n"
        + "==== END logs for container app of pod default/x ====\n"
    )
    path = tmp_path / "dump.txt"
    path.write_text(text)
    result = ingest_paths(store, [path])
    source = result.sources[0]
    assert source.format == "cluster-info-dump"
    assert (source.n_events, source.n_pods, source.n_skipped, source.n_rejects) == (56, 6, 1, 0)
    assert source.skipped_kinds == "Node:1"


def test_directories_are_recursed_and_non_captures_skipped(store: Store, tmp_path: Path) -> None:
    (tmp_path / "dump" / "default").mkdir(parents=True)
    (tmp_path / "dump" / "default" / "events.json").write_bytes(real(K3S_EVENTS).read_bytes())
    (tmp_path / "dump" / "default" / "pods.json").write_bytes(real(K3S_PODS).read_bytes())
    (tmp_path / "dump" / "default" / "app" / "").mkdir()
    (tmp_path / "dump" / "default" / "app" / "logs.txt").write_text("started\nserving\n")
    result = ingest_paths(store, [tmp_path / "dump"])
    assert sorted(s.status for s in result.sources) == ["ingested", "ingested", "not-a-capture"]
    assert count(store, "events") == 56 and count(store, "pod_snapshots") == 6


def test_gzip_is_decompressed(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "events.json.gz"
    path.write_bytes(gzip.compress(real(K3S_EVENTS).read_bytes()))
    ingest_paths(store, [path])
    assert count(store, "events") == 56


def test_stdin_stream(store: Store) -> None:
    raw = io.BytesIO(real(K3S_EVENTS).read_bytes())
    result = ingest_stream(store, raw, "<stdin>", IngestOptions())
    assert result.n_events == 56 and count(store, "events") == 56


def test_other_kinds_are_counted_as_skipped_and_owners_kept(store: Store, tmp_path: Path) -> None:
    rs = {
        "kind": "ReplicaSet",
        "apiVersion": "apps/v1",
        "metadata": {
            "name": "web-7d4b9c",
            "namespace": "default",
            "uid": "rs-1",
            "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
        },
    }
    deploy = {"kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}}
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"kind": "List", "items": [rs, deploy]}))
    result = ingest_paths(store, [path])
    assert result.sources[0].n_skipped == 2 and result.n_rejects == 0
    assert store.rows("SELECT kind, name, owner_kind, owner_name FROM owners ORDER BY kind") == [
        ("Deployment", "web", None, None),
        ("ReplicaSet", "web-7d4b9c", "Deployment", "web"),
    ]


@pytest.mark.parametrize("fast", [False, True], ids=["python-reader", "fast-path"])
def test_each_value_is_classified_by_its_kind_its_watch_type_or_its_shape(
    tmp_path: Path, fast: bool
) -> None:
    """Every way classification decides a kind, in one stream: an object's own kind (with or
    without a `type` that names no watch event), a watch record's object, a bookmark, an object
    whose `type` looks like a watch event's but whose `object` is no object, the shape of an
    event or a pod without kind, a number as kind, and JSON that is no Kubernetes object."""
    event = real_items(K3S_EVENTS)[0]
    pods = real_items(K3S_PODS)
    kindless_event = {k: v for k, v in real_items(K3S_EVENTS)[1].items() if k != "kind"}
    kindless_pod = {k: v for k, v in pods[1].items() if k != "kind"}
    values = [
        event,
        kindless_event,
        pods[0],
        kindless_pod,
        {"type": "ADDED", "object": pods[2], "observedAt": "2024-03-01T02:00:00Z"},
        {"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {"resourceVersion": "7"}}},
        {"kind": "ConfigMap", "type": "ADDED", "object": "not an object", "metadata": {}},
        {"kind": 5, "apiVersion": "v1"},
        {"cpu": 3},
    ]
    path = tmp_path / "mixed.ndjson"
    path.write_text("".join(json.dumps(v) + "\n" for v in values))
    with Store(tmp_path / "db.duckdb") as store:
        options = IngestOptions(fast_min_bytes=0 if fast else 1 << 62)
        source = ingest_paths(store, [path], options).sources[0]
        assert (source.n_events, source.n_pods, source.n_rejects) == (2, 3, 0)
        assert (source.n_skipped, source.n_foreign) == (4, 1)
        assert source.skipped_kinds == "5:1, ConfigMap:1, watch BOOKMARK:1"
        assert count(store, "events") == 2
        assert store.scalar("SELECT count(*) FROM pod_snapshots WHERE watch_type = 'ADDED'") == 1


# ------------------------------------------------------------------ bad input


def test_malformed_objects_go_to_rejects_and_good_ones_land(store: Store, tmp_path: Path) -> None:
    events = real_items(K3S_EVENTS)[:5]
    bad_ts = dict(events[3], firstTimestamp="yesterday")
    lines = ["Warning: kubectl said something", json.dumps(events[0]), json.dumps(events[1])]
    lines += ['{"kind": "Event", "reason": ', json.dumps(events[2]), json.dumps(bad_ts)]
    lines += ['[1, "two"]', json.dumps(events[4])]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n")
    result = ingest_paths(store, [path])
    assert count(store, "events") == 4
    rejects = store.rows("SELECT location, error, raw_text FROM rejects ORDER BY location")
    assert rejects[0][1].startswith("invalid JSON: ")
    # the kubectl warning on line 1 is text: skipped and counted, not a reject
    assert result.sources[0].n_text_lines == 1
    assert [(r[0], r[1][:12] if r[0] == "line 4" else r[1]) for r in rejects] == [
        ("line 4", "invalid JSON"),
        ("line 6", "bad timestamp in firstTimestamp: yesterday"),
        ("line 7 (item 0)", "expected an object, got ubigint"),
        ("line 7 (item 1)", "expected an object, got varchar"),
    ]
    assert rejects[0][2] == '{"kind": "Event", "reason": \n'
    assert result.sources[0].n_rejects == 4
    assert store.scalar("SELECT n_rejects FROM sources") == 4


def test_a_truncated_list_keeps_the_complete_items(store: Store, tmp_path: Path) -> None:
    data = real(K3S_EVENTS).read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) // 2])
    result = ingest_paths(store, [path])
    landed = count(store, "events")
    assert 20 < landed < 56
    assert result.n_rejects >= 1
    assert store.scalar("SELECT count(*) FROM rejects WHERE raw_text <> ''") >= 1


@pytest.mark.parametrize("limit", [1000])
def test_a_gzip_expanding_past_the_limit_fails_and_leaves_nothing(
    store: Store, tmp_path: Path, limit: int
) -> None:
    path = tmp_path / "bomb.json.gz"
    path.write_bytes(gzip.compress(real(K3S_EVENTS).read_bytes()))
    result = ingest_paths(store, [path], IngestOptions(max_decompressed=limit))
    assert result.sources[0].status == "failed"
    assert "decompresses to more than 1000 bytes" in (result.sources[0].error or "")
    assert count(store, "events") == 0 and count(store, "sources") == 0


def test_an_unchanged_snapshot_taken_later_is_not_a_duplicate(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "capture"
    folder.mkdir()
    for name in ("pods-20250911T205400Z.json", "pods-20250911T205500Z.json"):
        (folder / name).write_bytes(real(K3S_PODS).read_bytes())
    result = ingest_paths(store, [folder])
    assert [s.status for s in result.sources] == ["ingested", "ingested"]
    assert store.scalar("SELECT count(DISTINCT observed_at) FROM pod_snapshots") == 2


def test_repeats_within_one_folder_are_stored_once(store: Store, tmp_path: Path) -> None:
    """One batch of small files: identical bytes observed at the same time are a duplicate, and
    a pod snapshot an earlier file of the batch stored is not stored again."""
    pods = real_items(K3S_PODS)
    folder = tmp_path / "capture"
    folder.mkdir()
    stamp = "20250911T205400Z"
    whole = json.dumps({"kind": "PodList", "apiVersion": "v1", "items": pods})
    (folder / f"a-{stamp}.json").write_text(whole)
    (folder / f"b-{stamp}.json").write_text(whole)
    one = json.dumps({"kind": "PodList", "apiVersion": "v1", "items": pods[:1]})
    (folder / f"c-{stamp}.json").write_text(one)
    result = ingest_paths(store, [folder])
    assert [s.status for s in result.sources] == ["ingested", "duplicate", "ingested"]
    assert store.rows("SELECT source_id, path FROM sources ORDER BY 1") == [
        (1, str(folder / f"a-{stamp}.json")),
        (2, str(folder / f"c-{stamp}.json")),
    ]
    assert count(store, "pod_snapshots") == len(pods)
    for table in ("pod_snapshots", "container_snapshots", "condition_snapshots"):
        # the repeated snapshot's containers and conditions are dropped with it
        assert store.scalar(f"SELECT count(*) FROM {table} WHERE source_id = 2") == 0
        assert store.scalar(f"SELECT count(*) FROM {table} WHERE source_id = 1") > 0


def test_a_file_beside_a_snapshot_stored_before_stores_only_its_new_pods_rows(
    store: Store, tmp_path: Path
) -> None:
    """A repeated snapshot between a file's new ones: its containers and conditions are not
    stored again with them."""
    pods = real_items(K3S_PODS)
    folder = tmp_path / "capture"
    folder.mkdir()
    stamp = "20250911T205400Z"
    (folder / f"a-{stamp}.json").write_text(json.dumps({"kind": "PodList", "items": pods[1:2]}))
    fresh = [copy.deepcopy(pods[0]) for _ in range(2)]
    for n, pod in enumerate(fresh):
        pod["metadata"]["uid"] = f"fresh-{n}"
    mixed = {"kind": "PodList", "items": [fresh[0], pods[1], fresh[1]]}
    (folder / f"b-{stamp}.json").write_text(json.dumps(mixed))
    assert [s.status for s in ingest_paths(store, [folder]).sources] == ["ingested"] * 2
    for table in ("pod_snapshots", "container_snapshots", "condition_snapshots"):
        assert store.rows(
            f"SELECT DISTINCT pod_uid FROM {table} WHERE source_id = 2 ORDER BY 1"
        ) == [
            ("fresh-0",),
            ("fresh-1",),
        ]


def test_a_folder_leaves_the_connection_settings_as_they_were(store: Store, tmp_path: Path) -> None:
    """A batch of plain sources is stored with one thread and no optimizer: both come back,
    for the sources with events in the same batch and after it."""
    threads = store.scalar("SELECT current_setting('threads')")
    pods = real_items(K3S_PODS)
    folder = tmp_path / "capture"
    folder.mkdir()
    for n, pod in enumerate(pods[:3]):
        doc = {"kind": "PodList", "apiVersion": "v1", "items": [pod]}
        (folder / f"p{n}-20250911T2054{n:02d}Z.json").write_text(json.dumps(doc))
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "e", "namespace": "d"},
        "involvedObject": {"kind": "Pod", "name": "x", "namespace": "d"},
        "reason": "Pulled",
        "lastTimestamp": "2025-09-11T20:54:00Z",
        "count": 1,
    }
    (folder / "p1-events.json").write_text(json.dumps({"kind": "List", "items": [event]}))
    result = ingest_paths(store, [folder])
    assert [s.status for s in result.sources] == ["ingested"] * 4
    assert count(store, "events") == 1
    assert store.scalar("SELECT current_setting('threads')") == threads
    assert store.scalar("SELECT current_setting('enable_optimizer')") is True


def test_an_empty_list_is_a_capture_that_shows_no_pods(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pods-20250911T205400Z.json"
    path.write_text('{"apiVersion": "v1", "items": [], "kind": "List"}\n')
    result = ingest_paths(store, [path])
    assert result.sources[0].status == "ingested"
    assert store.scalar("SELECT n_objects FROM sources") == 0


def test_memory_limit_holds_inside_the_block_and_is_restored(store: Store) -> None:
    before = store.scalar("SELECT current_setting('memory_limit')")
    with store.memory_limit("512MB"):
        assert store.scalar("SELECT current_setting('memory_limit')") == "488.2 MiB"
    assert store.scalar("SELECT current_setting('memory_limit')") == before
    with (
        pytest.raises(ValueError, match="not a memory size"),
        store.memory_limit("1GB'; SET threads = 1; --"),
    ):
        pass
    assert store.scalar("SELECT current_setting('memory_limit')") == before

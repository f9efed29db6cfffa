"""The rebuild on real captures (tests/data/real, provenance in SOURCES.md): every pod's restarts
agree with the restartCount its pod object shows, read here straight from the file; pods known
only from events get at least the restarts their Killing events announce.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from podreplay.derive import ingest_and_rebuild
from podreplay.lifecycle import pod_story
from podreplay.store import Store
from tests.conftest import REAL
from tests.lifecycle_rows import check_intervals_tile_time

# the first set: plain kubectl Lists and bare arrays, which `objects` below reads (every capture
# of the folder, in every form, is checked by tests/test_real_corpus.py)
FIRST_SET = ("k3s-v1.33", "kurl-v1.23", "aws-v1.8.4", "minikube_2023", "harvester-rke2")
CAPTURES = sorted(
    p for p in REAL.iterdir() if p.suffix in (".json", ".yaml") and p.name.startswith(FIRST_SET)
)
POD_FILES = [p for p in CAPTURES if "pods" in p.name.lower()]
EVENT_FILES = [p for p in CAPTURES if "events" in p.name.lower()]


def objects(path: Path) -> list[dict[str, Any]]:
    """The objects of a List (JSON or YAML) or a bare JSON array."""
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)
    items = doc if isinstance(doc, list) else doc.get("items") or []
    return [o for o in items if isinstance(o, dict)]


def restart_counts(path: Path) -> list[tuple[str, str, str, int]]:
    """(pod uid, pod name, container, restartCount) for every container status in the file."""
    out = []
    for pod in objects(path):
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        for key in ("containerStatuses", "initContainerStatuses"):
            for cs in status.get(key) or []:
                out.append((meta["uid"], meta["name"], cs["name"], int(cs["restartCount"])))
    return out


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    with Store(db) as store:
        ingest_and_rebuild(store, CAPTURES)
        yield store


@pytest.mark.parametrize("pod_file", POD_FILES, ids=lambda p: p.name.split("__")[0])
def test_restarts_match_each_containers_restart_count(real_store: Store, pod_file: Path) -> None:
    counts = restart_counts(pod_file)
    assert counts, "the capture has container statuses"
    for uid, name, container, count in counts:
        got = real_store.scalar(
            "SELECT count(*) FROM restarts WHERE pod_uid = ? AND container = ?", [uid, container]
        )
        assert got == count, (name, container, got, count)


def test_restarts_are_numbered_one_to_n_without_gaps(real_store: Store) -> None:
    gaps = real_store.rows(
        "SELECT pod_uid, container FROM restarts GROUP BY ALL"
        " HAVING max(restart_no) <> count(*) OR min(restart_no) <> 1"
    )
    assert gaps == []


def test_events_only_pods_get_the_restarts_their_kill_events_announce() -> None:
    # kubelet Killing events that say the container "will be restarted", counted from the files
    announced: dict[tuple[str, str], int] = {}
    for path in EVENT_FILES:
        for ev in objects(path):
            obj = ev.get("involvedObject") or ev.get("regarding") or {}
            message = ev.get("message") or ev.get("note") or ""
            if ev.get("reason") == "Killing" and "will be restarted" in message:
                key = (obj.get("uid", ""), obj.get("name", ""))
                announced[key] = announced.get(key, 0) + int(ev.get("count") or 1)
    assert announced, "the captures hold liveness kills"
    with Store(":memory:") as store:
        ingest_and_rebuild(store, EVENT_FILES)
        for (uid, name), n in announced.items():
            got = store.scalar("SELECT count(*) FROM restarts WHERE pod_uid = ?", [uid])
            assert got >= n, (name, got, n)


def test_real_intervals_tile_time(real_store: Store) -> None:
    check_intervals_tile_time(real_store)


def test_every_real_pod_has_a_story_in_time_order(real_store: Store) -> None:
    uids = [u for (u,) in real_store.rows("SELECT pod_uid FROM pods")]
    assert len(uids) > 40
    for uid in uids:
        story = pod_story(real_store, uid)
        assert story.height > 0, uid
        stamps = [t for t in story["ts"].to_list() if t is not None]
        assert stamps == sorted(stamps), uid
        # every pod has at least one phase interval and nothing ends before it starts
        phases = real_store.rows(
            "SELECT count(*), coalesce(bool_and(end_ts >= start_ts), true) FROM phase_intervals"
            " WHERE pod_uid = ?",
            [uid],
        )
        assert phases[0][0] >= 1 and phases[0][1], uid

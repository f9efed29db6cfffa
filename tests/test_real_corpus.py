"""Every real capture in tests/data/real/, read whole through the CLI, nothing lost.

The expected numbers come from an independent count written here: a short parser of its own
(PyYAML and `json`, not podreplay's reader) that finds the documents its own way, so a capture
podreplay misreads disagrees with it. Folders are also read as `.tar.gz` and `.zip` archives
built at test time, and captures re-encoded (UTF-16, BOM, CRLF, text around them) must give the
same numbers.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import Result

from podreplay import archives
from tests.support.cli import run
from tests.support.paths import REAL

NOT_CAPTURES = ("SOURCES.md", "LICENSE")
FILES = sorted(p for p in REAL.iterdir() if p.is_file() and not p.name.startswith(NOT_CAPTURES))
DIRS = sorted(p for p in (REAL / "dirs").iterdir() if p.is_dir())
# files that hold no Kubernetes object at all: named on the command line, they are an error
NO_OBJECTS = {
    "insights-operator__compact_events.json",  # the insights archive's own event summary
    "kind_2025_holmesgpt-fixture__crashloop-pod__kubectl-events-table.txt",
    "kind_2025_holmesgpt-fixture__oomkilled-crashloop-pod__kubectl-describe.txt",
}


# --- the independent count ----------------------------------------------------------------------


@dataclass
class Count:
    """What a capture holds, counted without podreplay."""

    events: set[str] = field(default_factory=set)
    pods: dict[str, int] = field(default_factory=dict)  # uid -> restarts in its last state
    broken: int = 0  # Kubernetes documents that do not parse

    def add(self, other: Count) -> None:
        self.events |= other.events
        self.pods.update(other.pods)
        self.broken += other.broken


_RESOURCES = {"events": "Event", "pods": "Pod"}
_LOG_SECTION = re.compile(r"^==== START logs.*?^==== END logs[^\n]*\n", re.M | re.S)


def count_bytes(data: bytes) -> Count:
    """Count a file's events, pods and broken documents from its raw bytes."""
    if data[:2] == b"\x1f\x8b":
        return count_bytes(gzip.decompress(data))
    if data[257:262] == b"ustar":
        total = Count()
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for m in tar.getmembers():
                f = tar.extractfile(m) if m.isfile() else None
                if f is not None:
                    total.add(count_bytes(f.read()))
        return total
    for bom, enc in (
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
        (b"\xef\xbb\xbf", "utf-8-sig"),
    ):
        if data.startswith(bom):
            return count_text(data.decode(enc))
    return count_text(data.decode("utf-8", "replace"))


def count_text(text: str) -> Count:
    text = _LOG_SECTION.sub("", text.replace("\r\n", "\n"))
    if "```" in text:  # markdown: the fenced blocks, without their shell prompts
        total = Count()
        for block in text.split("```")[1::2]:
            lines = block.split("\n")[1:]  # the fence's info string
            total.add(count_text("\n".join(x for x in lines if not x.startswith("$ "))))
        return total
    text = re.sub(r"\A(\s*#[^\n]*\n)+", "", text)  # comment lines above
    if text.lstrip()[:1] in ("{", "["):
        return count_json(text)
    try:
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, (dict, list))]
    except yaml.YAMLError:
        return Count()
    total = Count()
    for doc in docs:
        total.add(count_value(doc))
    return total


def count_json(text: str) -> Count:
    """Top-level values start at column 0 (pretty output) or are one per line (NDJSON)."""
    total = Count()
    chunks = re.split(r"\n(?=[{\[])", text)
    for chunk in chunks:
        try:
            value, _end = json.JSONDecoder().raw_decode(chunk.strip())
        except json.JSONDecodeError:
            total.add(count_damaged(chunk))
            continue
        total.add(count_value(value))
    return total


def count_damaged(chunk: str) -> Count:
    """A List cut short: its items (at one indent) each parse or are one broken document."""
    total = Count()
    starts = [m.start() for m in re.finditer(r"^( +)\{\n", chunk, re.M)]
    indent = min((len(m.group(1)) for m in re.finditer(r"^( +)\{\n", chunk, re.M)), default=0)
    starts = [m.start() for m in re.finditer(rf"^ {{{indent}}}\{{\n", chunk, re.M)]
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(chunk)
        piece = chunk[start:end].rstrip().rstrip(",").rstrip().removesuffix("]").rstrip()
        try:
            total.add(count_value(json.loads(piece)))
        except json.JSONDecodeError:
            total.broken += 1
    return total


def count_value(value: Any, list_kind: str | None = None) -> Count:
    total = Count()
    if isinstance(value, list):
        for item in value:
            total.add(count_value(item, list_kind))
        return total
    if not isinstance(value, dict):
        return total
    items = value.get("items", value.get("Items"))
    if isinstance(items, list):
        kind = value.get("kind") or ""
        if kind.endswith("List") and kind != "List":
            inner: str | None = kind[: -len("List")]
        else:
            link = value.get("selfLink") or (value.get("metadata") or {}).get("selfLink") or ""
            inner = _RESOURCES.get(link.rsplit("/", 1)[-1])
        return count_value(items, inner)
    go = "metadata" not in value and "uid" in value  # Go-internal: ObjectMeta inlined
    meta = value if go else value.get("metadata") or {}
    spec = value.get("Spec" if go else "spec") or {}
    kind = value.get("kind") or list_kind
    if kind is None and ("involvedObject" in value or "regarding" in value):
        kind = "Event"
    if kind is None and isinstance(spec.get("containers"), list):
        kind = "Pod"
    if kind == "Event":
        total.events.add(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
    elif kind == "Pod":
        status = value.get("Status" if go else "status") or {}
        keys = (
            ("ContainerStatuses", "InitContainerStatuses")
            if go
            else ("containerStatuses", "initContainerStatuses")
        )
        rc = "RestartCount" if go else "restartCount"
        restarts = sum(int(cs.get(rc) or 0) for k in keys for cs in status.get(k) or [])
        total.pods[meta["uid"]] = max(restarts, total.pods.get(meta["uid"], 0))
    return total


def count_folder(folder: Path) -> Count:
    total = Count()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            total.add(count_bytes(path.read_bytes()))
    return total


# --- through the CLI ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Landed:
    exit_code: int
    events: int
    pods: int
    restarts: int
    rejects: int


def ingest(db: Path, path: Path, *extra: str) -> tuple[Result, Landed]:
    res = run("ingest", str(path), "--db", str(db), "--format", "json", *extra)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        events, pods, rejects = con.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(DISTINCT pod_uid) FROM "
            "pod_snapshots), (SELECT count(*) FROM rejects)"
        ).fetchone() or (0, 0, 0)
        # each pod's restarts in its last snapshot (the order the file gave them, for ties)
        # each container's restarts in its pod's last snapshot (restartCount only grows: the
        # largest of the snapshots taken at that time, e.g. the states of a watch array)
        restarts = con.execute(
            "SELECT coalesce(sum(n), 0) FROM (SELECT max(restart_count) AS n "
            "FROM container_snapshots JOIN (SELECT pod_uid, max(observed_at) AS observed_at "
            "FROM pod_snapshots GROUP BY pod_uid) USING (pod_uid, observed_at) GROUP BY pod_uid, "
            "container, is_init)"
        ).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    return res, Landed(res.exit_code, events, pods, int(restarts), rejects)


def expected(count: Count, exit_code: int = 0) -> Landed:
    return Landed(
        exit_code if not count.broken else 1,
        len(count.events),
        len(count.pods),
        sum(count.pods.values()),
        count.broken,
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_capture_lands_as_counted_independently(tmp_path: Path, path: Path) -> None:
    count = count_bytes(path.read_bytes())
    res, landed = ingest(tmp_path / "db.duckdb", path)
    want = expected(count, 1 if path.name in NO_OBJECTS else 0)
    assert landed == want, res.stderr


def test_the_independent_count_agrees_with_the_sources_notes() -> None:
    # numbers written down when the captures were collected, checked once by hand
    notes = {
        "baf-minikube__cluster-dump_stdout.txt": (69, 12, 3),
        "vagrant-centos-k8s1.9__cluster-info-dump_goInternal.json": (74, 6, 0),
        "sre-ai-agent__garbled_pods.json": (0, 5, 118),
        "mgclean-ocp4.8__kube-system_core_events.yaml": (11, 0, 0),
        "k8s-failure-reproduction__C5_events_OutOfcpu_descheduler.json": (618, 0, 0),
        "kdash__test_data_pods.yaml": (0, 12, None),
    }
    for name, (events, pods, restarts) in notes.items():
        count = count_bytes((REAL / name).read_bytes())
        assert (len(count.events), len(count.pods)) == (events, pods), name
        assert restarts is None or sum(count.pods.values()) == restarts, name
    assert sum(count_folder(REAL / "dirs" / "insights-ocp4.8-config-pod").pods.values()) == 7821


def tar_gz(folder: Path, out: Path) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return out


def zip_of(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, str(path.relative_to(folder.parent)))
    return out


@pytest.mark.parametrize("form", ["folder", "tar.gz", "zip"])
@pytest.mark.parametrize("folder", DIRS, ids=lambda p: p.name)
def test_real_folders_land_whole_as_folders_and_as_archives(
    tmp_path: Path, folder: Path, form: str
) -> None:
    count = count_folder(folder)
    path = {
        "folder": lambda: folder,
        "tar.gz": lambda: tar_gz(folder, tmp_path / f"{folder.name}.tar.gz"),
        "zip": lambda: zip_of(folder, tmp_path / f"{folder.name}.zip"),
    }[form]()
    res, landed = ingest(tmp_path / "db.duckdb", path)
    assert landed == expected(count), res.stderr
    assert "podreplay: error:" not in res.stderr
    if form != "folder":
        sources = [s["source"] for s in json.loads(res.stdout)]
        assert all(s.startswith(f"{path}!{folder.name}/") for s in sources)


# --- the same captures as people's machines and habits leave them -------------------------------


def _variants() -> Iterator[tuple[str, str, bytes]]:
    dump = (REAL / "baf-minikube__cluster-dump_stdout.txt").read_bytes()
    pods_yaml = (REAL / "kubectl-neat__list1-raw.yaml").read_bytes()
    events = (REAL / "k3s-v1.33_2025_troubleshoot-bundle__kube-system__events.json").read_bytes()
    text = dump.decode()
    yield (
        "dump",
        "utf-16 with BOM (PowerShell >)",
        "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"),
    )
    yield "dump", "utf-8 with BOM", b"\xef\xbb\xbf" + dump
    yield "dump", "CRLF line ends", text.replace("\n", "\r\n").encode()
    yield "dump", "a comment line above", b"# generated by kubectl cluster-info dump\n" + dump
    yield "events", "unindented JSON", json.dumps(json.loads(events)).encode()
    transcript = (
        "# Incident notes\n\nWhat I ran:\n\n```console\n$ kubectl get pods -o yaml\n"
        + pods_yaml.decode()
        + "```\n\nand the events:\n\n```\n$ kubectl get events -o json\n"
        + events.decode()
        + "\n```\nthen I exited.\n"
    )
    yield "transcript", "markdown transcript around YAML and JSON", transcript.encode()


VARIANTS = list(_variants())


@pytest.mark.parametrize(("base", "how", "data"), VARIANTS, ids=[v[1] for v in VARIANTS])
def test_encodings_and_text_around_captures_change_nothing(
    tmp_path: Path, base: str, how: str, data: bytes
) -> None:
    path = tmp_path / "capture.txt"
    path.write_bytes(data)
    res, landed = ingest(tmp_path / "db.duckdb", path)
    assert landed == expected(count_bytes(data)), (how, res.stderr)
    assert landed.events + landed.pods > 0
    want = {"dump": (69, 12), "events": (140, 0), "transcript": (140, 2)}[base]
    assert (landed.events, landed.pods) == want
    if base == "transcript":
        assert re.search(r"capture.txt: \d+ lines of text skipped", res.stderr), res.stderr


def test_a_broken_document_between_good_ones_is_one_reject_and_the_next_lands(
    tmp_path: Path,
) -> None:
    pods = json.loads((REAL / "kubectl-neat__pod1-raw.json").read_text())
    first = json.dumps(pods, indent=2)
    # a terminal wrapped a long line inside a string: the document does not parse
    wrapped = first.replace('"name": "', '"name": "my\n-', 1).replace(pods["metadata"]["uid"], "b")
    events = (REAL / "k9s__gke2019_ev.json").read_text()
    path = tmp_path / "session.log"
    path.write_text(f"$ kubectl get pod -o json\n{wrapped}\n$ kubectl get ev -o json\n{events}\n")
    res, landed = ingest(tmp_path / "db.duckdb", path)
    assert (landed.events, landed.pods, landed.rejects, landed.exit_code) == (1, 0, 1, 1)
    assert re.search(r"session.log:line 2: invalid JSON", res.stderr), res.stderr


# --- archive bounds -----------------------------------------------------------------------------


def _tar_with(members: dict[str, bytes], out: Path) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_archive_members_with_absolute_or_parent_paths_are_refused_with_one_line(
    tmp_path: Path,
) -> None:
    events = (REAL / "k9s__gke2019_ev.json").read_bytes()
    path = _tar_with(
        {"/etc/events.json": events, "../up.json": events, "ok/ev.json": events},
        tmp_path / "bundle.tgz",
    )
    res, landed = ingest(tmp_path / "db.duckdb", path)
    assert landed.events == 1 and landed.exit_code == 1
    errors = [line for line in res.stderr.splitlines() if "error" in line]
    assert errors == [
        f"podreplay: error: {path}!/etc/events.json: absolute member path refused: "
        "/etc/events.json",
        f"podreplay: error: {path}!../up.json: member path with '..' refused: ../up.json",
    ]


@pytest.mark.parametrize("fmt", ["tgz", "zip"])
def test_an_archive_that_expands_past_the_limit_is_refused_with_one_line(
    tmp_path: Path, fmt: str
) -> None:
    bomb = b"{" + b" " * (4 << 20) + b"}"
    if fmt == "tgz":
        path = _tar_with({"a.json": bomb, "b.json": bomb}, tmp_path / "bomb.tgz")
    else:
        path = tmp_path / "bomb.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("a.json", bomb)
            z.writestr("b.json", bomb)
    res, landed = ingest(tmp_path / "db.duckdb", path, "--max-gz-size", str(6 << 20))
    assert landed.exit_code == 1
    errors = [line for line in res.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, res.stderr
    assert re.search(r"(expands|decompresses) to more than \d+ bytes", errors[0]), errors
    assert "Traceback" not in res.output


# --- what the wild captures carry besides events and pods ---------------------------------------


def _rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_static_pods_are_one_pod_with_their_kubelet_events(tmp_path: Path) -> None:
    # the kubelet's events carry the config hash as uid; the mirror pod carries the hash in
    # its kubernetes.io/config.mirror annotation
    dump = REAL / "baf-minikube__cluster-dump_stdout.txt"
    db = tmp_path / "db.duckdb"
    _res, landed = ingest(db, dump)
    mirrors = _rows(
        db,
        "SELECT pod_uid, raw->'metadata'->'annotations'->>'kubernetes.io/config.mirror' AS h "
        "FROM pod_snapshots WHERE h IS NOT NULL ORDER BY pod",
    )
    assert len(mirrors) == 4  # etcd, kube-apiserver, kube-controller-manager, kube-scheduler
    assert _rows(db, "SELECT count(*) FROM pods") == [(landed.pods,)] == [(12,)]
    for uid, config_hash in mirrors:
        by_hash = _rows(db, "SELECT count(*) FROM events WHERE object_uid = ?", [config_hash])
        joined = _rows(db, "SELECT count(*) FROM pod_events WHERE pod_uid = ?", [uid])
        assert by_hash[0][0] > 0 and joined == by_hash


def test_list_items_without_kind_take_the_lists_kind_and_workloads_land_in_owners(
    tmp_path: Path,
) -> None:
    # the dump's DaemonSetList, DeploymentList, ReplicaSetList… print items without `kind`
    db = tmp_path / "db.duckdb"
    res, landed = ingest(db, REAL / "baf-minikube__cluster-dump_stdout.txt")
    assert landed.rejects == 0 and landed.exit_code == 0, res.stderr
    assert _rows(db, "SELECT kind, count(*) FROM owners GROUP BY ALL ORDER BY 1") == [
        ("DaemonSet", 1),
        ("Deployment", 5),
        ("ReplicaSet", 5),
    ]
    assert _rows(db, "SELECT skipped_kinds FROM sources") == [
        ("Deployment:5, ReplicaSet:5, Service:5, DaemonSet:1, Node:1",)
    ]


def test_an_archive_with_more_members_than_allowed_stops_at_the_bound(tmp_path: Path) -> None:
    events = (REAL / "k9s__gke2019_ev.json").read_bytes()
    path = _tar_with({f"m{i}.json": events for i in range(5)}, tmp_path / "many.tgz")
    got = []
    with pytest.raises(archives.ArchiveLimit, match=r"many.tgz:member 4: more than 3 members"):
        for member in archives.members(str(path), 1 << 20, max_members=3):
            assert member.stream is not None
            got.append((member.name, member.stream.read()))
    assert got == [(f"{path}!m{i}.json", events) for i in range(3)]

"""An ingest to stop part-way: a large capture to read, the process that reads it, and the
moment it is mid-way through (its read position in /proc)."""

from __future__ import annotations

import copy
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.support.cli import start
from tests.support.dbstate import read_position
from tests.support.paths import K3S_PODS, real


def big_capture(tmp_path: Path, shape: str) -> Path:
    """A large capture made of copies of real pods (distinct uids), in one of three forms:
    a kubectl List (DuckDB fast path through a pipe), NDJSON watch records (DuckDB reads the
    file), multi-document YAML (the Python reader)."""
    pods: list[dict[str, Any]] = json.loads(real(K3S_PODS).read_text())["items"]
    copies = []
    for n in range(1000 if shape != "yaml" else 300):
        pod = copy.deepcopy(pods[n % len(pods)])
        pod["metadata"]["uid"] = f"{pod['metadata']['uid']}-{n}"
        pod["metadata"]["name"] = f"{pod['metadata']['name']}-{n}"
        copies.append(pod)
    if shape == "list":
        path = tmp_path / "big-pods.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": copies}, indent=4))
    elif shape == "ndjson":
        path = tmp_path / "big-pods-watch.ndjson"
        path.write_text("".join(json.dumps({"type": "ADDED", "object": p}) + "\n" for p in copies))
    else:
        path = tmp_path / "big-pods.yaml"
        path.write_text("".join("---\n" + json.dumps(p, indent=1) + "\n" for p in copies))
    return path


def start_ingest(path: Path, db: Path) -> subprocess.Popen[str]:
    """`python -m podreplay ingest PATH --db DB -q` started beside the database."""
    return start("ingest", path, "--db", db, "-q", cwd=db.parent)


def wait_until_reading(proc: subprocess.Popen[str], path: Path, db: Path) -> None:
    """Block until the ingest has its working copy and has started reading `path`."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the ingest finished before it could be stopped"
        working = list(db.parent.glob(f"{db.name}.writing-*"))
        if working and (read_position(proc.pid, path.name) or 0) > 0:
            return
        time.sleep(0.01)
    raise AssertionError("the ingest never started reading")


def release(proc: subprocess.Popen[str]) -> None:
    """Let a process waiting for a line on its stdin (a writer holding the lock) finish."""
    if proc.poll() is None:
        proc.communicate("done\n", timeout=60)

"""The benchmark inputs, generated from one simulated capture: event Lists and their NDJSON
floors, pod Lists, watch streams, YAML, folders of one-pod snapshot files, the report capture."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from measure import PODREPLAY, ROOT, UID


def simulate(out: Path, pods: int) -> None:
    """A realistic capture from the simulator (pods, events, snapshots, watch stream)."""
    if (out / "events.json").exists():
        return
    subprocess.run(
        [
            *PODREPLAY,
            "simulate",
            "--pods",
            str(pods),
            "--seed",
            "7",
            "--out",
            str(out),
            "--snapshot-every",
            "600",
        ],
        check=True,
        capture_output=True,
        cwd=str(ROOT),
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


class Replicator:
    """Copies of a simulated capture for more pods: each copy gets fresh uids and pod names
    (consistently across events, snapshots and watch records), the same times."""

    def __init__(self, sim: Path) -> None:
        doc = json.loads((sim / "events.json").read_text())
        self.items: list[dict[str, object]] = doc["items"]
        names: set[str] = set()
        for item in self.items:
            obj = item.get("involvedObject")
            if isinstance(obj, dict) and obj.get("kind") == "Pod" and obj.get("name"):
                names.add(str(obj["name"]))
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self.names = re.compile(rf"(?<![\w-])({alternation})(?![\w-])")

    def template(self, text: str) -> list[str]:
        """Split text into [literal, token, literal, token, ...] once; copies then only join."""
        tokens = re.compile(f"{UID.pattern}|{self.names.pattern}")
        parts: list[str] = []
        last = 0
        for m in tokens.finditer(text):
            parts += [text[last : m.start()], m.group()]
            last = m.end()
        parts.append(text[last:])
        return parts

    def fill(self, parts: list[str], k: int) -> str:
        tag = f"{k:04x}"
        out = parts[:]
        for i in range(1, len(parts), 2):
            t = parts[i]
            out[i] = t[:19] + tag + t[23:] if UID.fullmatch(t) else f"{t}-r{k}"
        return "".join(out)

    def copy(self, text: str, k: int) -> str:
        return self.fill(self.template(text), k)


def write_events(rep: Replicator, n: int, list_path: Path, ndjson_path: Path) -> None:
    """`kubectl get events -A -o json`-shaped List (4-space indent) of n events, and the same
    events as NDJSON."""
    if list_path.exists() and ndjson_path.exists():
        return
    pretty = [
        "        " + json.dumps(i, indent=4, sort_keys=True).replace("\n", "\n        ")
        for i in rep.items
    ]
    compact = [json.dumps(i, separators=(",", ":"), sort_keys=True) for i in rep.items]
    per = len(pretty)
    full_pretty = rep.template(",\n".join(pretty))
    full_compact = rep.template("\n".join(compact))
    with list_path.open("w") as lf, ndjson_path.open("w") as nf:
        lf.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        k = 0
        written = 0
        while written < n:
            take = min(per, n - written)
            if take == per:
                block, lines = rep.fill(full_pretty, k), rep.fill(full_compact, k)
            else:
                block = rep.copy(",\n".join(pretty[:take]), k)
                lines = rep.copy("\n".join(compact[:take]), k)
            lf.write((",\n" if written else "") + block)
            nf.write(lines + "\n")
            written += take
            k += 1
        lf.write('\n    ],\n    "kind": "List",\n    "metadata": {\n')
        lf.write('        "resourceVersion": ""\n    }\n}\n')


def last_snapshot(sim: Path) -> Path:
    """The last pod snapshot List that has pods in it."""
    files = sorted((sim / "pods").glob("*.json"))
    for f in reversed(files):
        if f.stat().st_size > 1000:
            return f
    raise SystemExit("simulator wrote no pod snapshot with pods")


def write_pod_list(rep: Replicator, sim: Path, replicas: int, out: Path, ndjson: Path) -> None:
    """One pod List with `replicas` copies of the simulator's last snapshot, and the same pods
    as NDJSON (the floor of the pod-object target)."""
    if out.exists() and ndjson.exists():
        return
    doc = json.loads(last_snapshot(sim).read_text())
    compact = rep.template("\n".join(json.dumps(i, separators=(",", ":")) for i in doc["items"]))
    with ndjson.open("w") as nf:
        for k in range(replicas):
            nf.write(rep.fill(compact, k) + "\n")
    pretty = ",\n".join(
        "        " + json.dumps(i, indent=4).replace("\n", "\n        ") for i in doc["items"]
    )
    with out.open("w") as f:
        f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        parts = rep.template(pretty)
        f.write(",\n".join(rep.fill(parts, k) for k in range(replicas)))
        f.write('\n    ],\n    "kind": "List",\n    "metadata": {\n')
        f.write('        "resourceVersion": ""\n    }\n}\n')


def write_snapshot_files(rep: Replicator, sim: Path, n: int, folder: Path, one: Path) -> None:
    """`n` one-pod snapshot files (a pod List each, as `kubectl get pods -o json` prints, the
    time in the file name) in `folder`, and the same n pods as one List file `one`."""
    if folder.exists() and one.exists():
        return
    items = json.loads(last_snapshot(sim).read_text())["items"]
    template = rep.template(json.dumps(items))
    pods: list[object] = []
    k = 0
    while len(pods) < n:
        pods.extend(json.loads(rep.fill(template, k))[: n - len(pods)])
        k += 1
    folder.mkdir(parents=True, exist_ok=True)
    stamp = "20240301T020000Z"

    def pod_list(objs: list[object]) -> str:
        return json.dumps({"apiVersion": "v1", "items": objs, "kind": "List"}, indent=4)

    for i, pod in enumerate(pods):
        (folder / f"pods-{i:05d}-{stamp}.json").write_text(pod_list([pod]))
    one.write_text(pod_list(pods))


def write_small_events(rep: Replicator, n: int, out: Path) -> None:
    """n events (fresh uids and names) as one List: the `100 events` increment."""
    if out.exists():
        return
    items = json.loads(rep.copy(json.dumps(rep.items[:n]), 9_999))
    out.write_text(json.dumps({"apiVersion": "v1", "items": items, "kind": "List"}, indent=4))


def write_watch(rep: Replicator, sim: Path, replicas: int, out: Path) -> None:
    """The simulator's pod watch stream (NDJSON records) for `replicas` copies of its pods."""
    if out.exists():
        return
    parts = rep.template((sim / "pods-watch.ndjson").read_text())
    with out.open("w") as f:
        for k in range(replicas):
            f.write(rep.fill(parts, k))


def write_yaml(list_path: Path, n: int, out: Path) -> None:
    """The first n events of a List as a YAML List (kubectl get -o yaml shape)."""
    if out.exists():
        return
    import yaml

    doc = json.loads(list_path.read_text())
    doc["items"] = doc["items"][:n]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    out.write_text(yaml.dump(doc, Dumper=dumper, sort_keys=True))


def write_report_capture(rep: Replicator, sim: Path, replicas: int, out: Path) -> None:
    """A whole simulated capture directory copied `replicas` times (about 1,000 pods)."""
    if out.exists():
        return
    out.mkdir(parents=True)
    for f in sorted(sim.rglob("*")):
        if not f.is_file() or f.name == "ground_truth.json":
            continue
        rel = f.relative_to(sim)
        for k in range(replicas):
            dest = out / f"r{k}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(rep.copy(f.read_text(), k))

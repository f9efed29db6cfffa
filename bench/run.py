"""podreplay benchmarks: generate inputs, time every step in a child process, write a report.

    python bench/run.py                      # full run (1M events; 10-15 min), docs/performance.md
    python bench/run.py --quick              # seconds; CI; writes bench/out/performance-quick.md
    python bench/run.py --only add           # the add-to-empty/big rows and what they read

Every measured step runs in its own subprocess so its peak memory (ru_maxrss from wait4) is
its own. The floor is DuckDB's read_ndjson over the same events as NDJSON, in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PODREPLAY = [PY, "-m", "podreplay"]
UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def find_chromium() -> str | None:
    """`$PODREPLAY_CHROMIUM` (set by `make bench-quick`), else what scripts/chromium.py finds."""
    if os.environ.get("PODREPLAY_CHROMIUM"):
        return os.environ["PODREPLAY_CHROMIUM"]
    found = subprocess.run(
        [PY, str(ROOT / "scripts" / "chromium.py"), "--find-only"], capture_output=True, text=True
    )
    return found.stdout.strip() if found.returncode == 0 else None


@dataclass(frozen=True)
class Sizes:
    """How big each input is for one run mode."""

    sim_pods: int
    event_counts: tuple[int, ...]
    pod_list_replicas: int
    watch_replicas: int
    yaml_events: int
    report_replicas: int
    python_path_events: int
    snapshot_files: tuple[int, ...]  # folders of one-pod snapshot files (per-file cost)


# the full pod List is about 250 MB (issue 15's pod-object target)
FULL = Sizes(200, (10_000, 100_000, 1_000_000), 260, 20, 20_000, 5, 100_000, (20, 200, 2_000))
QUICK = Sizes(12, (1_000, 2_000, 4_000), 2, 2, 300, 1, 2_000, (5, 20, 40))


@dataclass
class Step:
    """One measured child process."""

    name: str
    seconds: float
    peak_mb: float
    input_mb: float | None = None
    note: str = ""
    ok: bool = True
    cpu: float | None = None  # user + system seconds of the measured process
    ref: str | None = None  # the step this one's ratio is taken to (else `floor N`)

    @property
    def mb_s(self) -> float | None:
        return self.input_mb / self.seconds if self.input_mb and self.seconds > 0 else None


@dataclass
class Run:
    """All steps of one benchmark run."""

    quick: bool
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    only: tuple[str, ...] = ()  # step-name prefixes to measure (empty: all)
    skip_anchors: bool = False  # leave out the slow steps no target needs

    def get(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def wanted(self, name: str) -> bool:
        """Whether the step is measured in this run (`--only`, `--skip-anchors`)."""
        if self.skip_anchors and name.startswith(ANCHORS):
            return False
        return not self.only or any(name == p or name.startswith(p + " ") for p in self.only)

    def wanted_any(self, *names: str) -> bool:
        return any(self.wanted(n) for n in names)


# steps that no issue-15 target reads (DuckDB's read_json of the List, the Python reader, YAML):
# about 3.5 of the full run's 12 minutes; `--skip-anchors` leaves them out
ANCHORS = ("read_json List", "python-reader", "YAML List")


def measure(
    run: Run,
    name: str,
    argv: list[str],
    input_mb: float | None = None,
    ref: str | None = None,
    needed: bool = False,
) -> Step | None:
    """Run argv as a child, recording its wall time and its own peak RSS; `ref` names the
    step of the same run its ratio is taken to. None: the run leaves this step out (unless
    `needed`: a later step reads what it writes)."""
    if not (needed or run.wanted(name)):
        return None
    print(f"  {name} ...", end="", flush=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(ROOT)
    )
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    # wait4 inside communicate() already reaped the child; its rusage lives in RUSAGE_CHILDREN
    # as a running maximum, so read /proc-free peak from the child's own report when given
    peak = _peak_from_output(out) or _children_peak_mb()
    ok = proc.returncode in (0, 1)  # 1: ingest saw rejects, still a completed run
    note = "" if ok else (err.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
    inner = re.search(rb"BENCH_SECONDS=([0-9.]+)", out)
    if inner and ok:
        note = f"page interactive after {float(inner.group(1)):.2f} s"
    cpu = re.search(rb"BENCH_CPU=([0-9.]+)", out)
    cpu_s = float(cpu.group(1)) if cpu else None
    if ref is not None and ok and not note:
        note = f"ratio to `{ref}`"
    step = Step(name, seconds, peak, input_mb, note[:200], ok, cpu_s, ref)
    run.steps.append(step)
    print(f" {seconds:.2f} s, {peak:.0f} MB{'' if ok else '  FAILED: ' + note}", flush=True)
    return step


_PEAK = re.compile(rb"^BENCH_PEAK_KB=(\d+)$", re.MULTILINE)


def _peak_from_output(out: bytes) -> float | None:
    m = _PEAK.search(out)
    return int(m.group(1)) / 1024 if m else None


def _children_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def wrapped(argv: list[str]) -> list[str]:
    """Run argv under a tiny wrapper that reports the grandchild's own peak RSS."""
    code = (
        "import os,resource,subprocess,sys;"
        "p=subprocess.Popen(sys.argv[1:]);_,st,ru=os.wait4(p.pid,0);"
        "print(f'BENCH_PEAK_KB={ru.ru_maxrss}',flush=True);"
        "print(f'BENCH_CPU={ru.ru_utime+ru.ru_stime:.3f}',flush=True);"
        "sys.exit(os.waitstatus_to_exitcode(st))"
    )
    return [PY, "-c", code, *argv]


def py_code(code: str) -> list[str]:
    return wrapped([PY, "-c", code])


def cli(*args: str) -> list[str]:
    return wrapped([*PODREPLAY, *args])


# ---------------------------------------------------------------- inputs


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


# ---------------------------------------------------------------- steps


def size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return path.stat().st_size / 1e6


def floor_code(ndjson: Path) -> str:
    return (
        "import duckdb;c=duckdb.connect();"
        f"c.execute(\"CREATE TABLE t AS SELECT * FROM read_ndjson('{ndjson}')\")"
    )


def read_json_list_code(list_path: Path) -> str:
    """DuckDB's own read_json of a List, one row per item: what a user would write by hand."""
    size = list_path.stat().st_size + 1
    return (
        "import duckdb;c=duckdb.connect();"
        f"c.execute(\"CREATE TABLE t AS SELECT unnest(items) AS e FROM read_json('{list_path}', "
        f'maximum_object_size={size})")'
    )


def import_ms(module: str) -> float | None:
    """Cumulative import time of `module` (ms) from `python -X importtime`."""
    proc = subprocess.run(
        [PY, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module and parts[1].isdigit():
            return int(parts[1]) / 1000
    return None


def raw_store_code(ndjson: Path, db: Path) -> str:
    """DuckDB alone keeping every event's JSON (minified, zstd) in a database file: the part
    of the ingest's work the in-memory floor does not do."""
    return (
        f"import duckdb;c=duckdb.connect({str(db)!r});"
        "c.execute('CREATE TABLE t (raw JSON USING COMPRESSION zstd)');"
        'c.execute("INSERT INTO t SELECT json FROM read_json('
        f"'{ndjson}', format='newline_delimited', records=false, columns={{'json': 'JSON'}})\");"
        "c.execute('CHECKPOINT')"
    )


def ingest_only_code(
    db: Path, paths: list[Path], python_reader: bool = False, defaults: bool = False
) -> str:
    """Ingest without the rebuild (library call), optionally forcing the Python reader;
    `defaults`: the CLI's reader choice (small files batched through the Python reader)."""
    fast = "1<<62" if python_reader else "0"
    options = "" if defaults else f"fast_min_bytes={fast}"
    names = ", ".join(repr(str(p)) for p in paths)
    return (
        "from podreplay.store import Store;from podreplay.ingest import ingest_paths,"
        "IngestOptions;s=Store("
        f"{str(db)!r});r=ingest_paths(s,[{names}],IngestOptions({options}));"
        "s.close();assert not r.failed, r.failed"
    )


def rebuild_code(db: Path) -> str:
    return (
        "from podreplay.store import Store;from podreplay.derive import rebuild;"
        f"s=Store({str(db)!r});rebuild(s);s.close()"
    )


def fresh(db: Path) -> Path:
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    return db


def pick_pod(db: Path) -> str:
    """A pod with restarts if any (the interesting timeline), else any pod."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT pod FROM pods ORDER BY (SELECT count(*) FROM restarts r "
            "WHERE r.pod_uid = pods.pod_uid) DESC, pod LIMIT 1"
        ).fetchone()
    except duckdb.Error:
        row = con.execute("SELECT pod FROM pod_snapshots LIMIT 1").fetchone()
    con.close()
    return str(row[0]) if row else "none"


def browser_code(html: Path, chromium: str) -> str:
    """Open the report in headless Chromium; print seconds until the page is interactive
    (load event fired and every plotly figure drawn)."""
    return (
        "import time;from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as p:\n"
        f"  b=p.chromium.launch(executable_path={chromium!r},args={CHROMIUM_FLAGS!r})\n"
        "  pg=b.new_page();t0=time.perf_counter()\n"
        f"  pg.goto('file://{html}',wait_until='load',timeout=60000)\n"
        "  pg.wait_for_function(\"document.querySelectorAll('.js-plotly-plot').length>0 && "
        "[...document.querySelectorAll('.js-plotly-plot')].every(e=>e._fullLayout)\","
        "timeout=60000)\n"
        "  print(f'BENCH_SECONDS={time.perf_counter()-t0:.3f}');b.close()\n"
    )


def run_all(run: Run, work: Path) -> Run:
    sizes = QUICK if run.quick else FULL
    work.mkdir(parents=True, exist_ok=True)
    sim = work / f"sim-{sizes.sim_pods}"
    print(f"inputs in {work}")
    simulate(sim, sizes.sim_pods)
    rep = Replicator(sim)
    lists: dict[int, tuple[Path, Path]] = {}
    for n in sizes.event_counts:
        lp, np_ = work / f"events-{n}.json", work / f"events-{n}.ndjson"
        write_events(rep, n, lp, np_)
        lists[n] = (lp, np_)
    big = max(sizes.event_counts)
    pods_list = work / f"pods-x{sizes.pod_list_replicas}.json"
    pods_ndjson = work / f"pods-x{sizes.pod_list_replicas}.ndjson"
    write_pod_list(rep, sim, sizes.pod_list_replicas, pods_list, pods_ndjson)
    snapshots: dict[int, tuple[Path, Path]] = {}
    for n in sizes.snapshot_files:
        # the same time in every name: each pod is dated alike whichever file holds it
        folder, one = work / f"snapshots-{n}", work / f"one-{n}" / "pods-20240301T020000Z.json"
        one.parent.mkdir(parents=True, exist_ok=True)
        write_snapshot_files(rep, sim, n, folder, one)
        snapshots[n] = (folder, one)
    events_100 = work / "events-100.json"
    write_small_events(rep, 100, events_100)
    watch = work / f"pods-watch-x{sizes.watch_replicas}.ndjson"
    write_watch(rep, sim, sizes.watch_replicas, watch)
    yaml_path = work / f"events-{sizes.yaml_events}.yaml"
    write_yaml(lists[min(sizes.event_counts)][0], sizes.yaml_events, yaml_path)
    report_dir = work / f"capture-x{sizes.report_replicas}"
    write_report_capture(rep, sim, sizes.report_replicas, report_dir)
    db = work / "bench.duckdb"

    print("events Lists: DuckDB read_ndjson floor, podreplay ingest (with rebuild)")
    for n in sizes.event_counts:
        lp, np_ = lists[n]
        measure(run, f"floor {n}", py_code(floor_code(np_)), size_mb(np_))
        measure(run, f"raw-store {n}", py_code(raw_store_code(np_, fresh(db))), size_mb(np_))
        step = measure(run, f"ingest {n}", cli("ingest", str(lp), "--db", str(fresh(db)), "-q"))
        if step is not None:
            step.input_mb = size_mb(lp)
        measure(run, f"ingest-only {n}", py_code(ingest_only_code(fresh(db), [lp])), size_mb(lp))
    lp_big = lists[big][0]
    step = measure(
        run, f"read_json List {big}", py_code(read_json_list_code(lp_big)), size_mb(lp_big)
    )
    if step is not None:
        step.note = "DuckDB's own read_json + unnest of the List"
    n_py = sizes.python_path_events
    if n_py in lists:
        measure(
            run,
            f"python-reader {n_py}",
            py_code(ingest_only_code(fresh(db), [lists[n_py][0]], python_reader=True)),
            size_mb(lists[n_py][0]),
        )

    print("other inputs: throughput (ingest without rebuild)")
    measure(run, "watch floor", py_code(floor_code(watch)), size_mb(watch))
    watch_code = py_code(ingest_only_code(fresh(db), [watch]))
    measure(run, "watch stream", watch_code, size_mb(watch), ref="watch floor")
    measure(run, "YAML List", py_code(ingest_only_code(fresh(db), [yaml_path])), size_mb(yaml_path))
    measure(run, "pod floor", py_code(floor_code(pods_ndjson)), size_mb(pods_ndjson))
    pods_code = py_code(ingest_only_code(fresh(db), [pods_list]))
    measure(run, "pod List", pods_code, size_mb(pods_list), ref="pod floor")

    print("folders of one-pod snapshot files against the same pods in one file")
    for n, (folder, one) in snapshots.items():
        code = py_code(ingest_only_code(fresh(db), [one], defaults=True))
        measure(run, f"one file {n}", code, size_mb(one))
        code = py_code(ingest_only_code(fresh(db), [folder], defaults=True))
        measure(run, f"files {n}", code, size_mb(folder), ref=f"one file {n}")

    print(f"derived tables for {big} events + pod List")
    adds = [f"add {label} to big" for label in ("1-pod snapshot", "100 events")]
    uses_big = run.wanted_any("rebuild", "timeline", "stats", *adds)
    if uses_big or run.wanted("load big"):
        load = py_code(ingest_only_code(fresh(db), [lists[big][0], pods_list]))
        measure(run, "load big", load, needed=uses_big)
    if uses_big:
        measure(run, "rebuild", py_code(rebuild_code(db)), needed=True)
        counts = _counts(db)
        run.notes.append(
            f"Rebuild database: {counts.get('events', 0):,} events, "
            f"{counts.get('pods', 0):,} pods, {counts.get('pod_snapshots', 0):,} pod snapshots."
        )
        pod = pick_pod(db)
        measure(run, "timeline", cli("timeline", pod, "--db", str(db), "--format", "csv"))
        measure(run, "stats", cli("stats", "--db", str(db), "--format", "csv"))

    print("incremental: a 1-pod snapshot and 100 events into the big database vs an empty one")
    one_pod = next(iter(sorted(snapshots[min(snapshots)][0].iterdir())))
    edb = work / "empty.duckdb"
    for label, path in (("1-pod snapshot", one_pod), ("100 events", events_100)):
        if not run.wanted_any(f"add {label} to empty", f"add {label} to big"):
            continue
        measure(
            run,
            f"add {label} to empty",
            cli("ingest", str(path), "--db", str(fresh(edb)), "-q"),
            needed=True,
        )
        if not run.wanted(f"add {label} to big"):
            continue
        big_copy = work / "big-copy.duckdb"
        shutil.copyfile(db, fresh(big_copy))
        argv = cli("ingest", str(path), "--db", str(big_copy), "-q")
        measure(run, f"add {label} to big", argv, ref=f"add {label} to empty")
        fresh(big_copy)

    print("start-up: commands that should answer at once")
    if run.wanted_any("start-up --help", "start-up timeline"):
        sdb = work / "small.duckdb"
        subprocess.run(
            [
                *PODREPLAY,
                "ingest",
                str(snapshots[min(snapshots)][1]),
                "--db",
                str(fresh(sdb)),
                "-q",
            ],
            capture_output=True,
            cwd=str(ROOT),
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
        measure(run, "start-up --help", cli("--help"))
        measure(run, "start-up timeline", cli("timeline", pick_pod(sdb), "--db", str(sdb)))
        cli_ms = import_ms("podreplay.cli")
        if cli_ms is not None:
            run.notes.append(f"`python -X importtime -c 'import podreplay.cli'`: {cli_ms:.0f} ms.")

    print("report for the replicated capture")
    if run.wanted_any("report ingest", "report", "browser"):
        rdb = work / "report.duckdb"
        report_ingest = cli("ingest", str(report_dir), "--db", str(fresh(rdb)), "-q")
        measure(run, "report ingest", report_ingest, needed=True)
        rcounts = _counts(rdb)
        html = work / "report.html"
        measure(run, "report", cli("report", "--db", str(rdb), "--out", str(html)), needed=True)
        run.notes.append(f"Report database: {rcounts.get('pods', 0):,} pods.")
        chromium = find_chromium()
        if not run.wanted("browser"):
            pass
        elif chromium:
            measure(run, "browser", py_code(browser_code(html, chromium)))
        else:
            run.notes.append("Browser step skipped: no Chromium (see scripts/chromium.py)")
    return run


def _counts(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    out: dict[str, int] = {}
    for table in ("events", "pods", "pod_snapshots"):
        with contextlib.suppress(duckdb.Error):
            row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            out[table] = int(row[0]) if row else 0
    con.close()
    return out


# ---------------------------------------------------------------- report


def render(run: Run, wall: float) -> str:
    sizes = QUICK if run.quick else FULL
    lines = [
        "## Benchmark results" + (" (--quick)" if run.quick else ""),
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}; run took {wall / 60:.1f} min. "
        "Each step is a separate process; peak = that process's max RSS.",
        "",
        "| step | input MB | seconds | CPU s | MB/s | peak MB | × ref | × ref (CPU) | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in run.steps:
        ratio = cpu_ratio = ""
        n = s.name.split()[-1]
        if s.ref is not None:
            floor = run.get(s.ref)
        else:
            floor = run.get(f"floor {n}") if n.isdigit() else None
        if floor is not None and s is not floor and floor.seconds > 0:
            ratio = f"{s.seconds / floor.seconds:.2f}"
            if s.cpu and floor.cpu:
                cpu_ratio = f"{s.cpu / floor.cpu:.2f}"
        cpu = f"{s.cpu:.1f}" if s.cpu is not None else ""
        mbs = f"{s.mb_s:.1f}" if s.mb_s else ""
        inp = f"{s.input_mb:.1f}" if s.input_mb else ""
        note = s.note if s.ok else f"FAILED: {s.note}"
        lines.append(
            f"| {s.name} | {inp} | {s.seconds:.2f} | {cpu} | {mbs} | {s.peak_mb:.0f} | {ratio} "
            f"| {cpu_ratio} | {note} |"
        )
    lines.append("")
    lines += _growth(run, "ingest without rebuild", "ingest-only", sizes.event_counts, "event")
    lines += _growth(run, "one-pod snapshot files", "files", sizes.snapshot_files, "file")
    lines += [*targets(run), ""]
    lines += [f"- {note}" for note in run.notes]
    return "\n".join(lines) + "\n"


def _growth(run: Run, title: str, step: str, sizes: tuple[int, ...], unit: str) -> list[str]:
    """One line: the cost per unit at each size (linear growth keeps it flat)."""
    parts = []
    for n in sizes:
        s = run.get(f"{step} {n}")
        if s is not None:
            parts.append(f"{n:,} {unit}s: {s.seconds / n * 1e3:.2f} ms/{unit}")
    return [f"Cost growth ({title}): " + "; ".join(parts) + ".", ""] if parts else []


def _ratio(run: Run, name: str, ref: str) -> float | None:
    a, b = run.get(name), run.get(ref)
    if a is None or b is None or not a.ok or not b.ok or b.seconds <= 0:
        return None
    return a.seconds / b.seconds


def targets(run: Run) -> list[str]:
    """Issue 15's targets, each with what this run measured and whether it is met."""
    sizes = QUICK if run.quick else FULL
    # the per-file target is for 200 files: the middle size (20 in --quick)
    big, files = max(sizes.event_counts), sorted(sizes.snapshot_files)[1]

    def seconds(name: str) -> float | None:
        step = run.get(name)
        return step.seconds if step is not None and step.ok else None

    def row(target: str, value: float | None, unit: str, limit: float | None) -> str:
        if value is None:
            return f"| {target} | not measured | |"
        met = "—" if limit is None else "yes" if value <= limit else "no"
        return f"| {target} | {value:.2f}{unit} | {met} |"

    def peak(name: str) -> float | None:
        step = run.get(name)
        return step.peak_mb / 1000 if step is not None and step.ok else None

    lines = ["| target (issue 15) | this run | met |", "|---|---:|---|"]
    lines.append(
        row(
            f"{files} one-pod files ≤ 2× one file",
            _ratio(run, f"files {files}", f"one file {files}"),
            "×",
            2,
        )
    )
    lines.append(
        row("pod List ≤ 4× read_ndjson of the pods", _ratio(run, "pod List", "pod floor"), "×", 4)
    )
    lines.append(
        row("watch stream ≤ 4× read_ndjson", _ratio(run, "watch stream", "watch floor"), "×", 4)
    )
    for label in ("1-pod snapshot", "100 events"):
        big_s = seconds(f"add {label} to big")
        lines.append(row(f"add {label} to big db ≤ 1.5 s", big_s, " s", 1.5))
        ratio = _ratio(run, f"add {label} to big", f"add {label} to empty")
        lines.append(row(f"add {label}: big ≤ 2× empty", ratio, "×", 2))
    lines.append(
        row(
            f"{big:,}-event List ≤ 3.5× floor",
            _ratio(run, f"ingest-only {big}", f"floor {big}"),
            "×",
            3.5,
        )
    )
    lines.append(row(f"{big:,}-event List peak ≤ 1.2 GB", peak(f"ingest-only {big}"), " GB", 1.2))
    anchor = _ratio(run, f"ingest-only {big}", f"read_json List {big}")
    lines.append(
        row(f"{big:,}-event List vs DuckDB read_json of it (anchor, no target)", anchor, "×", None)
    )
    lines.append(row("`podreplay --help` ≤ 0.25 s", seconds("start-up --help"), " s", 0.25))
    lines.append(row("`podreplay timeline POD` ≤ 0.45 s", seconds("start-up timeline"), " s", 0.45))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, same code paths")
    parser.add_argument("--out", type=Path, help="markdown file for the results table")
    parser.add_argument("--work", type=Path, help="where inputs and databases go")
    parser.add_argument("--keep", action="store_true", help="keep generated inputs")
    parser.add_argument(
        "--skip-anchors",
        action="store_true",
        help="leave out the slow steps no target needs: " + ", ".join(ANCHORS),
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PREFIX",
        help="measure only the steps named PREFIX or starting with PREFIX and a space ('files "
        "200', 'watch', 'add 100 events'; repeatable; the steps they read from run too; results "
        "go to bench/out/performance-partial.md unless --out)",
    )
    args = parser.parse_args()
    if args.only:
        default_out = ROOT / "bench/out/performance-partial.md"
    elif args.quick:
        default_out = ROOT / "bench/out/performance-quick.md"
    else:
        default_out = ROOT / "docs/performance.md"
    out = args.out or default_out
    work = args.work or ROOT / "bench/out" / ("quick" if args.quick else "full")
    t0 = time.perf_counter()
    run = run_all(Run(args.quick, only=tuple(args.only), skip_anchors=args.skip_anchors), work)
    text = render(run, time.perf_counter() - t0)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.name == "performance.md" and out.exists():
        text = _splice(out.read_text(), text)
    out.write_text(text)
    print(f"wrote {out}")
    if not args.keep and args.quick:
        shutil.rmtree(work, ignore_errors=True)
    failed = [s.name for s in run.steps if not s.ok]
    if failed:
        print("FAILED: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _splice(doc: str, results: str) -> str:
    """Replace the results section of docs/performance.md, keeping the prose around it."""
    start = doc.find("## Benchmark results")
    if start < 0:
        return doc.rstrip() + "\n\n" + results
    end = doc.find("\n## ", start + 1)
    return doc[:start] + results + (doc[end + 1 :] if end >= 0 else "")


if __name__ == "__main__":
    sys.exit(main())

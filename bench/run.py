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
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from inputs import (
    Replicator,
    simulate,
    write_events,
    write_pod_list,
    write_report_capture,
    write_small_events,
    write_snapshot_files,
    write_watch,
    write_yaml,
)
from measure import (
    ANCHORS,
    CHROMIUM_FLAGS,
    FULL,
    PODREPLAY,
    PY,
    QUICK,
    ROOT,
    SHORT_REPEAT,
    Run,
    cli,
    find_chromium,
    measure,
    py_code,
)
from results import _splice, render


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
        short = SHORT_REPEAT if n < max(snapshots) else 1
        code = py_code(ingest_only_code(fresh(db), [one], defaults=True))
        measure(run, f"one file {n}", code, size_mb(one), repeat=short, before=lambda: fresh(db))
        code = py_code(ingest_only_code(fresh(db), [folder], defaults=True))
        measure(
            run,
            f"files {n}",
            code,
            size_mb(folder),
            ref=f"one file {n}",
            repeat=short,
            before=lambda: fresh(db),
        )

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
        timeline = cli("timeline", pod, "--db", str(db), "--format", "csv")
        measure(run, "timeline", timeline, repeat=SHORT_REPEAT)
        measure(run, "stats", cli("stats", "--db", str(db), "--format", "csv"))

    print("incremental: a 1-pod snapshot and 100 events into the big database vs an empty one")
    one_pod = next(iter(sorted(snapshots[min(snapshots)][0].iterdir())))
    edb = work / "empty.duckdb"
    big_copy = work / "big-copy.duckdb"
    for label, path in (("1-pod snapshot", one_pod), ("100 events", events_100)):
        if not run.wanted_any(f"add {label} to empty", f"add {label} to big"):
            continue
        measure(
            run,
            f"add {label} to empty",
            cli("ingest", str(path), "--db", str(edb), "-q"),
            needed=True,
            repeat=SHORT_REPEAT,
            before=lambda: fresh(edb),
        )
        if not run.wanted(f"add {label} to big"):
            continue
        argv = cli("ingest", str(path), "--db", str(big_copy), "-q")
        measure(
            run,
            f"add {label} to big",
            argv,
            ref=f"add {label} to empty",
            repeat=SHORT_REPEAT,
            before=lambda: shutil.copyfile(db, fresh(big_copy)),
        )
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
        measure(run, "start-up --help", cli("--help"), repeat=SHORT_REPEAT)
        start_timeline = cli("timeline", pick_pod(sdb), "--db", str(sdb))
        measure(run, "start-up timeline", start_timeline, repeat=SHORT_REPEAT)
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


if __name__ == "__main__":
    sys.exit(main())

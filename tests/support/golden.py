"""The same-bytes goldens: every `--format json` output and the HTML report of sample_logs/.

`CASES` names each golden file and the command line that prints it; `ingest` writes the one
database they all read. `python -m tests.support.golden` (or `make golden`) rewrites
tests/data/golden/ from the code as it is: run it only for an intended change of output, and
read the diff before committing it. tests/test_same_bytes.py compares against these files.
The reports are kept with the bundled plotly.js cut out (see `report`); nothing else is
normalised: the outputs hold no machine path, version or wall-clock time.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from podreplay.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"
INGEST = "ingest.json"  # the ingest summary: run from the repository root on `sample_logs`
REPORT = "report.html"
REPORT_NAMESPACE = "report-shop.html"
REPORTS = {REPORT: (), REPORT_NAMESPACE: ("--namespace", "shop")}  # name: scope options
PLOTLY_JS = (ROOT / "podreplay" / "render" / "html" / "plotly-basic.min.js").read_bytes()
PLOTLY_MARK = b"/* podreplay/render/plotly-basic.min.js, byte for byte */"

# every pod of sample_logs/, by namespace/name (a name recreated under several uids included)
PODS = (
    "batch/nightly-report-28490094-khzj6",
    "batch/reindex-28490410-pjd97",
    "data/etcd-0",
    "data/kafka-0",
    "data/redis-0",
    "default/billing-m8gcx49zqn-h698d",
    "default/search-kgd5vzvz79-pr8pf",
    "monitoring/node-exporter-n7kvm",
    "payments/recommender-slrwg6lzgt-ss4wc",
    "search/profile-2-j986k7hcpc-2n8l9",
    "shop/cart-4mnj4qxhwd-f7qxb",
    "shop/checkout-bdr5k8th6s-rlnwq",
    "shop/notifications-2-tjlcwdbls5-tx86k",
    "shop/search-2-wsvdmgkwgx-4ljzr",
)

QUERIES = (
    "crashloops",
    "evictions",
    "flapping_readiness",
    "image_pull_latency_by_node",
    "job_durations",
    "node_incidents",
    "oom_kills",
    "pending_pods",
    "probe_failures",
    "restart_causes",
    "slow_terminations",
    "slowest_to_ready",
    "stuck_creating",
    "time_in_phase_by_workload",
    "unschedulable",
    "warning_reasons",
)


def _cases() -> Iterator[tuple[str, list[str]]]:
    json_ = ["--format", "json"]
    for by in ("pod", "workload", "namespace", "node"):
        yield f"stats-by-{by}.json", ["stats", "--by", by, *json_]
    yield "stats-window.json", ["stats", "--since", "+10m", "--until", "-10m", *json_]
    yield "stats-shop.json", ["stats", "--by", "workload", "--namespace", "shop", *json_]
    yield "stats-selector.json", ["stats", "--selector", "app=cart", *json_]
    yield "stats-section.json", ["stats", "--section", "latencies", *json_]
    for pod in PODS:
        yield f"timeline-{pod.replace('/', '-')}.json", ["timeline", pod, *json_]
    for at in ("start", "+5m", "02:20", "end"):
        yield f"replay-at-{at.replace(':', '')}.json", ["replay", "--at", at, *json_]
    yield "replay-changes.json", ["replay", "--speed", "0", *json_]
    yield "replay-changes.csv", ["replay", "--speed", "0", "--format", "csv"]
    yield (
        "replay-changes-window.json",
        ["replay", "--speed", "0", "--from", "+10m", "--to", "+20m", "-n", "shop", *json_],
    )
    yield "query-list.json", ["query", "--list", *json_]
    for name in QUERIES:
        yield f"query-{name}.json", ["query", name, *json_]
    for by in ("workload", "namespace", "node"):
        window = ["--before", "start..+15m", "--after", "+15m..end"]
        yield f"diff-by-{by}.json", ["diff", *window, "--by", by, *json_]
    yield "trace-namespace.json", ["export", "--trace", "-"]
    yield "trace-node.json", ["export", "--trace", "-", "--group-by", "node"]


CASES: list[tuple[str, list[str]]] = list(_cases())


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def invoke(args: list[str], db: Path) -> bytes:
    """stdout of `podreplay ARGS --db DB`, run in-process; fails on a non-zero exit."""
    result = CliRunner().invoke(app, [*args, "--db", str(db)], catch_exceptions=False)
    if result.exit_code != 0:
        command = " ".join(args)
        raise AssertionError(f"podreplay {command}: exit {result.exit_code}\n{result.stderr}")
    return result.stdout_bytes


def ingest(db: Path) -> bytes:
    """Ingest sample_logs/ into DB; the ingest's own JSON summary."""
    with _cwd(ROOT):  # the summary names sources as given: `sample_logs/...`, on any machine
        return invoke(["ingest", "sample_logs", "--format", "json"], db)


def report(db: Path, out: Path, *args: str) -> bytes:
    """The bytes of `podreplay report ARGS`, the bundled plotly.js (1.2 MB, the same in every
    report) replaced by PLOTLY_MARK; fails unless it is inlined exactly once."""
    invoke(["report", "--out", str(out), *args], db)
    page = out.read_bytes()
    if page.count(PLOTLY_JS) != 1 or PLOTLY_MARK in page:
        raise AssertionError(f"{out.name}: the bundled plotly.js is not inlined exactly once")
    return page.replace(PLOTLY_JS, PLOTLY_MARK)


def outputs(db: Path, work: Path) -> Iterator[tuple[str, bytes]]:
    """Every golden's name and the bytes the code prints now (after `ingest(db)`)."""
    for name, args in CASES:
        yield name, invoke(args, db)
    for name, scope in REPORTS.items():
        yield name, report(db, work / name, *scope)


def main() -> None:
    """Rewrite tests/data/golden/ from the code as it is now."""
    work = Path(tempfile.mkdtemp(prefix="podreplay-golden-"))
    try:
        db = work / "golden.duckdb"
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        GOLDEN.mkdir(parents=True)
        (GOLDEN / INGEST).write_bytes(ingest(db))
        for name, data in outputs(db, work):
            (GOLDEN / name).write_bytes(data)
        count = len(CASES) + len(REPORTS) + 1
        sys.stderr.write(f"wrote {count} goldens to {GOLDEN.relative_to(ROOT)}\n")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

"""What every benchmark step shares: the sizes of a run, the steps measured, and how one is
measured (a child process, its wall and CPU time and its own peak RSS)."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PODREPLAY = [PY, "-m", "podreplay"]
# steps of a second or two (start-up, small writes, the smaller folders) run this many times,
# their median kept: one run of them swings by a third with the machine
SHORT_REPEAT = 3
UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Chromium's launch flags, the browser tests' own (bench is run as a script: no package path to
# scripts/, so the file is run for its names)
CHROMIUM_FLAGS: list[str] = runpy.run_path(str(ROOT / "scripts" / "chromium.py"))["LAUNCH_FLAGS"]


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
    *,
    repeat: int = 1,
    before: Callable[[], object] | None = None,
) -> Step | None:
    """Run argv as a child, recording its wall time and its own peak RSS; `ref` names the
    step of the same run its ratio is taken to. None: the run leaves this step out (unless
    `needed`: a later step reads what it writes). With `repeat`, the child runs that many
    times (`before` puts its input back before each, outside the timing) and the run of median
    wall time is the step's: short steps swing with the machine more than long ones."""
    if not (needed or run.wanted(name)):
        return None
    print(f"  {name} ...", end="", flush=True)
    runs: list[Step] = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(_measure_once(name, argv, input_mb, ref))
        if not runs[-1].ok:
            break
    step = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2] if runs[-1].ok else runs[-1]
    if repeat > 1 and step.ok:
        step.note = "; ".join(x for x in (step.note, f"median of {repeat} runs") if x)
    run.steps.append(step)
    spread = f" ({', '.join(f'{r.seconds:.2f}' for r in runs)})" if len(runs) > 1 else ""
    failed = "" if step.ok else "  FAILED: " + step.note
    print(f" {step.seconds:.2f} s{spread}, {step.peak_mb:.0f} MB{failed}", flush=True)
    return step


def _measure_once(name: str, argv: list[str], input_mb: float | None, ref: str | None) -> Step:
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
    return Step(name, seconds, peak, input_mb, note[:200], ok, cpu_s, ref)


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

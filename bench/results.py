"""The results of a run as markdown: the table of steps, cost growth, the issue-15 targets,
and the splice that replaces that section of docs/performance.md."""

from __future__ import annotations

import os
import platform

from measure import FULL, QUICK, Run


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


def _splice(doc: str, results: str) -> str:
    """Replace the results section of docs/performance.md, keeping the prose around it."""
    start = doc.find("## Benchmark results")
    if start < 0:
        return doc.rstrip() + "\n\n" + results
    end = doc.find("\n## ", start + 1)
    return doc[:start] + results + (doc[end + 1 :] if end >= 0 else "")

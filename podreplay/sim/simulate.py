"""Realistic capture generator with ground truth (tests, demo, benchmarks).

`generate()` builds a simulated cluster in memory (deterministic for a seed), `write_capture()`
writes it as kubectl would have captured it (events, pod snapshots, a watch stream) plus
`ground_truth.json`, and `simulate()` does both. See docs/simulator.md for the scenarios, the
file layout and the exact meaning of the truth.

Example::

    res = simulate(Path("sim-capture"), pods=20, seed=7, scenarios=["crashloop", "healthy"])
    res.truth["pods"][0]["stats"]["restarts"]
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from podreplay.errors import UsageError
from podreplay.sim.cluster import Cluster, Node
from podreplay.sim.events import EVENT_TTL_S, written_events
from podreplay.sim.model import PodModel, Recorder, SimEvent
from podreplay.sim.names import EVENT_BEHAVIOURS, SIMULATED_FORMATS
from podreplay.sim.scenarios import DEFAULT_KINDS, KINDS, POD_COUNTS, SCENARIOS
from podreplay.sim.truth import pod_truth, rfc3339
from podreplay.sim.workload import Workload, make_workload
from podreplay.sim.write import (
    RenderContext,
    assign_rvs,
    write_events,
    write_snapshots,
    write_watch,
)

DEFAULT_START = datetime(2024, 3, 1, 2, 0, 0, tzinfo=UTC)
ALL_FORMATS = SIMULATED_FORMATS
SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)
EVENTS_FILE = "events.json"
EVENTS_V1_FILE = "events-v1.json"
WATCH_FILE = "pods-watch.ndjson"
TRUTH_FILE = "ground_truth.json"
# The truth document names its own kind, so an ingester skips it as "another kind".
TRUTH_API_VERSION = "podreplay.simulate/v1"
TRUTH_KIND = "GroundTruth"
SNAPSHOT_DIR = "pods"


@dataclass
class Capture:
    """A simulated cluster history, in memory."""

    seed: int
    start: datetime
    end: int  # capture length in seconds (the final snapshot is taken then)
    k8s_version: str
    nodes: list[str]
    pods: list[PodModel]
    events: list[SimEvent]
    truth: dict[str, Any] = field(default_factory=dict)
    lead_in: int = 0  # seconds the cluster ran before the capture start


@dataclass
class SimulationResult:
    """What `simulate()` wrote and the ground truth it corresponds to."""

    out_dir: Path
    events_path: Path | None
    events_v1_path: Path | None
    watch_path: Path | None
    snapshot_paths: list[Path]
    truth_path: Path
    truth: dict[str, Any]
    n_pods: int
    n_events: int
    n_watch_records: int


def _plan(
    rng: random.Random, pods: int, names: Sequence[str], weighted: bool
) -> list[tuple[str, int]]:
    """Which scenarios run and how many pods each creates; the pod counts sum to `pods`."""
    weights = [SCENARIOS[n][1] if weighted else 1 for n in names]
    first = list(names)
    out: list[tuple[str, int]] = []
    left = pods
    while left > 0:
        name = first.pop(0) if first else rng.choices(list(names), weights)[0]
        lo, hi = POD_COUNTS.get(name, (1, 1))
        k = min(rng.randint(lo, hi), left)
        if k < lo:
            name = "termination"  # a lone StatefulSet pod deleted, not recreated
        out.append((name, k))
        left -= k
    return out


def generate(
    pods: int = 40,
    seed: int = 0,
    start: datetime | None = None,
    scenarios: Sequence[str] | None = None,
    *,
    duration_s: int = 3600,
    k8s_version: str | None = None,
    snapshot_every_s: int = 60,
    lead_in_s: int = 0,
) -> Capture:
    """Build a simulated capture in memory (no files); `truth` assumes every format is written.

    `lead_in_s`: the cluster ran that long before the capture started; pods are created up to
    that many seconds before it (negative times), so the capture starts in their mid-life."""
    if lead_in_s < 0:
        raise UsageError("--lead-in must be 0 or more seconds")
    if pods < 1:
        raise UsageError("--pods must be at least 1")
    if duration_s < 60:
        raise UsageError("the capture must last at least 60 seconds")
    unknown = [s for s in scenarios or [] if s not in SCENARIOS]
    if unknown:
        raise UsageError(
            f"unknown scenario {unknown[0]!r}; choose from: {', '.join(SCENARIO_NAMES)}"
        )
    start = (start or DEFAULT_START).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    if k8s_version is None:
        k8s_version = f"1.{rng.choice([28, 29, 30, 31, 32, 33])}"
    try:
        minor = int(k8s_version.split(".")[1])
    except (IndexError, ValueError):
        raise UsageError(f"k8s_version must look like 1.29, not {k8s_version!r}") from None
    subnet = rng.randrange(1, 4)
    nodes = [
        Node(f"ip-10-0-{subnet}-{o}.ec2.internal", f"10.0.{subnet}.{o}", i)
        for i, o in enumerate(sorted(rng.sample(range(10, 250), 3)))
    ]
    cl = Cluster(rng=rng, minor=minor, nodes=nodes, end=duration_s, rec=Recorder(rng))
    names = list(scenarios) if scenarios else list(SCENARIOS)
    used: dict[str, int] = {}
    ds_count = [0]
    ds: Workload | None = None
    deployments: list[Workload] = []
    for name, k in _plan(rng, pods, names, weighted=not scenarios):
        kind = rng.choice(KINDS.get(name, DEFAULT_KINDS))
        if name == "healthy" and kind == "DaemonSet" and ds and ds.ordinal + 1 < len(nodes):
            wl = ds
            wl.ordinal += 1
        elif name == "healthy" and kind == "Deployment" and deployments and rng.random() < 0.5:
            wl = rng.choice(deployments)
        else:
            wl = make_workload(rng, kind, used, ds_count)
            if kind == "DaemonSet":
                ds, ds_count[0] = wl, ds_count[0] + 1
            if name == "healthy" and kind == "Deployment":
                deployments.append(wl)
        if kind == "CronJob":
            wl.job_serial = rng.randrange(0, 1000)
        t0 = rng.randrange(-lead_in_s, max(1, duration_s // 2))
        SCENARIOS[name][0](cl, wl, t0, k)
    kept, events = _truncate(cl)
    cap = Capture(seed, start, duration_s, k8s_version, [n.name for n in nodes], kept, events)
    cap.lead_in = lead_in_s
    cap.truth = build_truth(cap, ALL_FORMATS, snapshot_every_s)
    return cap


def _truncate(cl: Cluster) -> tuple[list[PodModel], list[SimEvent]]:
    """Cut everything that would happen after the capture end."""
    end = cl.end
    kept: list[PodModel] = []
    for m in cl.pods:
        # created after the capture, or gone before it started (a lead-in): never seen
        if m.created > end or (m.deleted_at is not None and m.deleted_at <= 0):
            continue
        m.versions = [v for v in m.versions if v.t <= end]
        m.restarts = [r for r in m.restarts if r.at <= end]
        m.pulls = [(a, b) for a, b in m.pulls if b <= end]
        m.probe_fail = [x for x in m.probe_fail if x[2] <= end]
        m.creation_blocks = [
            (c, a, b if b is not None and b <= end else None)
            for c, a, b in m.creation_blocks
            if a <= end
        ]
        if m.deleted_at is not None and m.deleted_at > end:
            m.deleted_at = None
        if m.grace_exceeded_at is not None and m.grace_exceeded_at > end:
            m.grace_exceeded_at = None
        kept.append(m)
    alive = {m.uid for m in kept}
    gone = {m.uid: m.deleted_at for m in kept if m.deleted_at is not None}
    events = []
    for ev in cl.rec.events.values():
        # nothing reports on a pod object once it is gone (a kubelet back-off loop included)
        stop = gone.get(ev.obj_uid, end) if ev.obj_kind == "Pod" else end
        ev.occurrences = sorted(t for t in ev.occurrences if t <= min(end, stop))
        # an Event object last updated more than the TTL before the capture start had expired
        expired = bool(ev.occurrences) and ev.occurrences[-1] < -EVENT_TTL_S
        if ev.occurrences and not expired and (ev.pod_uid is None or ev.pod_uid in alive):
            events.append(ev)
    return kept, events


def snapshot_times(end: int, every: int | None) -> list[int]:
    """Snapshot times: every `every` seconds from 0, plus a final one at the capture end
    (`every` None: the final one only)."""
    if every is None:
        return [end]
    times = list(range(0, end + 1, every))
    if times[-1] != end:
        times.append(end)
    return times


def knowable(
    m: PodModel,
    rec: dict[str, Any],
    start: datetime,
    list_times: Sequence[int],
    event_times: Sequence[int],
) -> dict[str, Any]:
    """What a thin capture (Lists at `list_times`, events at `event_times`) can tell of one pod:
    its evidence window, whether the last List shows it (then its final phase and restarts),
    pending_s where the first container start is in view (no restart yet, or still Pending),
    and by which List it was seen gone."""

    def when(s: int | None) -> str | None:
        return None if s is None else rfc3339(start, s)

    listed = [
        t for t in list_times if m.created <= t and (m.deleted_at is None or t < m.deleted_at)
    ]
    seen = listed + list(event_times)
    in_last = bool(list_times) and list_times[-1] in listed
    gone_by = None
    if listed and m.deleted_at is not None:
        gone_by = next((t for t in list_times if t >= m.deleted_at), None)
    first_start_seen = in_last and (
        rec["final_phase"] == "Pending" or all(c["restart_count"] == 0 for c in rec["containers"])
    )
    return {
        "visible": bool(seen),
        "evidence_from": when(min([m.created] if listed else seen, default=None)),
        "evidence_to": when(max(seen, default=None)),
        "in_last_list": in_last,
        "final_phase": rec["final_phase"] if in_last else None,
        "restarts": rec["stats"]["restarts"] if in_last else None,
        "pending_s": rec["stats"]["pending_s"] if first_start_seen else None,
        "gone_by": when(gone_by),
    }


def build_truth(
    cap: Capture,
    formats: Collection[str],
    snapshot_every_s: int | None,
    *,
    thin: bool = False,
    behaviours: Collection[str] = (),
) -> dict[str, Any]:
    """The ground-truth document for the given set of written formats; a thin capture's pods
    also say what the capture can tell of them (`knowable`); with event behaviours each pod
    says which of its events the capture still holds (`events_knowable`)."""
    behaviours = sorted({*behaviours, *(["ttl"] if thin else [])})
    events = written_events(cap.events, cap.end, _minor(cap), behaviours, cap.seed)
    cend = _capture_end(cap, formats, events)
    snaps = snapshot_times(cap.end, snapshot_every_s) if "snapshots" in formats else []
    has_events = bool({"events", "events_v1"} & set(formats))
    ev_pods = {ev.obj_uid for ev in events if ev.obj_kind == "Pod"} if has_events else set()
    ev_times: dict[str, list[int]] = {}
    for ev in events if has_events else []:
        if ev.pod_uid is not None and ev.obj_kind == "Pod":
            ev_times.setdefault(ev.pod_uid, []).extend(ev.occurrences)
    pods = []
    for m in sorted(cap.pods, key=lambda m: (m.created, m.namespace, m.name)):
        rec = pod_truth(m, cap.start, cend)
        if thin:
            rec["knowable"] = knowable(m, rec, cap.start, snaps, ev_times.get(m.uid, []))
        seen = []
        if "watch" in formats:
            seen.append("watch")
        gone = m.deleted_at
        if any(m.created <= t and (gone is None or t < gone) for t in snaps):
            seen.append("snapshots")
        if m.uid in ev_pods:
            seen.append("events")
        rec["seen_in"] = seen
        rec["predates_capture"] = m.created < 0
        if behaviours:
            rec["events_knowable"] = events_knowable(m.uid, cap, events if has_events else [])
        pods.append(rec)
    return {
        "apiVersion": TRUTH_API_VERSION,
        "kind": TRUTH_KIND,
        "capture_start": rfc3339(cap.start, 0),
        "capture_end": rfc3339(cap.start, cend),
        "seed": cap.seed,
        "k8s_version": cap.k8s_version,
        "nodes": cap.nodes,
        "formats": sorted(formats),
        # true when the watch stream is written: every figure is then recoverable exactly
        "exact": "watch" in formats,
        "thin": thin,
        "lead_in_s": cap.lead_in,
        "event_behaviour": behaviours,
        "pods": pods,
    }


def events_knowable(uid: str, cap: Capture, written: Sequence[SimEvent]) -> list[dict[str, Any]]:
    """Per reason of the pod's own events: how often it happened and what the written objects
    still show (occurrences, first and last) — the most any rebuild can claim."""

    def when(s: int | None) -> str | None:
        return None if s is None else rfc3339(cap.start, s)

    real: dict[str, list[int]] = {}
    for ev in cap.events:
        if ev.obj_kind == "Pod" and ev.obj_uid == uid:
            real.setdefault(ev.reason, []).extend(ev.occurrences)
    shown: dict[str, list[int]] = {}
    counts: dict[str, int] = {}
    for ev in written:
        if ev.obj_kind == "Pod" and ev.obj_uid == uid:
            shown.setdefault(ev.reason, []).extend(ev.occurrences)
            counts[ev.reason] = counts.get(ev.reason, 0) + len(ev.occurrences)
    return [
        {
            "reason": r,
            "occurred": len(tl),
            "first_ts": when(min(tl)),
            "last_ts": when(max(tl)),
            "written": counts.get(r, 0),
            "written_first_ts": when(min(shown[r])) if r in shown else None,
            "written_last_ts": when(max(shown[r])) if r in shown else None,
        }
        for r, tl in sorted(real.items())
    ]


def _minor(cap: Capture) -> int:
    return int(cap.k8s_version.split(".")[1])


def _capture_end(cap: Capture, formats: Collection[str], events: Sequence[SimEvent]) -> int:
    if "snapshots" in formats:
        return cap.end
    last = 0
    if "watch" in formats:
        for m in cap.pods:
            last = max(last, m.versions[-1].t, m.deleted_at or 0)
    if {"events", "events_v1"} & set(formats):
        last = max([last, *(ev.occurrences[-1] for ev in events)])
    return last


def write_capture(
    cap: Capture,
    out_dir: Path,
    *,
    snapshot_every_s: int | None = 60,
    formats: Collection[str] = ALL_FORMATS,
    thin: bool = False,
    event_behaviour: Collection[str] = (),
) -> SimulationResult:
    """Write the capture's files into `out_dir` and return their paths and the truth.

    `thin`: as a late capture of a long-running cluster sees it: no watch stream, only the
    events updated within the last hour (the event TTL), pod Lists every `snapshot_every_s`
    (None: one List at the end). `event_behaviour`: any of `EVENT_BEHAVIOURS` (`ttl`,
    `spam_filter`, `series_lag`): the events as the API server holds them then."""
    bad = [b for b in event_behaviour if b not in EVENT_BEHAVIOURS]
    if bad:
        raise UsageError(
            f"unknown event behaviour {bad[0]!r}; choose from: {', '.join(EVENT_BEHAVIOURS)}"
        )
    if thin:
        formats = [f for f in formats if f != "watch"]
    elif snapshot_every_s is None:
        snapshot_every_s = 60
    bad = [f for f in formats if f not in ALL_FORMATS]
    if bad:
        raise UsageError(f"unknown format {bad[0]!r}; choose from: {', '.join(ALL_FORMATS)}")
    if snapshot_every_s is not None and snapshot_every_s < 1:
        raise UsageError("--snapshot-every must be at least 1 second")
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = RenderContext(cap.start, int(cap.k8s_version.split(".")[1]), "control-plane-1")
    behaviours = {*event_behaviour, *(["ttl"] if thin else [])}
    events = written_events(cap.events, cap.end, _minor(cap), behaviours, cap.seed)
    known = {ev.uid for ev in cap.events}
    extra = [ev for ev in events if ev.uid not in known]  # combined events
    tl = assign_rvs(cap.pods, [*cap.events, *extra], base=cap.seed % 1000 * 1000 + 1000)
    rng = random.Random(f"events-v1/{cap.seed}")
    ev_core = out_dir / EVENTS_FILE if "events" in formats else None
    ev_v1 = out_dir / EVENTS_V1_FILE if "events_v1" in formats else None
    if ev_core or ev_v1:
        write_events(ev_core, ev_v1, events, tl, ctx, rng)
    snaps: list[Path] = []
    if "snapshots" in formats:
        times = snapshot_times(cap.end, snapshot_every_s)
        snaps = write_snapshots(out_dir / SNAPSHOT_DIR, cap.pods, times, tl, ctx)
    watch = out_dir / WATCH_FILE if "watch" in formats else None
    n_watch = write_watch(watch, cap.pods, tl, ctx) if watch else 0
    truth = build_truth(cap, formats, snapshot_every_s, thin=thin, behaviours=event_behaviour)
    truth_path = out_dir / TRUTH_FILE
    truth_path.write_text(json.dumps(truth, indent=2) + "\n")
    return SimulationResult(
        out_dir=out_dir,
        events_path=ev_core,
        events_v1_path=ev_v1,
        watch_path=watch,
        snapshot_paths=snaps,
        truth_path=truth_path,
        truth=truth,
        n_pods=len(cap.pods),
        n_events=len(cap.events),
        n_watch_records=n_watch,
    )


def simulate(
    out_dir: Path,
    *,
    pods: int = 40,
    seed: int = 0,
    start: datetime | None = None,
    scenarios: Sequence[str] | None = None,
    snapshot_every_s: int | None = 60,
    formats: Collection[str] = ALL_FORMATS,
    duration_s: int = 3600,
    k8s_version: str | None = None,
    thin: bool = False,
    lead_in_s: int = 0,
    event_behaviour: Collection[str] = (),
) -> SimulationResult:
    """Generate a cluster history and write it to `out_dir` as kubectl captures + truth."""
    cap = generate(
        pods,
        seed,
        start,
        scenarios,
        duration_s=duration_s,
        k8s_version=k8s_version,
        snapshot_every_s=snapshot_every_s or 60,
        lead_in_s=lead_in_s,
    )
    return write_capture(
        cap,
        out_dir,
        snapshot_every_s=snapshot_every_s,
        formats=formats,
        thin=thin,
        event_behaviour=event_behaviour,
    )

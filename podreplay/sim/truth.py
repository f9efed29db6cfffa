"""Ground truth of a simulated capture: intervals, restarts, probe failures and pod_stats.

Computed from the recorded pod versions (each one a watch record), so it is exactly what the
written files show; the semantics are those docs/sql.md gives for `pod_stats`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta
from typing import Any

from podreplay.sim.model import Cond, PodModel, Version

Interval = tuple[int, int | None, Any]


def rfc3339(start: datetime, s: int) -> str:
    """`start + s` seconds as RFC3339 UTC at whole seconds."""
    return (start + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def runs(points: Sequence[tuple[int, Hashable, Any]], stop: int | None) -> list[Interval]:
    """Merge (start, key, payload) points into intervals that change when the key does."""
    out: list[Interval] = []
    prev: Hashable = object()
    for t, key, payload in points:
        if key == prev:
            continue
        if out:
            s, _, p = out[-1]
            out[-1] = (s, t, p)
        out.append((t, None, payload))
        prev = key
    if out and stop is not None:
        s, _, p = out[-1]
        out[-1] = (s, stop, p)
    return out


def seconds(iv: Sequence[Interval], cend: int) -> float:
    """Total length of intervals, open ones cut at the capture end."""
    return float(sum(max(0, min(e if e is not None else cend, cend) - s) for s, e, _ in iv))


def union_len(iv: Sequence[tuple[int, int]]) -> float:
    """Length of the union of [s, e) spans."""
    total, cur_s, cur_e = 0, None, None
    for s, e in sorted(iv):
        if cur_e is None or s > cur_e:
            if cur_s is not None and cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_s is not None and cur_e is not None:
        total += cur_e - cur_s
    return float(total)


def bursts(times: Sequence[int], period: int) -> list[tuple[int, int, int]]:
    """Runs of failed probes at most one period (+ 2 s) apart: (first, last, count) each."""
    out: list[tuple[int, int, int]] = []
    for t in sorted(times):
        if out and t - out[-1][1] <= period + 2:
            first, _, n = out[-1]
            out[-1] = (first, t, n + 1)
        else:
            out.append((t, t, 1))
    return out


def _resize_conds(vs: list[Version]) -> list[dict[str, Cond]]:
    """Each version's conditions, with `status.resize` (1.27-1.32) as the 1.33 condition it
    became (Proposed / Deferred / Infeasible: PodResizePending; InProgress:
    PodResizeInProgress), true since the version that first showed that value."""
    out: list[dict[str, Cond]] = []
    since, prev = 0, None
    for v in vs:
        conds = dict(v.status.conditions)
        r = v.status.resize
        if r != prev:
            since, prev = v.t, r
        if r is not None:
            name = "PodResizeInProgress" if r == "InProgress" else "PodResizePending"
            reason = None if r == "InProgress" else r
            conds.setdefault(name, Cond("True", reason, None, since))
        out.append(conds)
    return out


def _cond_points(
    vs: list[Version], all_conds: list[dict[str, Cond]], name: str
) -> list[tuple[int, Hashable, Any]]:
    pts: list[tuple[int, Hashable, Any]] = []
    for v, conds in zip(vs, all_conds, strict=True):
        c = conds.get(name)
        if c is not None:
            pts.append((c.since, (c.status, c.since), (c.status, c.reason)))
        elif pts:  # no longer reported (a resize condition once the resize is done)
            pts.append((v.t, ("absent",), ("absent", None)))
    return pts


def pod_truth(m: PodModel, start: datetime, cend: int) -> dict[str, Any]:
    """The truth record of one pod (see docs/simulator.md)."""
    vs = m.versions

    def ts(s: int) -> str:
        return rfc3339(start, s)

    def ots(s: int | None) -> str | None:
        return None if s is None else rfc3339(start, s)

    stop = m.deleted_at
    last = vs[-1].status
    phases = runs([(v.t, v.status.phase, v.status.phase) for v in vs], stop)
    all_conds = _resize_conds(vs)
    cond_names: list[str] = []
    for vc in all_conds:
        cond_names += [n for n in vc if n not in cond_names]
    conds = {n: runs(_cond_points(vs, all_conds, n), stop) for n in cond_names}
    containers: list[dict[str, Any]] = []
    cstates: dict[str, list[Interval]] = {}
    for spec in m.specs:
        pts: list[tuple[int, Hashable, Any]] = []
        for v in vs:
            cs = next((c for c in v.status.containers if c.name == spec.name), None)
            if cs is None:
                continue
            key = (cs.state, cs.reason, cs.exit_code, cs.started_at, cs.since)
            pts.append((cs.since, key, (cs.state, cs.reason, cs.exit_code)))
        cstates[spec.name] = runs(pts, stop)
        lastc = next((c for c in last.containers if c.name == spec.name), None)
        containers.append(
            {
                "container": spec.name,
                "is_init": spec.is_init,
                "restart_count": lastc.restart_count if lastc else 0,
                "states": [
                    {
                        "state": p[0],
                        "reason": p[1],
                        "start": ts(s),
                        "end": ots(e),
                        "exit_code": p[2],
                    }
                    for s, e, p in cstates[spec.name]
                ],
            }
        )
    requested = next((v.t for v in vs if v.status.deletion_ts is not None), None)
    first_true = {n: next((s for s, _, p in iv if p[0] == "True"), None) for n, iv in conds.items()}

    def since_created(n: str) -> float | None:
        t = first_true.get(n)
        return None if t is None else float(t - m.created)

    def phase_s(name: str) -> float:
        return seconds([iv for iv in phases if iv[2] == name], cend)

    running = [(s, cend if e is None else min(e, cend)) for s, e, p in phases if p == "Running"]
    not_ready = [
        (s, cend if e is None else min(e, cend))
        for s, e, p in conds.get("Ready", [])
        if p[0] == "False"
    ]
    overlap = [
        (max(a, c), min(b, d)) for a, b in running for c, d in not_ready if min(b, d) > max(a, c)
    ]
    crash = [
        (s, cend if e is None else min(e, cend))
        for iv in cstates.values()
        for s, e, p in iv
        if p[1] == "CrashLoopBackOff" and s < cend
    ]
    probes: dict[tuple[str, str], list[int]] = {}
    for c, kind, t in m.probe_fail:
        probes.setdefault((c, kind), []).append(t)
    periods = {(spec.name, p.kind): p.period for spec in m.specs for p in spec.probes}
    restart_sum = sum(c["restart_count"] for c in containers)
    stats = {
        "pending_s": phase_s("Pending"),
        "running_s": phase_s("Running"),
        "succeeded_s": phase_s("Succeeded"),
        "failed_s": phase_s("Failed"),
        "unknown_s": phase_s("Unknown"),
        "time_to_scheduled_s": since_created("PodScheduled"),
        "time_to_initialized_s": since_created("Initialized"),
        "image_pull_s": float(sum(b - a for a, b in m.pulls)) if m.pulls else None,
        "time_to_ready_s": since_created("Ready"),
        "not_ready_running_s": union_len(overlap),
        "restarts": restart_sum,
        "crashloop_s": union_len(crash),
        "terminating_s": None
        if requested is None
        else float((stop if stop is not None else cend) - requested),
        "grace_exceeded": m.grace_exceeded_at is not None,
        "final_phase": last.phase,
    }
    return {
        "pod_uid": m.uid,
        "namespace": m.namespace,
        "pod": m.name,
        "scenario": m.scenario,
        "workload": m.workload,
        "workload_kind": m.workload_kind,
        "node": last.node,
        "qos_class": m.qos,
        "restart_policy": m.restart_policy,
        "created_at": ts(m.created),
        "deletion_requested_at": ots(requested),
        "deleted_at": ots(stop),
        "final_phase": last.phase,
        # a pod that failed with no status.reason: the disruption that ended it
        "final_reason": last.reason
        if last.reason is not None or last.phase != "Failed"
        else _disruption(vs),
        "phases": [{"phase": p, "start": ts(s), "end": ots(e)} for s, e, p in phases],
        "conditions": [
            {"condition": n, "status": p[0], "reason": p[1], "start": ts(s), "end": ots(e)}
            for n, iv in conds.items()
            for s, e, p in iv
        ],
        "containers": containers,
        "restarts": [
            {
                "container": r.container,
                "restart_no": r.restart_no,
                "at": ts(r.at),
                "cause": r.cause,
                "exit_code": r.exit_code,
            }
            for r in m.restarts
        ],
        "probe_failures": [
            {
                "container": c,
                "probe": kind,
                "count": len(tl),
                "first_ts": ts(min(tl)),
                "last_ts": ts(max(tl)),
            }
            for (c, kind), tl in sorted(probes.items())
        ],
        "probe_bursts": [
            {
                "container": c,
                "probe": kind,
                "count": n,
                "first_ts": ts(first),
                "last_ts": ts(last),
            }
            for (c, kind), tl in sorted(probes.items())
            for first, last, n in bursts(tl, periods.get((c, kind), 10))
        ],
        "stats": stats,
        # `kubectl debug` containers: no container of `containers`, never a restart
        "ephemeral_containers": [
            {
                "container": e.name,
                "target": m.debug_targets.get(e.name),
                "state": e.state,
                "started_at": ots(e.started_at),
                "finished_at": ots(e.finished_at),
                "exit_code": e.exit_code,
            }
            for e in last.ephemeral
        ],
        "creation_blocks": [
            {
                "cause": cause,
                "from": ts(a),
                "until": ots(b),
                "blocked_s": float(
                    (b if b is not None else stop if stop is not None else cend) - a
                ),
            }
            for cause, a, b in m.creation_blocks
        ],
        "disruption_reason": _disruption(vs),
    }


def _disruption(vs: list[Version]) -> str | None:
    """The reason of the pod's last DisruptionTarget=True condition (None if never)."""
    reason = None
    for v in vs:
        c = v.status.conditions.get("DisruptionTarget")
        if c is not None and c.status == "True":
            reason = c.reason
    return reason

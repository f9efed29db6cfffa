"""The report's pod timelines, and the one-pod page of `timeline --html`: which pods get a
timeline, their detail frames (pods.sql), the facts and events table around each figure. The
figure itself is pod_figure.py's."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import polars as pl

from podreplay.errors import NotFoundError
from podreplay.render.html.page import Page, phase_badge, secs, table, ts, why
from podreplay.render.html.pod_figure import PodFrames, pod_timeline_figure
from podreplay.render.html.scope import (
    TIMELINE_CAP,
    ReportData,
    Scope,
    phase_intervals,
    select_scope,
    table_exists,
)
from podreplay.sqlfiles import Sql
from podreplay.store import Store

SQL = Sql(__file__)
POD_EVENTS_CAP = 200  # events listed under one pod's timeline
_TS = pl.Datetime("us", "UTC")
# The detail frames read per table: the table, and the schema of its empty frame when missing.
_DETAIL: dict[str, tuple[str, dict[str, Any]]] = {
    "conditions": (
        "condition_intervals",
        {"condition": pl.String, "status": pl.String, "reason": pl.String},
    ),
    "containers": (
        "container_intervals",
        {
            "container": pl.String,
            "is_init": pl.Boolean,
            "state": pl.String,
            "reason": pl.String,
            "exit_code": pl.Int32,
            "message": pl.String,
        },
    ),
    "restarts": (
        "restarts",
        {
            "container": pl.String,
            "restart_no": pl.Int64,
            "at": _TS,
            "cause": pl.String,
            "exit_code": pl.Int32,
        },
    ),
    "probes": (
        "probe_failures",
        {
            "container": pl.String,
            "probe": pl.String,
            "first_ts": _TS,
            "last_ts": _TS,
            "count": pl.Int64,
            "message": pl.String,
        },
    ),
}


def warning_counts(store: Store) -> pl.DataFrame:
    """Warning events per pod in scope (pod_uid, warnings)."""
    if not table_exists(store, "pod_events"):
        return pl.DataFrame(schema={"pod_uid": pl.String, "warnings": pl.Int64})
    return store.frame(SQL("warning_counts"))


def pick_timelines(store: Store, pods: pl.DataFrame) -> pl.DataFrame:
    """The pods that get their own timeline: failures, most restarts, slowest to ready, crash
    loops and most warnings, at most TIMELINE_CAP."""
    if pods.height == 0:
        return pods
    p = pods.join(
        warning_counts(store), on="pod_uid", how="left", maintain_order="left"
    ).with_columns(pl.col("warnings").fill_null(0))
    failed = pl.col("final_phase").eq("Failed") | pl.col("final_reason").is_not_null()
    lists = [
        p.filter(failed).sort(["last_seen", "label"], descending=[True, False], nulls_last=True),
        p.filter(pl.col("restarts") > 0).sort(["restarts", "label"], descending=[True, False]),
        p.filter(pl.col("time_to_ready_s").is_not_null()).sort(
            ["time_to_ready_s", "label"], descending=[True, False]
        ),
        p.filter(pl.col("crashloop_s") > 0).sort(
            ["crashloop_s", "label"], descending=[True, False]
        ),
        p.filter(pl.col("warnings") > 0).sort(["warnings", "label"], descending=[True, False]),
    ]
    heads = [15, 15, 10, 10, 10]
    # the top of each list first, then the rest of the lists fill what the cap leaves
    picked = pl.concat(
        [df.head(n).select(pods.columns) for df, n in zip(lists, heads, strict=True)]
        + [df.select(pods.columns) for df in lists]
    )
    uids = picked["pod_uid"].unique(maintain_order=True).head(TIMELINE_CAP)
    return pods.filter(pl.col("pod_uid").is_in(uids.implode()))


def pod_detail_frames(
    store: Store, data: ReportData, pod_uids: list[str]
) -> dict[str, pl.DataFrame]:
    """Phases, conditions, containers, restarts, probe failures and events of a few pods (one
    query per table, split by pod in the caller)."""
    out: dict[str, pl.DataFrame] = {"phases": phase_intervals(store, data, pod_uids, clip=False)}
    for key, (table_name, schema) in _DETAIL.items():
        if table_name in data.missing:
            base: dict[str, Any] = {"pod_uid": pl.String}
            if key in ("conditions", "containers"):
                base |= {"start_ts": _TS, "end_ts": _TS}
            out[key] = pl.DataFrame(schema={**base, **schema})
        else:
            out[key] = store.frame(SQL(key), [pod_uids])
    out["events"] = pod_events(store, pod_uids)
    return out


def pod_events(store: Store, pod_uids: list[str]) -> pl.DataFrame:
    """Events about the pods, with first/last occurrence, newest last."""
    linked = table_exists(store, "pod_events")
    return store.frame(SQL("events" if linked else "events_unlinked"), [pod_uids])


def section(page: Page, store: Store, data: ReportData, chosen: pl.DataFrame) -> None:
    """Add the pod timelines section: one block per chosen pod, drawn when scrolled to."""
    page.add(
        f'<section id="pods"><h2>Pod timelines</h2><p class="note">{chosen.height} pods'
        " that failed, restarted, were slowest to become ready or logged warnings"
        f" (at most {TIMELINE_CAP}).</p>"
    )
    _pod_blocks(page, store, data, chosen, standalone=False)
    page.add("</section>")


def _pod_blocks(
    page: Page, store: Store, data: ReportData, chosen: pl.DataFrame, *, standalone: bool
) -> None:
    chosen = chosen.sort("label")
    uids = chosen["pod_uid"].to_list()
    if not uids:
        return
    detail = pod_detail_frames(store, data, uids)
    parts = {
        key: {k[0]: v for k, v in frame.partition_by("pod_uid", as_dict=True).items()}
        for key, frame in detail.items()
    }

    def part(key: str, uid: str) -> pl.DataFrame:
        return parts[key].get(uid, detail[key].clear())

    for row in chosen.iter_rows(named=True):  # one block per chosen pod (at most 50)
        uid = row["pod_uid"]
        frames = PodFrames(
            pod=row,
            phases=part("phases", uid),
            conditions=part("conditions", uid),
            containers=part("containers", uid),
            restarts=part("restarts", uid),
            probes=part("probes", uid),
            events=part("events", uid),
            span_end=data.end,
        )
        facts = [
            ("node", escape(row.get("node") or "")),
            ("workload", escape(row.get("workload") or "")),
            ("QoS", escape(row.get("qos_class") or "")),
            ("created", ts(row.get("created_at"))),
            ("why", why(row) if row.get("why") else ""),
            ("final phase", phase_badge(row.get("final_phase"))),
            ("reason", escape(row.get("final_reason") or "")),
            ("restarts", f"{row.get('restarts') or 0:,}"),
            ("time to ready", secs(row.get("time_to_ready_s"))),
        ]
        page.add(
            f'<article class="pod" id="{escape(row["anchor"])}">'
            f"<h3>{escape(str(row['label']))}</h3><dl>"
            + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts if v)
            + "</dl>"
        )
        fig = pod_timeline_figure(frames, show_title=False)
        page.figure(fig, f"fig-{row['anchor']}", eager=standalone)
        page.add(_events_table(frames.events))
        if not standalone:
            page.add('<p class="top"><a href="#offenders">↑ worst offenders</a></p>')
        page.add("</article>")


def _events_table(events: pl.DataFrame) -> str:
    if events.height == 0:
        return '<p class="empty">no events</p>'
    rows = [
        [
            ts(r["first_ts"]),
            ts(r["last_ts"]) if r["last_ts"] != r["first_ts"] else "",
            f'<span class="ev-{"warn" if r["type"] == "Warning" else "normal"}">'
            f"{escape(r['type'] or '')}</span>",
            escape(r["reason"] or ""),
            escape(r["container"] or ""),
            f"{r['count'] or 1:,}",
            f'<span class="msg">{escape(r["message"] or "")}</span>',
        ]
        for r in events.tail(POD_EVENTS_CAP).iter_rows(named=True)
    ]
    more = events.height - len(rows)
    note = f'<p class="note">{more:,} earlier events not listed.</p>' if more > 0 else ""
    return (
        "<details open><summary>Events</summary>"
        + table(
            ["first", "last", "type", "reason", "container", "count", "message"], rows, "events"
        )
        + note
        + "</details>"
    )


def write_pod_timeline(store: Store, pod_uid: str, out: Path) -> None:
    """Write one pod's interactive timeline and events to `out` (self-contained HTML)."""
    data = select_scope(store, Scope())
    if "pods" in data.missing:
        raise NotFoundError(f"{store.path}: no lifecycle tables (run `podreplay ingest` first)")
    chosen = data.pods.filter(pl.col("pod_uid") == pod_uid)
    if chosen.height == 0:
        raise NotFoundError(f"{pod_uid}: no such pod in {store.path}")
    label = str(chosen["label"][0])
    page = Page(f"{label} · podreplay timeline")
    page.add(
        f"<header><h1>{escape(label)}</h1>"
        f'<p class="scope">capture {ts(data.start)} → {ts(data.end)}</p></header><main>'
    )
    _pod_blocks(page, store, data, chosen, standalone=True)
    page.add("</main>")
    out.write_text(page.html(), encoding="utf-8")

"""One pod's timeline figure: swimlanes of its phase, conditions, init and regular containers
and events on one time axis, with restarts, probe failures and the pod's creation, deletion
request and disappearance marked; zoom, pan and a range slider. Part of the pod timelines
section (pods.py)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from podreplay.render.html.plot import (
    GAP_NAME,
    GAP_STATE,
    PHASE_COLORS,
    bar_trace,
    base_layout,
    basis_text,
    duration_expr,
    esc,
    esc_expr,
    in_order,
    interval_rows,
    make_figure,
    time_axis,
    time_text,
    trace,
    ts_text,
)

CONDITION_COLORS = {"True": "#8fd19e", "False": "#f4a5a5", "Unknown": "#d0d0d0"}
WAITING_COLORS = {
    "CrashLoopBackOff": "#e8743b",
    "ImagePullBackOff": "#9c6ade",
    "ErrImagePull": "#9c6ade",
    "InvalidImageName": "#9c6ade",
    "CreateContainerConfigError": "#c2185b",
    "ContainerCreating": "#a7c7e7",
    "PodInitializing": "#a7c7e7",
}
TERMINATED_COLORS = {
    "Completed": "#3f88c5",
    "Error": "#d64545",
    "OOMKilled": "#8b0000",
    "ContainerCannotRun": "#b71c1c",
}
CONDITION_ORDER = [
    "PodScheduled",
    "PodReadyToStartContainers",
    "Initialized",
    "ContainersReady",
    "Ready",
    "DisruptionTarget",
]
EVENT_LANE = "events"
PHASE_LANE = "phase"


MESSAGE_WIDTH = 90
MESSAGE_MAX = 600


@dataclass(frozen=True)
class PodFrames:
    """Everything drawn on one pod's timeline; frames use the database contract's columns."""

    pod: dict[str, Any]
    phases: pl.DataFrame
    conditions: pl.DataFrame
    containers: pl.DataFrame
    restarts: pl.DataFrame
    probes: pl.DataFrame
    events: pl.DataFrame
    span_end: datetime | None = None


def wrapped(text: object) -> str:
    """Escaped message text wrapped into hover lines."""
    raw = "" if text is None else str(text)
    if len(raw) > MESSAGE_MAX:
        raw = raw[:MESSAGE_MAX] + "…"
    lines = textwrap.wrap(raw, MESSAGE_WIDTH, break_long_words=True) or [""]
    return "<br>".join(esc(line) for line in lines)


def _container_color(state: str | None, reason: str | None) -> str:
    if state == "running":
        return "#4caf50"
    if state == "waiting":
        return WAITING_COLORS.get(reason or "", "#f2b134")
    if state == "terminated":
        return TERMINATED_COLORS.get(reason or "", "#616161")
    return "#bdbdbd"


def pod_lanes(frames: PodFrames) -> list[str]:
    """The swimlanes of one pod, top to bottom: phase, conditions, init containers, containers,
    events."""
    conds = set(frames.conditions["condition"].drop_nulls().to_list())
    ordered = [c for c in CONDITION_ORDER if c in conds] + sorted(conds - set(CONDITION_ORDER))
    lanes = [PHASE_LANE] + [f"condition: {c}" for c in ordered]
    ctr = frames.containers.filter(pl.col("container").is_not_null())
    if ctr.height:
        first = (
            ctr.group_by("container", "is_init")
            .agg(pl.col("start_ts").min().alias("first"))
            .sort(["is_init", "first", "container"], descending=[True, False, False])
        )
        for name, is_init in first.select("container", "is_init").iter_rows():
            lanes.append(_container_lane(name, bool(is_init)))
    # restarts and probe failures of a container no status showed still get its lane
    marked = pl.concat([frames.restarts.select("container"), frames.probes.select("container")])
    for name in sorted(set(marked["container"].drop_nulls().to_list())):
        if _container_lane(name, False) not in lanes:
            lanes.append(_container_lane(name, False))
    lanes.append(EVENT_LANE)
    return [esc(lane) for lane in lanes]


def _container_lane(name: str | None, is_init: bool) -> str:
    return f"{'init' if is_init else 'container'}: {name}"


def pod_timeline_figure(frames: PodFrames, *, show_title: bool = True) -> Any:
    """Swimlanes of one pod on one time axis: phase, conditions, container states, events,
    restarts and probe failures, with zoom, pan and a range slider."""
    pod = frames.pod
    lanes = pod_lanes(frames)
    traces: list[Any] = []

    phases = interval_rows(frames.phases, frames.span_end)
    if phases.height:
        phases = phases.with_columns(
            lane=pl.lit(PHASE_LANE),
            hover=pl.format(
                "<b>phase {}</b><br>{} → {}<br>{}{}{}",
                esc_expr(pl.col("phase")),
                pl.col("start"),
                pl.col("end"),
                duration_expr("secs"),
                pl.when(pl.col("open")).then(pl.lit(" (capture ended)")).otherwise(pl.lit("")),
                basis_text(),
            ),
        )
        for phase in in_order(phases["phase"].to_list(), list(PHASE_COLORS)):
            rows = phases.filter(pl.col("phase") == phase)
            name = GAP_NAME if phase == GAP_STATE else str(phase)
            traces.append(bar_trace(rows, name, PHASE_COLORS.get(str(phase), "#9e9e9e"), "phase"))

    conds = interval_rows(frames.conditions, frames.span_end)
    if conds.height:
        conds = conds.with_columns(
            lane=esc_expr(pl.format("condition: {}", pl.col("condition"))),
            hover=pl.format(
                "<b>{} = {}</b>{}<br>{} → {}<br>{}{}",
                esc_expr(pl.col("condition")),
                esc_expr(pl.col("status")),
                pl.when(pl.col("reason").is_not_null())
                .then(pl.format(" ({})", esc_expr(pl.col("reason"))))
                .otherwise(pl.lit("")),
                pl.col("start"),
                pl.col("end"),
                duration_expr("secs"),
                basis_text(),
            ),
        )
        for status in in_order(conds["status"].to_list(), list(CONDITION_COLORS)):
            rows = conds.filter(pl.col("status") == status)
            color = CONDITION_COLORS.get(str(status), "#d0d0d0")
            name = GAP_NAME if status == GAP_STATE else f"condition {status}"
            traces.append(bar_trace(rows, name, color, "condition"))

    ctrs = interval_rows(frames.containers, frames.span_end)
    if ctrs.height:
        if "message" not in ctrs.columns:
            ctrs = ctrs.with_columns(message=pl.lit(None, pl.String))
        ctrs = ctrs.with_columns(
            lane=esc_expr(
                pl.format(
                    "{}: {}",
                    pl.when(pl.col("is_init")).then(pl.lit("init")).otherwise(pl.lit("container")),
                    pl.col("container"),
                )
            ),
            key=pl.format(
                "{}{}",
                pl.col("state").fill_null("unknown"),
                pl.when(pl.col("reason").is_not_null())
                .then(pl.format(": {}", pl.col("reason")))
                .otherwise(pl.lit("")),
            ),
            hover=pl.format(
                "<b>{}</b> {}{}{}<br>{} → {}<br>{}{}{}",
                esc_expr(pl.col("container")),
                esc_expr(pl.col("state")),
                pl.when(pl.col("reason").is_not_null())
                .then(pl.format(" ({})", esc_expr(pl.col("reason"))))
                .otherwise(pl.lit("")),
                pl.when(pl.col("exit_code").is_not_null())
                .then(pl.format(", exit code {}", pl.col("exit_code")))
                .otherwise(pl.lit("")),
                pl.col("start"),
                pl.col("end"),
                duration_expr("secs"),
                pl.when(pl.col("message").is_not_null() & (pl.col("message") != ""))
                .then(pl.format("<br>{}", esc_expr(pl.col("message").str.slice(0, 160))))
                .otherwise(pl.lit("")),
                basis_text(),
            ),
        )
        keys = ctrs.select("key", "state", "reason").unique(maintain_order=True)
        for key, state, reason in keys.iter_rows():
            rows = ctrs.filter(pl.col("key") == key)
            name = GAP_NAME if state == GAP_STATE else key
            traces.append(bar_trace(rows, name, _container_color(state, reason), "container"))

    traces.extend(_probe_traces(frames.probes))
    traces.extend(_restart_traces(frames.restarts))
    traces.extend(_event_traces(frames.events))

    title = f"{pod.get('namespace') or ''}/{pod.get('pod') or pod.get('pod_uid')}"
    height = max(330, 150 + 34 * len(lanes))
    layout = base_layout(esc(title) if show_title else "", height=height)
    if not show_title:
        layout["margin"] = {"l": 10, "r": 10, "t": 16, "b": 40}
    layout.update(
        barmode="overlay",
        bargap=0.35,
        dragmode="zoom",
        xaxis=time_axis(rangeslider=True),
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": lanes,
            "range": [len(lanes) - 0.5, -0.5],
            "automargin": True,
            "gridcolor": "#f3f3f3",
        },
        legend={"font": {"size": 11}, "tracegroupgap": 4},
    )
    layout["shapes"], layout["annotations"] = _lifecycle_marks(pod)
    if layout["annotations"]:  # room for their labels above the plot
        layout["margin"]["t"] += 28
    return make_figure(traces, layout)


# (pods column, label, colour, which side of the line the label sits: the deletion request
# and the disappearance are often seconds apart, so their labels face away from each other)
LIFECYCLE_MARKS = (
    ("created_at", "created", "#607d8b", "left"),
    ("deletion_requested_at", "delete requested", "#b71c1c", "right"),
    ("deleted_at", "gone", "#424242", "left"),
)


def _lifecycle_marks(pod: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Dashed vertical lines at the pod's creation, deletion request and disappearance."""
    shapes, notes = [], []
    for key, text, color, anchor in LIFECYCLE_MARKS:
        at = pod.get(key)
        if not isinstance(at, datetime):
            continue
        x = ts_text(at.astimezone(UTC))
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": color, "width": 1, "dash": "dash"},
            }
        )
        notes.append(
            {
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "xanchor": anchor,
                "text": text,
                "showarrow": False,
                "font": {"size": 10, "color": color},
            }
        )
    return shapes, notes


def _ctr_lane_expr() -> pl.Expr:
    # Restarts and probe failures concern regular containers (init containers do not probe).
    return esc_expr(pl.format("container: {}", pl.col("container")))


def _probe_traces(probes: pl.DataFrame) -> list[Any]:
    if probes.height == 0:
        return []
    rows = probes.filter(pl.col("first_ts").is_not_null()).with_columns(
        lane=_ctr_lane_expr(),
        x=time_text("first_ts"),
        hover=pl.format(
            "<b>{} probe failed</b> ×{}<br>{} → {}<br>{}",
            esc_expr(pl.col("probe")),
            pl.col("count").fill_null(1),
            time_text("first_ts"),
            time_text("last_ts").fill_null(""),
            esc_expr(pl.col("message")),
        ),
    )
    return [
        trace(
            "scatter",
            mode="markers",
            name="probe failure",
            legendgroup="marks",
            x=rows["x"].to_list(),
            y=rows["lane"].to_list(),
            marker={"symbol": "triangle-down", "size": 11, "color": "#ff9800"},
            hovertext=rows["hover"].to_list(),
            hoverinfo="text",
        )
    ]


def _restart_traces(restarts: pl.DataFrame) -> list[Any]:
    rows = restarts.filter(pl.col("at").is_not_null())
    if rows.height == 0:
        return []
    rows = rows.with_columns(
        lane=_ctr_lane_expr(),
        x=time_text("at"),
        hover=pl.format(
            "<b>restart #{}</b> of {}<br>cause: {}{}<br>{}",
            pl.col("restart_no"),
            esc_expr(pl.col("container")),
            esc_expr(pl.col("cause")),
            pl.when(pl.col("exit_code").is_not_null())
            .then(pl.format(" (exit code {})", pl.col("exit_code")))
            .otherwise(pl.lit("")),
            time_text("at"),
        ),
    )
    return [
        trace(
            "scatter",
            mode="markers",
            name="restart",
            legendgroup="marks",
            x=rows["x"].to_list(),
            y=rows["lane"].to_list(),
            marker={"symbol": "x-thin", "size": 13, "line": {"width": 3, "color": "#212121"}},
            hovertext=rows["hover"].to_list(),
            hoverinfo="text",
        )
    ]


def event_hover(row: dict[str, Any]) -> str:
    """Hover text of one event: reason, type, container, message, count, first/last time."""
    parts = [f"<b>{esc(row.get('reason'))}</b> ({esc(row.get('type') or 'Normal')})"]
    if row.get("container"):
        parts.append(f"container: {esc(row['container'])}")
    parts.append(wrapped(row.get("message")))
    parts.append(f"count: {row.get('count') or 1}")
    parts.append(f"first: {ts_text(row.get('first_ts'))}")
    parts.append(f"last: {ts_text(row.get('last_ts'))}")
    return "<br>".join(parts)


def _together(hovers: list[str], most: int = 6) -> str:
    """Hover texts of events at one moment, as one label."""
    text = "<br>―――<br>".join(hovers[:most])
    if len(hovers) > most:
        text += f"<br>… and {len(hovers) - most} more at this moment"
    return text


def _event_traces(events: pl.DataFrame) -> list[Any]:
    if events.height == 0:
        return []
    rows = events.with_columns(
        at=pl.coalesce("first_ts", "event_ts", "last_ts"),
        kind=pl.when(pl.col("type") == "Warning")
        .then(pl.lit("Warning"))
        .otherwise(pl.lit("Normal")),
    ).filter(pl.col("at").is_not_null())
    traces: list[Any] = []
    for kind, color, symbol in (("Normal", "#607d8b", "circle"), ("Warning", "#d64545", "diamond")):
        part = rows.filter(pl.col("kind") == kind).sort("at", maintain_order=True)
        if part.height == 0:
            continue
        # Events at the same moment share one marker whose label lists them all (a loop per
        # event, but only within one pod's timeline: a few hundred at most).
        grouped: dict[str, list[str]] = {}
        texts = part.select(time_text("at"))["at"].to_list()
        for x, row in zip(texts, part.iter_rows(named=True), strict=True):
            grouped.setdefault(x, []).append(event_hover(row))
        traces.append(
            trace(
                "scatter",
                mode="markers",
                name=f"{kind} event",
                legendgroup="events",
                x=list(grouped),
                y=[EVENT_LANE] * len(grouped),
                marker={"symbol": symbol, "size": 10, "color": color, "opacity": 0.85},
                hovertext=[_together(h) for h in grouped.values()],
                hoverinfo="text",
            )
        )
        repeated = part.filter(pl.col("last_ts") > pl.col("at"))
        if repeated.height:
            xs: list[str | None] = []
            for a, b in repeated.select(time_text("at"), time_text("last_ts")).iter_rows():
                xs.extend([a, b, None])
            traces.append(
                trace(
                    "scatter",
                    mode="lines",
                    name=f"{kind} event repeats",
                    legendgroup="events",
                    showlegend=False,
                    x=xs,
                    y=[EVENT_LANE if x is not None else None for x in xs],
                    line={"color": color, "width": 2},
                    opacity=0.5,
                    hoverinfo="skip",
                )
            )
    return traces

"""The cluster timeline, drawn here and only here: pods per phase over time (stacked areas
over every pod in scope) and one row per pod with its phases as bars, what is wrong inside a
phase as thin bars over them and restarts marked; buttons reorder the rows and a click opens
a pod's timeline below. Its queries are in cluster.sql."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import polars as pl

from podreplay.render.html.page import Page
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
from podreplay.render.html.scope import ReportData, phase_intervals
from podreplay.sqlfiles import Sql
from podreplay.store import Store

SQL = Sql(__file__)
CLUSTER_ROWS_CAP = 400  # rows of the cluster timeline
COUNT_BUCKETS = 300  # samples of the pods-per-phase chart


def phase_counts(store: Store, data: ReportData) -> pl.DataFrame:
    """Pods in each phase at COUNT_BUCKETS evenly spaced moments of the window (all pods in
    scope, however many)."""
    if "phase_intervals" in data.missing or data.start is None or data.end is None:
        return pl.DataFrame(
            schema={"ts": pl.Datetime("us", "UTC"), "phase": pl.String, "pods": pl.Int64}
        )
    step = max((data.end - data.start) / COUNT_BUCKETS, timedelta(milliseconds=1))
    return store.frame(SQL("phase_counts"), [data.start, data.end, step])


def running_overlays(store: Store, data: ReportData) -> pl.DataFrame:
    """What is wrong inside a pod's phases, for the cluster timeline: stretches of
    CrashLoopBackOff (any container), of Ready=False while Running, and of terminating (from the
    deletion request until the pod is gone or its evidence ends). Columns: pod_uid, overlay,
    start_ts, end_ts (cut to the window)."""
    parts = []
    if "container_intervals" not in data.missing:
        parts.append(SQL("overlay_crashloop"))
    if not {"condition_intervals", "phase_intervals"} & set(data.missing):
        parts.append(SQL("overlay_not_ready"))
    parts.append(SQL("overlay_terminating"))
    return store.frame(
        SQL("overlays", union="\nUNION ALL\n".join(parts)),
        [data.start, data.end, data.start, data.start, data.end, data.end],
    )


def cluster_rows(pods: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    """Rows of the cluster timeline: every pod, or past the cap the pods with timelines, then
    the most restarted, failed and slowest ones (shown in namespace/workload order)."""
    if pods.height <= CLUSTER_ROWS_CAP:
        return pods
    ranked = pods.with_columns(
        has_timeline=pl.col("pod_uid").is_in(chosen["pod_uid"].implode()),
        failed=pl.col("final_phase").eq("Failed").fill_null(False),
    ).sort(
        ["has_timeline", "restarts", "failed", "time_to_ready_s", "label"],
        descending=[True, True, True, True, False],
        nulls_last=True,
    )
    keep = ranked.head(CLUSTER_ROWS_CAP)["pod_uid"].implode()
    return pods.filter(pl.col("pod_uid").is_in(keep))


def section(
    page: Page, store: Store, data: ReportData, chosen: pl.DataFrame, restarts: pl.DataFrame
) -> int:
    """Add the cluster timeline section; the number of pod rows drawn."""
    pods = data.pods
    page.add('<section id="cluster"><h2>Cluster timeline</h2>')
    counts = phase_counts(store, data)
    if counts.height:
        page.figure(
            phase_counts_figure(
                counts,
                title="Pods per phase over time (all pods in scope)",
                span=(data.start, data.end) if data.start and data.end else None,
            ),
            "fig-phase-counts",
            eager=True,
        )
    if pods.height == 0:
        page.add('<p class="empty">no pods in scope</p></section>')
        return 0
    rows = cluster_rows(pods, chosen)
    linked = set(chosen["pod_uid"].to_list())
    page.add(
        "<h3>One row per pod</h3>"
        '<p class="note">Drag to pan, or up and down to scroll the rows; click a pod that has'
        " a timeline below to open it."
    )
    if rows.height < pods.height:
        page.add(
            f" Showing {rows.height:,} of {pods.height:,} pods: those with timelines below,"
            " then the most restarted, failed and slowest to become ready; the chart above"
            " counts every pod."
        )
    page.add("</p>")
    rows = rows.with_columns(
        label=esc_expr(pl.col("label")),
        link=pl.when(pl.col("pod_uid").is_in(list(linked)))
        .then(pl.col("anchor"))
        .otherwise(pl.lit("")),
    )
    if rows.height:
        phases = phase_intervals(store, data)
        span = (data.start, data.end) if data.start and data.end else None
        overlays = running_overlays(store, data)
        fig = cluster_timeline_figure(rows, phases, restarts, span=span, overlays=overlays)
        page.figure(fig, "fig-cluster", eager=True, css="plot tall")
    page.add("</section>")
    return rows.height


def cluster_timeline_figure(
    pods: pl.DataFrame,
    phases: pl.DataFrame,
    restarts: pl.DataFrame,
    *,
    span: tuple[datetime, datetime] | None = None,
    overlays: pl.DataFrame | None = None,
) -> Any:
    """One row per pod with its phases as bars and restarts marked; `overlays` (pod_uid,
    overlay, start_ts, end_ts) draws what is wrong inside a phase as thin bars over it.

    `pods` gives the rows in display order (columns pod_uid, label, link, and the sort keys
    namespace, workload, created_at, restarts); the caller caps how many rows there are.
    `phases` and `restarts` use the contract's columns; `span` fixes the time axis. Buttons
    above the plot reorder the rows.
    """
    labels = pods.select("pod_uid", "label", "link")
    # the pod's worst problem (pod_why) heads each hover
    heads = labels.with_columns(head=pl.format("<b>{}</b>", pl.col("label")))
    if "why" in pods.columns:
        whys = pods.select("pod_uid", why=esc_expr(pl.col("why")))
        heads = heads.join(whys, on="pod_uid", how="left", maintain_order="left").with_columns(
            head=pl.when(pl.col("why") != "")
            .then(pl.format("{}<br><i>{}</i>", pl.col("head"), pl.col("why")))
            .otherwise(pl.col("head"))
        )
    traces: list[Any] = []
    bars = _row_bars(phases, heads, "phase")
    for phase in in_order(bars["phase"].to_list(), list(PHASE_COLORS)):
        rows = bars.filter(pl.col("phase") == phase)
        color = PHASE_COLORS.get(str(phase), "#9e9e9e")
        name = GAP_NAME if phase == GAP_STATE else str(phase)
        traces.append(bar_trace(rows, name, color, "phase"))
    if overlays is not None and overlays.height:
        traces += _overlay_traces(overlays, heads)
    marks = (
        restarts.filter(pl.col("at").is_not_null())
        .join(labels, on="pod_uid", how="inner", maintain_order="left")
        .with_columns(
            x=time_text("at"),
            hover=pl.format(
                "<b>{}</b><br>restart #{} of {}: {}",
                pl.col("label"),
                pl.col("restart_no"),
                esc_expr(pl.col("container")),
                esc_expr(pl.col("cause")),
            ),
        )
    )
    if marks.height:
        traces.append(
            trace(
                "scatter",
                mode="markers",
                name="restart",
                x=marks["x"].to_list(),
                y=marks["label"].to_list(),
                customdata=marks["link"].to_list(),
                marker={"symbol": "x-thin", "size": 9, "line": {"width": 2, "color": "#212121"}},
                hovertext=marks["hover"].to_list(),
                hoverinfo="text",
            )
        )
    order_default = pods["label"].to_list()
    by_created = pods.sort(["created_at", "label"], nulls_last=True)["label"].to_list()
    by_restarts = pods.sort(["restarts", "label"], descending=[True, False], nulls_last=True)[
        "label"
    ].to_list()
    visible = min(len(order_default), 40)
    layout = base_layout("", height=230 + 20 * max(visible, 4))
    xaxis = time_axis(rangeslider=False)
    if span is not None:
        xaxis["range"] = [ts_text(span[0]), ts_text(span[1])]
    layout.update(
        barmode="overlay",
        bargap=0.25,
        dragmode="pan",
        xaxis=xaxis,
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order_default,
            "range": [visible - 0.5, -0.5],
            "automargin": True,
            "tickfont": {"size": 10},
        },
        # the legend sits under the time axis: above the plot it would collide with the
        # ordering buttons once a narrow page (800 px) wraps it onto two lines
        legend={
            "orientation": "h",
            "traceorder": "normal",
            "y": -_LEGEND_GAP_PX / max(layout["height"] - 50 - _CLUSTER_BOTTOM, 1),
            "yanchor": "top",
            "x": 0,
            "xanchor": "left",
        },
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "x": 0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "showactive": True,
                "pad": {"b": 6},
                "font": {"size": 11},
                "buttons": [
                    _order_button("namespace / workload", order_default),
                    _order_button("creation time", by_created),
                    _order_button("most restarts", by_restarts),
                ],
            }
        ],
    )
    layout["margin"] = {"l": 10, "r": 10, "t": 50, "b": _CLUSTER_BOTTOM}
    return make_figure(traces, layout)


_LEGEND_GAP_PX = 62  # below the plot area: room for the time axis labels and title
_CLUSTER_BOTTOM = 150  # bottom margin: the axis labels and a legend of up to four lines


def _order_button(label: str, order: list[str]) -> dict[str, Any]:
    return {
        "label": f"order: {label}",
        "method": "relayout",
        "args": [{"yaxis.categoryarray": order}],
    }


# What is wrong inside a phase, drawn as a thin bar over the pod's row.
OVERLAY_COLORS = {"CrashLoopBackOff": "#b71c1c", "not Ready": "#ff6f00", "terminating": "#5d4037"}


def _row_bars(intervals: pl.DataFrame, heads: pl.DataFrame, what: str) -> pl.DataFrame:
    """Interval rows on their pod's lane, hovering as the pod's head, `what`, the bounds, the
    duration and where the bounds came from."""
    return interval_rows(
        intervals.join(heads, on="pod_uid", how="inner", maintain_order="left"), None
    ).with_columns(
        lane=pl.col("label"),
        hover=pl.format(
            "{}<br>{}<br>{} → {}<br>{}{}",
            pl.col("head"),
            esc_expr(pl.col(what)),
            pl.col("start"),
            pl.col("end"),
            duration_expr("secs"),
            basis_text(),
        ),
    )


def _overlay_traces(overlays: pl.DataFrame, heads: pl.DataFrame) -> list[Any]:
    bars = _row_bars(overlays, heads, "overlay")
    return [
        bar_trace(bars.filter(pl.col("overlay") == name), name, color, "overlay", width=0.3)
        for name, color in OVERLAY_COLORS.items()
        if (bars["overlay"] == name).any()
    ]


def phase_counts_figure(
    counts: pl.DataFrame, *, title: str, span: tuple[datetime, datetime] | None = None
) -> Any:
    """Pods per phase over time as stacked areas; `counts` has columns ts, phase, pods;
    `span` fixes the time axis (the cluster rows' own)."""
    traces = []
    for phase in in_order(counts["phase"].to_list(), list(PHASE_COLORS)):
        rows = counts.filter(pl.col("phase") == phase).sort("ts")
        color = PHASE_COLORS.get(str(phase), "#9e9e9e")
        traces.append(
            trace(
                "scatter",
                mode="lines",
                name=esc(phase),
                stackgroup="phases",
                x=rows.select(time_text("ts"))["ts"].to_list(),
                y=rows["pods"].to_list(),
                line={"color": color, "width": 0.5, "shape": "hv"},
                fillcolor=color,
                hovertemplate=f"{esc(phase)}: %{{y}} pods<extra></extra>",
            )
        )
    layout = base_layout(esc(title), height=300)
    xaxis = time_axis(rangeslider=False)
    if span is not None:
        xaxis["range"] = [ts_text(span[0]), ts_text(span[1])]
    layout.update(
        xaxis=xaxis,
        yaxis={
            "title": {"text": "pods"},
            "gridcolor": "#eeeeee",
            "rangemode": "tozero",
            "automargin": True,
        },
        hovermode="x unified",
        # under the time axis, as in the cluster rows: beside the title it would run into it
        # on a narrow page
        legend={
            "orientation": "h",
            "traceorder": "normal",
            "y": -0.36,
            "yanchor": "top",
            "x": 0,
            "xanchor": "left",
        },
    )
    layout["height"] = 360
    layout["margin"] = {**layout["margin"], "b": 110}
    return make_figure(traces, layout)

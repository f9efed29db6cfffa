"""The report's distributions: histograms of time to ready, time pending and image pull time
over the pods in scope, binned here so a figure's size does not grow with the pods."""

from __future__ import annotations

import math
from html import escape
from typing import Any

import polars as pl

from podreplay.render.html.page import Page
from podreplay.render.html.plot import base_layout, duration_text, esc, make_figure, trace
from podreplay.render.html.scope import ReportData

SPECS = (
    ("time_to_ready_s", "Time to ready"),
    ("pending_s", "Time pending"),
    ("image_pull_s", "Image pull time"),
)


def section(page: Page, data: ReportData) -> None:
    """Add the distributions section."""
    page.add('<section id="distributions"><h2>Distributions</h2><div class="grid3">')
    for i, (col, name) in enumerate(SPECS):
        page.add("<div>")
        if col in data.pods.columns and data.pods[col].drop_nulls().len():
            fig = distribution_figure(data.pods[col], title=name)
            page.figure(fig, f"fig-dist-{i}", eager=True, css="plot small")
        else:
            page.add(f'<h3>{escape(name)}</h3><p class="empty">no pods</p>')
        page.add("</div>")
    page.add("</div></section>")


def distribution_summary(values: pl.Series) -> dict[str, float | int | None]:
    """Count, median, p90, p99 and max of a series of seconds (nulls ignored)."""
    v = values.drop_nulls().drop_nans() if values.dtype.is_float() else values.drop_nulls()
    if v.len() == 0:
        return {"n": 0, "p50": None, "p90": None, "p99": None, "max": None}
    return {
        "n": v.len(),
        "p50": float(v.quantile(0.5, "linear") or 0.0),
        "p90": float(v.quantile(0.9, "linear") or 0.0),
        "p99": float(v.quantile(0.99, "linear") or 0.0),
        "max": float(v.max() or 0.0),  # type: ignore[arg-type]
    }


# Bin edges (seconds) for long-tailed distributions: people read "1–2m" better than 37.4.
NICE_EDGES = [0, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200]


def span_label(lo: float, hi: float) -> str:
    """A bin's range in the unit its upper end reads best in: '2–5 s', '10–20 min'."""
    unit, div = ("s", 1.0) if hi <= 120 else ("min", 60.0) if hi <= 7200 else ("h", 3600.0)
    return f"{round(lo / div, 1):g}–{round(hi / div, 1):g} {unit}"


def _nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 × 10^k step ≥ raw (at least 0.1 s)."""
    if raw <= 0.1:
        return 0.1
    base = 10.0 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 5, 10) if m * base >= raw)


def distribution_bins(values: pl.Series, bins: int = 16) -> pl.DataFrame:
    """Histogram rows (lo, hi, n, label) of seconds: even bins when the spread is narrow, else
    the NICE_EDGES ladder (the top bin open-ended). Empty bins inside the range are kept."""
    v = values.cast(pl.Float64).drop_nulls().drop_nans()
    if v.len() == 0:
        return pl.DataFrame(
            schema={"lo": pl.Float64, "hi": pl.Float64, "n": pl.UInt32, "label": pl.String}
        )
    lo_v, hi_v = float(v.min()), float(v.max())  # type: ignore[arg-type]
    p50 = float(v.quantile(0.5, "linear") or 0.0)
    if hi_v <= 60 or hi_v <= 10 * max(p50, 1.0):
        width = _nice_step((hi_v - lo_v) / bins)
        first = math.floor(lo_v / width) * width
        count = max(1, math.ceil((hi_v - first) / width + 1e-9))
        edges = [first + k * width for k in range(count + 1)]
    else:
        inner = [e for e in NICE_EDGES if lo_v < e <= hi_v]
        below = max([e for e in NICE_EDGES if e <= lo_v], default=0)
        edges = [below, *inner, hi_v if hi_v > (inner or [below])[-1] else hi_v + 1]
    cuts = edges[1:-1]
    idx = pl.Series("b", cuts, dtype=pl.Float64).search_sorted(v, side="right")
    n = (
        pl.DataFrame({"b": idx})
        .group_by("b")
        .agg(pl.len().alias("n"))
        .join(
            pl.DataFrame({"b": pl.arange(0, len(edges) - 1, eager=True).cast(idx.dtype)}),
            on="b",
            how="right",
        )
        .sort("b")
        .with_columns(pl.col("n").fill_null(0))
    )
    rows = []
    for b, count in n.select("b", "n").iter_rows():  # one row per bin (≤ 24)
        lo, hi = edges[b], edges[b + 1]
        rows.append((lo, hi, count, span_label(lo, hi)))
    return pl.DataFrame(
        rows,
        schema={"lo": pl.Float64, "hi": pl.Float64, "n": pl.UInt32, "label": pl.String},
        orient="row",
    )


def distribution_figure(values: pl.Series, *, title: str) -> Any:
    """A histogram of seconds, binned here so the figure's size does not grow with the pods."""
    v = values.cast(pl.Float64).drop_nulls().drop_nans()
    summary = distribution_summary(v)
    if summary["n"]:
        subtitle = (
            f"n={summary['n']} · median {duration_text(summary['p50'])}"
            f" · p90 {duration_text(summary['p90'])}"
            f" · max {duration_text(summary['max'])}"
        )
    else:
        subtitle = "no pods"
    binned = distribution_bins(v)
    traces = [
        trace(
            "bar",
            x=binned["label"].to_list(),
            y=binned["n"].to_list(),
            marker={"color": "#3f88c5"},
            hovertext=[f"{lab}: {k} pods" for lab, k in binned.select("label", "n").iter_rows()],
            hoverinfo="text",
            name=esc(title),
        )
    ]
    layout = base_layout(f"{esc(title)}<br><sup>{esc(subtitle)}</sup>", height=280)
    layout.update(
        showlegend=False,
        xaxis={"type": "category", "tickangle": -40, "tickfont": {"size": 10}},
        yaxis={"title": {"text": "pods"}, "gridcolor": "#eeeeee"},
        bargap=0.08,
    )
    layout["margin"] = {"l": 50, "r": 10, "t": 60, "b": 70}
    return make_figure(traces, layout)

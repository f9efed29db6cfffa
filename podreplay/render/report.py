"""Self-contained HTML: the cluster report and one pod's timeline page.

One file per page, plotly.js embedded once, no CDN and no network at view time. Figures and the
time slider's data travel as JSON in `<script type="application/json">` blocks drawn by a little
vanilla JS; every string that came from the cluster is escaped (html.escape in markup, `<`, `>`
and `&` as \\u escapes inside JSON). Output is deterministic: same database, same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import plotly.io as pio
import polars as pl

from podreplay.errors import NotFoundError
from podreplay.render import figures as fg
from podreplay.render import report_data as rd
from podreplay.render import report_why as rw
from podreplay.render.report_assets import CSS, JS
from podreplay.store import Store


@dataclass(frozen=True)
class ReportSummary:
    """What `write_report` wrote."""

    path: Path
    pods: int  # pods in scope
    pods_total: int  # pods in the database
    cluster_rows: int  # rows drawn in the cluster timeline
    timelines: int  # per-pod timelines included
    bytes: int
    start: datetime | None
    end: datetime | None
    missing: list[str] = field(default_factory=list)

    def line(self) -> str:
        """A one-line summary for people."""
        text = (
            f"{self.path}: {self.pods:,} pods ({self.cluster_rows:,} in the cluster timeline),"
            f" {self.timelines} pod timelines, {self.bytes / 1e6:.1f} MB"
        )
        if self.missing:
            text += f" (not available: {', '.join(self.missing)})"
        return text


def json_for_script(value: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` characters at all."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_json(fig: Any) -> str:
    """A figure as script-safe JSON (data + layout)."""
    return json_for_script(pio.to_json(fig, validate=False, pretty=False, engine="json"))


# plotly.js's "basic" partial bundle (npm plotly.js-basic-dist-min, the same version as the
# full bundle plotly.py ships; MIT, see plotly-basic.LICENSE): the scatter, bar and pie traces
# plus every layout component (shapes, annotations, buttons, range slider...), which is all the
# figures use. It is 1.2 MB instead of 4.8 MB, and headless Chromium parses and runs it in about
# a third of the time: that cost was most of the time before a report page is interactive.
PLOTLY_JS = Path(__file__).with_name("plotly-basic.min.js")
PLOTLY_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})


@cache
def _plotly_js() -> str:
    js = PLOTLY_JS.read_text(encoding="utf-8")
    # The HTML parser would end the script element here; plotly.js has none today.
    return js.replace("</script", "<\\/script")


class _Page:
    """Builds one HTML page: markup parts plus the figures' JSON blocks."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = []
        self.n_figures = 0

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def figure(self, fig: Any, div_id: str, *, eager: bool, css: str = "plot") -> None:
        """A div drawn from its JSON block: at load when eager, else when scrolled into view."""
        self.n_figures += 1
        flag = " data-eager" if eager else ""
        # The div keeps the figure's height before it is drawn, so drawing a figure lazily
        # never moves what a link has just scrolled to.
        height = int(fig.layout.height or 450)
        self.add(
            f'<div class="{css}" id="{escape(div_id)}" style="height:{height}px"'
            f' data-spec="{escape(div_id)}-spec"{flag}></div>\n'
            f'<script type="application/json" id="{escape(div_id)}-spec">'
            f"{figure_json(fig)}</script>"
        )

    def html(self) -> str:
        body = "\n".join(self.parts)
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(self.title)}</title>\n<style>{CSS}</style>\n"
            f'<script type="text/javascript">{_plotly_js()}</script>\n'
            f"</head>\n<body>\n{body}\n<script>{JS}</script>\n</body>\n</html>\n"
        )


def _table(headers: list[str], rows: list[list[str]], css: str = "") -> str:
    """An HTML table; `rows` hold already-escaped cell markup."""
    if not rows:
        return '<p class="empty">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _ts(value: datetime | None) -> str:
    return "" if value is None else escape(value.strftime("%Y-%m-%d %H:%M:%S UTC"))


def _secs(value: float | None) -> str:
    return escape(fg.duration_text(value)) if value is not None else ""


def _phase_badge(phase: str | None) -> str:
    if not phase:
        return ""
    color = fg.PHASE_COLORS.get(phase, "#9e9e9e")
    return f'<span class="badge" style="background:{color}">{escape(phase)}</span>'


def _why(row: dict[str, Any]) -> str:
    """The pod's worst problem in words (pod_why), escaped."""
    return f'<span class="why">{escape(row.get("why") or "")}</span>'


def _pod_link(row: dict[str, Any], linked: set[str]) -> str:
    label = escape(str(row["label"]))
    if row["pod_uid"] in linked:
        return f'<a href="#{escape(row["anchor"])}">{label}</a>'
    return label


def _pick_timelines(pods: pl.DataFrame, warnings: pl.DataFrame) -> pl.DataFrame:
    """The pods that get their own timeline: failures, most restarts, slowest to ready, crash
    loops and most warnings, at most TIMELINE_CAP."""
    if pods.height == 0:
        return pods
    p = pods.join(warnings, on="pod_uid", how="left", maintain_order="left").with_columns(
        pl.col("warnings").fill_null(0)
    )
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
    uids = picked["pod_uid"].unique(maintain_order=True).head(rd.TIMELINE_CAP)
    return pods.filter(pl.col("pod_uid").is_in(uids.implode()))


def _cluster_rows(pods: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    """Rows of the cluster timeline: every pod, or past the cap the pods with timelines, then
    the most restarted, failed and slowest ones (shown in namespace/workload order)."""
    if pods.height <= rd.CLUSTER_ROWS_CAP:
        return pods
    ranked = pods.with_columns(
        has_timeline=pl.col("pod_uid").is_in(chosen["pod_uid"].implode()),
        failed=pl.col("final_phase").eq("Failed").fill_null(False),
    ).sort(
        ["has_timeline", "restarts", "failed", "time_to_ready_s", "label"],
        descending=[True, True, True, True, False],
        nulls_last=True,
    )
    keep = ranked.head(rd.CLUSTER_ROWS_CAP)["pod_uid"].implode()
    return pods.filter(pl.col("pod_uid").is_in(keep))


def write_report(
    store: Store,
    out: Path,
    *,
    namespace: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    title: str | None = None,
    selector: str | None = None,
    uids: tuple[str, ...] | None = None,
) -> ReportSummary:
    """Write the cluster report for the pods in scope to `out` (one self-contained HTML file)."""
    text, summary = render_report(
        store,
        namespace=namespace,
        since=since,
        until=until,
        title=title,
        selector=selector,
        uids=uids,
    )
    out.write_text(text, encoding="utf-8")
    return replace(summary, path=out, bytes=len(text.encode("utf-8")))


def render_report(
    store: Store,
    *,
    namespace: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    title: str | None = None,
    selector: str | None = None,
    uids: tuple[str, ...] | None = None,
) -> tuple[str, ReportSummary]:
    """The report's HTML text and its summary (path and bytes unset)."""
    data = rd.select_scope(store, rd.Scope(namespace, since, until, selector, uids))
    page = _Page(title or "podreplay report")
    pods = data.pods
    scope_bits = [f"namespace {namespace}" if namespace else "all namespaces"]
    if selector:
        scope_bits[0] += f" · pods with labels {selector}"
    scope_bits.append(f"{_ts(data.start)} → {_ts(data.end)}")
    page.add(
        f"<header><h1>{escape(page.title)}</h1>"
        f'<p class="scope">{escape(" · ".join(scope_bits[:1]))} · {scope_bits[1]}</p>'
        '<nav><a href="#overview">Overview</a><a href="#cluster">Cluster timeline</a>'
        '<a href="#state">State at a moment</a><a href="#distributions">Distributions</a>'
        '<a href="#offenders">Worst offenders</a><a href="#pods">Pod timelines</a></nav>'
        "</header><main>"
    )
    if "pods" in data.missing:
        page.add(
            '<p class="note">The lifecycle tables are not available in this database'
            " (run <code>podreplay ingest</code> with a current podreplay).</p></main>"
        )
        return page.html(), ReportSummary(Path(), 0, 0, 0, 0, 0, data.start, data.end, data.missing)
    if data.missing:
        page.add(
            f'<p class="note">Not available in this database: {escape(", ".join(data.missing))}'
            "; the sections that need them are left out.</p>"
        )
    warnings = rd.warning_counts(store)
    chosen = _pick_timelines(pods, warnings)
    linked = set(chosen["pod_uid"].to_list())
    restarts = rd.restarts_in_scope(store, data)

    _overview(page, store, data, restarts)
    rows = _cluster_section(page, store, data, chosen, restarts)
    _state_section(page, store, data, linked)
    _distributions(page, data)
    _offenders(page, store, data, linked)
    _pod_sections(page, store, data, chosen)
    page.add("</main>")
    summary = ReportSummary(
        Path(),
        pods.height,
        data.pods_total,
        rows,
        chosen.height,
        0,
        data.start,
        data.end,
        data.missing,
    )
    return page.html(), summary


def _overview(page: _Page, store: Store, data: rd.ReportData, restarts: pl.DataFrame) -> None:
    pods = data.pods
    span = (data.end - data.start).total_seconds() if data.start and data.end else None
    by_phase = (
        pods.group_by(pl.col("final_phase").fill_null("(unknown)"))
        .agg(pl.len().alias("pods"))
        .sort(["pods", "final_phase"], descending=[True, False])
    )
    failed, failed_by = rw.failure_card_text(pods)
    cards = [
        ("capture window", f"{_secs(span)}", f"{_ts(data.start)}<br>{_ts(data.end)}"),
        ("pods", f"{pods.height:,}", f"of {data.pods_total:,} in the database"),
        ("restarts", f"{restarts.height:,}", f"in {restarts['pod_uid'].n_unique():,} pods"),
        ("failed or evicted pods", failed, failed_by),
    ]
    page.add('<section id="overview"><h2>Overview</h2><div class="cards">')
    for name, value, sub in cards:
        page.add(
            f'<div class="card"><div class="k">{escape(name)}</div>'
            f'<div class="v">{value}</div><div class="s">{sub}</div></div>'
        )
    page.add('</div><div class="grid3"><div><h3>Pods by final phase</h3>')
    page.add(
        _table(
            ["final phase", "pods"],
            [[_phase_badge(ph), f"{n:,}"] for ph, n in by_phase.iter_rows()],
        )
    )
    page.add("</div><div><h3>Restarts by cause</h3>")
    causes = (
        restarts.group_by(pl.col("cause").fill_null("unknown"))
        .agg(pl.len().alias("restarts"), pl.col("pod_uid").n_unique().alias("pods"))
        .sort(["restarts", "cause"], descending=[True, False])
    )
    page.add(
        _table(
            ["cause", "restarts", "pods"],
            [[escape(str(c)), f"{r:,}", f"{p:,}"] for c, r, p in causes.iter_rows()],
        )
    )
    page.add("</div><div><h3>Warning events by reason</h3>")
    reasons = rd.warning_reasons(store, data)
    page.add(
        _table(
            ["reason", "occurrences", "pods"],
            [[escape(str(r)), f"{o:,}", f"{p:,}"] for r, o, p in reasons.iter_rows()],
        )
    )
    page.add("</div></div></section>")


def _cluster_section(
    page: _Page, store: Store, data: rd.ReportData, chosen: pl.DataFrame, restarts: pl.DataFrame
) -> int:
    pods = data.pods
    page.add('<section id="cluster"><h2>Cluster timeline</h2>')
    counts = rd.phase_counts(store, data)
    if counts.height:
        page.figure(
            fg.phase_counts_figure(
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
    rows = _cluster_rows(pods, chosen)
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
        label=fg.esc_expr(pl.col("label")),
        link=pl.when(pl.col("pod_uid").is_in(list(linked)))
        .then(pl.col("anchor"))
        .otherwise(pl.lit("")),
    )
    if rows.height:
        phases = rd.phase_intervals(store, data)
        span = (data.start, data.end) if data.start and data.end else None
        overlays = rd.running_overlays(store, data)
        fig = fg.cluster_timeline_figure(rows, phases, restarts, span=span, overlays=overlays)
        page.figure(fig, "fig-cluster", eager=True, css="plot tall")
    page.add("</section>")
    return rows.height


def _state_section(page: _Page, store: Store, data: rd.ReportData, linked: set[str]) -> None:
    page.add('<section id="state"><h2>Cluster state at a moment</h2>')
    changes = rd.state_changes(store, data)
    if data.start is None or data.end is None or changes.height == 0:
        page.add('<p class="empty">not available</p></section>')
        return
    pods = data.pods.with_row_index("i").select(
        "i",
        "pod_uid",
        "label",
        "anchor",
        pl.col("pod_uid").is_in(list(linked)).alias("linked"),
        pl.col("why").fill_null("") if "why" in data.pods.columns else pl.lit("").alias("why"),
    )
    # container states travel as indexes into one list of their texts
    texts = sorted(set(changes.filter(pl.col("kind") == 4)["value"].drop_nulls().to_list()))
    phases = sorted(set(changes.filter(pl.col("kind") == 0)["value"].drop_nulls().to_list()))
    phases = [p for p in rd.PHASES if p in phases] + [p for p in phases if p not in rd.PHASES]
    coded = (
        changes.join(pods.select("pod_uid", "i"), on="pod_uid", how="inner", maintain_order="left")
        .with_columns(
            t=(pl.col("ts") - pl.lit(data.start)).dt.total_milliseconds(),
            v=pl.when(pl.col("kind") == 0)
            .then(pl.col("value").replace_strict(phases, list(range(len(phases))), default=None))
            .when(pl.col("kind") == 1)
            .then((pl.col("value") == "True").cast(pl.Int64))
            .when(pl.col("kind") == 2)
            .then(pl.col("value").cast(pl.Int64, strict=False))
            .when(pl.col("kind") == 4)
            .then(pl.col("value").replace_strict(texts, list(range(len(texts))), default=None))
            .otherwise(pl.lit(0)),
        )
        .sort(["t", "kind", "i", "v"])
    )
    payload = {
        "t0": int(data.start.timestamp() * 1000),
        "span": int((data.end - data.start).total_seconds() * 1000),
        "phases": phases,
        "colors": [fg.PHASE_COLORS.get(p, "#9e9e9e") for p in phases],
        "pods": [
            [label, anchor if is_linked else "", why]
            for label, anchor, is_linked, why in pods.select(
                "label", "anchor", "linked", "why"
            ).iter_rows()
        ],
        "texts": texts,
        "changes": coded.select("t", "i", "kind", "v").rows(),
        "max_rows": 200,
    }
    page.add(
        '<div class="slider"><button type="button" id="state-prev" title="previous change">◀'
        '</button><input type="range" id="state-time" min="0" '
        f'max="{payload["span"]}" step="1" value="{payload["span"]}" aria-label="time">'
        '<button type="button" id="state-next" title="next change">▶</button>'
        '<span id="state-label" class="mono"></span></div>'
        '<div id="state-counts" class="counts"></div>'
        '<input type="search" id="state-filter"'
        ' placeholder="filter: pod, phase, container state or reason…">'
        '<table id="state-table"><thead><tr><th>pod</th><th>phase</th><th>ready</th>'
        "<th>restarts</th><th>containers</th><th>why</th></tr></thead><tbody></tbody></table>"
        '<p id="state-more" class="note"></p>'
        f'<script type="application/json" id="state-data">{json_for_script(payload)}</script>'
        "</section>"
    )


def _distributions(page: _Page, data: rd.ReportData) -> None:
    page.add('<section id="distributions"><h2>Distributions</h2><div class="grid3">')
    specs = [
        ("time_to_ready_s", "Time to ready"),
        ("pending_s", "Time pending"),
        ("image_pull_s", "Image pull time"),
    ]
    for i, (col, name) in enumerate(specs):
        page.add("<div>")
        if col in data.pods.columns and data.pods[col].drop_nulls().len():
            fig = fg.distribution_figure(data.pods[col], title=name)
            page.figure(fig, f"fig-dist-{i}", eager=True, css="plot small")
        else:
            page.add(f'<h3>{escape(name)}</h3><p class="empty">no pods</p>')
        page.add("</div>")
    page.add("</div></section>")


def _offenders(page: _Page, store: Store, data: rd.ReportData, linked: set[str]) -> None:
    pods = data.pods
    page.add('<section id="offenders"><h2>Worst offenders</h2><div class="grid2">')
    n = rd.TABLE_ROWS

    def link(r: dict[str, Any]) -> str:
        return _pod_link(r, linked)

    slow = pods.filter(pl.col("time_to_ready_s").is_not_null()).sort(
        ["time_to_ready_s", "label"], descending=[True, False]
    )
    page.add("<div><h3>Slowest to ready</h3>")
    page.add(
        _table(
            ["pod", "time to ready", "pending", "image pull", "why"],
            [
                [
                    link(r),
                    _secs(r["time_to_ready_s"]),
                    _secs(r["pending_s"]),
                    _secs(r["image_pull_s"]),
                    _why(r),
                ]
                for r in slow.head(n).iter_rows(named=True)
            ],
            "offenders slowest",
        )
    )
    causes = (
        rd.restarts_in_scope(store, data)
        .group_by("pod_uid")
        .agg(pl.col("cause").fill_null("unknown").unique().sort().str.join(", ").alias("causes"))
    )
    most = (
        pods.filter(pl.col("restarts") > 0)
        .join(causes, on="pod_uid", how="left", maintain_order="left")
        .sort(["restarts", "label"], descending=[True, False])
    )
    page.add("</div><div><h3>Most restarts</h3>")
    page.add(
        _table(
            ["pod", "restarts", "causes", "crash loop", "why"],
            [
                [
                    link(r),
                    f"{r['restarts']:,}",
                    escape(r["causes"] or ""),
                    _secs(r["crashloop_s"]),
                    _why(r),
                ]
                for r in most.head(n).iter_rows(named=True)
            ],
            "offenders restarts",
        )
    )
    failed = pods.filter(
        pl.col("final_phase").eq("Failed") | pl.col("final_reason").is_not_null()
    ).sort(["last_seen", "label"], descending=[True, False], nulls_last=True)
    page.add("</div><div><h3>Failures and evictions</h3>")
    page.add(
        _table(
            ["pod", "final phase", "reason", "why", "last seen"],
            [
                [
                    link(r),
                    _phase_badge(r["final_phase"]),
                    escape(r["failure"] or ""),
                    _why(r),
                    _ts(r["last_seen"]),
                ]
                for r in failed.head(n).iter_rows(named=True)
            ],
            "offenders failures",
        )
    )
    problems = rd.problems_in_scope(store, data)
    for title, css, rows in rw.problem_tables(pods, problems, link, n):
        page.add(f"</div><div><h3>{escape(title)}</h3>")
        page.add(_table(["pod", "why"], rows, css))
    page.add("</div></div></section>")


def _pod_sections(page: _Page, store: Store, data: rd.ReportData, chosen: pl.DataFrame) -> None:
    page.add(
        f'<section id="pods"><h2>Pod timelines</h2><p class="note">{chosen.height} pods'
        " that failed, restarted, were slowest to become ready or logged warnings"
        f" (at most {rd.TIMELINE_CAP}).</p>"
    )
    _pod_blocks(page, store, data, chosen, standalone=False)
    page.add("</section>")


def _pod_blocks(
    page: _Page, store: Store, data: rd.ReportData, chosen: pl.DataFrame, *, standalone: bool
) -> None:
    chosen = chosen.sort("label")
    uids = chosen["pod_uid"].to_list()
    if not uids:
        return
    detail = rd.pod_detail_frames(store, data, uids)
    parts = {
        key: {k[0]: v for k, v in frame.partition_by("pod_uid", as_dict=True).items()}
        for key, frame in detail.items()
    }

    def part(key: str, uid: str) -> pl.DataFrame:
        return parts[key].get(uid, detail[key].clear())

    for row in chosen.iter_rows(named=True):  # one block per chosen pod (at most 50)
        uid = row["pod_uid"]
        frames = fg.PodFrames(
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
            ("created", _ts(row.get("created_at"))),
            ("why", _why(row) if row.get("why") else ""),
            ("final phase", _phase_badge(row.get("final_phase"))),
            ("reason", escape(row.get("final_reason") or "")),
            ("restarts", f"{row.get('restarts') or 0:,}"),
            ("time to ready", _secs(row.get("time_to_ready_s"))),
        ]
        page.add(
            f'<article class="pod" id="{escape(row["anchor"])}">'
            f"<h3>{escape(str(row['label']))}</h3><dl>"
            + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts if v)
            + "</dl>"
        )
        fig = fg.pod_timeline_figure(frames, show_title=False)
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
            _ts(r["first_ts"]),
            _ts(r["last_ts"]) if r["last_ts"] != r["first_ts"] else "",
            f'<span class="ev-{"warn" if r["type"] == "Warning" else "normal"}">'
            f"{escape(r['type'] or '')}</span>",
            escape(r["reason"] or ""),
            escape(r["container"] or ""),
            f"{r['count'] or 1:,}",
            f'<span class="msg">{escape(r["message"] or "")}</span>',
        ]
        for r in events.tail(rd.POD_EVENTS_CAP).iter_rows(named=True)
    ]
    more = events.height - len(rows)
    note = f'<p class="note">{more:,} earlier events not listed.</p>' if more > 0 else ""
    return (
        "<details open><summary>Events</summary>"
        + _table(
            ["first", "last", "type", "reason", "container", "count", "message"], rows, "events"
        )
        + note
        + "</details>"
    )


def write_pod_timeline(store: Store, pod_uid: str, out: Path) -> None:
    """Write one pod's interactive timeline and events to `out` (self-contained HTML)."""
    data = rd.select_scope(store, rd.Scope())
    if "pods" in data.missing:
        raise NotFoundError(f"{store.path}: no lifecycle tables (run `podreplay ingest` first)")
    chosen = data.pods.filter(pl.col("pod_uid") == pod_uid)
    if chosen.height == 0:
        raise NotFoundError(f"{pod_uid}: no such pod in {store.path}")
    label = str(chosen["label"][0])
    page = _Page(f"{label} · podreplay timeline")
    page.add(
        f"<header><h1>{escape(label)}</h1>"
        f'<p class="scope">capture {_ts(data.start)} → {_ts(data.end)}</p></header><main>'
    )
    _pod_blocks(page, store, data, chosen, standalone=True)
    page.add("</main>")
    out.write_text(page.html(), encoding="utf-8")

"""The cluster report: one self-contained HTML page whose sections (overview, cluster
timeline, state at a moment, distributions, worst offenders, pod timelines) each come from
their own module; this one picks the scope, lays the sections out in order and sums up."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape
from pathlib import Path

from podreplay.render.html import cluster, distributions, offenders, overview, pods, state
from podreplay.render.html.page import Page, ts
from podreplay.render.html.scope import Scope, restarts_in_scope, select_scope
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
    data = select_scope(store, Scope(namespace, since, until, selector, uids))
    page = Page(title or "podreplay report")
    scope_bits = [f"namespace {namespace}" if namespace else "all namespaces"]
    if selector:
        scope_bits[0] += f" · pods with labels {selector}"
    scope_bits.append(f"{ts(data.start)} → {ts(data.end)}")
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
    chosen = pods.pick_timelines(store, data.pods)
    linked = set(chosen["pod_uid"].to_list())
    restarts = restarts_in_scope(store, data)

    overview.section(page, store, data, restarts)
    rows = cluster.section(page, store, data, chosen, restarts)
    state.section(page, store, data, linked)
    distributions.section(page, data)
    offenders.section(page, store, data, restarts, linked)
    pods.section(page, store, data, chosen)
    page.add("</main>")
    summary = ReportSummary(
        Path(),
        data.pods.height,
        data.pods_total,
        rows,
        chosen.height,
        0,
        data.start,
        data.end,
        data.missing,
    )
    return page.html(), summary

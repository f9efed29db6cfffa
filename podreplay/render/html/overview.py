"""The report's overview: the capture window, pod, restart and failure cards (failures split
by reason), and the tables of pods by final phase, restarts by cause and warnings by reason."""

from __future__ import annotations

from html import escape

import polars as pl

from podreplay.render.html.page import Page, phase_badge, secs, table, ts
from podreplay.render.html.scope import ReportData, table_exists
from podreplay.sqlfiles import Sql
from podreplay.store import Store

SQL = Sql(__file__)


def warning_reasons(store: Store, data: ReportData) -> pl.DataFrame:
    """Warning event reasons for the pods in scope inside the window, most frequent first."""
    if not table_exists(store, "pod_events"):
        return pl.DataFrame(schema={"reason": pl.String, "occurrences": pl.Int64, "pods": pl.Int64})
    return store.frame(SQL("warning_reasons"), [data.start, data.start, data.end, data.end])


def failure_split(pods: pl.DataFrame) -> list[tuple[str, int]]:
    """Failed (or evicted) pods by reason, most first: Error, OOMKilled, Evicted,
    DeadlineExceeded, deleted by a controller, ... (the `failure` column of the report's pods)."""
    if "failure" not in pods.columns:
        return []
    counts = (
        pods.filter(pl.col("failure").is_not_null())
        .group_by("failure")
        .agg(pl.len().alias("n"))
        .sort(["n", "failure"], descending=[True, False])
    )
    return [(str(r), int(n)) for r, n in counts.iter_rows()]


def failure_card_text(pods: pl.DataFrame) -> tuple[str, str]:
    """The failed-pods card: the count and one line per reason (escaped markup)."""
    split = failure_split(pods)
    total = sum(n for _, n in split)
    lines = "<br>".join(f"{escape(reason)} {n:,}" for reason, n in split)
    return f"{total:,}", lines or "none"


def section(page: Page, store: Store, data: ReportData, restarts: pl.DataFrame) -> None:
    """Add the overview section."""
    pods = data.pods
    span = (data.end - data.start).total_seconds() if data.start and data.end else None
    by_phase = (
        pods.group_by(pl.col("final_phase").fill_null("(unknown)"))
        .agg(pl.len().alias("pods"))
        .sort(["pods", "final_phase"], descending=[True, False])
    )
    failed, failed_by = failure_card_text(pods)
    cards = [
        ("capture window", f"{secs(span)}", f"{ts(data.start)}<br>{ts(data.end)}"),
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
        table(
            ["final phase", "pods"],
            [[phase_badge(ph), f"{n:,}"] for ph, n in by_phase.iter_rows()],
        )
    )
    page.add("</div><div><h3>Restarts by cause</h3>")
    causes = (
        restarts.group_by(pl.col("cause").fill_null("unknown"))
        .agg(pl.len().alias("restarts"), pl.col("pod_uid").n_unique().alias("pods"))
        .sort(["restarts", "cause"], descending=[True, False])
    )
    page.add(
        table(
            ["cause", "restarts", "pods"],
            [[escape(str(c)), f"{r:,}", f"{p:,}"] for c, r, p in causes.iter_rows()],
        )
    )
    page.add("</div><div><h3>Warning events by reason</h3>")
    reasons = warning_reasons(store, data)
    page.add(
        table(
            ["reason", "occurrences", "pods"],
            [[escape(str(r)), f"{o:,}", f"{p:,}"] for r, o, p in reasons.iter_rows()],
        )
    )
    page.add("</div></div></section>")

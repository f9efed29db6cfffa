"""The report's worst offenders: the slowest to become ready, the most restarted, failures and
evictions, and one table per problem (pod_problems) in severity order, each row with the
problem in words and a link to the pod's timeline when it has one."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import polars as pl

from podreplay.render.html.page import Page, phase_badge, pod_link, secs, table, ts, why
from podreplay.render.html.scope import ReportData
from podreplay.sqlfiles import Sql
from podreplay.store import Store

SQL = Sql(__file__)
TABLE_ROWS = 15  # rows of each worst-offender table
# The offender tables by problem, in severity order: title, the problems it lists, and the
# pod figure that ranks its rows (largest first).
PROBLEM_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Stuck Pending", ("unschedulable", "stuck_pending"), "pending_s"),
    ("Image pull failures", ("image_pull",), "pending_s"),
    ("Blocked creating (volume, sandbox, config)", ("blocked",), "pending_s"),
    ("OOM kills", ("oom_killed",), "restarts"),
    ("Probe kills", ("probe_kill",), "restarts"),
    ("Crash loops", ("crash_loop",), "crashloop_s"),
    ("Never Ready", ("never_ready",), "not_ready_running_s"),
    ("Slow termination", ("slow_termination",), "terminating_s"),
)


def problems_in_scope(store: Store, data: ReportData) -> pl.DataFrame:
    """Every problem of the pods in scope (pod_problems: pod_uid, problem, severity, why)."""
    if "pod_problems" in data.missing:
        cols = {"pod_uid": pl.String, "problem": pl.String, "severity": pl.Int32}
        return pl.DataFrame(schema=cols | {"why": pl.String})
    return store.frame(SQL("problems"))


def problem_tables(
    pods: pl.DataFrame, problems: pl.DataFrame, link: Callable[[dict[str, Any]], str], rows: int
) -> list[tuple[str, str, list[list[str]]]]:
    """(title, css class, rows of [pod link, why]) for each table of PROBLEM_TABLES; a pod is
    in every table its problems name, with that problem's own words."""
    out = []
    for title, names, rank in PROBLEM_TABLES:
        hit = problems.filter(pl.col("problem").is_in(list(names)))
        listed = (
            pods.join(
                hit.select("pod_uid", pl.col("why").alias("problem_why"), "severity"),
                on="pod_uid",
                how="inner",
            )
            .sort(["severity", rank, "label"], descending=[False, True, False], nulls_last=True)
            .unique("pod_uid", keep="first", maintain_order=True)
        )
        body = [
            [link(r), f'<span class="why">{escape(r["problem_why"] or "")}</span>']
            for r in listed.head(rows).iter_rows(named=True)
        ]
        out.append((f"{title} ({listed.height:,})", "offenders " + names[0], body))
    return out


def section(
    page: Page, store: Store, data: ReportData, restarts: pl.DataFrame, linked: set[str]
) -> None:
    """Add the worst offenders section; `restarts` are those in scope."""
    pods = data.pods
    page.add('<section id="offenders"><h2>Worst offenders</h2><div class="grid2">')
    n = TABLE_ROWS

    def link(r: dict[str, Any]) -> str:
        return pod_link(r, linked)

    slow = pods.filter(pl.col("time_to_ready_s").is_not_null()).sort(
        ["time_to_ready_s", "label"], descending=[True, False]
    )
    page.add("<div><h3>Slowest to ready</h3>")
    page.add(
        table(
            ["pod", "time to ready", "pending", "image pull", "why"],
            [
                [
                    link(r),
                    secs(r["time_to_ready_s"]),
                    secs(r["pending_s"]),
                    secs(r["image_pull_s"]),
                    why(r),
                ]
                for r in slow.head(n).iter_rows(named=True)
            ],
            "offenders slowest",
        )
    )
    causes = restarts.group_by("pod_uid").agg(
        pl.col("cause").fill_null("unknown").unique().sort().str.join(", ").alias("causes")
    )
    most = (
        pods.filter(pl.col("restarts") > 0)
        .join(causes, on="pod_uid", how="left", maintain_order="left")
        .sort(["restarts", "label"], descending=[True, False])
    )
    page.add("</div><div><h3>Most restarts</h3>")
    page.add(
        table(
            ["pod", "restarts", "causes", "crash loop", "why"],
            [
                [
                    link(r),
                    f"{r['restarts']:,}",
                    escape(r["causes"] or ""),
                    secs(r["crashloop_s"]),
                    why(r),
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
        table(
            ["pod", "final phase", "reason", "why", "last seen"],
            [
                [
                    link(r),
                    phase_badge(r["final_phase"]),
                    escape(r["failure"] or ""),
                    why(r),
                    ts(r["last_seen"]),
                ]
                for r in failed.head(n).iter_rows(named=True)
            ],
            "offenders failures",
        )
    )
    problems = problems_in_scope(store, data)
    for title, css, rows in problem_tables(pods, problems, link, n):
        page.add(f"</div><div><h3>{escape(title)}</h3>")
        page.add(table(["pod", "why"], rows, css))
    page.add("</div></div></section>")

"""The report's answers to "why": failures split by reason for the headline, and the worst
offenders by problem (pod_problems), each row with the problem in words."""

from __future__ import annotations

from html import escape
from typing import Any

import polars as pl

# The offender tables by problem, in severity order: title, the problems it lists, and the
# pod figure that ranks its rows (largest first).
PROBLEM_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Stuck Pending", ("unschedulable", "stuck_pending"), "pending_s"),
    ("Image pull failures", ("image_pull",), "pending_s"),
    ("OOM kills", ("oom_killed",), "restarts"),
    ("Probe kills", ("probe_kill",), "restarts"),
    ("Crash loops", ("crash_loop",), "crashloop_s"),
    ("Never Ready", ("never_ready",), "not_ready_running_s"),
    ("Slow termination", ("slow_termination",), "terminating_s"),
)


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


def problem_tables(
    pods: pl.DataFrame, problems: pl.DataFrame, link: Any, rows: int
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

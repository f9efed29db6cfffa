"""The HTML page of `podreplay diff --html`: the two sides' figures side by side per group, and
the failure reasons that are new or gone. Self-contained (the report's stylesheet, no script);
every value from the databases is escaped. It shares the page base with the report."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from podreplay.diff import COUNTS, DiffResult
from podreplay.render.html.page import asset
from podreplay.render.html.plot import duration_text

# higher is better for these; for every other figure (latencies, restarts) higher is worse
_NEUTRAL = ("pods", "pods_created", "running_pod_hours")
DIFF_CSS = """
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.worse { color:#c62828; font-weight:600; }
td.better { color:#2e7d32; font-weight:600; }
.grid-groups { display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr));
  gap:8px 24px; }
.status-new { color:#c62828; font-weight:600; }
.status-gone { color:#2e7d32; font-weight:600; }
"""


def _value(metric: str, value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "–"
    sign = "+" if signed and value > 0 else ("−" if signed and value < 0 else "")
    magnitude = abs(value) if signed else value
    if metric.endswith("_s"):
        text = duration_text(magnitude)
    elif metric in COUNTS[:3] or metric.startswith("restarts:"):
        text = f"{magnitude:,.0f}"
    elif metric == "running_pod_hours":
        text = f"{magnitude:,.1f}"
    else:
        text = f"{magnitude:,.2f}"
    return escape(sign + text)


def _change_class(metric: str, change: float | None) -> str:
    if change is None or change == 0 or metric in _NEUTRAL:
        return "num"
    return "num worse" if change > 0 else "num better"


def _metric_rows(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        m = r["metric"]
        pct = r["change_pct"]
        out.append(
            "<tr>"
            f"<td>{escape(m)}</td>"
            f'<td class="num">{_value(m, r["before"])}</td>'
            f'<td class="num">{_value(m, r["after"])}</td>'
            f'<td class="{_change_class(m, r["change"])}">'
            f"{_value(m, r['change'], signed=True)}</td>"
            f'<td class="num">{"" if pct is None else escape(f"{pct:+.0f} %")}</td>'
            "</tr>"
        )
    return (
        "<table><thead><tr><th>figure</th><th>before</th><th>after</th><th>change</th>"
        "<th>%</th></tr></thead><tbody>\n" + "\n".join(out) + "\n</tbody></table>"
    )


def _group_name(row: dict[str, Any], keys: list[str]) -> str:
    return " / ".join("(none)" if row[k] is None else str(row[k]) for k in keys)


def render_diff_section(result: DiffResult) -> str:
    """The comparison as page sections (markup only; the styles are DIFF_CSS), for this page or
    another one such as the report."""
    keys = [c for c in result.metrics.columns if c not in _METRIC_COLUMNS]
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in result.metrics.iter_rows(named=True):
        groups.setdefault(_group_name(row, keys), []).append(row)
    blocks = "\n".join(
        f"<article><h3>{escape(name)}</h3>{_metric_rows(rows)}</article>"
        for name, rows in groups.items()
    )
    reason_keys = [c for c in result.failure_reasons.columns if c not in _REASON_COLUMNS]
    reasons = "\n".join(
        "<tr>"
        f"<td>{escape(_group_name(r, reason_keys))}</td><td>{escape(str(r['reason']))}</td>"
        f'<td class="num">{r["before"]:,}</td><td class="num">{r["after"]:,}</td>'
        f'<td class="status-{escape(r["status"])}">{escape(r["status"])}</td>'
        "</tr>"
        for r in result.failure_reasons.iter_rows(named=True)
    )
    reasons_table = (
        "<table><thead><tr><th>group</th><th>reason</th><th>before</th><th>after</th>"
        f"<th>status</th></tr></thead><tbody>\n{reasons}\n</tbody></table>"
        if reasons
        else '<p class="empty">none</p>'
    )
    return (
        f'<section id="diff"><h2>Changes by {escape(result.by)}</h2>'
        '<p class="note">Latencies are p50 / p90 over the pods created in the window whose'
        " figure is known; restarts per running pod-hour inside the window; red is worse,"
        " green better.</p>\n"
        f'<div class="grid-groups">\n{blocks}\n</div></section>\n'
        f'<section id="failure-reasons"><h2>Failure reasons</h2>{reasons_table}</section>\n'
    )


def render_diff_page(result: DiffResult) -> str:
    """The whole page as text: the report's stylesheet, a header naming both sides, the
    sections."""
    title = f"podreplay diff by {result.by}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{asset('page.css')}{DIFF_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1>"
        f'<p class="scope">before: {escape(result.before.label())}<br>'
        f"after: {escape(result.after.label())}</p></header>\n<main>\n"
        f"{render_diff_section(result)}</main>\n</body>\n</html>\n"
    )


_METRIC_COLUMNS = ("metric", "before", "after", "change", "change_pct")
_REASON_COLUMNS = ("reason", "before", "after", "status")


def write_diff_page(result: DiffResult, path: str | Path) -> None:
    """Write the page to `path`."""
    Path(path).write_text(render_diff_page(result), encoding="utf-8")

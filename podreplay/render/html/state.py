"""The report's cluster state at a moment: a time slider over every change of phase, Ready,
restart count and container state of the pods in scope, drawn by page.js from one JSON block
(the pods' counts per phase and a filterable table). Its queries are in state.sql."""

from __future__ import annotations

import polars as pl

from podreplay.render.html.page import Page, json_for_script
from podreplay.render.html.plot import PHASE_COLORS
from podreplay.render.html.scope import PHASES, ReportData
from podreplay.sqlfiles import Sql
from podreplay.store import Store

SQL = Sql(__file__)
# the change kinds and the tables they come from
_PARTS = (
    ("phase", "phase_intervals"),
    ("gone", "phase_intervals"),
    ("ready", "condition_intervals"),
    ("containers", "container_intervals"),
    ("restarts", "restarts"),
)


def state_changes(store: Store, data: ReportData) -> pl.DataFrame:
    """Every change of phase, Ready and restart count of the pods in scope, in time order.

    Columns: ts, pod_uid, kind (0 phase, 1 ready, 2 restarts, 3 gone, 4 a container's state),
    value (phase name, 'True'/'False', the restart count so far, or `container=state (reason)`).
    'gone' marks the end of a pod's last phase when the capture saw it end.
    """
    parts = [SQL(name) for name, table in _PARTS if table not in data.missing]
    if not parts:
        return pl.DataFrame(
            schema={
                "ts": pl.Datetime("us", "UTC"),
                "pod_uid": pl.String,
                "kind": pl.Int32,
                "value": pl.String,
            }
        )
    return store.frame(SQL("changes", union="\nUNION ALL\n".join(parts)))


def section(page: Page, store: Store, data: ReportData, linked: set[str]) -> None:
    """Add the state-at-a-moment section."""
    page.add('<section id="state"><h2>Cluster state at a moment</h2>')
    changes = state_changes(store, data)
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
    phases = [p for p in PHASES if p in phases] + [p for p in phases if p not in PHASES]
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
        "colors": [PHASE_COLORS.get(p, "#9e9e9e") for p in phases],
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

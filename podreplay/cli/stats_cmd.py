"""The `podreplay stats` command."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    FormatOption,
    NamespaceOption,
    OutputFormat,
    PodOption,
    SelectorOption,
    SinceOption,
    UntilOption,
    app,
    reporting_errors,
)
from podreplay.errors import UsageError
from podreplay.names import STATS_SECTIONS as SECTIONS


class By(StrEnum):
    """How pods are grouped."""

    pod = "pod"
    workload = "workload"
    namespace = "namespace"
    node = "node"


@app.command()
def stats(
    by: Annotated[By, typer.Option("--by", help="Group by pod, workload, namespace or node.")] = (
        By.pod
    ),
    namespace: NamespaceOption = None,
    selector: SelectorOption = None,
    pod: PodOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            help=f"Print only one section: {', '.join(SECTIONS)}.",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Time in phase, latencies (p50/p90/p99/max), restarts by cause, top failure reasons,
    crash-looping and never-ready pods, per pod, workload, namespace or node.

    Table output prints every section; JSON prints an object of sections; CSV prints the
    summary (one row per group, every percentile column) unless --section picks another.
    A selection that matches no pod exits 3.

    Example: podreplay stats --by workload --namespace default --format table
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    from podreplay.analytics import METRICS, POD_COLUMNS, stats_sections
    from podreplay.cli.output import emit
    from podreplay.cli.selecting import named_pods
    from podreplay.render.terminal import records, with_total
    from podreplay.store import Store

    with reporting_errors():
        if section is not None and section not in SECTIONS:
            raise UsageError(f"--section must be one of {', '.join(SECTIONS)}, not {section!r}")
        with Store(db, read_only=True) as store:
            uids = named_pods(store, pod, namespace)
            frames = stats_sections(store, by.value, namespace, since, until, selector, uids)
        if section is not None:
            emit(frames[section], fmt, section, _drop_first(section, by), _KEEP)
        elif fmt is OutputFormat.json:
            doc = {name: records(df) for name, df in frames.items()}
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        elif fmt is OutputFormat.csv:
            emit(frames["summary"], fmt)
        else:
            summary = frames["summary"]
            if by is By.pod:  # the full figures are in --format csv/json
                summary = summary.select(POD_COLUMNS)
            else:  # the percentiles are in the latencies section; the counts add up
                percentiles = tuple(
                    f"{m[:-2]}_{q}_s" for m in METRICS for q in ("p50", "p90", "p99", "max")
                )
                summary = summary.select(c for c in summary.columns if not c.endswith(percentiles))
                summary = with_total(summary, summary.columns[0], "total")
            emit(summary, fmt, f"pods by {by.value}", _drop_first("summary", by), _KEEP)
            for name in SECTIONS[1:]:
                if frames[name].height:
                    emit(frames[name], fmt, name.replace("_", " "), _drop_first(name, by), _KEEP)


def _drop_first(section: str, by: By) -> tuple[str, ...]:
    """Columns a narrow terminal loses first: node and workload go in lists of pods, never
    where they are the group."""
    if by is By.pod or section in ("crashlooping", "never_ready"):
        return _DROP_FIRST
    return tuple(c for c in _DROP_FIRST if c not in ("node", "workload"))


# what a narrow terminal loses first (see _drop_first), and what it keeps beside the names
_DROP_FIRST = (
    "pod_uid",
    "node",
    "terminating_s",
    "not_ready_running_s",
    "image_pull_s",
    "time_to_scheduled_s",
    "running_s",
    "workload",
)
_KEEP = ("final_phase", "restarts", "pods", "why")

"""The `podreplay stats` command."""

from __future__ import annotations

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
    from podreplay.analytics import stats_sections
    from podreplay.cli.output import emit, emit_document, show
    from podreplay.cli.selecting import named_pods
    from podreplay.render.terminal import sections
    from podreplay.store import Store

    with reporting_errors():
        if section is not None and section not in SECTIONS:
            raise UsageError(f"--section must be one of {', '.join(SECTIONS)}, not {section!r}")
        with Store(db, read_only=True) as store:
            uids = named_pods(store, pod, namespace)
            frames = stats_sections(store, by.value, namespace, since, until, selector, uids)
        if section is not None:
            show([sections.stats_section(frames, section, by.value)], fmt)
        elif fmt is OutputFormat.json:
            emit_document(sections.sections_document(frames))
        elif fmt is OutputFormat.csv:
            emit(frames["summary"], fmt)
        else:
            show(sections.stats_tables(frames, by.value), fmt)

"""What `podreplay ingest` tells the user: the sources read as a table (or one line with
--quiet), and the notices about sources skipped, already ingested, failed or with rejects."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from podreplay.render.terminal.cells import with_total
from podreplay.render.terminal.tables import Shown

if TYPE_CHECKING:
    import polars as pl

    from podreplay.ingest import IngestResult, SourceResult


def summary_frame(result: IngestResult) -> pl.DataFrame:
    """One row per source: what was read and what happened to it."""
    import polars as pl  # here: `ingest -q` prints one line and needs no frame

    return pl.DataFrame(
        {
            "source": [s.path for s in result.sources],
            "status": [s.status for s in result.sources],
            "format": [s.format for s in result.sources],
            "objects": [s.n_objects for s in result.sources],
            "events": [s.n_events for s in result.sources],
            "pods": [s.n_pods for s in result.sources],
            "skipped": [s.n_skipped for s in result.sources],
            "rejects": [s.n_rejects for s in result.sources],
            "first_ts": [s.first_ts for s in result.sources],
            "last_ts": [s.last_ts for s in result.sources],
            "observed": [s.observed_basis for s in result.sources],
        },
        schema_overrides={
            "first_ts": pl.Datetime("us", "UTC"),
            "last_ts": pl.Datetime("us", "UTC"),
            "observed": pl.String,
        },
    )


# a narrow terminal loses these columns first, and never the ones a user adds up
_DROP_FIRST = ("observed", "format", "objects", "first_ts", "last_ts")
_KEEP = ("status", "events", "pods", "skipped", "rejects")


def sources_table(result: IngestResult, total: bool) -> Shown:
    """The sources read, one row each, with a total row (and the span) when `total`."""
    import polars as pl  # here: `ingest -q` prints one line and needs no frame

    frame = summary_frame(result)
    if total:
        span = (pl.col("first_ts").min(), pl.col("last_ts").max())
        frame = with_total(frame, "source", f"total ({frame.height} sources)", span)
    return Shown(frame, "ingested sources", _DROP_FIRST, _KEEP)


_STATUSES = (
    ("ingested", "ingested"),
    ("duplicate", "already ingested"),
    ("not-a-capture", "not captures"),
    ("failed", "failed"),
)
_COUNTS = (
    ("n_events", "events"),
    ("n_pods", "pod snapshots"),
    ("n_skipped", "skipped"),
    ("n_rejects", "rejects"),
)


def summary_line(result: IngestResult) -> str:
    """The whole ingest in one line (what -q prints)."""
    sources = result.sources
    statuses = [s.status for s in sources]
    kept = ", ".join(f"{statuses.count(k)} {label}" for k, label in _STATUSES if k in statuses)
    counts = ", ".join(f"{sum(getattr(s, a) for s in sources):,} {label}" for a, label in _COUNTS)
    files = f"{len(sources)} file{'s' if len(sources) != 1 else ''}"
    return f"podreplay: {files} ({kept or 'none'}): {counts}"


def problems(result: IngestResult, quiet: bool) -> tuple[list[str], bool]:
    """The notices after an ingest (with `quiet`, only the errors), and whether any source
    failed or had rejects."""
    lines = [] if quiet else skipped_notices(result)
    bad = False
    for source in result.sources:
        if source.status == "failed":
            lines.append(f"podreplay: error: {source.error}")
            bad = True
        elif source.n_rejects:
            extra = f" (+{source.n_rejects - 1} more)" if source.n_rejects > 1 else ""
            lines.append(
                f"podreplay: error: {source.path}:{source.first_reject}{extra}; "
                "kept in the rejects table"
            )
            bad = True
        elif quiet:
            continue
        elif source.status == "duplicate":
            lines.append(f"podreplay: {source.path}: already ingested (same content), skipped")
        elif source.status == "ingested" and (source.n_text_lines or source.n_foreign):
            lines.append(f"podreplay: {source.path}: {_skipped_text(source)}")
        if source.skipped_kinds and not quiet:
            kinds = source.skipped_kinds
            lines.append(f"podreplay: {source.path}: other kinds counted, not loaded: {kinds}")
    return lines, bad


def _skipped_text(source: SourceResult) -> str:
    parts = []
    if source.n_text_lines:
        parts.append(f"{source.n_text_lines} lines of text skipped")
    if source.n_foreign:
        parts.append(f"{source.n_foreign} JSON/YAML values that are no Kubernetes object skipped")
    return ", ".join(parts)


def skipped_notices(result: IngestResult) -> list[str]:
    """One notice per kind of file (its extension) skipped for holding no Kubernetes object
    (a must-gather's `nodes/*/cpu_affinities.json`, pod logs), not one per file."""
    groups: dict[str, list[str]] = {}
    for source in result.sources:
        if source.status == "not-a-capture":
            suffix = PurePosixPath(source.path.rsplit("!", 1)[-1]).suffix
            groups.setdefault(suffix, []).append(source.path)
    lines = []
    for suffix, paths in groups.items():
        if len(paths) == 1:
            lines.append(f"podreplay: {paths[0]}: no Kubernetes objects, skipped")
            continue
        what = f"{suffix} files" if suffix else "files without extension"
        lines.append(
            f"podreplay: {len(paths)} {what} hold no Kubernetes objects, skipped (e.g. {paths[0]})"
        )
    return lines

"""What an ingest call is given and what it reports: options, per-source results, and the
observation time a file name carries. No database, no reading."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from podreplay import fastpath
from podreplay.names import DEFAULT_CLUSTER
from podreplay.readers import DEFAULT_MAX_DECOMPRESSED

# bounded memory for GB-sized sources: DuckDB spills to disk beyond it (the 1M-event, 1.3 GB
# benchmark List peaks at about 1.2 GB of process memory with it)
DEFAULT_MEMORY_LIMIT = "1GB"

_FILE_TS = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})T(\d{2})[:_-]?(\d{2})[:_-]?(\d{2})(?:\.\d+)?Z", re.IGNORECASE
)


@dataclass
class SourceResult:
    """What happened to one source."""

    path: str
    status: str = "ingested"  # ingested | duplicate | not-a-capture | failed
    format: str = "unknown"
    n_objects: int = 0
    n_events: int = 0
    n_pods: int = 0
    n_skipped: int = 0
    n_rejects: int = 0
    n_foreign: int = 0  # JSON/YAML values that are no Kubernetes object (in n_skipped too)
    n_text_lines: int = 0  # lines of text between documents and in log sections, skipped
    skipped_kinds: str | None = None
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    observed_at: datetime | None = None
    observed_basis: str | None = None
    first_reject: str | None = None  # "location: error" of the first rejected object
    error: str | None = None  # why a failed source failed


@dataclass
class IngestResult:
    """The outcome of one ingest call."""

    sources: list[SourceResult] = field(default_factory=list)
    interrupted: str | None = None  # the source Ctrl-C stopped (rolled back); later ones unread

    @property
    def n_rejects(self) -> int:
        return sum(s.n_rejects for s in self.sources)

    @property
    def failed(self) -> list[SourceResult]:
        return [s for s in self.sources if s.status == "failed"]


@dataclass(frozen=True)
class IngestOptions:
    """Settings that apply to every source of one ingest call."""

    observed_at: datetime | None = None
    cluster: str = DEFAULT_CLUSTER  # the cluster these sources were captured from
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
    on_bytes: Callable[[int], None] | None = None
    on_source: Callable[[str], None] | None = None
    fast_min_bytes: int = fastpath.DEFAULT_MIN_BYTES  # smaller files: the Python reader
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT  # DuckDB spills to disk beyond this


def file_timestamp(path: str) -> datetime | None:
    """A UTC observation time written in a file name (YYYYMMDDTHHMMSSZ or RFC 3339-like)."""
    matches = list(_FILE_TS.finditer(Path(path).name))
    if not matches:
        return None
    y, mo, d, h, mi, s = (int(g) for g in matches[-1].groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    except ValueError:
        return None


def observed_times(name: str, options: IngestOptions) -> tuple[datetime | None, datetime | None]:
    """(the time a source was observed, if given or in its name; the time in its name)."""
    file_ts = None if name == "<stdin>" else file_timestamp(name)
    return options.observed_at or file_ts, file_ts

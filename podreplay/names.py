"""Names and defaults the command line shows in its help: the database, the sections of
`stats` and `diff`, the ingest size limit (the simulator's own are in `podreplay/sim/names.py`).

They live here, with no import beyond the standard library, so that `podreplay --help` does
not load DuckDB or polars to print them; the modules that use them import them from here.
"""

from __future__ import annotations

DEFAULT_DB = "podreplay.duckdb"
DB_ENV = "PODREPLAY_DB"

# `ingest --cluster`: the cluster a source belongs to when none is named (sources.cluster).
DEFAULT_CLUSTER = "default"

# The sections of `stats` (analytics.stats_sections), summary first.
STATS_SECTIONS: tuple[str, ...] = (
    "summary",
    "latencies",
    "restart_causes",
    "failure_reasons",
    "crashlooping",
    "never_ready",
)

# The sections of `diff` (diff.DiffResult).
DIFF_SECTIONS: tuple[str, ...] = ("metrics", "failure_reasons")

# `ingest --max-gz-size`: the most bytes one compressed source may expand to.
DEFAULT_MAX_DECOMPRESSED = 8 << 30

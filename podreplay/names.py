"""Names and defaults the command line shows in its help: the database, the sections of
`stats` and `diff`, the ingest size limit, the simulator's scenarios, files and event behaviours.

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

# The files `simulate` writes and its scenarios (simscenarios.SCENARIOS has them in this order;
# a test holds the two together).
SIMULATED_FORMATS: tuple[str, ...] = ("events", "events_v1", "snapshots", "watch")
SIMULATED_SCENARIOS: tuple[str, ...] = (
    "healthy",
    "init_containers",
    "crashloop",
    "liveness_kill",
    "startup_probe",
    "oom_kill",
    "image_pull_failure",
    "unschedulable",
    "node_loss",
    "eviction",
    "readiness_flap",
    "termination",
    "recreated",
    "job_succeeded",
    "job_failed",
    "preemption",
    "native_sidecar",
    "init_failure",
    "ephemeral_debug",
    "inplace_resize",
    "volume_mount_failure",
    "sandbox_failure",
    "config_error",
    "pressure_eviction",
    "api_eviction",
    "scheduler_preemption",
    "taint_eviction",
)
# `simulate --event-behaviour` (simevents.written_events): what the API server holds of the
# events at the capture end.
EVENT_BEHAVIOURS: tuple[str, ...] = ("ttl", "spam_filter", "series_lag")

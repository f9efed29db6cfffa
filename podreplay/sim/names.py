"""The simulator's names that `simulate --help` shows: its file formats, scenarios and event
behaviours. Plain constants, so that --help can list them without loading the simulator."""

from __future__ import annotations

# The files `simulate` writes and its scenarios (scenarios.SCENARIOS has them in this order;
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
    "sandbox_recreated",
    "pressure_eviction",
    "api_eviction",
    "scheduler_preemption",
    "taint_eviction",
)
# `simulate --event-behaviour` (events.written_events): what the API server holds of the
# events at the capture end.
EVENT_BEHAVIOURS: tuple[str, ...] = ("ttl", "spam_filter", "series_lag")

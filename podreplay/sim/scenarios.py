"""The named scenarios: each creates one or more pods of a workload and drives them (the
generators live in basic, containers, creation and disruption, built from steps).

Every generator has the signature `(cl, wl, t0, n_pods) -> None`; `n_pods` is how many pod
objects it must create (1 for most; jobs that retry and recreated StatefulSet pods take more).
"""

from __future__ import annotations

from collections.abc import Callable

from podreplay.sim.basic import (
    sc_crashloop,
    sc_healthy,
    sc_image_pull_failure,
    sc_init_containers,
    sc_job_failed,
    sc_job_succeeded,
    sc_liveness_kill,
    sc_oom_kill,
    sc_readiness_flap,
    sc_recreated,
    sc_startup_probe,
    sc_termination,
    sc_unschedulable,
)
from podreplay.sim.cluster import Cluster
from podreplay.sim.containers import (
    sc_ephemeral_debug,
    sc_init_failure,
    sc_inplace_resize,
    sc_native_sidecar,
)
from podreplay.sim.creation import (
    sc_config_error,
    sc_sandbox_failure,
    sc_sandbox_recreated,
    sc_volume_mount_failure,
)
from podreplay.sim.disruption import (
    sc_api_eviction,
    sc_eviction,
    sc_node_loss,
    sc_preemption,
    sc_pressure_eviction,
    sc_scheduler_preemption,
    sc_taint_eviction,
)
from podreplay.sim.workload import (
    Workload,
)

ScenarioFn = Callable[[Cluster, Workload, int, int], None]

SCENARIOS: dict[str, tuple[ScenarioFn, int]] = {
    # name: (generator, default weight)
    "healthy": (sc_healthy, 30),
    "init_containers": (sc_init_containers, 6),
    "crashloop": (sc_crashloop, 8),
    "liveness_kill": (sc_liveness_kill, 6),
    "startup_probe": (sc_startup_probe, 4),
    "oom_kill": (sc_oom_kill, 5),
    "image_pull_failure": (sc_image_pull_failure, 5),
    "unschedulable": (sc_unschedulable, 4),
    "node_loss": (sc_node_loss, 3),
    "eviction": (sc_eviction, 3),
    "readiness_flap": (sc_readiness_flap, 5),
    "termination": (sc_termination, 6),
    "recreated": (sc_recreated, 3),
    "job_succeeded": (sc_job_succeeded, 6),
    "job_failed": (sc_job_failed, 3),
    "preemption": (sc_preemption, 2),
    "native_sidecar": (sc_native_sidecar, 4),
    "init_failure": (sc_init_failure, 4),
    "ephemeral_debug": (sc_ephemeral_debug, 2),
    "inplace_resize": (sc_inplace_resize, 2),
    "volume_mount_failure": (sc_volume_mount_failure, 2),
    "sandbox_failure": (sc_sandbox_failure, 2),
    "config_error": (sc_config_error, 2),
    "sandbox_recreated": (sc_sandbox_recreated, 2),
    "pressure_eviction": (sc_pressure_eviction, 2),
    "api_eviction": (sc_api_eviction, 2),
    "scheduler_preemption": (sc_scheduler_preemption, 1),
    "taint_eviction": (sc_taint_eviction, 1),
}

# How many pods a scenario creates: (minimum, maximum).
POD_COUNTS: dict[str, tuple[int, int]] = {"recreated": (2, 3), "job_failed": (1, 3)}

KINDS: dict[str, list[str]] = {
    "healthy": ["Deployment"] * 5 + ["StatefulSet", "DaemonSet", "DaemonSet", "Pod"],
    "recreated": ["StatefulSet"],
    "job_succeeded": ["Job", "CronJob"],
    "job_failed": ["Job", "Job", "CronJob"],
    "eviction": ["Deployment", "Deployment", "Pod"],
    "preemption": ["Deployment", "Pod"],
    "init_failure": ["Deployment", "Deployment", "StatefulSet", "Job"],
    "pressure_eviction": ["Deployment", "Deployment", "Pod"],
}
DEFAULT_KINDS = ["Deployment"] * 4 + ["StatefulSet"]

"""Workloads and pod objects of the simulator: names, owners, labels, container specs, QoS.

A `Workload` is the controller (Deployment, StatefulSet, DaemonSet, Job, CronJob, or a bare
Pod) whose naming and ownership rules `new_pod` applies to every pod a scenario creates.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from podreplay.sim.cluster import Cluster
from podreplay.sim.model import ContainerSpec, PodModel, Probe, rand_name, rand_uid
from podreplay.sim.pod import PodSim

NAMESPACES = ["shop", "shop", "default", "payments", "search"]
WORKLOAD_NAMES = [
    "checkout", "cart", "payments-api", "search", "catalog", "frontend", "auth", "orders",
    "inventory", "shipping", "recommender", "notifications", "gateway", "billing", "profile",
]  # fmt: skip
SIDECARS = ["envoy", "log-shipper"]
INIT_NAMES = ["wait-for-db", "migrate", "fetch-config"]
BAD_IMAGE = "registry.example.com/shop/{name}:v9.9.9-does-not-exist"


@dataclass
class Workload:
    """The controller a scenario's pods belong to."""

    kind: str  # Deployment | StatefulSet | DaemonSet | Job | CronJob | Pod
    name: str
    namespace: str
    image: str
    uid: str
    hash: str = ""
    ordinal: int = 0
    job_serial: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def qos_of(specs: list[ContainerSpec]) -> str:
    """QoS class from requests/limits, as the API server computes it."""
    if all(not s.requests and not s.limits for s in specs):
        return "BestEffort"
    for s in specs:
        for r in ("cpu", "memory"):
            if s.limits.get(r) is None or s.requests.get(r, s.limits.get(r)) != s.limits[r]:
                return "Burstable"
    return "Guaranteed"


def app_spec(
    rng: random.Random, wl: Workload, qos: str | None = None, probes: list[Probe] | None = None
) -> ContainerSpec:
    """The main container of a workload."""
    qos = qos or rng.choice(["Burstable", "Burstable", "Guaranteed", "BestEffort"])
    req: dict[str, str] = {}
    lim: dict[str, str] = {}
    if qos == "Burstable":
        req = {"cpu": rng.choice(["50m", "100m", "250m"]), "memory": "128Mi"}
        lim = {"memory": rng.choice(["256Mi", "512Mi"])}
    elif qos == "Guaranteed":
        req = {"cpu": "500m", "memory": "512Mi"}
        lim = dict(req)
    return ContainerSpec(
        name=wl.name.split("-")[0] if wl.kind != "DaemonSet" else wl.name,
        image=wl.image,
        requests=req,
        limits=lim,
        probes=probes or [],
        pre_stop=rng.random() < 0.4,
        image_size=rng.randrange(8_000_000, 400_000_000),
    )


def new_pod(
    cl: Cluster,
    wl: Workload,
    scenario: str,
    specs: list[ContainerSpec],
    t: int,
    restart_policy: str = "Always",
) -> PodSim:
    """A pod object of `wl` created at `t` (name, owner, labels per controller kind)."""
    rng = cl.rng
    labels: dict[str, str] = {"app": wl.name}
    owner_kind: str | None
    owner_name: str | None
    workload: str | None = wl.name
    workload_kind: str | None = wl.kind
    if wl.kind == "Deployment":
        owner_kind, owner_name = "ReplicaSet", f"{wl.name}-{wl.hash}"
        name = f"{owner_name}-{rand_name(rng, 5)}"
        labels["pod-template-hash"] = wl.hash
    elif wl.kind == "StatefulSet":
        owner_kind, owner_name = "StatefulSet", wl.name
        name = f"{wl.name}-{wl.ordinal}"
        labels["statefulset.kubernetes.io/pod-name"] = name
        labels["controller-revision-hash"] = f"{wl.name}-{wl.hash}"
    elif wl.kind == "DaemonSet":
        owner_kind, owner_name = "DaemonSet", wl.name
        name = f"{wl.name}-{rand_name(rng, 5)}"
        labels["controller-revision-hash"] = wl.hash
    elif wl.kind in ("Job", "CronJob"):
        job = wl.name if wl.kind == "Job" else f"{wl.name}-{28_490_000 + wl.job_serial}"
        owner_kind, owner_name = "Job", job
        name = f"{job}-{rand_name(rng, 5)}"
        labels = {"batch.kubernetes.io/job-name": job, "job-name": job}
        workload, workload_kind = job, "Job"
    else:
        owner_kind = owner_name = None
        workload = workload_kind = None
        name = wl.name
    owner_uid: str | None
    if owner_kind == "Job" and wl.kind == "CronJob":
        owner_uid = wl.extra.setdefault(f"job{wl.job_serial}", rand_uid(rng))
    elif owner_kind == "ReplicaSet":
        owner_uid = wl.extra.setdefault("rs", rand_uid(rng))
    else:
        owner_uid = wl.uid if owner_kind else None
    model = PodModel(
        uid=rand_uid(rng),
        namespace=wl.namespace,
        name=name,
        scenario=scenario,
        workload=workload,
        workload_kind=workload_kind,
        owner_kind=owner_kind,
        owner_name=owner_name,
        owner_uid=owner_uid,
        labels=labels,
        restart_policy=restart_policy,
        grace=rng.choice([30, 30, 30, 10, 60]),
        qos=qos_of(specs),
        specs=specs,
        created=t,
    )
    p = PodSim(cl, model)
    if wl.kind == "CronJob" and f"created{wl.job_serial}" not in wl.extra:
        wl.extra[f"created{wl.job_serial}"] = "yes"
        text = f"Created job {owner_name}"
        cl.owner_event(t, model, "SuccessfulCreate", text, kind="CronJob", name=wl.name, uid=wl.uid)
    p.create(t)
    return p


def pick_node(cl: Cluster) -> str:
    """A random node name."""
    return cl.rng.choice(cl.nodes).name


def readiness() -> Probe:
    """A typical readiness probe."""
    return Probe("readiness", period=10, failure_threshold=3, initial_delay=5, path="/ready")


def liveness(threshold: int = 3) -> Probe:
    """A typical liveness probe."""
    return Probe("liveness", period=10, failure_threshold=threshold, initial_delay=15)


def startup() -> Probe:
    """A typical startup probe."""
    return Probe("startup", period=10, failure_threshold=3, initial_delay=0)


def make_workload(
    rng: random.Random, kind: str, used: dict[str, int], ds_count: list[int]
) -> Workload:
    """A new workload of `kind` with a fresh name (a numeric suffix when a name repeats)."""
    if kind == "DaemonSet":
        base = ["node-exporter", "fluent-bit", "kube-proxy-extra"][ds_count[0] % 3]
        ns, image = (
            "monitoring",
            {
                "node-exporter": "quay.io/prometheus/node-exporter:v1.7.0",
                "fluent-bit": "cr.fluentbit.io/fluent/fluent-bit:2.2.2",
            }.get(base, "registry.k8s.io/kube-proxy:v1.29.2"),
        )
    else:
        base = rng.choice(WORKLOAD_NAMES)
        ns = rng.choice(NAMESPACES)
        if kind in ("Job", "CronJob"):
            base = rng.choice(["nightly-report", "db-backup", "reindex", "invoice-export"])
            ns = "batch"
        if kind == "StatefulSet":
            base = rng.choice(["redis", "kafka", "postgres", "zookeeper", "etcd"])
            ns = "data"
        image = {
            "redis": "redis:7.2.4",
            "postgres": "postgres:16.2",
        }.get(base, f"registry.example.com/{ns}/{base}:1.{rng.randrange(0, 20)}.{rng.randrange(9)}")
    n = used.get(base, 0)
    used[base] = n + 1
    name = base if n == 0 else f"{base}-{n + 1}"
    return Workload(
        kind=kind,
        name=name,
        namespace=ns,
        image=image,
        uid=rand_uid(rng),
        hash=rand_name(rng, 10 if kind == "Deployment" else 9),
    )

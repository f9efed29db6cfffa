"""Normalising staged sources and storing each in its own transaction.

`normalize` runs the `sql/ingest_*.sql` steps once over every source of a batch (the `stage`
table, column `src`); `plan_sources` settles once for the batch which sources are duplicates,
the ids the others get and which pod snapshots are stored already; `store_source` then stores
one source in a transaction of its own: its rejects, events, pods and owners (`*_write.sql`),
its `sources` row.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from podreplay.ingest_model import IngestOptions, SourceResult, observed_times
from podreplay.readers import ReadStats
from podreplay.store import Store, sql_statements, sql_text


@dataclass
class Pending:
    """A source read into the batch, waiting for its transaction."""

    src: int
    result: SourceResult
    stats: ReadStats
    n_items: int
    digest: str


def normalize(
    store: Store,
    pending: list[Pending],
    lists: list[tuple[int, int, str]],
    options: IngestOptions,
) -> dict[int, dict[str, Any]]:
    """Run the normalisation steps over every staged source at once; each one's summary."""
    meta = pl.DataFrame(
        {
            "src": [p.src for p in pending],
            "observed_at": [options.observed_at for _ in pending],
            "file_ts": [observed_times(p.result.path, options)[1] for p in pending],
        },
        schema={
            "src": pl.Int32,
            "observed_at": pl.Datetime("us", "UTC"),
            "file_ts": pl.Datetime("us", "UTC"),
        },
    )
    kinds_of = pl.DataFrame(
        {
            "src": [s for s, _, _ in lists],
            "list_no": [n for _, n, _ in lists],
            "kind": [k for _, _, k in lists],
        },
        schema={"src": pl.Int32, "list_no": pl.Int32, "kind": pl.String},
    )
    with store.registered({"batch_meta": meta, "batch_lists": kinds_of}):
        store.execute(
            "CREATE OR REPLACE TEMP TABLE stage_meta AS SELECT * FROM batch_meta; "
            "CREATE OR REPLACE TEMP TABLE stage_lists AS SELECT * FROM batch_lists"
        )
    _run(store, "ingest_10_classify.sql")
    summaries: dict[int, dict[str, Any]] = {
        p.src: {
            "kinds": {},
            "n_foreign": 0,
            "n_events": 0,
            "n_pods": 0,
            "n_rejects": 0,
            "first_reject": None,
            "events_span": (None, None),
            "pods_span": (None, None),
        }
        for p in pending
    }
    rows = store.rows(
        "SELECT src, kind, count(*) FILTER (WHERE kind IS NOT NULL), "
        "count(*) FILTER (WHERE is_foreign) FROM stage_class "
        "WHERE kind IS NOT NULL OR is_foreign GROUP BY ALL"
    )
    for src, kind, n, foreign in rows:
        summary = summaries[src]
        summary["n_foreign"] += int(foreign)
        if kind is not None:
            summary["kinds"][kind] = int(n)
    all_kinds = {k for s in summaries.values() for k in s["kinds"]}
    if "Event" in all_kinds:
        _run(store, "ingest_20_events.sql")
        for src, n, first, last in store.rows(
            "SELECT src, count(*), min(first_ts), max(last_ts) FROM stage_events "
            "WHERE error = '' GROUP BY src"
        ):
            summaries[src]["n_events"] = n
            summaries[src]["events_span"] = (first, last)
    if "CaptureGap" in all_kinds:
        _run(store, "ingest_50_gaps.sql")
    if "Pod" in all_kinds:
        _run(store, "ingest_30_pods.sql")
        for src, n, first, last in store.rows(
            "SELECT src, count(*), min(observed_at), max(observed_at) FROM timed_pods GROUP BY src"
        ):
            summaries[src]["n_pods"] = n
            summaries[src]["pods_span"] = (first, last)
    for src, n, location, error in store.rows(
        "SELECT src, count(*), first(location ORDER BY step, seq), first(error ORDER BY step, seq)"
        " FROM stage_rejects GROUP BY src"
    ):
        summaries[src]["n_rejects"] = n
        summaries[src]["first_reject"] = f"{location}: {error}"
    for summary in summaries.values():
        _summarize(summary)
    return summaries


def _summarize(summary: dict[str, Any]) -> None:
    """The sources-row counts of one source from its kinds and spans."""
    kinds: dict[str, int] = summary["kinds"]
    foreign = summary["n_foreign"]
    others = {k: n for k, n in kinds.items() if k not in ("Event", "Pod", "CaptureGap")}
    summary["n_objects"] = sum(kinds.values()) + foreign
    summary["n_skipped"] = sum(others.values()) + foreign
    ranked = sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))
    summary["skipped_kinds"] = ", ".join(f"{k}:{n}" for k, n in ranked) or None
    spans = []
    if "Event" in kinds:
        spans.append(summary["events_span"])
    if "Pod" in kinds:
        spans.append(summary["pods_span"])
    firsts = [f for f, _ in spans if f is not None]
    lasts = [t for _, t in spans if t is not None]
    summary["first_ts"] = min(firsts) if firsts else None
    summary["last_ts"] = max(lasts) if lasts else None


def plan_sources(
    store: Store,
    pending: list[Pending],
    summaries: dict[int, dict[str, Any]],
    options: IngestOptions,
) -> dict[int, int | str]:
    """Each source of the batch: the id it will be stored as, or why it is not stored
    ('duplicate', 'not-a-capture'). One query for the batch: ids are max + 1 in order (not a
    sequence: a source not stored leaves no gap; the writer lock, `store.writing`, keeps them
    free), and identical bytes observed at the same time in the same cluster are a duplicate,
    whether stored before or earlier in the batch (an unchanged snapshot observed at another
    time is new evidence)."""
    keys = [(p.digest, observed_times(p.result.path, options)[0]) for p in pending]
    next_id = int(store.scalar("SELECT coalesce(max(source_id), 0) + 1 FROM sources"))
    found = store.rows(
        "SELECT i FROM (SELECT unnest(?::VARCHAR[]) AS sha256, "
        "unnest(?::TIMESTAMPTZ[]) AS observed_at, unnest(range(?)) AS i) AS b "
        "WHERE EXISTS (SELECT 1 FROM sources AS s WHERE s.sha256 = b.sha256 "
        "AND s.observed_at IS NOT DISTINCT FROM b.observed_at AND s.cluster = ?)",
        [[d for d, _ in keys], [o for _, o in keys], len(keys), options.cluster],
    )
    stored = {keys[int(i)] for (i,) in found}
    plan: dict[int, int | str] = {}
    for entry, key in zip(pending, keys, strict=True):
        summary = summaries[entry.src]
        if key in stored:
            plan[entry.src] = "duplicate"
        elif summary["n_foreign"] and summary["n_objects"] == summary["n_foreign"]:
            # JSON or YAML, but no Kubernetes object in it (a must-gather's cpu_affinities.json)
            plan[entry.src] = "not-a-capture"
        else:
            plan[entry.src] = next_id
            next_id += 1
            stored.add(key)
    for summary in summaries.values():
        summary["stored_pods"] = None  # (first seq, last seq, bases) of the snapshots it stores
    if any(s["n_pods"] for s in summaries.values()):
        # pod snapshots stored before the batch, or by an earlier source of it, are kept once
        kept = [src for src, planned in plan.items() if isinstance(planned, int)]
        drop, drop_containers, drop_conditions, ranges = sql_statements("ingest_33_pods_stored.sql")
        if store.scalar(drop, [kept]):
            store.execute(drop_containers)
            store.execute(drop_conditions)
        for src, lo, hi, bases in store.rows(ranges):
            summaries[src]["stored_pods"] = (lo, hi, bases)
    return plan


def store_source(
    store: Store,
    pending: Pending,
    summary: dict[str, Any],
    options: IngestOptions,
    planned: int | str,
) -> None:
    """Store one normalised source in its own transaction (`planned`: its id from `plan_sources`,
    or why it is not stored): its rows, its sources row."""
    result = pending.result
    observed, file_ts = observed_times(result.path, options)
    if planned == "not-a-capture":
        result.status = "not-a-capture"
        result.format = "not-kubernetes"
        result.n_foreign = summary["n_foreign"]
        return
    if isinstance(planned, str):
        result.status = "duplicate"
        return
    source_id = planned
    basis = "option" if options.observed_at else "file_name" if file_ts else None
    with store.transaction():
        _store_rows(store, pending.src, source_id, summary, options.cluster)
        store.execute(
            "INSERT INTO sources VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source_id,
                result.path,
                pending.digest,
                pending.stats.format,
                summary["n_objects"],
                summary["n_rejects"],
                summary["n_events"],
                summary["n_pods"],
                summary["n_skipped"],
                summary["skipped_kinds"],
                observed,
                basis,
                summary["first_ts"],
                summary["last_ts"],
                options.cluster,
            ],
        )
    _fill_result(store, result, source_id, summary, observed, basis)


def plain(summary: dict[str, Any]) -> bool:
    """Whether storing the source is plain filtered inserts only (its pods, its sources row):
    no step that joins against what is stored (events, owners, gaps, rejects)."""
    return not (summary["n_rejects"] or summary["n_events"] or _CUR_KINDS & summary["kinds"].keys())


class Lean:
    """DuckDB set up for many small transactions of plain inserts: one thread and no optimizer.
    A one-row insert then costs about half its usual set-up (the optimizer's passes and the
    worker threads' hand-over weigh more than the statement); a step that joins against what is
    stored (`plain` is false) runs with both restored. `restore` puts back what was set."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.threads: int | None = None  # the setting to restore while lean

    def set(self, lean: bool) -> None:
        if lean and self.threads is None:
            self.threads = int(self.store.scalar("SELECT current_setting('threads')"))
            self.store.execute("SET threads = 1")
            self.store.execute("PRAGMA disable_optimizer")
        elif not lean:
            self.restore()

    def restore(self) -> None:
        if self.threads is not None:
            self.store.execute("PRAGMA enable_optimizer")
            self.store.execute("SET threads = ?", [self.threads])
            self.threads = None


def _store_rows(
    store: Store, src: int, source_id: int, summary: dict[str, Any], cluster: str
) -> None:
    """The rows of source `src` of the batch into the tables, as source `source_id` of
    `cluster`."""
    kinds = summary["kinds"]
    if not plain(summary):  # the steps below that read the source from `cur`
        store.execute(
            "CREATE OR REPLACE TEMP TABLE cur AS SELECT ?::INTEGER AS src, "
            "?::INTEGER AS source_id, ?::VARCHAR AS cluster",
            [src, source_id, cluster],
        )
    if summary["n_rejects"]:
        store.execute(
            "INSERT INTO rejects SELECT (SELECT source_id FROM cur), location, error, "
            "left(doc, 65536) FROM stage_rejects WHERE src = (SELECT src FROM cur) "
            "ORDER BY step, seq"
        )
    if summary["n_events"]:
        _run(store, "ingest_25_events_write.sql")
    if summary["stored_pods"] is not None:
        lo, hi, _ = summary["stored_pods"]
        for statement in sql_statements("ingest_35_pods_write.sql"):
            store.execute(statement, [source_id, lo, hi])
    if _OWNER_KINDS & kinds.keys():
        _run(store, "ingest_45_owners_write.sql")
    if "CaptureGap" in kinds:  # written by `podreplay capture`
        _run(store, "ingest_55_gaps_write.sql")


_OWNER_KINDS = {
    "ReplicaSet",
    "Job",
    "StatefulSet",
    "DaemonSet",
    "Deployment",
    "CronJob",
    "ReplicationController",
}
# kinds whose *_write.sql step reads the source from `cur` (events and rejects too)
_CUR_KINDS = _OWNER_KINDS | {"CaptureGap"}


# connections whose temp macros (ingest_00_macros.sql) exist: created once, outside any
# source's transaction (a rolled-back source would take them with it)
_PREPARED: weakref.WeakSet[Store] = weakref.WeakSet()


def prepare(store: Store) -> None:
    """Create the normalisation macros once per connection."""
    if store not in _PREPARED:
        _run(store, "ingest_00_macros.sql")
        _PREPARED.add(store)


@functools.cache
def _script(name: str) -> str:
    return sql_text(name)


def _run(store: Store, name: str, params: list[Any] | None = None) -> None:
    """Run a shipped SQL script (its text read once per process)."""
    store.execute(_script(name), params)


def _fill_result(
    store: Store,
    result: SourceResult,
    source_id: int,
    summary: dict[str, Any],
    observed: datetime | None,
    basis: str | None,
) -> None:
    keys = (
        "n_objects",
        "n_events",
        "n_pods",
        "n_skipped",
        "n_foreign",
        "n_rejects",
        "skipped_kinds",
    )
    for key in keys:
        setattr(result, key, summary[key])
    result.first_ts = summary["first_ts"]
    result.last_ts = summary["last_ts"]
    result.observed_at = observed
    result.observed_basis = basis
    if result.observed_basis is None and result.n_pods:
        stored = summary["stored_pods"]
        result.observed_basis = str(stored[2] if stored else None)
    if summary["first_reject"] is not None:
        result.first_reject = summary["first_reject"]

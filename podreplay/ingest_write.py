"""Normalising staged sources and storing each in its own transaction.

`normalize` runs the `sql/ingest_*.sql` steps once over every source of a batch (the `stage`
table, column `src`); `store_source` then stores one source in a transaction of its own: the
duplicate check, its rejects, events, pods and owners (`*_write.sql`), its `sources` row.
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
from podreplay.store import Store, sql_text


class _Duplicate(Exception):
    """Raised inside the transaction to undo a source already ingested."""


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
    store.con.register("batch_meta", meta)
    store.con.register("batch_lists", kinds_of)
    try:
        store.execute(
            "CREATE OR REPLACE TEMP TABLE stage_meta AS SELECT * FROM batch_meta; "
            "CREATE OR REPLACE TEMP TABLE stage_lists AS SELECT * FROM batch_lists"
        )
    finally:
        store.con.unregister("batch_meta")
        store.con.unregister("batch_lists")
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


def store_source(
    store: Store, pending: Pending, summary: dict[str, Any], options: IngestOptions
) -> None:
    """Store one normalised source in its own transaction: duplicate check, its rows, its
    sources row."""
    result = pending.result
    observed, file_ts = observed_times(result.path, options)
    try:
        with store.transaction():
            # not a sequence: a source rolled back (duplicate) leaves no gap; the writer lock
            # (store.writing) makes max + 1 safe. Identical bytes observed at another time (an
            # unchanged snapshot) are new evidence.
            source_id, seen = store.rows(
                "SELECT coalesce(max(source_id), 0) + 1, count(*) FILTER (WHERE sha256 = ? "
                "AND observed_at IS NOT DISTINCT FROM ? AND cluster = ?) FROM sources",
                [pending.digest, observed, options.cluster],
            )[0]
            if seen:
                raise _Duplicate
            if summary["n_foreign"] and summary["n_objects"] == summary["n_foreign"]:
                # JSON or YAML, but no Kubernetes object in it (a must-gather's
                # cpu_affinities.json)
                result.status = "not-a-capture"
                result.format = "not-kubernetes"
                result.n_foreign = summary["n_foreign"]
                raise _Duplicate
            _store_rows(store, pending.src, int(source_id), summary, options.cluster)
            basis = "option" if options.observed_at else "file_name" if file_ts else None
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
    except _Duplicate:
        if result.status != "not-a-capture":
            result.status = "duplicate"
        return
    _fill_result(store, result, int(source_id), summary, observed, basis)


def _store_rows(
    store: Store, src: int, source_id: int, summary: dict[str, Any], cluster: str
) -> None:
    """The rows of source `src` of the batch into the tables, as source `source_id` of
    `cluster`."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE cur AS SELECT ?::INTEGER AS src, ?::INTEGER AS source_id, "
        "?::VARCHAR AS cluster",
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
    if summary["n_pods"]:
        _run(store, "ingest_35_pods_write.sql")
    if _OWNER_KINDS & summary["kinds"].keys():
        _run(store, "ingest_45_owners_write.sql")
    if "CaptureGap" in summary["kinds"]:  # written by `podreplay capture`
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


def _run(store: Store, name: str) -> None:
    """Run a shipped SQL script (its text read once per process)."""
    store.execute(_script(name))


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
        result.observed_basis = str(
            store.scalar(
                "SELECT string_agg(DISTINCT observed_basis, ',') FROM pod_snapshots "
                "WHERE source_id = ?",
                [source_id],
            )
        )
    if summary["first_reject"] is not None:
        result.first_reject = summary["first_reject"]

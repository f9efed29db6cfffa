"""Rebuilding the derived tables (lifecycle intervals, restarts, statistics) after an ingest.

Each `podreplay/sql/derive_NN_*.sql` file creates or replaces derived tables from the ingested
facts and the files before it; they run in lexical order inside one transaction.

`derive_10` makes the small global tables (capture span, source groups, List views, capture
scopes): they are always recomputed in full. Every later file makes per-pod tables (each row has
a `pod_uid` and depends only on that pod's facts and the global tables). A full rebuild runs the
files as they are ("every pod"). An incremental rebuild (`rebuild(store, since=N)`, after sources
N+1.. were added) runs the same SQL over *shadows*: temporary tables of the same names holding
only the facts of the pods the new evidence touches (`incremental_touched.sql` finds them,
`incremental_shadows.sql` copies their facts), which DuckDB resolves before the database's own
tables; each per-pod table is then replaced for those pods (DELETE their rows, INSERT the
recomputed ones).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podreplay.store import (
    REBUILD_TABLES,
    Store,
    sql_files,
    sql_statements,
    sql_text,
)

if TYPE_CHECKING:
    from podreplay.ingest import IngestOptions, IngestResult

# the derived tables of the database contract (docs/sql.md); helper tables are not listed
DERIVED_TABLES = (
    "pods",
    "phase_intervals",
    "condition_intervals",
    "container_intervals",
    "restarts",
    "probe_failures",
    "pod_stats",
    "pod_problems",
    "pod_why",
)

GLOBAL_FILE_PREFIX = "derive_10_"  # the global tables: recomputed in full each time
# the fact tables a per-pod file may read, shadowed by the touched pods' rows
# (incremental_shadows.sql)
SHADOWED_FACTS = (
    "events",
    "event_versions",
    "pod_snapshots",
    "container_snapshots",
    "condition_snapshots",
)
# the meta key of the last source events_by_pod holds
BY_POD_MARK = "events_by_pod_through"
_CREATE = "CREATE OR REPLACE TABLE "
PODS_FILE = "derive_15_pods.sql"  # the first pass of an incremental rebuild ends here


@dataclass(frozen=True)
class RebuildStats:
    """What a rebuild recomputed: every pod (`full`) or `pods` of them."""

    full: bool
    pods: int


def derive_files() -> list[str]:
    """The derive SQL files, in run order."""
    return sql_files("derive_")


def _created_table(statement: str) -> str | None:
    """The table a `CREATE OR REPLACE TABLE x AS` statement makes, else None."""
    text = "\n".join(
        line for line in statement.splitlines() if not line.lstrip().startswith("--")
    ).strip()
    if not text.startswith(_CREATE):
        return None
    return text[len(_CREATE) :].split()[0]


def rebuild(store: Store, since: int | None = None) -> RebuildStats:
    """Recreate the derived tables from the ingested tables: in full (`since` None, or no
    derived tables yet), else only for the pods that sources after `since` touch."""
    with store.transaction():
        return _rebuild(store, since)


def _rebuild(store: Store, since: int | None) -> RebuildStats:
    version = derive_version()
    made_by = store.scalar("SELECT value FROM meta WHERE key = 'derive_version'")
    store.execute("INSERT OR REPLACE INTO meta VALUES ('derive_version', ?)", [version])
    # derived rows another version of the derive SQL made are not reused
    by_pod_since = store.scalar("SELECT value FROM meta WHERE key = ?", [BY_POD_MARK])
    if (
        since is None
        or made_by != version
        or by_pod_since is None
        or not store.has_tables((*DERIVED_TABLES, *REBUILD_TABLES))
    ):
        _prepare_full(store)
        for table in REBUILD_TABLES:
            store.execute(f"DROP TABLE IF EXISTS {table}")
        _update_by_pod(store, -1)  # derive_10 reads event_bounds
        for name in derive_files():
            store.execute(sql_text(name))
        _drop_helpers(store)
        return RebuildStats(full=True, pods=int(store.scalar("SELECT count(*) FROM pods")))
    if last_source(store) == since:  # nothing new (duplicates only): nothing to recompute
        _drop_helpers(store)
        return RebuildStats(full=False, pods=0)
    # what note_before counted; unknown (no note_before since the last rebuild): all new
    store.execute(
        "CREATE TEMP TABLE IF NOT EXISTS before_counts AS "
        "SELECT 0 AS n_event_versions, NULL::BIGINT AS n_events, NULL::BIGINT AS since"
    )
    _update_by_pod(store, int(by_pod_since))
    return _incremental(store, since)


def _update_by_pod(store: Store, by_pod_since: int) -> None:
    """Bring events_by_pod and event_bounds up to the last source: the events of the sources
    after `by_pod_since` (all of them from -1, into new tables; event_bounds all of them again
    when stored events were replaced)."""
    db = _quote(str(store.scalar("SELECT current_database()")))
    replaced = _events_replaced(store, by_pod_since)
    store.execute("SET VARIABLE by_pod_since = ?", [by_pod_since])
    store.execute("SET VARIABLE by_pod_replaced = ?", [replaced])
    store.execute("SET VARIABLE bounds_since = ?", [-1 if replaced else by_pod_since])
    store.execute(_with_db("incremental_by_pod.sql", db))
    store.execute(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)", [BY_POD_MARK, str(last_source(store))]
    )


def _events_replaced(store: Store, since: int) -> bool:
    """Whether the sources after `since` replaced stored events (newer versions of their keys):
    not when the events grew by exactly the rows those sources hold since note_before counted
    them after `since`; unknown (a full rebuild, no count, another `since`): replaced."""
    if since < 0:
        return True
    return bool(
        store.scalar(
            "SELECT coalesce(any_value(since) IS DISTINCT FROM $since OR any_value(n_events) + "
            "(SELECT count(*) FROM events WHERE source_id > $since) "
            "<> (SELECT count(*) FROM events), true) FROM before_counts",
            {"since": since},
        )
    )


@functools.cache
def derive_version() -> str:
    """A digest of the derive SQL: an incremental rebuild keeps only rows the same SQL made."""
    digest = hashlib.sha256()
    for name in [*derive_files(), *sql_files("incremental_")]:
        digest.update(name.encode() + b"\0" + sql_text(name).encode() + b"\0")
    return digest.hexdigest()[:16]


def _prepare_full(store: Store) -> None:
    """The helpers derive_15 reads, for every pod: all List members, no kept pods."""
    store.execute(
        "CREATE OR REPLACE TEMP VIEW list_members AS SELECT source_id, observed_at, pod_uid "
        "FROM pod_snapshots WHERE watch_type IS NULL"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE kept_first_seen (pod_uid VARCHAR, first_seen TIMESTAMPTZ)"
    )


def _incremental(store: Store, since: int) -> RebuildStats:
    """Recompute the global tables, then the per-pod tables for the touched pods only."""
    db = _quote(str(store.scalar("SELECT current_database()")))
    store.execute("SET VARIABLE rebuild_since = ?", [since])
    # the global tables as the last rebuild left them, to see which scopes the new sources moved
    for table in ("source_groups", "list_views", "capture_scopes"):
        store.execute(f"CREATE OR REPLACE TEMP TABLE before_{table} AS SELECT * FROM {table}")
    # owner records and event versions before the ingest (note_before); unknown: all new
    store.execute(
        "CREATE TEMP TABLE IF NOT EXISTS before_owners AS "
        "SELECT namespace, kind, name, owner_kind, owner_name FROM owners WHERE false"
    )
    files = derive_files()
    global_files = [n for n in files if n.startswith(GLOBAL_FILE_PREFIX)]
    per_pod = [n for n in files if n not in global_files]
    first_pass = per_pod[: per_pod.index(PODS_FILE) + 1]
    for name in global_files:
        store.execute(sql_text(name))
    store.execute(_with_db("incremental_touched.sql", db))
    if store.scalar(
        "SELECT count(*) > (SELECT n_event_versions FROM before_counts) FROM event_versions"
    ):
        store.execute(_with_db("incremental_versions.sql", db))
    # the events of the passes so far, by their order in events (events_by_pod.seq); each pass
    # fetches those of its new names only
    store.execute(
        "CREATE OR REPLACE TEMP TABLE shadow_events AS "
        f"SELECT * EXCLUDE (raw), 0::BIGINT AS r FROM {db}.main.events WHERE false"
    )
    store.execute("CREATE OR REPLACE TEMP TABLE new_names AS SELECT * FROM rebuild_names")
    # the pods recomputed (incremental_shadows.sql adds each pass's), and the first sightings of
    # the others (derive_15 dates the Lists with them; each pass deletes its pods')
    store.execute("CREATE OR REPLACE TEMP TABLE rebuild_pods (pod_uid VARCHAR)")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE kept_first_seen AS "
        f"SELECT pod_uid, first_seen FROM {db}.main.pods"
    )
    store.execute(_with_db("incremental_shadows.sql", db))
    made = _run_shadowed(store, first_pass)
    # Lists that now continue from another time: the pods they may prove gone are touched, in
    # a second pass. Their own evidence did not change (else they were touched already), so
    # their first sightings stay and no List moves again: a third pass would be idle.
    store.execute(_with_db("incremental_lists.sql", db))
    if store.scalar("SELECT count(*) FROM list_names"):
        store.execute("INSERT INTO rebuild_names SELECT * FROM list_names")
        store.execute("CREATE OR REPLACE TEMP TABLE new_names AS SELECT * FROM list_names")
        store.execute(_with_db("incremental_shadows.sql", db))
        made = _run_shadowed(store, first_pass)
    made += _run_shadowed(store, per_pod[len(first_pass) :])
    n_pods = int(store.scalar("SELECT count(*) FROM rebuild_pods"))
    for table in made:
        store.execute(
            f"DELETE FROM {db}.main.{table} WHERE pod_uid IN (SELECT pod_uid FROM rebuild_pods)"
        )
        store.execute(f"INSERT INTO {db}.main.{table} BY NAME SELECT * FROM temp.main.{table}")
        store.execute(f"DROP TABLE temp.main.{table}")
    for table in SHADOWED_FACTS:
        store.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    _drop_helpers(store)
    return RebuildStats(full=False, pods=n_pods)


def _with_db(name: str, db: str) -> str:
    return sql_text(name).replace("{db}", db)


def _run_shadowed(store: Store, names: list[str]) -> list[str]:
    """Run derive files over the shadows, each derived table made as a temporary table of the
    touched pods' rows; the tables made, in order."""
    made: list[str] = []
    for name in names:
        for statement in sql_statements(name):
            created = _created_table(statement)
            if created is None:
                if not statement.lstrip().upper().startswith("CREATE OR REPLACE VIEW"):
                    store.execute(statement)  # macros; views are unchanged
                continue
            store.execute(statement.replace(_CREATE, "CREATE OR REPLACE TEMP TABLE ", 1))
            made.append(created)
            if created == "pod_events":
                # pods only events name get a surrogate uid there: theirs are touched too
                store.execute(
                    "INSERT INTO rebuild_pods SELECT DISTINCT pod_uid FROM temp.main.pod_events "
                    "EXCEPT SELECT pod_uid FROM rebuild_pods"
                )
    return made


def _drop_helpers(store: Store) -> None:
    for view in ("list_members",):
        store.execute(f"DROP VIEW IF EXISTS temp.main.{view}")
    for table in (
        "kept_first_seen",
        "kept_from_db",
        "rebuild_pods",
        "rebuild_names",
        "before_source_groups",
        "before_list_views",
        "before_capture_scopes",
        "before_owners",
        "before_counts",
        "new_sources",
        "moved_sources",
        "moved_scopes",
        "list_names",
        "shadow_events",
        "new_names",
    ):
        store.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def last_source(store: Store) -> int:
    """The highest source_id so far (0 in an empty database)."""
    return int(store.scalar("SELECT coalesce(max(source_id), 0) FROM sources"))


def note_before(store: Store) -> int:
    """Before an ingest: keep what the incremental rebuild after it compares with (the owner
    records, which pods' workloads new ones may rename; how many event versions there are) and
    return the last source_id, the rebuild's `since`."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE before_owners AS "
        "SELECT DISTINCT namespace, kind, name, owner_kind, owner_name FROM owners"
    )
    since = last_source(store)
    store.execute(
        "CREATE OR REPLACE TEMP TABLE before_counts AS SELECT "
        "(SELECT count(*) FROM event_versions) AS n_event_versions, "
        "(SELECT count(*) FROM events) AS n_events, ?::BIGINT AS since",
        [since],
    )
    return since


def ingest_and_rebuild(
    store: Store,
    paths: Sequence[str | Path],
    options: IngestOptions | None = None,
    *,
    ingest: Callable[[Store, list[str | Path], IngestOptions], IngestResult] | None = None,
    before_rebuild: Callable[[], None] | None = None,
) -> tuple[IngestResult, RebuildStats]:
    """Ingest `paths` (one transaction per source) and rebuild what the new sources touch
    (everything in a database not rebuilt before). `ingest` replaces `ingest_paths` (the CLI's
    progress bar); `before_rebuild` runs between the two (the CLI holds Ctrl-C from then)."""
    from podreplay.ingest import IngestOptions, ingest_paths

    since = note_before(store)
    result = (ingest or ingest_paths)(store, list(paths), options or IngestOptions())
    if before_rebuild is not None:
        before_rebuild()
    return result, rebuild(store, since=since)

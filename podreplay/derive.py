"""Rebuilding the derived tables (lifecycle intervals, restarts, statistics) after an ingest.

Each `podreplay/sql/derive_NN_*.sql` file creates or replaces derived tables from the ingested
facts and the files before it; they run in lexical order inside one transaction.
"""

from __future__ import annotations

from podreplay.store import Store, sql_files, sql_text

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


def derive_files() -> list[str]:
    """The derive SQL files, in run order."""
    return sql_files("derive_")


def rebuild(store: Store) -> None:
    """Recreate every derived table from the ingested tables."""
    with store.transaction():
        for name in derive_files():
            store.execute(sql_text(name))

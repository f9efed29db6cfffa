"""Export every table and view of a podreplay database as Parquet (but `events_by_pod` and
`event_bounds`, the rebuild's own tables), for engines beyond DuckDB.

Objects with a `namespace` column are written Hive-partitioned (`NAME/namespace=NS/*.parquet`);
the others as one `NAME.parquet` file. `_manifest.json` lists what was written and the row counts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from podreplay.errors import UsageError
from podreplay.sqlfiles import Sql
from podreplay.store import REBUILD_TABLES, Store

MANIFEST = "_manifest.json"
PARTITION_COLUMN = "namespace"
SQL = Sql(__file__)


@dataclass(frozen=True)
class ExportedObject:
    """One table or view written: where, how many rows, and its partitioning."""

    name: str
    kind: str  # table | view
    rows: int
    path: str  # relative to the export directory
    partitioned_by: list[str]
    files: list[str]


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A SQL string literal (COPY takes its target as a literal, not a parameter)."""
    return "'" + text.replace("'", "''") + "'"


def exportable_objects(store: Store) -> list[tuple[str, str, bool]]:
    """(name, kind, has a namespace column) for every table and view in the main schema but
    the rebuild's own tables (the events stored by pod, their time bounds per source)."""
    rows = store.rows(SQL("objects"), [PARTITION_COLUMN, list(REBUILD_TABLES)])
    return [(str(name), str(kind), bool(ns)) for name, kind, ns in rows]


def export_parquet(store: Store, out_dir: str | Path) -> list[ExportedObject]:
    """Write every table and view under `out_dir` as Parquet plus `_manifest.json`.

    Existing exports of the same objects are overwritten; other files are left alone.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    written = [
        _export_one(store, out, name, kind, ns) for name, kind, ns in exportable_objects(store)
    ]
    manifest = {
        "format": "parquet",
        "exported_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "database": Path(store.path).name,
        "objects": [asdict(o) for o in written],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return written


def _export_one(store: Store, out: Path, name: str, kind: str, has_ns: bool) -> ExportedObject:
    rows = int(store.scalar(f"SELECT count(*) FROM {quote_ident(name)}"))
    partitioned = has_ns and rows > 0  # an empty partitioned COPY writes no file at all
    if partitioned:
        target = out / name
        options = f"FORMAT parquet, PARTITION_BY ({quote_ident(PARTITION_COLUMN)}), OVERWRITE"
    else:
        target = out / f"{name}.parquet"
        options = "FORMAT parquet"
    store.execute(
        f"COPY (SELECT * FROM {quote_ident(name)}) TO {quote_literal(str(target))} ({options})"
    )
    files = (
        sorted(str(p.relative_to(out)) for p in target.rglob("*.parquet"))
        if partitioned
        else [target.name]
    )
    return ExportedObject(
        name=name,
        kind=kind,
        rows=rows,
        path=target.name,
        partitioned_by=[PARTITION_COLUMN] if partitioned else [],
        files=files,
    )

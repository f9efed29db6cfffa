"""The `podreplay export` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import DEFAULT_DB_PATH, DbOption, app, note, reporting_errors
from podreplay.export import MANIFEST, export_parquet
from podreplay.store import Store


@app.command()
def export(
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            metavar="DIR",
            help="Directory to write one Parquet file (or namespace-partitioned folder) per "
            "table and view, plus _manifest.json.",
        ),
    ],
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Export every table and view as Parquet, Hive-partitioned by namespace where it has one.

    Example: podreplay export --parquet out/ --db podreplay.duckdb
    """
    with reporting_errors():
        with Store(db, read_only=True) as store:
            written = export_parquet(store, parquet)
        rows = sum(o.rows for o in written)
        note(f"wrote {len(written)} tables and views ({rows} rows) to {parquet}; see {MANIFEST}")

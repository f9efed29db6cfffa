"""The `podreplay query` command."""

from __future__ import annotations

from typing import Annotated

import typer

from podreplay.cli.app import (
    DEFAULT_DB_PATH,
    DbOption,
    FormatOption,
    OutputFormat,
    app,
    reporting_errors,
)
from podreplay.errors import UsageError


@app.command()
def query(
    spec: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME|FILE.sql|SQL",
            help="A named query (see --list), a .sql file, or SQL text.",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Query parameter NAME=VALUE (repeatable)."),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    list_queries: Annotated[
        bool, typer.Option("--list", help="List the named queries and what they answer.")
    ] = False,
    write: Annotated[
        bool, typer.Option("--write", help="Open the database read-write (default: read-only).")
    ] = False,
    db: DbOption = DEFAULT_DB_PATH,
) -> None:
    """Run a named query, a .sql file or SQL text against the database.

    Parameters are DuckDB named parameters ($namespace) bound from --param; the database is
    opened read-only unless --write is given.

    Example: podreplay query slowest_to_ready --param namespace=default --param limit=5
    """
    # imported here, not at the top: `--help` must not load DuckDB, polars or plotly
    import polars as pl

    from podreplay.cli.output import emit
    from podreplay.queries import bundled_queries, parse_params, resolve, run_query
    from podreplay.store import Store, writing

    with reporting_errors():
        if list_queries:
            rows = [
                {
                    "name": q.name,
                    "description": q.description,
                    "params": ", ".join(
                        p.name if p.required else f"{p.name}={p.default or 'all'}" for p in q.params
                    ),
                }
                for q in bundled_queries()
            ]
            emit(pl.DataFrame(rows), fmt, "named queries")
            return
        if spec is None:
            raise UsageError("give a query NAME, FILE.sql or SQL text (or --list)")
        named = resolve(spec)
        values = parse_params(param or [])
        if write:
            with writing(db) as store:
                result = run_query(store, named, values)
        else:
            with Store(db, read_only=True) as store:
                result = run_query(store, named, values)
        emit(result, fmt, None if named.origin == "inline" else named.name)

"""`podreplay --version`: the installed package's version, from its metadata."""

from __future__ import annotations

from typing import Annotated

import typer

from podreplay.cli.app import app


def installed_version() -> str:
    """The version pip installed (pyproject.toml's), or `unknown` when run from a bare source
    tree."""
    # not at the top: importlib.metadata costs ~10 ms on every command, --help included
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("podreplay")
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"podreplay {installed_version()}")
        raise typer.Exit()


@app.callback()
def _global_options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version (`podreplay X.Y.Z`) and exit.",
        ),
    ] = False,
) -> None:
    """Rebuild Kubernetes pod lifecycles from kubectl captures: ingest, timelines, statistics,
    SQL, replay and HTML reports."""

"""The typer application, exit codes, shared options and the one place errors become messages.

Only the CLI prints, reads argv or exits. stdout carries data; notes, progress and errors go
to stderr as `podreplay: error: ...`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from podreplay.errors import (
    AmbiguousError,
    DatabaseBusyError,
    NotFoundError,
    PodreplayError,
    UsageError,
)
from podreplay.store import DB_ENV, DEFAULT_DB

app = typer.Typer(
    name="podreplay",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Rebuild Kubernetes pod lifecycles from kubectl captures: ingest, timelines, "
    "statistics, SQL, replay and HTML reports.",
)


class ExitCode(IntEnum):
    """Exit codes scripts can rely on."""

    OK = 0
    ERROR = 1  # failed, or some input was rejected
    USAGE = 2  # bad arguments (also click's own code)
    NOT_FOUND = 3  # the pod, query or database named does not exist
    BUSY = 4  # another process holds the database for writing
    INTERRUPTED = 130


class OutputFormat(StrEnum):
    """Tabular output formats."""

    table = "table"
    csv = "csv"
    json = "json"


DbOption = Annotated[
    Path,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        help=f"DuckDB file (env {DB_ENV}).",
        show_default=True,
    ),
]
DEFAULT_DB_PATH = Path(DEFAULT_DB)

FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format: table, csv or json."),
]

NamespaceOption = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Only this namespace.")
]


def note(message: str) -> None:
    """A human-facing line on stderr."""
    typer.echo(message, err=True)


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    """Print `podreplay: error: message` on stderr and exit with `code`."""
    typer.echo(f"podreplay: error: {message}", err=True)
    raise typer.Exit(int(code))


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Turn library errors into one stderr line and an exit code; never a traceback.

    Set PODREPLAY_DEBUG=1 to see the traceback of an unexpected error.
    """
    try:
        yield
    except AmbiguousError as exc:
        lines = "\n".join(f"  {c}" for c in exc.candidates)
        typer.echo(f"podreplay: error: {exc}\n{lines}", err=True)
        raise typer.Exit(int(ExitCode.USAGE)) from None
    except UsageError as exc:
        fail(str(exc), ExitCode.USAGE)
    except NotFoundError as exc:
        fail(str(exc), ExitCode.NOT_FOUND)
    except DatabaseBusyError as exc:
        fail(str(exc), ExitCode.BUSY)
    except PodreplayError as exc:
        fail(str(exc), ExitCode.ERROR)
    except KeyboardInterrupt:
        typer.echo("podreplay: interrupted", err=True)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # the one broad catch: no traceback for users
        if os.environ.get("PODREPLAY_DEBUG"):
            raise
        text = str(exc).strip().splitlines()
        detail = text[0] if text else ""
        fail(f"internal error: {type(exc).__name__}: {detail} (set PODREPLAY_DEBUG=1 for details)")


def stderr_is_tty() -> bool:
    """Whether progress bars and colours may be drawn on stderr."""
    return sys.stderr.isatty()

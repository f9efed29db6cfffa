"""The typer application, exit codes, shared options and the one place errors become messages.

Only the CLI prints, reads argv or exits. stdout carries data; notes, progress and errors go
to stderr as `podreplay: error: ...`.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum, StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, NoReturn

import typer

from podreplay.cli import coercion
from podreplay.errors import (
    AmbiguousError,
    DatabaseBusyError,
    NotFoundError,
    PodreplayError,
    UsageError,
)
from podreplay.names import DB_ENV, DEFAULT_DB
from podreplay.times import TIME_FORMS

coercion.install()  # no pydantic for parameters typer would pass through unchanged

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

SelectorOption = Annotated[
    str | None,
    typer.Option(
        "--selector",
        "-l",
        metavar="SELECTOR",
        help="Only pods with these labels, as kubectl: app=cart,tier!=db, env in (a,b), "
        "key, !key (labels of the pod's latest snapshot).",
    ),
]

PodOption = Annotated[
    str | None,
    typer.Option(
        "--pod",
        help="Only this pod: uid, name, namespace/name or a unique prefix (every incarnation "
        "of a pod recreated under its name).",
    ),
]

SinceOption = Annotated[
    str | None,
    typer.Option("--since", metavar="TIME", help=f"Only pods alive at or after TIME. {TIME_FORMS}"),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", metavar="TIME", help="Only pods alive at or before TIME (as --since)."),
]


def note(message: str) -> None:
    """A human-facing line on stderr."""
    typer.echo(message, err=True)


def interrupted(detail: str = "") -> None:
    """Say on stderr that Ctrl-C stopped the command (`detail`: where, and what was kept); the
    caller exits with ExitCode.INTERRUPTED."""
    note(f"podreplay: interrupted{detail}")


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
        interrupted()
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except BrokenPipeError:
        quiet_stdout()
        raise typer.Exit(int(ExitCode.OK)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # the one broad catch: no traceback for users
        if os.environ.get("PODREPLAY_DEBUG"):
            raise
        text = str(exc).strip().splitlines()
        detail = text[0] if text else ""
        fail(f"internal error: {type(exc).__name__}: {detail} (set PODREPLAY_DEBUG=1 for details)")


def quiet_stdout() -> None:
    """The reader of stdout went away (`podreplay ... | head`): stop as kubectl does, quietly
    and with exit code 0. stdout is pointed at /dev/null so the final flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def output_path(path: Path, option: str) -> Path:
    """A file the command will write: its folder must exist (NotFoundError, exit 3)."""
    folder = path.parent
    if not folder.is_dir():
        raise NotFoundError(f"{option} {path}: folder {folder} does not exist")
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name")
    return path


class HeldInterrupt:
    """Between start() and stop() (or the end of a `with` block), Ctrl-C (SIGINT) is remembered
    instead of raised, so work that must not be cut (a commit) completes; `caught` tells the
    caller to exit 130 afterwards."""

    def __init__(self) -> None:
        self.caught = False
        self._previous: Any = None

    def __enter__(self) -> HeldInterrupt:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _remember(self, signum: int, frame: FrameType | None) -> None:
        self.caught = True

    def start(self) -> None:
        """Hold Ctrl-C from now on."""
        self._previous = signal.signal(signal.SIGINT, self._remember)

    def stop(self) -> None:
        """Let Ctrl-C through again (idempotent)."""
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def stderr_is_tty() -> bool:
    """Whether progress bars and colours may be drawn on stderr."""
    return sys.stderr.isatty()

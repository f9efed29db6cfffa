"""The `podreplay` command line: a thin typer layer over the library."""

from __future__ import annotations

from podreplay.cli import (  # noqa: F401  (each module registers its commands on `app`)
    capture_cmd,
    diff_cmd,
    export_cmd,
    ingest_cmd,
    query_cmd,
    replay_cmd,
    report_cmd,
    simulate_cmd,
    stats_cmd,
    timeline_cmd,
    version,
)
from podreplay.cli.app import ExitCode, app, interrupted


def main() -> None:
    """Entry point of the `podreplay` console script."""
    _run("podreplay")


def kubectl_main() -> None:
    """Entry point of the `kubectl-podreplay` console script: kubectl runs it for
    `kubectl podreplay ...`, passing the arguments after `podreplay`."""
    _run("kubectl podreplay")


def _run(prog_name: str) -> None:
    # a Ctrl-C outside a command's own handling (while starting, or after it printed its last
    # line) still exits 130 quietly, never with a traceback or a bare signal death
    try:
        app(prog_name=prog_name)
    except KeyboardInterrupt:
        interrupted()
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None

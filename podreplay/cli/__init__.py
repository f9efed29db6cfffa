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
from podreplay.cli.app import app


def main() -> None:
    """Entry point of the `podreplay` console script."""
    app()


def kubectl_main() -> None:
    """Entry point of the `kubectl-podreplay` console script: kubectl runs it for
    `kubectl podreplay ...`, passing the arguments after `podreplay`."""
    app(prog_name="kubectl podreplay")

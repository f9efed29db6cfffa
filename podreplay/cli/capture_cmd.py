"""The `podreplay capture` command."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from podreplay.cli.app import ExitCode, NamespaceOption, app, note, reporting_errors
from podreplay.times import parse_duration


@app.command("capture")
def capture_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the capture to.")],
    namespace: NamespaceOption = None,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Capture every namespace.")
    ] = False,
    duration: Annotated[
        str | None,
        typer.Option(help="Stop after this long (e.g. 30m, 1h); default: until Ctrl-C."),
    ] = None,
    snapshot_every: Annotated[
        str, typer.Option("--snapshot-every", help="Interval between full pod snapshots.")
    ] = "60s",
    kubectl: Annotated[str, typer.Option(help="The kubectl executable to run.")] = "kubectl",
) -> None:
    """Record pods and events with kubectl watches plus periodic pod snapshots, for `ingest`.

    Watch records are stamped with their arrival time; snapshot files are named by the time
    they were taken. Ctrl-C (or SIGTERM) stops cleanly: every file written so far is complete.

    Example: podreplay capture --out capture/ --namespace default --duration 30m
    """
    # imported here: the capture module (subprocess, tempfile) is no part of other commands
    from podreplay.capture import CaptureOptions, capture

    with reporting_errors():
        options = CaptureOptions(
            out=out,
            namespace=namespace,
            all_namespaces=all_namespaces,
            duration_s=None if duration is None else parse_duration(duration),
            snapshot_every_s=parse_duration(snapshot_every),
            kubectl=kubectl,
        )
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            note(f"capturing into {out}/ (Ctrl-C to stop)")
            result = capture(options, stop=stop, on_note=note)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        note(
            f"captured {result.records['pods']} pod and {result.records['events']} event watch"
            f" records, {len(result.snapshots)} snapshots, {result.resumes} watch resumes,"
            f" {result.gaps} gaps into {out}/; next: podreplay ingest {out}"
        )
        if result.stopped_by == "signal":
            raise typer.Exit(int(ExitCode.INTERRUPTED))

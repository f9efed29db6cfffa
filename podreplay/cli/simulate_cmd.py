"""The `podreplay simulate` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from podreplay.cli.app import app, note, reporting_errors
from podreplay.errors import UsageError
from podreplay.sim.names import EVENT_BEHAVIOURS
from podreplay.sim.names import SIMULATED_FORMATS as ALL_FORMATS
from podreplay.sim.names import SIMULATED_SCENARIOS as SCENARIO_NAMES
from podreplay.times import ABSOLUTE_FORMS, parse_moment


@app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the capture to.")],
    pods: Annotated[int, typer.Option("--pods", help="Number of pod objects (uids).")] = 40,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same bytes.")] = 0,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="TIME",
            help=f"Capture start (default 2024-03-01T02:00:00Z). {ABSOLUTE_FORMS}",
        ),
    ] = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help=f"Only these scenarios (repeatable): {', '.join(SCENARIO_NAMES)}.",
        ),
    ] = None,
    snapshot_every: Annotated[
        int | None,
        typer.Option(
            "--snapshot-every",
            help="Seconds between pod snapshots (default 60; with --thin: one at the end).",
        ),
    ] = None,
    duration: Annotated[int, typer.Option("--duration", help="Capture length in seconds.")] = 3600,
    k8s_version: Annotated[
        str | None,
        typer.Option("--k8s-version", help="Message wording of this version, e.g. 1.29."),
    ] = None,
    no_format: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            help=f"Leave out a file kind (repeatable): {', '.join(ALL_FORMATS)}.",
        ),
    ] = None,
    thin: Annotated[
        bool,
        typer.Option(
            "--thin",
            help="A late capture of a long-running cluster: no watch stream, only the events "
            "of the last hour, one pod List at the end (or every --snapshot-every seconds); "
            "the truth marks what it can tell (`knowable`).",
        ),
    ] = False,
    lead_in: Annotated[
        int,
        typer.Option(
            "--lead-in",
            metavar="SECONDS",
            help="The cluster ran this long before the capture started: pods are created up "
            "to this long before it, so the capture starts in their mid-life.",
        ),
    ] = 0,
    event_behaviour: Annotated[
        list[str] | None,
        typer.Option(
            "--event-behaviour",
            help="Write the events as the API server holds them at the end (repeatable): "
            f"{', '.join(EVENT_BEHAVIOURS)} (1 h TTL; aggregation and the 25-then-1-per-5-min "
            "spam filter; the events.k8s.io series written up to 30 min late).",
        ),
    ] = None,
) -> None:
    """Write a realistic simulated capture plus its ground truth (ground_truth.json).

    Files: events.json, events-v1.json, pods/pods-<time>.json snapshots, pods-watch.ndjson.

    Example: podreplay simulate --pods 40 --seed 7 --out sim-capture --scenario crashloop
    """
    # imported here, not at the top: the simulator's modules cost ~25 ms on every command
    from podreplay.sim.simulate import simulate

    with reporting_errors():
        when = parse_moment(start, None, "--start") if start else None
        formats = [f for f in ALL_FORMATS if f not in set(no_format or [])]
        bad = [f for f in no_format or [] if f not in ALL_FORMATS]
        if bad:
            raise UsageError(f"--without: unknown file kind {bad[0]!r}")
        res = simulate(
            out,
            pods=pods,
            seed=seed,
            start=when,
            scenarios=scenario or None,
            snapshot_every_s=snapshot_every if snapshot_every is not None or thin else 60,
            formats=formats,
            duration_s=duration,
            k8s_version=k8s_version,
            thin=thin,
            lead_in_s=lead_in,
            event_behaviour=event_behaviour or (),
        )
        n_files = (
            len(res.snapshot_paths)
            + sum(p is not None for p in (res.events_path, res.events_v1_path, res.watch_path))
            + 1
        )
        note(
            f"simulate: {n_files} files in {out}: {res.n_pods} pods, {res.n_events} events, "
            f"{len(res.snapshot_paths)} snapshots, {res.n_watch_records} watch records "
            f"(k8s {res.truth['k8s_version']}, seed {seed})"
        )

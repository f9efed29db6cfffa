"""Whole-database comparisons for the robustness tests (atomicity, concurrency, bad input)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from podreplay.store import Store


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), read through a read-only connection."""
    with Store(db, read_only=True) as store:
        names = [
            r[0]
            for r in store.rows(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' ORDER BY 1"
            )
        ]
        return {n: sorted(store.rows(f'SELECT * FROM "{n}"'), key=repr) for n in names}


def read_position(pid: int, name: str) -> int | None:
    """How far process `pid` has read into a file whose name ends with `name` (Linux /proc),
    or None when it has no such file open."""
    fds = f"/proc/{pid}/fd"
    try:
        for fd in os.listdir(fds):
            try:
                if os.readlink(f"{fds}/{fd}").endswith(name):
                    with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                        return int(info.readline().split()[1])
            except OSError:
                continue
    except OSError:
        return None
    return None

"""Where the test data lives: the checkout, tests/data, its real captures and sample_logs/."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
REAL = DATA / "real"
SAMPLE_LOGS = ROOT / "sample_logs"


def real(name: str) -> Path:
    """The one real capture copied from public clusters (see tests/data/real/SOURCES.md) whose
    name contains `name`."""
    matches = sorted(REAL.glob(f"*{name}*"))
    assert len(matches) == 1, f"{name!r} matches {matches}"
    return matches[0]

"""Same bytes out: every `--format json` output and the HTML report of sample_logs/ match the
goldens in tests/data/golden/, byte for byte. A refactor must leave them all alone; an intended
change of output rewrites them with `make golden` (see tests/support/golden.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.golden import (
    CASES,
    GOLDEN,
    INGEST,
    REPORTS,
    ingest,
    invoke,
    report,
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sample_logs/ ingested once for the whole module; its summary checked on the way."""
    path = tmp_path_factory.mktemp("same-bytes") / "golden.duckdb"
    _same(INGEST, ingest(path))
    return path


def _same(name: str, data: bytes) -> None:
    """`data` is the golden `name` byte for byte; else say where they part (not a 1 MB diff)."""
    expected = (GOLDEN / name).read_bytes()
    if data == expected:
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(data, expected, strict=False)) if a != b),
        min(len(data), len(expected)),
    )
    line = expected.count(b"\n", 0, at) + 1
    pytest.fail(
        f"{name} differs from its golden at byte {at} (line {line}):\n"
        f"  now:    {data[max(0, at - 60) : at + 60]!r}\n"
        f"  golden: {expected[max(0, at - 60) : at + 60]!r}\n"
        "an intended change? `make golden`, then read the diff",
        pytrace=False,
    )


def test_every_golden_has_a_case() -> None:
    names = {INGEST, *REPORTS, *(name for name, _ in CASES)}
    assert {p.name for p in GOLDEN.iterdir()} == names


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_output_is_the_golden(db: Path, name: str, args: list[str]) -> None:
    _same(name, invoke(args, db))


@pytest.mark.parametrize(("name", "scope"), REPORTS.items(), ids=list(REPORTS))
def test_report_is_the_golden(db: Path, tmp_path: Path, name: str, scope: tuple[str, ...]) -> None:
    _same(name, report(db, tmp_path / name, *scope))

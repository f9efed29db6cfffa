"""The lock files `make demo`, `make test` and `.ci/run` install from agree with pyproject.toml:
every dependency is pinned, with hashes, inside pyproject's range, and the dev lock pins the
runtime packages at the same versions (so `make test` tests what `make demo` runs)."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {canonicalize_name(m[1]): m[2] for m in PIN.finditer(text)}


def test_every_pin_has_hashes() -> None:
    for name in ("lock.txt", "dev.txt", "tools.txt"):
        text = (ROOT / "requirements" / name).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert blocks
        for block in blocks:
            assert "--hash=sha256:" in block, f"{name}: {block.splitlines()[0]} has no hash"


@pytest.mark.parametrize(
    ("lock", "specs"),
    [
        ("lock.txt", PYPROJECT["dependencies"]),
        ("dev.txt", PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["dev"]),
    ],
)
def test_dependencies_are_pinned_inside_pyprojects_ranges(lock: str, specs: list[str]) -> None:
    locked = pins(lock)
    for spec in specs:
        req = Requirement(spec)
        version = locked.get(canonicalize_name(req.name))
        assert version, f"{req.name} is not in requirements/{lock}: run `make lock`"
        assert req.specifier.contains(version), f"{req.name}=={version} outside {req}"


def test_the_dev_lock_runs_what_the_runtime_lock_runs() -> None:
    runtime, dev = pins("lock.txt"), pins("dev.txt")
    assert {k: dev.get(k) for k in runtime} == runtime

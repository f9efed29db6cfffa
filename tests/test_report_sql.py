"""The package's named queries: each module that keeps SQL in the `.sql` file beside it
(`SQL = Sql(__file__)`) has that file; its blocks parse; every block the module asks for exists
and every block is asked for; and the wheel ships every such file."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

import pytest

import podreplay
from podreplay.sqlfiles import Sql

PACKAGE = Path(podreplay.__file__).parent
ROOT = PACKAGE.parent
USES_SQL = re.compile(r"^SQL = Sql\(__file__\)$", re.MULTILINE)
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if USES_SQL.search(p.read_text()))
SQL_FILES = sorted(
    p for p in PACKAGE.rglob("*.sql") if re.search(r"^-- name: ", p.read_text(), re.MULTILINE)
)


def _rel(p: Path) -> str:
    return str(p.relative_to(PACKAGE))


def test_every_module_with_queries_keeps_them_beside_it() -> None:
    assert {_rel(p.with_suffix(".sql")) for p in MODULES} == {_rel(p) for p in SQL_FILES}
    assert {_rel(p) for p in MODULES} >= {
        "trace.py",
        "diff.py",
        "lifecycle.py",
        "selection.py",
        "times.py",
        "export.py",
        "render/html/scope.py",
        "render/html/overview.py",
        "render/html/cluster.py",
        "render/html/state.py",
        "render/html/offenders.py",
        "render/html/pods.py",
    }


@pytest.mark.parametrize("path", SQL_FILES, ids=_rel)
def test_named_blocks_parse_and_the_module_asks_for_each_and_only_those(path: Path) -> None:
    blocks = Sql(str(path.with_suffix(".py"))).blocks
    assert blocks and all(body for body in blocks.values())
    source = path.with_suffix(".py").read_text()
    asked = set(re.findall(r'SQL\(\s*"(\w+)"', source))
    assert asked <= set(blocks), f"asked for but not in {path.name}: {asked - set(blocks)}"
    # a block may be named in a condition or a variable (SQL("a" if x else "b"), SQL(kind))
    named = set(re.findall(r'"(\w+)"', source))
    assert set(blocks) <= named, f"never used: {set(blocks) - named}"


@pytest.mark.parametrize("path", SQL_FILES, ids=_rel)
def test_no_slot_hides_in_a_comment(path: Path) -> None:
    """A slot's fragment may span lines: inside a `--` comment it would turn into SQL."""
    for body in Sql(str(path.with_suffix(".py"))).blocks.values():
        comments = [line for line in body.splitlines() if "--" in line]
        assert not [c for c in comments if re.search(r"--.*\{\w+\}", c)]


def test_the_wheel_ships_every_sql_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_data: dict[str, list[str]] = config["package-data"]
    for path in SQL_FILES:
        package = ".".join(path.parent.relative_to(ROOT).parts)
        if isinstance(config.get("packages"), list):  # else found by discovery
            assert package in config["packages"], package
        patterns = package_data.get(package, []) + package_data.get("*", [])
        assert any(fnmatch.fnmatch(path.name, pat) for pat in patterns), _rel(path)


def test_a_name_used_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")
    with pytest.raises(ValueError, match=r"m\.sql: a query name is used twice"):
        _ = Sql(str(tmp_path / "m.py")).blocks


def test_sql_before_the_first_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("-- header\nSELECT 0\n-- name: a\nSELECT 1\n")
    with pytest.raises(ValueError, match="before the first"):
        _ = Sql(str(tmp_path / "m.py")).blocks


def test_a_blocks_opening_comments_are_not_its_text(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text(
        "-- file\n\n-- name: a\n-- what a is\n--   more\nSELECT 1 -- kept\n-- kept too\n"
    )
    assert Sql(str(tmp_path / "m.py"))("a") == "SELECT 1 -- kept\n-- kept too"


def test_fragments_fill_their_slots() -> None:
    sql = Sql(str(PACKAGE / "render" / "html" / "state.py"))
    text = sql("changes", union="SELECT 1")
    assert "FROM (SELECT 1)" in text and "{" not in text
    trace = Sql(str(PACKAGE / "trace.py"))
    slices = trace("slices", source="t0", join="j", name="n", cat="c", args="'a', 1")
    assert "FROM t0 i" in slices and "{" not in slices

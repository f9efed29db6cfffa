"""The report's named queries: each `.sql` file beside a render/html module parses into named
blocks, and each block its module asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import podreplay.render.html as html_pkg
from podreplay.sqlfiles import Sql

HTML = Path(html_pkg.__file__).parent
SQL_FILES = sorted(HTML.glob("*.sql"))


def test_every_section_with_queries_keeps_them_beside_it() -> None:
    assert {p.stem for p in SQL_FILES} == {
        "scope",
        "overview",
        "cluster",
        "state",
        "offenders",
        "pods",
    }
    assert all(p.with_suffix(".py").exists() for p in SQL_FILES)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.name)
def test_named_blocks_parse_and_the_module_asks_only_for_those(path: Path) -> None:
    blocks = Sql(str(path.with_suffix(".py"))).blocks
    assert blocks and all(body for body in blocks.values())
    literal = set(re.findall(r'SQL\(\s*"(\w+)"', path.with_suffix(".py").read_text()))
    assert literal <= set(blocks)


def test_a_name_used_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n")
    with pytest.raises(ValueError, match=r"m\.sql: a query name is used twice"):
        _ = Sql(str(tmp_path / "m.py")).blocks


def test_sql_before_the_first_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("-- header\nSELECT 0\n-- name: a\nSELECT 1\n")
    with pytest.raises(ValueError, match="before the first"):
        _ = Sql(str(tmp_path / "m.py")).blocks


def test_fragments_fill_their_slots() -> None:
    sql = Sql(str(HTML / "state.py"))
    text = sql("changes", union="SELECT 1")
    assert "FROM (SELECT 1)" in text and "{" not in text

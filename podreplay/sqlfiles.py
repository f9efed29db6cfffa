"""The named SQL blocks a module keeps in the `.sql` file beside it (`trace.py` reads
`trace.sql`, `render/html/cluster.py` reads `render/html/cluster.sql`).

A file is a series of blocks, each headed by a line `-- name: NAME`; comments may precede the
first. The comment lines that open a block document it and are not part of its text, so a
block can be put in the middle of another as a fragment. A block may hold `{slot}`s that the
caller fills with other blocks or with fixed SQL fragments (identifiers and expressions chosen
by the code, never text from a user); values are always `?` or `$name` parameters.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

_BLOCK = re.compile(r"^-- name: (\S+)\s*$", re.MULTILINE)
_LEADING_COMMENTS = re.compile(r"\A(?:--[^\n]*\n\s*)+")


class Sql:
    """The named queries of the `.sql` file beside a module: `SQL = Sql(__file__)`, then
    `SQL("name")` or `SQL("name", slot=fragment, ...)`."""

    def __init__(self, module_file: str) -> None:
        self.path = Path(module_file).with_suffix(".sql")

    @cached_property
    def blocks(self) -> dict[str, str]:
        """Every block's text by name (without its opening comments); a name used twice, or
        SQL before the first name, is refused."""
        head, *parts = _BLOCK.split(self.path.read_text(encoding="utf-8"))
        names = parts[0::2]
        if any(not line.startswith("--") for line in head.splitlines() if line.strip()):
            raise ValueError(f"{self.path.name}: SQL before the first `-- name:` line")
        if len(set(names)) < len(names):
            raise ValueError(f"{self.path.name}: a query name is used twice")
        return {
            name: _LEADING_COMMENTS.sub("", body.strip())
            for name, body in zip(names, parts[1::2], strict=True)
        }

    def __call__(self, name: str, /, **fragments: str) -> str:
        """The block `name`, its `{slot}`s filled from `fragments` (a block called without
        fragments is returned as written, braces and all)."""
        text = self.blocks[name]
        return text.format(**fragments) if fragments else text

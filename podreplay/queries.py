"""Named SQL queries: the shipped `bundled_queries/*.sql` files, user .sql files and ad-hoc SQL.

A query file starts with header comments that name it, describe it in one line and declare its
parameters; parameters are DuckDB named parameters (`$namespace`) bound from strings, never
formatted into the SQL text:

    -- name: slowest_to_ready
    -- description: Pods that took longest from creation to Ready.
    -- param: namespace (default: all) only this namespace
    -- param: limit (default: 20) how many pods
    SELECT ... WHERE ($namespace IS NULL OR namespace = $namespace) LIMIT $limit::INTEGER

A default of `all`, `none` or `null` binds SQL NULL. Values arrive as strings; the SQL casts them
(`$limit::INTEGER`, `$since::TIMESTAMPTZ`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from podreplay.errors import NotFoundError, UsageError
from podreplay.store import Store

PACKAGE = "podreplay.bundled_queries"
NULL_DEFAULTS = frozenset({"all", "none", "null"})

_HEADER = re.compile(r"^\s*--\s*(name|description|param)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_PARAM = re.compile(r"^(\w+)\s*(?:\(default:\s*([^)]*?)\s*\))?\s*(.*)$")
_USED_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class QueryParam:
    """One declared parameter: its name, default (None: required) and what it means."""

    name: str
    default: str | None
    description: str
    required: bool


@dataclass(frozen=True)
class NamedQuery:
    """A query with its header: name, one-line description, parameters and SQL text."""

    name: str
    description: str
    params: tuple[QueryParam, ...]
    sql: str
    origin: str  # "bundled", a file path, or "inline"


def parse_query(text: str, *, name: str, origin: str) -> NamedQuery:
    """Read a query's header comments; `name` is used when the header has none."""
    description = ""
    params: list[QueryParam] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _HEADER.match(line)
        if match is None:
            if line.lstrip().startswith("--"):
                continue
            break  # the header ends at the first SQL line
        key, value = match.group(1).lower(), match.group(2)
        if key == "name":
            name = value
        elif key == "description":
            description = value
        else:
            params.append(_parse_param(value, origin))
    if not params:  # undeclared $names in a file or ad-hoc SQL are still parameters
        params = [QueryParam(p, None, "", True) for p in dict.fromkeys(_USED_PARAM.findall(text))]
    return NamedQuery(name, description, tuple(params), text, origin)


def _parse_param(spec: str, origin: str) -> QueryParam:
    match = _PARAM.match(spec)
    if match is None:
        raise UsageError(f"{origin}: bad parameter declaration: {spec!r}")
    pname, default, description = match.groups()
    if default is None:
        return QueryParam(pname, None, description, True)
    value = None if default.lower() in NULL_DEFAULTS else default
    return QueryParam(pname, value, description, False)


def bundled_queries() -> list[NamedQuery]:
    """The queries shipped with podreplay, sorted by name."""
    root = resources.files(PACKAGE)
    found = [
        parse_query(f.read_text(encoding="utf-8"), name=f.name[:-4], origin="bundled")
        for f in root.iterdir()
        if f.name.endswith(".sql")
    ]
    return sorted(found, key=lambda q: q.name)


def resolve(spec: str) -> NamedQuery:
    """A bundled query by name, a `.sql` file by path, or SQL text given inline."""
    by_name = {q.name: q for q in bundled_queries()}
    if spec in by_name:
        return by_name[spec]
    if spec.endswith(".sql") and not any(c.isspace() for c in spec):
        path = Path(spec)
        if not path.is_file():
            raise NotFoundError(f"{spec}: no such query file")
        return parse_query(path.read_text(encoding="utf-8"), name=path.stem, origin=spec)
    if re.fullmatch(r"[\w.-]+", spec):
        close = difflib.get_close_matches(spec, list(by_name), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise NotFoundError(f"no query named {spec!r}{hint}; `podreplay query --list` shows them")
    return parse_query(spec, name="inline", origin="inline")


def bind(query: NamedQuery, given: dict[str, str]) -> dict[str, object]:
    """The named-parameter values for `query`: given values over declared defaults."""
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise UsageError(
            f"query {query.name} has no parameter {unknown[0]!r} (parameters: {known})"
        )
    values: dict[str, object] = {}
    for p in query.params:
        if p.name in given:
            values[p.name] = given[p.name]
        elif p.required:
            raise UsageError(f"query {query.name} needs --param {p.name}=VALUE")
        else:
            values[p.name] = p.default
    return values


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`k=v` strings from the command line as a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param expects NAME=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def run_query(
    store: Store, query: NamedQuery, params: dict[str, str] | None = None
) -> pl.DataFrame:
    """Run a query with its parameters bound; the result as a polars DataFrame."""
    values = bind(query, params or {})
    return plain_numbers(store.frame(query.sql, values if values else None))


def plain_numbers(df: pl.DataFrame) -> pl.DataFrame:
    """DECIMAL columns (DuckDB's type for `1.5` literals and HUGEINT sums) as Int64/Float64,
    so every output format can write them."""
    return df.with_columns(
        pl.col(name).cast(pl.Int64 if dtype.scale == 0 else pl.Float64, strict=False)
        for name, dtype in df.schema.items()
        if isinstance(dtype, pl.Decimal)
    )


def run_named(store: Store, spec: str, params: dict[str, str] | None = None) -> pl.DataFrame:
    """Resolve `spec` (name, file or SQL) and run it."""
    return run_query(store, resolve(spec), params)

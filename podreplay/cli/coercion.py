"""Parameter values typer can take as they are, without building a pydantic validator.

typer (0.29) coerces every parameter it processes through a pydantic `TypeAdapter`, built on
first use, even for a value that is None or already a `str`: any subcommand imported pydantic
(50-60 ms of a 0.45 s `timeline`). `install` puts a thin step in front of typer's own: the
values whose coercion is the identity (None, a `str` for a `str`, a `bool` for a `bool`, an
`int` or `float` for one without bounds, an Enum member for its Enum, texts for a `list[str]`)
and a `Path` option given as text (typer's own path checks, on
`Path(value)`) are answered here; everything else (numbers with bounds, datetimes, lists,
custom parsers, a text for an Enum) goes to typer's adapter exactly as before.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, get_args

import typer.core

try:  # typer's internals: if they move, typer does all the coercion itself (just slower)
    from typer._coercion import TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover
    build_runtime_param = None  # type: ignore[assignment]


class _Plain:
    """A parameter's coercion: identity values here, the rest by typer's runtime param."""

    def __init__(self, descriptor: TypeDescriptor) -> None:
        self.descriptor = descriptor
        self.full: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if param.multiple or param.nargs == -1 else None  # as typer does
        info = self.descriptor.parameter_info
        kind = self.descriptor.annotation
        if info.parser is None and self.descriptor.file_annotation is None:
            if kind in (str, bool) and type(value) is kind:
                return value
            unbounded = info.min is None and info.max is None
            if kind in (int, float) and type(value) is kind and unbounded:
                return value  # a default (`ingest --max-gz-size`): typer would check bounds
            if get_args(kind) == (str,) and self.descriptor.is_list and _strings(value):
                return list(value)  # `ingest PATHS...`: typer makes the tuple a list
            if isinstance(kind, type) and issubclass(kind, Enum) and isinstance(value, kind):
                return value
            if kind is Path and info.path_type is None and isinstance(value, str):
                return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        if self.full is None:
            self.full = build_runtime_param(self.descriptor)
        return self.full.coerce(value, param=param, ctx=ctx)


def _strings(value: Any) -> bool:
    """A non-empty tuple or list of str (what click gives a `list[str]` parameter)."""
    return isinstance(value, tuple | list) and bool(value) and all(type(v) is str for v in value)


def install() -> None:
    """Answer identity coercions before typer builds a pydantic validator for them."""
    if build_runtime_param is not None and hasattr(typer.core, "build_runtime_param"):
        typer.core.build_runtime_param = _Plain

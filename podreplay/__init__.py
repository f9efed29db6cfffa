"""podreplay: rebuild Kubernetes pod lifecycles from kubectl captures into DuckDB."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podreplay.errors import InputError, PodreplayError

if TYPE_CHECKING:
    from podreplay.store import Store

__all__ = ["InputError", "PodreplayError", "Store"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`podreplay.Store` on first use: importing the package (as every command does, `--help`
    too) must not load DuckDB and polars."""
    if name == "Store":
        from podreplay.store import Store

        return Store
    raise AttributeError(f"module 'podreplay' has no attribute {name!r}")

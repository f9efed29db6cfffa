"""podreplay: rebuild Kubernetes pod lifecycles from kubectl captures into DuckDB."""

from podreplay.errors import InputError, PodreplayError
from podreplay.store import Store

__all__ = ["InputError", "PodreplayError", "Store"]
__version__ = "0.1.0"

"""Exceptions raised by the library; the CLI maps each one to an exit code and a one-line message.

Library code raises these and never prints or exits.
"""

from __future__ import annotations


class PodreplayError(Exception):
    """Base class: the message is a single line a user can act on."""


class InputError(PodreplayError):
    """A source file (or part of it) cannot be read; names the file and the place."""

    def __init__(self, path: str, place: str | None, reason: str) -> None:
        self.path = path
        self.place = place
        self.reason = reason
        where = f"{path}:{place}" if place else path
        super().__init__(f"{where}: {reason}")


class UsageError(PodreplayError):
    """The arguments do not make sense together (exit code 2)."""


class NotFoundError(PodreplayError):
    """A pod, query or file named by the user does not exist."""


class AmbiguousError(PodreplayError):
    """A name matches several objects; `candidates` lists them for the user to choose."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        self.candidates = candidates
        super().__init__(message)


class QueryError(PodreplayError):
    """A SQL statement failed."""


class DatabaseBusyError(PodreplayError):
    """Another process holds the database for writing."""


class EmptySelectionError(NotFoundError):
    """A selection (namespace, labels, time window, pod) that matches nothing (exit code 3)."""

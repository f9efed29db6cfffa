"""Byte streams of a capture: gzip undone transparently, every expansion bounded.

`Budget` is what a source may still expand to (a `.gz` file, or an archive with every member
and nested archive in it); `Bounded` is a reader charged to one, so a gzip or archive bomb
stops at the limit with a one-line error. Pure: no database, no printing.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Protocol

from podreplay.errors import InputError
from podreplay.names import DEFAULT_MAX_DECOMPRESSED

CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


class ByteSource(Protocol):
    """Anything with a binary read(n): files, stdin's buffer, decompressors."""

    def read(self, n: int = -1, /) -> bytes: ...


class Budget:
    """The bytes a source may still expand to; `take` raises `error` past the limit."""

    def __init__(
        self,
        name: str,
        max_bytes: int,
        *,
        what: str = "decompresses to",
        error: type[InputError] = InputError,
    ) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self.used = 0
        self.what = what
        self.error = error

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.max_bytes:
            raise self.error(
                self.name,
                f"byte {self.max_bytes}",
                f"{self.what} more than {self.max_bytes} bytes (limit; see --max-gz-size)",
            )


class Bounded:
    """A binary reader whose bytes are charged to a budget; `corrupt` names what a failing
    read means (a damaged gzip stream), or None to let the error through."""

    def __init__(self, raw: ByteSource, budget: Budget, corrupt: str | None = None) -> None:
        self.raw = raw
        self.budget = budget
        self.corrupt = corrupt
        self.done = 0

    def read(self, n: int = -1, /) -> bytes:
        try:
            data = self.raw.read(n if n >= 0 or self.corrupt is None else CHUNK)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            if self.corrupt is None:
                raise
            raise InputError(
                self.budget.name,
                f"byte {self.done} (decompressed)",
                f"{self.corrupt}: {exc}",
            ) from None
        self.done += len(data)
        self.budget.take(len(data))
        return data


def open_binary(
    stream: ByteSource, name: str, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
) -> ByteSource:
    """Wrap a binary stream, transparently (and boundedly) decompressing gzip."""
    head, stream = peek(stream, 2)
    if head == GZIP_MAGIC:
        gz = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[call-overload]
        return Bounded(gz, Budget(name, max_decompressed), "corrupt or truncated gzip")
    return stream


class _Prefixed:
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: ByteSource) -> None:
        self.head = head
        self.rest = rest

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            if len(data) < n:
                data += self.rest.read(n - len(data))
            return data
        return self.rest.read(n)


def peek(stream: ByteSource, n: int) -> tuple[bytes, ByteSource]:
    """The first n bytes of a stream, and the stream with them put back."""
    head = stream.read(n)
    return head, _Prefixed(head, stream)

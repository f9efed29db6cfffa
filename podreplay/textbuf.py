"""The decoded text of a capture as the readers walk it: a buffer over a byte stream with
refills and line numbers, and what the readers hand out (`Item`, `ReadStats`). Pure."""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from podreplay.streams import CHUNK, ByteSource

MAX_OBJECT_CHARS = 512 << 20
MAX_INDENT = 4096  # a line start further back than this is not kept on a refill
MAX_REJECT_TEXT = 64 << 10
_WS = " \t\r\n"

Progress = Callable[[int], None]
# kubectl < 1.10 printed `cluster-info dump` Lists as Go internal types, without `kind`: the
# List's selfLink names the resource
_RESOURCE_KINDS = {
    "events": "Event",
    "pods": "Pod",
    "nodes": "Node",
    "services": "Service",
    "replicationcontrollers": "ReplicationController",
    "daemonsets": "DaemonSet",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "statefulsets": "StatefulSet",
    "jobs": "Job",
    "cronjobs": "CronJob",
    "namespaces": "Namespace",
    "configmaps": "ConfigMap",
    "endpoints": "Endpoints",
}


@dataclass(frozen=True)
class Item:
    """One object read from a source: its JSON text, or why it could not be read."""

    location: str
    text: str
    error: str | None = None
    listed: bool = False  # an item of a List or array (one snapshot), not a lone record
    list_no: int | None = None  # which List of the source it is an item of (ReadStats.list_kinds)
    go_internal: bool = False  # a Go-internal-type object (CamelCase keys, inlined metadata)


@dataclass
class ReadStats:
    """What a reader saw besides objects."""

    format: str = "unknown"
    text_lines_skipped: int = 0  # non-blank lines of text between documents, log sections
    first_text_line: int | None = None
    values: int = 0  # top-level JSON values or YAML documents seen (an empty List counts)
    lists: int = 0  # Lists seen (their numbers are Item.list_no)
    list_kinds: dict[int, str] = field(default_factory=dict)  # List number -> its kind

    def skip_text(self, line: int) -> None:
        """Count one line of text that is no document."""
        self.text_lines_skipped += 1
        if self.first_text_line is None:
            self.first_text_line = line


class TextBuffer:
    """A decoded text buffer over a byte stream, with line tracking and refills."""

    def __init__(
        self, stream: ByteSource, name: str, on_bytes: Progress | None, encoding: str = "utf-8"
    ) -> None:
        self.stream = stream
        self.name = name
        self.on_bytes = on_bytes
        self.decoder = codecs.getincrementaldecoder(encoding)("replace")
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.keep: int | None = None  # buffer index that a refill must not drop
        self.line_base = 1  # line number of buf[0]
        self.count_pos = 0
        self.count_line = 1
        self.started = False
        self.dupes = False  # a duplicate key was decoded since the last reset
        self.json_decoder = json.JSONDecoder(object_pairs_hook=self._pairs)

    def _pairs(self, pairs: list[tuple[str, Any]]) -> None:
        # the values are thrown away (the item's text is kept); only duplicate keys matter
        if len(pairs) != len(dict(pairs)):
            self.dupes = True

    def fill(self) -> bool:
        """Read another chunk; False at end of input."""
        if self.eof:
            return False
        data = self.stream.read(CHUNK)
        if self.on_bytes is not None and data:
            self.on_bytes(len(data))
        chunk = self.decoder.decode(data, final=not data)
        if not self.started:
            chunk = chunk.removeprefix("\ufeff")
            self.started = True
        cut = self.pos if self.keep is None else min(self.keep, self.pos)
        # keep the start of that line too: a damaged value's indent is where reading resumes
        # (no newline before it: the line starts the buffer, kept by an earlier refill)
        lo = max(0, cut - MAX_INDENT)
        line_start = self.buf.rfind("\n", lo, cut)
        if line_start >= 0 or lo == 0:
            cut = line_start + 1
        if cut > 0:
            self.line_at(cut)
            self.count_pos -= cut
            self.buf = self.buf[cut:]
            self.pos -= cut
            if self.keep is not None:
                self.keep -= cut
        self.buf += chunk
        if not data:
            self.eof = True
        return bool(chunk) or not self.eof

    def line_at(self, i: int) -> int:
        """1-based line number of buffer index i (i never decreases between calls)."""
        if i > self.count_pos:
            self.count_line += self.buf.count("\n", self.count_pos, i)
            self.count_pos = i
        return self.count_line

    def skip_ws(self) -> bool:
        """Advance over whitespace; False when the input is exhausted."""
        while True:
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < n:
                return True
            if not self.fill():
                return False

    def ensure(self, n: int) -> bool:
        """Make at least n characters available after pos (if the input has them)."""
        while len(self.buf) - self.pos < n:
            if not self.fill():
                return False
        return True

    def rest_of_line(self) -> str:
        """Consume and return the text up to the end of the current line."""
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0 or self.eof:
                end = nl if nl >= 0 else len(self.buf)
                line = self.buf[self.pos : end]
                self.pos = end + 1 if nl >= 0 else end
                return line
            self.fill()

    def first_meaningful_line(self) -> str | None:
        while len(self.buf) < 4096 and self.fill():
            pass
        for line in self.buf[:65536].splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return stripped
        return None if not self.buf.strip() else self.buf.strip()[:200]

    def decode_value(self, decoder: json.JSONDecoder) -> tuple[Any, int]:
        """raw_decode the JSON value at pos, reading more input while it is incomplete."""
        last_error: json.JSONDecodeError | None = None
        while True:
            try:
                return decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                # json recurses per nesting level; hostile depth is a bad value, not a crash
                raise json.JSONDecodeError(
                    f"nested deeper than {sys.getrecursionlimit()} levels", self.buf, self.pos
                ) from None
            except json.JSONDecodeError as exc:
                incomplete = exc.pos >= len(self.buf) - 1 or exc.msg.startswith("Unterminated")
                stuck = last_error is not None and last_error.pos == exc.pos and not incomplete
                if self.eof or stuck or len(self.buf) - self.pos > MAX_OBJECT_CHARS:
                    raise
                last_error = exc
                if not self.fill():
                    raise


def list_kind(stats: ReadStats, list_no: int, kind: str | None, self_link: str | None) -> None:
    """Record the kind a List gives its items: `PodList` -> `Pod`; a Go-internal List (no
    kind) by the resource its selfLink names."""
    if kind and kind != "List" and kind.endswith("List"):
        stats.list_kinds[list_no] = kind.removesuffix("List")
    elif not kind and self_link:
        resource = self_link.rstrip("/").rsplit("/", 1)[-1]
        if resource in _RESOURCE_KINDS:
            stats.list_kinds[list_no] = _RESOURCE_KINDS[resource]

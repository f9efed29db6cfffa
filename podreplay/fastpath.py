"""Staging a large JSON capture with DuckDB's own reader instead of splitting it in Python.

A `kubectl get ... -o json` List is streamed to `read_json_objects(format='array')` through a
named pipe that carries only the bytes of its top-level `"items": [...]` array; a stream of
top-level objects (NDJSON watch records) is read by DuckDB directly. The staged rows are the
ones `readers.read_items` would produce (same seq, location, listed, doc text), so the ingest
SQL stays the single home of normalisation.

Item locations ("line N (item I)") are computed from the item texts: the layout is accepted
only when the items are separated by one repeated separator and the byte and newline totals of
the range add up exactly; anything else (malformed JSON, trailing commas, text between values,
irregular spacing, gzip) is refused and the caller falls back to the Python reader, which keeps
exact reject locations. Pure: no printing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from podreplay.errors import QueryError
from podreplay.store import Store

DEFAULT_MIN_BYTES = 1 << 20
HEAD_BYTES = 1 << 16
TAIL_BYTES = 1 << 16
COPY_CHUNK = 1 << 22
GAP_WINDOW = 1 << 26
_WS = b" \t\r\n"
_SEP = re.compile(rb"[ \t\r\n]*,[ \t\r\n]*")
_WS_RUN = re.compile(rb"[ \t\r\n]*")


@dataclass(frozen=True)
class Plan:
    """Where the values of a file are and how DuckDB should read them."""

    path: str
    size: int
    listed: bool  # True: the items of a top-level List; False: a stream of top-level objects
    start: int  # byte offset of the range DuckDB reads ('[' of the items, or the first '{')
    end: int  # byte offset just past the range
    first_at: int  # byte offset of the first value
    first_line: int  # its 1-based line number
    sep: bytes  # what separates the first two values (b"" when there is one)
    newline_delimited: bool = False


@dataclass(frozen=True)
class Staged:
    """What the fast path put into `stage`."""

    n_items: int
    sha256: str
    format: str


class Refused(Exception):
    """The file is not in a shape the fast path reproduces exactly: use the Python reader."""


def plan(path: str | Path) -> Plan | None:
    """A fast-path plan for a plain JSON file, or None when the Python reader must read it."""
    name = str(path)
    if not hasattr(os, "mkfifo"):
        return None  # no named pipes (Windows): the Python reader
    size = os.path.getsize(name)
    with open(name, "rb") as fh:
        head = fh.read(HEAD_BYTES)
        fh.seek(max(0, size - TAIL_BYTES))
        tail = fh.read()
    first = len(head) - len(head.lstrip(_WS))
    if first >= len(head) or head[first : first + 1] != b"{":
        return None  # gzip, YAML, bare arrays, BOMs, text: the Python reader's cases
    text = head.decode("utf-8", "surrogateescape")
    items_at = _items_offset(text, first)
    if items_at is None:
        if _items_key_near(text):
            return None  # a List whose "items" is not within the head
        start, end, listed = first, size, False
        value_at = first
    else:
        list_end = _list_end(tail, max(0, size - TAIL_BYTES), items_at)
        if list_end is None:
            return None
        start, end, listed = items_at, list_end, True
        value_at = _WS_TEXT.match(text, items_at + 1).end()  # type: ignore[union-attr]
        if text[value_at : value_at + 1] == "]":
            return None  # an empty List: nothing to gain
    try:
        _value, value_end = json.JSONDecoder().raw_decode(text, value_at)
    except json.JSONDecodeError:
        return None  # damaged, or a first value longer than the head
    after = _WS_TEXT.match(text, value_end).end()  # type: ignore[union-attr]
    last = listed and text[after : after + 1] == "]"
    if listed and not last:
        if text[after : after + 1] != ",":
            return None
        after = _WS_TEXT.match(text, after + 1).end()  # type: ignore[union-attr]
    if not last and after >= len(text) and len(head) < size:
        return None  # the separator runs past the head
    single = last or after >= len(text)
    sep = b"" if single else text[value_end:after].encode("utf-8", "surrogateescape")
    line = text.count("\n", 0, value_at) + 1
    ndjson = not listed and b"\n" in sep and "\n" not in text[value_at:value_end]
    return Plan(name, size, listed, start, end, value_at, line, sep, newline_delimited=ndjson)


_WS_TEXT = re.compile(r"[ \t\r\n]*")


def _items_offset(text: str, first: int) -> int | None:
    """Offset of the '[' of a top-level "items" array, when every key before it is ASCII text
    within the head; else None."""
    decoder = json.JSONDecoder()
    pos = first + 1
    try:
        while True:
            pos = _WS_TEXT.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] == ",":
                pos = _WS_TEXT.match(text, pos + 1).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] != '"':
                return None
            key, pos = decoder.raw_decode(text, pos)
            pos = _WS_TEXT.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] != ":":
                return None
            pos = _WS_TEXT.match(text, pos + 1).end()  # type: ignore[union-attr]
            if key == "items":
                if text[pos : pos + 1] != "[" or not text[:pos].isascii():
                    return None
                return pos
            _value, pos = decoder.raw_decode(text, pos)
    except (json.JSONDecodeError, IndexError):
        return None


def _items_key_near(text: str) -> bool:
    return '"items"' in text


def _list_end(tail: bytes, base: int, items_at: int) -> int | None:
    """Offset just past the ']' closing the items: what follows must finish the List object."""
    pos = len(tail)
    for _ in range(64):
        pos = tail.rfind(b"]", 0, pos)
        if pos < 0 or base + pos <= items_at:
            return None
        rest = tail[pos + 1 :].strip(_WS)
        if rest == b"}":
            return base + pos + 1
        if rest.startswith(b","):
            try:
                if isinstance(json.loads(b"{" + rest[1:]), dict):
                    return base + pos + 1
            except ValueError:
                pass
    return None


class _Feeder(threading.Thread):
    """Reads the file once: hashes every byte, counts the range's newlines, and (for a List)
    writes the range into a named pipe for DuckDB."""

    def __init__(self, plan: Plan, fifo: str | None) -> None:
        super().__init__(daemon=True)
        self.plan = plan
        self.fifo = fifo
        self.sha = hashlib.sha256()
        self.newlines = 0
        self.trailing_comma = False
        self.last = b""
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            out = open(self.fifo, "wb", buffering=0) if self.fifo else None  # noqa: SIM115
            try:
                self._copy(out)
            finally:
                if out is not None:
                    out.close()
        except BaseException as exc:  # reported to the caller, never lost in the thread
            self.error = exc

    def _trailing_commas(self, part: bytes) -> None:
        """DuckDB accepts `[1,]` and `{"a":1,}`, Python's json does not: spot ',' before a
        closing bracket (blanks removed, so a string like ", }" is a harmless false alarm)."""
        dense = self.last + part.translate(None, _WS)
        if b",}" in dense or b",]" in dense:
            self.trailing_comma = True
        self.last = dense[-1:]

    def _copy(self, out: Any) -> None:
        start, end = self.plan.start, self.plan.end
        done = 0
        with open(self.plan.path, "rb") as fh:
            while chunk := fh.read(COPY_CHUNK):
                self.sha.update(chunk)
                lo, hi = max(start - done, 0), min(end - done, len(chunk))
                if lo < hi:
                    part = chunk[lo:hi] if (lo, hi) != (0, len(chunk)) else chunk
                    self.newlines += part.count(b"\n")
                    self._trailing_commas(part)
                    if out is not None:
                        try:
                            out.write(part)
                        except BrokenPipeError:
                            out = None  # DuckDB stopped reading: keep hashing
                done += len(chunk)


def stage(store: Store, p: Plan) -> Staged:
    """Fill the temp `stage` view (over `fast_raw`) from the planned file.

    Runs outside the source's transaction. Raises Refused, leaving no stage behind, when the
    result could differ from what the Python reader would stage.
    """
    with tempfile.TemporaryDirectory(prefix="podreplay-") as tmp:
        fifo = os.path.join(tmp, "items.json") if p.listed else None
        if fifo is not None:
            os.mkfifo(fifo)
        feeder = _Feeder(p, fifo)
        feeder.start()
        try:
            totals = _read(store, p, fifo or p.path)
        except QueryError as exc:
            _unblock(feeder, fifo)
            feeder.join()
            drop_stage(store)
            raise Refused(str(exc)) from exc
        _unblock(feeder, fifo)
        feeder.join()
    if feeder.error is not None:
        drop_stage(store)
        raise feeder.error
    try:
        if feeder.trailing_comma:
            raise Refused("a trailing comma")
        _check_layout(p, totals, feeder.newlines)
        _check_gaps(store, p, totals.n)
    except Refused:
        drop_stage(store)
        raise
    fmt = "json" if p.listed or totals.n == 1 else "json-stream"
    return Staged(totals.n, feeder.sha.hexdigest(), fmt)


def drop_stage(store: Store) -> None:
    """Remove what `stage` created."""
    store.execute(
        "DROP VIEW IF EXISTS stage; DROP TABLE IF EXISTS fast_loc; DROP TABLE IF EXISTS fast_raw"
    )


def _unblock(feeder: _Feeder, fifo: str | None) -> None:
    """If DuckDB never opened the pipe, open and close it so the feeder's open returns."""
    if fifo is None or not feeder.is_alive():
        return
    try:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


@dataclass(frozen=True)
class _Totals:
    n: int
    bytes: int
    newlines: int
    irregular: bool


def _read(store: Store, p: Plan, source: str) -> _Totals:
    fmt = "array" if p.listed else "newline_delimited" if p.newline_delimited else "unstructured"
    sep_nl = p.sep.count(b"\n")
    store.execute("DROP VIEW IF EXISTS stage; DROP TABLE IF EXISTS stage")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE fast_raw AS "
        "SELECT ordinality - 1 AS seq, json::VARCHAR AS doc "
        "FROM read_json_objects(?, format = ?) WITH ORDINALITY",
        [source, fmt],
    )
    # line of each value: the first value's line, the newlines inside the values before it,
    # and the separators' newlines (their regularity is proved by _check_layout)
    store.execute(
        "CREATE OR REPLACE TEMP TABLE fast_loc AS "
        "SELECT seq, nl, "
        "(?::BIGINT + coalesce(sum(nl) OVER w, 0) + seq * ?::BIGINT)::BIGINT AS line, "
        "(?::BIGINT + coalesce(sum(len) OVER w, 0) + seq * ?::BIGINT)::BIGINT AS start, len, odd "
        "FROM (SELECT seq, strlen(doc) AS len, "
        "len(string_split(doc, chr(10))) - 1 AS nl, "
        # an object with an "items" array or a non-object would be expanded or rejected by
        # the Python reader
        "(NOT ?::BOOLEAN AND "
        "(json_type(doc) <> 'OBJECT' OR json_type(doc, '$.items') = 'ARRAY')) AS odd "
        "FROM fast_raw) "
        "WINDOW w AS (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)",
        [p.first_line, sep_nl, p.first_at, len(p.sep), p.listed],
    )
    store.execute(
        "CREATE OR REPLACE TEMP VIEW stage AS "
        "SELECT r.seq, 'line ' || l.line || "
        + ("' (item ' || r.seq || ')'" if p.listed else "''")
        + " AS location, "
        + ("true" if p.listed else "false")
        + " AS listed, NULL::VARCHAR AS error, r.doc "
        "FROM fast_raw AS r JOIN fast_loc AS l USING (seq)"
    )
    n, nbytes, newlines, irregular = store.rows(
        "SELECT count(*), coalesce(sum(len), 0), coalesce(sum(nl), 0), coalesce(bool_or(odd), "
        "false) FROM fast_loc"
    )[0]
    return _Totals(int(n), int(nbytes), int(newlines), bool(irregular))


def _check_layout(p: Plan, t: _Totals, range_newlines: int) -> None:
    """Prove every value sits where the location formula puts it, else raise Refused.

    DuckDB returned the values' exact texts in order; with one separator repeated between
    them, the bytes and the newlines of the range must add up to exactly these totals.
    """
    if t.irregular or t.n == 0:
        raise Refused("values the Python reader would treat differently")
    lead = p.first_at - p.start
    sep = p.sep if t.n > 1 else b""
    if t.n > 1 and not p.sep:
        raise Refused("more values than the head showed")
    tail_len = (p.end - p.start) - lead - t.bytes - (t.n - 1) * len(sep)
    if tail_len < (1 if p.listed else 0) or tail_len > TAIL_BYTES:
        raise Refused("byte totals do not add up")
    with open(p.path, "rb") as fh:
        fh.seek(p.start)
        lead_bytes = fh.read(lead)
        fh.seek(p.end - tail_len)
        tail = fh.read(tail_len)
    body = tail[:-1] if p.listed else tail
    if body.strip(_WS) or (p.listed and tail[-1:] != b"]"):
        raise Refused("unexpected bytes after the last value")
    expected = (
        lead_bytes.count(b"\n") + t.newlines + (t.n - 1) * sep.count(b"\n") + tail.count(b"\n")
    )
    if expected != range_newlines:
        raise Refused("newline totals do not add up")


def _check_gaps(store: Store, p: Plan, n: int) -> None:
    """Prove every gap between two values is exactly the separator, else raise Refused.

    Value i starts where the texts and separators before it end; the file must hold the
    separator just before that offset and a value's first (non-blank) byte at it. Checked with
    vectorised gathers over the file, one window at a time (bounded memory).
    """
    if n < 2:
        return
    starts = store.frame("SELECT start FROM fast_loc WHERE seq > 0 ORDER BY seq")["start"]
    width = len(p.sep)
    with open(p.path, "rb") as fh:
        for a in range(0, p.end, GAP_WINDOW):
            b = min(a + GAP_WINDOW, p.end)
            sel = starts.filter((starts >= a) & (starts < b))
            if sel.is_empty():
                continue
            lo = max(a - width, 0)
            fh.seek(lo)
            buf = fh.read(b + 1 - lo)
            data = pl.from_arrow(
                pa.Array.from_buffers(pa.uint8(), len(buf), [None, pa.py_buffer(buf)])
            )
            assert isinstance(data, pl.Series)
            rel = sel - lo
            if int(rel.min() or 0) < width or int(rel.max() or 0) >= len(buf):  # type: ignore[arg-type]
                raise Refused("a value outside the file")
            for k in range(width):
                if not (data.gather(rel - width + k) == p.sep[k]).all():
                    raise Refused("the spacing between values varies")
            if data.gather(rel).is_in(list(_WS)).any():
                raise Refused("the spacing between values varies")

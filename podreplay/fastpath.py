"""Staging a large JSON capture with DuckDB's own reader instead of splitting it in Python.

A `kubectl get ... -o json` List: the bytes of its top-level `"items": [...]` array are cut at
item boundaries into a few parts, and each part is streamed through its own named pipe as a
JSON array, so DuckDB parses the parts in parallel. A stream of top-level objects (NDJSON watch
records) is read by DuckDB directly. `read_json(records=false)` returns every item as minified
JSON in file order (the Python reader's documents are minified the same way by the ingest), so
the ingest SQL stays the single home of normalisation.

Staged rows carry only their item number as location: a source in which anything is rejected is
staged again by the Python reader (`ingest.ingest_file` does that), which knows exact lines.
Anything DuckDB would read differently from Python's json (malformed JSON, trailing commas, an
object holding a List in a stream, gzip, YAML, BOMs) is refused and left to the Python reader.
Pure: no printing.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import struct
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from podreplay.errors import QueryError
from podreplay.store import Store

DEFAULT_MIN_BYTES = 1 << 20
HEAD_BYTES = 1 << 16
TAIL_BYTES = 1 << 16
CHUNK = 1 << 22
PART_MIN_BYTES = 1 << 24  # smaller Lists are read as one part
MAX_PARTS = 8
_WS = b" \t\r\n"
_BLANKS = re.compile(rb"[ \t\r\n]*")
# DuckDB accepts `{"a": 1,}`, Python's json does not (a string such as ", }" is a false alarm:
# the file then goes to the Python reader, which is slower but exact)
_TRAILING_COMMA = r",[ \t\r\n]*[}\]]"


@dataclass(frozen=True)
class Plan:
    """Where the values of a file are and how DuckDB should read them."""

    path: str
    listed: bool  # True: the items of a top-level List; False: a stream of top-level objects
    start: int  # byte offset of the range DuckDB reads ('[' of the items, or the first '{')
    end: int  # byte offset just past the range
    sep: bytes  # what separates the first two values (b"" when there is one)
    newline_delimited: bool = False
    list_kind: str | None = None  # the kind the List gives items without one (PodList -> Pod)


@dataclass(frozen=True)
class Staged:
    """What the fast path put into `stage`."""

    n_items: int
    sha256: str
    format: str
    list_kind: str | None = None


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
    list_kind = None
    if items_at is None:
        if _items_key_near(text):
            return None  # a List whose "items" is not within the head
        start, end, listed = first, size, False
        value_at = first
    else:
        list_end = _list_end(tail, max(0, size - TAIL_BYTES), items_at)
        if list_end is None:
            return None
        list_kind = _list_kind(text[:items_at], tail[list_end - max(0, size - TAIL_BYTES) :])
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
    ndjson = not listed and b"\n" in sep and "\n" not in text[value_at:value_end]
    return Plan(name, listed, start, end, sep, newline_delimited=ndjson, list_kind=list_kind)


_KIND = re.compile(rb'"kind"[ \t\r\n]*:[ \t\r\n]*"([A-Za-z0-9]+)List"')


def _list_kind(before: str, after: bytes) -> str | None:
    """The kind of the List's items from its own `kind` (the keys before or after the items)."""
    for part in (before.encode("utf-8", "surrogateescape"), after):
        m = _KIND.search(part)
        if m:
            return m.group(1).decode()
    return None


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
    # "Items": a Go-internal List (kubectl < 1.10), which the Python reader normalises
    return '"items"' in text or '"Items"' in text


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


class _Checker(threading.Thread):
    """Reads the whole file once: its sha256, and whether it has a trailing comma."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.sha = hashlib.sha256()
        self.trailing_comma = False
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            comma_open = False  # the last non-blank byte of the chunks before is a comma
            with open(self.path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    self.sha.update(chunk)  # hashlib and RE2 release the GIL on big buffers
                    if self.trailing_comma:
                        continue
                    first = _BLANKS.match(chunk).end()  # type: ignore[union-attr]
                    self.trailing_comma = _has_trailing_comma(chunk) or (
                        comma_open and chunk[first : first + 1] in (b"}", b"]")
                    )
                    last = len(chunk)
                    while last > 0 and chunk[last - 1] in _WS:
                        last -= 1
                    if last > 0:
                        comma_open = chunk[last - 1] == ord(",")
        except BaseException as exc:  # reported to the caller, never lost in the thread
            self.error = exc


def _has_trailing_comma(data: bytes) -> bool:
    import pyarrow.compute as pc  # 60 ms to import: only when a large file is read

    offsets = pa.py_buffer(struct.pack("<qq", 0, len(data)))
    array = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    return bool(pc.match_substring_regex(array, _TRAILING_COMMA)[0].as_py())


@dataclass(frozen=True)
class _Part:
    """A byte range of the file written to one pipe, with brackets around it as needed."""

    lo: int
    hi: int
    prefix: bytes
    suffix: bytes


def _parts(p: Plan) -> list[_Part]:
    """Cut a List's items array into parts at item boundaries (`}` separator `{`).

    Only a separator holding a newline is used (pretty-printed output): a JSON string cannot
    hold a raw newline, and nested values are indented deeper. A cut anywhere else would leave
    parts that are not valid JSON, so DuckDB would refuse them: never wrong rows.
    """
    n = min(MAX_PARTS, max(1, (p.end - p.start) // PART_MIN_BYTES))
    boundary = b"}" + p.sep + b"{"
    cuts = [p.start]
    if b"\n" in p.sep:
        with open(p.path, "rb") as fh:
            for k in range(1, n):
                at = max(cuts[-1] + 1, p.start + (p.end - p.start) * k // n)
                fh.seek(at)
                found = fh.read(CHUNK).find(boundary)
                if found >= 0:
                    cuts.append(at + found + 1)  # just past the item's closing brace
    parts = []
    for i, lo in enumerate(cuts):
        first, last = i == 0, i == len(cuts) - 1
        parts.append(
            _Part(
                lo=lo if first else lo + len(p.sep),
                hi=p.end if last else cuts[i + 1],
                prefix=b"" if first else b"[",
                suffix=b"" if last else b"]",
            )
        )
    return parts


class _Feeder(threading.Thread):
    """Writes one part of the file into a named pipe for DuckDB."""

    def __init__(self, path: str, part: _Part, fifo: str) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.part = part
        self.fifo = fifo
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with open(self.fifo, "wb", buffering=0) as out, open(self.path, "rb") as src:
                out.write(self.part.prefix)
                _copy_range(src, out, self.part.lo, self.part.hi)
                out.write(self.part.suffix)
        except BrokenPipeError:
            pass  # DuckDB stopped reading (it failed): the caller refuses the file
        except BaseException as exc:
            self.error = exc


def _copy_range(src: BinaryIO, out: BinaryIO, lo: int, hi: int) -> None:
    """Copy bytes lo..hi of src into out: in the kernel (sendfile) where it can write to a
    pipe (Linux), else through a buffer (macOS only sends files to sockets)."""
    offset = lo
    try:
        while offset < hi:
            sent = os.sendfile(out.fileno(), src.fileno(), offset, min(hi - offset, CHUNK))
            if sent == 0:
                raise OSError(f"{src.name} shrank while it was read")
            offset += sent
        return
    except OSError as exc:
        if offset > lo or exc.errno not in (errno.EINVAL, errno.ENOTSOCK, errno.ENOSYS):
            raise
    src.seek(lo)
    while offset < hi:
        chunk = src.read(min(hi - offset, CHUNK))
        if not chunk:
            raise OSError(f"{src.name} shrank while it was read")
        out.write(chunk)
        offset += len(chunk)


def stage(store: Store, p: Plan) -> Staged:
    """Fill the temp `stage` view (over `fast_raw`) from the planned file.

    Runs outside the source's transaction. Raises Refused, leaving no stage behind, when the
    result could differ from what the Python reader would stage.
    """
    checker = _Checker(p.path)
    checker.start()
    with tempfile.TemporaryDirectory(prefix="podreplay-") as tmp:
        feeders = []
        if p.listed:
            for i, part in enumerate(_parts(p)):
                fifo = os.path.join(tmp, f"items-{i}.json")
                os.mkfifo(fifo)
                feeders.append(_Feeder(p.path, part, fifo))
        for feeder in feeders:
            feeder.start()
        try:
            n = _read(store, p, [f.fifo for f in feeders] or [p.path])
        except QueryError as exc:
            drop_stage(store)
            raise Refused(str(exc)) from exc
        finally:
            for feeder in feeders:  # also after a failure or Ctrl-C: never left waiting
                while feeder.is_alive():
                    _unblock(feeder)
                    feeder.join(0.05)
    checker.join()
    threads: list[_Checker | _Feeder] = [checker, *feeders]
    errors = [t.error for t in threads if t.error is not None]
    if errors:
        drop_stage(store)
        raise errors[0]
    if checker.trailing_comma:
        drop_stage(store)
        raise Refused("a trailing comma")
    fmt = "json" if p.listed or n == 1 else "json-stream"
    return Staged(n, checker.sha.hexdigest(), fmt, p.list_kind)


def drop_stage(store: Store) -> None:
    """Remove what `stage` created."""
    store.execute("DROP VIEW IF EXISTS stage; DROP TABLE IF EXISTS fast_raw")


def _unblock(feeder: _Feeder) -> None:
    """If DuckDB never opened the pipe (or let it go), open and close it so the feeder's open
    returns and its next write fails."""
    try:
        fd = os.open(feeder.fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError:
        pass


def _read(store: Store, p: Plan, sources: list[str]) -> int:
    """Stage the values in file order (a CREATE TABLE AS keeps the scan order: seq = rowid)."""
    fmt = "array" if p.listed else "newline_delimited" if p.newline_delimited else "unstructured"
    store.execute("DROP VIEW IF EXISTS stage; DROP TABLE IF EXISTS stage")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE fast_raw AS SELECT json AS doc "
        "FROM read_json(?, format = ?, records = false, columns = {'json': 'JSON'})",
        [sources, fmt],
    )
    where = "item" if p.listed else "value"
    store.execute(
        "CREATE OR REPLACE TEMP VIEW stage AS "
        f"SELECT rowid AS seq, '{where} ' || rowid AS location, {str(p.listed).lower()} AS listed, "
        "NULL::VARCHAR AS error, doc, true AS valid, "
        f"{'0' if p.listed else 'NULL'}::INTEGER AS list_no, 0 AS src FROM fast_raw"
    )
    n, odd = store.rows(
        # one parse per value: both types from one json_type call
        "SELECT count(*), coalesce(bool_or(t[1] <> 'OBJECT' OR t[2] = 'ARRAY'), false) "
        "FROM (SELECT json_type(doc, ['$', '$.items']) AS t FROM fast_raw)"
        if not p.listed
        else "SELECT count(*), false FROM fast_raw"
    )[0]
    if odd or n == 0:
        drop_stage(store)
        raise Refused("values the Python reader would treat differently")
    return int(n)

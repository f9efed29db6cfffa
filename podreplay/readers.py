"""Reading capture files: sniff the format from content and stream out one JSON text per object.

Accepts JSON Lists, bare arrays, concatenated or line-delimited objects (watch streams, NDJSON),
text between JSON values (`kubectl cluster-info dump` on stdout, stray kubectl warnings), YAML
(multi-document), gzip, and stdin. Lists are expanded into their items here, so a 1 GB List is
never held as one Python object. Pure: no database, no printing.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import yaml

from podreplay.errors import InputError

CHUNK = 1 << 20
MAX_OBJECT_CHARS = 512 << 20
MAX_INDENT = 4096  # a line start further back than this is not kept on a refill
MAX_REJECT_TEXT = 64 << 10
DEFAULT_MAX_DECOMPRESSED = 8 << 30
GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int], None]

_YAML_START = re.compile(
    r"^(---|%YAML|(apiVersion|kind|items|metadata|type|object|involvedObject|regarding|"
    r"spec|status|reason|note|count|eventTime|series)\s*:|- )"
)
_DUMP_MARKER = "==== START logs for"
_WS = " \t\r\n"


class ByteSource(Protocol):
    """Anything with a binary read(n): files, stdin's buffer, decompressors."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Item:
    """One object read from a source: its JSON text, or why it could not be read."""

    location: str
    text: str
    error: str | None = None
    listed: bool = False  # an item of a List or array (one snapshot), not a lone record


@dataclass
class ReadStats:
    """What a reader saw besides objects."""

    format: str = "unknown"
    text_lines_skipped: int = 0
    values: int = 0  # top-level JSON values or YAML documents seen (an empty List counts)


class _Bounded:
    """A binary reader that refuses to produce more than `limit` bytes (gzip bombs)."""

    def __init__(self, raw: ByteSource, limit: int, name: str) -> None:
        self.raw = raw
        self.limit = limit
        self.done = 0
        self.name_ = name

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.raw.read(n if n >= 0 else CHUNK)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise InputError(
                self.name_, f"byte {self.done} (decompressed)", f"corrupt or truncated gzip: {exc}"
            ) from None
        self.done += len(data)
        if self.done > self.limit:
            raise InputError(
                self.name_,
                f"byte {self.limit}",
                f"decompresses to more than {self.limit} bytes (limit; see --max-gz-size)",
            )
        return data


def open_binary(
    stream: ByteSource, name: str, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
) -> ByteSource:
    """Wrap a binary stream, transparently (and boundedly) decompressing gzip."""
    peek = _peek(stream, 2)
    if peek[0] == GZIP_MAGIC:
        gz = gzip.GzipFile(fileobj=peek[1], mode="rb")  # type: ignore[call-overload]
        return _Bounded(gz, max_decompressed, name)
    return peek[1]


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


def _peek(stream: ByteSource, n: int) -> tuple[bytes, ByteSource]:
    head = stream.read(n)
    return head, _Prefixed(head, stream)


def read_items(
    stream: ByteSource, name: str, stats: ReadStats, on_bytes: Progress | None = None
) -> Iterator[Item]:
    """Yield every object of a (decompressed) capture stream, sniffing its format."""
    text = _Text(stream, name, on_bytes)
    text.fill()
    first = text.first_meaningful_line()
    if first is None:
        stats.format = "empty"
        return
    if first[:1] in "{[":
        yield from _json_stream(text, stats)
    elif _YAML_START.match(first):
        stats.format = "yaml"
        yield from _yaml_stream(text, stats)
    else:
        yield from _json_stream(text, stats)


class _Text:
    """A decoded text buffer over a byte stream, with line tracking and refills."""

    def __init__(self, stream: ByteSource, name: str, on_bytes: Progress | None) -> None:
        self.stream = stream
        self.name = name
        self.on_bytes = on_bytes
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
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


_DECODER = json.JSONDecoder()


def _json_stream(text: _Text, stats: ReadStats) -> Iterator[Item]:
    """Top-level JSON values (Lists expanded), with text lines between them."""
    values = 0
    dump_mode = False
    while text.skip_ws():
        ch = text.buf[text.pos]
        line = text.line_at(text.pos)
        if ch == "{":
            values += 1
            yield from _top_object(text, line)
        elif ch == "[":
            values += 1
            stats.format = "json-array" if stats.format in ("unknown", "json-array") else "mixed"
            text.pos += 1
            yield from _array_items(text, f"line {line}")
        else:
            content = text.rest_of_line()
            if _DUMP_MARKER in content:
                dump_mode = True
            if dump_mode or not content.strip():
                stats.text_lines_skipped += 1
                continue
            yield Item(f"line {line}", content[:MAX_REJECT_TEXT], "not JSON: text line")
    stats.values += values
    if stats.format == "unknown":
        stats.format = "json" if values <= 1 else "json-stream"
    if dump_mode:
        stats.format = "cluster-info-dump"


def _top_object(text: _Text, line: int) -> Iterator[Item]:
    """One top-level object: a List streams its items, anything else is yielded whole.

    `text.keep` holds the object's start while it is scanned: refills shift buffer indices.
    """
    text.keep = text.pos
    text.pos += 1
    streamed = False
    text.dupes = False
    keys: set[str] = set()
    try:
        while True:
            if not text.skip_ws():
                raise _Broken("unexpected end of input inside an object")
            ch = text.buf[text.pos]
            if ch == "}":
                text.pos += 1
                break
            if ch == ",":
                text.pos += 1
                continue
            if ch != '"':
                raise _Broken(f"expected a key, got {ch!r}")
            key, text.pos = text.decode_value(_DECODER)
            if key in keys:
                text.dupes = True
            keys.add(key)
            if not text.skip_ws() or text.buf[text.pos] != ":":
                raise _Broken("expected ':' after a key")
            text.pos += 1
            if not text.skip_ws():
                raise _Broken("unexpected end of input after a key")
            if key == "items" and text.buf[text.pos] == "[" and not streamed:
                text.pos += 1
                text.keep = None
                streamed = True
                if (yield from _array_items(text, f"line {line}")):
                    return  # cut off inside the list: already reported
            else:
                _value, text.pos = text.decode_value(text.json_decoder)
    except (_Broken, json.JSONDecodeError) as exc:
        at = text.keep if text.keep is not None else text.pos
        yield _broken(text, at, f"line {line}", exc)
        return
    if not streamed and text.keep is not None:
        start, text.keep = text.keep, None
        yield Item(f"line {line}", _last_key_wins(text, text.buf[start : text.pos]))


def _array_items(text: _Text, where: str) -> Generator[Item, None, bool]:
    """Stream the elements of an array whose '[' was just consumed; True if it was cut off."""
    index = 0
    while True:
        if not text.skip_ws():
            yield Item(f"{where} item {index}", "", "unexpected end of input inside a list")
            return True
        ch = text.buf[text.pos]
        if ch == "]":
            text.pos += 1
            return False
        if ch == ",":
            text.pos += 1
            continue
        line = text.line_at(text.pos)
        text.keep = text.pos
        text.dupes = False
        try:
            _value, text.pos = text.decode_value(text.json_decoder)
        except json.JSONDecodeError as exc:
            yield _broken(text, text.keep, f"line {line} (item {index})", exc)
            if text.eof and text.pos >= len(text.buf):
                return True
            index += 1
            continue
        start, text.keep = text.keep, None
        item_text = _last_key_wins(text, text.buf[start : text.pos])
        yield Item(f"line {line} (item {index})", item_text, listed=True)
        index += 1


def _last_key_wins(text: _Text, raw: str) -> str:
    """The value's text, re-encoded so a repeated key keeps its last value (as Go and kubectl
    do; DuckDB's JSON functions would read the first)."""
    if not text.dupes:
        return raw
    text.dupes = False
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except (ValueError, RecursionError):
        return raw


class _Broken(Exception):
    """Structural damage found while scanning an object."""


def _broken(text: _Text, start: int, where: str, exc: Exception) -> Item:
    """A reject for a damaged value; skip to the next line that starts something new at its
    indent (a value, or text such as a kubectl warning), not a closing bracket."""
    msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
    indent = _indent_of(text.buf, start)
    pattern = re.compile(r"\n" + re.escape(indent) + r"[^\s}\],]")
    text.keep = start
    search_from = start + 1
    while True:
        m = pattern.search(text.buf, search_from)
        if m:
            end = m.start() + 1
            break
        if text.eof:
            end = len(text.buf)
            break
        seen = len(text.buf) - text.keep
        text.fill()
        search_from = text.keep + max(1, seen - len(indent) - 2)
    start = text.keep
    text.keep = None
    text.pos = end
    return Item(where, text.buf[start:end][:MAX_REJECT_TEXT], f"invalid JSON: {msg}")


def _indent_of(buf: str, i: int) -> str:
    line_start = buf.rfind("\n", 0, i) + 1
    prefix = buf[line_start:i]
    return prefix if not prefix.strip() else ""


def _yaml_stream(text: _Text, stats: ReadStats) -> Iterator[Item]:
    """Multi-document YAML, split on document markers so one bad document loses only itself."""
    doc_no = 0
    lines: list[str] = []
    doc_line = 1
    line_no = 0
    for line in _lines(text):
        line_no += 1
        if line.startswith("---") or line.startswith("..."):
            if any(s.strip() and not s.lstrip().startswith("#") for s in lines):
                yield from _yaml_doc("".join(lines), doc_no, doc_line)
                doc_no += 1
            lines = []
            doc_line = line_no + 1
            rest = line[3:].strip()
            if line.startswith("---") and rest and not rest.startswith("#"):
                lines.append(rest + "\n")
                doc_line = line_no
            continue
        lines.append(line)
    if any(s.strip() and not s.lstrip().startswith("#") for s in lines):
        yield from _yaml_doc("".join(lines), doc_no, doc_line)
        doc_no += 1
    stats.values += doc_no


def _lines(text: _Text) -> Iterator[str]:
    while True:
        nl = text.buf.find("\n", text.pos)
        if nl >= 0:
            line = text.buf[text.pos : nl + 1]
            text.pos = nl + 1
            yield line
            continue
        if not text.fill():
            if text.pos < len(text.buf):
                line = text.buf[text.pos :]
                text.pos = len(text.buf)
                yield line
            return


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_doc(doc: str, doc_no: int, first_line: int) -> Iterator[Item]:
    where = f"line {first_line} (document {doc_no})"
    try:
        if "&" in doc and "*" in doc and _alias_blowup(doc):
            yield Item(where, doc[:MAX_REJECT_TEXT], _ALIAS_ERROR)
            return
        value = yaml.load(doc, Loader=_Loader)
    except RecursionError:
        yield Item(where, doc[:MAX_REJECT_TEXT], f"invalid YAML: {_TOO_DEEP}")
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"line {first_line + mark.line} (document {doc_no})"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        yield Item(where, doc[:MAX_REJECT_TEXT], f"invalid YAML: {problem}")
        return
    items = value.get("items") if isinstance(value, dict) else None
    if isinstance(value, dict) and isinstance(items, list):
        for i, item in enumerate(items):
            yield _yaml_item(item, f"{where} item {i}", doc, listed=True)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield _yaml_item(item, f"{where} item {i}", doc, listed=True)
    elif value is not None:
        yield _yaml_item(value, where, doc, listed=False)


def _yaml_item(value: Any, where: str, doc: str, *, listed: bool) -> Item:
    try:
        text = json.dumps(value, default=_yaml_scalar, ensure_ascii=False)
        return Item(where, text, listed=listed)
    except RecursionError:
        return Item(where, doc[:MAX_REJECT_TEXT], f"cannot convert YAML value: {_TOO_DEEP}")
    except (TypeError, ValueError) as exc:
        try:
            text = repr(value)[:MAX_REJECT_TEXT]
        except RecursionError:
            text = ""
        return Item(where, text, f"cannot convert YAML value: {exc}")


MAX_YAML_NODES = 1_000_000
_TOO_DEEP = f"nested deeper than {sys.getrecursionlimit()} levels"
_ALIAS_ERROR = (
    f"invalid YAML: aliases expand to more than {MAX_YAML_NODES} nodes (or refer to themselves)"
)


def _alias_blowup(doc: str) -> bool:
    """Whether the document's aliases (*name) would expand past MAX_YAML_NODES nodes when
    converted to JSON (a "billion laughs" document), or form a cycle. Iterative: no recursion."""
    root = yaml.compose(doc, Loader=_Loader)
    if root is None:
        return False
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        kids = _yaml_children(node)
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(k)] for k in kids), MAX_YAML_NODES + 1)
            continue
        if id(node) in sizes:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for kid in kids:
            if id(kid) in open_nodes:
                return True
            if id(kid) not in sizes:
                stack.append((kid, False))
    return sizes[id(root)] > MAX_YAML_NODES


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _yaml_scalar(value: Any) -> Any:
    """YAML timestamps become RFC 3339 strings in UTC, as kubectl's JSON would print them."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        text = value.astimezone(UTC).isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"unsupported YAML value of type {type(value).__name__}")

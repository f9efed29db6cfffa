"""Reading capture files: sniff the format from content and stream out one JSON text per object.

Accepts JSON Lists, bare arrays, concatenated or line-delimited objects (watch streams, NDJSON),
text around and between documents (`kubectl cluster-info dump` on stdout and its log sections,
kubectl warnings, comments, shell transcripts and markdown holding JSON or YAML), YAML
(multi-document), gzip, UTF-8/UTF-16 with a byte order mark, the Go-internal `Items` dumps of
kubectl before 1.10, and stdin. Lists are expanded into their items here, so a 1 GB List is
never held as one Python object; the kind of each List is recorded for its items without `kind`.
Pure: no database, no printing.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

import yaml

from podreplay.errors import InputError
from podreplay.names import DEFAULT_MAX_DECOMPRESSED as DEFAULT_MAX_DECOMPRESSED

CHUNK = 1 << 20
MAX_OBJECT_CHARS = 512 << 20
MAX_INDENT = 4096  # a line start further back than this is not kept on a refill
MAX_REJECT_TEXT = 64 << 10
GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int], None]

_YAML_START = re.compile(
    r"^(---|%YAML|(apiVersion|kind|items|metadata|type|object|involvedObject|regarding|"
    r"spec|status|reason|note|count|eventTime|series)\s*:|- )"
)
_LOGS_START = "==== START logs for"
_LOGS_END = "==== END logs for"
# a '[' opens a JSON value only when what follows it could be one worth reading (an object, an
# array, a string, a number or the end of the line): `[INFO] ...`, `[main] ...` are log text
_ARRAY_START = re.compile(r"\[[ \t]*(?:\r?\n|[{\[\]\"\d-]|$)")
# a YAML document inside text (a transcript, markdown): it starts at column 0 with one of these
_YAML_BLOCK_START = re.compile(r"(---[ \t]*(\r?\n|$)|(apiVersion|kind|items|metadata)[ \t]*:)")
# lines that continue such a block: indented, list items, comments, blank, `key:` or `---`
_YAML_BLOCK_LINE = re.compile(r"([ \t#-]|\r?\n|$|---|[A-Za-z_][\w.-]*\s*:(\s|$))")
_WS = " \t\r\n"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
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
    head, stream = peek(stream, 2)
    if head == GZIP_MAGIC:
        gz = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[call-overload]
        return _Bounded(gz, max_decompressed, name)
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


def read_items(
    stream: ByteSource, name: str, stats: ReadStats, on_bytes: Progress | None = None
) -> Iterator[Item]:
    """Yield every object of a (decompressed) capture stream, sniffing its format."""
    head, stream = peek(stream, 3)
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "utf-8")
    text = _Text(stream, name, on_bytes, encoding)
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


_DECODER = json.JSONDecoder()


def _json_stream(text: _Text, stats: ReadStats) -> Iterator[Item]:
    """Top-level JSON values (Lists expanded) and YAML documents, with text around them:
    text lines and `cluster-info dump` log sections are skipped and counted."""
    values = 0
    dump = in_logs = False
    while text.skip_ws():
        ch = text.buf[text.pos]
        line = text.line_at(text.pos)
        if in_logs:
            in_logs = not _logs_end(text, stats, line)
        elif ch == "{":
            values += 1
            yield from _top_object(text, line, stats)
        elif ch == "[" and _array_ahead(text):
            values += 1
            stats.format = "json-array" if stats.format in ("unknown", "json-array") else "mixed"
            text.pos += 1
            yield from _array_items(text, f"line {line}", stats.lists)
            stats.lists += 1
        elif _at_line_start(text) and _YAML_BLOCK_START.match(text.buf, text.pos):
            yield from _yaml_block(text, stats, line)  # counts its documents in stats.values
        else:
            content = text.rest_of_line()
            if content.startswith(_LOGS_START):
                dump = in_logs = True
            stats.skip_text(line)
    stats.values += values
    if stats.format == "unknown":
        stats.format = "json" if values <= 1 else "json-stream"
    if dump:
        stats.format = "cluster-info-dump"


def _logs_end(text: _Text, stats: ReadStats, line: int) -> bool:
    """Skip one line of a dump's log section; True when the section ended (its END marker, or
    a lone `{` that starts the next List of a dump whose marker is missing)."""
    lone_brace = text.buf[text.pos] == "{" and _at_line_start(text) and text.ensure(2)
    if lone_brace and text.buf[text.pos + 1 : text.pos + 2] in ("\n", "\r"):
        return True
    content = text.rest_of_line()
    stats.skip_text(line)
    return content.startswith(_LOGS_END)


def _at_line_start(text: _Text) -> bool:
    return text.pos == 0 or text.buf[text.pos - 1] == "\n"


def _array_ahead(text: _Text) -> bool:
    text.ensure(256)
    return _ARRAY_START.match(text.buf, text.pos) is not None


def _top_object(text: _Text, line: int, stats: ReadStats) -> Iterator[Item]:
    """One top-level object: a List streams its items, anything else is yielded whole.

    `text.keep` holds the object's start while it is scanned: refills shift buffer indices.
    """
    text.keep = text.pos
    text.pos += 1
    streamed = False
    text.dupes = False
    keys: set[str] = set()
    list_no = stats.lists
    kind: str | None = None
    self_link: str | None = None
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
            if key in ("items", "Items") and text.buf[text.pos] == "[" and not streamed:
                text.pos += 1
                text.keep = None
                streamed = True
                stats.lists += 1
                go = key == "Items"
                if (yield from _array_items(text, f"line {line}", list_no, go)):
                    return  # cut off inside the list: already reported
            else:
                value, text.pos = text.decode_value(text.json_decoder)
                if key == "kind" and isinstance(value, str):
                    kind = value
                elif key == "selfLink" and isinstance(value, str):
                    self_link = value
    except (_Broken, json.JSONDecodeError) as exc:
        at = text.keep if text.keep is not None else text.pos
        first = line if text.keep is not None else text.line_at(at)
        yield _broken(text, at, f"line {line}", exc, first)
        return
    finally:
        if streamed:
            _list_kind(stats, list_no, kind, self_link)
    if not streamed and text.keep is not None:
        start, text.keep = text.keep, None
        yield Item(f"line {line}", _last_key_wins(text, text.buf[start : text.pos]))


def _list_kind(stats: ReadStats, list_no: int, kind: str | None, self_link: str | None) -> None:
    """Record the kind a List gives its items: `PodList` -> `Pod`; a Go-internal List (no
    kind) by the resource its selfLink names."""
    if kind and kind != "List" and kind.endswith("List"):
        stats.list_kinds[list_no] = kind.removesuffix("List")
    elif not kind and self_link:
        resource = self_link.rstrip("/").rsplit("/", 1)[-1]
        if resource in _RESOURCE_KINDS:
            stats.list_kinds[list_no] = _RESOURCE_KINDS[resource]


def _array_items(
    text: _Text, where: str, list_no: int | None = None, go: bool = False
) -> Generator[Item, None, bool]:
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
            yield _broken(text, text.keep, f"line {line} (item {index})", exc, line)
            if text.eof and text.pos >= len(text.buf):
                return True
            index += 1
            continue
        start, text.keep = text.keep, None
        item_text = _last_key_wins(text, text.buf[start : text.pos])
        yield Item(
            f"line {line} (item {index})", item_text, listed=True, list_no=list_no, go_internal=go
        )
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


def _broken(text: _Text, start: int, where: str, exc: Exception, first_line: int) -> Item:
    """A reject for a damaged value, naming the lines it spans; skip to the next line that
    starts something new at its indent (a value, or text such as a kubectl warning), not a
    closing bracket."""
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
    last_line = first_line + max(0, text.buf.count("\n", start, end - 1))
    span = f"line {first_line}" if last_line == first_line else f"lines {first_line}-{last_line}"
    reason = f"invalid JSON: {msg} ({span})"
    return Item(where, text.buf[start:end][:MAX_REJECT_TEXT], reason)


def _indent_of(buf: str, i: int) -> str:
    line_start = buf.rfind("\n", 0, i) + 1
    prefix = buf[line_start:i]
    return prefix if not prefix.strip() else ""


def _yaml_stream(text: _Text, stats: ReadStats) -> Iterator[Item]:
    """Multi-document YAML, split on document markers so one bad document loses only itself."""
    yield from _yaml_docs(_lines(text), stats, 1)


def _yaml_block(text: _Text, stats: ReadStats, first_line: int) -> Iterator[Item]:
    """YAML inside text (a shell transcript, markdown): its lines up to the first line that
    cannot continue a YAML document (a code fence, a prompt)."""
    yield from _yaml_docs(_block_lines(text), stats, first_line)


def _block_lines(text: _Text) -> Iterator[str]:
    while True:
        nl = text.buf.find("\n", text.pos)
        while nl < 0 and text.fill():
            nl = text.buf.find("\n", text.pos)
        end = nl + 1 if nl >= 0 else len(text.buf)
        if text.pos >= end or not _YAML_BLOCK_LINE.match(text.buf, text.pos, end):
            return
        line = text.buf[text.pos : end]
        text.pos = end
        yield line


def _yaml_docs(source: Iterable[str], stats: ReadStats, line_no: int) -> Iterator[Item]:
    doc_no = 0
    lines: list[str] = []
    doc_line = line_no
    line_no -= 1
    for line in source:
        line_no += 1
        if line.startswith("---") or line.startswith("..."):
            if any(s.strip() and not s.lstrip().startswith("#") for s in lines):
                yield from _yaml_doc("".join(lines), doc_no, doc_line, stats)
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
        yield from _yaml_doc("".join(lines), doc_no, doc_line, stats)
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


def _yaml_doc(doc: str, doc_no: int, first_line: int, stats: ReadStats) -> Iterator[Item]:
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
    list_no = stats.lists
    if isinstance(value, dict) and isinstance(items, list):
        stats.lists += 1
        kind, link = value.get("kind"), value.get("metadata", {})
        self_link = link.get("selfLink") if isinstance(link, dict) else None
        _list_kind(stats, list_no, kind if isinstance(kind, str) else None, self_link)
        for i, item in enumerate(items):
            yield _yaml_item(item, f"{where} item {i}", doc, listed=True, list_no=list_no)
    elif isinstance(value, list):
        stats.lists += 1
        for i, item in enumerate(value):
            yield _yaml_item(item, f"{where} item {i}", doc, listed=True, list_no=list_no)
    elif value is not None:
        yield _yaml_item(value, where, doc, listed=False)


def _yaml_item(
    value: Any, where: str, doc: str, *, listed: bool, list_no: int | None = None
) -> Item:
    try:
        text = json.dumps(value, default=_yaml_scalar, ensure_ascii=False)
        return Item(where, text, listed=listed, list_no=list_no)
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

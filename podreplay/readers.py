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
import json
import re
from collections.abc import Generator, Iterator

from podreplay.names import DEFAULT_MAX_DECOMPRESSED
from podreplay.readers_yaml import yaml_block, yaml_stream
from podreplay.streams import GZIP_MAGIC, ByteSource, open_binary, peek
from podreplay.textbuf import MAX_REJECT_TEXT, Item, Progress, ReadStats, TextBuffer, list_kind

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED",
    "GZIP_MAGIC",
    "ByteSource",
    "Item",
    "ReadStats",
    "open_binary",
    "peek",
    "read_items",
]

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
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_items(
    stream: ByteSource, name: str, stats: ReadStats, on_bytes: Progress | None = None
) -> Iterator[Item]:
    """Yield every object of a (decompressed) capture stream, sniffing its format."""
    head, stream = peek(stream, 3)
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "utf-8")
    text = TextBuffer(stream, name, on_bytes, encoding)
    text.fill()
    first = text.first_meaningful_line()
    if first is None:
        stats.format = "empty"
        return
    if first[:1] in "{[":
        yield from _json_stream(text, stats)
    elif _YAML_START.match(first):
        stats.format = "yaml"
        yield from yaml_stream(text, stats)
    else:
        yield from _json_stream(text, stats)


_DECODER = json.JSONDecoder()


def _json_stream(text: TextBuffer, stats: ReadStats) -> Iterator[Item]:
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
            yield from yaml_block(text, stats, line)  # counts its documents in stats.values
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


def _logs_end(text: TextBuffer, stats: ReadStats, line: int) -> bool:
    """Skip one line of a dump's log section; True when the section ended (its END marker, or
    a lone `{` that starts the next List of a dump whose marker is missing)."""
    lone_brace = text.buf[text.pos] == "{" and _at_line_start(text) and text.ensure(2)
    if lone_brace and text.buf[text.pos + 1 : text.pos + 2] in ("\n", "\r"):
        return True
    content = text.rest_of_line()
    stats.skip_text(line)
    return content.startswith(_LOGS_END)


def _at_line_start(text: TextBuffer) -> bool:
    return text.pos == 0 or text.buf[text.pos - 1] == "\n"


def _array_ahead(text: TextBuffer) -> bool:
    text.ensure(256)
    return _ARRAY_START.match(text.buf, text.pos) is not None


def _top_object(text: TextBuffer, line: int, stats: ReadStats) -> Iterator[Item]:
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
            list_kind(stats, list_no, kind, self_link)
    if not streamed and text.keep is not None:
        start, text.keep = text.keep, None
        yield Item(f"line {line}", _last_key_wins(text, text.buf[start : text.pos]))


def _array_items(
    text: TextBuffer, where: str, list_no: int | None = None, go: bool = False
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


def _last_key_wins(text: TextBuffer, raw: str) -> str:
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


def _broken(text: TextBuffer, start: int, where: str, exc: Exception, first_line: int) -> Item:
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

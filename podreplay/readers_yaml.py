"""YAML captures: multi-document files, and YAML blocks inside text (transcripts, markdown),
each document converted to the JSON text the rest of ingest reads. Bounded against alias
bombs and deep nesting. Pure."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import yaml

from podreplay.textbuf import MAX_REJECT_TEXT, Item, ReadStats, TextBuffer, list_kind

# lines that continue such a block: indented, list items, comments, blank, `key:` or `---`
_YAML_BLOCK_LINE = re.compile(r"([ \t#-]|\r?\n|$|---|[A-Za-z_][\w.-]*\s*:(\s|$))")


def yaml_stream(text: TextBuffer, stats: ReadStats) -> Iterator[Item]:
    """Multi-document YAML, split on document markers so one bad document loses only itself."""
    yield from _yaml_docs(_lines(text), stats, 1)


def yaml_block(text: TextBuffer, stats: ReadStats, first_line: int) -> Iterator[Item]:
    """YAML inside text (a shell transcript, markdown): its lines up to the first line that
    cannot continue a YAML document (a code fence, a prompt)."""
    yield from _yaml_docs(_block_lines(text), stats, first_line)


def _block_lines(text: TextBuffer) -> Iterator[str]:
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


def _lines(text: TextBuffer) -> Iterator[str]:
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
        list_kind(stats, list_no, kind if isinstance(kind, str) else None, self_link)
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

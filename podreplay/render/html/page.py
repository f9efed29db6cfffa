"""The page base of the HTML output: one self-contained page (plotly.js embedded once, no CDN
and no network at view time), its figures as JSON blocks drawn by a little vanilla JS
(page.js, styled by page.css), and the markup helpers every section uses.

Every string that came from the cluster is escaped (html.escape in markup, `<`, `>` and `&`
as \\u escapes inside JSON). Output is deterministic: same database, same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import plotly.io as pio

from podreplay.render.html.plot import PHASE_COLORS, duration_text

_HERE = Path(__file__).parent
# plotly.js's "basic" partial bundle (npm plotly.js-basic-dist-min, the same version as the
# full bundle plotly.py ships; MIT, see plotly-basic.LICENSE): the scatter, bar and pie traces
# plus every layout component (shapes, annotations, buttons, range slider...), which is all the
# figures use. It is 1.2 MB instead of 4.8 MB, and headless Chromium parses and runs it in about
# a third of the time: that cost was most of the time before a report page is interactive.
PLOTLY_JS = _HERE / "plotly-basic.min.js"
PLOTLY_TRACE_TYPES = frozenset({"scatter", "bar", "pie"})


@cache
def _plotly_js() -> str:
    js = PLOTLY_JS.read_text(encoding="utf-8")
    # The HTML parser would end the script element here; plotly.js has none today.
    return js.replace("</script", "<\\/script")


@cache
def asset(name: str) -> str:
    """The text of page.css or page.js (the stylesheet and script of every page)."""
    return "\n" + (_HERE / name).read_text(encoding="utf-8")


def json_for_script(value: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` characters at all."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_json(fig: Any) -> str:
    """A figure as script-safe JSON (data + layout)."""
    return json_for_script(pio.to_json(fig, validate=False, pretty=False, engine="json"))


class Page:
    """Builds one HTML page: markup parts plus the figures' JSON blocks."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = []
        self.n_figures = 0

    def add(self, markup: str) -> None:
        """Append already-escaped markup."""
        self.parts.append(markup)

    def figure(self, fig: Any, div_id: str, *, eager: bool, css: str = "plot") -> None:
        """A div drawn from its JSON block: at load when eager, else when scrolled into view."""
        self.n_figures += 1
        flag = " data-eager" if eager else ""
        # The div keeps the figure's height before it is drawn, so drawing a figure lazily
        # never moves what a link has just scrolled to.
        height = int(fig.layout.height or 450)
        self.add(
            f'<div class="{css}" id="{escape(div_id)}" style="height:{height}px"'
            f' data-spec="{escape(div_id)}-spec"{flag}></div>\n'
            f'<script type="application/json" id="{escape(div_id)}-spec">'
            f"{figure_json(fig)}</script>"
        )

    def html(self) -> str:
        """The whole page as text."""
        body = "\n".join(self.parts)
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(self.title)}</title>\n<style>{asset('page.css')}</style>\n"
            f'<script type="text/javascript">{_plotly_js()}</script>\n'
            f"</head>\n<body>\n{body}\n<script>{asset('page.js')}</script>\n</body>\n</html>\n"
        )


def table(headers: list[str], rows: list[list[str]], css: str = "") -> str:
    """An HTML table; `rows` hold already-escaped cell markup."""
    if not rows:
        return '<p class="empty">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>"


def ts(value: datetime | None) -> str:
    """A moment as escaped UTC text ('' for None)."""
    return "" if value is None else escape(value.strftime("%Y-%m-%d %H:%M:%S UTC"))


def secs(value: float | None) -> str:
    """A duration as escaped text ('' for None)."""
    return escape(duration_text(value)) if value is not None else ""


def phase_badge(phase: str | None) -> str:
    """A phase as a coloured badge."""
    if not phase:
        return ""
    color = PHASE_COLORS.get(phase, "#9e9e9e")
    return f'<span class="badge" style="background:{color}">{escape(phase)}</span>'


def why(row: dict[str, Any]) -> str:
    """The pod's worst problem in words (pod_why), escaped."""
    return f'<span class="why">{escape(row.get("why") or "")}</span>'


def pod_link(row: dict[str, Any], linked: set[str]) -> str:
    """The pod's label, linking to its timeline when it has one on the page."""
    label = escape(str(row["label"]))
    if row["pod_uid"] in linked:
        return f'<a href="#{escape(row["anchor"])}">{label}</a>'
    return label

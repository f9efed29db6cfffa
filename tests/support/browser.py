"""The Chromium the browser tests launch, and the page helpers they share (a watched page that
loads only file:// URLs and keeps its console errors and requests, screenshots, hovering a
plotly marker)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.support.paths import ROOT


@cache
def chromium_executable() -> str:
    """`$PODREPLAY_CHROMIUM` (which `make test` sets after provisioning one), else the first
    one scripts/chromium.py finds; fails the test saying how to get one."""
    given = os.environ.get("PODREPLAY_CHROMIUM")
    if given:
        return given
    found = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chromium.py"), "--find-only"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        pytest.fail(found.stderr.strip() + " (`make test` installs one)", pytrace=False)
    return found.stdout.strip()


ARTIFACTS = ROOT / "tests" / "artifacts"


@dataclass
class Watched:
    """A page plus everything it logged and requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        """Load a page and wait until every eagerly drawn figure is laid out."""
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(".js-plotly-plot .main-svg")
        self.page.wait_for_function(
            "document.querySelectorAll('.plot[data-eager]:not([data-ready])').length === 0"
        )


def watch_page(browser: Browser, width: int) -> Iterator[Watched]:
    """A page of `width` px whose errors and requests are kept; only file:// loads."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    page.on("request", lambda r: w.requests.append(r.url))

    def only_files(route: Route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", only_files)
    yield w
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def hover_marker(page: Page, root: str, trace_name: str, point: int) -> str:
    """Move the mouse onto a scatter point of the figure under `root`; the hover label text."""
    page.wait_for_selector(f"{root} .plot[data-ready]")
    box = page.evaluate(
        """([root, name, point]) => {
            const gd = document.querySelector(root + ' .js-plotly-plot');
            const i = gd.data.findIndex(t => t.name === name);
            const fl = gd._fullLayout, x = gd.data[i].x[point], y = gd.data[i].y[point];
            const rect = gd.querySelector('.main-svg').getBoundingClientRect();
            return [rect.left + fl._size.l + fl.xaxis.d2p(x),
                    rect.top + fl._size.t + fl.yaxis.d2p(y)];
        }""",
        [root, trace_name, point],
    )
    # one jump from outside the plot: a gliding path would hover neighbours on the way
    page.mouse.move(0, 0)
    page.mouse.move(box[0], box[1])
    page.wait_for_selector(f"{root} .hoverlayer .hovertext")
    page.wait_for_timeout(150)  # plotly coalesces hover events per animation frame
    return str(
        page.evaluate(
            "root => Array.from(document.querySelectorAll(root + ' .hoverlayer .hovertext'))"
            ".map(e => e.textContent).join('\\n')",
            root,
        )
    )

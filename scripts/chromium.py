"""Find a Chromium for the browser tests and the benchmark, installing one if none is found.

Prints the executable's path on stdout (progress goes to stderr) and exits 0; if no Chromium can
be found or installed, prints one line saying how to get one and exits 1. Looks, in order, at
`$PODREPLAY_CHROMIUM`, `chromium`, `chromium-browser` and `google-chrome` on PATH, and
Playwright's own download. Installs with `apt-get install -y chromium` when it may (root or
passwordless sudo), else with `playwright install chromium`. `--find-only` never installs.

`make test`, `make bench-quick` and `.ci/run` run it with the project's venv Python and pass the
path on as `PODREPLAY_CHROMIUM`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome")
# what the browser tests and the benchmark launch it with: headless in a container, no network
# of its own, so both measure the same browser
LAUNCH_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HOW = (
    "no Chromium found: install one (`sudo apt-get install chromium`, or "
    "`.venv/bin/playwright install chromium`) or set PODREPLAY_CHROMIUM=/path/to/chromium"
)


def say(message: str) -> None:
    print(f"chromium: {message}", file=sys.stderr, flush=True)


def executable(path: str | Path) -> bool:
    p = Path(path)
    return p.is_file() and os.access(p, os.X_OK)


def on_path() -> str | None:
    """The first of NAMES on PATH."""
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_own() -> str | None:
    """Playwright's downloaded Chromium, if Playwright is installed and has one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = str(p.chromium.executable_path)
    except Exception:  # the driver could not start: treat as "no Playwright browser"
        return None
    return path if executable(path) else None


def find() -> str | None:
    return on_path() or playwright_own()


def run(cmd: list[str]) -> bool:
    """Run an install step with its output on stderr; True if it exited 0."""
    say("running " + " ".join(cmd))
    try:
        return subprocess.run(cmd, stdout=sys.stderr, stdin=subprocess.DEVNULL).returncode == 0
    except OSError as e:
        say(f"{cmd[0]}: {e.strerror}")
        return False


def apt_prefix() -> list[str] | None:
    """How to run apt-get as root here: directly, through passwordless sudo, or not at all."""
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0:
        return [sudo, "-n"]
    return None


def install() -> str | None:
    """Install a Chromium the first way that works; the executable found afterwards."""
    prefix = apt_prefix()
    if prefix is not None:
        os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")  # never a debconf prompt
        run([*prefix, "apt-get", "update", "-qq"])  # stale lists may still install: go on
        if run([*prefix, "apt-get", "install", "-y", "-qq", "chromium"]):
            found = on_path()
            if found:
                return found
    try:
        import playwright  # noqa: F401
    except ImportError:
        return None
    if run([sys.executable, "-m", "playwright", "install", "chromium"]):
        return playwright_own()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--find-only", action="store_true", help="never install")
    args = parser.parse_args(argv)
    given = os.environ.get("PODREPLAY_CHROMIUM")
    if given:
        if executable(given):
            print(given)
            return 0
        say(f"PODREPLAY_CHROMIUM={given} is not an executable file")
        return 1
    found = find() or (None if args.find_only else install())
    if found:
        print(found)
        return 0
    say(HOW)
    return 1


if __name__ == "__main__":
    sys.exit(main())

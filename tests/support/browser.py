"""The Chromium the browser tests launch."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache

import pytest

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

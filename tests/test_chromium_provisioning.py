"""scripts/chromium.py, the Chromium provisioning `make test`, `make bench-quick` and `.ci/run` use:
each branch run for real, with PATH and Playwright's browser folder pointed at folders the test
fills, so nothing is installed on the machine."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SCRIPT = ROOT / "scripts" / "chromium.py"


def write_exe(path: Path, body: str) -> Path:
    """An executable script (a Python program, so it needs nothing from PATH)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def provision(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the script with a PATH of only tmp/bin and an empty Playwright browser folder whose
    downloads go nowhere."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PODREPLAY_CHROMIUM", "PATH", "PLAYWRIGHT_BROWSERS_PATH"}
    }
    base |= {
        "PATH": str(bin_dir),
        "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "ms-playwright"),
        "PLAYWRIGHT_DOWNLOAD_HOST": "http://127.0.0.1:9",  # refused at once: no download
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_explicit_path_wins(tmp_path: Path) -> None:
    exe = write_exe(tmp_path / "my-chrome", "")
    write_exe(tmp_path / "bin" / "chromium", "")
    result = provision(tmp_path, PODREPLAY_CHROMIUM=str(exe))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(exe)


def test_an_explicit_path_that_is_not_executable_is_one_line_error(tmp_path: Path) -> None:
    result = provision(tmp_path, PODREPLAY_CHROMIUM=str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "PODREPLAY_CHROMIUM=" in result.stderr and "nope" in result.stderr


@pytest.mark.parametrize("name", ["chromium", "chromium-browser", "google-chrome"])
def test_a_browser_on_path_is_used(tmp_path: Path, name: str) -> None:
    exe = write_exe(tmp_path / "bin" / name, "")
    result = provision(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(exe)


def test_playwrights_own_chromium_is_used(tmp_path: Path) -> None:
    # Where Playwright expects its Chromium with this browser folder, asked of Playwright itself.
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "from playwright.sync_api import sync_playwright\n"
            "with sync_playwright() as p: print(p.chromium.executable_path)",
        ],
        env=os.environ | {"PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "ms-playwright")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    exe = write_exe(Path(where), "")
    result = provision(tmp_path, "--find-only")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(exe)


def test_apt_get_installs_one_when_allowed(tmp_path: Path) -> None:
    """apt-get (as root, or through passwordless sudo) is tried first; what it installed is
    then found on PATH."""
    bin_dir = tmp_path / "bin"
    log = tmp_path / "apt.log"
    write_exe(
        bin_dir / "apt-get",
        "import os, sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if 'install' in sys.argv:\n"
        f"    p = {str(bin_dir / 'chromium')!r}\n"
        f"    open(p, 'w').write('#!{sys.executable}\\n')\n"
        "    os.chmod(p, 0o755)\n",
    )
    write_exe(  # passwordless sudo, for when the test does not run as root
        bin_dir / "sudo",
        "import os, sys\nargs = sys.argv[2:]  # after -n\n"
        "if args == ['true']:\n    sys.exit(0)\n"
        f"os.execv(os.path.join({str(bin_dir)!r}, args[0]), args)\n",
    )
    result = provision(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(bin_dir / "chromium")
    assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]


def test_find_only_never_installs(tmp_path: Path) -> None:
    write_exe(tmp_path / "bin" / "apt-get", "raise SystemExit('apt-get must not run')")
    result = provision(tmp_path, "--find-only")
    assert result.returncode == 1
    assert "apt-get must not run" not in result.stderr


def test_nothing_found_nothing_installable_says_how_in_one_line(tmp_path: Path) -> None:
    """No browser, no apt-get, and Playwright's download refused: exit 1, and the last line
    says how to get one."""
    result = provision(tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert "no Chromium found" in last
    assert "apt-get install chromium" in last and "PODREPLAY_CHROMIUM=" in last

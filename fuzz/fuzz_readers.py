"""Coverage-guided fuzzing of the capture readers (and optionally the ingest SQL) with atheris.

Run by hand, not in CI; atheris is not a podreplay dependency:

    pip install atheris                      # Linux/macOS wheels; builds need clang otherwise
    python fuzz/fuzz_readers.py -max_total_time=600 -max_len=65536 fuzz/corpus tests/data/bad
    PODREPLAY_FUZZ=ingest python fuzz/fuzz_readers.py -max_total_time=600 fuzz/corpus

Any exception other than InputError (a file-level error the CLI reports in one line) is a bug:
libFuzzer stops and writes the input to crash-*. Without atheris, the arguments are replayed as
input files (`python fuzz/fuzz_readers.py crash-1234 tests/data/bad/*`), to check a crash or a
fix. See docs/robustness.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

from podreplay.errors import InputError
from podreplay.ingest import IngestOptions, ingest_stream
from podreplay.readers import ReadStats, open_binary, read_items
from podreplay.store import Store

MAX_GZ = 1 << 22
_store: Store | None = None


def read_one_input(data: bytes) -> None:
    """Read every item of `data`; only InputError may escape."""
    with contextlib.suppress(InputError):
        stream = open_binary(io.BytesIO(data), "fuzz", MAX_GZ)
        for item in read_items(stream, "fuzz", ReadStats()):
            assert isinstance(item.text, str) and item.location


def ingest_one_input(data: bytes) -> None:
    """Ingest `data` as one source into a scratch database; only InputError may escape."""
    global _store
    if _store is None:
        _store = Store(Path(tempfile.mkdtemp(prefix="podreplay-fuzz-")) / "fuzz.duckdb")
    with contextlib.suppress(InputError):
        ingest_stream(_store, io.BytesIO(data), "fuzz", IngestOptions(max_decompressed=MAX_GZ))


def main() -> None:
    target = ingest_one_input if os.environ.get("PODREPLAY_FUZZ") == "ingest" else read_one_input
    try:
        import atheris  # type: ignore[import-untyped]
    except ImportError:
        files = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
        if not files:
            sys.exit("atheris is not installed (pip install atheris); give files to replay them")
        for path in files:
            for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
                if file.is_file():
                    target(file.read_bytes())
        print(f"replayed {len(files)} path(s) without a crash")
        return
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

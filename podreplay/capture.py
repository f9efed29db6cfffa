"""Recording a cluster with kubectl: watch streams for pods and events plus periodic pod snapshots.

Every watch record is stamped with its arrival time (`observedAt`) and appended as one JSON line;
snapshot files carry their observation time in their names. Files are always complete: one write
per line, snapshots renamed into place. kubectl runs as a child process (argument lists, no shell)
in its own session, so a terminal's Ctrl-C reaches only us and we stop it in order.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from podreplay.errors import NotFoundError, PodreplayError, UsageError

Clock = Callable[[], datetime]
Note = Callable[[str], None]

WATCH_FILES = {"pods": "pods-watch.ndjson", "events": "events-watch.ndjson"}
GAPS_FILE = "capture-gaps.ndjson"
GAP_API_VERSION = "podreplay.capture/v1"
GAP_KIND = "CaptureGap"
_READ_SIZE = 1 << 16


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def rfc3339(value: datetime) -> str:
    """RFC 3339 UTC with microseconds and a Z suffix, as written into `observedAt`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stamp_name(kind: str, value: datetime) -> str:
    """The snapshot file name for `kind` observed at `value`: `pods-YYYYMMDDTHHMMSSZ.json`."""
    return f"{kind}-{value.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"


@dataclass(frozen=True)
class CaptureOptions:
    """What to capture and where; durations are seconds."""

    out: Path
    namespace: str | None = None
    all_namespaces: bool = False
    duration_s: float | None = None
    snapshot_every_s: float = 60.0
    kubectl: str = "kubectl"
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0

    def scope(self) -> list[str]:
        """The kubectl namespace arguments."""
        if self.all_namespaces:
            return ["--all-namespaces"]
        return ["--namespace", self.namespace] if self.namespace else []


@dataclass
class CaptureResult:
    """What a capture wrote."""

    out: Path
    started_at: datetime
    ended_at: datetime | None = None
    records: dict[str, int] = field(default_factory=lambda: {"pods": 0, "events": 0})
    snapshots: list[Path] = field(default_factory=list)
    resumes: int = 0
    gaps: int = 0
    stopped_by: str = "duration"  # duration | signal


def find_kubectl(kubectl: str) -> str:
    """The executable to run for `kubectl` (a path or a name on PATH)."""
    found = shutil.which(kubectl)
    if found is None:
        raise NotFoundError(f"{kubectl}: kubectl not found (install it or pass --kubectl PATH)")
    return found


def iter_json_values(chunks: Iterator[bytes]) -> Iterator[Any]:
    """Decode a stream of concatenated JSON values (one per line or pretty-printed).

    Text lines between values (not starting with `{` or `[`) are skipped.
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")  # chunks may split a character
    buffer = ""
    for chunk in chunks:
        buffer += utf8.decode(chunk)
        while True:
            start = len(buffer) - len(buffer.lstrip())
            if start == len(buffer):
                buffer = ""
                break
            if buffer[start] not in "{[":  # a stray text line, not a watch record: skip it
                newline = buffer.find("\n", start)
                if newline < 0:
                    buffer = buffer[start:]
                    break
                buffer = buffer[newline + 1 :]
                continue
            try:
                value, end = decoder.raw_decode(buffer, start)
            except json.JSONDecodeError:
                buffer = buffer[start:]
                break  # incomplete: wait for more bytes
            yield value
            buffer = buffer[end:]


class _Capture:
    """One running capture: a thread per watch, one for snapshots, all stopped by `stop`."""

    def __init__(
        self, options: CaptureOptions, kubectl: str, clock: Clock, stop: threading.Event, note: Note
    ) -> None:
        self.options = options
        self.kubectl = kubectl
        self.clock = clock
        self.stop = stop
        self.note = note
        self.result = CaptureResult(out=options.out, started_at=clock())
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.errors: list[BaseException] = []
        self.context: str | None = None  # kubectl's current context, for the gap records
        self.namespace = None if options.all_namespaces else options.namespace

    def read_context(self) -> None:
        """kubectl's current context and namespace (what an unscoped capture watches)."""
        args = [self.kubectl, "config", "view", "--minify", "-o", "json"]
        try:
            done = subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
            config = json.loads(done.stdout) if done.returncode == 0 else {}
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return
        if not isinstance(config, dict):
            return
        self.context = config.get("current-context") or None
        contexts = config.get("contexts") or [{}]
        context = contexts[0].get("context") if isinstance(contexts[0], dict) else None
        if not self.options.all_namespaces and not self.options.namespace:
            namespace = context.get("namespace") if isinstance(context, dict) else None
            self.namespace = namespace or "default"

    def command(self, kind: str, *, watch: bool) -> list[str]:
        args = [self.kubectl, "get", kind, *self.options.scope(), "-o", "json"]
        return [*args, "--watch", "--output-watch-events"] if watch else args

    def spawn(self, args: list[str], stderr: IO[bytes]) -> subprocess.Popen[bytes] | None:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
        )
        with self.lock:
            if self.stop.is_set():
                _end(proc)
                return None
            self.procs.add(proc)
        return proc

    def forget(self, proc: subprocess.Popen[bytes]) -> None:
        with self.lock:
            self.procs.discard(proc)

    def terminate_all(self) -> None:
        with self.lock:
            procs = list(self.procs)
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    def snapshot(self, kind: str = "pods") -> Path | None:
        """Run one `kubectl get KIND -o json`, write it under a time-stamped name."""
        listed = self.list_objects(kind)
        return None if listed is None else listed[0]

    def list_objects(self, kind: str) -> tuple[Path, datetime, list[Any]] | None:
        """A snapshot: its file, when it was received, and its items."""
        with tempfile.TemporaryFile() as err:
            proc = self.spawn(self.command(kind, watch=False), err)
            if proc is None:
                return None
            try:
                out, _ = proc.communicate()
            finally:
                self.forget(proc)
            at = self.clock()
            if self.stop.is_set() and proc.returncode != 0:
                return None  # we stopped it: nothing to keep
            if proc.returncode != 0:
                raise _KubectlFailed(kind, proc.returncode, _read_err(err))
        try:
            doc = json.loads(out)
        except ValueError as exc:
            raise _KubectlFailed(kind, 0, f"output is not JSON ({exc})") from exc
        path = _free_name(self.options.out, stamp_name(kind, at))
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(out)
        os.replace(partial, path)
        with self.lock:
            self.result.snapshots.append(path)
        items = doc.get("items") if isinstance(doc, dict) else None
        return path, at, items if isinstance(items, list) else []

    def snapshot_loop(self) -> None:
        while not self.stop.wait(self.options.snapshot_every_s):
            try:
                self.snapshot()
            except _KubectlFailed as exc:
                self.note(f"snapshot skipped: {exc}")

    def watch_loop(self, kind: str) -> None:
        """Run the watch of `kind` again and again until stopped; record the pods watch's gaps.

        After a pods watch ends, the re-list shows whether anything changed while no watch ran
        (a resourceVersion or an object the watch did not see): if so, the time from the end of
        the watch to the re-list is written to the gaps file.
        """
        path = self.options.out / WATCH_FILES[kind]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        seen = _Seen()
        failures = 0  # consecutive watches that ended without a record
        gap: tuple[datetime, str] | None = None  # (since, why) while the pods watch is down
        try:
            while not self.stop.is_set():
                with tempfile.TemporaryFile() as err:
                    proc = self.spawn(self.command(kind, watch=True), err)
                    if proc is None:
                        break
                    try:
                        n, error = self.pump(kind, proc, fd, seen)
                        ended = self.clock()  # the stream's end: nothing seen from here on
                    finally:
                        _end(proc)
                        self.forget(proc)
                    if self.stop.is_set():
                        break
                    detail = error or _read_err(err) or "stream ended"
                with self.lock:
                    self.result.resumes += 1
                if gap is None and kind == "pods":
                    gap = (ended, f"pods watch ended: {detail}")
                failures = 0 if n else failures + 1
                backoff = 0.0
                if failures:
                    backoff = min(
                        self.options.backoff_s * 2 ** (failures - 1), self.options.max_backoff_s
                    )
                self.note(
                    f"{kind} watch dropped after {n} records (exit {proc.returncode}: {detail});"
                    f" re-listing in {backoff:g}s"
                )
                if self.stop.wait(backoff):
                    break
                if kind != "pods":  # the restarted watch re-lists events itself (ADDED records)
                    continue
                try:
                    listed = self.list_objects("pods")
                except _KubectlFailed as exc:
                    self.note(f"re-list failed: {exc}")
                    continue
                if listed is not None and gap is not None:
                    _, at, items = listed
                    if seen.relisted(items):
                        self.write_gap(gap[0], at, gap[1])
                    gap = None
        finally:
            os.close(fd)
            if gap is not None:
                self.write_gap(gap[0], self.clock(), f"{gap[1]} (capture ended before a re-list)")

    def pump(
        self, kind: str, proc: subprocess.Popen[bytes], fd: int, seen: _Seen
    ) -> tuple[int, str | None]:
        """Copy watch records from kubectl to the file, one stamped line each.

        Returns how many records were read and, if the stream ended with a watch ERROR (such
        as 410 Gone), its message. A re-listed object whose resourceVersion was already
        written is not written again; BOOKMARK and ERROR records are not written.
        """
        assert proc.stdout is not None
        out_fd = proc.stdout.fileno()
        n = 0
        error = None

        def chunks() -> Iterator[bytes]:
            while chunk := os.read(out_fd, _READ_SIZE):
                yield chunk

        for value in iter_json_values(chunks()):
            n += 1
            kind_of = value.get("type") if isinstance(value, dict) else None
            if kind_of == "ERROR":
                error = _status_message(value.get("object"))
                continue
            if kind_of == "BOOKMARK" or not seen.is_new(value):
                continue
            record = {"observedAt": rfc3339(self.clock())}
            record.update(value if isinstance(value, dict) else {"object": value})
            line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            _write_all(fd, line)
            with self.lock:
                self.result.records[kind] += 1
        return n, error

    def write_gap(self, start: datetime, end: datetime, reason: str) -> None:
        """Append one gap record: the pods watch saw nothing from `start` to `end`."""
        doc = {
            "apiVersion": GAP_API_VERSION,
            "kind": GAP_KIND,
            "context": self.context,
            "namespace": self.namespace,
            "start": rfc3339(start),
            "end": rfc3339(end),
            "reason": reason,
        }
        line = json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self.lock:
            with open(self.options.out / GAPS_FILE, "a", encoding="utf-8") as fh:
                fh.write(line)
            self.result.gaps += 1
        self.note(f"gap recorded: {doc['start']} to {doc['end']} ({reason})")

    def guarded(self, target: Callable[..., None], *args: Any) -> Callable[[], None]:
        def run() -> None:
            try:
                target(*args)
            except BaseException as exc:  # handed to the main thread, which re-raises
                with self.lock:
                    self.errors.append(exc)
                self.stop.set()

        return run


class _Seen:
    """The objects a watch has written (uid -> resourceVersion), to skip re-listed copies."""

    def __init__(self) -> None:
        self.rv: dict[str, str] = {}

    def is_new(self, record: Any) -> bool:
        """False for a record of an object already written at this resourceVersion."""
        obj = record.get("object") if isinstance(record, dict) else None
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(meta, dict) or not meta.get("uid") or not meta.get("resourceVersion"):
            return True
        uid, rv = str(meta["uid"]), str(meta["resourceVersion"])
        if record.get("type") == "DELETED":
            self.rv.pop(uid, None)
            return True
        if self.rv.get(uid) == rv:
            return False
        self.rv[uid] = rv
        return True

    def relisted(self, items: list[Any]) -> bool:
        """Compare a re-list with what the watch saw; True if something changed unseen.

        Objects gone from the list are forgotten: their deletion was not seen.
        """
        listed: dict[str, str] = {}
        for item in items:
            meta = item.get("metadata") if isinstance(item, dict) else None
            if isinstance(meta, dict) and meta.get("uid"):
                listed[str(meta["uid"])] = str(meta.get("resourceVersion"))
        changed = listed != self.rv
        for uid in set(self.rv) - set(listed):
            del self.rv[uid]
        return changed


def _status_message(status: Any) -> str:
    """The message of a watch ERROR record's Status ("too old resource version: …")."""
    if isinstance(status, dict):
        code = status.get("code")
        message = status.get("message") or status.get("reason") or "watch error"
        return f"{message} ({code})" if code else str(message)
    return "watch error"


class _KubectlFailed(PodreplayError):
    def __init__(self, kind: str, code: int | None, detail: str) -> None:
        super().__init__(f"kubectl get {kind} failed (exit {code}): {detail}")


def capture(
    options: CaptureOptions,
    *,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    on_note: Note | None = None,
) -> CaptureResult:
    """Capture until `options.duration_s` passes or `stop` is set; return what was written.

    A first pod snapshot is taken before the watches start, so a kubectl that cannot reach the
    cluster fails fast with its own message. Watches that end are resumed
    (at once after a watch that delivered records, after a growing backoff while they keep
    failing); see docs/capture.md for the gap records.
    """
    if options.snapshot_every_s <= 0:
        raise UsageError("--snapshot-every must be positive")
    if options.namespace and options.all_namespaces:
        raise UsageError("use either --namespace or --all-namespaces, not both")
    kubectl = find_kubectl(options.kubectl)
    options.out.mkdir(parents=True, exist_ok=True)
    stop = stop or threading.Event()
    run = _Capture(options, kubectl, clock or utc_now, stop, on_note or (lambda _: None))
    deadline = None if options.duration_s is None else time.monotonic() + options.duration_s
    run.snapshot("pods")
    run.read_context()
    threads = [
        threading.Thread(target=run.guarded(run.watch_loop, kind), name=f"watch-{kind}")
        for kind in WATCH_FILES
    ]
    threads.append(threading.Thread(target=run.guarded(run.snapshot_loop), name="snapshots"))
    for thread in threads:
        thread.start()
    try:
        # short waits keep the main thread responsive to signal handlers
        while not stop.wait(0.1):
            if deadline is not None and time.monotonic() >= deadline:
                break
        else:
            run.result.stopped_by = "signal"
    finally:
        stop.set()
        run.terminate_all()
        for thread in threads:
            thread.join()
        for leftover in options.out.glob(".*.partial"):
            leftover.unlink(missing_ok=True)
    if run.errors:
        raise run.errors[0]
    run.result.ended_at = run.clock()
    return run.result


def _end(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _read_err(err: IO[bytes]) -> str:
    err.seek(0)
    lines = err.read().decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _free_name(directory: Path, name: str) -> Path:
    """`name` in `directory`, or `stem-2.json`, `stem-3.json`… if taken (same second)."""
    path = directory / name
    stem = path.stem
    n = 2
    while path.exists():
        path = directory / f"{stem}-{n}.json"
        n += 1
    return path

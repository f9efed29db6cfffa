"""A stand-in Kubernetes API server for tests: just enough of one for the real kubectl.

Serves discovery (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/events.k8s.io/v1`), `get`,
`list` and `watch` of pods and events (core/v1 and events.k8s.io/v1, cluster-wide and per
namespace, label selectors of the `a=b,c!=d` form) with real resourceVersion semantics:

- every write takes the next global resourceVersion; a list carries the version it was read at;
- a watch from version N replays every change after N, then streams new ones; a watch without a
  version (or "0") starts with an ADDED record per existing object;
- a watch from a version older than the compacted one gets an ERROR record carrying a 410
  `Expired` Status ("too old resource version"), as an API server with its watch cache does;
- `allowWatchBookmarks=true` adds BOOKMARK records; `timeoutSeconds` ends the stream after that
  long, as API servers end every watch sooner or later;
- `Accept: application/json;as=Table;...` (what `kubectl get` without `-o` asks for) gets a
  `meta.k8s.io/v1` Table.

Not implemented: writes through the API, `limit`/`continue` paging (lists are always whole),
field selectors, protobuf, authentication. 127.0.0.1 only, plain HTTP, an ephemeral port.
Test controls: `drop_watches()` ends every open watch, `expire_next_watch()` compacts history
before the next watch from a version so that watch gets 410, `outage()` makes the server go
away (connections refused) and come back on the same port.
"""

from __future__ import annotations

import bisect
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESOURCES = {  # (group/version, plural) -> (kind, list kind, short names)
    ("v1", "pods"): ("Pod", "PodList", ["po"]),
    ("v1", "events"): ("Event", "EventList", ["ev"]),
    ("events.k8s.io/v1", "events"): ("Event", "EventList", ["ev"]),
}
BOOKMARK_EVERY_S = 1.0
_POLL_S = 0.05  # how often a waiting watch looks at its stop conditions


@dataclass
class Change:
    """One write: the object as it was after it, under the resourceVersion it took."""

    rv: int
    resource: str  # "pods" | "events"
    type: str  # ADDED | MODIFIED | DELETED
    obj: dict[str, Any]


@dataclass
class ClusterState:
    """Objects, their change history and the watch bookkeeping; every method is thread-safe."""

    rv: int = 1000
    compacted: int = 0  # a watch from an older version is "too old"
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    history: list[Change] = field(default_factory=list)
    epoch: int = 0  # bumped to end every open watch
    expire_watch: set[str] = field(default_factory=set)  # resources whose next watch gets 410
    expired: int = 0  # how many watches were answered "too old resource version"
    expired_at: dict[str, int] = field(default_factory=dict)  # resource -> its watch count then
    watching: int = 0  # watch streams open now
    watches: dict[str, int] = field(default_factory=dict)  # watch requests per resource
    cond: threading.Condition = field(default_factory=threading.Condition)

    def write(self, resource: str, type_: str, obj: dict[str, Any], keep_rv: bool = False) -> int:
        """Store an ADDED/MODIFIED/DELETED change; returns the resourceVersion it took.

        `keep_rv` keeps the object's own resourceVersion (loading recorded objects); the
        counter moves on from the highest one.
        """
        meta = obj["metadata"]
        key = (resource, meta.get("namespace") or "", meta["name"])
        with self.cond:
            if keep_rv:
                self.rv = max(self.rv, int(meta["resourceVersion"]))
                self.compacted = self.rv  # no history before the loaded state
                rv = int(meta["resourceVersion"])
            else:
                self.rv += 1
                rv = self.rv
            obj = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
            if type_ == "DELETED":
                self.objects.pop(key, None)
            else:
                self.objects[key] = obj
            if not keep_rv:  # recorded objects are the state before any watch
                self.history.append(Change(rv, resource, type_, obj))
            self.cond.notify_all()
            return rv

    def list(self, resource: str, namespace: str | None) -> tuple[list[dict[str, Any]], int]:
        """The objects of a resource (in a namespace) and the version they were read at."""
        with self.cond:
            items = [
                o
                for (r, ns, _), o in sorted(self.objects.items())
                if r == resource and (namespace is None or ns == namespace)
            ]
            return items, self.rv

    def after(self, rv: int) -> list[Change]:
        """The changes after version `rv` (call with `cond` held)."""
        return self.history[bisect.bisect_right(self.history, rv, key=lambda c: c.rv) :]

    def wait(self, predicate: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
        """Block until `predicate()` (read under the lock) holds; fail after `timeout` s."""
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), f"timed out waiting for {what}"

    def drop_watches(self) -> None:
        """End every open watch stream (as an API server does on a restart or timeout)."""
        with self.cond:
            self.epoch += 1
            self.cond.notify_all()

    def compact(self) -> None:
        """Compact the history up to now: a new watch from an older version is too old (410)."""
        with self.cond:
            self.compacted = self.rv

    def expire_next_watch(self, resource: str) -> None:
        """Before the next watch of `resource` from a version: another write lands and the
        history is compacted up to it (as on a busy cluster), so that watch gets 410."""
        with self.cond:
            self.expire_watch.add(resource)


def _selected(obj: dict[str, Any], selector: str | None) -> bool:
    """Equality label selectors: `a=b`, `a==b`, `a!=b`, comma-separated (all must hold)."""
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in selector.split(","):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.strip() not in labels:
            return False
    return True


def _to_events_v1(ev: dict[str, Any]) -> dict[str, Any]:
    """A core/v1 Event as events.k8s.io/v1 shows it (the API server converts on read)."""
    out: dict[str, Any] = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": ev["metadata"],
        "regarding": ev.get("involvedObject"),
        "note": ev.get("message"),
        "reason": ev.get("reason"),
        "type": ev.get("type"),
        "eventTime": ev.get("eventTime"),
        "reportingController": ev.get("reportingComponent", ""),
        "reportingInstance": ev.get("reportingInstance", ""),
        "deprecatedSource": ev.get("source") or {},
    }
    for key in ("series", "action"):
        if ev.get(key) is not None:
            out[key] = ev[key]
    if ev.get("firstTimestamp") is not None:
        out["deprecatedFirstTimestamp"] = ev["firstTimestamp"]
        out["deprecatedLastTimestamp"] = ev["lastTimestamp"]
        out["deprecatedCount"] = ev.get("count")
    return out


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _table(resource: str, objs: list[dict[str, Any]], rv: str) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of the objects (the columns `kubectl get` prints)."""
    if resource == "pods":
        cols = ["Name", "Ready", "Status", "Restarts", "Node"]
        rows = []
        for o in objs:
            statuses = o.get("status", {}).get("containerStatuses") or []
            ready = f"{sum(1 for c in statuses if c.get('ready'))}/{len(o['spec']['containers'])}"
            restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
            phase = o.get("status", {}).get("phase", "")
            cells = [o["metadata"]["name"], ready, phase, restarts, o["spec"].get("nodeName", "")]
            rows.append((o, cells))
    else:
        cols = ["Type", "Reason", "Object", "Message"]
        rows = []
        for o in objs:
            inv = o.get("involvedObject") or o.get("regarding") or {}
            obj = f"{inv.get('kind', '').lower()}/{inv.get('name', '')}"
            msg = o.get("message", o.get("note", ""))
            rows.append((o, [o.get("type", ""), o.get("reason", ""), obj, msg]))
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": [
            {"name": c, "type": "integer" if c == "Restarts" else "string", "format": ""}
            | {"description": c, "priority": 0}
            for c in cols
        ],
        "rows": [
            {
                "cells": cells,
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o["metadata"],
                },
            }
            for o, cells in rows
        ],
    }


_NOT_FOUND = _status(404, "NotFound", "the server could not find the requested resource")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are kept in `ApiServer.requests` instead."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        self.server.api.requests.append(self.path)
        if url.path == "/version":
            self.reply(200, self.server.api.version)
        elif parts == ["api"]:
            self.reply(
                200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        elif parts == ["apis"]:
            gv = {"groupVersion": "events.k8s.io/v1", "version": "v1"}
            group = {"name": "events.k8s.io", "versions": [gv], "preferredVersion": gv}
            self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]})
        elif parts in (["api", "v1"], ["apis", "events.k8s.io", "v1"]):
            self.reply(200, self.resource_list("/".join(parts[1:])))
        elif parts[:2] == ["api", "v1"]:
            self.resource("v1", parts[2:], query)
        elif parts[:3] == ["apis", "events.k8s.io", "v1"]:
            self.resource("events.k8s.io/v1", parts[3:], query)
        else:
            self.reply(404, _NOT_FOUND)

    def resource_list(self, gv: str) -> dict[str, Any]:
        res = [
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": True,
                "kind": kind,
                "verbs": ["get", "list", "watch"],
                "shortNames": short,
            }
            for (g, plural), (kind, _, short) in RESOURCES.items()
            if g == gv
        ]
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}

    def resource(self, gv: str, parts: list[str], query: dict[str, str]) -> None:
        namespace = None
        if len(parts) >= 2 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        if not parts or (gv, parts[0]) not in RESOURCES:
            self.reply(404, _NOT_FOUND)
            return
        plural = parts[0]
        if len(parts) == 2:
            self.get_one(gv, plural, namespace, parts[1])
        elif query.get("watch") in ("true", "1"):
            self.watch(gv, plural, namespace, query)
        else:
            items, rv = self.server.api.state.list(plural, namespace)
            items = [self.view(gv, o) for o in items if _selected(o, query.get("labelSelector"))]
            if self.wants_table():
                self.reply(200, _table(plural, items, str(rv)))
                return
            _, list_kind, _ = RESOURCES[(gv, plural)]
            self.reply(
                200,
                {
                    "kind": list_kind,
                    "apiVersion": gv,
                    "metadata": {"resourceVersion": str(rv)},
                    "items": items,
                },
            )

    def get_one(self, gv: str, plural: str, namespace: str | None, name: str) -> None:
        items, _ = self.server.api.state.list(plural, namespace)
        found = [o for o in items if o["metadata"]["name"] == name]
        if found:
            self.reply(200, self.view(gv, found[0]))
        else:
            self.reply(404, _status(404, "NotFound", f'{plural} "{name}" not found'))

    def view(self, gv: str, obj: dict[str, Any]) -> dict[str, Any]:
        return _to_events_v1(obj) if gv == "events.k8s.io/v1" else obj

    def wants_table(self) -> bool:
        return "as=Table" in (self.headers.get("Accept") or "")

    def watch(self, gv: str, plural: str, namespace: str | None, query: dict[str, str]) -> None:
        state = self.server.api.state
        with state.cond:
            state.watching += 1
            state.watches[plural] = state.watches.get(plural, 0) + 1
            state.cond.notify_all()
            epoch = state.epoch  # a drop_watches() from now on ends this watch
        try:
            self.stream(gv, plural, namespace, query, epoch)
        finally:
            with state.cond:
                state.watching -= 1
                state.cond.notify_all()

    def stream(
        self, gv: str, plural: str, namespace: str | None, query: dict[str, str], epoch: int
    ) -> None:
        state = self.server.api.state
        selector = query.get("labelSelector")
        bookmarks = query.get("allowWatchBookmarks") == "true"
        timeout = float(query["timeoutSeconds"]) if "timeoutSeconds" in query else None
        since = query.get("resourceVersion") or "0"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        began = time.monotonic()
        last_bookmark = began
        with state.cond:
            if since == "0":
                initial = [
                    Change(int(o["metadata"]["resourceVersion"]), plural, "ADDED", o)
                    for (r, ns, _), o in sorted(state.objects.items())
                    if r == plural and (namespace is None or ns == namespace)
                ]
                start_rv = state.rv
            else:
                start_rv = int(since)
                initial = []
                if plural in state.expire_watch:
                    state.expire_watch.discard(plural)
                    state.rv += 1
                    state.compacted = state.rv
                if start_rv < state.compacted:
                    state.expired += 1
                    state.expired_at[plural] = state.watches[plural]
                    state.cond.notify_all()
                    message = f"too old resource version: {start_rv} ({state.compacted})"
                    self.send_record({"type": "ERROR", "object": _status(410, "Expired", message)})
                    self.end_chunks()
                    return
        sent_rv = start_rv
        pending = initial
        try:
            while True:
                for ch in pending:
                    obj = ch.obj
                    if ch.resource != plural or not _selected(obj, selector):
                        continue
                    if namespace is not None and obj["metadata"].get("namespace") != namespace:
                        continue
                    obj = self.view(gv, obj)
                    if self.wants_table():
                        obj = _table(plural, [obj], obj["metadata"]["resourceVersion"])
                    self.send_record({"type": ch.type, "object": obj})
                now = time.monotonic()
                if timeout is not None and now - began >= timeout:
                    break
                if bookmarks and now - last_bookmark >= BOOKMARK_EVERY_S:
                    kind = RESOURCES[(gv, plural)][0]
                    meta = {"resourceVersion": str(sent_rv)}
                    self.send_record(
                        {
                            "type": "BOOKMARK",
                            "object": {"kind": kind, "apiVersion": gv, "metadata": meta},
                        }
                    )
                    last_bookmark = now
                if self.client_gone():
                    return
                with state.cond:
                    if state.epoch != epoch or self.server.closing:
                        break
                    pending = state.after(sent_rv)
                    if not pending:
                        state.cond.wait(_POLL_S)
                        pending = state.after(sent_rv)
                    if pending:
                        sent_rv = pending[-1].rv
            self.end_chunks()
        except OSError:  # the client went away
            self.close_connection = True

    def client_gone(self) -> bool:
        """True once the client closed its end (an API server notices at once, so we look)."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def send_record(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, separators=(",", ":")) + "\n").encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True

    def reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: ApiServer
    closing = False


class ApiServer:
    """The stand-in server: `start()`, `url`, `kubeconfig(path)`, `outage()`, `stop()`."""

    def __init__(self, state: ClusterState | None = None, minor: int = 32) -> None:
        self.state = state or ClusterState()
        self.version = {
            "major": "1",
            "minor": str(minor),
            "gitVersion": f"v1.{minor}.0",
            "platform": "linux/amd64",
        }
        self.requests: list[str] = []
        self.port = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        """Listen (on an ephemeral port the first time, the same port after an outage)."""
        httpd = _Server(("127.0.0.1", self.port), _Handler)
        httpd.api = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and end every open stream."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.closing = True
        self.state.drop_watches()
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    @contextmanager
    def outage(self) -> Iterator[None]:
        """The server is gone (connections refused) inside the block, back after it."""
        self.stop()
        # a child forked by this process (a kubectl starting) holds a copy of the listening
        # socket until it execs: wait until the port really refuses
        deadline = time.monotonic() + 10
        while not self.refuses_connections() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            yield
        finally:
            self.start()

    def kubeconfig(self, path: Path, namespace: str = "default") -> Path:
        """Write a kubeconfig for this server (JSON is valid YAML) and return its path."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "sim", "cluster": {"server": self.url}}],
            "users": [{"name": "sim", "user": {}}],
            "contexts": [
                {
                    "name": "sim",
                    "context": {"cluster": "sim", "user": "sim", "namespace": namespace},
                }
            ],
            "current-context": "sim",
        }
        path.write_text(json.dumps(config, indent=2) + "\n")
        return path

    def refuses_connections(self) -> bool:
        """True while nothing listens on the port (during an outage)."""
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) != 0

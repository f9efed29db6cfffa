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
Test controls: `state.drop_watches()` ends every open watch, `state.expire_next_watch()` compacts
history before the next watch from a version so that watch gets 410, `outage()` makes the server go
away (connections refused) and come back on the same port.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.kubestate import (
    RESOURCES,
    Change,
    ClusterState,
    selected,
    status,
    table,
    to_events_v1,
)

__all__ = ["ApiServer", "ClusterState"]
BOOKMARK_EVERY_S = 1.0
_POLL_S = 0.05  # how often a waiting watch looks at its stop conditions


_NOT_FOUND = status(404, "NotFound", "the server could not find the requested resource")


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
            items = [self.view(gv, o) for o in items if selected(o, query.get("labelSelector"))]
            if self.wantstable():
                self.reply(200, table(plural, items, str(rv)))
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
            self.reply(404, status(404, "NotFound", f'{plural} "{name}" not found'))

    def view(self, gv: str, obj: dict[str, Any]) -> dict[str, Any]:
        return to_events_v1(obj) if gv == "events.k8s.io/v1" else obj

    def wantstable(self) -> bool:
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
                    self.send_record({"type": "ERROR", "object": status(410, "Expired", message)})
                    self.end_chunks()
                    return
        sent_rv = start_rv
        pending = initial
        try:
            while True:
                for ch in pending:
                    obj = ch.obj
                    if ch.resource != plural or not selected(obj, selector):
                        continue
                    if namespace is not None and obj["metadata"].get("namespace") != namespace:
                        continue
                    obj = self.view(gv, obj)
                    if self.wantstable():
                        obj = table(plural, [obj], obj["metadata"]["resourceVersion"])
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
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        return peeked == b""

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

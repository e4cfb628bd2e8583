"""A real local HTTP server for tests, the offline demo and benchmarks.

Standard library only. Runs in-process on a daemon thread::

    with PageServer() as server:
        server.set("/page", "<h1>v1</h1>", last_modified=http_date(0))
        requests.get(server.url("/page"), timeout=2)

or as a subprocess that serves a directory (prints its base URL on the first line)::

    python -m tests.pageserver --port 8000 --root DIR

Routes are looked up by full path-with-query first, then by path alone. A path with no
route (and no file under ``root``) answers 404 with a small HTML body.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import email.utils
import hashlib
import mimetypes
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

CHUNK_SIZE = 64 * 1024
FIXTURES_ENV = "POLICY_MONITOR_FIXTURES"
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
NOT_FOUND_BODY = b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>\n"


@dataclass
class Route:
    """What one path serves right now. Replace it with `PageServer.set` to change it."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers
    etag: bool = True  # strong ETag (sha1 of body); honour If-None-Match -> 304
    last_modified: str | None = None  # HTTP-date; honour If-Modified-Since -> 304
    delay: float = 0.0  # seconds to sleep before answering
    fail_times: int = 0  # answer the first N requests with fail_status (or drop, see below)
    fail_status: int = 503
    retry_after: str | None = None  # Retry-After value sent with failures
    chunked_size: int | None = None  # stream this many filler bytes, chunked, no Content-Length
    drop_connection: bool = False  # close without a response (only the first N if fail_times)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # raw request target, including any query string
    headers: dict[str, str]
    time: float  # time.monotonic() when the request arrived

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def http_date(timestamp: float) -> str:
    """Format a POSIX timestamp as an HTTP-date (for `Route.last_modified`)."""
    return email.utils.formatdate(timestamp, usegmt=True)


def etag_for(body: bytes) -> str:
    """The quoted strong ETag the server sends for `body`."""
    return f'"{hashlib.sha1(body).hexdigest()}"'


def _etag_matches(if_none_match: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _not_modified_since(if_modified_since: str, last_modified: str) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
        modified = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False
    return modified <= since


def _file_route(root: Path, path: str) -> Route | None:
    candidate = (root / unquote(path).lstrip("/")).resolve()
    if not candidate.is_relative_to(root):
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_file():
        return None
    ctype = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype.endswith(("json", "xml")):
        ctype += "; charset=utf-8"
    return Route(body=candidate.read_bytes(), content_type=ctype)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # listen backlog; the default 5 drops SYNs under bursts (1 s stalls)

    def __init__(self, address: tuple[str, int], owner: PageServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Expected, and printed by socketserver into the output of the CLI under test if not
        # silenced: sockets closed by stop(), and clients hanging up mid-response (a fetch
        # that refuses a content type closes the connection before reading the body).
        if self.owner.stopping or isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms stalls between header and body writes
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        owner = self.server.owner
        owner._record(self.command, self.path, dict(self.headers.items()))
        route, failing = owner._lookup(self.path)
        if route is None:
            self._send(404, NOT_FOUND_BODY, "text/html; charset=utf-8", {}, head)
            return
        if route.delay and owner._stopped.wait(route.delay):
            self.close_connection = True
            return
        if route.drop_connection and (failing or route.fail_times == 0):
            self.close_connection = True
        elif failing:
            self._send_failure(route, head)
        elif route.chunked_size is not None:
            self._stream(route, head)
        elif self._not_modified(route):
            self._send_304(route)
        else:
            headers = self._validators(route) | route.headers
            self._send(route.status, route.body, route.content_type, headers, head)

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str], head: bool
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_failure(self, route: Route, head: bool) -> None:
        phrase = HTTPStatus(route.fail_status).phrase
        body = f"<!doctype html><h1>{route.fail_status} {phrase}</h1>\n".encode()
        headers = {"Retry-After": route.retry_after} if route.retry_after else {}
        self._send(route.fail_status, body, "text/html; charset=utf-8", headers, head)

    def _send_304(self, route: Route) -> None:
        self.send_response(304)
        for name, value in self._validators(route).items():
            self.send_header(name, value)
        self.end_headers()

    def _validators(self, route: Route) -> dict[str, str]:
        if not 200 <= route.status < 300:
            return {}
        found = {"ETag": etag_for(route.body)} if route.etag else {}
        if route.last_modified:
            found["Last-Modified"] = route.last_modified
        return found

    def _not_modified(self, route: Route) -> bool:
        if not 200 <= route.status < 300:
            return False
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # RFC 9110: If-Modified-Since is then ignored
            return route.etag and _etag_matches(if_none_match, etag_for(route.body))
        since = self.headers.get("If-Modified-Since")
        if since is None or route.last_modified is None:
            return False
        return _not_modified_since(since, route.last_modified)

    def _stream(self, route: Route, head: bool) -> None:
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if head:
            return
        try:
            self._write_chunks(route.chunked_size or 0)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading: expected

    def _write_chunks(self, total: int) -> None:
        filler = b"x" * CHUNK_SIZE
        remaining = total
        while remaining > 0:
            size = min(CHUNK_SIZE, remaining)
            self.wfile.write(b"%X\r\n%s\r\n" % (size, filler[:size]))
            remaining -= size
        self.wfile.write(b"0\r\n\r\n")


class PageServer:
    """A loopback HTTP server whose pages are set (and swapped) by the test."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, root: str | Path | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.root = Path(root).resolve() if root is not None else None
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._failures: dict[str, int] = {}
        self._log: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._stopped = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------

    def start(self) -> PageServer:
        if self._httpd is not None:
            raise RuntimeError("PageServer already started")
        self._stopped.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"PageServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopped.set()
        self._httpd.shutdown()
        self._close_connections()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set()

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # configuration -----------------------------------------------------------------

    def url(self, path: str = "/") -> str:
        if not self.port:
            raise RuntimeError("PageServer has no port yet: call start() first")
        return f"http://{self.host}:{self.port}{_norm(path)}"

    def set(self, path: str, route_or_body: Route | bytes | str, **route_kwargs: Any) -> None:
        """Serve `route_or_body` at `path` from now on; resets its failure countdown."""
        if isinstance(route_or_body, Route):
            route = dataclasses.replace(route_or_body, **route_kwargs)
        else:
            body = route_or_body.encode() if isinstance(route_or_body, str) else route_or_body
            route = Route(body=body, **route_kwargs)
        key = _norm(path)
        with self._lock:
            self._routes[key] = route
            self._failures[key] = route.fail_times

    def remove(self, path: str) -> None:
        """Stop serving `path` (it answers 404 again)."""
        with self._lock:
            self._routes.pop(_norm(path), None)
            self._failures.pop(_norm(path), None)

    def redirect(self, path: str, to_path: str, status: int = 301) -> None:
        """Redirect `path` to `to_path` (a path on this server, or a full URL)."""
        location = to_path if "://" in to_path else self.url(to_path)
        self.set(path, b"", status=status, etag=False, headers={"Location": location})

    def robots(self, text: str) -> None:
        """Serve /robots.txt (without it, /robots.txt is 404: everything allowed)."""
        self.set("/robots.txt", text, content_type="text/plain; charset=utf-8")

    # request log -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, oldest first."""
        with self._lock:
            return list(self._log)

    def hits(self, path: str) -> int:
        """Requests for `path`; a path without '?' also counts requests with any query."""
        key = _norm(path)
        match = (lambda p: p == key) if "?" in key else (lambda p: urlsplit(p).path == key)
        return sum(1 for r in self.requests if match(r.path))

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    # used by the handler -----------------------------------------------------------

    def _record(self, method: str, path: str, headers: dict[str, str]) -> None:
        entry = RecordedRequest(method, path, headers, time.monotonic())
        with self._lock:
            self._log.append(entry)

    def _lookup(self, raw_path: str) -> tuple[Route | None, bool]:
        """The route for a request target and whether this request should fail."""
        path = urlsplit(raw_path).path
        with self._lock:
            key = raw_path if raw_path in self._routes else path
            route = self._routes.get(key)
            left = self._failures.get(key, 0)
            if left > 0:
                self._failures[key] = left - 1
        if route is None and self.root is not None:
            return _file_route(self.root, path), False
        return route, left > 0

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _close_connections(self) -> None:
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _norm(path: str) -> str:
    return path if path.startswith("/") else "/" + path


# fixtures on disk --------------------------------------------------------------------


def fixtures_dir() -> Path:
    """tests/fixtures (copied from the shared recordings; or $POLICY_MONITOR_FIXTURES)."""
    base = Path(os.environ.get(FIXTURES_ENV) or FIXTURES_DIR)
    if not base.is_dir():
        raise FileNotFoundError(
            f"fixtures not found at {base}: expected the recorded pages in tests/fixtures "
            f"(or set ${FIXTURES_ENV})"
        )
    return base


def fixture_bytes(relpath: str) -> bytes:
    """The bytes of a shared fixture, e.g. 'gitgovuk/<slug>/<version>/<file>.html'."""
    path = fixtures_dir() / relpath
    if not path.is_file():
        raise FileNotFoundError(f"fixture {relpath!r} not found under {fixtures_dir()}")
    return path.read_bytes()


def versions(slug_dir: str) -> list[Path]:
    """The html file of each version folder of a gitgovuk fixture, oldest first."""
    base = fixtures_dir() / "gitgovuk" / slug_dir.removeprefix("gitgovuk/")
    if not base.is_dir():
        raise FileNotFoundError(f"gitgovuk fixture {slug_dir!r} not found at {base}")
    found: list[Path] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        pages = list(folder.glob("*.html"))
        if len(pages) != 1:
            raise ValueError(f"expected one .html file in {folder}, found {len(pages)}")
        found.append(pages[0])
    return found


# pytest fixtures (plain generators; wire them in conftest.py with pytest.fixture) -----


def page_server() -> Iterator[PageServer]:
    """A started PageServer, stopped afterwards."""
    with PageServer() as server:
        yield server


# command line ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pageserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--root", type=Path, help="directory whose files are served")
    args = parser.parse_args(argv)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with PageServer(args.host, args.port, root=args.root) as server:
        print(server.url("/"), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

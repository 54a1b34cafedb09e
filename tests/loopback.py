"""A real HTTP server on 127.0.0.1 for end-to-end tests: serves files, honours validators,
records what it was sent and counts the requests it handles at once."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes
    content_type: str = "application/xml"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers (Cache-Control, Retry-After ...)."""
    delay: float = 0.0
    """Seconds to wait before answering."""


@dataclass
class Server:
    routes: dict[str, Route]
    base_url: str = ""
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    """Requests being handled right now."""
    max_in_flight: int = 0
    """The most requests ever handled at once."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for seen_path, headers in self.seen if seen_path == path]


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[Server]:
    server = Server(routes)

    class Handler(BaseHTTPRequestHandler):
        answering = False

        def do_GET(self) -> None:
            with server.lock:
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            self.answering = True
            try:
                self._answer()
            finally:
                self._answered()

        def _answered(self) -> None:
            if self.answering:
                self.answering = False
                with server.lock:
                    server.in_flight -= 1

        def send_response(self, code: int, message: str | None = None) -> None:
            # a request stops counting once its answer starts: a client that has read the
            # whole answer may send its next request before this thread has wound down
            self._answered()
            super().send_response(code, message)

        def _answer(self) -> None:
            server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = server.routes.get(self.path)
            if route is not None and route.delay:
                time.sleep(route.delay)
            if route is None:
                self.send_error(404)
                return
            if route.status != 200:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (route.etag and inm == route.etag) or (
                not route.etag and route.last_modified and ims == route.last_modified
            ):
                self.send_response(304)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                return
            self.send_response(200)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class HTTPServer(ThreadingHTTPServer):
        request_queue_size = 256  # many clients at once must not wait for a SYN retry
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            # a client may hang up before it has read a whole answer: normal for a server,
            # and socketserver's traceback on sys.stderr would land in the output of
            # whatever CLI command a test is capturing at that moment
            if isinstance(sys.exc_info()[1], ConnectionError):
                return
            super().handle_error(request, client_address)

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    server.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

"""A hostile HTTP server on loopback: every way a feed server can hurt a reader.

Each route writes raw bytes to the socket, so it can lie (a Content-Length it does not
meet, chunking it breaks off, gzip it never finishes), drip, redirect anywhere and serve
control sequences. The server records every request it gets, so a test can prove that
a request it must never send was not sent (`hits`). Used by tests/test_fetch_safety.py.
"""

from __future__ import annotations

import gzip
import itertools
import socketserver
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MiB = 1024 * 1024


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogateescape"))


def rss(items: list[tuple[str, str]], *, title: str = "Hostile", encoding: str = "utf-8") -> str:
    """An RSS 2.0 document with (title, link) items; text is inserted as given."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>g-{i}-{_crc(t)}</guid>"
        f"<description>about {t}</description></item>"
        for i, (t, link) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example.org/</link>{body}</channel></rss>"
    )


GOOD_FEED = rss(
    [
        ("A good story survives the bad ones", "https://news.example.org/good/1"),
        ("Another good story", "https://news.example.org/good/2"),
    ],
    title="The good feed",
).encode()

# Titles and links carrying what must never reach a terminal or a shell.
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # write "rm -rf ~" to the clipboard
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # a hidden hyperlink
CSI = "\x1b[2J\x1b[31m"  # clear the screen, turn red
TITLE_SET = "\x1b]0;pwned-title\x07"
HOSTILE_TITLES = [
    f"Clipboard {OSC52} grab",
    f"Hyperlink {OSC8} trick",
    f"Screen {CSI} clear {TITLE_SET} done",
    "Markup [@click=app.quit]quit[/] and [/bogus] and [bold red]loud[/]",
    "Bell \x07 and backspace \x08 and bidi \u202etxet",
]
HOSTILE_LINKS = [
    "javascript:alert(1)",
    "file:///etc/passwd",
    "--proxy=http://evil.example",
    "https://user:secret@evil.example/",
    "https://news.example.org/safe",
]


def _xml_escape_controls(text: str) -> str:
    # XML 1.0 forbids C0 controls even as references; feeds carry them raw all the same
    return text.replace("&", "&amp;").replace("<", "&lt;")


HOSTILE_FEED = rss(
    [
        (_xml_escape_controls(t), _xml_escape_controls(link))
        for t, link in zip(HOSTILE_TITLES, HOSTILE_LINKS, strict=True)
    ],
    title=f"Evil {TITLE_SET}feed",
).encode()

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else b"%d" % (i - 1))) * 10)
        for i in range(1, 10)
    )
    + b']><rss version="2.0"><channel><title>&lol9;</title>'
    b"<item><title>&lol9;</title><guid>x</guid></item></channel></rss>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
    b'<rss version="2.0"><channel><title>t</title><item><title>leak &xxe;</title>'
    b"<guid>xxe</guid></item></channel></rss>"
)
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Login</title></head><body>hi</body></html>"


def gzip_bomb(decoded_bytes: int) -> Iterator[bytes]:
    """A gzip stream of `decoded_bytes` zeros, generated as it is sent (about 1 KiB per
    MiB). Every block after the first is the same bytes: a full flush resets the
    compressor. The trailer is never sent: no client should read that far."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MiB)
    yield compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(decoded_bytes // MiB - 1):
        yield again


class Exchange:
    """One request as a route sees it, and the raw socket to answer on."""

    def __init__(self, handler: socketserver.StreamRequestHandler, path: str) -> None:
        self.handler = handler
        self.path = path
        self.headers: dict[str, str] = {}

    def raw(self, data: bytes) -> None:
        self.handler.wfile.write(data)
        self.handler.wfile.flush()

    def head(self, status: str, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
        lines.append("Connection: close")
        self.raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def send(
        self,
        body: bytes,
        *,
        status: str = "200 OK",
        content_type: str = "application/rss+xml",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.head(
            status,
            {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})},
        )
        self.raw(body)

    def redirect(self, location: str, status: str = "302 Found") -> None:
        self.send(b"", status=status, headers={"Location": location})


Route = Callable[[Exchange], None]


@dataclass
class HostileServer:
    """A running server: its address, its routes and every path it was asked for."""

    routes: dict[str, Route]
    host: str = "127.0.0.1"
    port: int = 0
    hits: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


@contextmanager
def serve(routes: dict[str, Route], host: str = "127.0.0.1") -> Iterator[HostileServer]:
    """Serve `routes` (path without query -> route) on `host` until the block ends."""
    state = HostileServer(routes=routes, host=host)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request_line = self.rfile.readline(8192).decode("latin-1").strip()
            if not request_line:
                return
            parts = request_line.split(" ")
            exchange = Exchange(self, parts[1] if len(parts) > 1 else "/")
            while True:
                line = self.rfile.readline(8192).decode("latin-1").strip()
                if not line:
                    break
                name, _, value = line.partition(":")
                exchange.headers[name.strip().lower()] = value.strip()
            state.hits.append(exchange.path)
            route = state.routes.get(exchange.path.split("?", 1)[0])
            try:
                if route is None:
                    exchange.send(b"not here", status="404 Not Found", content_type="text/plain")
                else:
                    route(exchange)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on us: that is the point of most routes

    server = _Server((host, 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- routes -----------------------------------------------------------------------------------


def body(data: bytes, content_type: str = "application/rss+xml", **headers: str) -> Route:
    def route(exchange: Exchange) -> None:
        exchange.send(data, content_type=content_type, headers=headers)

    return route


def etagged(data: bytes, etag: str) -> Route:
    def route(exchange: Exchange) -> None:
        if exchange.headers.get("if-none-match") == etag:
            exchange.head("304 Not Modified", {"ETag": etag})
            return
        exchange.send(data, headers={"ETag": etag})

    return route


def bomb(server: Callable[[], HostileServer], decoded_bytes: int = 1024 * MiB) -> Route:
    """A gzip bomb, chunked, generated on the fly."""

    def route(exchange: Exchange) -> None:
        exchange.head(
            "200 OK",
            {
                "Content-Type": "application/rss+xml",
                "Content-Encoding": "gzip",
                "Transfer-Encoding": "chunked",
            },
        )
        pieces = gzip_bomb(decoded_bytes)
        while not server().stop.is_set():
            frame = b"".join(itertools.islice(pieces, 64))  # ~64 KiB: 64 MiB inflated
            if not frame:
                break
            exchange.raw(b"%x\r\n%s\r\n" % (len(frame), frame))
        exchange.raw(b"0\r\n\r\n")

    return route


def stacked(layers: int) -> Route:
    """The good feed gzipped `layers` times, declared as `layers` stacked codings."""
    data = GOOD_FEED
    for _ in range(layers):
        data = gzip.compress(data)

    def route(exchange: Exchange) -> None:
        exchange.send(data, headers={"Content-Encoding": ", ".join(["gzip"] * layers)})

    return route


def drip(server: Callable[[], HostileServer], interval: float = 1.0) -> Route:
    """A feed sent one byte per `interval` seconds."""

    def route(exchange: Exchange) -> None:
        exchange.head(
            "200 OK", {"Content-Type": "application/rss+xml", "Content-Length": str(len(GOOD_FEED))}
        )
        for byte in GOOD_FEED:
            if server().stop.wait(interval):
                return
            exchange.raw(bytes([byte]))

    return route


def short_by_length(exchange: Exchange) -> None:
    """Promises more bytes than it sends, then hangs up."""
    exchange.head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "100000"})
    exchange.raw(GOOD_FEED[: len(GOOD_FEED) // 2])


def broken_chunks(exchange: Exchange) -> None:
    """Chunked, and the connection drops in the middle of a chunk."""
    exchange.head("200 OK", {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"})
    half = GOOD_FEED[: len(GOOD_FEED) // 2]
    exchange.raw(b"%x\r\n%s" % (len(GOOD_FEED), half))


def unfinished_gzip(exchange: Exchange) -> None:
    """A gzip body cut short, with a Content-Length that matches the cut."""
    data = gzip.compress(GOOD_FEED)[:-40]
    exchange.send(data, headers={"Content-Encoding": "gzip"})


def redirect(location: Callable[[], str], status: str = "302 Found") -> Route:
    def route(exchange: Exchange) -> None:
        exchange.redirect(location(), status)

    return route


def status(line: str, **headers: str) -> Route:
    def route(exchange: Exchange) -> None:
        exchange.send(b"", status=line, content_type="text/plain", headers=headers)

    return route


def counting(exchange: Exchange) -> None:
    """Where nothing may arrive: answers with a feed so a leak would also be ingested."""
    exchange.send(rss([("Leaked into a private address", "https://x.example/leak")]).encode())


def slow_feed(server: Callable[[], HostileServer], seconds: float) -> Route:
    """The good feed, after `seconds`."""

    def route(exchange: Exchange) -> None:
        if server().stop.wait(seconds):
            return
        exchange.send(GOOD_FEED)

    return route

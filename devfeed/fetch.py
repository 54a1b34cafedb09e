"""One bounded fetch: a request in, a complete, size-checked body out, or a `FetchError`.

Owns what a single fetch may do, whoever asked for it:
- one total deadline over name resolution, connect, headers, every redirect hop and the
  body (httpx's own timeout is per read: a 1-byte-per-second drip never trips it);
- the body read raw and inflated here, chunk by chunk, with the cap checked on the
  inflated size (a gzip bomb stops at the cap); one content-coding at most; a body cut
  short (Content-Length not met, broken chunking, unfinished gzip) is an error;
- redirects followed here, at most `max_redirects`, each hop re-checked: http/https only,
  and a host the user did not configure may only be reached on a public address, checked
  on the address actually connected to (`GuardedBackend`), so DNS rebinding and numeric
  tricks (`2130706434`, `0x7f.1`, `[::ffff:127.0.0.1]`) do not pass.

It decides nothing about scheduling or parsing and never touches the store.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType

import httpcore
import httpx

from devfeed.errors import FetchError
from devfeed.sanitize import clean_line

MAX_BODY_BYTES = 15 * 1024 * 1024
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
ACCEPT_ENCODING = "gzip, deflate"
PRIVATE_OK = "devfeed.private_ok"
"""Request extension: True when this request may reach a non-public address."""
_CROSS_ORIGIN_DROPPED = ("authorization", "proxy-authorization", "cookie")
_READ_SIZE = 64 * 1024
"""The most one network read returns (httpcore's read size): slack for the raw size check."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""`(host, port) -> addresses`: how host names become IP addresses (injectable)."""

_NUMERIC_V4 = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_PRIVATE_NAMES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


class BlockedTarget(FetchError):
    """A fetch was refused before any byte was sent: a scheme or address it may not reach."""


# -- addresses ------------------------------------------------------------------------------


def numeric_host(host: str) -> IPAddress | None:
    """The IP address a host spells, in any of the forms a resolver would accept
    (`127.0.0.1`, `2130706434`, `0x7f.1`, `127.1`, `::ffff:127.0.0.1`); None for a name."""
    host = host.strip("[]").rstrip(".").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet. Loopback, private, link-local (cloud
    metadata at 169.254.169.254 included), shared, reserved and multicast addresses are not;
    IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if embedded:
            return all(is_public(v4) for v4 in embedded)
    return address.is_global and not address.is_multicast


def is_link_local(address: IPAddress) -> bool:
    """True for a link-local address (169.254.0.0/16, fe80::/10, also inside IPv6 forms
    that embed an IPv4 address): where cloud metadata services answer (169.254.169.254).
    devfeed never connects there, whatever the follow's policy allows."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None
        )
        if embedded is not None:
            return embedded.is_link_local
    return address.is_link_local


def _link_local_refusal(host: str, address: IPAddress) -> BlockedTarget:
    shown = clean_line(host, max_length=100)
    where = "" if shown.strip("[]") == str(address) else f"{shown}: it resolves to "
    return BlockedTarget(
        f"refused to connect to {where}the link-local address {address} (cloud metadata "
        "services answer there; devfeed never connects to one)"
    )


def _normal_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def is_private_host(host: str) -> bool:
    """A host that names a private place by itself: a non-public IP address in any
    spelling, `localhost`, or a private-use name (`.local`, `.lan`, `.internal` ...)."""
    address = numeric_host(host)
    if address is not None:
        return not is_public(address)
    name = _normal_host(host)
    return name == "localhost" or "." not in name or name.endswith(_PRIVATE_NAMES)


@dataclass(frozen=True)
class TargetPolicy:
    """Which hosts a fetch may reach on non-public addresses.

    The hosts the user configured (a follow's URL, an instance, a `base_url`) are trusted
    wherever they resolve. When one of them is itself private (an address on the LAN or
    loopback, `localhost`, `nas.local`), the user points devfeed at their own network and
    every target may be private. Otherwise any other host (a redirect target, a URL found
    in a response) must resolve to public addresses only."""

    trusted_hosts: frozenset[str] = frozenset()
    """Hosts (lower case, IDNA) that may resolve anywhere."""
    allow_private: bool = False
    """Every host may resolve anywhere."""

    @classmethod
    def for_configured(cls, urls_or_hosts: Iterable[str | None]) -> TargetPolicy:
        """The policy for a follow whose configuration names these URLs or hosts."""
        hosts: set[str] = set()
        for value in urls_or_hosts:
            if not value:
                continue
            text = value.strip()
            if "://" not in text:
                text = f"https://{text}"
            try:
                host = httpx.URL(text).raw_host.decode("ascii")
            except (httpx.InvalidURL, UnicodeDecodeError):
                continue
            if host:
                hosts.add(_normal_host(host))
        return cls(
            trusted_hosts=frozenset(hosts), allow_private=any(is_private_host(h) for h in hosts)
        )

    def private_ok(self, host: str) -> bool:
        """May `host` be reached on a non-public address?"""
        return self.allow_private or _normal_host(host) in self.trusted_hosts


UNRESTRICTED = TargetPolicy(allow_private=True)
"""For fetches whose every target the user typed (tests, tools)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's resolver (getaddrinfo), run off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# -- the guarded connection -----------------------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, and connects to a checked address
    (never resolving twice, so a name cannot answer differently to the check and the
    connect). With `public_only`, a host with any non-public address is refused."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        public_only: bool,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver
        self._public_only = public_only
        self._inner = inner or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The checked addresses to try for `host`. Raises `BlockedTarget`."""
        numeric = numeric_host(host)
        if numeric is not None:
            found: list[IPAddress] = [numeric]
        else:
            try:
                answers = await self._resolver(host, port)
            except (OSError, UnicodeError) as error:
                shown = clean_line(host, max_length=100)
                raise FetchError(f"cannot resolve {shown}: {error}") from None
            found = []
            for answer in answers:
                address = numeric_host(str(answer))
                if address is not None:
                    found.append(address)
            if not found:
                raise FetchError(f"cannot resolve {clean_line(host, max_length=100)}")
        for address in found:
            if is_link_local(address):
                raise _link_local_refusal(host, address)
        if self._public_only:
            refused = [a for a in found if not is_public(a)]
            if refused:
                raise BlockedTarget(
                    f"refused to connect to {clean_line(host, max_length=100)}: it resolves "
                    f"to the non-public address {refused[0]}"
                )
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.addresses(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address.ipv4_mapped or address)
                    if isinstance(address, ipaddress.IPv6Address)
                    else str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedTarget("devfeed does not fetch over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


MAX_CONNECTIONS = 100
"""Connections one pool keeps open at once, busy or idle (httpx's default)."""
KEEPALIVE_S = 5.0
"""How long an idle connection is kept for another request to its origin (httpx's default)."""
_SWEEP_S = 1.0
"""How often every idle connection is checked for an expired keep-alive or a server close
(the one about to be reused is always checked first)."""

Connection = httpcore.AsyncConnectionInterface
_OriginKey = tuple[bytes, bytes, int]


def _key(origin: httpcore.Origin) -> _OriginKey:
    return (origin.scheme, origin.host, origin.port)  # an Origin is not hashable


class _Pool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool with bookkeeping that does not grow with the pool.

    httpcore calls `_assign_requests_to_connections` when a request starts and when its
    response is closed. Its own version walks every connection each time, counts the idle
    ones once per connection (quadratic) and asks each idle one whether the server closed
    it (a socket poll plus, on anyio, a getpeername): with connections to 50 hosts that was
    milliseconds of CPU per request. This one looks only at the connections to the
    request's origin (an index), checks an idle connection right before reusing it, and
    walks them all at most once per `_SWEEP_S` to close the expired ones. Idle connections
    stay until their keep-alive expires or their place is needed under `max_connections`
    (the oldest goes first); `max_keepalive_connections` is not used."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_connections: int,
        keepalive_expiry: float,
        network_backend: httpcore.AsyncNetworkBackend,
    ) -> None:
        super().__init__(
            ssl_context=ssl_context,
            max_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
            network_backend=network_backend,
        )
        self._by_origin: dict[_OriginKey, list[Connection]] = {}
        self._origin_of: dict[Connection, _OriginKey] = {}
        self._next_sweep = 0.0

    def _assign_requests_to_connections(self) -> list[Connection]:
        closing: list[Connection] = []
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + _SWEEP_S
            for connection in list(self._connections):
                if connection.is_closed():
                    self._forget(connection)
                elif connection.has_expired():
                    self._forget(connection)
                    closing.append(connection)
        taken: set[Connection] = set()
        for pool_request in self._requests:
            if pool_request.is_queued():
                origin = pool_request.request.url.origin
                chosen = self._reusable(origin, taken, closing) or self._new(origin, closing)
                if chosen is not None:  # else it waits for a connection to be released
                    taken.add(chosen)
                    pool_request.assign_to_connection(chosen)
        return closing

    def _reusable(
        self, origin: httpcore.Origin, taken: set[Connection], closing: list[Connection]
    ) -> Connection | None:
        for connection in list(self._by_origin.get(_key(origin), ())):
            if connection.is_closed():
                self._forget(connection)
            elif connection in taken or not connection.is_available():
                continue
            elif connection.has_expired():
                self._forget(connection)
                closing.append(connection)
            else:
                return connection
        return None

    def _new(self, origin: httpcore.Origin, closing: list[Connection]) -> Connection | None:
        """A new connection to `origin`, closing the oldest idle one when the pool is full;
        None when every connection is busy (the request waits for one to be released)."""
        if len(self._connections) >= self._max_connections:
            for connection in list(self._connections):
                if connection.is_closed():
                    self._forget(connection)
            if len(self._connections) >= self._max_connections:
                oldest_idle = next((c for c in self._connections if c.is_idle()), None)
                if oldest_idle is None:
                    return None
                self._forget(oldest_idle)
                closing.append(oldest_idle)
        connection = self.create_connection(origin)
        self._connections.append(connection)
        self._by_origin.setdefault(_key(origin), []).append(connection)
        self._origin_of[connection] = _key(origin)
        return connection

    async def aclose(self) -> None:
        self._by_origin.clear()
        self._origin_of.clear()
        await super().aclose()

    def _forget(self, connection: Connection) -> None:
        self._connections.remove(connection)
        key = self._origin_of.pop(connection)
        same = self._by_origin[key]
        same.remove(connection)
        if not same:
            del self._by_origin[key]


class _PooledTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP transport over a connection pool that connects through `backend`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = _Pool(
            ssl_context=ssl_context,
            max_connections=MAX_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_S,
            network_backend=backend,
        )


class GuardedTransport(httpx.AsyncBaseTransport):
    """The transport devfeed fetches with: two connection pools, one that may reach any
    address and one that connects to public addresses only. A request goes to the first
    only when `fetch` marked it (`PRIVATE_OK`), so a connection opened for a trusted
    private host is never reused for an untrusted one."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        resolve = resolver or system_resolver
        # one context for both (building one loads every certificate authority);
        # SSL_CERT_FILE / SSL_CERT_DIR still pick them
        context = httpx.create_ssl_context(trust_env=True)
        self._any = _PooledTransport(GuardedBackend(resolve, public_only=False), context)
        self._public = _PooledTransport(GuardedBackend(resolve, public_only=True), context)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = self._any if request.extensions.get(PRIVATE_OK) is True else self._public
        return await pool.handle_async_request(request)

    async def __aenter__(self) -> GuardedTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._any.aclose()
        await self._public.aclose()


# -- the body -------------------------------------------------------------------------------


class _Inflater:
    """Decodes one content-coding incrementally, never producing more than asked for."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        if coding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._zlib = zlib.decompressobj()
            self._raw_deflate_checked = False
        else:
            self._zlib = None

    def feed(self, data: bytes, room: int) -> bytes:
        """Inflate `data`, returning at most `room + 1` bytes (one past the cap is enough
        to know it was exceeded)."""
        if self._zlib is None:
            return data
        if self.coding == "deflate" and not self._raw_deflate_checked and data:
            self._raw_deflate_checked = True
            # "deflate" is meant to be zlib-wrapped; some servers send raw deflate
            if (data[0] & 0x0F) != 8:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        out: list[bytes] = []
        produced = 0
        pending = data
        while pending and produced <= room:
            try:
                chunk = self._zlib.decompress(pending, room + 1 - produced)
            except zlib.error as error:
                raise FetchError(f"the {self.coding} body is corrupt: {error}") from None
            out.append(chunk)
            produced += len(chunk)
            if self._zlib.eof:
                if self._zlib.unused_data.strip(b"\x00\r\n "):
                    raise FetchError(f"data after the end of the {self.coding} body")
                break
            pending = self._zlib.unconsumed_tail
        return b"".join(out)

    def finish(self) -> bytes:
        """The rest of the body; raises when the compressed stream did not end."""
        if self._zlib is None:
            return b""
        if not self._zlib.eof:
            raise FetchError(f"the {self.coding} body ended before its end (truncated)")
        return b""


def _coding(response: httpx.Response) -> str:
    values = response.headers.get_list("content-encoding", split_commas=True)
    codings = [v.strip().lower() for v in values if v.strip().lower() not in ("", "identity")]
    if len(codings) > 1:
        raise FetchError(
            f"stacked content-codings ({clean_line(', '.join(codings), max_length=80)}) refused"
        )
    coding = codings[0] if codings else "identity"
    if coding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise FetchError(f"unsupported content-coding {clean_line(coding, max_length=40)!r}")
    return coding


def _too_large(limit: int) -> FetchError:
    if limit % 2**20 == 0:
        return FetchError(f"the response is larger than {limit // 2**20} MiB")
    return FetchError(f"the response is larger than {limit} bytes")


async def read_body(response: httpx.Response, max_bytes: int) -> bytes:
    """The whole decoded body of a streamed response, at most `max_bytes` once inflated."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    coding = _coding(response)
    if response.is_stream_consumed:
        # built in memory (httpx.MockTransport): httpx has read and decoded it already
        if len(response.content) > max_bytes:
            raise _too_large(max_bytes)
        return response.content
    inflater = _Inflater(coding)
    chunks: list[bytes] = []
    size = 0
    raw_size = 0
    # chunks as the connection delivers them: asking httpx for a fixed size re-chunks
    # (copies) every byte of the body
    async for raw in response.aiter_raw():
        raw_size += len(raw)
        if raw_size > max_bytes + _READ_SIZE:  # compressed data that never inflates
            raise _too_large(max_bytes)
        chunk = inflater.feed(raw, max_bytes - size)
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    inflater.finish()
    return b"".join(chunks)


# -- one fetch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What one fetch may cost."""

    deadline_s: float = 30.0
    """Total seconds for everything: resolving, connecting, every hop, the whole body."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Largest body, counted after inflating."""
    max_redirects: int = MAX_REDIRECTS
    """Redirects followed before giving up."""


@dataclass(frozen=True)
class Fetched:
    """A finished fetch."""

    response: httpx.Response
    """The final response with its complete, decoded body as `content` (no content-coding
    headers left); `response.url` is where it came from after redirects."""
    body: bytes
    """The decoded body (empty for 3xx/4xx/5xx answers: those bodies are not read)."""
    redirects: tuple[str, ...] = ()
    """Every URL redirected to, in order."""
    moved_to: str | None = None
    """Set when every hop was permanent (301/308), the final answer was not an error and
    the target is as safe as the start (no https -> http): the follow's new address."""


def check_target(url: httpx.URL, policy: TargetPolicy) -> None:
    """Refuse a URL before connecting when its scheme or its numeric host is not allowed
    (names are checked on the resolved address, at connect time)."""
    if url.scheme not in ("http", "https"):
        raise BlockedTarget(
            f"refused to fetch a {clean_line(url.scheme, max_length=20) or 'relative'}: URL"
        )
    if not url.host:
        raise BlockedTarget("refused to fetch a URL without a host")
    if url.userinfo:
        raise BlockedTarget("refused to fetch a URL with a user name or password in it")
    host = url.raw_host.decode("ascii")
    address = numeric_host(host)
    if address is not None and is_link_local(address):
        raise _link_local_refusal(host, address)
    if address is not None and not is_public(address) and not policy.private_ok(host):
        raise BlockedTarget(f"refused to connect to the non-public address {address}")


def _marked(request: httpx.Request, policy: TargetPolicy) -> httpx.Request:
    request.extensions = {
        **request.extensions,
        PRIVATE_OK: policy.private_ok(request.url.raw_host.decode("ascii")),
    }
    request.headers["Accept-Encoding"] = ACCEPT_ENCODING
    return request


def _redirect_target(request: httpx.Request, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("location", "")
    try:
        return request.url.join(location.strip())
    except (httpx.InvalidURL, ValueError):
        raise FetchError("a redirect to an invalid URL") from None


def _next_request(
    client: httpx.AsyncClient, request: httpx.Request, response: httpx.Response, url: httpx.URL
) -> httpx.Request:
    method = request.method
    if response.status_code == 303 and method != "HEAD":
        method = "GET"
    if response.status_code in (301, 302) and method == "POST":
        method = "GET"
    headers = httpx.Headers(request.headers)
    del headers["host"]
    if "content-length" in headers:
        del headers["content-length"]
    same_origin = (url.scheme, url.raw_host, url.port) == (
        request.url.scheme,
        request.url.raw_host,
        request.url.port,
    )
    if not same_origin:
        for name in _CROSS_ORIGIN_DROPPED:
            if name in headers:
                del headers[name]
    return client.build_request(method, url, headers=headers)


def _redirect_problem(url: httpx.URL) -> str:
    shown = clean_line(str(url), max_length=200)
    return f"a redirect to {shown}"


async def _follow(
    client: httpx.AsyncClient,
    request: httpx.Request,
    limits: Limits,
    policy: TargetPolicy,
) -> Fetched:
    original = request.url
    hops: list[tuple[int, httpx.URL]] = []
    seen = {str(request.url)}
    while True:
        check_target(request.url, policy)
        response = await client.send(_marked(request, policy), stream=True)
        try:
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                target = _redirect_target(request, response)
                if len(hops) >= limits.max_redirects:
                    raise FetchError(f"more than {limits.max_redirects} redirects")
                if str(target) in seen:
                    raise FetchError(f"a redirect loop ({_redirect_problem(target)})")
                try:
                    check_target(target, policy)
                except BlockedTarget as error:
                    raise BlockedTarget(f"{_redirect_problem(target)}: {error}") from None
                hops.append((response.status_code, target))
                seen.add(str(target))
                request = _next_request(client, request, response, target)
                continue
            body = b""
            if response.status_code < 300:
                body = await read_body(response, limits.max_body_bytes)
        finally:
            await response.aclose()
        break
    moved_to = None
    if (
        hops
        and all(status in PERMANENT_REDIRECTS for status, _ in hops)
        and (response.status_code < 300 or response.status_code == 304)
        and not (original.scheme == "https" and request.url.scheme != "https")
    ):
        moved_to = str(request.url)
    finished = httpx.Response(
        status_code=response.status_code,
        headers=[
            (name, value)
            for name, value in response.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ],
        content=body,
        request=request,
    )
    return Fetched(
        response=finished,
        body=body,
        redirects=tuple(str(url) for _, url in hops),
        moved_to=moved_to,
    )


async def fetch(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    limits: Limits | None = None,
    policy: TargetPolicy = UNRESTRICTED,
) -> Fetched:
    """Send `request` and read the whole answer within `limits`, following redirects
    under `policy`. Raises `FetchError` (with a message for the user) for anything that
    does not end in a complete response; an HTTP error status is returned, not raised.

    The client must not follow redirects itself (`follow_redirects=False`)."""
    limits = limits or Limits()
    try:
        async with asyncio.timeout(limits.deadline_s):
            return await _follow(client, request, limits, policy)
    except TimeoutError:
        raise FetchError(f"no complete answer within {limits.deadline_s:g} s") from None
    except httpx.HTTPError as error:
        detail = clean_line(str(error), max_length=200) or type(error).__name__
        raise FetchError(f"{type(error).__name__}: {detail}") from None

"""The connection pool behind `GuardedTransport` over real loopback HTTP: a connection per
host is kept and reused across many hosts, a connection the server closed or whose
keep-alive ran out is never handed a request, and a full pool makes room by closing its
oldest idle connection or lets the request wait."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpcore
import httpx
import pytest

from devfeed.errors import FetchError
from devfeed.fetch import (
    UNRESTRICTED,
    GuardedBackend,
    GuardedTransport,
    _Pool,
    fetch,
    system_resolver,
)


class KeepAliveServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 that keeps connections open and counts them.
    With `close_after`, it closes each connection that long after answering (a server's
    own keep-alive timeout), without saying so in the response."""

    def __init__(self, close_after: float | None = None, delay: float = 0.0) -> None:
        self.close_after = close_after
        self.delay = delay
        self.connections = 0
        self.requests = 0
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                path = head.split(b" ", 2)[1]
                await asyncio.sleep(self.delay)
                body = b"hello from " + path
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                if self.close_after is not None:
                    await asyncio.sleep(self.close_after)
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(*servers: KeepAliveServer) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for server in servers:
            listener = await asyncio.start_server(server._handle, "127.0.0.1", 0)
            await stack.enter_async_context(listener)
            port = listener.sockets[0].getsockname()[1]
            server.url = f"http://127.0.0.1:{port}"
        yield


async def get(client: httpx.AsyncClient, url: str) -> bytes:
    fetched = await fetch(client, client.build_request("GET", url), policy=UNRESTRICTED)
    assert fetched.response.status_code == 200
    return fetched.body


async def test_a_connection_per_host_is_reused_across_many_hosts() -> None:
    """More hosts than httpx's 20 keep-alive connections: each keeps its own."""
    servers = [KeepAliveServer() for _ in range(30)]
    async with (
        serving(*servers),
        httpx.AsyncClient(transport=GuardedTransport(), trust_env=False) as client,
    ):
        for round_ in range(3):
            bodies = await asyncio.gather(*(get(client, f"{s.url}/r{round_}") for s in servers))
            assert bodies == [f"hello from /r{round_}".encode()] * len(servers)
    assert [s.requests for s in servers] == [3] * len(servers)
    assert [s.connections for s in servers] == [1] * len(servers)


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    server = KeepAliveServer(close_after=0.0)
    async with (
        serving(server),
        httpx.AsyncClient(transport=GuardedTransport(), trust_env=False) as client,
    ):
        for n in range(3):
            assert await get(client, f"{server.url}/{n}") == f"hello from /{n}".encode()
            await asyncio.sleep(0.05)  # the server has closed the connection by now
    assert server.requests == 3 and server.connections == 3


def pool(max_connections: int = 100, keepalive_expiry: float = 5.0) -> _Pool:
    return _Pool(
        ssl_context=ssl.create_default_context(),
        max_connections=max_connections,
        keepalive_expiry=keepalive_expiry,
        network_backend=GuardedBackend(system_resolver, public_only=False),
    )


async def body(connections: _Pool, url: str) -> bytes:
    response = await connections.request("GET", url)
    return response.content


async def test_an_idle_connection_past_its_keepalive_is_replaced() -> None:
    server = KeepAliveServer()
    async with serving(server), pool(keepalive_expiry=0.05) as connections:
        assert await body(connections, f"{server.url}/a") == b"hello from /a"
        assert await body(connections, f"{server.url}/b") == b"hello from /b"
        assert server.connections == 1, "reused within its keep-alive"
        await asyncio.sleep(0.1)
        assert await body(connections, f"{server.url}/c") == b"hello from /c"
        assert server.connections == 2
        assert len(connections.connections) == 1, "the expired one was let go"


async def test_a_full_pool_closes_its_oldest_idle_connection() -> None:
    a, b, c = KeepAliveServer(), KeepAliveServer(), KeepAliveServer()
    async with serving(a, b, c), pool(max_connections=2) as connections:
        for server in (a, b, c):
            await body(connections, f"{server.url}/")
        kept = [
            server
            for server in (a, b, c)
            for conn in connections.connections
            if conn.can_handle_request(httpcore.URL(server.url).origin)
        ]
        assert kept == [b, c]
        await body(connections, f"{b.url}/again")
        await body(connections, f"{a.url}/again")
        assert (a.connections, b.connections, c.connections) == (2, 1, 1)


async def test_a_request_waits_while_every_connection_is_busy() -> None:
    slow, other = KeepAliveServer(delay=0.1), KeepAliveServer()
    async with serving(slow, other), pool(max_connections=1) as connections:
        first = asyncio.create_task(body(connections, f"{slow.url}/slow"))
        await asyncio.sleep(0.02)  # the only connection is busy with the slow answer
        second = asyncio.create_task(body(connections, f"{other.url}/next"))
        await asyncio.sleep(0.02)
        assert not second.done() and other.requests == 0
        assert await first == b"hello from /slow"
        assert await second == b"hello from /next"
        assert len(connections.connections) == 1


async def test_a_failed_connect_does_not_stay_in_the_pool() -> None:
    server = KeepAliveServer()
    async with serving(server):
        gone = server.url
    async with serving(server), pool(max_connections=1) as connections:
        with pytest.raises(httpcore.ConnectError):
            await body(connections, f"{gone}/")
        assert await body(connections, f"{server.url}/up") == b"hello from /up"
        assert len(connections.connections) == 1


async def test_a_refused_connection_is_a_fetch_error() -> None:
    server = KeepAliveServer()
    async with serving(server):
        gone = server.url
    async with httpx.AsyncClient(transport=GuardedTransport(), trust_env=False) as client:
        with pytest.raises(FetchError, match="ConnectError"):
            await get(client, f"{gone}/")

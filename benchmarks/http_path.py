"""CPU per request of devfeed's HTTP path alone: the poller's client, `GuardedTransport`
and `fetch()`, with no parsing and no store.

Fetches N generated feeds (the sizes of benchmarks/poll.py) from threaded loopback servers
that run in a child process, so that only the client's CPU is counted, and prints the
median wall time, CPU time (user + sys of this process) and CPU per request (after one
untimed request each, which loads the modules that load on first use). Two rows
put it in context: stock httpx (`AsyncClient.get`, its default pool) and bare asyncio
streams (one connection per request, no HTTP library: the floor on this machine).

    python benchmarks/http_path.py                  # 1,000 feeds, 50 hosts, 16 at once
    python benchmarks/http_path.py --feeds 100 --runs 1

Feeds are spread over several loopback addresses (127.0.0.2, 127.0.0.3 ...) as in
benchmarks/poll.py. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
import poll  # noqa: E402  (benchmarks/poll.py: the feeds and the servers)

from devfeed.fetch import UNRESTRICTED, GuardedTransport, Limits, fetch  # noqa: E402
from devfeed.poller import USER_AGENT  # noqa: E402

Client = Callable[[list[str], int], Awaitable[int]]
"""Fetches every URL, so many at once; returns the body bytes read."""


async def with_devfeed(urls: list[str], concurrency: int) -> int:
    """The poller's client (see `Poller._client`) and `fetch()`, as a poll sends them."""
    limit = asyncio.Semaphore(concurrency)
    limits = Limits(deadline_s=60.0)
    async with httpx.AsyncClient(
        transport=GuardedTransport(),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
        timeout=httpx.Timeout(60.0),
        trust_env=False,
    ) as client:

        async def one(url: str) -> int:
            async with limit:
                request = client.build_request("GET", url)
                fetched = await fetch(client, request, limits=limits, policy=UNRESTRICTED)
                return len(fetched.body)

        return sum(await asyncio.gather(*(one(u) for u in urls)))


async def with_httpx(urls: list[str], concurrency: int) -> int:
    """Stock httpx: its default transport and pool, `get` with the whole body."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60.0, trust_env=False) as client:

        async def one(url: str) -> int:
            async with limit:
                response = await client.get(url)
                return len(response.content)

        return sum(await asyncio.gather(*(one(u) for u in urls)))


async def with_streams(urls: list[str], concurrency: int) -> int:
    """Bare asyncio streams: connect, one GET with `Connection: close`, read to the end."""
    limit = asyncio.Semaphore(concurrency)

    async def one(url: str) -> int:
        parsed = httpx.URL(url)
        async with limit:
            reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
            writer.write(
                f"GET {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {parsed.netloc.decode()}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            data = await reader.read()
            writer.close()
            return len(data.partition(b"\r\n\r\n")[2])

    return sum(await asyncio.gather(*(one(u) for u in urls)))


CLIENTS: dict[str, Client] = {
    "devfeed fetch()": with_devfeed,
    "stock httpx": with_httpx,
    "asyncio streams (floor)": with_streams,
}


def measure(client: Client, urls: list[str], concurrency: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and body bytes of one run in a fresh event loop."""
    wall, cpu = time.perf_counter(), time.process_time()
    size = asyncio.run(client(urls, concurrency))
    return time.perf_counter() - wall, time.process_time() - cpu, size


def serve(feeds: int, hosts: int, latency: float) -> None:
    """The child process: serve the feeds until stdin closes."""
    rng = random.Random(7)
    words = poll.vocabulary(5000)
    bodies = {
        f"/feed/{n}.xml": poll.feed_body(n, rng.randint(20, 50), rng, words) for n in range(feeds)
    }
    with poll.servers(hosts, bodies, poll.Knobs(latency=latency)) as bases:
        print(" ".join(bases), flush=True)
        sys.stdin.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.feeds, args.hosts, args.latency)
        return

    argv = [sys.executable, __file__, "--serve", "--feeds", str(args.feeds)]
    argv += ["--hosts", str(args.hosts), "--latency", str(args.latency)]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        bases = child.stdout.readline().split()
        urls = [f"{bases[n % len(bases)]}/feed/{n}.xml" for n in range(args.feeds)]
        samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in CLIENTS}
        for client in CLIENTS.values():  # once, untimed: modules that load on first use
            asyncio.run(client(urls[:1], 1))
        for _ in range(args.runs):  # the clients alternate, so load on the machine is shared
            for name, client in CLIENTS.items():
                samples[name].append(measure(client, urls, args.concurrency))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)

    print(
        f"{args.feeds} feeds on {args.hosts} loopback hosts, {args.latency * 1000:.0f} ms "
        f"latency, {args.concurrency} at once; medians of {args.runs} run(s); "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"httpx {httpx.__version__}\n"
    )
    print("| client                  | wall s | CPU s | CPU ms/request | MB read |")
    print("|-------------------------|-------:|------:|---------------:|--------:|")
    for name, runs in samples.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        size = runs[-1][2] / 1e6
        per = cpu / args.feeds * 1000
        print(f"| {name:<23} | {wall:6.2f} | {cpu:5.2f} | {per:14.3f} | {size:7.1f} |")


if __name__ == "__main__":
    main()

"""Soak the daemon: `devfeed poll --daemon` against loopback servers for a while, with the
reader open, and print what happened.

    python benchmarks/daemon_soak.py                      # the issue's run: 10 minutes
    python benchmarks/daemon_soak.py --duration 60        # a quicker look

Five loopback servers (one "host" each, on 127.0.0.1 ports) serve 500 follows with a mix
of answers: feeds that change now and then (200, else 304 on the validators), sources
that answer 429 with a Retry-After some of the time, flaky ones that answer 500 half of
the time, dead ones that always answer 500, and slow ones. Every server counts the
requests it handles at once. Meanwhile this process keeps the real reader (Textual, under
Pilot) open on the same database, pressing s/r/l/j, and a second connection (its own
process) saves and marks stories read 20 times a second, counting "database is locked"
errors and how long each write took. After the soak, feeds.toml is edited to hourly
intervals (the daemon reloads it), and the daemon's CPU is measured while it idles; then
SIGTERM, and the time to exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devfeed.config import load_config  # noqa: E402
from devfeed.store import FeedQuery, Store  # noqa: E402

KINDS = (
    # (name, share of follows)
    ("changing", 0.60),  # 200 when the feed changed (every ~2 minutes), else 304
    ("static", 0.15),  # never changes: 304 after the first poll
    ("limited", 0.10),  # 429 with Retry-After 20 on 30 % of requests
    ("flaky", 0.08),  # 500 on half of the requests
    ("dead", 0.04),  # always 500: turns unhealthy, retried rarely
    ("slow", 0.03),  # answers after 1-3 s
)


def published(version: int) -> str:
    return format_datetime(datetime.fromtimestamp(1_790_000_000 + version * 60, UTC), usegmt=True)


def feed(host: int, n: int, version: int) -> bytes:
    items = "".join(
        f"<item><title>Host {host} feed {n} post {v}</title>"
        f"<link>https://h{host}.example/{n}/{v}</link><guid>h{host}-{n}-{v}</guid>"
        f"<pubDate>{published(v)}"
        f"</pubDate><description>Post {v} of feed {n} on host {host}.</description></item>"
        for v in range(max(0, version - 10), version + 1)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Host {host} feed {n}</title>'
        f"<link>https://h{host}.example/{n}</link>{items}</channel></rss>"
    ).encode()


@dataclass
class Host:
    """One loopback server: its follows' behaviours and its counters."""

    index: int
    kinds: dict[int, str]
    started: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    max_in_flight: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def version(self, n: int) -> int:
        if self.kinds[n] == "static":
            return 1
        return 1 + int((time.monotonic() - self.started + n * 7) // 120)


def serve(host: Host) -> ThreadingHTTPServer:
    rng = random.Random(host.index)

    class Handler(BaseHTTPRequestHandler):
        answering = False

        def do_GET(self) -> None:
            with host.lock:
                host.in_flight += 1
                host.requests += 1
                host.max_in_flight = max(host.max_in_flight, host.in_flight)
            self.answering = True
            try:
                status = self.answer()
                with host.lock:
                    host.statuses[status] += 1
            finally:
                self.answered()

        def answered(self) -> None:
            if self.answering:
                self.answering = False
                with host.lock:
                    host.in_flight -= 1

        def send_response(self, code: int, message: str | None = None) -> None:
            # counted until the answer starts: a client that has read the whole answer may
            # send its next request before this thread has wound down
            self.answered()
            super().send_response(code, message)

        def answer(self) -> int:
            n = int(self.path.strip("/").split(".")[0])
            kind = host.kinds[n]
            if kind == "slow":
                time.sleep(rng.uniform(1, 3))
            if (
                kind == "dead"
                or (kind == "flaky" and rng.random() < 0.5)
                or (kind == "limited" and rng.random() < 0.3)
            ):
                status = 500 if kind != "limited" else 429
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "20")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return status
            version = host.version(n)
            etag = f'"{n}-{version}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return 304
            body = feed(host.index, n, version)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)
            return 200

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 256
        daemon_threads = True

    httpd = Server(("127.0.0.1", 0), Handler)
    host.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def write_config(path: Path, hosts: list[Host], interval: str, per_host: int) -> None:
    lines = [
        "[settings]",
        f'poll_interval = "{interval}"',
        "max_concurrency = 8",
        f"per_host_concurrency = {per_host}",
        'timeout = "10s"',
    ]
    for host in hosts:
        for n in host.kinds:
            lines += [
                "[[follow]]",
                'platform = "rss"',
                f'url = "{host.base_url}/{n}.xml"',
                f'name = "h{host.index} {host.kinds[n]} {n}"',
            ]
    path.write_text("\n".join(lines) + "\n")


def start_daemon(command: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class ReaderStats:
    marks: int = 0
    lock_errors: int = 0
    other_errors: list[str] = field(default_factory=list)
    slowest_write: float = 0.0
    writes: list[float] = field(default_factory=list)
    stalls: list[tuple[str, float]] = field(default_factory=list)
    """Writes that took over 250 ms: (wall-clock time, seconds)."""
    tui_keys: int = 0
    tui_errors: list[str] = field(default_factory=list)


def reader_process(db: Path, seconds: float, results: multiprocessing.Queue[ReaderStats]) -> None:
    """Its own process (so the TUI's rendering does not count as waiting for the lock)."""
    stats = ReaderStats()
    asyncio.run(reader_loop(db, time.monotonic() + seconds, stats))
    results.put(stats)


async def reader_loop(db: Path, until: float, stats: ReaderStats) -> None:
    """Save and mark read in a loop, as the reader does, on its own connection."""
    async with await Store.open(db) as store:
        while time.monotonic() < until:
            page = await store.feed_page(FeedQuery(), limit=30)
            for story in page.stories[:10]:
                for change in ("read", "saved"):
                    started = time.monotonic()
                    try:
                        if change == "read":
                            await store.set_read(story.id, not story.read)
                        else:
                            await store.save(story.id, datetime.now(UTC), not story.saved)
                    except sqlite3.OperationalError as error:
                        if "locked" in str(error):
                            stats.lock_errors += 1
                        else:
                            stats.other_errors.append(str(error))
                    took = time.monotonic() - started
                    # a brisk human, not a write storm: a loop that writes back to back
                    # starves every other writer (SQLite's busy handler is not fair)
                    await asyncio.sleep(0.05)
                    stats.writes.append(took)
                    if took > 0.25:
                        stats.stalls.append((datetime.now(UTC).strftime("%H:%M:%S"), took))
                    stats.slowest_write = max(stats.slowest_write, took)
                    stats.marks += 1
            await asyncio.sleep(0.05)


async def tui_loop(db: Path, config_path: Path, stop: asyncio.Event, stats: ReaderStats) -> None:
    """The real reader, headless, with a user pressing keys."""
    from devfeed.tui.app import DevfeedApp

    config = load_config(config_path, explicit=True)
    async with await Store.open(db) as store:
        app = DevfeedApp(store=store, config=config)
        try:
            async with app.run_test(headless=True, size=(120, 40)) as pilot:
                keys = ["j", "j", "s", "r", "j", "l", "k", "r", "j", "s"]
                while not stop.is_set():
                    for key in keys:
                        await pilot.press(key)
                        stats.tui_keys += 1
                    await pilot.pause(0.2)
        except Exception as error:  # the app crashed: that is a finding, report it
            stats.tui_errors.append(f"{type(error).__name__}: {error}")


def cycles(db: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as connection:
        ((count, sources),) = connection.execute(
            "SELECT count(*), coalesce(sum(sources), 0) FROM poll_cycles WHERE mode = 'daemon'"
        ).fetchall()
    return int(count), int(sources)


def db_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as connection:

        def one(sql: str) -> int:
            return int(connection.execute(sql).fetchone()[0])

        return {
            "stories": one("SELECT count(*) FROM stories"),
            "unhealthy": one("SELECT count(*) FROM follows WHERE failures >= 5"),
            "integrity_ok": int(connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"),
        }


async def soak(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(42)
    per_host_follows = args.follows // args.hosts
    hosts: list[Host] = []
    servers = []
    for index in range(args.hosts):
        kinds: dict[int, str] = {}
        for n in range(per_host_follows):
            roll, total = rng.random(), 0.0
            for kind, share in KINDS:
                total += share
                if roll < total:
                    kinds[n] = kind
                    break
            else:
                kinds[n] = "changing"
        host = Host(index=index, kinds=kinds)
        servers.append(serve(host))
        hosts.append(host)

    work = Path(tempfile.mkdtemp(prefix="devfeed-soak-"))
    config, db, log = work / "feeds.toml", work / "soak.db", work / "daemon.log"
    write_config(config, hosts, args.interval, args.per_host)
    command = [sys.executable, "-m", "devfeed", "--config", str(config), "--db", str(db)]
    daemon = start_daemon([*command, "poll", "--daemon", "--log", str(log)], work)
    started = time.monotonic()
    while not db.exists() or "cycle 1:" not in (log.read_text() if log.exists() else ""):
        if daemon.poll() is not None or time.monotonic() - started > 120:
            raise SystemExit(f"the daemon did not start: {daemon.stderr.read().decode()}")
        await asyncio.sleep(0.1)

    stats = ReaderStats()
    stop = asyncio.Event()
    reader_results: multiprocessing.Queue[ReaderStats] = multiprocessing.Queue()
    reader = multiprocessing.Process(
        target=reader_process, args=(db, args.duration, reader_results), daemon=True
    )
    reader.start()
    tui = asyncio.create_task(tui_loop(db, config, stop, stats))
    cpu_start = cpu_seconds(daemon.pid)
    soak_started = time.monotonic()
    while time.monotonic() - soak_started < args.duration:
        await asyncio.sleep(1)
        if daemon.poll() is not None:
            raise SystemExit(f"the daemon died: {daemon.stderr.read().decode()}")
        elapsed = time.monotonic() - soak_started
        if args.progress and int(elapsed) % 30 == 0:
            done, _ = cycles(db)
            print(
                f"  {elapsed:5.0f} s: {done} cycles, {sum(h.requests for h in hosts)} requests",
                file=sys.stderr,
            )
    soak_cpu = cpu_seconds(daemon.pid) - cpu_start
    soak_elapsed = time.monotonic() - soak_started
    stop.set()
    await tui
    writer = await asyncio.to_thread(reader_results.get, True, 60)
    reader.join(timeout=10)

    # idle: hourly intervals from now on (the daemon notices the edited file), let every
    # follow pass its last short interval, then measure
    write_config(config, hosts, "1h", args.per_host)
    await asyncio.sleep(parse_seconds(args.interval) * 1.2 + 25)  # + the longest Retry-After
    settled = sum(h.requests for h in hosts)
    # CPU of the one-second windows in which no request reached any server
    quiet_seconds, quiet_cpu = 0, 0.0
    for _ in range(int(args.idle)):
        cpu_before, requests_before = cpu_seconds(daemon.pid), sum(h.requests for h in hosts)
        await asyncio.sleep(1)
        if sum(h.requests for h in hosts) == requests_before and not any(
            h.in_flight for h in hosts
        ):
            quiet_seconds += 1
            quiet_cpu += cpu_seconds(daemon.pid) - cpu_before
    idle_requests = sum(h.requests for h in hosts) - settled

    cpu_total = cpu_seconds(daemon.pid)
    stop_started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(timeout=30)
    stop_s = time.monotonic() - stop_started
    for server in servers:
        server.shutdown()
        server.server_close()

    log_text = log.read_text()
    if writer.stalls:
        print("reader writes over 250 ms (time, s):", writer.stalls[:20], file=sys.stderr)
    count, polled = cycles(db)
    statuses: Counter[int] = Counter()
    for host in hosts:
        statuses.update(host.statuses)
    counts = db_counts(db)
    return {
        "duration_s": round(soak_elapsed),
        "follows": per_host_follows * args.hosts,
        "hosts": args.hosts,
        "interval": args.interval,
        "per_host_cap": args.per_host,
        "cycles": count,
        "sources_polled": polled,
        "requests": sum(h.requests for h in hosts),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "max_concurrent_per_host": max(h.max_in_flight for h in hosts),
        "max_concurrent_by_host": [h.max_in_flight for h in hosts],
        "reader_marks": writer.marks,
        "tui_keys": stats.tui_keys,
        "lock_errors": writer.lock_errors + log_text.count("database is locked"),
        "other_errors": writer.other_errors[:3] + stats.tui_errors[:3],
        "reader_write_ms_p50_p99_max": [
            round(1000 * statistics.median(writer.writes), 1),
            round(1000 * statistics.quantiles(writer.writes, n=100)[98], 1),
            round(1000 * writer.slowest_write, 1),
        ],
        "reader_writes_over_250ms": len(writer.stalls),
        "stories": counts["stories"],
        "unhealthy": counts["unhealthy"],
        "cpu_soaking_pct": round(100 * soak_cpu / soak_elapsed, 1),
        "cpu_total_s": round(cpu_total, 1),
        "cpu_idle_pct": round(100 * quiet_cpu / max(quiet_seconds, 1), 2),
        "idle_quiet_seconds": f"{quiet_seconds} of {int(args.idle)}",
        "idle_requests": idle_requests,
        "sigterm_exit": code,
        "sigterm_s": round(stop_s, 2),
        "integrity": "ok" if counts["integrity_ok"] else "BROKEN",
        "tracebacks_in_log": log_text.count("Traceback"),
    }


def parse_seconds(interval: str) -> float:
    from devfeed.durations import parse_interval

    return parse_interval(interval).total_seconds()


def machine() -> str:
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{system}, {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of soak (600)")
    parser.add_argument("--follows", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--interval", default="30s", help="every follow's interval (30s)")
    parser.add_argument("--per-host", type=int, default=4, help="per_host_concurrency (4)")
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle CPU measure")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--progress", action="store_true", help="a line every 30 s on stderr")
    args = parser.parse_args()
    result = asyncio.run(soak(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/daemon_soak.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    print("| measure | value |")
    print("|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()

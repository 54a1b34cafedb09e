"""Poll N generated feeds from loopback servers with devfeed and, when installed, newsboat.

Four cycles, the first three in turn on one state, the last on a state of its own:
  first      every feed is new (empty database / cache);
  same-body  every feed answers 200 with the bytes of last time and no validators;
  one-new    every feed answers 200 with one new entry on top of the others, as after its
             author posted once (the daemon's usual cycle: every body is parsed again);
  all-304    every feed has an ETag and a Last-Modified and answers 304 to either.
Runs alternate between the two readers; the table gives medians of wall time, CPU time
(user + sys of the reader's process and of every process it started: devfeed's parse
workers are children of its fork server, whose CPU `wait4` on the reader alone misses, so
the harness makes itself their subreaper and reaps them all) and peak RSS (of the reader's
own process), and devfeed / newsboat ratios.

    python benchmarks/poll.py                     # 1,000 feeds, 50 ms latency, 3 runs
    python benchmarks/poll.py --feeds 50 --runs 1 # a quick look

Feeds are spread over several loopback addresses (127.0.0.2, 127.0.0.3 ...) so that a
per-host cap sees many hosts, as with real follows. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import importlib.util
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from people import NAMES

WORDS = [
    "async",
    "await",
    "buffer",
    "cache",
    "commit",
    "compiler",
    "database",
    "deploy",
    "feed",
    "fork",
    "graph",
    "heap",
    "index",
    "kernel",
    "lambda",
    "latency",
    "merge",
    "module",
    "mutex",
    "parser",
    "pipeline",
    "pointer",
    "query",
    "queue",
    "release",
    "runtime",
    "schema",
    "socket",
    "stack",
    "stream",
    "syntax",
    "thread",
    "token",
    "vector",
    "python",
    "rust",
    "sqlite",
    "terminal",
    "textual",
    "poller",
    "story",
    "platform",
    "review",
    "refactor",
    "benchmark",
    "profile",
]


def vocabulary(size: int) -> list[str]:
    """`WORDS` and made-up words up to `size` words (real posts draw on thousands of
    words; with `WORDS` alone every text shares most word pairs with every other)."""
    made = [f"{a}{b}" for a in WORDS for b in WORDS if a != b]
    return WORDS + made[: max(size - len(WORDS), 0)]


def author_of(n: int, numbered: bool = False) -> str:
    """Feed `n`'s author: a person's name, one per feed (or `Author n` with `numbered`:
    by the rule that `adalovelace` and `adalovelacephd` are one person, `author1` is
    then `author17` and `author170` too, and every feed has one author)."""
    if numbered:
        return f"Author {n}"
    return NAMES[n % len(NAMES)] + (f" {n}" if n >= len(NAMES) else "")


def item(
    n: int, slug: str, title: str, day: str, author: str, text: str, category: str | None = None
) -> str:
    """One `<item>` of feed `n`: post `slug`, published at 10:00 on `day` 2026."""
    return (
        f"<item><title>{title}</title>"
        f"<link>https://blog{n}.example.org/posts/{slug}</link>"
        f"<guid>https://blog{n}.example.org/posts/{slug}</guid>"
        f"<pubDate>Mon, {day} 2026 10:00:00 GMT</pubDate>"
        f"<author>author{n}@example.org ({author})</author>"
        + (f"<category>{category}</category>" if category is not None else "")
        + f"<description>&lt;p&gt;{text}&lt;/p&gt;</description></item>"
    )


def feed_body(
    n: int,
    entries: int,
    rng: random.Random,
    words_from: list[str] = WORDS,
    author: str | None = None,
) -> bytes:
    """An RSS 2.0 feed of about 40 KB with `entries` items."""
    author = author or author_of(n)
    items = []
    for i in range(entries):
        words = " ".join(rng.choice(words_from) for _ in range(rng.randint(100, 160)))
        title = f"Feed {n} post {i}: {' '.join(rng.sample(WORDS, 5))}"
        day = f"{1 + (i % 28):02d} Nov"
        items.append(item(n, str(i), title, day, author, words, category=rng.choice(WORDS)))
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Blog {n}</title><link>https://blog{n}.example.org/</link>"
        f"<description>Generated feed {n}</description>{''.join(items)}</channel></rss>"
    ).encode()


@dataclass
class Knobs:
    latency: float = 0.05
    etag: bool = False
    fresh: bool = False
    """Serve each feed with one new entry on top (`fresh_body`)."""


def fresh_body(n: int, body: bytes, author: str) -> bytes:
    """Feed `n` with one new item before the others, as a feed looks when its author has
    posted once since the last poll."""
    text = f"Something new to read since the last poll, with a few words about feed {n}."
    new = item(n, "new", f"Feed {n} news: a new post", "30 Nov", author, text)
    return body.replace(b"</description><item>", f"</description>{new}<item>".encode(), 1)


def make_handler(
    bodies: dict[str, bytes], knobs: Knobs, fresh: dict[str, bytes] | None = None
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            time.sleep(knobs.latency)
            body = (fresh if knobs.fresh and fresh else bodies).get(self.path)
            if body is None:
                self.send_error(404)
                return
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = "Mon, 23 Nov 2026 10:00:00 GMT"
            if knobs.etag and (
                self.headers.get("If-None-Match") == tag
                or self.headers.get("If-Modified-Since") == modified
            ):
                self.send_response(304)
                self.send_header("ETag", tag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            if knobs.etag:
                self.send_header("ETag", tag)
                self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def servers(
    hosts: int, bodies: dict[str, bytes], knobs: Knobs, fresh: dict[str, bytes] | None = None
) -> Iterator[list[str]]:
    """One threaded server per loopback address; yields their base URLs. `fresh`: the
    bodies served while `knobs.fresh` is on."""
    handler = make_handler(bodies, knobs, fresh)
    running = []
    for h in range(hosts):
        httpd = ThreadingHTTPServer((f"127.0.0.{h + 2}", 0), handler)
        httpd.daemon_threads = True
        httpd.request_queue_size = 256
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        running.append(httpd)
    try:
        yield [f"http://127.0.0.{h + 2}:{s.server_address[1]}" for h, s in enumerate(running)]
    finally:
        for httpd in running:
            httpd.shutdown()
            httpd.server_close()


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    rc: int


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux), so that the CPU
    of a reader's grandchildren (devfeed's parse workers) ends up in its RUSAGE_CHILDREN
    too. False where that cannot be done: CPU then counts the reader's process alone."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_child_subreaper = 36
    return ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1) == 0


def measure(argv: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run a command; wall time, the CPU time of it and all its descendants (when this
    process is their subreaper: `become_subreaper`) and its own peak RSS (from wait4)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    # the descendants left behind (orphans, reparented to us), when they end; one that
    # outlives the reader by a minute is left running, and its CPU is not counted
    deadline = time.monotonic() + 60
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if time.monotonic() > deadline:
                sys.stderr.write(f"{argv[0]}: a process it started still runs; not counted\n")
                break
            time.sleep(0.01)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if rc not in (0, 1):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return Sample(wall, cpu, usage.ru_maxrss / 1024, rc)


class Devfeed:
    name = "devfeed"

    def __init__(self, work: Path, urls: list[str], concurrency: int) -> None:
        self.work = work
        self.config = work / "feeds.toml"
        follows = "".join(f'[[follow]]\nplatform = "rss"\nurl = "{u}"\n\n' for u in urls)
        self.config.write_text(
            f'[settings]\nmax_concurrency = {concurrency}\ntimeout = "60s"\n\n{follows}'
        )

    def run(self, state: Path) -> Sample:
        argv = [sys.executable, "-m", "devfeed", "--config", str(self.config)]
        argv += ["--db", str(state / "devfeed.db"), "poll", "--once"]
        env = {**os.environ, "HOME": str(self.work)}
        return measure(argv, self.work, env)


class Newsboat:
    name = "newsboat"

    def __init__(self, work: Path, urls: list[str], concurrency: int) -> None:
        self.work = work
        self.urls = work / "urls"
        self.urls.write_text("".join(f"{u}\n" for u in urls))
        self.conf = work / "newsboat.conf"
        self.conf.write_text(f"reload-threads {concurrency}\nshow-read-feeds yes\n")

    def run(self, state: Path) -> Sample:
        argv = ["newsboat", "-u", str(self.urls), "-C", str(self.conf)]
        argv += ["-c", str(state / "cache.db"), "-x", "reload"]
        env = {**os.environ, "HOME": str(self.work)}
        return measure(argv, self.work, env)


def byte_compile_devfeed() -> None:
    """Write devfeed's `.pyc` files, as `pip install` does: with PYTHONDONTWRITEBYTECODE
    set (as on the CI machines) and a source checkout, every measured run would otherwise
    compile devfeed from source, in the poll and again in its parse pool's fork server."""
    spec = importlib.util.find_spec("devfeed")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            compileall.compile_dir(location, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument(
        "--words",
        type=int,
        default=len(WORDS),
        help=f"vocabulary of the entries' text (default {len(WORDS)}: every text alike)",
    )
    parser.add_argument(
        "--numbered-authors",
        action="store_true",
        help="every feed by 'Author N' (one person to the near-duplicate rule)",
    )
    args = parser.parse_args()

    byte_compile_devfeed()
    whole_cpu = become_subreaper()
    rng = random.Random(7)
    words = vocabulary(args.words)
    bodies = {
        f"/feed/{n}.xml": feed_body(
            n, rng.randint(20, 50), rng, words, author_of(n, args.numbered_authors)
        )
        for n in range(args.feeds)
    }
    size = sum(map(len, bodies.values()))
    fresh = {
        path: fresh_body(n, body, author_of(n, args.numbered_authors))
        for n, (path, body) in enumerate(bodies.items())
    }
    knobs = Knobs(latency=args.latency)
    readers: list[type[Devfeed] | type[Newsboat]] = [Devfeed]
    if shutil.which("newsboat") and not args.no_newsboat:
        readers.append(Newsboat)
    cycles = ("first", "same-body", "one-new", "all-304")
    results: dict[tuple[str, str], list[Sample]] = {}
    print(
        f"{args.feeds} feeds ({size / 2**20:.1f} MiB) on {args.hosts} loopback hosts, "
        f"{args.latency * 1000:.0f} ms latency, {args.concurrency} concurrent, "
        f"{args.runs} run(s), {os.cpu_count()} cores, {len(words)}-word vocabulary; CPU of "
        + ("every process a reader starts" if whole_cpu else "the reader's own process"),
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="devfeed-bench-") as tmp,
        servers(args.hosts, bodies, knobs, fresh) as bases,
    ):
        paths = sorted(bodies)
        urls = [f"{bases[i % len(bases)]}{p}" for i, p in enumerate(paths)]
        for run in range(args.runs):
            for reader_type in readers:
                work = Path(tmp) / f"{reader_type.name}-{run}"
                work.mkdir()
                reader = reader_type(work, urls, args.concurrency)
                state = work / "state"
                state.mkdir()
                # first and same-body: no validators
                knobs.etag = False
                results.setdefault((reader.name, "first"), []).append(reader.run(state))
                results.setdefault((reader.name, "same-body"), []).append(reader.run(state))
                knobs.fresh = True
                results.setdefault((reader.name, "one-new"), []).append(reader.run(state))
                knobs.fresh = False
                # all-304: a fresh state primed with ETags, then the measured poll
                primed = work / "primed"
                primed.mkdir()
                knobs.etag = True
                reader.run(primed)
                results.setdefault((reader.name, "all-304"), []).append(reader.run(primed))
                knobs.etag = False
                done = results[(reader.name, "all-304")][-1]
                print(f"  run {run + 1} {reader.name}: done (last rc {done.rc})", flush=True)

    def med(name: str, cycle: str, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in results[(name, cycle)])

    header = f"| cycle | {' | '.join(f'{r.name} wall s' for r in readers)} |"
    header += " devfeed CPU s | devfeed peak RSS MB |"
    if len(readers) > 1:
        header += " newsboat CPU s | newsboat peak RSS MB | wall ratio devfeed/newsboat |"
    print()
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for cycle in cycles:
        row = [cycle] + [f"{med(r.name, cycle, 'wall'):.2f}" for r in readers]
        row += [f"{med('devfeed', cycle, 'cpu'):.2f}", f"{med('devfeed', cycle, 'rss_mb'):.0f}"]
        if len(readers) > 1:
            row += [
                f"{med('newsboat', cycle, 'cpu'):.2f}",
                f"{med('newsboat', cycle, 'rss_mb'):.0f}",
                f"{med('devfeed', cycle, 'wall') / med('newsboat', cycle, 'wall'):.2f}",
            ]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

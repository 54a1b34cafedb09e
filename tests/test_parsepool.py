"""Feeds parsed in worker processes (`devfeed.parsepool`): the same results as in the
thread, errors that reach the poller as they did, a parse over its budget stopped by
killing its worker, and no process left behind by a poll however it ends."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devfeed import poller as poller_module
from devfeed.config import parse_config
from devfeed.dedup import prepare
from devfeed.errors import ParseError
from devfeed.models import ParsedEntry, ParseResult
from devfeed.parsepool import MIN_SOURCES, WORKER_NICENESS, ParsePool, default_workers
from devfeed.platforms.feeds import FeedJob, feed_parser
from devfeed.poller import Poller, SourceReport, parse_workers_for
from devfeed.store import Store
from tests.conftest import DATA, FROZEN_NOW
from tests.loopback import Route, serve
from tests.test_daemon import rss, wait_until
from tests.test_platform_golden import CASES, EXCHANGES, parsed, run_case

PODCAST = (DATA / "rss" / "podcast.xml").read_bytes()
ATOM = (DATA / "rss" / "atom.xml").read_bytes()


def job(refine: Callable[[Any, ParsedEntry], ParsedEntry | None] | None = None) -> FeedJob:
    return FeedJob("rss", PODCAST, "https://pod.example/feed", "application/rss+xml", None, refine)


@dataclass(frozen=True)
class Hang:
    """A hostile refine rule: writes its process id to a file, then never returns."""

    pid_file: str

    def __call__(self, raw: Any, entry: ParsedEntry) -> ParsedEntry | None:
        Path(self.pid_file).write_text(str(os.getpid()))
        while True:
            time.sleep(0.01)


@dataclass(frozen=True)
class RecordPid:
    """A refine rule that writes its process id to a file and keeps the entry."""

    pid_file: str

    def __call__(self, raw: Any, entry: ParsedEntry) -> ParsedEntry | None:
        Path(self.pid_file).write_text(str(os.getpid()))
        return entry


@dataclass(frozen=True)
class RecordNumpy:
    """A refine rule that writes whether numpy is loaded in its process."""

    flag_file: str

    def __call__(self, raw: Any, entry: ParsedEntry) -> ParsedEntry | None:
        Path(self.flag_file).write_text(str("numpy" in sys.modules))
        return entry


@dataclass(frozen=True)
class RecordNiceness:
    """A refine rule that writes its process's niceness."""

    file: str

    def __call__(self, raw: Any, entry: ParsedEntry) -> ParsedEntry | None:
        Path(self.file).write_text(str(os.nice(0)))
        return entry


@dataclass(frozen=True)
class Crash:
    """A refine rule that kills its process, as a crashing parser would."""

    code: int

    def __call__(self, raw: Any, entry: ParsedEntry) -> ParsedEntry | None:
        os._exit(self.code)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def descendants(pid: int) -> set[int]:
    """Every living process below `pid` (children, their children ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(parent_of(int(entry.name)), []).append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found and alive(child):
                found.add(child)
                todo.append(child)
    return found


def test_every_golden_feed_and_exchange_parses_the_same_in_the_pool() -> None:
    local = {path: parsed(path) for path in CASES} | {path: run_case(path) for path in EXCHANGES}
    platforms: set[str] = set()
    with ParsePool(2, budget_s=30) as pool:

        def recording(job: FeedJob) -> ParseResult:
            platforms.add(job.platform)
            result = pool.parse(job)
            # the worker also prepared each entry for dedup, as ingest would have
            assert [p.keys for p in result.prepared] == [prepare(e).keys for e in result.entries]
            assert all(
                p.prepared_for(e) for p, e in zip(result.prepared, result.entries, strict=True)
            )
            return result

        token = feed_parser.set(recording)
        try:
            pooled = {path: parsed(path) for path in CASES}
            pooled |= {path: run_case(path) for path in EXCHANGES}
        finally:
            feed_parser.reset(token)
    differ = [f"{p.parent.name}/{p.name}" for p in local if pooled[p] != local[p]]
    assert not differ, f"parsed differently in the pool: {differ}"
    feed_platforms = {"rss", "github", "reddit", "stackoverflow", "youtube", "mastodon"}
    assert platforms >= feed_platforms | {"lobsters", "devto", "instagram"}
    assert any("error" in result for result in pooled.values()), "errors cross too"


def test_a_parse_over_its_budget_is_stopped_and_the_pool_goes_on(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with ParsePool(1, budget_s=0.5) as pool:
        started = time.monotonic()
        with pytest.raises(ParseError, match=r"longer than 0\.5 s \(its process was stopped\)"):
            pool.parse(job(Hang(str(pid_file))))
        assert time.monotonic() - started < 5
        stuck = int(pid_file.read_text())
        wait_until(lambda: not alive(stuck), "the stuck worker to be killed", timeout=5)
        assert len(pool.parse(job()).entries) == 3, "a new worker took its place"


def test_a_crashed_worker_fails_only_its_own_job() -> None:
    with ParsePool(1, budget_s=30) as pool:
        with pytest.raises(ParseError, match=r"the parser's process died \(exit code 3\)"):
            pool.parse(job(Crash(3)))
        assert len(pool.parse(job()).entries) == 3


def hanging_parse(pool: ParsePool, pid_file: Path) -> tuple[threading.Thread, list[Exception], int]:
    """Start a parse that never ends in a thread: the thread, the errors it will have
    raised, and the pid of the worker running it."""
    errors: list[Exception] = []

    def parse() -> None:
        try:
            pool.parse(job(Hang(str(pid_file))))
        except ParseError as error:
            errors.append(error)

    waiting = threading.Thread(target=parse)
    waiting.start()
    wait_until(pid_file.exists, "the worker to start the hostile parse")
    time.sleep(0.05)
    return waiting, errors, int(pid_file.read_text())


def test_a_worker_stuck_in_a_parse_dies_with_its_fork_server(tmp_path: Path) -> None:
    """The fork server exits with the main process, however that dies (SIGKILL too); a
    worker must not outlive it even in the middle of a parse that never ends."""
    with ParsePool(1, budget_s=60) as pool:
        waiting, errors, worker = hanging_parse(pool, tmp_path / "pid")
        os.kill(parent_of(worker), signal.SIGKILL)  # the fork server
        wait_until(lambda: not alive(worker), "the worker to die with its parent", timeout=5)
        waiting.join(timeout=10)
    assert not waiting.is_alive()
    # with its fork server gone, how the worker ended is unknown (multiprocessing says 255)
    assert [str(e).split(" (")[0] for e in errors] == ["the parser's process died"]


def test_closing_the_pool_fails_the_jobs_still_waiting(tmp_path: Path) -> None:
    pool = ParsePool(1, budget_s=60)
    waiting, errors, worker = hanging_parse(pool, tmp_path / "pid")
    pool.close()
    waiting.join(timeout=10)
    assert not waiting.is_alive(), "a thread waiting on a closed pool must not hang"
    assert [str(e) for e in errors] == ["parsing was abandoned: the poll is over"]
    wait_until(lambda: not alive(worker), "the worker to be stopped", timeout=5)
    with pytest.raises(ParseError, match="abandoned"):
        pool.parse(job())


def test_a_pool_that_broke_parses_in_the_thread_instead(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle worker killed from outside (the OOM killer) breaks a pebble pool; the
    poll goes on in threads."""
    monkeypatch.setattr(logging.getLogger("devfeed"), "propagate", True)  # the CLI's tests
    pid_file = tmp_path / "pid"
    with ParsePool(1, budget_s=30) as pool:
        assert len(pool.parse(job(RecordPid(str(pid_file)))).entries) == 3
        worker = int(pid_file.read_text())
        pid_file.unlink()
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: not alive(worker), "the worker to die")
        time.sleep(0.3)  # the pool notices within 0.1 s
        assert len(pool.parse(job(RecordPid(str(pid_file)))).entries) == 3
        assert int(pid_file.read_text()) == os.getpid(), "parsed in this process"
    assert "parsing in threads instead" in caplog.text


def test_start_brings_the_workers_up_before_the_first_job(tmp_path: Path) -> None:
    """The poller starts the pool when the poll starts, so that the fork server's imports
    overlap the poll's own start-up instead of delaying the first parse."""
    with ParsePool(2, budget_s=30) as pool:
        before = descendants(os.getpid())
        ready = pool.start()
        assert ready.result(timeout=60) is None
        workers = descendants(os.getpid()) - before
        # the two workers (and the fork server, when no test before started it)
        assert len(workers) >= 2
        assert len(pool.parse(job(RecordPid(str(tmp_path / "pid")))).entries) == 3
        assert int((tmp_path / "pid").read_text()) in workers, "no worker started for it"


def test_closing_a_pool_still_starting_fails_its_start() -> None:
    """Whatever the moment `close` comes, the future `start` gave ends: done or failed."""
    for delay in (0.0, 0.02, 0.2):
        pool = ParsePool(1, budget_s=30)
        ready = pool.start()
        time.sleep(delay)
        pool.close()
        try:
            assert ready.result(timeout=10) is None  # a worker answered before the close
        except ParseError as error:
            assert str(error) == "parsing was abandoned: the poll is over"


def test_workers_start_with_numpy_loaded(tmp_path: Path) -> None:
    """The fork server imports numpy once for every worker: otherwise each worker's first
    feed would wait for the import (`prepare_all`)."""
    flag = tmp_path / "numpy"
    with ParsePool(1, budget_s=30) as pool:
        assert len(pool.parse(job(RecordNumpy(str(flag)))).entries) == 3
    assert flag.read_text() == "True"


def test_workers_run_at_a_lower_priority_than_the_poll(tmp_path: Path) -> None:
    """The store's writer, in the poll's own process, is what a poll waits on last."""
    niceness = tmp_path / "nice"
    with ParsePool(1, budget_s=30) as pool:
        assert len(pool.parse(job(RecordNiceness(str(niceness)))).entries) == 3
    assert int(niceness.read_text()) == min(os.nice(0) + WORKER_NICENESS, 19)


def test_starting_a_closed_pool_starts_nothing() -> None:
    pool = ParsePool(1, budget_s=30)
    pool.close()
    before = descendants(os.getpid())
    with pytest.raises(ParseError, match="abandoned"):
        pool.start().result(timeout=10)
    assert descendants(os.getpid()) - before == set()


def test_parse_workers_default_to_one_per_core() -> None:
    assert parse_workers_for(parse_config("")) == default_workers() >= 1
    assert parse_workers_for(parse_config("[settings]\nparse_workers = 0\n")) == 0
    assert parse_workers_for(parse_config("[settings]\nparse_workers = 3\n")) == 3


# --- through the poller ------------------------------------------------------------------


async def poll_all(
    path: Path, routes: dict[str, bytes], parse_workers: int
) -> tuple[list[SourceReport], list[tuple[Any, ...]]]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=routes[str(request.url)])

    follows = "".join(f'[[follow]]\nplatform = "rss"\nurl = "{url}"\n' for url in routes)
    config = parse_config(follows)
    async with await Store.open(path) as store:
        poller = Poller(
            config,
            store,
            transport=httpx.MockTransport(answer),
            now=lambda: FROZEN_NOW,
            parse_workers=parse_workers,
        )
        reports = await poller.poll()
    with sqlite3.connect(path) as db:
        entries = sorted(db.execute("SELECT platform, native_id, title, url, text FROM entries"))
    db.close()
    return sorted(reports, key=lambda r: r.follow.key), entries


async def test_a_large_poll_parses_in_the_pool_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = {
        "https://pod.example/feed": PODCAST,
        "https://atom.example/feed": ATOM,
        "https://html.example/feed": b"<!DOCTYPE html><html><body>hi</body></html>",
        "https://bomb.example/feed": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aa">]><r/>',
    }
    jobs: list[str] = []
    real = ParsePool.parse

    def counting(self: ParsePool, job: FeedJob) -> ParseResult:
        jobs.append(job.url)
        return real(self, job)

    monkeypatch.setattr(ParsePool, "parse", counting)
    threads = await poll_all(tmp_path / "threads.db", routes, parse_workers=0)
    assert jobs == [], "parse_workers = 0 parses in threads"
    small = await poll_all(tmp_path / "small.db", routes, parse_workers=2)
    assert jobs == [], f"a poll of fewer than {MIN_SOURCES} follows parses in threads"
    monkeypatch.setattr(poller_module, "MIN_SOURCES", len(routes))
    pooled = await poll_all(tmp_path / "pooled.db", routes, parse_workers=2)
    assert sorted(jobs) == sorted(routes)
    assert pooled == threads == small
    reports, entries = pooled
    assert [(r.follow.url, r.label, r.error) for r in reports] == [
        ("https://atom.example/feed", "new", None),
        (
            "https://bomb.example/feed",
            "failed",
            "the feed declares XML entities (<!ENTITY>); refused",
        ),
        ("https://html.example/feed", "failed", "the server sent an HTML page, not a feed"),
        ("https://pod.example/feed", "new", None),
    ]
    assert len(entries) == sum(r.new_entries for r in reports) > 0


async def test_workers_prepare_only_the_entries_of_follows_never_fetched_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preparing for dedup costs twice the parse: a feed fetched before is mostly known
    entries, so its worker only parses, and the store prepares the new ones. What is
    stored is the same either way."""
    routes = {f"https://f{n}.example/feed": rss(f"f{n}", range(3)) for n in range(3)}
    prepared: dict[str, bool] = {}
    real = ParsePool.parse

    def recording(self: ParsePool, job: FeedJob) -> ParseResult:
        result = real(self, job)
        prepared[job.url] = len(result.prepared) == len(result.entries) > 0
        return result

    monkeypatch.setattr(ParsePool, "parse", recording)
    monkeypatch.setattr(poller_module, "MIN_SOURCES", 1)
    first = await poll_all(tmp_path / "pooled.db", routes, parse_workers=1)
    assert prepared == dict.fromkeys(routes, True)
    grown = {url: rss(f"f{n}", range(5)) for n, url in enumerate(routes)}
    prepared.clear()
    second = await poll_all(tmp_path / "pooled.db", grown, parse_workers=1)
    assert prepared == dict.fromkeys(routes, False)
    await poll_all(tmp_path / "threads.db", routes, parse_workers=0)
    alone = await poll_all(tmp_path / "threads.db", grown, parse_workers=0)
    assert [r.new_entries for r in first[0]] == [3, 3, 3]
    assert [r.new_entries for r in second[0]] == [2, 2, 2]
    assert second == alone


# --- as users run it: no process left behind ---------------------------------------------


@pytest.mark.parametrize(
    ("mode", "signum"),
    [("--daemon", signal.SIGTERM), ("--once", signal.SIGKILL)],
    ids=["daemon-sigterm", "once-sigkill"],
)
def test_a_poll_stopped_mid_cycle_leaves_no_parser_process(
    tmp_path: Path, mode: str, signum: int
) -> None:
    fast = [f"f{n}" for n in range(MIN_SOURCES)]
    routes = {f"/{n}.xml": Route(rss(n, range(3))) for n in fast}
    routes["/slow.xml"] = Route(rss("slow", range(3)), delay=30)
    with serve(routes) as server:
        config = tmp_path / "feeds.toml"
        config.write_text(
            '[settings]\ntimeout = "60s"\nparse_workers = 2\n'
            + "".join(
                f'[[follow]]\nplatform = "rss"\nurl = "{server.base_url}{path}"\n'
                for path in routes
            )
        )
        argv = [sys.executable, "-m", "devfeed", "--config", str(config)]
        argv += ["--db", str(tmp_path / "d.db"), "poll", mode]
        process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path
        )
        try:
            # the fork server and both workers run, and the slow feed is in flight
            pool = wait_until(
                lambda: len(found := descendants(process.pid)) >= 3 and found,
                "the parse pool to start",
            )
            wait_until(lambda: server.requests_to("/slow.xml"), "the slow request")
            process.send_signal(signum)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            assert process.stderr is not None
            stderr = process.stderr.read().decode()
            process.stderr.close()
    assert code == (0 if signum == signal.SIGTERM else -signal.SIGKILL), stderr
    wait_until(lambda: not any(alive(pid) for pid in pool), "every parser process to exit", 10)

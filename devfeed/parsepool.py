"""Feed parsing in worker processes, so that a large poll uses every core.

Parsing a feed (feedparser or feedparser-rs, HTML to text, sanitizing, building the
entries) is pure CPU. In a thread it shares one GIL with the poller's event loop (HTTP) and
the store's thread (ingest), so a 1,000-feed poll ran on one core. A `ParsePool` runs the
jobs of `feeds.parse_feed` in worker processes instead: inside `parsing_in(pool)`, the
thread that resumes a platform's exchange hands the job to a worker and waits for it
(without the GIL). The platforms stay sans-I/O and unchanged; what they parse without
`parse_feed` (the JSON APIs: small documents, cheap) stays in the thread.

- Start method: a fork server. The poller's process has threads (aiosqlite, to_thread),
  and a plain fork could copy a lock one of them holds. The fork server is a clean
  process that imports devfeed once (~0.3 s); each worker is a fork of it (milliseconds).
  It lives until the main process exits; workers are killed when it dies.
- Size: one worker per core the process may run on (`default_workers`, 2 here). The main
  process keeps its own work (HTTP, ingest) and goes first: workers run niced
  (`WORKER_NICENESS`).
- Started when the poll starts (`start`), in a thread of its own: the fork server's
  imports run on a core the poll's start-up leaves idle, and the workers are there when
  the first feed arrives (started by the first job, they made it wait ~0.4 s). Closed at
  the end of the poll.
- A job that runs longer than its budget is stopped by killing its worker (a thread could
  not be stopped); a worker that dies fails only its own job. Both become a `ParseError`
  of that source, and a new worker takes the place of the old one. A pool that breaks
  (an idle worker killed from outside) parses the rest of the poll in threads.
- Like every `multiprocessing` start method but fork, a worker imports the main script
  again: `python -m devfeed` and the `devfeed` script are safe, and a script of yours that
  polls through `devfeed.api` needs `if __name__ == "__main__":`.

`ParsePool.parse` blocks its thread: call it from a worker thread, never on the event loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, InvalidStateError
from contextvars import ContextVar
from typing import Any

from devfeed.dedup import prepare_all
from devfeed.errors import ParseError
from devfeed.models import ParseResult
from devfeed.platforms.feeds import FeedJob, feed_parser, parse_feed_job

MIN_SOURCES = 100
"""Polls of fewer follows parse in threads: starting the pool would cost more than it saves
(see BENCHMARKS.md)."""

WORKER_NICENESS = 10
"""How much lower a parse worker's priority is than the poll's process (`os.nice`). What
a poll waits on at its end is the store's writer in the poll's process: at equal priority
the two workers took the cores from it, results piled up unwritten and the poll ended
with seconds of writing alone (five alternating first polls of the harness's feeds:
median 14.97 -> 13.44 s). The workers also yield to the rest of the user's programs
that share their scheduling group (without autogroups or cgroups: every program)."""

PREPARE_IN_WORKER: ContextVar[bool] = ContextVar("devfeed_prepare_in_worker", default=True)
"""Whether a worker also prepares the entries it parsed for dedup (`parse_in_worker`). The
poller turns it off for a follow that was fetched before: its feed is mostly entries the
store already has, and preparing them (~80 µs an entry, most of a parse's cost again)
would be thrown away; the store prepares the few new ones itself."""

log = logging.getLogger(__name__)
_ABANDONED = "parsing was abandoned: the poll is over"


def parse_in_worker(job: FeedJob) -> ParseResult:
    """What a worker process does with a job: the one place where it produces a result.
    It also computes what dedup needs of each entry (`devfeed.dedup.prepare_all`: URL
    keys, text fingerprint), which would otherwise take the store's thread."""
    parsed = parse_feed_job(job)
    return parsed.model_copy(update={"prepared": prepare_all(parsed.entries)})


def _ready() -> None:
    """The job that starts a pool's workers (`ParsePool.start`): nothing to do."""


def default_workers() -> int:
    """One worker per core this process may run on (its CPU affinity, else the count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _start_worker() -> None:
    """What a worker does first: die with its parent, and step back for the poll's own
    process (`WORKER_NICENESS`)."""
    _die_with_parent()
    with contextlib.suppress(OSError, AttributeError):  # no `os.nice` on Windows
        os.nice(WORKER_NICENESS)


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent (the fork server, which exits with
    the main process) dies, so no worker outlives devfeed, even one stuck in a parse."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the request: nobody would kill us
        os._exit(1)


class ParsePool:
    """Worker processes that parse `FeedJob`s, each within `budget_s` seconds."""

    def __init__(self, workers: int, *, budget_s: float) -> None:
        if workers < 1:
            raise ValueError("a parse pool needs at least one worker")
        self.workers = workers
        self.budget_s = budget_s
        """Seconds one job may run in its worker before the worker is killed."""
        # imported here: a reader that never polls 100 follows should not pay for them
        # (pebble and multiprocessing cost the reader's first paint ~30 ms)
        import multiprocessing
        from concurrent.futures.process import BrokenProcessPool

        import pebble

        self._expired: type[Exception] = pebble.ProcessExpired
        self._broken_errors: tuple[type[BaseException], ...] = (
            CancelledError,
            BrokenProcessPool,
        )
        context = multiprocessing.get_context("forkserver")
        # the fork server imports devfeed once, so that each worker starts in milliseconds;
        # and numpy, which the workers' first `prepare_all` would import each (~0.13 s)
        context.set_forkserver_preload([__name__, "numpy"])
        self._pool = pebble.ProcessPool(
            max_workers=workers, initializer=_start_worker, context=context
        )
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._broken = False

    def start(self) -> Future[None]:
        """Start the fork server and the workers now, in a thread of their own, so that
        they are ready when the first job comes (`parse` would start them too, and wait
        for them). Returns at once, with a future that is done when a worker has answered,
        or fails with the error that stopped the pool (`parse` then finds that out itself)
        or with a `ParseError` when the pool is closed first."""
        ready: Future[None] = Future()
        threading.Thread(
            target=self._start, args=(ready,), name="devfeed-parse-pool-start", daemon=True
        ).start()
        return ready

    def _start(self, ready: Future[None]) -> None:
        with self._lock:
            try:
                if self._closed or self._broken:
                    raise ParseError(_ABANDONED if self._closed else "the parse pool failed")
                answered: Future[Any] = self._pool.schedule(_ready)
            except Exception as error:
                ready.set_exception(error)
                return
            self._pending.add(answered)  # `close` fails it if no worker answered by then
        answered.add_done_callback(lambda done: self._answered(done, ready))

    def _answered(self, done: Future[Any], ready: Future[None]) -> None:
        with self._lock:
            self._pending.discard(done)
        error = None if done.cancelled() else done.exception()
        if done.cancelled() or isinstance(error, CancelledError):
            error = ParseError(_ABANDONED)
        with contextlib.suppress(InvalidStateError):
            if error is None:
                ready.set_result(None)
            else:
                ready.set_exception(error)

    def parse(self, job: FeedJob) -> ParseResult:
        """Parse a job in a worker and wait for it (blocks this thread; the first job
        starts the workers). Raises `ParseError` as the parse would, and when the job
        outlives its budget, its worker dies or the pool is closed. A pool that cannot
        run (its workers cannot start) parses in this thread instead, with a warning."""
        with self._lock:
            if self._closed:
                raise ParseError(_ABANDONED)
            future = None if self._broken else self._schedule(job)
            if future is not None:
                self._pending.add(future)
        if future is None:
            return parse_feed_job(job)
        try:
            return future.result()
        except TimeoutError:
            raise ParseError(
                f"parsing took longer than {self.budget_s:g} s (its process was stopped)"
            ) from None
        except self._expired as error:
            code = getattr(error, "exitcode", None)
            raise ParseError(f"the parser's process died (exit code {code})") from None
        except self._broken_errors as error:
            if self._closed:  # closing may break the pool under the jobs it drops
                raise ParseError(_ABANDONED) from None
            self._give_up(error)
            return parse_feed_job(job)
        finally:
            with self._lock:
                self._pending.discard(future)

    def _schedule(self, job: FeedJob) -> Future[ParseResult] | None:
        try:
            work = parse_in_worker if PREPARE_IN_WORKER.get() else parse_feed_job
            return self._pool.schedule(work, args=(job,), timeout=self.budget_s)
        except RuntimeError as error:  # the pool broke before
            self._give_up(error)
            return None

    def _give_up(self, error: BaseException) -> None:
        if not self._broken:
            self._broken = True
            log.warning("the parse pool failed (%s); parsing in threads instead", error)

    def close(self) -> None:
        """Stop the workers (killing any still parsing) and fail the jobs they had.
        Blocks for up to a few tenths of a second; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._pending)
        self._pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
        self._pool.join()
        for future in pending:  # the pool leaves the jobs it dropped waiting forever
            with contextlib.suppress(InvalidStateError):
                future.set_exception(CancelledError())

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextlib.contextmanager
def parsing_in(pool: ParsePool | None) -> Iterator[None]:
    """Within this block (and the threads `asyncio.to_thread` starts from it), feeds are
    parsed in `pool`; with None, in the calling thread as always."""
    if pool is None:
        yield
        return
    token = feed_parser.set(pool.parse)
    try:
        yield
    finally:
        feed_parser.reset(token)

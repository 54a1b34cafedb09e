"""Checkpoints of the poller's write-ahead log, on a connection and a thread of their own.

In WAL mode every commit appends pages to the `-wal` file; a checkpoint copies them back
into the database file and syncs it. SQLite runs one inside the `COMMIT` that crosses
`wal_autocheckpoint` pages, on the writing connection: the poller's writer then copies
and waits for the disk while parsed entries wait for it (writing the harness's 35,141
entries, half of the time spent in `COMMIT`). A `Checkpointer` runs `PRAGMA
wal_checkpoint(PASSIVE)` after commits instead, on its own thread: a passive checkpoint
blocks no writer and no reader, and the writer goes on with its next transaction.

A passive checkpoint does not restart the log: the writer does, at the start of its next
transaction, once every frame has been copied and no reader still needs them. While
transactions follow each other faster than the checkpoints, the log grows, and the
writer's own `wal_autocheckpoint` (set high on the poller's connection) is the bound.

This module writes nothing and reads nothing: it only asks SQLite to checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devfeed.store.connection import connect_for_checkpoints

CHECKPOINT_EVERY_S = 1.0
"""At most one checkpoint started per this many seconds of writing: a page written by
several commits in a row is copied once. A commit in between is checkpointed when the
interval ends."""

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints the WAL of the database at `path` after commits, in the background."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self._path = path
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devfeed-wal")
        self._conn: sqlite3.Connection | None = None
        self._running: asyncio.Future[bool] | None = None
        self._later: asyncio.TimerHandle | None = None
        self._started = -CHECKPOINT_EVERY_S
        self._dirty = False
        """Commits were made since the last checkpoint started."""
        self._closed = False
        self.copied = 0
        """Checkpoints that copied the whole log back into the database."""

    def committed(self) -> None:
        """Hear that a transaction was committed: checkpoint now, or once the checkpoint
        under way has ended and `CHECKPOINT_EVERY_S` have passed since it started."""
        if not self._closed:
            self._dirty = True
            self._kick(asyncio.get_running_loop())

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start or plan a checkpoint for the commits not yet covered, unless one runs
        (its end kicks again) or is planned."""
        running = self._running is not None and not self._running.done()
        if self._closed or not self._dirty or running or self._later is not None:
            return
        wait = self._started + CHECKPOINT_EVERY_S - self._clock()
        if wait > 0:
            self._later = loop.call_later(wait, self._run, loop)
        else:
            self._run(loop)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        self._later = None
        if self._closed:
            return
        self._dirty = False
        self._started = self._clock()
        self._running = loop.run_in_executor(self._executor, self._checkpoint)
        self._running.add_done_callback(self._heard)
        self._running.add_done_callback(lambda _: self._kick(loop))

    def _heard(self, done: asyncio.Future[bool]) -> None:
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:  # a bug: the writer's own checkpoints remain
            log.error("background checkpoint of %s failed", self._path, exc_info=error)
        elif done.result():
            self.copied += 1

    def _checkpoint(self) -> bool:
        """One passive checkpoint; whether it copied the whole log."""
        try:
            if self._conn is None:
                self._conn = self._connect()
            busy, frames, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.ProgrammingError:
            raise  # misuse, not the database's state: a bug to see
        except sqlite3.Error as error:  # busy, locked, I/O: the next commit tries again
            log.debug("background checkpoint of %s failed: %s", self._path, error)
            return False
        return not busy and copied == frames

    def _connect(self) -> sqlite3.Connection:
        return connect_for_checkpoints(self._path)

    async def wait(self) -> None:
        """Wait for the checkpoint under way, if any (not for one planned later)."""
        if self._running is not None:
            await asyncio.wait({self._running})

    async def close(self) -> None:
        """Cancel a planned checkpoint, wait for the one under way, then close the
        connection and the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._later is not None:
            self._later.cancel()
            self._later = None
        try:
            await self.wait()
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        finally:
            await asyncio.to_thread(self._executor.shutdown)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

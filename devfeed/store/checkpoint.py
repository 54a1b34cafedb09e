"""Checkpoints of the poller's write-ahead log, on a connection and a thread of their own.

In WAL mode every commit appends pages to the `-wal` file; a checkpoint copies them back
into the database file and syncs it. SQLite runs one inside the `COMMIT` that crosses
`wal_autocheckpoint` pages, on the writing connection: the poller's writer then copies
and waits for the disk while parsed entries wait for it (in a first poll of the harness's
1,000 feeds, half of the time in `COMMIT`). A `Checkpointer` runs `PRAGMA
wal_checkpoint(PASSIVE)` instead, after a commit, on its own thread: a passive checkpoint
never blocks a writer or a reader, and the writer goes on with the next transaction. The
writing connection keeps a high `wal_autocheckpoint` as a safety net, should the
checkpoints here fall behind.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHECKPOINT_EVERY_S = 1.0
"""At most one checkpoint started per this many seconds of writing: a page written by
several commits in a row is copied once."""

log = logging.getLogger(__name__)


class Checkpointer:
    """Checkpoints the WAL of the database at `path` after commits, in the background."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devfeed-wal")
        self._conn: sqlite3.Connection | None = None
        self._running: asyncio.Future[None] | None = None
        self._started = -CHECKPOINT_EVERY_S
        self.done = 0
        """Checkpoints run so far."""

    def committed(self) -> None:
        """Hear that a transaction was committed: start a checkpoint, unless one is under
        way or the last one started less than `CHECKPOINT_EVERY_S` ago."""
        if self._running is not None and not self._running.done():
            return
        now = time.monotonic()
        if now - self._started < CHECKPOINT_EVERY_S:
            return
        self._started = now
        self._running = asyncio.get_running_loop().run_in_executor(self._executor, self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.done += 1
        except sqlite3.Error as error:  # the writer's own checkpoints remain
            log.debug("background checkpoint of %s failed: %s", self._path, error)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, isolation_level=None)

    async def close(self) -> None:
        """Wait for the checkpoint under way, then close the connection and the thread."""
        loop = asyncio.get_running_loop()
        if self._running is not None:
            try:
                await asyncio.shield(self._running)
            except Exception:  # a bug here must not keep the store from closing
                log.exception("background checkpoint of %s failed", self._path)
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

"""SQLite through aiosqlite: the only code that writes SQL.

`Store` is the facade with intent-named methods; the modules beside it own one domain
each (`connection`, `schema`, `ingest`, `feed`, `queues`, `follows`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import aiosqlite

from devfeed.errors import UsageError
from devfeed.models import Cycle, FetchState, Follow, ParsedEntry, PollResult, Story
from devfeed.store import feed, follows, ingest, manual, queues
from devfeed.store.checkpoint import Checkpointer
from devfeed.store.connection import connect
from devfeed.store.feed import KIND_GROUPS, Cursor, EntryJoin, FeedQuery, Order, Page, View
from devfeed.store.ingest import ApplyOutcome, IngestPolicy
from devfeed.store.search import Search, parse_search

GROUP_ENTRIES = 2000
"""Poll results waiting to be written are written together, in one transaction, up to
about this many entries (a transaction of ~0.2-0.5 s: other writers wait no longer)."""

BACKLOG_ENTRIES = 2 * GROUP_ENTRIES
"""Entries handed to `apply` and not written yet beyond which `room` makes a poller hold
its next fetches: a first poll can fetch and parse faster than the store writes, and
every entry waiting holds its parsed text in memory (12,000 of 35,000 did, 20 MB more).
Fetches already under way still land on top, so this bounds the backlog near, not at,
this many."""

GROUP_WAIT_S = 0.5
"""In a large poll (`hold_writes`), how long a result may wait, from its arrival, for others
to fill its group before it is written. A writer that keeps up with the fetches otherwise writes
each result in a transaction of its own: 714 commits for the harness's 1,000 feeds, where
groups of 2,000 entries take a third less of the writer's CPU (each commit flushes the
full-text index's new segment and writes the indexes' pages again)."""

POLLER_CACHE_KIB = 32 * 1024
"""The poller's page cache (SQLite's default is 2 MiB): a group of results no longer
spills pages to the WAL before its commit, and the indexes' inner pages stay cached."""
POLLER_CHECKPOINT_PAGES = 16_000
"""WAL pages (64 MiB) beyond which the poller's own connection checkpoints in its commits
(SQLite's default is 1,000): a bound for when the background checkpoints (`Checkpointer`,
after groups of results) cannot restart the log, because the writer's transactions follow
each other too closely or a reader holds an old snapshot."""


class _Waiting(NamedTuple):
    """A result handed to `Store.apply` and not written yet."""

    result: PollResult
    future: asyncio.Future[ApplyOutcome]
    """What the caller of `apply` awaits."""
    arrived: float
    """When it was handed over (the event loop's clock)."""


class Store:
    """One connection to a devfeed database."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        policy: IngestPolicy | None = None,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self._db = db
        self._checkpointer = checkpointer
        """Checkpoints the WAL after each group of results, off the writer's thread."""
        self.path = path
        self.policy = policy or IngestPolicy()
        """How ingesting treats read stories (`[settings] resurrect_on_new_sighting`)."""
        # one connection, one transaction at a time: writers from several tasks take turns
        self._write_lock = asyncio.Lock()
        self._pending: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None
        self._backlog = 0
        """Entries of the results in `_pending` and in the group being written."""
        self._drained = asyncio.Event()
        """Set each time a group has been written (and when writing fails for good)."""
        self._hold_s = 0.0
        """How long a waiting result may wait for others to share its transaction."""
        self._arrived = asyncio.Event()
        """Set when a result is handed over, and when `hold_writes` changes."""

    @classmethod
    async def open(
        cls, path: Path, policy: IngestPolicy | None = None, *, poller: bool = False
    ) -> Store:
        """Open the database at `path`, creating and migrating it as needed. The poller's
        connection (`poller`) gets a larger page cache, and its WAL is checkpointed in the
        background (`Checkpointer`): its transactions write thousands of entries at a
        time into every index."""
        db = await connect(path)
        if not poller:
            return cls(db, path, policy)
        await db.execute(f"PRAGMA cache_size = -{POLLER_CACHE_KIB}")
        await db.execute(f"PRAGMA wal_autocheckpoint = {POLLER_CHECKPOINT_PAGES}")
        # a log that grew that far is cut back to it when it restarts
        await db.execute(f"PRAGMA journal_size_limit = {POLLER_CHECKPOINT_PAGES * 4096}")
        return cls(db, path, policy, Checkpointer(path))

    async def close(self) -> None:
        """Close the connection (after writing the poll results handed to `apply`, at once:
        a hold on writes ends here)."""
        self.hold_writes(0)
        if self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        if self._checkpointer is not None:
            await self._checkpointer.close()
        await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- ingest ---------------------------------------------------------------------------
    async def apply(self, result: PollResult) -> ApplyOutcome:
        """Write one poll result (idempotent). Results handed over while another write is
        under way are written together in the next transaction, in the order they came,
        each exactly as alone (group commit: one commit for many sources). Cancelling the
        caller does not stop the write."""
        future: asyncio.Future[ApplyOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append(_Waiting(result, future, asyncio.get_running_loop().time()))
        self._backlog += len(result.entries)
        self._arrived.set()
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def room(self) -> None:
        """Wait while more than `BACKLOG_ENTRIES` entries wait to be written (returns at
        once otherwise). A poller calls it before each fetch, so that what it parses
        faster than the store writes waits on the server, not in memory."""
        while self._backlog > BACKLOG_ENTRIES:
            self._drained.clear()
            await self._drained.wait()

    def hold_writes(self, wait_s: float) -> None:
        """While more poll results are on their way (a large poll), let each result handed
        to `apply` wait up to `wait_s` seconds from its arrival for others to fill a group
        of `GROUP_ENTRIES` with it; 0 writes what waits at once again. A poller calls it
        with `GROUP_WAIT_S` when a large poll starts and with 0 when its last fetch has
        ended (or sooner, see `poller.EARLY_WRITE_MEAN_ENTRIES`), so the poll never waits
        at its end."""
        self._hold_s = max(0.0, wait_s)
        self._arrived.set()

    async def _fill(self) -> None:
        """Wait, while writes are held, for a full group or until the oldest waiting
        result has waited `hold_writes`' seconds."""
        loop = asyncio.get_running_loop()
        while self._hold_s and self._pending and self._backlog < GROUP_ENTRIES:
            left = self._pending[0].arrived + self._hold_s - loop.time()
            if left <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                return

    def _written(self, group: list[_Waiting]) -> None:
        self._backlog -= sum(len(result.entries) for result, _, _ in group)
        self._drained.set()
        if self._checkpointer is not None:
            self._checkpointer.committed()

    def _take_group(self) -> list[_Waiting]:
        size = entries = 0
        for result, _, _ in self._pending:
            if size and entries + len(result.entries) > GROUP_ENTRIES:
                break
            size += 1
            entries += len(result.entries)
        group, self._pending = self._pending[:size], self._pending[size:]
        return group

    async def _flush(self) -> None:
        """Write the waiting results, a group per transaction, until none wait."""
        group: list[_Waiting] = []
        try:
            while self._pending:
                await self._fill()
                group = self._take_group()
                async with self._write_lock:
                    try:
                        outcomes = await ingest.apply_many(
                            self._db, [result for result, _, _ in group], self.policy
                        )
                    except Exception:
                        # one result that cannot be written must not fail the others
                        await self._apply_each(group)
                        self._written(group)
                        continue
                for (_, future, _), outcome in zip(group, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
                self._written(group)
        except BaseException:
            for _, future, _ in group + self._pending:
                if not future.done():
                    future.cancel()
            self._pending = []
            self._backlog = 0
            self._drained.set()
            raise

    async def _apply_each(self, group: list[_Waiting]) -> None:
        for result, future, _ in group:
            try:
                outcome = await ingest.apply(self._db, result, self.policy)
            except Exception as error:
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(outcome)

    async def fetch_states(self) -> dict[str, FetchState]:
        """Fetch state of every follow, by follow key."""
        return await follows.fetch_states(self._db)

    async def entry_counts(self) -> dict[str, int]:
        """Entries seen per follow, by follow key."""
        return await follows.entry_counts(self._db)

    async def unread_counts(self) -> dict[str, int]:
        """Unread stories per follow, by follow key."""
        return await follows.unread_counts(self._db)

    async def set_paused(self, follow: Follow, at: datetime | None) -> None:
        """Pause a follow at `at` (the poller skips it), or resume it (None)."""
        async with self._write_lock:
            await follows.set_paused(self._db, follow, at)

    async def defer(self, follow: Follow, until: datetime) -> None:
        """Put a follow's next poll off until `until` (its request budget is spent)."""
        async with self._write_lock:
            await follows.defer(self._db, follow, until)

    async def record_cycle(self, cycle: Cycle) -> None:
        """Remember a finished poll cycle (for `devfeed status`)."""
        async with self._write_lock:
            await follows.record_cycle(self._db, cycle)

    async def last_cycle(self) -> Cycle | None:
        """The most recent poll cycle, if any ran."""
        return await follows.last_cycle(self._db)

    # -- reading --------------------------------------------------------------------------
    async def feed_page(
        self, query: FeedQuery, after: Cursor | None = None, limit: int = 50
    ) -> Page:
        """One page of a view, newest first, by keyset."""
        return await feed.page(self._db, query, after, limit)

    async def count(self, query: FeedQuery, at_most: int | None = None) -> int:
        """How many stories a view holds (counting stops at `at_most` when given)."""
        return await feed.count(self._db, query, at_most)

    async def facet_values(self, name: str, limit: int = 500) -> list[str]:
        """The values the stories have for a filter: "platform", "tag", "kind", "follow"."""
        return await feed.facet_values(self._db, name, limit)

    async def story(self, story_id: int) -> Story:
        """One story. Raises `UsageError` when there is none with that id."""
        found = await feed.story(self._db, story_id)
        if found is None:
            raise UsageError(f"there is no story with id {story_id}")
        return found

    async def joins(self, story_id: int) -> list[EntryJoin]:
        """The entries of a story and why each is in it. Raises `UsageError` when there is
        no such story."""
        await self.story(story_id)
        return await feed.joins(self._db, story_id)

    async def data_version(self) -> int:
        """Changes whenever another connection commits (for live updates)."""
        async with self._db.execute("PRAGMA data_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # -- the user's state -----------------------------------------------------------------
    async def _require(self, changed: bool, story_id: int) -> Story:
        if not changed:
            raise UsageError(f"there is no story with id {story_id}")
        return await self.story(story_id)

    async def set_read(self, story_id: int, read: bool = True) -> Story:
        """Mark a story read (or unread)."""
        async with self._write_lock:
            changed = await queues.set_read(self._db, story_id, read)
        return await self._require(changed, story_id)

    async def save(self, story_id: int, at: datetime, saved: bool = True) -> Story:
        """Put a story in Saved (or take it out)."""
        async with self._write_lock:
            changed = await queues.set_saved(self._db, story_id, saved, at)
        return await self._require(changed, story_id)

    async def lunch(self, story_id: int, at: datetime, queued: bool = True) -> Story:
        """Queue a story for Lunch (or take it out)."""
        async with self._write_lock:
            changed = await queues.set_lunch(self._db, story_id, queued, at)
        return await self._require(changed, story_id)

    async def lunch_done(self, story_id: int, at: datetime, done: bool = True) -> Story:
        """Mark a Lunch video watched: it leaves the queue and shows in `View.LUNCH_DONE`
        (`done=False` puts it back in the queue)."""
        async with self._write_lock:
            changed = await queues.set_lunch_done(self._db, story_id, done, at)
        return await self._require(changed, story_id)

    async def set_note(self, story_id: int, note: str | None) -> Story:
        """Set the user's note on a story (None or "" removes it)."""
        async with self._write_lock:
            changed = await queues.set_note(self._db, story_id, note)
        return await self._require(changed, story_id)

    async def set_saved_tags(self, story_id: int, tags: Sequence[str]) -> Story:
        """Replace the user's tags on a story."""
        async with self._write_lock:
            changed = await queues.set_saved_tags(self._db, story_id, tags)
        return await self._require(changed, story_id)

    async def lunch_queue(self) -> list[Story]:
        """Every video queued for Lunch and not yet watched, most recently queued first
        (what `devfeed.lunch.plan` takes)."""
        stories: list[Story] = []
        cursor: Cursor | None = None
        while True:
            page = await self.feed_page(FeedQuery(view=View.LUNCH), after=cursor, limit=500)
            stories.extend(page.stories)
            if page.next_cursor is None:
                return stories
            cursor = page.next_cursor

    # -- stories added by hand -----------------------------------------------------------
    async def add_by_hand(self, entry: ParsedEntry, at: datetime) -> Story:
        """File a page the user brought (`devfeed save URL`) as a story, merged with the
        story of the same canonical URL; seen by no follow (`Sighting.follow is None`)."""
        async with self._write_lock:
            story_id = await manual.add_by_hand(self._db, entry, at)
        return await self.story(story_id)

    async def story_for_url(self, url: str) -> Story | None:
        """The story whose canonical URL is `url`'s, if the store has one."""
        story_id = await manual.story_id_for_url(self._db, url)
        return await feed.story(self._db, story_id) if story_id is not None else None

    async def move_saved(self, story_id: int, up: bool) -> bool:
        """Move a saved story one place up or down in Saved; False when it cannot move."""
        async with self._write_lock:
            return await queues.move_saved(self._db, story_id, up)


__all__ = [
    "KIND_GROUPS",
    "ApplyOutcome",
    "Cursor",
    "EntryJoin",
    "FeedQuery",
    "IngestPolicy",
    "Order",
    "Page",
    "Search",
    "Store",
    "View",
    "parse_search",
]

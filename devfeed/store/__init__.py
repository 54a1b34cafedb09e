"""SQLite through aiosqlite: the only code that writes SQL.

`Store` is the facade with intent-named methods; the modules beside it own one domain
each (`connection`, `schema`, `ingest`, `feed`, `queues`, `follows`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from types import TracebackType

import aiosqlite

from devfeed.errors import UsageError
from devfeed.models import FetchState, PollResult, Story
from devfeed.store import feed, follows, ingest, queues
from devfeed.store.connection import connect
from devfeed.store.feed import Cursor, FeedQuery, Page, View
from devfeed.store.ingest import ApplyOutcome


class Store:
    """One connection to a devfeed database."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        # one connection, one transaction at a time: writers from several tasks take turns
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Store:
        """Open the database at `path`, creating and migrating it as needed."""
        return cls(await connect(path), path)

    async def close(self) -> None:
        """Close the connection."""
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
        """Write one poll result in one transaction (idempotent)."""
        async with self._write_lock:
            return await ingest.apply(self._db, result)

    async def fetch_states(self) -> dict[str, FetchState]:
        """Fetch state of every follow, by follow key."""
        return await follows.fetch_states(self._db)

    async def entry_counts(self) -> dict[str, int]:
        """Entries seen per follow, by follow key."""
        return await follows.entry_counts(self._db)

    # -- reading --------------------------------------------------------------------------
    async def feed_page(
        self, query: FeedQuery, after: Cursor | None = None, limit: int = 50
    ) -> Page:
        """One page of a view, newest first, by keyset."""
        return await feed.page(self._db, query, after, limit)

    async def count(self, query: FeedQuery) -> int:
        """How many stories a view holds."""
        return await feed.count(self._db, query)

    async def story(self, story_id: int) -> Story:
        """One story. Raises `UsageError` when there is none with that id."""
        found = await feed.story(self._db, story_id)
        if found is None:
            raise UsageError(f"there is no story with id {story_id}")
        return found

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


__all__ = ["ApplyOutcome", "Cursor", "FeedQuery", "Page", "Store", "View"]

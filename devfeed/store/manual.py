"""Stories added by hand (`devfeed save URL`): filed like polled entries, seen by no follow.

A hand-added entry gets a sighting from one pseudo-follow row (`HAND_FOLLOW_KEY`), so the
schema keeps `sightings.follow_id NOT NULL` and every query stays the same; readers show
that sighting with `follow = None`. The pseudo-follow is never polled (it is not in
feeds.toml) and must not be pruned with the follows that left the config.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from devfeed.dedup import url_keys
from devfeed.models import ParsedEntry
from devfeed.store.connection import write
from devfeed.store.ingest import HAND_FOLLOW_KEY as HAND_FOLLOW_KEY
from devfeed.store.ingest import _ingest_entries, ts

HAND_PLATFORM = "web"
"""Platform name of hand-added pages that belong to no known platform."""
_MEDIA_KINDS = ("video", "short", "podcast")


async def _hand_follow_id(db: aiosqlite.Connection) -> int:
    await db.execute(
        "INSERT INTO follows (key, platform, label) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
        (HAND_FOLLOW_KEY, HAND_PLATFORM, "added by hand"),
    )
    async with db.execute("SELECT id FROM follows WHERE key = ?", (HAND_FOLLOW_KEY,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def add_by_hand(db: aiosqlite.Connection, entry: ParsedEntry, at: datetime) -> int:
    """File `entry` as a story (merged with the story of the same key, as polling does) in
    one transaction; returns the story id. Idempotent.

    What the page told and the story lacks is filled in: its length, and that it is a
    video (a feed entry often knows neither; the watch page does)."""
    async with write(db):
        follow_id = await _hand_follow_id(db)
        await _ingest_entries(db, follow_id, [entry], ts(at) or 0)
        async with db.execute(
            "SELECT story_id FROM entries WHERE platform = ? AND native_id = ?",
            (entry.platform, entry.native_id),
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        story_id = int(row[0])
        await _refresh(db, entry, story_id)
        if entry.duration_s is not None:
            await db.execute(
                "UPDATE stories SET duration_s = ? WHERE id = ? AND duration_s IS NULL",
                (entry.duration_s, story_id),
            )
        if entry.kind in _MEDIA_KINDS:
            marks = ",".join("?" * len(_MEDIA_KINDS))
            await db.execute(
                f"UPDATE stories SET kind = ? WHERE id = ? AND kind NOT IN ({marks})",
                (entry.kind, story_id, *_MEDIA_KINDS),
            )
    return story_id


async def _refresh(db: aiosqlite.Connection, entry: ParsedEntry, story_id: int) -> None:
    """A page fetched again replaces what the hand-added entry said, and a story that only
    had its URL as a title (the page could not be fetched then) gets the real title."""
    await db.execute(
        "UPDATE entries SET title = ?, author = ?, text = ?, duration_s = ?, kind = ? "
        "WHERE platform = ? AND native_id = ?",
        (
            entry.title,
            entry.author,
            entry.text,
            entry.duration_s,
            entry.kind,
            entry.platform,
            entry.native_id,
        ),
    )
    await db.execute(
        "UPDATE stories SET title = ?, summary = ?, author = coalesce(author, ?) "
        "WHERE id = ? AND title = url AND ? != url",
        (entry.title, entry.text[:2000], entry.author, story_id, entry.title),
    )


async def story_id_for_url(db: aiosqlite.Connection, url: str) -> int | None:
    """The id of the story a link belongs to (by its canonical URL key, or the hand-added
    entry of a URL that is no key, such as a site's home page), if the store has one."""
    for key in url_keys(None, url):
        async with db.execute(
            "SELECT e.story_id FROM story_keys k JOIN entries e ON e.id = k.entry_id "
            "WHERE k.key = ?",
            (key,),
        ) as cursor:
            row = await cursor.fetchone()
        if row:
            return int(row[0])
    async with db.execute(
        "SELECT story_id FROM entries WHERE platform = ? AND native_id = ?", (HAND_PLATFORM, url)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None

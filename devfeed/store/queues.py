"""The user's state of a story: read, Saved (with a note and tags) and Lunch (queued, then
done). Each change is one short write."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import aiosqlite

from devfeed.store.connection import write
from devfeed.store.ingest import ts


async def _update(
    db: aiosqlite.Connection, sql: str, params: tuple[object, ...] | Mapping[str, object]
) -> bool:
    async with write(db):
        cursor = await db.execute(sql, params)
        changed = cursor.rowcount
        await cursor.close()
    return changed > 0


async def set_read(db: aiosqlite.Connection, story_id: int, read: bool) -> bool:
    """Mark a story read or unread. False when there is no such story."""
    return await _update(db, "UPDATE stories SET read = ? WHERE id = ?", (int(read), story_id))


async def set_saved(db: aiosqlite.Connection, story_id: int, saved: bool, at: datetime) -> bool:
    """Put a story in the Saved queue (keeping the first save time) or take it out."""
    if saved:
        sql = "UPDATE stories SET saved_at = coalesce(saved_at, ?) WHERE id = ?"
        return await _update(db, sql, (ts(at), story_id))
    return await _update(db, "UPDATE stories SET saved_at = NULL WHERE id = ?", (story_id,))


async def set_lunch(db: aiosqlite.Connection, story_id: int, queued: bool, at: datetime) -> bool:
    """Queue a story for Lunch (again, if it was watched) or take it out of the queue."""
    if queued:
        sql = (
            "UPDATE stories SET lunch_at = CASE WHEN lunch_at IS NULL OR lunch_done_at IS NOT NULL "
            "THEN ? ELSE lunch_at END, lunch_done_at = NULL WHERE id = ?"
        )
        return await _update(db, sql, (ts(at), story_id))
    sql = "UPDATE stories SET lunch_at = NULL, lunch_done_at = NULL WHERE id = ?"
    return await _update(db, sql, (story_id,))


async def set_lunch_done(db: aiosqlite.Connection, story_id: int, done: bool, at: datetime) -> bool:
    """Mark a Lunch video watched (it leaves the queue, and is kept with the time it was
    watched; one that was not queued counts as queued then) or back to queued."""
    if done:
        sql = (
            "UPDATE stories SET lunch_at = coalesce(lunch_at, :at), "
            "lunch_done_at = coalesce(lunch_done_at, :at) WHERE id = :id"
        )
        return await _update(db, sql, {"at": ts(at), "id": story_id})
    sql = (
        "UPDATE stories SET lunch_at = coalesce(lunch_at, :at), lunch_done_at = NULL WHERE id = :id"
    )
    return await _update(db, sql, {"at": ts(at), "id": story_id})


async def set_note(db: aiosqlite.Connection, story_id: int, note: str | None) -> bool:
    """Set the user's note on a story (None or "" removes it)."""
    sql = "UPDATE stories SET note = ? WHERE id = ?"
    return await _update(db, sql, (note or None, story_id))


async def set_saved_tags(db: aiosqlite.Connection, story_id: int, tags: Sequence[str]) -> bool:
    """Replace the user's tags on a story."""
    sql = "UPDATE stories SET saved_tags = ? WHERE id = ?"
    return await _update(db, sql, (json.dumps(list(tags), ensure_ascii=False), story_id))

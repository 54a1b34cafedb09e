"""The user's state of a story: read, Saved (with a note and tags, in the user's order) and
Lunch (queued, then done).

Each change is one UPDATE statement in autocommit: SQLite holds the write lock only while
that statement runs on the database thread. A `BEGIN IMMEDIATE ... COMMIT` around it
would hold the lock across event-loop hops, which in the reader last as long as a render
(0.3-1.2 s in the daemon soak) and make the poller wait."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import aiosqlite

from devfeed.store.ingest import ts


async def _update(
    db: aiosqlite.Connection, sql: str, params: tuple[object, ...] | Mapping[str, object]
) -> bool:
    """Run one UPDATE as its own (implicit) transaction; True when it changed a row."""
    async with db.execute(sql, params) as cursor:
        return cursor.rowcount > 0


async def set_read(db: aiosqlite.Connection, story_id: int, read: bool) -> bool:
    """Mark a story read or unread. False when there is no such story."""
    return await _update(db, "UPDATE stories SET read = ? WHERE id = ?", (int(read), story_id))


async def set_saved(db: aiosqlite.Connection, story_id: int, saved: bool, at: datetime) -> bool:
    """Put a story in the Saved queue (keeping the first save time, and its place when it
    is there already) or take it out. Its place (`saved_rank`) starts as the save time, so
    Saved is newest first until the user moves a story (`move_saved` swaps places)."""
    if saved:
        sql = (
            "UPDATE stories SET saved_at = coalesce(saved_at, :at), "
            "saved_rank = coalesce(saved_rank, :at) WHERE id = :id"
        )
        return await _update(db, sql, {"at": ts(at), "id": story_id})
    sql = "UPDATE stories SET saved_at = NULL, saved_rank = NULL WHERE id = ?"
    return await _update(db, sql, (story_id,))


async def _spread_saved_ranks(db: aiosqlite.Connection) -> None:
    """Give every saved story its own place, keeping the order: the top keeps its rank,
    each next one gets one less (stories saved in the same second share a rank, and a
    swap of equal ranks moves nothing)."""
    sql = """
        UPDATE stories SET saved_rank = placed.rank FROM (
            SELECT id, max(saved_rank) OVER () + 1
                   - row_number() OVER (ORDER BY saved_rank DESC, id DESC) AS rank
            FROM stories WHERE saved_at IS NOT NULL
        ) AS placed
        WHERE stories.id = placed.id AND stories.saved_rank IS NOT placed.rank
    """
    await _update(db, sql, ())


async def move_saved(
    db: aiosqlite.Connection, story_id: int, up: bool, *, spread: bool = False
) -> bool:
    """Swap a saved story with its neighbour above (`up`) or below it in the Saved order.
    False when it is not saved or is already at that end (or the order changed meanwhile:
    the swap only happens while both places are as they were read)."""
    async with db.execute(
        "SELECT saved_rank FROM stories WHERE id = ? AND saved_at IS NOT NULL", (story_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row[0] is None:
        return False
    rank = int(row[0])
    # the list shows the highest rank first: "up" is the next higher rank
    neighbour_sql = "SELECT id, saved_rank FROM stories WHERE saved_at IS NOT NULL AND " + (
        "(saved_rank, id) > (?, ?) ORDER BY saved_rank, id LIMIT 1"
        if up
        else "(saved_rank, id) < (?, ?) ORDER BY saved_rank DESC, id DESC LIMIT 1"
    )
    async with db.execute(neighbour_sql, (rank, story_id)) as cursor:
        neighbour = await cursor.fetchone()
    if neighbour is None:
        return False
    other_id, other_rank = int(neighbour[0]), int(neighbour[1])
    if other_rank == rank:  # saved in the same second: one place each first
        if spread:
            return False
        await _spread_saved_ranks(db)
        return await move_saved(db, story_id, up, spread=True)
    new_rank = other_rank
    sql = """
        UPDATE stories SET saved_rank = CASE id WHEN :me THEN :new ELSE :rank END
        WHERE id IN (:me, :other)
          AND (SELECT count(*) FROM stories WHERE saved_at IS NOT NULL
               AND ((id = :me AND saved_rank = :rank)
                    OR (id = :other AND saved_rank = :other_rank))) = 2
    """
    params = {"me": story_id, "other": other_id, "rank": rank, "other_rank": other_rank}
    return await _update(db, sql, {**params, "new": new_rank})


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

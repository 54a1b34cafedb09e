"""Follows as the store knows them: fetch state per follow, how much each one brought,
and whether the user paused it (a store flag: feeds.toml is left as it is)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiosqlite

from devfeed.models import FetchState, Follow, PollStatus
from devfeed.store.connection import write
from devfeed.store.ingest import ts, upsert_follow


def _dt(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def fetch_states(db: aiosqlite.Connection) -> dict[str, FetchState]:
    """The fetch state of every follow the store has seen, by follow key."""
    async with db.execute("SELECT * FROM follows") as cursor:
        rows = await cursor.fetchall()
    return {
        row["key"]: FetchState(
            follow_key=row["key"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            body_hash=row["body_hash"],
            last_polled_at=_dt(row["last_polled_at"]),
            last_ok_at=_dt(row["last_ok_at"]),
            status=PollStatus(row["status"]) if row["status"] else None,
            error=row["error"],
            failures=row["failures"],
            next_due_at=_dt(row["next_due_at"]),
            feed_title=row["feed_title"],
            warning=row["warning"],
            platform_state=json.loads(row["platform_state"] or "{}"),
            moved_to=row["moved_to"],
            paused_at=_dt(row["paused_at"]),
        )
        for row in rows
    }


async def entry_counts(db: aiosqlite.Connection) -> dict[str, int]:
    """How many entries each follow has seen, by follow key."""
    async with db.execute(
        "SELECT f.key, count(s.entry_id) FROM follows f "
        "LEFT JOIN sightings s ON s.follow_id = f.id GROUP BY f.id"
    ) as cursor:
        return {key: int(n) for key, n in await cursor.fetchall()}


async def unread_counts(db: aiosqlite.Connection) -> dict[str, int]:
    """How many unread stories each follow brought, by follow key (via the facets)."""
    async with db.execute(
        "SELECT substr(f.facet, 8), count(*) FROM story_facets f "
        "JOIN stories s ON s.id = f.story_id "
        "WHERE f.facet >= 'follow:' AND f.facet < 'follow;' AND s.read = 0 GROUP BY f.facet"
    ) as cursor:
        return {key: int(n) for key, n in await cursor.fetchall()}


async def set_paused(db: aiosqlite.Connection, follow: Follow, at: datetime | None) -> None:
    """Pause a follow (the poller skips it until it is resumed), or resume it (`at` None)."""
    async with write(db):
        follow_id = await upsert_follow(db, follow)
        await db.execute("UPDATE follows SET paused_at = ? WHERE id = ?", (ts(at), follow_id))

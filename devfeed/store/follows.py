"""Follows as the store knows them: fetch state per follow, and how much each one brought."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiosqlite

from devfeed.models import FetchState, PollStatus


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

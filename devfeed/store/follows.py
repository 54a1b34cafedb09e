"""Follows as the store knows them: fetch state per follow, how much each one brought,
whether the user paused it (a store flag: feeds.toml is left as it is), deferred polls,
and the record of poll cycles."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import aiosqlite

from devfeed.models import Cycle, FetchState, Follow, PollStatus
from devfeed.store.connection import write
from devfeed.store.ingest import ts, ts_up, upsert_follow


def _dt(value: float | None) -> datetime | None:
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


async def defer(db: aiosqlite.Connection, follow: Follow, until: datetime) -> None:
    """Move a follow's next poll to `until` and change nothing else (its request budget
    was spent). One short transaction."""
    async with write(db):
        follow_id = await upsert_follow(db, follow)
        await db.execute(
            "UPDATE follows SET next_due_at = ? WHERE id = ?", (ts_up(until), follow_id)
        )


KEEP_CYCLES = 500


async def record_cycle(db: aiosqlite.Connection, cycle: Cycle) -> None:
    """Remember one poll cycle (the newest `KEEP_CYCLES` are kept)."""
    async with write(db):
        await db.execute(
            "INSERT INTO poll_cycles (mode, pid, started_at, finished_at, sources, "
            "new_stories, failed, deferred) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cycle.mode,
                cycle.pid,
                ts(cycle.started_at),
                ts(cycle.finished_at),
                cycle.sources,
                cycle.new_stories,
                cycle.failed,
                cycle.deferred,
            ),
        )
        await db.execute(
            "DELETE FROM poll_cycles WHERE id <= (SELECT max(id) FROM poll_cycles) - ?",
            (KEEP_CYCLES,),
        )


async def last_cycle(db: aiosqlite.Connection) -> Cycle | None:
    """The most recent poll cycle, if any ran."""
    async with db.execute("SELECT * FROM poll_cycles ORDER BY id DESC LIMIT 1") as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Cycle(
        mode=row["mode"],
        pid=row["pid"],
        started_at=datetime.fromtimestamp(row["started_at"], UTC),
        finished_at=datetime.fromtimestamp(row["finished_at"], UTC),
        sources=row["sources"],
        new_stories=row["new_stories"],
        failed=row["failed"],
        deferred=row["deferred"],
    )

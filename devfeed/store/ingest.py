"""Applying a `PollResult`: one `BEGIN IMMEDIATE` transaction per source, idempotent.

The result is a complete snapshot of the follow's fetch state plus the entries it parsed:
applying the same result twice leaves the database exactly as applying it once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from devfeed.dedup import story_key
from devfeed.models import Follow, ParsedEntry, PollResult, PollStatus
from devfeed.store.connection import write

CHUNK = 400  # host parameters per IN (...) list, well under SQLite's limit


@dataclass(frozen=True)
class ApplyOutcome:
    """What applying one result changed."""

    new_entries: int
    """Entries the store did not have."""
    new_stories: int
    """Stories created by those entries."""


def ts(value: datetime | None) -> int | None:
    """A datetime as stored: whole seconds since the epoch, UTC."""
    return int(value.timestamp()) if value is not None else None


def ts_up(value: datetime) -> float:
    """A due time as stored: seconds since the epoch to the millisecond (a REAL in the
    column), rounded up, so that a poll is never earlier than the scheduler asked (a
    `Retry-After` is honoured) and one-second intervals stay one second."""
    return math.ceil(value.timestamp() * 1000) / 1000


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def upsert_follow(db: aiosqlite.Connection, follow: Follow) -> int:
    """The row id of a follow, creating the row when it is new. Call inside a transaction."""
    await db.execute(
        "INSERT INTO follows (key, platform, label) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET label = excluded.label WHERE label != excluded.label",
        (follow.key, follow.platform, follow.label),
    )
    async with db.execute("SELECT id FROM follows WHERE key = ?", (follow.key,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _write_state(db: aiosqlite.Connection, follow_id: int, result: PollResult) -> None:
    ok = result.status is not PollStatus.FAILED
    await db.execute(
        """
        UPDATE follows SET
            etag = CASE WHEN :ok THEN :etag ELSE etag END,
            last_modified = CASE WHEN :ok THEN :last_modified ELSE last_modified END,
            body_hash = CASE WHEN :ok THEN :body_hash ELSE body_hash END,
            feed_title = coalesce(:feed_title, feed_title),
            last_polled_at = :fetched_at,
            last_ok_at = CASE WHEN :ok THEN :fetched_at ELSE last_ok_at END,
            status = :status, error = :error, failures = :failures, next_due_at = :next_due_at,
            warning = CASE WHEN :ok THEN :warning ELSE warning END,
            platform_state = coalesce(:platform_state, platform_state),
            moved_to = CASE WHEN :ok THEN :moved_to ELSE moved_to END
        WHERE id = :id
        """,
        {
            "ok": ok,
            "etag": result.etag,
            "last_modified": result.last_modified,
            "body_hash": result.body_hash,
            "feed_title": result.feed_title,
            "fetched_at": ts(result.fetched_at),
            "status": result.status.value,
            "error": result.error,
            "failures": result.failures,
            "next_due_at": ts_up(result.next_due_at),
            "warning": result.warning,
            "platform_state": (
                None
                if result.platform_state is None
                else json.dumps(result.platform_state, sort_keys=True)
            ),
            "moved_to": result.moved_to,
            "id": follow_id,
        },
    )


def _story_row(key: str, entry: ParsedEntry, seen: int) -> tuple[Any, ...]:
    published = min(ts(entry.published) or seen, seen)  # a date in the future is a lie
    return (
        key,
        entry.title,
        entry.link or entry.url,
        entry.kind,
        entry.duration_s,
        entry.author,
        entry.text[:2000],
        published,
        seen,
    )


async def _entry_ids(
    db: aiosqlite.Connection, entries: Iterable[ParsedEntry]
) -> dict[tuple[str, str], int]:
    """Row ids of the given entries that the store has, by (platform, native id)."""
    by_platform: dict[str, list[str]] = {}
    for entry in entries:
        by_platform.setdefault(entry.platform, []).append(entry.native_id)
    found: dict[tuple[str, str], int] = {}
    for platform, native_ids in by_platform.items():
        for chunk in _chunks(native_ids):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT native_id, id FROM entries WHERE platform = ? AND native_id IN ({marks})"
            async with db.execute(sql, (platform, *chunk)) as cursor:
                for native_id, entry_id in await cursor.fetchall():
                    found[(platform, native_id)] = entry_id
    return found


async def _story_ids(db: aiosqlite.Connection, keys: Iterable[str]) -> dict[str, int]:
    """Row ids of stories by story key."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(keys))):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT story_key, id FROM stories WHERE story_key IN ({marks})"
        async with db.execute(sql, tuple(chunk)) as cursor:
            found.update({key: story_id for key, story_id in await cursor.fetchall()})
    return found


def _entry_row(entry: ParsedEntry, story_id: int) -> tuple[Any, ...]:
    return (
        entry.platform,
        entry.native_id,
        story_id,
        entry.url,
        entry.link,
        entry.title,
        entry.author,
        entry.text,
        ts(entry.published),
        json.dumps(list(entry.tags)),
        entry.kind,
        entry.duration_s,
        entry.media_url,
        entry.comments_url,
        entry.author_handle,
        entry.score,
        entry.comments,
    )


async def _ingest_entries(
    db: aiosqlite.Connection, follow_id: int, entries: Sequence[ParsedEntry], seen: int
) -> ApplyOutcome:
    existing = await _entry_ids(db, entries)
    fresh = [e for e in entries if (e.platform, e.native_id) not in existing]
    new_stories = 0
    if fresh:
        keys = [story_key(e) for e in fresh]
        cursor = await db.executemany(
            "INSERT OR IGNORE INTO stories (story_key, title, url, kind, duration_s, author, "
            "summary, published, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_story_row(key, e, seen) for key, e in zip(keys, fresh, strict=True)],
        )
        new_stories = cursor.rowcount  # rows this statement inserted, triggers not counted
        await cursor.close()
        story_ids = await _story_ids(db, keys)
        await db.executemany(
            "INSERT INTO entries (platform, native_id, story_id, url, link, title, author, text, "
            "published, tags, kind, duration_s, media_url, comments_url, author_handle, score, "
            "comments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_entry_row(e, story_ids[key]) for key, e in zip(keys, fresh, strict=True)],
        )
        existing.update(await _entry_ids(db, fresh))
    await db.executemany(
        "INSERT OR IGNORE INTO sightings (entry_id, follow_id, seen_at, boosted_by) "
        "VALUES (?, ?, ?, ?)",
        [(existing[(e.platform, e.native_id)], follow_id, seen, e.boosted_by) for e in entries],
    )
    return ApplyOutcome(new_entries=len(fresh), new_stories=new_stories)


async def apply(db: aiosqlite.Connection, result: PollResult) -> ApplyOutcome:
    """Write one poll result in one transaction. Idempotent."""
    async with write(db):
        follow_id = await upsert_follow(db, result.follow)
        await _write_state(db, follow_id, result)
        if not result.entries:
            return ApplyOutcome(new_entries=0, new_stories=0)
        return await _ingest_entries(db, follow_id, result.entries, ts(result.fetched_at) or 0)

"""Reading stories: keyset pages of the feed and the queues, single stories, counts.

Never OFFSET, never all rows: a page is `limit` rows after a cursor, read through the
index that matches the view's order.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from devfeed.models import Sighting, Story
from devfeed.store.ingest import HAND_FOLLOW_KEY


class View(enum.StrEnum):
    """Which list of stories: the whole feed, or one of the queues."""

    FEED = "feed"
    SAVED = "saved"
    LUNCH = "lunch"
    LUNCH_DONE = "lunch-done"
    """Lunch videos marked watched, most recently watched first."""


class Order(enum.StrEnum):
    """How the feed is sorted (the queues are always most recently queued first)."""

    NEWEST = "newest"
    """Newest published first."""
    POPULAR = "popular"
    """Seen in the most places (entries) first, then newest."""


POPULAR_SORT = "places * 17179869184 + published"
"""The indexed sort key of `Order.POPULAR` (`stories_popular`, migration 3)."""


@dataclass(frozen=True)
class FeedQuery:
    """What the user asked to see."""

    view: View = View.FEED
    """The feed, Saved or Lunch."""
    unread_only: bool = False
    """Hide read stories."""
    order: Order = Order.NEWEST
    """How the feed is sorted."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort value and id of its last story."""

    sort_value: int
    story_id: int


@dataclass(frozen=True)
class Page:
    """One page of stories and the cursor of the next one (None at the end)."""

    stories: tuple[Story, ...]
    next_cursor: Cursor | None


_SORT_COLUMN = {
    View.FEED: "published",
    View.SAVED: "saved_at",
    View.LUNCH: "lunch_at",
    View.LUNCH_DONE: "lunch_done_at",
}
_STORY_COLUMNS = (
    "id, title, url, kind, duration_s, published, author, summary, read, saved_at, lunch_at, "
    "lunch_done_at, note, saved_tags"
)


def _where(query: FeedQuery) -> list[str]:
    where: list[str] = []
    if query.view is View.SAVED:
        where.append("saved_at IS NOT NULL")
    elif query.view is View.LUNCH:
        where.append("lunch_at IS NOT NULL AND lunch_done_at IS NULL")
    elif query.view is View.LUNCH_DONE:
        where.append("lunch_done_at IS NOT NULL")
    if query.unread_only:
        where.append("read = 0")
    return where


def _dt(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def _sightings(
    db: aiosqlite.Connection, story_ids: Sequence[int]
) -> tuple[dict[int, list[Sighting]], dict[int, list[str]]]:
    seen: dict[int, list[Sighting]] = {i: [] for i in story_ids}
    tags: dict[int, list[str]] = {i: [] for i in story_ids}
    if not story_ids:
        return seen, tags
    marks = ",".join("?" * len(story_ids))
    async with db.execute(
        f"""
        SELECT e.story_id, e.platform, e.author, e.url, e.comments_url, e.tags,
               e.comments, e.score, s.seen_at, s.boosted_by,
               CASE WHEN f.key = ? THEN NULL ELSE f.label END AS label
        FROM entries e
        JOIN sightings s ON s.entry_id = e.id
        JOIN follows f ON f.id = s.follow_id
        WHERE e.story_id IN ({marks})
        ORDER BY s.seen_at, e.id, f.id
        """,
        (HAND_FOLLOW_KEY, *story_ids),
    ) as cursor:
        for row in await cursor.fetchall():
            story_id = row["story_id"]
            seen[story_id].append(
                Sighting(
                    platform=row["platform"],
                    author=row["author"],
                    url=row["url"],
                    follow=row["label"],
                    seen_at=datetime.fromtimestamp(row["seen_at"], UTC),
                    comments_url=row["comments_url"],
                    comments=row["comments"],
                    score=row["score"],
                    boosted_by=row["boosted_by"],
                )
            )
            for tag in json.loads(row["tags"]):
                if tag not in tags[story_id]:
                    tags[story_id].append(tag)
    return seen, tags


async def _stories(db: aiosqlite.Connection, rows: Sequence[Any]) -> tuple[Story, ...]:
    ids = [row["id"] for row in rows]
    seen, tags = await _sightings(db, ids)
    return tuple(
        Story(
            id=row["id"],
            title=row["title"],
            url=row["url"],
            kind=row["kind"],
            duration_s=row["duration_s"],
            published=datetime.fromtimestamp(row["published"], UTC),
            author=row["author"],
            summary=row["summary"],
            tags=tuple(tags[row["id"]]),
            read=bool(row["read"]),
            saved=row["saved_at"] is not None,
            lunch=row["lunch_at"] is not None and row["lunch_done_at"] is None,
            saved_at=_dt(row["saved_at"]),
            lunch_at=_dt(row["lunch_at"]),
            lunch_done_at=_dt(row["lunch_done_at"]),
            note=row["note"],
            saved_tags=tuple(json.loads(row["saved_tags"])),
            seen_on=tuple(seen[row["id"]]),
        )
        for row in rows
    )


async def page(
    db: aiosqlite.Connection, query: FeedQuery, after: Cursor | None, limit: int
) -> Page:
    """`limit` stories of a view, newest first, after `after` (keyset, never OFFSET)."""
    column = _SORT_COLUMN[query.view]
    if query.view is View.FEED and query.order is Order.POPULAR:
        column = POPULAR_SORT
    where = _where(query)
    params: list[Any] = []
    if after is not None:
        where.append(f"({column}, id) < (?, ?)")
        params += [after.sort_value, after.story_id]
    sql = f"SELECT {_STORY_COLUMNS}, {column} AS sort_value FROM stories"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {column} DESC, id DESC LIMIT ?"
    params.append(limit + 1)
    async with db.execute(sql, params) as cursor:
        rows = list(await cursor.fetchall())
    more = len(rows) > limit
    rows = rows[:limit]
    stories = await _stories(db, rows)
    next_cursor = Cursor(rows[-1]["sort_value"], rows[-1]["id"]) if more and rows else None
    return Page(stories=stories, next_cursor=next_cursor)


async def count(db: aiosqlite.Connection, query: FeedQuery) -> int:
    """How many stories a view holds."""
    where = _where(query)
    sql = "SELECT count(*) FROM stories" + (" WHERE " + " AND ".join(where) if where else "")
    async with db.execute(sql) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def story(db: aiosqlite.Connection, story_id: int) -> Story | None:
    """One story by id, with its sightings."""
    async with db.execute(f"SELECT {_STORY_COLUMNS} FROM stories WHERE id = ?", (story_id,)) as c:
        row = await c.fetchone()
    if row is None:
        return None
    return (await _stories(db, [row]))[0]


@dataclass(frozen=True)
class EntryJoin:
    """One entry of a story and why it is there (`devfeed why`)."""

    entry_id: int
    platform: str
    native_id: str
    title: str
    author: str | None
    url: str | None
    link: str | None
    reasons: tuple[dict[str, Any], ...]
    """Why it joined (empty: it started the story), then the stories it tied in."""
    follows: tuple[tuple[str, str | None], ...]
    """(follow label, boosted by) of each sighting."""


async def joins(db: aiosqlite.Connection, story_id: int) -> list[EntryJoin]:
    """The entries of a story, oldest first, with their join reasons and sightings."""
    async with db.execute(
        "SELECT id, platform, native_id, title, author, url, link, join_reason FROM entries "
        "WHERE story_id = ? ORDER BY id",
        (story_id,),
    ) as cursor:
        rows = list(await cursor.fetchall())
    follows: dict[int, list[tuple[str, str | None]]] = {row["id"]: [] for row in rows}
    async with db.execute(
        "SELECT s.entry_id, f.label, s.boosted_by FROM sightings s "
        "JOIN follows f ON f.id = s.follow_id JOIN entries e ON e.id = s.entry_id "
        "WHERE e.story_id = ? ORDER BY s.seen_at, f.id",
        (story_id,),
    ) as cursor:
        for entry_id, label, boosted_by in await cursor.fetchall():
            follows[entry_id].append((label, boosted_by))
    return [
        EntryJoin(
            entry_id=row["id"],
            platform=row["platform"],
            native_id=row["native_id"],
            title=row["title"],
            author=row["author"],
            url=row["url"],
            link=row["link"],
            reasons=tuple(json.loads(row["join_reason"] or "[]")),
            follows=tuple(follows[row["id"]]),
        )
        for row in rows
    ]

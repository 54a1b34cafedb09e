"""Reading stories: keyset pages of the feed and the queues, filtered and searched;
single stories; counts; the values the filters offer.

Never OFFSET, never all rows: a page is `limit` rows after a cursor, read through the
index that matches the view's order. A filtered feed page is driven by the `story_facets`
index of the filter's values (one range scan per value, merged), so a filter that matches
few stories does not scan the whole feed to find them.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from devfeed.models import Sighting, Story
from devfeed.store.ingest import HAND_FOLLOW_KEY
from devfeed.store.schema import fold_tag
from devfeed.store.search import Search, parse_search


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


POPULAR_SORT = "s.places * 17179869184 + s.published"
"""The indexed sort key of `Order.POPULAR` (`stories_popular`, migration 5)."""


KIND_GROUPS: dict[str, frozenset[str]] = {
    "videos": frozenset({"video", "short", "podcast"}),
    "articles": frozenset({"article", "release", "question", "discussion"}),
    "posts": frozenset({"post"}),
}
"""What the kind filter offers: a name and the story kinds it stands for."""


@dataclass(frozen=True)
class FeedQuery:
    """What the user asked to see. Filters combine: a story must pass every non-empty
    one, and one of the values of each (platforms={"youtube", "peertube"} is either)."""

    view: View = View.FEED
    """The feed, Saved or Lunch."""
    unread_only: bool = False
    """Hide read stories."""
    order: Order = Order.NEWEST
    """How the feed is sorted."""
    platforms: frozenset[str] = field(default=frozenset())
    """Seen on one of these platforms."""
    follows: frozenset[str] = field(default=frozenset())
    """Seen by one of these follows (`Follow.key`)."""
    tags: frozenset[str] = field(default=frozenset())
    """Tagged with one of these (lower case)."""
    kinds: frozenset[str] = field(default=frozenset())
    """Of one of these kinds (see `KIND_GROUPS`)."""
    search: str = ""
    """What the user searched for, in the language of `store.search`."""
    min_duration_s: int | None = None
    """At least this long (stories without a duration are left out)."""
    lunch_candidates: bool = False
    """Never queued for Lunch (neither queued now nor watched)."""

    @property
    def parsed_search(self) -> Search:
        """The search text, parsed."""
        return parse_search(self.search)

    @property
    def is_filtered(self) -> bool:
        """Anything beyond the view and unread-only narrows it."""
        return bool(
            self.platforms
            or self.follows
            or self.tags
            or self.kinds
            or self.min_duration_s is not None
            or self.lunch_candidates
            or not self.parsed_search.is_empty
        )


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
    View.SAVED: "saved_rank",
    View.LUNCH: "lunch_at",
    View.LUNCH_DONE: "lunch_done_at",
}
_STORY_COLUMNS = (
    "id, title, url, kind, duration_s, published, author, summary, read, saved_at, lunch_at, "
    "lunch_done_at, note, saved_tags"
)
_COLUMNS_OF_S = ", ".join(f"s.{c.strip()}" for c in _STORY_COLUMNS.split(","))
MAX_DRIVING_VALUES = 64
"""A filter with more values than this is checked per row instead of driving the page."""
FACET_PREFIXES = ("follow", "tag", "platform", "kind")
"""Facet names, most selective first: a page is driven by the first filter of the
smallest size in this order."""


@dataclass(frozen=True)
class _Plan:
    """A query as SQL pieces: conditions on `s` (stories), and the facet groups."""

    conditions: list[str]
    params: list[Any]
    groups: list[frozenset[str]]
    """Facet value sets; a story must have one facet of each."""


def _facet_groups(query: FeedQuery, search: Search) -> list[frozenset[str]]:
    groups: list[frozenset[str]] = []
    given = {
        "follow": [query.follows],
        "tag": [frozenset(map(fold_tag, query.tags)), *search.values("tag")],
        "platform": [query.platforms, *search.values("platform")],
        "kind": [query.kinds, *search.values("kind")],
    }
    for prefix in FACET_PREFIXES:
        for values in given[prefix]:
            if values:
                groups.append(frozenset(f"{prefix}:{value}" for value in values))
    return groups


def _marks(count: int) -> str:
    return ",".join("?" * count)


def _plan(query: FeedQuery) -> _Plan:
    search = query.parsed_search
    conditions: list[str] = []
    params: list[Any] = []
    if query.view is View.SAVED:
        conditions.append("s.saved_at IS NOT NULL")
    elif query.view is View.LUNCH:
        conditions.append("s.lunch_at IS NOT NULL AND s.lunch_done_at IS NULL")
    elif query.view is View.LUNCH_DONE:
        conditions.append("s.lunch_done_at IS NOT NULL")
    if query.unread_only:
        conditions.append("s.read = 0")
    if query.min_duration_s is not None:
        conditions.append("s.duration_s >= ?")
        params.append(query.min_duration_s)
    if query.lunch_candidates:
        conditions.append("s.lunch_at IS NULL")
    if (match := search.match_expression()) is not None:
        conditions.append("s.id IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?)")
        params.append(match)
    if (exclude := search.exclude_expression()) is not None:
        conditions.append("s.id NOT IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?)")
        params.append(exclude)
    for name, values in search.excluded_facets:
        facets = [f"{name}:{value}" for value in sorted(values)]
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM story_facets x WHERE x.story_id = s.id "
            f"AND x.facet IN ({_marks(len(facets))}))"
        )
        params += facets
    return _Plan(conditions, params, _facet_groups(query, search))


def _group_conditions(groups: Sequence[frozenset[str]]) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    for group in groups:
        conditions.append(
            "EXISTS (SELECT 1 FROM story_facets x WHERE x.story_id = s.id "
            f"AND x.facet IN ({_marks(len(group))}))"
        )
        params += sorted(group)
    return conditions, params


def _driving(plan: _Plan, view: View) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
    """The facet group that drives a feed page (None: scan the view's index), and the rest."""
    if view is not View.FEED or not plan.groups:
        return None, plan.groups
    best = min(range(len(plan.groups)), key=lambda i: (len(plan.groups[i]), i))
    if len(plan.groups[best]) > MAX_DRIVING_VALUES:
        return None, plan.groups
    return plan.groups[best], [g for i, g in enumerate(plan.groups) if i != best]


def _dt(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def _sightings(
    db: aiosqlite.Connection, story_ids: Sequence[int]
) -> tuple[dict[int, list[Sighting]], dict[int, list[str]]]:
    """Each story's sightings, first seen first (among those seen at once, the story's best
    entry first: its platform is the story's badge whatever order a poll stored them in),
    and its tags."""
    seen: dict[int, list[Sighting]] = {i: [] for i in story_ids}
    tags: dict[int, list[str]] = {i: [] for i in story_ids}
    spelled: dict[int, set[str]] = {i: set() for i in story_ids}
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
        JOIN stories st ON st.id = e.story_id
        WHERE e.story_id IN ({marks})
        ORDER BY s.seen_at, st.story_key = 'entry:' || e.platform || ':' || e.native_id DESC,
                 e.id, f.id
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
                # one spelling per tag: "Python" from Reddit and "python" from Mastodon are
                # one tag (the filters and `tag:` compare in lower case too)
                folded = fold_tag(tag)
                if folded not in spelled[story_id]:
                    spelled[story_id].add(folded)
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


async def _driven_ids(
    db: aiosqlite.Connection,
    plan: _Plan,
    driving: frozenset[str],
    others: list[frozenset[str]],
    after: Cursor | None,
    limit: int,
) -> list[tuple[int, int]]:
    """(published, id) of the next `limit` feed stories that have one of the `driving`
    facets and pass every other condition: one index range scan per facet, merged."""
    extra, extra_params = _group_conditions(others)
    conditions = [*plan.conditions, *extra]
    selects: list[str] = []
    params: list[Any] = []
    for facet in sorted(driving):
        where = ["f.facet = ?", *conditions]
        params.append(facet)
        params += plan.params + extra_params
        if after is not None:
            where.append("(f.published, f.story_id) < (?, ?)")
            params += [after.sort_value, after.story_id]
        selects.append(
            "SELECT * FROM (SELECT f.published AS sort_value, f.story_id AS id "
            "FROM story_facets f JOIN stories s ON s.id = f.story_id "
            f"WHERE {' AND '.join(where)} "
            "ORDER BY f.published DESC, f.story_id DESC LIMIT ?)"
        )
        params.append(limit)
    sql = " UNION ".join(selects) + " ORDER BY 1 DESC, 2 DESC LIMIT ?"
    params.append(limit)
    async with db.execute(sql, params) as cursor:
        return [(int(row[0]), int(row[1])) for row in await cursor.fetchall()]


async def _rows_by_id(db: aiosqlite.Connection, ids: Sequence[int]) -> list[Any]:
    if not ids:
        return []
    sql = f"SELECT {_STORY_COLUMNS} FROM stories WHERE id IN ({_marks(len(ids))})"
    async with db.execute(sql, tuple(ids)) as cursor:
        found = {row["id"]: row for row in await cursor.fetchall()}
    return [found[i] for i in ids if i in found]


async def page(
    db: aiosqlite.Connection, query: FeedQuery, after: Cursor | None, limit: int
) -> Page:
    """`limit` stories of a view, newest first, after `after` (keyset, never OFFSET)."""
    plan = _plan(query)
    popular = query.view is View.FEED and query.order is Order.POPULAR
    # Facet rows are kept in published order, so a popular page checks facets per row.
    driving, others = (None, plan.groups) if popular else _driving(plan, query.view)
    if driving is not None:
        keys = await _driven_ids(db, plan, driving, others, after, limit + 1)
        more = len(keys) > limit
        keys = keys[:limit]
        rows = await _rows_by_id(db, [story_id for _, story_id in keys])
        last = keys[-1] if more and keys else None
        next_cursor = Cursor(last[0], last[1]) if last else None
        return Page(stories=await _stories(db, rows), next_cursor=next_cursor)
    sort = f"({POPULAR_SORT})" if popular else f"s.{_SORT_COLUMN[query.view]}"
    extra, extra_params = _group_conditions(others)
    where = [*plan.conditions, *extra]
    params: list[Any] = [*plan.params, *extra_params]
    if after is not None:
        # The first condition is implied by the second; it lets SQLite range-scan an
        # expression index (it does not for a row value over an expression).
        where.append(f"{sort} <= ? AND ({sort}, s.id) < (?, ?)")
        params += [after.sort_value, after.sort_value, after.story_id]
    sql = f"SELECT {_COLUMNS_OF_S}, {sort} AS sort_value FROM stories s"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {sort} DESC, s.id DESC LIMIT ?"
    params.append(limit + 1)
    async with db.execute(sql, params) as cursor:
        rows = list(await cursor.fetchall())
    more = len(rows) > limit
    rows = rows[:limit]
    stories = await _stories(db, rows)
    next_cursor = Cursor(rows[-1]["sort_value"], rows[-1]["id"]) if more and rows else None
    return Page(stories=stories, next_cursor=next_cursor)


async def count(db: aiosqlite.Connection, query: FeedQuery, at_most: int | None = None) -> int:
    """How many stories a view holds; counting stops at `at_most` when it is given."""
    plan = _plan(query)
    driving, others = _driving(plan, query.view)
    extra, extra_params = _group_conditions(others)
    where = [*plan.conditions, *extra]
    params: list[Any] = [*plan.params, *extra_params]
    if driving is not None:
        inner = (
            "SELECT DISTINCT f.story_id FROM story_facets f JOIN stories s ON s.id = f.story_id "
            f"WHERE f.facet IN ({_marks(len(driving))})"
        )
        params = [*sorted(driving), *params]
        if where:
            inner += " AND " + " AND ".join(where)
    else:
        inner = "SELECT 1 FROM stories s" + (" WHERE " + " AND ".join(where) if where else "")
    if at_most is not None:
        inner += " LIMIT ?"
        params.append(at_most)
    async with db.execute(f"SELECT count(*) FROM ({inner})", params) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def facet_values(db: aiosqlite.Connection, name: str, limit: int = 500) -> list[str]:
    """The distinct values of one facet ("platform", "tag" ...), sorted, at most `limit`.

    A loose index scan: one index probe per value, however many stories there are."""
    low, high = f"{name}:", f"{name};"
    sql = """
        WITH RECURSIVE found(facet) AS (
            SELECT (SELECT min(facet) FROM story_facets WHERE facet > :low AND facet < :high)
            UNION ALL
            SELECT (SELECT min(facet) FROM story_facets WHERE facet > found.facet
                    AND facet < :high)
            FROM found WHERE found.facet IS NOT NULL
        )
        SELECT facet FROM found WHERE facet IS NOT NULL LIMIT :limit
    """
    async with db.execute(sql, {"low": low, "high": high, "limit": limit}) as cursor:
        return [row[0][len(low) :] for row in await cursor.fetchall()]


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

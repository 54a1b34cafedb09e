"""Synthetic stories in bulk, for the benchmarks and the large-store tests.

Writes `count` stories (each with one entry and one sighting, spread over a few follows,
platforms, kinds and tags) with a few generated `INSERT ... SELECT` statements in one
transaction, through the same triggers as real ingest (FTS5, facets). Not used by the app.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiosqlite

from devfeed.store.connection import connect, run, write
from devfeed.store.ingest import index_stories

PLATFORMS = ("rss", "youtube", "mastodon", "lobsters", "github")
"""Story n is seen on PLATFORMS[n % 5] ..."""
KINDS = ("article", "video", "post", "article", "release")
"""... and is a KINDS[n % 5]: a video on youtube, a post on mastodon."""
SYNTHETIC_FOLLOWS = 20


def follow_key(n: int) -> str:
    """The key of synthetic follow `n` (story n is seen by follow n % SYNTHETIC_FOLLOWS)."""
    return f"rss:https://synthetic.example.org/{n}/feed.xml"


def _case(column: str, names: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(names))
    return f"CASE {column} % {len(names)} {whens} END"


async def _stories(db: aiosqlite.Connection, count: int, start: int) -> None:
    async with db.execute("SELECT coalesce(max(id), 0) FROM stories") as cursor:
        row = await cursor.fetchone()
    before = int(row[0]) if row else 0
    await db.execute(
        f"""
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        INSERT INTO stories (story_key, title, url, kind, duration_s, author, summary,
                             published, first_seen)
        SELECT 'synthetic:' || i, 'Synthetic story ' || i,
               'https://synthetic.example.org/story/' || i, {_case("i", KINDS)},
               CASE WHEN i % 5 = 1 THEN 60 + (i * 37) % 3600 END,
               'Author ' || (i % 50), '', ? - i * 60, ?
        FROM n
        """,
        (count, start, start),
    )
    # no insert trigger indexes new stories or gives them facets (migration 9)
    await run(db, index_stories, before + 1, before + count)


async def _entries_and_sightings(db: aiosqlite.Connection) -> None:
    await db.executemany(
        "INSERT OR IGNORE INTO follows (key, platform, label) VALUES (?, 'rss', ?)",
        [(follow_key(n), f"Synthetic follow {n}") for n in range(SYNTHETIC_FOLLOWS)],
    )
    number = "CAST(substr(story_key, 11) AS INTEGER)"
    await db.execute(
        f"""
        INSERT INTO entries (platform, native_id, story_id, url, title, author, text,
                             published, tags, kind, duration_s)
        SELECT {_case(number, PLATFORMS)}, story_key, id, url, title, author, '', published,
               '["tag' || ({number} % 10) || '"]', kind, duration_s
        FROM stories WHERE story_key LIKE 'synthetic:%'
        """
    )
    await db.execute(
        """
        INSERT INTO sightings (entry_id, follow_id, seen_at)
        SELECT e.id, f.id, e.published FROM entries e
        JOIN follows f ON f.key = 'rss:https://synthetic.example.org/'
             || (CAST(substr(e.native_id, 11) AS INTEGER) % ?) || '/feed.xml'
        WHERE e.native_id LIKE 'synthetic:%'
        """,
        (SYNTHETIC_FOLLOWS,),
    )
    await db.execute(  # no insert triggers write facets (migration 9)
        "INSERT OR IGNORE INTO story_facets (facet, published, story_id) "
        "SELECT facet, published, story_id FROM story_facet_sources"
    )


async def seed_synthetic(
    path: Path, count: int, *, now: datetime, with_entries: bool = True
) -> None:
    """Create a database at `path` holding `count` synthetic stories: story n is n minutes
    older than `now`, titled "Synthetic story n", unread. Without entries the stories have
    no "seen on" and no facets but their kind (about twice as fast to write)."""
    db = await connect(path)
    try:
        # synthetic data needs no crash safety: no journal, no fsync (about twice as fast)
        await db.execute("PRAGMA journal_mode = OFF")
        await db.execute("PRAGMA synchronous = OFF")
        await db.execute("PRAGMA cache_size = -200000")
        async with write(db):
            await _stories(db, count, int(now.timestamp()))
            if with_entries:
                await _entries_and_sightings(db)
        await db.execute("PRAGMA journal_mode = WAL")
    finally:
        await db.close()

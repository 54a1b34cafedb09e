"""Builders for test data: follows, entries and poll results."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

from devfeed.models import Follow, ParsedEntry, PollResult, PollStatus
from devfeed.store.connection import _statements
from devfeed.store.schema import MIGRATIONS
from tests.conftest import FROZEN_NOW, REPO


def follow(url: str = "https://blog.example.org/feed.xml", **fields: Any) -> Follow:
    return Follow(platform=fields.pop("platform", "rss"), url=url, **fields)


def entry(n: int, **fields: Any) -> ParsedEntry:
    values: dict[str, Any] = {
        "platform": "rss",
        "native_id": f"id-{n}",
        "url": f"https://blog.example.org/post/{n}",
        "title": f"Post number {n}",
        "author": "Ada",
        "text": f"The text of post {n}.",
        "published": FROZEN_NOW - timedelta(hours=n),
        "tags": ("python",),
    }
    values.update(fields)
    return ParsedEntry(**values)


def result(
    the_follow: Follow,
    entries: list[ParsedEntry] | tuple[ParsedEntry, ...] = (),
    *,
    at: datetime = FROZEN_NOW,
    **fields: Any,
) -> PollResult:
    values: dict[str, Any] = {
        "follow": the_follow,
        "fetched_at": at,
        "status": PollStatus.FETCHED,
        "entries": tuple(entries),
        "etag": '"v1"',
        "next_due_at": at + timedelta(minutes=30),
    }
    values.update(fields)
    return PollResult(**values)


def undo_migration_9(db: sqlite3.Connection) -> None:
    """Take a database back to before migration 9 (inside the caller's transaction):
    `near_index` with one row per fingerprinted entry (all migration 9 reads of it),
    no `near_people`, the full-text index's insert trigger."""
    db.execute(
        "CREATE TABLE near_index (band INTEGER NOT NULL, entry_id INTEGER NOT NULL, "
        "published INTEGER NOT NULL, PRIMARY KEY (band, entry_id)) WITHOUT ROWID"
    )
    db.execute("INSERT INTO near_index SELECT DISTINCT 0, entry_id, published FROM near_people")
    db.execute("DROP TABLE near_people")
    dropped = ("stories_fts_insert", "stories_facets_insert", "entries_facets_insert")
    dropped += ("sightings_facets_insert",)
    for statement in _statements(MIGRATIONS[0]) + _statements(MIGRATIONS[6]):
        if statement.startswith("CREATE TRIGGER") and statement.split()[2] in dropped:
            db.execute(statement)


def run_benchmark(
    script: str, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `benchmarks/<script>` with `args` as a user would (its smoke run: the table it
    prints, never a speed)."""
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )

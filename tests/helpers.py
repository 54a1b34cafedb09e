"""Builders for test data: follows, entries and poll results."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from devfeed.models import Follow, ParsedEntry, PollResult, PollStatus
from tests.conftest import FROZEN_NOW


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

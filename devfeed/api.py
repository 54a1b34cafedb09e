"""The operations both faces call: one function per thing a user can ask for.

The CLI parses arguments and calls one of these; the TUI's workers do the same. Each
opens the store it needs, does the work through the core, and returns values (never
prints). No domain decision lives in the faces.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from devfeed.config import Config
from devfeed.durations import format_interval
from devfeed.errors import UsageError
from devfeed.export import iso, markdown, stories_json
from devfeed.models import Follow, PollStatus, Story
from devfeed.poller import Poller, SourceReport, run_until_stopped, utc_now
from devfeed.store import FeedQuery, Store, View

QUEUES = ("saved", "lunch")


async def poll(
    config: Config,
    db_path: Path,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: Callable[[], datetime] = utc_now,
    only_due: bool = False,
    on_report: Callable[[SourceReport], None] | None = None,
) -> list[SourceReport]:
    """Poll the config's follows once (or only those that are due) into the store."""
    async with await Store.open(db_path) as store:
        poller = Poller(config, store, transport=transport, now=now)
        return await poller.poll(only_due=only_due, on_report=on_report)


async def collect(store: Store, query: FeedQuery, limit: int | None) -> list[Story]:
    """Up to `limit` stories of a view (all when None), newest first, page by page."""
    stories: list[Story] = []
    cursor = None
    while limit is None or len(stories) < limit:
        size = 200 if limit is None else min(200, limit - len(stories))
        page = await store.feed_page(query, after=cursor, limit=size)
        stories.extend(page.stories)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return stories


async def list_stories(db_path: Path, query: FeedQuery, limit: int | None) -> list[Story]:
    """Stories of a view, newest first."""
    async with await Store.open(db_path) as store:
        return await collect(store, query, limit)


async def mark(
    db_path: Path,
    story_id: int,
    *,
    now: datetime,
    read: bool | None = None,
    saved: bool | None = None,
    lunch: bool | None = None,
) -> Story:
    """Change the user's state of one story; returns the story as it now is."""
    async with await Store.open(db_path) as store:
        story = await store.story(story_id)
        if read is not None:
            story = await store.set_read(story_id, read)
        if saved is not None:
            story = await store.save(story_id, now, saved)
        if lunch is not None:
            story = await store.lunch(story_id, now, lunch)
        return story


async def export_queue(db_path: Path, queue: str, fmt: str, *, now: datetime) -> str:
    """A queue as Markdown (`md`) or JSON (`json`)."""
    if queue not in QUEUES:
        raise UsageError(f"there is no queue {queue!r}; choose one of {', '.join(QUEUES)}")
    stories = await list_stories(db_path, FeedQuery(view=View(queue)), None)
    if fmt == "json":
        return json.dumps(stories_json(stories), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return markdown(stories, queue=queue, exported_at=now)
    raise UsageError(f"unknown export format {fmt!r}; choose md or json")


@dataclass(frozen=True)
class Source:
    """A follow and how polling it has gone."""

    follow: Follow
    interval_s: int
    status: PollStatus | None
    error: str | None
    failures: int
    entries: int
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    next_due_at: datetime | None
    feed_title: str | None

    def to_json(self) -> dict[str, Any]:
        """The `sources --json` fields (a contract: add fields, never rename)."""
        return {
            "key": self.follow.key,
            "platform": self.follow.platform,
            "name": self.follow.label,
            "target": self.follow.target,
            "instance": self.follow.instance,
            "interval": format_interval(timedelta(seconds=self.interval_s)),
            "interval_s": self.interval_s,
            "status": self.status.value if self.status else None,
            "error": self.error,
            "failures": self.failures,
            "entries": self.entries,
            "last_polled_at": iso(self.last_polled_at) if self.last_polled_at else None,
            "last_ok_at": iso(self.last_ok_at) if self.last_ok_at else None,
            "next_due_at": iso(self.next_due_at) if self.next_due_at else None,
            "feed_title": self.feed_title,
        }


async def sources(config: Config, db_path: Path) -> list[Source]:
    """Every follow of the config with its fetch state, in config order."""
    async with await Store.open(db_path) as store:
        states = await store.fetch_states()
        counts = await store.entry_counts()
    result: list[Source] = []
    for follow in config.follows:
        state = states.get(follow.key)
        result.append(
            Source(
                follow=follow,
                interval_s=int(config.interval_for(follow).total_seconds()),
                status=state.status if state else None,
                error=state.error if state else None,
                failures=state.failures if state else 0,
                entries=counts.get(follow.key, 0),
                last_polled_at=state.last_polled_at if state else None,
                last_ok_at=state.last_ok_at if state else None,
                next_due_at=state.next_due_at if state else None,
                feed_title=state.feed_title if state else None,
            )
        )
    return result


async def run_daemon(
    config: Config,
    db_path: Path,
    *,
    on_report: Callable[[SourceReport], None] | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Poll each follow on its interval until SIGTERM/SIGINT (or `stop`); returns cycles run."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with await Store.open(db_path) as store:
            poller = Poller(config, store)
            return await run_until_stopped(poller, stop, on_report=on_report)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)

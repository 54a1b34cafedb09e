"""Snapshots of the reader's key screens (pytest-textual-snapshot), on a seeded store with a
frozen clock and UTC, so that every run draws the same thing.

`pytest --snapshot-update tests/test_tui_snapshots.py` rewrites them: look at the report
before committing new ones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from devfeed.store import FeedQuery, Store
from devfeed.tui.app import DevfeedApp
from tests.helpers import entry, result
from tests.tui_support import BLOG, HOSTILE, make_app, seed, seed_lunch, settle

Snap = Callable[..., bool]
Seeder = Callable[[Store], Awaitable[Any]]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local times in the story view are drawn in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _seed_all(store: Store) -> None:
    await seed(store)
    await seed_lunch(store)
    hosts = await store.feed_page(FeedQuery(), limit=3)
    for n, story in enumerate(hosts.stories):
        await store.save(story.id, story.published.replace(second=n))


@pytest.fixture
def app_for(tmp_path: Path) -> Iterator[Callable[[Seeder], DevfeedApp]]:
    """An app over a store seeded by the given coroutine (opened outside the app's loop;
    aiosqlite's thread serves both)."""
    stores: list[Store] = []

    def build(seeder: Seeder) -> DevfeedApp:
        async def open_and_seed() -> Store:
            store = await Store.open(tmp_path / f"snap{len(stores)}.db")
            await seeder(store)
            return store

        store = asyncio.run(open_and_seed())
        stores.append(store)
        return make_app(store)

    yield build
    for store in stores:
        asyncio.run(store.close())


def steps(*keys: str, then: Callable[[Pilot[Any]], None] | None = None) -> Callable[..., Any]:
    """A `run_before` that settles, presses `keys` (settling after each), then runs `then`."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if then is not None:
            then(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await settle(pilot)

    return run_before


async def _empty(store: Store) -> None:
    return None


async def _hostile(store: Store) -> None:
    await store.apply(
        result(BLOG, [entry(0, title=HOSTILE, author="[b]x[/b]", text=f"{HOSTILE}\x1b[31m red")])
    )


def test_feed_wide(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_seed_all), terminal_size=(120, 40), run_before=steps())


def test_feed_narrow(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_seed_all), terminal_size=(80, 24), run_before=steps())


def test_feed_story_view_links(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    keys = ("j", "j", "enter")  # the post a boost also brought: a discussion link
    assert snap_compare(app_for(_seed_all), terminal_size=(120, 40), run_before=steps(*keys))


def test_feed_filtered(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    def pick(pilot: Pilot[Any]) -> None:
        from devfeed.tui.widgets.filter_pane import Filters

        feed = pilot.app.mode_screens["feed"]  # type: ignore[attr-defined]
        feed.set_filters(Filters(kinds=frozenset({"videos"}), platforms=frozenset({"youtube"})))

    assert snap_compare(
        app_for(_seed_all), terminal_size=(120, 40), run_before=steps("f", then=pick)
    )


def test_feed_search(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    def search(pilot: Pilot[Any]) -> None:
        feed = pilot.app.mode_screens["feed"]  # type: ignore[attr-defined]
        feed.search = 'title:"long" -tag:talks'
        feed.search_bar.display = True
        feed.search_bar.value = feed.search
        feed.show_stories()

    assert snap_compare(app_for(_seed_all), terminal_size=(120, 40), run_before=steps(then=search))


def test_feed_search_bar_open(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    keys = ("slash", "a", "u", "t", "h", "o", "r", "colon")
    assert snap_compare(app_for(_seed_all), terminal_size=(100, 30), run_before=steps(*keys))


def test_feed_story_only(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_seed_all), terminal_size=(100, 30), run_before=steps("z"))


def test_feed_empty(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_empty), terminal_size=(100, 24), run_before=steps())


def test_feed_hostile_text(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_hostile), terminal_size=(100, 24), run_before=steps())


def test_help(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(
        app_for(_seed_all), terminal_size=(120, 40), run_before=steps("question_mark")
    )


def test_saved(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_seed_all), terminal_size=(120, 40), run_before=steps("2"))


def test_saved_export_prompt(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    def fixed_path(pilot: Pilot[Any]) -> None:
        pilot.app.screen.query_one(Input).value = "~/notes/saved.md"

    assert snap_compare(
        app_for(_seed_all), terminal_size=(100, 30), run_before=steps("2", "e", then=fixed_path)
    )


def test_lunch(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    assert snap_compare(app_for(_seed_all), terminal_size=(120, 40), run_before=steps("3"))


def test_lunch_shorter_break(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    keys = ("3", "minus", "minus", "minus")
    assert snap_compare(app_for(_seed_all), terminal_size=(80, 24), run_before=steps(*keys))


def test_sources(snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]) -> None:
    async def with_failure(store: Store) -> None:
        from devfeed.models import PollStatus
        from tests.conftest import FROZEN_NOW
        from tests.tui_support import TUBE

        await _seed_all(store)
        await store.apply(
            result(
                TUBE,
                status=PollStatus.FAILED,
                error="HTTP 403 Forbidden",
                failures=3,
                at=FROZEN_NOW,
            )
        )

    assert snap_compare(app_for(with_failure), terminal_size=(120, 30), run_before=steps("4", "j"))


def test_sources_remove_confirm(
    snap_compare: Snap, app_for: Callable[[Seeder], DevfeedApp]
) -> None:
    assert snap_compare(app_for(_seed_all), terminal_size=(100, 24), run_before=steps("4", "d"))

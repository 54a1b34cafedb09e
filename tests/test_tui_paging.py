"""The reader's story list over many stories: keyset paging as the cursor and the
viewport move, live refresh from another connection's commits, and row layout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.style import Style
from textual import events

from devfeed.models import Story
from devfeed.store import Store
from devfeed.tui.widgets.story_row import RowStyles, story_row
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, result
from tests.tui_support import BLOG, feed, make_app, settle


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "t.db") as opened:
        yield opened


async def test_paging_loads_pages_by_keyset_as_the_cursor_moves(store: Store) -> None:
    await store.apply(result(BLOG, [entry(n) for n in range(500)]))
    app = make_app(store, page_size=50)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story_list = feed(app).story_list
        assert 50 <= len(story_list.stories) < 500
        assert story_list.total == 500 and story_list.has_more
        first_loaded = len(story_list.stories)
        await pilot.press("G")
        await settle(pilot)
        assert len(story_list.stories) > first_loaded
        for _ in range(100):
            if not story_list.has_more and story_list.cursor_row == 499:
                break
            await pilot.press("pagedown")
            await settle(pilot)
        assert len(story_list.stories) == 500 and not story_list.has_more
        assert story_list.cursor_row == 499
        assert [s.title for s in story_list.stories] == [f"Post number {n}" for n in range(500)]
        assert len({s.id for s in story_list.stories}) == 500


async def test_mouse_scroll_moves_the_viewport_and_loads_more(store: Store) -> None:
    await store.apply(result(BLOG, [entry(n) for n in range(200)]))
    app = make_app(store, page_size=50)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story_list = feed(app).story_list
        loaded = len(story_list.stories)
        for _ in range(30):
            story_list.post_message(
                events.MouseScrollDown(story_list, 5, 5, 0, 1, 0, False, False, False)
            )
            await settle(pilot)
        assert story_list.scroll_offset.y > 0
        assert len(story_list.stories) > loaded
        assert story_list.cursor_row == 0  # scrolling does not move the cursor


async def test_live_refresh_merges_new_stories_and_keeps_the_cursor(
    store: Store, tmp_path: Path
) -> None:
    await store.apply(result(BLOG, [entry(n) for n in range(120)]))
    app = make_app(store, page_size=50)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j")
        story_list = feed(app).story_list
        kept = story_list.highlighted_story
        assert kept is not None
        async with await Store.open(tmp_path / "t.db") as poller:  # another process's commit
            fresh = [
                entry(1000 + n, published=FROZEN_NOW + timedelta(minutes=n + 1)) for n in range(2)
            ]
            await poller.apply(result(BLOG, fresh, at=FROZEN_NOW + timedelta(minutes=5)))
        app.check_for_changes()
        await settle(pilot)
        assert [s.title for s in story_list.stories[:2]] == ["Post number 1001", "Post number 1000"]
        assert story_list.highlighted_story is not None
        assert story_list.highlighted_story.id == kept.id
        assert story_list.cursor_row == 5
        assert story_list.total == 122


def test_rows_fit_narrow_widths() -> None:
    story = Story(
        id=1,
        title="A very long title " * 10,
        url="https://example.org/",
        kind="video",
        duration_s=754,
        published=FROZEN_NOW - timedelta(days=3),
        author="Somebody",
        summary="",
        read=False,
        saved=True,
        lunch=False,
    )
    styles = RowStyles(*(Style() for _ in range(6)))
    for width in (40, 60, 80, 90, 120):
        text = story_row(story, width, now=FROZEN_NOW, long_video_s=600, styles=styles)
        assert text.cell_len <= width
        assert text.plain.startswith("●★")
        assert "3d" in text.plain
    assert "12:34" in story_row(story, 80, now=FROZEN_NOW, long_video_s=600, styles=styles).plain

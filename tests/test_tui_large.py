"""A million stories: opening the feed reads one page from the store, not the feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from devfeed.store import Cursor, FeedQuery, Page, Store
from devfeed.store.synthetic import seed_synthetic
from tests.conftest import FROZEN_NOW
from tests.tui_support import feed, make_app, settle

MILLION = 1_000_000


@pytest.mark.slow
async def test_opening_a_million_stories_reads_one_page(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    await seed_synthetic(path, MILLION, now=FROZEN_NOW, with_entries=False)
    async with await Store.open(path) as store:
        reads: list[tuple[FeedQuery, Cursor | None, int, int]] = []
        real_page = store.feed_page

        async def feed_page(query: FeedQuery, after: Cursor | None = None, limit: int = 50) -> Page:
            page = await real_page(query, after, limit)
            reads.append((query, after, limit, len(page.stories)))
            return page

        store.feed_page = feed_page  # type: ignore[method-assign]
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            story_list = feed(app).story_list
            assert reads == [(FeedQuery(), None, 50, 50)]
            assert len(story_list.stories) == 50 and story_list.has_more
            assert story_list.total == MILLION
            assert story_list.stories[0].title == "Synthetic story 0"
            assert "1,000,000 stories" in feed(app).tabs.status
            await pilot.press("G")  # the last loaded story: near the end, one more page
            await settle(pilot)
            assert len(reads) == 2 and reads[1][1] is not None and reads[1][3] == 50
            assert len(story_list.stories) == 100
            assert story_list.stories[-1].title == "Synthetic story 99"

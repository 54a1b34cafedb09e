"""The story view says where a story is discussed and who boosted it (text only, no markup)."""

from __future__ import annotations

import io
from datetime import timedelta

from rich.console import Console

from devfeed.models import Sighting, Story
from devfeed.tui.widgets import labels
from devfeed.tui.widgets.story_view import story_text
from tests.conftest import FROZEN_NOW


def _sighting(platform: str, **fields: object) -> Sighting:
    values: dict[str, object] = {
        "platform": platform,
        "author": "someone",
        "url": f"https://{platform}.example/1",
        "follow": f"{platform} follow",
        "seen_at": FROZEN_NOW - timedelta(hours=1),
    }
    values.update(fields)
    return Sighting.model_validate(values)


STORY = Story(
    id=7,
    title="What WAL mode buys a feed reader",
    url="https://blog.example.org/posts/wal-mode/",
    kind="article",
    duration_s=None,
    published=FROZEN_NOW - timedelta(days=1),
    author="Ada Lovelace",
    summary="Readers never block.",
    read=False,
    saved=False,
    lunch=False,
    seen_on=(
        _sighting("rss"),
        _sighting("lobsters", comments=14, comments_url="https://lobste.rs/s/abc123"),
        _sighting(
            "hackernews",
            comments=120,
            comments_url="https://news.ycombinator.com/item?id=41000001",
        ),
        _sighting("mastodon", boosted_by="Grace [b]Hopper[/b]"),
        _sighting("mastodon", follow="#sqlite", boosted_by="Grace [b]Hopper[/b]"),
        _sighting("reddit", comments_url="https://reddit.example/r/x/1"),
    ),
)


def test_discussions_most_commented_first_and_boosters_once() -> None:
    assert labels.discussions(STORY) == [
        "discussed on HN (120)",
        "discussed on Lobsters (14)",
        "discussed on Reddit",
    ]
    assert labels.boosted_by(STORY) == ["Grace [b]Hopper[/b]"]


def test_the_story_view_shows_them_literally() -> None:
    console = Console(width=120, record=True, color_system=None, file=io.StringIO())
    console.print(story_text(STORY, FROZEN_NOW))
    shown = console.export_text()
    assert "discussed on HN (120)" in shown
    assert "boosted by Grace [b]Hopper[/b]" in shown
    assert shown.index("discussed on HN") < shown.index("Seen on (6)")

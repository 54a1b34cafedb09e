"""Shared pieces of the reader's tests: a seeded store, the app with injected ways out
that record what they were asked, and helpers that wait on workers (never on time)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rich.console import Console
from textual.pilot import Pilot

from devfeed.config import Config, parse_config
from devfeed.models import Follow, Story
from devfeed.refresh import PollProgress, ProgressCallback
from devfeed.store import FeedQuery, Store
from devfeed.tui.app import DevfeedApp
from devfeed.tui.messages import PollProgressed, StoryChanged
from devfeed.tui.screens.lunch import LunchScreen
from devfeed.tui.screens.reader import ReaderScreen
from devfeed.tui.screens.saved import SavedScreen
from devfeed.tui.screens.sources import SourcesScreen
from devfeed.tui.widgets.story_view import story_text
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, follow, result

HOSTILE = "[/bogus] [@click=app.quit]"
SEARCH_ALL = FeedQuery()
BLOG = follow()
TUBE = Follow(platform="youtube", profile="SomeChannel")
TOOTS = Follow(platform="mastodon", instance="fosstodon.org", hashtag="python")
CONFIG_TEXT = """
[settings]
long_video_minutes = 10
lunch_minutes = 45

[[follow]]
platform = "rss"
url = "https://blog.example.org/feed.xml"

[[follow]]
platform = "youtube"
profile = "SomeChannel"

[[follow]]
platform = "mastodon"
instance = "fosstodon.org"
hashtag = "python"
"""
CONFIG = parse_config(CONFIG_TEXT)


async def seed(store: Store, articles: int = 5) -> None:
    """`articles` blog posts (post 0 newest, one hour apart), a long video at 30 min and a
    post that a Mastodon boost also brought (seen on two platforms, with a discussion)."""
    await store.apply(result(BLOG, [entry(n) for n in range(articles)]))
    video = entry(
        0,
        platform="youtube",
        native_id="vid-1",
        url="https://www.youtube.com/watch?v=abc",
        title="A long talk",
        kind="video",
        duration_s=3723,
        published=FROZEN_NOW - timedelta(minutes=30),
        tags=("talks",),
    )
    await store.apply(result(TUBE, [video]))
    boost = entry(
        1,
        platform="mastodon",
        native_id="toot-1",
        url="https://fosstodon.org/@ada/1",
        link="https://blog.example.org/post/1",
        kind="post",
        comments_url="https://fosstodon.org/@ada/1#replies",
        comments=12,
        boosted_by="Grace",
        author="Grace Hopper",
    )
    await store.apply(result(TOOTS, [boost]))


async def seed_lunch(store: Store) -> dict[str, Story]:
    """Four videos of 20, 25, 30 and 14 minutes queued for Lunch (oldest first), and two
    long unread videos from the followed channel that are not queued (suggestions)."""
    lengths = {"Twenty": 20, "Twenty-five": 25, "Thirty": 30, "Fourteen": 14, "Long one": 40,
               "Longer one": 50}  # fmt: skip
    videos = [
        entry(
            100 + n,
            platform="youtube",
            native_id=f"lunch-{n}",
            url=f"https://www.youtube.com/watch?v=lunch{n}",
            title=title,
            kind="video",
            duration_s=minutes * 60,
            published=FROZEN_NOW - timedelta(hours=2, minutes=n),
        )
        for n, (title, minutes) in enumerate(lengths.items())
    ]
    await store.apply(result(TUBE, videos))
    stories = {s.title: s for s in (await store.feed_page(SEARCH_ALL, limit=100)).stories}
    for n, title in enumerate(("Twenty", "Twenty-five", "Thirty", "Fourteen")):
        await store.lunch(stories[title].id, FROZEN_NOW - timedelta(hours=4 - n))
    return {title: await store.story(stories[title].id) for title in lengths}


@dataclass
class Recorded:
    """What the app asked the outside world to do, and the messages it handled."""

    opened: list[str] = field(default_factory=list)
    played: list[list[str]] = field(default_factory=list)
    polls: list[list[str] | None] = field(default_factory=list)
    progress: list[PollProgress] = field(default_factory=list)
    changed: list[Story] = field(default_factory=list)


class RecordingApp(DevfeedApp):
    """The real app, recording the messages the tests assert on (Textual calls the app's
    own handlers after these: no `super()` call)."""

    recorded: Recorded

    def on_poll_progressed(self, message: PollProgressed) -> None:
        self.recorded.progress.append(message.progress)

    def on_story_changed(self, message: StoryChanged) -> None:
        self.recorded.changed.append(message.story)


class FakePoll:
    """A poll runner that reports two sources and ends (the real ones are tested apart)."""

    def __init__(self, recorded: Recorded) -> None:
        self.recorded = recorded

    async def __call__(
        self, keys: Sequence[str] | None, total: int, on_progress: ProgressCallback
    ) -> PollProgress:
        self.recorded.polls.append(list(keys) if keys is not None else None)
        progress = PollProgress(total=total)
        for n in range(min(total, 2)):
            progress = PollProgress(total=total, done=n + 1, new=3 * (n + 1), last=f"new {n}")
            on_progress(progress)
        final = PollProgress(total=total, done=progress.done, new=progress.new, finished=True)
        on_progress(final)
        return final


def make_app(
    store: Store,
    *,
    config: Config = CONFIG,
    opener: bool = True,
    player: bool = True,
    poll: Any = True,
    **kwargs: Any,
) -> RecordingApp:
    recorded = Recorded()
    app = RecordingApp(
        store,
        config,
        now=lambda: FROZEN_NOW,
        open_url=recorded.opened.append if opener else None,
        play=(lambda urls: recorded.played.append(list(urls))) if player else None,
        poll=FakePoll(recorded) if poll is True else (poll or None),
        **kwargs,
    )
    app.recorded = recorded
    return app


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their messages be handled (a finished worker's message may
    start another worker: go on until a pause finds none running)."""
    for _ in range(10):
        await pilot.pause()
        if not any(worker.is_running for worker in pilot.app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in pilot.app.workers):
                return
        await pilot.app.workers.wait_for_complete()
    raise AssertionError("the workers never settled")


def feed(app: DevfeedApp) -> ReaderScreen:
    screen = app.mode_screens["feed"]
    assert isinstance(screen, ReaderScreen)
    return screen


def saved(app: DevfeedApp) -> SavedScreen:
    screen = app.mode_screens["saved"]
    assert isinstance(screen, SavedScreen)
    return screen


def lunch(app: DevfeedApp) -> LunchScreen:
    screen = app.mode_screens["lunch"]
    assert isinstance(screen, LunchScreen)
    return screen


def sources(app: DevfeedApp) -> SourcesScreen:
    screen = app.mode_screens["sources"]
    assert isinstance(screen, SourcesScreen)
    return screen


def rows(screen: ReaderScreen | SavedScreen) -> list[str]:
    """The list's visible lines as text."""
    story_list = screen.story_list
    return [story_list.render_line(y).text for y in range(story_list.size.height)]


async def highlight(pilot: Pilot[Any], screen: ReaderScreen | SavedScreen, title: str) -> Story:
    """Put the list's cursor on the loaded story titled `title` (moving by keys is tested
    on its own; here it would only cost time)."""
    story_list = screen.story_list
    story_list.focus()
    for story in story_list.stories:
        if story.title == title:
            assert story_list.select_story(story.id)
            await pilot.pause()
            return story
    raise AssertionError(f"no story titled {title!r}")


def view_text(screen: ReaderScreen | SavedScreen) -> str:
    story = screen.story_view.story
    assert story is not None
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(story_text(story, FROZEN_NOW))
    return console.export_text()

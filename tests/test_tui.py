"""The reader, driven through Pilot over a real SQLite store; behaviour is asserted
through the store and the widgets' state, never by sleeping."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.pilot import Pilot

from devfeed.config import parse_config
from devfeed.models import Follow, Story
from devfeed.store import FeedQuery, Store
from devfeed.tui.app import DevfeedApp
from devfeed.tui.screens.help import HelpScreen
from devfeed.tui.screens.reader import ReaderScreen
from devfeed.tui.widgets.story_list import StoryList
from devfeed.tui.widgets.story_view import StoryView, story_text
from devfeed.tui.widgets.view_tabs import ViewTabs
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, follow, result

HOSTILE = "[/bogus] [@click=app.quit]"
CONFIG = parse_config("[settings]\nlong_video_minutes = 10\n")
BLOG = follow()
TUBE = Follow(platform="youtube", profile="SomeChannel")
TOOTS = Follow(platform="mastodon", instance="fosstodon.org", hashtag="python")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "t.db") as opened:
        yield opened


async def seed(store: Store, articles: int = 5) -> None:
    """`articles` blog posts (post 0 newest, one hour apart), a long video at 30 min and a
    post that a Mastodon boost also brought (seen on two platforms)."""
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
    )
    await store.apply(result(TUBE, [video]))
    boost = entry(
        1,
        platform="mastodon",
        native_id="toot-1",
        url="https://fosstodon.org/@ada/1",
        link="https://blog.example.org/post/1",
        kind="post",
    )
    await store.apply(result(TOOTS, [boost]))


def make_app(store: Store, opened: list[str] | None = None, **kwargs: int) -> DevfeedApp:
    opener = opened.append if opened is not None else None
    return DevfeedApp(store, CONFIG, now=lambda: FROZEN_NOW, open_url=opener, **kwargs)


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def reader(app: DevfeedApp) -> ReaderScreen:
    screen = app.get_screen("reader") if app.screen.id != "reader" else app.screen
    assert isinstance(screen, ReaderScreen)
    return screen


def rows(app: DevfeedApp) -> list[str]:
    """The list's visible lines as text."""
    story_list = reader(app).story_list
    return [story_list.render_line(y).text for y in range(story_list.size.height)]


async def highlight(pilot: Pilot[None], title: str) -> Story:
    story_list = reader(pilot.app).story_list  # type: ignore[arg-type]
    await pilot.press("g")
    for _ in range(len(story_list.stories)):
        story = story_list.highlighted_story
        if story is not None and story.title == title:
            return story
        await pilot.press("j")
    raise AssertionError(f"no story titled {title!r}")


def preview_text(app: DevfeedApp) -> str:
    story = reader(app).story_view.story
    assert story is not None
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(story_text(story, FROZEN_NOW))
    return console.export_text()


async def test_feed_lists_stories_newest_first_with_count(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story_list = reader(app).story_list
        titles = [s.title for s in story_list.stories]
        assert titles == [
            "Post number 0",
            "A long talk",
            *(f"Post number {n}" for n in range(1, 5)),
        ]
        assert story_list.total == 6
        assert app.screen.query_one(ViewTabs).total == 6
        lines = rows(app)
        assert "Post number 0" in lines[0] and "A long talk" in lines[1]
        assert app.title == "devfeed" and "6" in str(app.screen.sub_title)


async def test_rows_show_marks_badges_duration_and_seen_on(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        lines = rows(app)
        video = next(line for line in lines if "A long talk" in line)
        assert "yt" in video and "1:02:03" in video and "30m" in video and "●" in video
        boosted = next(line for line in lines if "Post number 1 " in line + " ")
        assert "+1" in boosted and "seen on 2" in boosted
        assert "seen on" not in next(line for line in lines if "Post number 2" in line)


async def test_moving_does_not_mark_read_but_enter_does(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "k")
        await settle(pilot)
        story = reader(app).story_list.highlighted_story
        assert story is not None and story.title == "A long talk"
        assert reader(app).story_view.story == story
        assert not any(s.read for s in reader(app).story_list.stories)
        await pilot.press("enter")
        await settle(pilot)
        assert (await store.story(story.id)).read
        assert isinstance(app.focused, StoryView)
        await pilot.press("escape")
        focused: object = app.focused
        assert focused is reader(app).story_list


async def test_s_toggles_saved_in_the_store_and_the_row(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story = await highlight(pilot, "Post number 2")
        await pilot.press("s")
        await settle(pilot)
        assert (await store.story(story.id)).saved
        assert reader(app).story_list.highlighted_story.saved  # type: ignore[union-attr]
        assert "★" in rows(app)[reader(app).story_list.cursor_row]
        await pilot.press("s")
        await settle(pilot)
        assert not (await store.story(story.id)).saved
        assert len(reader(app).story_list.stories) == 6


async def test_l_queues_videos_for_lunch_but_not_articles(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        article = await highlight(pilot, "Post number 0")
        assert reader(app).check_action("toggle_lunch", ()) is None
        await pilot.press("l")
        await settle(pilot)
        assert not (await store.story(article.id)).lunch
        video = await highlight(pilot, "A long talk")
        assert reader(app).check_action("toggle_lunch", ()) is True
        await pilot.press("l")
        await settle(pilot)
        assert (await store.story(video.id)).lunch
        assert "◷" in rows(app)[reader(app).story_list.cursor_row]


async def test_r_toggles_read(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story = await highlight(pilot, "Post number 3")
        await pilot.press("r")
        await settle(pilot)
        assert (await store.story(story.id)).read
        assert not rows(app)[reader(app).story_list.cursor_row].startswith("●")
        await pilot.press("r")
        await settle(pilot)
        assert not (await store.story(story.id)).read


async def test_saved_and_lunch_views_show_exactly_the_queued_stories(store: Store) -> None:
    await seed(store)
    page = await store.feed_page(FeedQuery())
    by_title = {s.title: s for s in page.stories}
    await store.save(by_title["Post number 1"].id, FROZEN_NOW)
    await store.save(by_title["Post number 3"].id, FROZEN_NOW + timedelta(seconds=1))
    await store.lunch(by_title["A long talk"].id, FROZEN_NOW)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        story_list = reader(app).story_list
        assert [s.title for s in story_list.stories] == ["Post number 3", "Post number 1"]
        assert app.screen.query_one(ViewTabs).view.value == "saved"
        await pilot.press("3")
        await settle(pilot)
        assert [s.title for s in story_list.stories] == ["A long talk"]
        await pilot.press("l")  # taking it out of Lunch removes the row
        await settle(pilot)
        assert [s.title for s in story_list.stories] == []
        assert not (await store.story(by_title["A long talk"].id)).lunch
        assert "Lunch queue is empty" in rows(app)[0]
        await pilot.press("2", "s")
        await settle(pilot)
        assert [s.title for s in story_list.stories] == ["Post number 1"]
        assert not (await store.story(by_title["Post number 3"].id)).saved
        await pilot.press("1")
        await settle(pilot)
        assert len(story_list.stories) == 6


async def test_o_opens_the_link_through_the_injected_opener(store: Store) -> None:
    await seed(store)
    opened: list[str] = []
    app = make_app(store, opened)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story = await highlight(pilot, "A long talk")
        await pilot.press("o")
        await settle(pilot)
        assert opened == ["https://www.youtube.com/watch?v=abc"]
        assert (await store.story(story.id)).read


async def test_o_without_an_opener_only_notifies(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert app.is_running
        assert not any(s.read for s in reader(app).story_list.stories)


async def test_hostile_title_renders_literally_and_does_nothing(store: Store) -> None:
    await store.apply(result(BLOG, [entry(0, title=HOSTILE, author="[b]x[/b]", text=HOSTILE)]))
    opened: list[str] = []
    app = make_app(store, opened)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert HOSTILE in rows(app)[0]
        assert "[b]x[/b]" in rows(app)[0]
        text = preview_text(app)
        assert text.count(HOSTILE) == 2  # the title and the text
        await pilot.click("#story-list", offset=(20, 0))
        await pilot.click("#story-view", offset=(5, 1))
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert opened == []


async def test_click_selects_a_row(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#story-list", offset=(30, 3))
        await settle(pilot)
        story_list = reader(app).story_list
        assert story_list.cursor_row == 3
        assert reader(app).story_view.story == story_list.stories[3]


async def test_unread_only_hides_read_stories(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        read = await highlight(pilot, "Post number 2")
        await pilot.press("r", "u")
        await settle(pilot)
        story_list = reader(app).story_list
        assert read.id not in {s.id for s in story_list.stories}
        assert len(story_list.stories) == 5 and story_list.total == 5
        assert app.screen.query_one(ViewTabs).unread_only
        await pilot.press("u")
        await settle(pilot)
        assert len(story_list.stories) == 6


async def test_help_lists_every_binding_and_closes(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = {what for _section, _keys, what in app.screen.rows}
        for _title, bindings in app.help_sections():
            for binding in Binding.make_bindings(bindings):
                assert (binding.tooltip or binding.description) in shown
        assert ("Stories", "s", "Put the story in Saved, or take it out") in app.screen.rows
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.is_running
        await pilot.press("question_mark")
        await pilot.press("escape")
        assert isinstance(app.screen, ReaderScreen)


def test_every_binding_has_an_id_and_a_description() -> None:
    for owner in (DevfeedApp, ReaderScreen, StoryList, StoryView, HelpScreen):
        for binding in Binding.make_bindings(owner.BINDINGS):
            assert binding.id and binding.description, (owner.__name__, binding)


async def test_view_tabs_switch_views_by_click_and_keys(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#view-tabs", offset=(13, 0))
        await settle(pilot)
        assert reader(app).view.value == "saved"
        await pilot.press("v")
        await settle(pilot)
        assert reader(app).view.value == "lunch"
        await pilot.press("1")
        await settle(pilot)
        assert reader(app).view.value == "feed"


async def test_story_actions_are_disabled_on_an_empty_view(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for action in ("toggle_saved", "toggle_lunch", "toggle_read", "open_story", "read_story"):
            assert reader(app).check_action(action, ()) is None
        await pilot.press("s", "l", "r", "o", "enter")
        await settle(pilot)
        assert app.is_running
        assert "No stories yet" in rows(app)[0]


async def test_command_palette_offers_the_enabled_story_actions(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight(pilot, "Post number 0")
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Save", "Read/unread", "Open", "Quit", "Help"} <= set(titles)
        assert "Lunch" not in titles  # an article cannot go to Lunch
        assert "Lunch view" in titles and titles.count("Quit") == 1


async def test_store_errors_are_notified_not_raised(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
        await store.close()
        await pilot.press("s")
        await settle(pilot)
        assert app.is_running
        assert len(notes) >= 2, notes  # the failed write, then the failed reload


def test_nothing_is_created_at_import_time() -> None:
    import devfeed.tui.app as module

    assert not [v for v in vars(module).values() if isinstance(v, Store | DevfeedApp)]

"""The Saved, Lunch and Sources screens under Pilot over a real store: every action is
asserted through the store (or feeds.toml) and what the screen shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, SelectionList

from devfeed.api import collect
from devfeed.config import load_config
from devfeed.demo import demo_config
from devfeed.models import PollStatus
from devfeed.refresh import PollProgress, ProgressCallback
from devfeed.store import FeedQuery, Store, View
from devfeed.tui.screens.lunch import LunchScreen
from devfeed.tui.screens.prompt import ConfirmScreen, PromptScreen
from devfeed.tui.screens.reader import ReaderScreen
from devfeed.tui.widgets.status_bar import StatusBar
from tests.conftest import FROZEN_NOW
from tests.helpers import result
from tests.tui_support import (
    BLOG,
    CONFIG_TEXT,
    TOOTS,
    TUBE,
    feed,
    highlight,
    lunch,
    make_app,
    rows,
    saved,
    seed,
    seed_lunch,
    settle,
    sources,
    view_text,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "t.db") as opened:
        yield opened


async def saved_order(store: Store) -> list[str]:
    return [s.title for s in await collect(store, FeedQuery(view=View.SAVED), None)]


async def save_three(store: Store) -> None:
    await seed(store)
    stories = {s.title: s for s in await collect(store, FeedQuery(), None)}
    for n, title in enumerate(("Post number 1", "Post number 2", "Post number 3")):
        await store.save(stories[title].id, FROZEN_NOW - timedelta(seconds=10 - n))


# -- Saved -----------------------------------------------------------------------------------
async def test_saved_shows_the_queue_and_reorders_it(store: Store) -> None:
    await save_three(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = saved(app)
        assert [s.title for s in screen.story_list.stories] == [
            "Post number 3", "Post number 2", "Post number 1"
        ]  # fmt: skip
        await highlight(pilot, screen, "Post number 1")
        await pilot.press("K")
        await settle(pilot)
        assert await saved_order(store) == ["Post number 3", "Post number 1", "Post number 2"]
        assert [s.title for s in screen.story_list.stories] == await saved_order(store)
        assert screen.story is not None and screen.story.title == "Post number 1"
        await pilot.press("ctrl+up")
        await settle(pilot)
        assert await saved_order(store) == ["Post number 1", "Post number 3", "Post number 2"]
        await pilot.press("K")  # on top already: nothing moves
        await pilot.press("J", "J")
        await settle(pilot)
        assert await saved_order(store) == ["Post number 3", "Post number 2", "Post number 1"]


async def test_saved_removes_with_d_and_follows_saves_made_in_the_feed(store: Store) -> None:
    await save_three(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = saved(app)
        await highlight(pilot, screen, "Post number 2")
        await pilot.press("d")
        await settle(pilot)
        assert await saved_order(store) == ["Post number 3", "Post number 1"]
        assert [s.title for s in screen.story_list.stories] == ["Post number 3", "Post number 1"]
        await pilot.press("1")
        await settle(pilot)
        assert "★" not in next(line for line in rows(feed(app)) if "Post number 2" in line)
        await highlight(pilot, feed(app), "A long talk")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert screen.story_list.stories[0].title == "A long talk"
        await pilot.press("d", "d", "d")
        await settle(pilot)
        assert await saved_order(store) == []
        assert "Nothing saved yet" in rows(screen)[0]
        assert screen.check_action("remove", ()) is None


async def test_e_exports_saved_to_the_file_the_user_names(store: Store, tmp_path: Path) -> None:
    await save_three(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        field = app.screen.query_one(Input)
        assert field.value == str(Path.home() / "devfeed-saved-2026-11-28.md")
        target = tmp_path / "out" / "saved.json"
        target.parent.mkdir()
        field.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        text = target.read_text(encoding="utf-8")
        assert '"title": "Post number 3"' in text and text.index("number 3") < text.index(
            "number 1"
        )
        assert app.status_text == f"wrote {target} (3 stories)"
        await pilot.press("e", "enter")
        await settle(pilot)
        markdown = (Path.home() / "devfeed-saved-2026-11-28.md").read_text(encoding="utf-8")
        assert markdown.startswith("# devfeed: Saved") and "Post number 2" in markdown
        await pilot.press("e", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, PromptScreen)


async def test_an_export_that_cannot_be_written_is_a_notification(store: Store) -> None:
    await save_three(store)
    app = make_app(store)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
        saved(app).export(Path("/nonexistent-dir/saved.md"))
        await settle(pilot)
        assert app.is_running and any("cannot write" in note for note in notes)


# -- Lunch -----------------------------------------------------------------------------------
async def test_lunch_shows_the_queue_the_plan_and_the_total(store: Store) -> None:
    videos = await seed_lunch(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = lunch(app)
        assert isinstance(app.screen, LunchScreen)
        assert [s.title for s in screen.queue] == ["Twenty", "Twenty-five", "Thirty", "Fourteen"]
        assert {v.id for v in screen.plan.videos} == {videos["Twenty"].id, videos["Twenty-five"].id}
        summary = str(screen.summary())
        assert "Plan: 2 videos, 45:00 of 45:00" in summary
        assert "Queue: 4 videos, 1:29:00 in all" in summary
        cells = [str(screen.queue_table.get_cell_at((row, 0))) for row in range(4)]
        assert cells == ["▶", "▶", " ", " "]
        assert [s.title for s in screen.suggestion_table.stories] == ["Long one", "Longer one"]


async def test_the_break_changes_in_place_and_the_plan_follows(store: Store) -> None:
    videos = await seed_lunch(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = lunch(app)
        await pilot.press("minus")
        assert screen.minutes == 40
        assert {v.id for v in screen.plan.videos} == {
            videos["Twenty-five"].id, videos["Fourteen"].id
        }  # fmt: skip
        await pilot.press("plus", "plus", "plus")
        assert screen.minutes == 55
        assert screen.plan.total_s == 55 * 60  # 25 + 30
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "90"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.minutes == 90 and screen.plan.total_s == 89 * 60  # all four
        assert "Break 90 min" in str(screen.summary())


async def test_p_plays_the_plan_and_d_marks_watched(store: Store) -> None:
    videos = await seed_lunch(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = lunch(app)
        await pilot.press("p")
        await settle(pilot)
        assert app.recorded.played == [
            ["https://www.youtube.com/watch?v=lunch0", "https://www.youtube.com/watch?v=lunch1"]
        ]
        assert "playing the plan: 2 videos, 45:00" in app.status_text
        await pilot.press("d")  # the first row: Twenty
        await settle(pilot)
        watched = await store.story(videos["Twenty"].id)
        assert not watched.lunch and watched.lunch_done_at == FROZEN_NOW
        assert [s.title for s in screen.queue] == ["Twenty-five", "Thirty", "Fourteen"]
        await pilot.press("D")  # the new plan: 25 + 14 = 39 (or 30 + 14 = 44)
        await settle(pilot)
        assert [s.title for s in screen.queue] == ["Twenty-five"]
        assert not (await store.story(videos["Thirty"].id)).lunch


async def test_x_takes_a_video_out_and_a_accepts_a_suggestion(store: Store) -> None:
    videos = await seed_lunch(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        screen = lunch(app)
        await pilot.press("x")
        await settle(pilot)
        story = await store.story(videos["Twenty"].id)
        assert not story.lunch and not story.read  # out of the queue, not watched
        screen.suggestion_table.focus()
        await pilot.press("j", "a")
        await settle(pilot)
        assert (await store.story(videos["Longer one"].id)).lunch
        assert "Longer one" in [s.title for s in screen.queue]
        # taken out unwatched, "Twenty" is a suggestion again (it is still unread)
        assert [s.title for s in screen.suggestions] == ["Twenty", "Long one"]
        screen.queue_table.focus()
        await pilot.press("G", "o", "v")  # the last queued: Longer one
        assert app.recorded.opened == ["https://www.youtube.com/watch?v=lunch5"]
        assert app.recorded.played == [["https://www.youtube.com/watch?v=lunch5"]]


async def test_an_empty_lunch_queue_says_how_to_fill_it(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert "The queue is empty" in str(lunch(app).summary())
        for action in ("play_plan", "watched", "remove", "accept"):
            assert lunch(app).check_action(action, ()) is None
        await pilot.press("p", "d", "x", "a")
        await settle(pilot)
        assert app.recorded.played == [] and app.is_running


# -- Sources ---------------------------------------------------------------------------------
async def seed_sources(store: Store) -> None:
    await seed(store)
    failed = result(
        TUBE,
        status=PollStatus.FAILED,
        error="HTTP 404 Not Found",
        failures=2,
        at=FROZEN_NOW - timedelta(minutes=5),
    )
    await store.apply(failed)


async def test_sources_list_every_follow_with_its_state_error_and_hint(store: Store) -> None:
    await seed_sources(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen = sources(app)
        table = screen.table
        assert [str(table.get_cell_at((row, 1))) for row in range(3)] == [
            BLOG.label, TUBE.label, TOOTS.label
        ]  # fmt: skip
        assert str(table.get_cell_at((1, 2))) == "failed ×2"
        assert str(table.get_cell_at((0, 4))) == "5"  # unread stories from the blog
        await pilot.press("j")
        detail = str(screen.query_one("#source-detail").render())
        assert "error: HTTP 404 Not Found" in detail and "hint: the address is gone" in detail
        assert "3 follows · 1 failing" in screen.query_one("#mode-tabs").status  # type: ignore[attr-defined]


async def test_space_pauses_and_resumes_a_follow(store: Store) -> None:
    await seed_sources(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert (await store.fetch_states())[BLOG.key].paused_at == FROZEN_NOW
        assert str(sources(app).table.get_cell_at((0, 2))) == "paused"
        await pilot.press("R")
        await settle(pilot)
        assert app.recorded.progress[-1].total == 2  # the paused one is not polled
        await pilot.press("space")
        await settle(pilot)
        assert (await store.fetch_states())[BLOG.key].paused_at is None


async def test_p_polls_one_follow_and_enter_shows_its_stories(store: Store) -> None:
    await seed_sources(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("j", "p")
        await settle(pilot)
        assert app.recorded.polls == [[TUBE.key]]
        await pilot.press("k", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert feed(app).filters.follows == {BLOG.key}
        assert len(feed(app).story_list.stories) == 5


async def test_d_removes_a_follow_from_feeds_toml_after_confirming(
    store: Store, tmp_path: Path
) -> None:
    await seed_sources(store)
    path = tmp_path / "feeds.toml"
    path.write_text("# mine\n" + CONFIG_TEXT, encoding="utf-8")
    app = make_app(store, config=load_config(path, explicit=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("j", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert "SomeChannel" in path.read_text(encoding="utf-8")
        await pilot.press("d", "y")
        await settle(pilot)
        text = path.read_text(encoding="utf-8")
        assert "SomeChannel" not in text and text.startswith("# mine")
        assert [s.follow.key for s in sources(app).sources] == [BLOG.key, TOOTS.key]
        assert app.context.config.path == path
        assert f"removed {TUBE.label} from {path}" in app.status_text
        assert await store.count(FeedQuery(platforms=frozenset({"youtube"}))) == 1  # kept


async def test_quick_moves_in_saved_end_with_the_stored_order_on_screen(store: Store) -> None:
    # keys pressed faster than the writes finish: every move is written, in order, and the
    # screen shows the order the store has (a later J moves from the stored place)
    await seed(store)
    stories = {s.title: s for s in await collect(store, FeedQuery(), None)}
    for n in range(4):  # saved within one second (`devfeed save` in a loop): equal ranks
        await store.save(stories[f"Post number {n}"].id, FROZEN_NOW)
    first, second, third, last = await saved_order(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = saved(app)
        await pilot.press("G")
        await pilot.press("K")
        await pilot.press("K")
        await settle(pilot)
        moved = screen.story
        assert moved is not None and moved.title == last
        stored = await saved_order(store)
        assert stored == [first, last, second, third]  # one place per key, not to the top
        assert [s.title for s in screen.story_list.stories] == stored
        await pilot.press("J")
        await settle(pilot)
        assert screen.story is not None and screen.story.id == moved.id
        stored = await saved_order(store)
        assert stored == [first, second, last, third]
        assert [s.title for s in screen.story_list.stories] == stored


async def test_g_G_home_and_end_go_to_the_first_and_last_row_of_the_tables(store: Store) -> None:
    await seed_sources(store)
    await seed_lunch(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        table = sources(app).table
        for key, row in (("G", 2), ("g", 0), ("end", 2), ("home", 0)):
            await pilot.press(key)
            assert table.cursor_row == row, key
            assert sources(app).source is not None
            assert sources(app).source.follow.key == [BLOG, TUBE, TOOTS][row].key  # type: ignore[union-attr]
        await pilot.press("3")
        await settle(pilot)
        queue = lunch(app).queue_table
        for key, row in (("end", 3), ("home", 0)):
            await pilot.press(key)
            assert queue.cursor_row == row, key


async def test_the_demo_refuses_to_remove_its_follows_and_writes_no_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a `<demo>` file would land here
    user_file = tmp_path / "config" / "feeds.toml"
    config = demo_config()
    app = make_app(store, config=config, user_config_path=user_file)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
        first = sources(app).source
        assert first is not None
        await pilot.press("d")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert any("come with the demo" in note for note in notes)
        assert "stays" in app.status_text and "not following" not in app.status_text
        assert app.context.config is config
        assert [s.follow.key for s in sources(app).sources] == [f.key for f in config.follows]
    assert not user_file.exists()
    assert not (tmp_path / "<demo>").exists()


async def test_the_story_view_shows_the_users_note_and_tags_as_written(store: Store) -> None:
    await save_three(store)
    stories = {s.title: s for s in await collect(store, FeedQuery(), None)}
    story_id = stories["Post number 3"].id
    await store.set_note(story_id, "for the talk [bold red]not markup[/]\nsecond line\x1b[31m")
    await store.set_saved_tags(story_id, ["db", "[@click=app.quit]"])
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = saved(app)
        assert screen.story is not None and screen.story.id == story_id
        text = view_text(screen)
        assert "your tags: #db #[@click=app.quit]" in text
        assert "your note: for the talk [bold red]not markup[/]\nsecond line" in text
        assert "\x1b" not in text
        await pilot.press("j")  # a story with neither shows no such lines
        assert "your note" not in view_text(screen) and "your tags" not in view_text(screen)


async def test_tag_search_and_the_tag_filter_find_the_users_own_tags(store: Store) -> None:
    await save_three(store)
    stories = {s.title: s for s in await collect(store, FeedQuery(), None)}
    await store.set_saved_tags(stories["Post number 2"].id, ["db"])
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = feed(app)
        await pilot.press("slash", *"tag:db", "enter")
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["Post number 2"]
        await pilot.press("x")
        await settle(pilot)
        tags = screen.query_one("#filter-tags", SelectionList)
        offered = [tags.get_option_at_index(i).value for i in range(tags.option_count)]
        assert "db" in offered
        tags.focus()
        tags.highlighted = offered.index("db")
        await pilot.press("space")
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["Post number 2"]


async def test_the_status_line_forgets_what_was_done_on_another_screen(store: Store) -> None:
    await seed_lunch(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert app.status_text == "1 video marked watched"
        await pilot.press("4")
        await settle(pilot)
        assert app.status_text == ""
        bar = app.screen.query_one("#status-bar", StatusBar)
        assert "? lists every key" in str(bar.render())


async def test_a_running_polls_progress_stays_when_the_screen_changes(store: Store) -> None:
    release = asyncio.Event()

    async def slow_poll(
        keys: Sequence[str] | None, total: int, on_progress: ProgressCallback
    ) -> PollProgress:
        on_progress(PollProgress(total=total, done=1, new=2))
        await release.wait()
        final = PollProgress(total=total, done=total, new=2, finished=True)
        on_progress(final)
        return final

    app = make_app(store, poll=slow_poll)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await pilot.pause()
        assert app.status_text.startswith("polling 1/3")
        await pilot.press("2")
        await pilot.pause()
        assert app.status_text.startswith("polling 1/3")
        release.set()
        await settle(pilot)
        assert app.status_text == "polled 3 sources: 2 new"

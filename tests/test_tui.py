"""The Feed screen and the actions on a story, driven through Pilot over a real SQLite
store; behaviour is asserted through the store, the widgets and the recorded messages,
never by sleeping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.binding import Binding
from textual.widgets import Input, SelectionList

from devfeed.cli import main
from devfeed.config import parse_config
from devfeed.errors import ConfigError
from devfeed.store import Store
from devfeed.tui.app import DevfeedApp
from devfeed.tui.keymap import key_error
from devfeed.tui.screens.help import HelpScreen
from devfeed.tui.screens.lunch import LunchScreen, StoryTable
from devfeed.tui.screens.reader import ReaderScreen
from devfeed.tui.screens.saved import SavedScreen
from devfeed.tui.screens.sources import SourcesScreen, SourceTable
from devfeed.tui.screens.stories import StoryScreen
from devfeed.tui.widgets.mode_tabs import ModeTabs
from devfeed.tui.widgets.story_list import StoryList
from devfeed.tui.widgets.story_view import StoryView
from tests.helpers import entry, result
from tests.tui_support import (
    BLOG,
    CONFIG_TEXT,
    HOSTILE,
    feed,
    highlight,
    make_app,
    rows,
    seed,
    settle,
    view_text,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(tmp_path / "t.db") as opened:
        yield opened


async def test_feed_lists_stories_newest_first_with_count(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story_list = feed(app).story_list
        assert [s.title for s in story_list.stories] == [
            "Post number 0",
            "A long talk",
            *(f"Post number {n}" for n in range(1, 5)),
        ]
        assert story_list.total == 6
        assert "6 stories" in feed(app).tabs.status
        lines = rows(feed(app))
        assert "Post number 0" in lines[0] and "A long talk" in lines[1]
        assert app.title == "devfeed" and "6" in str(app.screen.sub_title)


async def test_rows_show_marks_badges_duration_comments_and_seen_on(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        lines = rows(feed(app))
        video = next(line for line in lines if "A long talk" in line)
        assert "yt" in video and "1:02:03" in video and "30m" in video and "●" in video
        boosted = next(line for line in lines if "Post number 1 " in line + " ")
        assert "+1" in boosted and "seen on 2" in boosted and "↩12" in boosted
        assert "seen on" not in next(line for line in lines if "Post number 2" in line)


async def test_moving_does_not_mark_read_but_enter_does(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "k")
        await settle(pilot)
        story = feed(app).story
        assert story is not None and story.title == "A long talk"
        assert feed(app).story_view.story == story
        assert not any(s.read for s in feed(app).story_list.stories)
        await pilot.press("enter")
        await settle(pilot)
        assert (await store.story(story.id)).read
        assert isinstance(app.focused, StoryView)
        assert [s.id for s in app.recorded.changed] == [story.id]
        await pilot.press("escape")
        assert app.focused is feed(app).story_list


async def test_s_toggles_saved_in_the_store_and_the_row(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story = await highlight(pilot, feed(app), "Post number 2")
        await pilot.press("s")
        await settle(pilot)
        assert (await store.story(story.id)).saved
        assert "★" in rows(feed(app))[feed(app).story_list.cursor_row]
        await pilot.press("s")
        await settle(pilot)
        assert not (await store.story(story.id)).saved
        assert len(feed(app).story_list.stories) == 6


async def test_l_queues_videos_for_lunch_but_not_articles(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        article = await highlight(pilot, feed(app), "Post number 0")
        assert feed(app).check_action("toggle_lunch", ()) is None
        await pilot.press("l")
        await settle(pilot)
        assert not (await store.story(article.id)).lunch
        video = await highlight(pilot, feed(app), "A long talk")
        assert feed(app).check_action("toggle_lunch", ()) is True
        await pilot.press("l")
        await settle(pilot)
        assert (await store.story(video.id)).lunch
        assert "◷" in rows(feed(app))[feed(app).story_list.cursor_row]


async def test_r_toggles_read(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story = await highlight(pilot, feed(app), "Post number 3")
        await pilot.press("r")
        await settle(pilot)
        assert (await store.story(story.id)).read
        assert not rows(feed(app))[feed(app).story_list.cursor_row].startswith("●")
        await pilot.press("r")
        await settle(pilot)
        assert not (await store.story(story.id)).read


async def test_o_opens_the_link_through_the_injected_opener(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story = await highlight(pilot, feed(app), "A long talk")
        await pilot.press("o")
        await settle(pilot)
        assert app.recorded.opened == ["https://www.youtube.com/watch?v=abc"]
        assert (await store.story(story.id)).read
        assert "opened https://www.youtube.com/watch?v=abc" in app.status_text


async def test_o_without_an_opener_only_notifies(store: Store) -> None:
    await seed(store)
    app = make_app(store, opener=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert app.is_running
        assert not any(s.read for s in feed(app).story_list.stories)


async def test_v_plays_a_video_in_the_player_but_not_an_article(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight(pilot, feed(app), "Post number 0")
        assert feed(app).check_action("play_story", ()) is None
        await pilot.press("v")
        video = await highlight(pilot, feed(app), "A long talk")
        await pilot.press("v")
        await settle(pilot)
        assert app.recorded.played == [["https://www.youtube.com/watch?v=abc"]]
        assert (await store.story(video.id)).read


async def test_the_story_view_numbers_links_and_a_digit_opens_one(store: Store) -> None:
    await store.apply(
        result(BLOG, [entry(0, text="See https://docs.example.org/guide and https://x.example/y.")])
    )
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight(pilot, feed(app), "Post number 1")
        text = view_text(feed(app))
        assert "1  the story  https://blog.example.org/post/1" in text
        assert (
            "2  discussion on mastodon (12 comments)  https://fosstodon.org/@ada/1#replies" in text
        )
        assert "boosted by Grace" in text
        await pilot.press("enter", "2")
        await settle(pilot)
        assert app.recorded.opened == ["https://fosstodon.org/@ada/1#replies"]
        await pilot.press("9")  # no link 9: rings, and does not switch screens
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("escape")
        await highlight(pilot, feed(app), "Post number 0")
        text = view_text(feed(app))
        assert "https://docs.example.org/guide [2]" in text and "https://x.example/y [3]" in text
        await pilot.press("enter", "3")
        assert app.recorded.opened[-1] == "https://x.example/y"


async def test_hostile_title_renders_literally_and_does_nothing(store: Store) -> None:
    await store.apply(result(BLOG, [entry(0, title=HOSTILE, author="[b]x[/b]", text=HOSTILE)]))
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert HOSTILE in rows(feed(app))[0]
        assert "[b]x[/b]" in rows(feed(app))[0]
        assert view_text(feed(app)).count(HOSTILE) == 2  # the title and the text
        await pilot.click("#story-list", offset=(20, 0))
        await pilot.click("#story-view", offset=(5, 1))
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert app.recorded.opened == []


async def test_click_selects_a_row(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#story-list", offset=(30, 3))
        await settle(pilot)
        story_list = feed(app).story_list
        assert story_list.cursor_row == 3
        assert feed(app).story_view.story == story_list.stories[3]


async def test_unread_only_hides_read_stories(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        read = await highlight(pilot, feed(app), "Post number 2")
        await pilot.press("r", "u")
        await settle(pilot)
        story_list = feed(app).story_list
        assert read.id not in {s.id for s in story_list.stories}
        assert len(story_list.stories) == 5 and story_list.total == 5
        assert "unread only" in feed(app).tabs.status
        assert feed(app).filter_pane.filters.unread_only
        await pilot.press("u")
        await settle(pilot)
        assert len(story_list.stories) == 6


async def test_t_sorts_by_places_seen_and_back(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        story_list = feed(app).story_list
        newest = [s.title for s in story_list.stories]
        assert newest[:2] == ["Post number 0", "A long talk"]
        await pilot.press("t")
        await settle(pilot)
        top = [s.title for s in story_list.stories]
        assert top[0] == "Post number 1" and len(story_list.stories[0].seen_on) == 2
        assert sorted(top) == sorted(newest) and top[1:3] == newest[:2]
        assert "most seen first" in feed(app).tabs.status
        await pilot.press("t")
        await settle(pilot)
        assert [s.title for s in story_list.stories] == newest
        assert "most seen first" not in feed(app).tabs.status


async def test_panes_toggle_and_one_always_stays(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = feed(app)
        assert screen.filter_pane.display and screen.story_view.display
        await pilot.press("p")
        assert not screen.story_view.display and screen.story_list.display
        await pilot.press("z")  # hiding the list too brings the story view back
        assert screen.story_view.display and not screen.story_list.display
        assert app.focused is screen.story_view
        await pilot.press("escape")
        assert screen.story_list.display and app.focused is screen.story_list
        await pilot.press("f")  # shown but not focused: go there
        assert screen.filter_pane.has_focus_within
        await pilot.press("f")
        assert not screen.filter_pane.display and app.focused is screen.story_list


async def test_a_narrow_terminal_starts_without_the_filter_pane(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not feed(app).filter_pane.display
        assert len(feed(app).story_list.stories) == 6


async def test_filter_pane_filters_by_platform_kind_follow_and_tag(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = feed(app)
        platforms = screen.query_one("#filter-platforms", SelectionList)
        assert [platforms.get_option_at_index(i).value for i in range(platforms.option_count)] == [
            "mastodon",
            "rss",
            "youtube",
        ]
        platforms.focus()
        platforms.highlighted = 2
        await pilot.press("space")  # youtube
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["A long talk"]
        assert "youtube" in screen.tabs.status
        await pilot.press("up", "up", "space")  # mastodon too: either platform
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["A long talk", "Post number 1"]
        kinds = screen.query_one("#filter-kinds", SelectionList)
        kinds.focus()
        kinds.highlighted = 0
        await pilot.press("space")  # videos, and (youtube or mastodon)
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["A long talk"]
        await pilot.press("x")
        await settle(pilot)
        assert len(screen.story_list.stories) == 6 and not platforms.selected
        tags = screen.query_one("#filter-tags", SelectionList)
        assert tags.get_option_at_index(0).value == "python"
        await pilot.click("#filter-tags", offset=(4, 1))  # the second tag: #talks
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["A long talk"]
        screen.set_filters(screen.filter_pane.filters.__class__(follows=frozenset({BLOG.key})))
        await settle(pilot)
        assert len(screen.story_list.stories) == 5
        follows = screen.query_one("#filter-follows", SelectionList)
        assert follows.selected == [BLOG.key]


async def test_slash_searches_and_x_clears(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = feed(app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"author:ada", "space", "minus", "1")  # letters go to the input
        assert screen.search_bar.value == "author:ada -1" and not app.recorded.changed
        await pilot.press("enter")
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == [
            "Post number 0", "A long talk", "Post number 2", "Post number 3", "Post number 4"
        ]  # fmt: skip
        assert "/author:ada* -1" in screen.tabs.status
        assert app.focused is screen.story_list
        await pilot.press("slash")
        screen.search_bar.value = '"long talk"'
        await pilot.press("enter")
        await settle(pilot)
        assert [s.title for s in screen.story_list.stories] == ["A long talk"]
        await pilot.press("slash", "x", "escape")  # escape leaves the search as it was
        await settle(pilot)
        assert screen.search == '"long talk"'
        await pilot.press("x")
        await settle(pilot)
        assert screen.search == "" and len(screen.story_list.stories) == 6
        assert not screen.search_bar.display
        await pilot.press("slash")
        screen.search_bar.value = "nothingmatchesthis"
        await pilot.press("enter")
        await settle(pilot)
        assert "Nothing matches" in rows(screen)[0]


async def test_help_lists_every_binding_of_every_screen_and_closes(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = {what for _section, _keys, what in app.screen.rows}
        for binding in app.every_binding():
            assert (binding.tooltip or binding.description) in shown
        assert ("Stories (Feed and Saved)", "s", "Put the story in Saved, or take it out") in (
            app.screen.rows
        )
        assert any(keys == "1 / 2 / 3 / 4 / 5 / 6 / 7 / 8 / 9" for _, keys, _ in app.screen.rows)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.is_running
        await pilot.press("question_mark", "escape")
        assert isinstance(app.screen, ReaderScreen)


def test_every_binding_has_an_id_and_a_description() -> None:
    owners = (DevfeedApp, StoryScreen, ReaderScreen, SavedScreen, LunchScreen, SourcesScreen,
              StoryList, StoryView, StoryTable, SourceTable, HelpScreen)  # fmt: skip
    for owner in owners:
        for binding in Binding.make_bindings(owner.BINDINGS):
            assert binding.id and binding.description, (owner.__name__, binding)


async def test_mode_tabs_switch_screens_by_click_and_keys(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#mode-tabs", offset=(21, 0))
        await settle(pilot)
        assert isinstance(app.screen, SavedScreen)
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(app.screen, LunchScreen)
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, SourcesScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.query_one(ModeTabs).mode == "feed"


async def test_story_actions_are_disabled_on_an_empty_feed(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for action in ("toggle_saved", "toggle_lunch", "toggle_read", "open_story", "read_story",
                       "play_story"):  # fmt: skip
            assert feed(app).check_action(action, ()) is None
        await pilot.press("s", "l", "r", "o", "v", "enter")
        await settle(pilot)
        assert app.is_running and app.recorded.changed == []
        assert "No stories yet" in rows(feed(app))[0]


async def test_command_palette_offers_the_enabled_actions_and_the_links(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight(pilot, feed(app), "Post number 1")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Save", "Read/unread", "Open", "Quit", "Help", "Search", "Filters", "Poll"} <= set(
            commands
        )
        assert {"Feed", "Saved", "Lunch", "Sources", "Story pane", "List pane"} <= set(commands)
        assert "Lunch" in commands and "Play" not in commands  # an article cannot be played
        assert list(commands).count("Quit") == 1
        link = commands["Open link 2: discussion on mastodon (12 comments)"]
        link.callback()
        assert app.recorded.opened == ["https://fosstodon.org/@ada/1#replies"]


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


async def test_the_users_keymap_changes_keys(store: Store) -> None:
    await seed(store)
    config = parse_config(CONFIG_TEXT + '\n[keys]\nsave = "S"\ndown = "n,down"\n')
    app = make_app(store, config=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = feed(app).story
        assert first is not None
        await pilot.press("s")
        await settle(pilot)
        assert not (await store.story(first.id)).saved
        await pilot.press("S")
        await settle(pilot)
        assert (await store.story(first.id)).saved
        await pilot.press("n")
        assert feed(app).story_list.cursor_row == 1
        await pilot.press("question_mark")
        assert ("Stories (Feed and Saved)", "S", "Put the story in Saved, or take it out") in (
            app.screen.rows  # type: ignore[attr-defined]
        )


async def test_an_unknown_key_name_is_a_config_error_with_a_hint(store: Store) -> None:
    config = parse_config(CONFIG_TEXT + '\n[keys]\nsav = "S"\n')
    with pytest.raises(ConfigError, match=r"\[keys\]: sav: .*did you mean 'save'"):
        make_app(store, config=config)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('save = "notakey"', r"\[keys\]: save: 'notakey': 'notakey' is not a key; a key is"),
        ('save = "ctrl+shift+alt+Ω"', r"\[keys\]: save: 'ctrl\+shift\+alt\+Ω': .*ASCII keys"),
        ('open = "o,,"', r"\[keys\]: open: 'o,,': an empty key"),
        ('help = "super+h"', r"\[keys\]: help: .*'super' in 'super\+h' is not ctrl, shift or alt"),
        ('save = "j"', r"\[keys\]: save: 'j': 'j' would be both Save \(story.save\) in the Feed "
         r"screen and Down \(list.down\) in the story list"),
        ('"story.play" = "1"', r"\[keys\]: story.play: '1': .*Play \(story.play\).*Feed "
         r"\(screen.feed\) in every screen"),
        ('save = "o"', r"\[keys\]: save: .*Save \(story.save\).*Open \(story.open\)"),
        ('help = "R"', r"\[keys\]: help: .*Help \(app.help\).*Poll \(app.poll\)"),
    ],
)  # fmt: skip
async def test_keys_that_are_not_keys_or_clash_are_config_errors(
    store: Store, line: str, message: str
) -> None:
    config = parse_config(CONFIG_TEXT + f"\n[keys]\n{line}\n")
    with pytest.raises(ConfigError, match=message):
        make_app(store, config=config)


def test_every_default_key_passes_the_check() -> None:
    for binding in DevfeedApp.every_binding():
        assert all(key_error(key.strip()) is None for key in binding.key.split(",")), binding


async def test_keys_with_modifiers_names_and_swaps_work(store: Store) -> None:
    await seed(store)
    keys = '[keys]\nsave = "ctrl+s"\nhelp = "f1"\nopen = "s"\n"list.first" = "home,ctrl+home"\n'
    app = make_app(store, config=parse_config(CONFIG_TEXT + "\n" + keys))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = feed(app).story
        assert first is not None
        await pilot.press("j", "ctrl+home")
        assert feed(app).story_list.cursor_row == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await store.story(first.id)).saved
        await pilot.press("s")  # s now opens (the keys swapped: no clash)
        assert app.recorded.opened == [first.url]
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


def test_the_cli_exits_2_on_a_bad_key(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(CONFIG_TEXT + '\n[keys]\nopen = "o,,"\n', encoding="utf-8")
    done = CliRunner().invoke(main, ["--config", str(path), "--db", str(tmp_path / "t.db"), "tui"])
    assert done.exit_code == 2, done.output
    assert "[keys]" in done.output and "'o,,': an empty key" in done.output


async def test_r_polls_in_a_worker_with_progress_in_the_status_line(store: Store) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert app.recorded.polls == [None]
        progress = app.recorded.progress  # progress messages replace each other
        assert progress and progress[-1].finished and progress[-1].done == 2
        assert progress[-1].total == 3  # every follow, none paused
        assert app.status_text == "polled 2 sources: 6 new"
        assert app.polling is None and app.check_action("poll", ()) is True


async def test_without_a_poller_r_is_disabled(store: Store) -> None:
    app = make_app(store, poll=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.check_action("poll", ()) is None
        await pilot.press("R")
        await settle(pilot)
        assert app.recorded.progress == []


def test_nothing_is_created_at_import_time() -> None:
    import devfeed.tui.app as module

    assert not [v for v in vars(module).values() if isinstance(v, Store | DevfeedApp)]


async def test_f_puts_the_keys_on_the_first_filter_list(store: Store) -> None:
    await seed(store)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = feed(app)
        kinds = screen.query_one("#filter-kinds", SelectionList)
        await pilot.press("f")  # the pane is shown (wide terminal): f moves into it
        assert app.focused is kinds
        await pilot.press("space")  # videos
        await settle(pilot)
        assert screen.filter_pane.filters.kinds == {"videos"}
        assert [s.title for s in screen.story_list.stories] == ["A long talk"]
        await pilot.press("down", "enter")  # articles too
        await settle(pilot)
        assert screen.filter_pane.filters.kinds == {"videos", "articles"}
        await pilot.press("f", "f")  # hidden, then shown again: the keys are in it again
        assert screen.filter_pane.display and app.focused is kinds

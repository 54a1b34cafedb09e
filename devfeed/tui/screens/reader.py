"""The reader screen: the view tabs, the story list, the preview, and actions on a story.

Owns which view and filter are shown, the live-refresh timer, and the workers that write
the user's state (read, Saved, Lunch) through the `Store` facade. Must not parse, fetch
or write SQL, and must not block: every store call runs in a worker that posts a message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from devfeed.errors import DevfeedError
from devfeed.models import Story
from devfeed.sanitize import clean_line, safe_url
from devfeed.store import FeedQuery, Store, View
from devfeed.tui.messages import (
    DataVersionChecked,
    StoriesLoaded,
    StoryChanged,
    StoryHighlighted,
    ViewTabClicked,
)
from devfeed.tui.widgets.story_list import StoryList
from devfeed.tui.widgets.story_view import StoryView
from devfeed.tui.widgets.view_tabs import VIEW_TABS, ViewTabs

LUNCH_KINDS = frozenset({"video", "podcast"})
"""Kinds that may go to Lunch. A domain rule: it belongs in the core (no core API has it yet)."""
STORY_ACTIONS = frozenset(
    {"read_story", "open_story", "toggle_saved", "toggle_lunch", "toggle_read"}
)
REFRESH_SECONDS = 2.0
Field = Literal["read", "saved", "lunch"]


def in_view(view: View, story: Story) -> bool:
    """Whether a story still belongs in a view after its state changed."""
    if view is View.SAVED:
        return story.saved
    if view is View.LUNCH:
        return story.lunch
    return True


class ReaderScreen(Screen[None]):
    """The feed, Saved and Lunch views over one list, with a preview below it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "1",
            "show_view('feed')",
            "Feed view",
            show=False,
            id="view.feed",
            tooltip="Show the feed: every story, newest first",
        ),
        Binding(
            "2",
            "show_view('saved')",
            "Saved view",
            show=False,
            id="view.saved",
            tooltip="Show the Saved queue, last saved first",
        ),
        Binding(
            "3",
            "show_view('lunch')",
            "Lunch view",
            show=False,
            id="view.lunch",
            tooltip="Show the Lunch queue, last queued first",
        ),
        Binding(
            "v",
            "next_view",
            "Next view",
            show=False,
            id="view.next",
            tooltip="Go to the next view (Feed, Saved, Lunch)",
        ),
        Binding(
            "enter",
            "read_story",
            "Read",
            id="story.read-preview",
            tooltip="Mark the story read and move into the preview",
        ),
        Binding(
            "o",
            "open_story",
            "Open",
            id="story.open",
            tooltip="Open the story's link in the browser (marks it read)",
        ),
        Binding(
            "s",
            "toggle_saved",
            "Save",
            id="story.save",
            tooltip="Put the story in Saved, or take it out",
        ),
        Binding(
            "l",
            "toggle_lunch",
            "Lunch",
            id="story.lunch",
            tooltip="Queue a video or podcast for Lunch, or take it out",
        ),
        Binding(
            "r",
            "toggle_read",
            "Read/unread",
            id="story.toggle-read",
            tooltip="Mark the story read, or unread again",
        ),
        Binding(
            "u",
            "toggle_unread_only",
            "Unread only",
            id="view.unread-only",
            tooltip="Show only unread stories, or all of them",
        ),
        Binding(
            "escape",
            "focus_list",
            "Back to the list",
            show=False,
            id="focus.list",
            tooltip="Leave the preview for the list",
        ),
    ]

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], datetime],
        open_url: Callable[[str], None] | None,
        page_size: int = 50,
        long_video_s: int = 600,
    ) -> None:
        super().__init__(id="reader")
        self._store = store
        self._now = now
        self._open_url = open_url
        self.view = View.FEED
        """The view shown."""
        self.unread_only = False
        """Only unread stories are shown."""
        self._data_version: int | None = None
        self.story_list = StoryList(
            store, now=now, page_size=page_size, long_video_s=long_video_s, id="story-list"
        )
        self.story_view = StoryView(now=now, id="story-view")
        self.tabs = ViewTabs(id="view-tabs")

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.tabs
        yield self.story_list
        yield self.story_view
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.story_list.focus()
        self.set_interval(REFRESH_SECONDS, self.check_for_changes)
        self.check_for_changes()

    @property
    def feed_query(self) -> FeedQuery:
        """What the list shows."""
        return FeedQuery(view=self.view, unread_only=self.unread_only)

    @property
    def story(self) -> Story | None:
        """The highlighted story."""
        return self.story_list.highlighted_story

    def _show(self, select_id: int | None = None) -> None:
        self.story_list.show(self.feed_query, select_id=select_id)
        self._update_tabs()

    def _update_tabs(self) -> None:
        total = self.story_list.total
        self.tabs.set_state(self.view, self.unread_only, total, len(self.story_list.stories))
        label = next(label for view, _, label in VIEW_TABS if view is self.view)
        self.sub_title = label if total is None else f"{label} · {total}"

    # -- live refresh ---------------------------------------------------------------------
    def check_for_changes(self) -> None:
        """Ask the store whether another process committed (the timer calls this)."""
        self._read_data_version()

    @work(exclusive=True, group="data-version", exit_on_error=False)
    async def _read_data_version(self) -> None:
        self.post_message(DataVersionChecked(await self._store.data_version()))

    def on_data_version_checked(self, message: DataVersionChecked) -> None:
        if self._data_version is not None and message.version != self._data_version:
            self.story_list.refresh_top()
        self._data_version = message.version

    # -- what the list and the workers report ---------------------------------------------
    def on_story_highlighted(self, message: StoryHighlighted) -> None:
        self.story_view.show(message.story)
        self.refresh_bindings()

    def on_stories_loaded(self, message: StoriesLoaded) -> None:
        self._update_tabs()

    def on_story_changed(self, message: StoryChanged) -> None:
        self._apply(message.story)

    def on_view_tab_clicked(self, message: ViewTabClicked) -> None:
        self.action_show_view(message.view.value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.group == "data-version":
            return
        error = clean_line(event.worker.error, max_length=300)
        self.notify(error, title="devfeed", severity="error", markup=False)
        if event.worker.group == "story-write":
            self._show(select_id=self.story.id if self.story else None)

    # -- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in STORY_ACTIONS:
            return True
        story = self.story
        if story is None:
            return None
        if action == "toggle_lunch" and story.kind not in LUNCH_KINDS and not story.lunch:
            return None
        if action == "open_story" and safe_url(story.url) is None:
            return None
        return True

    def action_show_view(self, name: str) -> None:
        view = View(name)
        if view is not self.view:
            self.view = view
            self._show()
        self.story_list.focus()

    def action_next_view(self) -> None:
        views = [view for view, _, _ in VIEW_TABS]
        self.action_show_view(views[(views.index(self.view) + 1) % len(views)].value)

    def action_toggle_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self._show(select_id=self.story.id if self.story else None)

    def action_focus_list(self) -> None:
        self.story_list.focus()

    def action_read_story(self) -> None:
        story = self.story
        if story is None:
            return
        if not story.read:
            self._change(story, "read", True)
        self.story_view.focus()

    def action_open_story(self) -> None:
        story = self.story
        url = safe_url(story.url) if story else None
        if story is None or url is None:
            return
        if self._open_url is None:
            self.notify("No way to open links is set up.", severity="warning", markup=False)
            return
        try:
            self._open_url(url)
        except (DevfeedError, OSError) as error:
            self.notify(clean_line(error), title="Cannot open", severity="error", markup=False)
            return
        if not story.read:
            self._change(story, "read", True)

    def action_toggle_saved(self) -> None:
        if story := self.story:
            self._change(story, "saved", not story.saved)

    def action_toggle_lunch(self) -> None:
        if (story := self.story) and self.check_action("toggle_lunch", ()):
            self._change(story, "lunch", not story.lunch)

    def action_toggle_read(self) -> None:
        if story := self.story:
            self._change(story, "read", not story.read)

    def _change(self, story: Story, field: Field, value: bool) -> None:
        """Show the change at once, then write it; the store's answer replaces the row."""
        self._apply(story.model_copy(update={field: value}))
        self._write(story.id, field, value)

    def _apply(self, story: Story) -> None:
        if in_view(self.view, story):
            self.story_list.replace_story(story)
        else:
            self.story_list.remove_story(story.id)
        self._update_tabs()
        self.refresh_bindings()

    @work(group="story-write", exit_on_error=False)
    async def _write(self, story_id: int, field: Field, value: bool) -> None:
        if field == "read":
            story = await self._store.set_read(story_id, value)
        elif field == "saved":
            story = await self._store.save(story_id, self._now(), saved=value)
        else:
            story = await self._store.lunch(story_id, self._now(), queued=value)
        self.post_message(StoryChanged(story))

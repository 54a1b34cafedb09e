"""What the Feed and Saved screens share: the story list, the story view, and the actions
on a story (read, save, Lunch, open, play), each written through the `Store` in a worker.

Owns the panes' visibility and the workers that write the user's state. Must not parse,
fetch or write SQL, and must not block: every store call runs in a worker that posts a
message. Domain rules (what may go to Lunch, what can be played) come from the core.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from devfeed.errors import DevfeedError
from devfeed.lunch import can_queue_for_lunch
from devfeed.models import Story
from devfeed.sanitize import clean_line, safe_url
from devfeed.store import FeedQuery, View
from devfeed.tui.context import ReaderContext
from devfeed.tui.messages import (
    StoriesCounted,
    StoriesLoaded,
    StoryChanged,
    StoryHighlighted,
)
from devfeed.tui.widgets.key_bar import KeyBar
from devfeed.tui.widgets.labels import MEDIA_KINDS
from devfeed.tui.widgets.mode_tabs import ModeTabs, mode_label
from devfeed.tui.widgets.status_bar import StatusBar
from devfeed.tui.widgets.story_list import StoryList
from devfeed.tui.widgets.story_view import LinkChosen, StoryView
from devfeed.words import plural

STORY_ACTIONS = frozenset(
    {"read_story", "open_story", "play_story", "toggle_saved", "toggle_lunch", "toggle_read"}
)
Field = Literal["read", "saved", "lunch"]


def can_play(story: Story) -> bool:
    """A video or podcast with an http(s) link can go to the player."""
    return story.kind in MEDIA_KINDS and safe_url(story.url) is not None


class StoryScreen(Screen[None]):
    """A list of stories over a story view, and the actions on the highlighted story."""

    MODE: ClassVar[str] = "feed"
    VIEW: ClassVar[View] = View.FEED
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "read_story",
            "Read",
            id="story.read",
            tooltip="Mark the story read and move into the story view",
        ),
        Binding(
            "o",
            "open_story",
            "Open",
            id="story.open",
            tooltip="Open the story's link in the browser (marks it read)",
        ),
        Binding(
            "v",
            "play_story",
            "Play",
            id="story.play",
            tooltip="Play the video or podcast in the player (marks it read)",
        ),
        Binding(
            "s", "toggle_saved", "Save", id="story.save",
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
            "r", "toggle_read", "Read/unread", show=False, id="story.toggle-read",
            tooltip="Mark the story read, or unread again",
        ),
        Binding(
            "u", "toggle_unread_only", "Unread only", show=False, id="list.unread-only",
            tooltip="Show only unread stories, or all of them",
        ),
        Binding(
            "p", "toggle_pane('story-view')", "Story pane", show=False, id="pane.story-view",
            tooltip="Show or hide the story view pane",
        ),
        Binding(
            "z", "toggle_pane('story-list')", "List pane", show=False, id="pane.story-list",
            tooltip="Show or hide the story list (the story view takes the room)",
        ),
        Binding(
            "escape", "focus_list", "Back to the list", show=False, id="focus.list",
            tooltip="Leave the story view for the list",
        ),
    ]  # fmt: skip

    def __init__(self, context: ReaderContext) -> None:
        super().__init__(id=self.MODE)
        self.context = context
        """The store, config, clock and the ways out."""
        self.unread_only = False
        """Only unread stories are shown."""
        self._binding_state: tuple[bool | None, ...] = ()
        self._away = False
        self.story_list = StoryList(
            context.store,
            now=context.now,
            page_size=context.page_size,
            long_video_s=context.long_video_s,
            id="story-list",
        )
        self.story_view = StoryView(now=context.now, id="story-view")
        self.tabs = ModeTabs(self.MODE, id="mode-tabs")

    # -- layout ---------------------------------------------------------------------------
    def side_pane(self) -> Widget | None:
        """A pane left of the list (the Feed's filters); None for none."""
        return None

    def list_header(self) -> Iterable[Widget]:
        """Widgets above the list (the Feed's search bar)."""
        return ()

    def compose(self) -> ComposeResult:
        yield self.tabs
        with Horizontal(id="panes"):
            side = self.side_pane()
            if side is not None:
                yield side
            with Vertical(id="reading"):
                yield from self.list_header()
                yield self.story_list
                yield self.story_view
        yield StatusBar(id="status-bar")
        yield KeyBar(id="key-bar")

    async def on_mount(self) -> None:
        self.story_list.focus()
        await self.story_list.show_now(self.feed_query)
        self.update_status()

    def on_screen_suspend(self) -> None:
        self._away = True

    def on_screen_resume(self) -> None:
        """Back from another screen: merge what changed meanwhile (not on the first show,
        which has just read its first page)."""
        if self._away:
            self._away = False
            self.refresh_data()

    # -- what is shown --------------------------------------------------------------------
    @property
    def feed_query(self) -> FeedQuery:
        """What the list shows."""
        return FeedQuery(view=self.VIEW, unread_only=self.unread_only)

    @property
    def story(self) -> Story | None:
        """The highlighted story."""
        return self.story_list.highlighted_story

    def show_stories(self, select_id: int | None = None) -> None:
        """Load the list again from its first page (keeping `select_id` highlighted when it
        is on that page)."""
        self.story_list.show(self.feed_query, select_id=select_id)
        self.update_status()

    def refresh_data(self) -> None:
        """The store changed (another process, or another screen): merge the first page."""
        self.story_list.refresh_top()

    def status_parts(self) -> list[str]:
        """What the tab line's status says, before the count."""
        return ["unread only"] if self.unread_only else []

    def update_status(self) -> None:
        story_list = self.story_list
        parts = self.status_parts()
        total = story_list.total
        if total is None:
            parts.append("counting…")
        else:
            more = "+" if story_list.total_capped else ""
            parts.append(f"{total:,}{more} {plural(total, 'story', 'stories')}")
        self.tabs.set_status(" · ".join(parts))
        label = mode_label(self.MODE)
        self.sub_title = label if total is None else f"{label} · {total:,}"

    # -- what the list and the workers report ---------------------------------------------
    def on_story_highlighted(self, message: StoryHighlighted) -> None:
        self.story_view.show(message.story)
        self.refresh_story_bindings()

    def refresh_story_bindings(self) -> None:
        """Redraw the footer when the story actions that apply changed (moving from an
        article to a video enables Play); not on every move, as the footer is costly."""
        state = tuple(self.check_action(action, ()) for action in sorted(STORY_ACTIONS))
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def on_stories_loaded(self, message: StoriesLoaded) -> None:
        self.update_status()

    def on_stories_counted(self, message: StoriesCounted) -> None:
        self.update_status()

    def on_story_changed(self, message: StoryChanged) -> None:
        self.apply_story(message.story)  # the message goes on to the app

    def on_link_chosen(self, message: LinkChosen) -> None:
        self.open_link(message.link.url)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = clean_line(event.worker.error, max_length=300)
        self.notify(error, title="devfeed", severity="error", markup=False)
        if event.worker.group == "story-write":
            self.show_stories(select_id=self.story.id if self.story else None)

    # -- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in STORY_ACTIONS:
            return True
        story = self.story
        if story is None:
            return None
        if action == "toggle_lunch" and not can_queue_for_lunch(story) and not story.lunch:
            return None
        if action == "open_story" and safe_url(story.url) is None:
            return None
        if action == "play_story" and not can_play(story):
            return None
        return True

    def action_toggle_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self.show_stories(select_id=self.story.id if self.story else None)

    def action_toggle_pane(self, pane_id: str) -> None:
        pane = self.query_one(f"#{pane_id}")
        other = "story-list" if pane_id == "story-view" else "story-view"
        if pane.display and not self.query_one(f"#{other}").display:
            self.query_one(f"#{other}").display = True  # never hide both
        pane.display = not pane.display
        if pane.display:
            pane.focus()
        elif self.focused is None or not self.focused.display:
            (self.story_list if self.story_list.display else self.story_view).focus()

    def action_focus_list(self) -> None:
        if not self.story_list.display:
            self.story_list.display = True
        self.story_list.focus()

    def action_read_story(self) -> None:
        story = self.story
        if story is None:
            return
        if not story.read:
            self._change(story, "read", True)
        if self.story_view.display:
            self.story_view.focus()

    def open_link(self, url: str) -> None:
        """Open a link in the browser; a failure is a notification."""
        checked = safe_url(url)
        opener = self.context.open_url
        if checked is None:
            return
        if opener is None:
            self.notify("No way to open links is set up.", severity="warning", markup=False)
            return
        try:
            opener(checked)
        except (DevfeedError, OSError) as error:
            self.notify(clean_line(error), title="Cannot open", severity="error", markup=False)
            return
        self.context.say(f"opened {checked}")

    def action_open_story(self) -> None:
        story = self.story
        if story is None or safe_url(story.url) is None:
            return
        self.open_link(story.url or "")
        if not story.read and self.context.open_url is not None:
            self._change(story, "read", True)

    def action_play_story(self) -> None:
        story = self.story
        if story is None or not can_play(story):
            return
        if self.context.play is None:
            self.notify("No player is set up.", severity="warning", markup=False)
            return
        try:
            self.context.play([story.url or ""])
        except (DevfeedError, OSError) as error:
            self.notify(clean_line(error), title="Cannot play", severity="error", markup=False)
            return
        self.context.say(f"playing {clean_line(story.title, max_length=80)}")
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
        self.apply_story(story.model_copy(update={field: value}))
        self._write(story.id, field, value)

    def belongs(self, story: Story) -> bool:
        """Whether a story still belongs in this screen's list after its state changed."""
        return True

    def apply_story(self, story: Story) -> None:
        """Show a new version of a story (this screen's write, or another screen's)."""
        if self.belongs(story):
            self.story_list.replace_story(story)
        else:
            self.story_list.remove_story(story.id)
        self.update_status()
        self.refresh_story_bindings()

    @work(group="story-write", exit_on_error=False)
    async def _write(self, story_id: int, field: Field, value: bool) -> None:
        store, now = self.context.store, self.context.now
        if field == "read":
            story = await store.set_read(story_id, value)
        elif field == "saved":
            story = await store.save(story_id, now(), saved=value)
        else:
            story = await store.lunch(story_id, now(), queued=value)
        self.post_message(StoryChanged(story, origin=self.MODE))

    # -- the command palette --------------------------------------------------------------
    def extra_commands(self) -> Iterable[SystemCommand]:
        """The story's links, for the command palette."""
        for number, link in enumerate(self.story_view.links, start=1):
            label = clean_line(link.label, max_length=60)
            yield SystemCommand(
                f"Open link {number}: {label}",
                clean_line(link.url, max_length=200),
                lambda url=link.url: self.open_link(url),
            )

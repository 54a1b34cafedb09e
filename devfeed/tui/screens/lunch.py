"""The Lunch screen: the queue of long videos with its total time, the planner's proposal
for the break (changeable in place), playing the plan, marking videos watched, and
suggestions from followed profiles.

Owns the break length of this session and the two tables. The plan comes from the core
(`lunch.plan`); every store call runs in a worker. Must not parse, fetch or write
SQL. Titles are web text: cells are `Text` objects, never markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from devfeed.api import collect
from devfeed.durations import format_duration
from devfeed.errors import DevfeedError
from devfeed.lunch import MAX_MINUTES, Plan, plan, queue_order, suggestions_query
from devfeed.models import Story
from devfeed.sanitize import clean_line, safe_url
from devfeed.store import FeedQuery, View
from devfeed.tui.context import ReaderContext
from devfeed.tui.messages import LunchLoaded, StoryChanged
from devfeed.tui.screens.prompt import PromptScreen
from devfeed.tui.widgets import labels
from devfeed.tui.widgets.key_bar import KeyBar
from devfeed.tui.widgets.mode_tabs import ModeTabs
from devfeed.tui.widgets.status_bar import StatusBar

MAX_QUEUE = 500
"""The screen shows (and plans over) at most this many queued videos."""
SUGGESTIONS = 20
STEP_MINUTES = 5
QUEUE_ACTIONS = frozenset({"watched", "remove", "open", "play"})


class StoryTable(DataTable[Text]):
    """A table of stories, one per row (row key: the story id), with vim keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g,home", "scroll_top", "First", show=False, id="table.first"),
        Binding("G,end", "scroll_bottom", "Last", show=False, id="table.last"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.stories: list[Story] = []
        """The stories shown, in row order."""

    @property
    def story(self) -> Story | None:
        """The story under the cursor."""
        if 0 <= self.cursor_row < len(self.stories) and self.row_count:
            return self.stories[self.cursor_row]
        return None

    def show_stories(self, stories: list[Story], rows: list[tuple[Text, ...]]) -> None:
        """Replace the rows, keeping the cursor on the same story when it is still here."""
        current = self.story
        self.stories = stories
        self.clear()
        for story, row in zip(stories, rows, strict=True):
            self.add_row(*row, key=str(story.id))
        if current is not None:
            ids = [s.id for s in stories]
            if current.id in ids:
                self.move_cursor(row=ids.index(current.id), animate=False)


def _title(story: Story, style: str = "") -> Text:
    return Text(clean_line(story.title, max_length=200), style, no_wrap=True, overflow="ellipsis")


def _length(story: Story) -> Text:
    return Text(format_duration(story.duration_s) if story.duration_s else "?", justify="right")


def _source(story: Story) -> Text:
    first = story.seen_on[0] if story.seen_on else None
    name = (first.follow or first.author or first.platform) if first else story.author
    return Text(clean_line(name or "", max_length=40), "dim", no_wrap=True)


class LunchScreen(Screen[None]):
    """The Lunch queue and the plan for the break."""

    MODE = "lunch"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "longer", "+5 min", key_display="+", id="lunch.longer",
                tooltip="Make the break 5 minutes longer (and plan again)"),
        Binding("minus", "shorter", "-5 min", key_display="-", id="lunch.shorter",
                tooltip="Make the break 5 minutes shorter (and plan again)"),
        Binding("m", "set_minutes", "Break", id="lunch.minutes",
                tooltip="Type the length of the break in minutes"),
        Binding("p", "play_plan", "Play plan", id="lunch.play",
                tooltip="Play the proposed videos in the player, as one playlist"),
        Binding("d", "watched", "Watched", id="lunch.watched",
                tooltip="Mark the video watched: it leaves the queue"),
        Binding("D", "plan_watched", "Plan watched", show=False, id="lunch.plan-watched",
                tooltip="Mark every video of the plan watched"),
        Binding("x,delete", "remove", "Remove", show=False, id="lunch.remove",
                tooltip="Take the video out of the queue (not watched)"),
        Binding("a", "accept", "Add suggestion", id="lunch.accept",
                tooltip="Queue the highlighted suggestion for Lunch"),
        Binding("o", "open", "Open", show=False, id="lunch.open",
                tooltip="Open the highlighted video's page in the browser"),
        Binding("v", "play", "Play", show=False, id="lunch.play-one",
                tooltip="Play the highlighted video in the player"),
    ]  # fmt: skip

    def __init__(self, context: ReaderContext) -> None:
        super().__init__(id=self.MODE)
        self.context = context
        """The store, config, clock and the ways out."""
        self.minutes = max(1, min(MAX_MINUTES, context.config.settings.lunch_minutes))
        """The break this session plans for (starts at `[settings] lunch_minutes`)."""
        self.queue: list[Story] = []
        """The queued videos, oldest queued first."""
        self.suggestions: list[Story] = []
        """Suggested videos, newest first."""
        self.plan: Plan = plan([], self.minutes)
        """The proposal for the break."""
        self.loaded = False
        """The queue came from the store at least once."""
        self.queue_table = StoryTable(id="lunch-queue")
        self.suggestion_table = StoryTable(id="lunch-suggestions")

    def compose(self) -> ComposeResult:
        yield ModeTabs(self.MODE, id="mode-tabs")
        yield Static(id="lunch-summary")
        yield self.queue_table
        yield Static(
            Content("Suggestions: long unread videos from profiles you follow (a adds one)"),
            id="lunch-suggestions-title",
        )
        yield self.suggestion_table
        yield StatusBar(id="status-bar")
        yield KeyBar(id="key-bar")

    def on_mount(self) -> None:
        self.queue_table.add_columns(" ", "Video", "Length", "Queued", "From")
        self.suggestion_table.add_columns("Video", "Length", "Age", "From")
        self.queue_table.focus()
        self.draw()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Read the queue and the suggestions again."""
        self.load()

    # -- loading --------------------------------------------------------------------------
    @work(exclusive=True, group="lunch-load", exit_on_error=False)
    async def load(self) -> None:
        store, config = self.context.store, self.context.config
        queue = await collect(store, FeedQuery(view=View.LUNCH), MAX_QUEUE)
        query = suggestions_query(config.follows, config.settings.long_video_minutes)
        page = await store.feed_page(query, limit=SUGGESTIONS)
        self.post_message(LunchLoaded(queue, list(page.stories)))

    def on_lunch_loaded(self, message: LunchLoaded) -> None:
        self.queue = sorted(message.queue, key=queue_order)
        self.suggestions = message.suggestions
        self.loaded = True
        self.draw()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = clean_line(event.worker.error, max_length=300)
            self.notify(error, title="devfeed", severity="error", markup=False)

    def on_story_changed(self, message: StoryChanged) -> None:
        self.refresh_data()

    # -- drawing --------------------------------------------------------------------------
    def draw(self) -> None:
        """Plan again and redraw the summary and both tables."""
        self.plan = plan(self.queue, self.minutes)
        chosen = {story.id for story in self.plan.videos}
        now = self.context.now()
        self.query_one("#lunch-summary", Static).update(self.summary())
        rows: list[tuple[Text, ...]] = []
        for story in self.queue:
            style = "bold" if story.id in chosen else "dim"
            queued = labels.age(story.lunch_at, now) if story.lunch_at else ""
            rows.append(
                (
                    Text("▶" if story.id in chosen else " ", "bold"),
                    _title(story, style),
                    _length(story),
                    Text(queued, "dim", justify="right"),
                    _source(story),
                )
            )
        self.queue_table.show_stories(self.queue, rows)
        self.suggestion_table.show_stories(
            self.suggestions,
            [
                (
                    _title(story),
                    _length(story),
                    Text(labels.age(story.published, now), "dim", justify="right"),
                    _source(story),
                )
                for story in self.suggestions
            ],
        )
        self.query_one("#mode-tabs", ModeTabs).set_status(
            f"{len(self.queue)} queued · {format_duration(self.queued_s)}"
        )
        self.sub_title = f"Lunch · {len(self.queue)}"
        self.refresh_bindings()

    @property
    def queued_s(self) -> int:
        """The length of every queued video of known length."""
        return sum(story.duration_s or 0 for story in self.queue)

    def summary(self) -> Text:
        """The lines above the queue: the break, the plan, the queue's total time."""
        plan = self.plan
        text = Text()
        text.append(f"Break {self.minutes} min", "bold")
        text.append("  (+/- change it, m types it)\n", "dim")
        if not self.loaded:
            text.append("Reading the queue…", "dim")
            return text
        if not self.queue:
            text.append("The queue is empty: press l on a video in the feed, or a on a suggestion.")
            return text
        count = len(plan.videos)
        text.append(
            f"Plan: {count} video{'s' if count != 1 else ''}, {format_duration(plan.total_s)}"
            f" of {format_duration(plan.budget_s)}",
            "bold",
        )
        text.append(f" ({format_duration(plan.spare_s)} to spare) · p plays it", "dim")
        text.append(
            f"\nQueue: {len(self.queue)} video{'s' if len(self.queue) != 1 else ''}, "
            f"{format_duration(self.queued_s)} in all"
        )
        if plan.unknown:
            text.append(f" · {len(plan.unknown)} of unknown length (not planned)", "dim")
        return text

    # -- actions --------------------------------------------------------------------------
    def _focused_story(self) -> Story | None:
        if self.focused is self.suggestion_table:
            return self.suggestion_table.story
        return self.queue_table.story

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "play_plan" or action == "plan_watched":
            return True if self.plan.videos else None
        if action == "accept":
            return True if self.suggestion_table.story else None
        if action in ("watched", "remove"):
            return True if self.queue_table.story else None
        if action in ("open", "play"):
            story = self._focused_story()
            return True if story and safe_url(story.url) else None
        return True

    def set_minutes(self, minutes: int) -> None:
        """Plan for a break of `minutes` (1 minute to a day)."""
        self.minutes = max(1, min(MAX_MINUTES, minutes))
        self.draw()

    def action_longer(self) -> None:
        self.set_minutes(self.minutes + STEP_MINUTES)

    def action_shorter(self) -> None:
        self.set_minutes(self.minutes - STEP_MINUTES)

    def action_set_minutes(self) -> None:
        def chosen(value: str | None) -> None:
            if value is None:
                return
            try:
                self.set_minutes(int(value))
            except ValueError:
                self.notify(f"Not a number of minutes: {clean_line(value)}", markup=False)

        self.app.push_screen(
            PromptScreen("Length of the break, in minutes", str(self.minutes), id="minutes-prompt"),
            chosen,
        )

    def _play(self, stories: list[Story]) -> bool:
        urls = [story.url for story in stories if story.url and safe_url(story.url)]
        if not urls:
            return False
        if self.context.play is None:
            self.notify("No player is set up.", severity="warning", markup=False)
            return False
        try:
            self.context.play(urls)
        except (DevfeedError, OSError) as error:
            self.notify(clean_line(error), title="Cannot play", severity="error", markup=False)
            return False
        return True

    def action_play_plan(self) -> None:
        videos = list(self.plan.videos)
        if self._play(videos):
            self.context.say(
                f"playing the plan: {len(videos)} videos, {format_duration(self.plan.total_s)}"
                " · D marks them watched"
            )

    def action_play(self) -> None:
        story = self._focused_story()
        if story is not None and self._play([story]):
            self.context.say(f"playing {clean_line(story.title, max_length=80)}")

    def action_open(self) -> None:
        story = self._focused_story()
        url = safe_url(story.url) if story else None
        if url is None:
            return
        if self.context.open_url is None:
            self.notify("No way to open links is set up.", severity="warning", markup=False)
            return
        try:
            self.context.open_url(url)
        except (DevfeedError, OSError) as error:
            self.notify(clean_line(error), title="Cannot open", severity="error", markup=False)

    def action_watched(self) -> None:
        if story := self.queue_table.story:
            self._write([story.id], "watched")

    def action_plan_watched(self) -> None:
        if self.plan.videos:
            self._write([story.id for story in self.plan.videos], "watched")

    def action_remove(self) -> None:
        if story := self.queue_table.story:
            self._write([story.id], "remove")

    def action_accept(self) -> None:
        if story := self.suggestion_table.story:
            self._write([story.id], "queue")

    @work(group="story-write", exit_on_error=False)
    async def _write(self, story_ids: list[int], what: str) -> None:
        store, now = self.context.store, self.context.now()
        for story_id in story_ids:
            if what == "watched":
                story = await store.lunch_done(story_id, now)
            else:
                story = await store.lunch(story_id, now, queued=what == "queue")
            self.post_message(StoryChanged(story, origin=self.MODE))
        done = {"watched": "marked watched", "remove": "taken out", "queue": "queued"}[what]
        self.context.say(f"{len(story_ids)} video{'s' if len(story_ids) != 1 else ''} {done}")

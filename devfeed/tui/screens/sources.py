"""The Sources screen: every follow with its platform, last poll, unread stories, errors
and the hint to fix them; actions to poll one now, pause it, remove it, or show its
stories in the feed.

Pause is a store flag (feeds.toml is left alone; `devfeed poll` skips a paused follow).
Remove edits feeds.toml (comments kept; the starter set is first copied to the user's
file); the stories stay. Every store or file operation runs in a worker through the core.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from devfeed.api import Source, sources_from
from devfeed.config import Config, config_path, load_config
from devfeed.following import config_file_for_edits, unfollow
from devfeed.sanitize import clean_line
from devfeed.tui.context import ReaderContext
from devfeed.tui.messages import SourcesLoaded
from devfeed.tui.screens.prompt import ConfirmScreen
from devfeed.tui.widgets import labels
from devfeed.tui.widgets.key_bar import KeyBar
from devfeed.tui.widgets.mode_tabs import ModeTabs
from devfeed.tui.widgets.status_bar import StatusBar

SOURCE_ACTIONS = frozenset({"poll_source", "toggle_pause", "remove", "show_stories"})


class SourceTable(DataTable[Text]):
    """One row per follow (row key: the follow key), with vim keys (home and end go to
    the first and last follow, as in the other tables, not to the first and last column)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="sources.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sources.up"),
        Binding("g,home", "scroll_top", "First", show=False, id="sources.first"),
        Binding("G,end", "scroll_bottom", "Last", show=False, id="sources.last"),
    ]


def status_cell(source: Source) -> Text:
    """How the last poll went, in one word or two."""
    if source.paused_at is not None:
        return Text("paused", "italic")
    if source.status is None:
        return Text("never polled", "dim")
    if source.status.value == "failed":
        return Text(f"failed ×{source.failures}", "bold red")
    return Text(source.status.value)


class SourcesScreen(Screen[None]):
    """Every follow of feeds.toml and how polling it went."""

    MODE = "sources"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "poll_source", "Poll now", id="sources.poll",
                tooltip="Poll the highlighted follow now (even when paused)"),
        Binding("space", "toggle_pause", "Pause/resume", id="sources.pause",
                tooltip="Pause the follow (polls skip it) or resume it"),
        Binding("d,delete", "remove", "Remove", id="sources.remove",
                tooltip="Remove the follow from feeds.toml (its stories stay)"),
        Binding("enter", "show_stories", "Its stories", id="sources.stories",
                tooltip="Show the follow's stories in the feed"),
    ]  # fmt: skip

    def __init__(self, context: ReaderContext) -> None:
        super().__init__(id=self.MODE)
        self.context = context
        """The store, config, clock and the ways out."""
        self.sources: list[Source] = []
        """The follows as last read, in config order."""
        self.table = SourceTable(id="sources-table", cursor_type="row")

    def compose(self) -> ComposeResult:
        yield ModeTabs(self.MODE, id="mode-tabs")
        yield self.table
        yield Static(id="source-detail")
        yield StatusBar(id="status-bar")
        yield KeyBar(id="key-bar")

    def on_mount(self) -> None:
        self.table.add_columns(
            "Platform", "Follow", "Status", "Last poll", "Unread", "Seen", "Error"
        )
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        """Read the follows' state again."""
        self.load()

    @property
    def source(self) -> Source | None:
        """The highlighted follow."""
        row = self.table.cursor_row
        return self.sources[row] if 0 <= row < len(self.sources) and self.table.row_count else None

    @work(exclusive=True, group="sources-load", exit_on_error=False)
    async def load(self) -> None:
        found = await sources_from(self.context.config, self.context.store, unread=True)
        self.post_message(SourcesLoaded(found))

    def on_sources_loaded(self, message: SourcesLoaded) -> None:
        current = self.source.follow.key if self.source else None
        self.sources = message.sources
        now = self.context.now()
        self.table.clear()
        for source in self.sources:
            polled = labels.ago(source.last_polled_at, now) if source.last_polled_at else "never"
            self.table.add_row(
                Text(clean_line(source.follow.platform, max_length=20)),
                Text(clean_line(source.follow.label, max_length=60), no_wrap=True),
                status_cell(source),
                Text(polled, "dim"),
                Text(f"{source.unread or 0:,}", justify="right"),
                Text(f"{source.entries:,}", "dim", justify="right"),
                Text(clean_line(source.error or "", max_length=80), "red", no_wrap=True),
                key=source.follow.key,
            )
        keys = [s.follow.key for s in self.sources]
        if current in keys:
            self.table.move_cursor(row=keys.index(current), animate=False)
        failed = sum(1 for s in self.sources if s.error)
        paused = sum(1 for s in self.sources if s.paused_at)
        status = f"{len(self.sources)} follows"
        status += f" · {failed} failing" if failed else ""
        status += f" · {paused} paused" if paused else ""
        self.query_one("#mode-tabs", ModeTabs).set_status(status)
        self.sub_title = f"Sources · {len(self.sources)}"
        self.show_detail()
        self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """enter (the table's own key) or a click on the highlighted row."""
        event.stop()
        self.action_show_stories()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()
        self.refresh_bindings()

    def show_detail(self) -> None:
        """The highlighted follow in full: target, feed title, error and hint."""
        source = self.source
        detail = self.query_one("#source-detail", Static)
        if source is None:
            detail.update(Content("No follows: add [[follow]] entries to feeds.toml."))
            return
        text = Text()
        text.append(clean_line(source.follow.label, max_length=100), "bold")
        if source.follow.target != source.follow.label:
            text.append(f"  {clean_line(source.follow.target, max_length=200)}", "dim")
        if source.feed_title:
            text.append(f"\ncalls itself: {clean_line(source.feed_title, max_length=100)}", "dim")
        if source.next_due_at and source.paused_at is None:
            text.append(f"\nnext poll {source.next_due_at.astimezone():%Y-%m-%d %H:%M}", "dim")
        if source.paused_at:
            text.append("\npaused: polls skip it (space resumes it, p polls it once)", "italic")
        if source.error:
            text.append("\nerror: ", "bold red")
            text.append(clean_line(source.error, max_length=300))
        if source.hint:
            text.append("\nhint: ", "bold")
            text.append(source.hint)
        detail.update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = clean_line(event.worker.error, max_length=300)
            self.notify(error, title="devfeed", severity="error", markup=False)

    # -- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SOURCE_ACTIONS and self.source is None:
            return None
        if action == "poll_source" and self.context.poll is None:
            return None
        return True

    def action_poll_source(self) -> None:
        if source := self.source:
            self.context.start_poll([source.follow.key])

    def action_toggle_pause(self) -> None:
        if source := self.source:
            self._pause(source)

    @work(group="source-write", exit_on_error=False)
    async def _pause(self, source: Source) -> None:
        pause = source.paused_at is None
        at = self.context.now() if pause else None
        await self.context.store.set_paused(source.follow, at)
        label = clean_line(source.follow.label, max_length=60)
        self.context.say(f"{'paused' if pause else 'resumed'} {label}")
        self.load()

    def action_remove(self) -> None:
        source = self.source
        if source is None:
            return
        label = clean_line(source.follow.label, max_length=80)
        if self._config_file() is None:
            refusal = (
                "these follows come with the demo: removing one is only for your own feeds.toml"
            )
            self.context.say(f"{label} stays: {refusal}")
            self.notify(refusal, title="Cannot remove", severity="warning", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(source)

        self.app.push_screen(
            ConfirmScreen(
                f"Remove {label} from feeds.toml? Its stories stay.", id="confirm-remove"
            ),
            answered,
        )

    @work(group="source-write", exit_on_error=False, thread=True)
    def _remove(self, source: Source) -> None:
        """Edit feeds.toml (file I/O: in a thread, off the event loop). The starter set
        (no file of the user's) is first copied to the user's feeds.toml."""
        path = self._config_file()
        if path is None:  # refused before asking; never edit a file the follows are not from
            return
        unfollow(path, source.follow.key)
        config = load_config(path, explicit=True)
        self.app.call_from_thread(self._removed, source, config)

    def _config_file(self) -> Path | None:
        """The feeds.toml a removal edits; None when the follows are not the user's."""
        context = self.context
        return config_file_for_edits(context.config, context.user_config_path or config_path(None))

    def _removed(self, source: Source, config: Config) -> None:
        self.context.config = config
        label = clean_line(source.follow.label, max_length=60)
        self.context.say(f"removed {label} from {config.path}")
        self.load()

    def action_show_stories(self) -> None:
        if source := self.source:
            self.context.show_follow(source.follow.key)

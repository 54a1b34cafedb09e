"""The Textual app: its modes (feed, saved, lunch, sources), app-wide bindings, the
command palette, the user's keymap, live refresh and polling from the reader.

Owns wiring and app-wide state only: the store, config, clock and the ways out come in
through the constructor (nothing is created at import time) and go to the screens in a
`ReaderContext`. Must not read stories itself, parse, fetch or hold domain rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from devfeed.config import Config
from devfeed.daemon import lock_holder
from devfeed.refresh import PollProgress, PollRunner
from devfeed.reports import is_paused
from devfeed.sanitize import clean_line, safe_url
from devfeed.store import Store
from devfeed.tui.context import LinkOpener, Player, ReaderContext
from devfeed.tui.keymap import Chain, Layer, resolve_keymap
from devfeed.tui.messages import DataVersionChecked, ModeTabClicked, PollProgressed, StoryChanged
from devfeed.tui.screens.help import HelpScreen, HelpSection
from devfeed.tui.screens.lunch import LunchScreen, StoryTable
from devfeed.tui.screens.prompt import ConfirmScreen, PromptScreen
from devfeed.tui.screens.reader import ReaderScreen
from devfeed.tui.screens.saved import SavedScreen
from devfeed.tui.screens.sources import SourcesScreen, SourceTable
from devfeed.tui.screens.stories import StoryScreen
from devfeed.tui.stylesheet import use_reusing_stylesheet
from devfeed.tui.widgets.filter_pane import Filters
from devfeed.tui.widgets.mode_tabs import MODE_TABS
from devfeed.tui.widgets.story_list import StoryList
from devfeed.tui.widgets.story_view import StoryView

PALETTE_BINDING = Binding(
    "ctrl+p", "command_palette", "Commands", id="app.commands", tooltip="Search every command"
)
REFRESH_SECONDS = 2.0
ModeScreen = StoryScreen | LunchScreen | SourcesScreen


def utc_now() -> datetime:
    """The real clock (tests inject a frozen one)."""
    return datetime.now(UTC)


def _mode_binding(mode: str, key: str, label: str) -> Binding:
    return Binding(
        key,
        f"show_mode('{mode}')",
        label,
        show=False,
        id=f"screen.{mode}",
        tooltip=f"Go to the {label} screen",
    )


class DevfeedApp(App[None]):
    """The devfeed reader."""

    CSS_PATH = Path(__file__).with_name("devfeed.tcss")
    TITLE = "devfeed"
    DEFAULT_MODE = "feed"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(_mode_binding(mode, key, label) for mode, key, label in MODE_TABS),
        Binding(
            "R",
            "poll",
            "Poll",
            id="app.poll",
            tooltip="Poll every follow now, in the background (progress in the status line)",
        ),
        Binding(
            "question_mark",
            "help",
            "Help",
            key_display="?",
            id="app.help",
            tooltip="List every key",
        ),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave devfeed"),
    ]
    status_text: reactive[str] = reactive("")
    """The status line: poll progress, or what was just done."""

    def __init__(
        self,
        store: Store,
        config: Config,
        now: Callable[[], datetime] = utc_now,
        open_url: LinkOpener | None = None,
        *,
        play: Player | None = None,
        poll: PollRunner | None = None,
        user_config_path: Path | None = None,
        page_size: int = 50,
    ) -> None:
        super().__init__()
        use_reusing_stylesheet(self)
        self.context = ReaderContext(
            store=store,
            config=config,
            now=now,
            open_url=open_url,
            play=play,
            poll=poll,
            user_config_path=user_config_path,
            page_size=page_size,
            say=self.say,
            start_poll=self.start_poll,
            show_follow=self.show_follow,
        )
        """What every screen is given."""
        self.mode_screens: dict[str, ModeScreen] = {}
        """The screen of each mode, once made."""
        self.polling: PollProgress | None = None
        """The poll running from the reader, if any."""
        self._data_version: int | None = None
        factories: dict[str, Callable[[ReaderContext], ModeScreen]] = {
            "feed": ReaderScreen,
            "saved": SavedScreen,
            "lunch": LunchScreen,
            "sources": SourcesScreen,
        }
        for mode, factory in factories.items():
            self.add_mode(mode, partial(self._make_screen, mode, factory))
        # an unknown name in [keys] is a ConfigError: the CLI exits 2 before the UI starts
        # so are a key that is not one and a key two bindings would share at once
        self.set_keymap(
            resolve_keymap(config.keys, self.every_binding(), config.path, self.key_chains())
        )

    @property
    def store(self) -> Store:
        """The database the reader reads and marks stories in."""
        return self.context.store

    @property
    def config(self) -> Config:
        """The user's feeds.toml."""
        return self.context.config

    def _make_screen(self, mode: str, factory: Callable[[ReaderContext], ModeScreen]) -> ModeScreen:
        screen = factory(self.context)
        self.mode_screens[mode] = screen
        return screen

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.check_for_changes)
        self.check_for_changes()

    # -- bindings, help, palette ------------------------------------------------------------
    @staticmethod
    def help_sections() -> list[HelpSection]:
        """Every binding of the reader, by where it applies."""
        return [
            ("Everywhere", [*DevfeedApp.BINDINGS, PALETTE_BINDING]),
            ("Stories (Feed and Saved)", StoryScreen.BINDINGS),
            ("Feed", ReaderScreen.BINDINGS),
            ("Saved", SavedScreen.BINDINGS),
            ("Moving in the list", StoryList.BINDINGS),
            ("In the story view", StoryView.BINDINGS),
            ("Lunch", LunchScreen.BINDINGS),
            ("Sources", SourcesScreen.BINDINGS),
            ("Tables", [*StoryTable.BINDINGS, *SourceTable.BINDINGS]),
            ("Questions", [*PromptScreen.BINDINGS, *ConfirmScreen.BINDINGS]),
            ("This help", HelpScreen.BINDINGS),
        ]

    @staticmethod
    def key_chains() -> list[Chain]:
        """The bindings active at once, the first to take a key first: the focused widget,
        its screen, then the app (a key two of them share is a clash in `[keys]`)."""
        app: Layer = ("every screen", [*DevfeedApp.BINDINGS, PALETTE_BINDING])
        feed: Layer = ("the Feed screen", [*StoryScreen.BINDINGS, *ReaderScreen.BINDINGS])
        saved: Layer = ("the Saved screen", [*StoryScreen.BINDINGS, *SavedScreen.BINDINGS])
        story_list: Layer = ("the story list", StoryList.BINDINGS)
        story_view: Layer = ("the story view", StoryView.BINDINGS)
        return [
            [story_list, feed, app],
            [story_view, feed, app],
            [story_list, saved, app],
            [story_view, saved, app],
            [("a Lunch table", StoryTable.BINDINGS), ("the Lunch screen", LunchScreen.BINDINGS),
             app],
            [("the Sources table", SourceTable.BINDINGS),
             ("the Sources screen", SourcesScreen.BINDINGS), app],
            [("a question", PromptScreen.BINDINGS), app],
            [("a question", ConfirmScreen.BINDINGS), app],
            [("the help", HelpScreen.BINDINGS), app],
        ]  # fmt: skip

    @classmethod
    def every_binding(cls) -> list[Binding]:
        """Every binding of every screen and widget (what `[keys]` may change)."""
        return [
            binding
            for _title, bindings in cls.help_sections()
            for binding in Binding.make_bindings(bindings)
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers every enabled devfeed binding (those with a tooltip)
        of the screen, the story's links, then Textual's own commands."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.tooltip or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            run = partial(self.run_action, binding.action, active.node)
            yield SystemCommand(binding.description, f"{binding.tooltip} ({key})", run)
        if isinstance(screen, StoryScreen):
            yield from screen.extra_commands()
        titles = {binding.description for binding in Binding.make_bindings(self.BINDINGS)}
        yield from (c for c in super().get_system_commands(screen) if c.title not in titles)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Textual's link opener, routed to the injected one (never `webbrowser`)."""
        checked = safe_url(url)
        if checked is not None and self.context.open_url is not None:
            self.context.open_url(checked)

    # -- modes ------------------------------------------------------------------------------
    def switch_mode(self, mode: str) -> AwaitMount:
        """Go to a mode's screen. What was just done belongs to the screen it was done on:
        the status line forgets it (a running poll's progress stays)."""
        if mode != self.current_mode and self.polling is None:
            self.status_text = ""
        return super().switch_mode(mode)

    def action_show_mode(self, mode: str) -> None:
        self.switch_mode(mode)

    def on_mode_tab_clicked(self, message: ModeTabClicked) -> None:
        self.switch_mode(message.mode)

    def show_follow(self, key: str) -> None:
        """Show the feed filtered to one follow."""
        self.switch_mode("feed")
        feed = self.mode_screens.get("feed")
        if isinstance(feed, ReaderScreen):
            feed.set_filters(Filters(follows=frozenset({key})))
            feed.story_list.focus()

    def on_story_changed(self, message: StoryChanged) -> None:
        """A screen wrote a story: the other screens show the new version."""
        for mode, screen in self.mode_screens.items():
            if mode == message.origin:
                continue
            if isinstance(screen, StoryScreen):
                screen.apply_story(message.story)
            elif isinstance(screen, LunchScreen) and screen.is_current:
                screen.refresh_data()

    # -- live refresh -------------------------------------------------------------------------
    def check_for_changes(self) -> None:
        """Ask the store whether another process committed (the timer calls this)."""
        self._read_data_version()

    @work(exclusive=True, group="data-version", exit_on_error=False)
    async def _read_data_version(self) -> None:
        self.post_message(DataVersionChecked(await self.store.data_version()))

    def on_data_version_checked(self, message: DataVersionChecked) -> None:
        changed = self._data_version is not None and message.version != self._data_version
        self._data_version = message.version
        if not changed or not self.is_running:
            return
        try:
            screen = self.screen
        except ScreenStackError:  # the app is closing
            return
        if isinstance(screen, StoryScreen | LunchScreen | SourcesScreen):
            screen.refresh_data()

    # -- status and polling -------------------------------------------------------------------
    def say(self, text: str) -> None:
        """Put a line in the status line."""
        self.status_text = clean_line(text, max_length=300)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "poll":
            return None if self.context.poll is None or self.polling is not None else True
        return True

    def action_poll(self) -> None:
        self.start_poll(None)

    def start_poll(self, keys: Sequence[str] | None) -> None:
        """Poll these follows (None: every follow not paused) in a worker."""
        if self.context.poll is None:
            self.notify("This reader cannot poll.", severity="warning", markup=False)
            return
        if self.polling is not None:
            self.notify("A poll is already running.", markup=False)
            return
        holder = lock_holder(self.store.path)
        if holder is not None and holder.mode == "daemon":
            # it would refuse a second poller; its stories reach this reader anyway
            self.say(
                f"the daemon (pid {holder.pid}) is polling this database: "
                "new stories appear as it writes them"
            )
            return
        self.polling = PollProgress(total=len(keys) if keys else len(self.config.follows))
        self.say(self.polling.line())
        self.refresh_bindings()
        self._poll(list(keys) if keys else None)

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def _poll(self, keys: list[str] | None) -> None:
        runner = self.context.poll
        assert runner is not None
        total = len(keys) if keys else None
        if total is None:
            states = await self.store.fetch_states()
            total = sum(1 for f in self.config.follows if not is_paused(states.get(f.key)))

        def progressed(progress: PollProgress) -> None:
            self.post_message(PollProgressed(progress))

        await runner(keys, total, progressed)

    def on_poll_progressed(self, message: PollProgressed) -> None:
        progress = message.progress
        self.polling = None if progress.finished else progress
        self.say(
            progress.line()
            + (f" · {progress.last}" if progress.last and not progress.finished else "")
        )
        if progress.finished:
            self.refresh_bindings()
            self.check_for_changes()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.group != "poll":
            return
        self.polling = None
        error = clean_line(event.worker.error, max_length=300)
        self.say(f"poll failed: {error}")
        self.notify(error, title="Cannot poll", severity="error", markup=False)
        self.refresh_bindings()

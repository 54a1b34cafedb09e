"""The Textual app: its bindings, its screens, its commands and its stylesheet.

Owns nothing but wiring: the store, config, clock and link opener come in through the
constructor (nothing is created at import time) and go to the reader screen. Must not
read the store itself, parse, fetch or hold domain rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from devfeed.config import Config
from devfeed.sanitize import safe_url
from devfeed.store import Store
from devfeed.tui.screens.help import HelpScreen, HelpSection
from devfeed.tui.screens.reader import ReaderScreen
from devfeed.tui.widgets.story_list import StoryList
from devfeed.tui.widgets.story_view import StoryView

PALETTE_BINDING = Binding(
    "ctrl+p", "command_palette", "Commands", id="app.commands", tooltip="Search every command"
)


def utc_now() -> datetime:
    """The real clock (tests inject a frozen one)."""
    return datetime.now(UTC)


class DevfeedApp(App[None]):
    """The devfeed reader."""

    CSS_PATH = "devfeed.tcss"
    TITLE = "devfeed"
    BINDINGS: ClassVar[list[BindingType]] = [
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

    def __init__(
        self,
        store: Store,
        config: Config,
        now: Callable[[], datetime] = utc_now,
        open_url: Callable[[str], None] | None = None,
        *,
        page_size: int = 50,
    ) -> None:
        super().__init__()
        self.store = store
        """The database the reader reads and marks stories in."""
        self.config = config
        """The user's feeds.toml."""
        self.now = now
        """The clock (ages, and when a story was saved or queued)."""
        self.link_opener = open_url
        """Opens a checked http(s) link; None when the caller gave no way to open links.
        (Not `self.open_url`: that is Textual's own method, which this app never uses.)"""
        self.page_size = page_size
        """How many stories the list reads at a time."""

    def get_default_screen(self) -> Screen[None]:
        return ReaderScreen(
            self.store,
            now=self.now,
            open_url=self.link_opener,
            page_size=self.page_size,
            long_video_s=self.config.settings.long_video_minutes * 60,
        )

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Textual's link opener, routed to the injected one (never `webbrowser`)."""
        checked = safe_url(url)
        if checked is not None and self.link_opener is not None:
            self.link_opener(checked)

    def help_sections(self) -> list[HelpSection]:
        """Every binding of the reader, by where it applies."""
        return [
            ("Stories", ReaderScreen.BINDINGS),
            ("Moving in the list", StoryList.BINDINGS),
            ("In the preview", StoryView.BINDINGS),
            ("Everywhere", [*self.BINDINGS, PALETTE_BINDING]),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette offers devfeed's enabled bindings (those with a tooltip),
        then Textual's own commands."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.tooltip or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            run = partial(self.run_action, binding.action, active.node)
            yield SystemCommand(binding.description, f"{binding.tooltip} ({key})", run)
        titles = {binding.description for binding in Binding.make_bindings(self.BINDINGS)}
        yield from (c for c in super().get_system_commands(screen) if c.title not in titles)

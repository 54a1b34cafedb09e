"""The status line above the footer: what a poll is doing, and the last thing done.

Watches the app's `status_text`; owns only drawing. Must not read the store.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from devfeed.sanitize import clean_line

IDLE_HINT = "? lists every key · ctrl+p finds any action · [keys] in feeds.toml changes keys"
"""What the line says before anything happened."""


class StatusBar(Static):
    """One line: "polling 3/12 · 5 new", "wrote ~/saved.md (4 stories)" ..."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "status_text", self._show, init=True)

    def _show(self, value: str) -> None:
        if not value:
            self.update(Text(IDLE_HINT, "dim", no_wrap=True, overflow="ellipsis"))
            return
        self.update(Text(clean_line(value, max_length=300), no_wrap=True, overflow="ellipsis"))

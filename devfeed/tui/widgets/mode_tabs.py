"""The tab line at the top of every screen: Feed, Saved, Lunch, Sources, and a status
on the right (the filter, how many stories).

Owns only drawing and turning a click on a tab into `ModeTabClicked`. Must not read the
store.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

from devfeed.sanitize import clean_line
from devfeed.tui.messages import ModeTabClicked

MODE_TABS: tuple[tuple[str, str, str], ...] = (
    ("feed", "1", "Feed"),
    ("saved", "2", "Saved"),
    ("lunch", "3", "Lunch"),
    ("sources", "4", "Sources"),
)
"""(mode, key, label) of each screen, in tab order."""


def mode_label(mode: str) -> str:
    """The label of a mode's tab."""
    return next(label for name, _, label in MODE_TABS if name == mode)


class ModeTabs(Widget):
    """` devfeed  1 Feed   2 Saved   3 Lunch   4 Sources     unread only · 120 stories`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "mode-tabs--name",
        "mode-tabs--active",
        "mode-tabs--tab",
        "mode-tabs--status",
    }
    DEFAULT_CSS = """
    ModeTabs {
        height: 1;
    }
    """

    def __init__(self, mode: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.mode = mode
        """The mode of the screen the tabs are on."""
        self.status = ""
        """What the right end says."""

    def set_status(self, status: str) -> None:
        """Show another status (text from the web is cleaned here)."""
        self.status = clean_line(status, max_length=200)
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" devfeed ", self.get_component_rich_style("mode-tabs--name", partial=True))
        for mode, key, label in MODE_TABS:
            name = "mode-tabs--active" if mode == self.mode else "mode-tabs--tab"
            style = self.get_component_rich_style(name, partial=True)
            style += Style(meta={"mode": mode})
            text.append(f" {key} {label} ", style)
            text.append(" ")
        right = f"{self.status} " if self.status else ""
        width = self.size.width
        if text.cell_len + len(right) >= width:
            right = right[-max(0, width - text.cell_len - 1) :] if width > text.cell_len else ""
        pad = max(0, width - text.cell_len - len(right))
        text.append(" " * pad)
        text.append(right, self.get_component_rich_style("mode-tabs--status", partial=True))
        return text

    def on_click(self, event: events.Click) -> None:
        value = event.style.meta.get("mode")
        if isinstance(value, str):
            self.post_message(ModeTabClicked(value))

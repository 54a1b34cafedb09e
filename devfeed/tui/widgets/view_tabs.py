"""The tab line over the list: which view is shown, the filter, and how many stories.

Owns only drawing and turning a click on a tab into `ViewTabClicked`. Must not read the
store.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widget import Widget

from devfeed.store import View
from devfeed.tui.messages import ViewTabClicked

VIEW_TABS: tuple[tuple[View, str, str], ...] = (
    (View.FEED, "1", "Feed"),
    (View.SAVED, "2", "Saved"),
    (View.LUNCH, "3", "Lunch"),
)


class ViewTabs(Widget):
    """` 1 Feed   2 Saved   3 Lunch          unread only · 120 stories`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "view-tabs--active",
        "view-tabs--tab",
        "view-tabs--status",
    }
    DEFAULT_CSS = """
    ViewTabs {
        height: 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.view = View.FEED
        """The view shown."""
        self.unread_only = False
        """The unread-only filter is on."""
        self.total: int | None = None
        """How many stories the view holds (None while counting)."""
        self.loaded = 0
        """How many of them are loaded."""

    def set_state(self, view: View, unread_only: bool, total: int | None, loaded: int) -> None:
        """Show another view, filter or count."""
        self.view, self.unread_only, self.total, self.loaded = view, unread_only, total, loaded
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for view, key, label in VIEW_TABS:
            name = "view-tabs--active" if view is self.view else "view-tabs--tab"
            style = self.get_component_rich_style(name, partial=True)
            style += Style(meta={"view": view.value})
            text.append(f" {key} {label} ", style)
            text.append(" ")
        status = []
        if self.unread_only:
            status.append("unread only")
        if self.total is None:
            status.append("counting…")
        else:
            noun = "story" if self.total == 1 else "stories"
            status.append(f"{self.total} {noun}")
            if self.loaded < self.total:
                status.append(f"{self.loaded} loaded")
        right = " · ".join(status) + " "
        width = self.size.width
        pad = max(1, width - text.cell_len - len(right))
        text.append(" " * pad)
        text.append(right, self.get_component_rich_style("view-tabs--status", partial=True))
        return text

    def on_click(self, event: events.Click) -> None:
        value = event.style.meta.get("view")
        if isinstance(value, str):
            self.post_message(ViewTabClicked(View(value)))

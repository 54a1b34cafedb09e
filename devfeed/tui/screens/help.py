"""The help screen: a modal listing every key binding, grouped by where it applies.

Owns only drawing the bindings it is given; opened with `?`, closed with escape, q or `?`.
Must not read the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HelpSection = tuple[str, Sequence[BindingType]]
"""A heading and the bindings listed under it."""

NOTES = (
    "Moving the cursor never marks a story read. enter marks the highlighted story read "
    "and moves the focus to the preview (escape goes back to the list); o opens the link "
    "and marks it read too; r toggles read by hand.\n"
    "Lunch takes videos and podcasts. In the Saved and Lunch views, taking a story out of "
    "the queue removes its row. With the unread-only filter on, a story you read stays "
    "until the view is loaded again.\n"
    "The list reads 50 stories at a time and reads more as you move down; G goes to the "
    "last story read so far. New stories from the poller appear on their own."
)


class HelpScreen(ModalScreen[None]):
    """Every binding of the reader, with its key and what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
    ]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__()
        self.sections = tuple(sections)
        """What the screen lists."""
        self.rows: list[tuple[str, str, str]] = []
        """(section, keys, what it does) for every binding shown."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("devfeed keys", "bold"), id="help-title")
            for title, bindings in self.sections:
                yield Static(self._table(title, bindings), classes="help-section")
            yield Static(Text(NOTES), id="help-notes")
            yield Static(Text("escape, q or ? closes this help", "dim"), id="help-footer")

    def _table(self, title: str, bindings: Iterable[BindingType]) -> Table:
        table = Table(title=Text(title, "bold"), title_justify="left", box=None, show_header=False)
        table.add_column("keys", style="bold", min_width=18, no_wrap=True)
        table.add_column("action")
        rows: dict[str, tuple[list[str], str]] = {}
        for binding in Binding.make_bindings(bindings):
            what = binding.tooltip or binding.description
            row = rows.setdefault(binding.id or binding.action, ([], what))
            shown = self.app.get_key_display(binding)
            if shown not in row[0]:
                row[0].append(shown)
        for keys, description in rows.values():
            self.rows.append((title, " / ".join(keys), description))
            table.add_row(Text(" / ".join(keys)), Text(description))
        return table

    def action_close(self) -> None:
        self.dismiss(None)

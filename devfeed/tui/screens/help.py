"""The help screen: a modal listing every key binding of every screen, grouped by where it
applies, with the keys the user's `[keys]` gave them.

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
    "and moves into the story view (escape goes back to the list); o and v mark it read "
    "too; r toggles read by hand. In the story view a digit opens that link.\n"
    'Search (/): words match as prefixes, "quoted" words as a phrase; author:, title:, '
    "tag:, platform: and kind: narrow it; -word leaves out. Filters (f) combine with it; "
    "x clears both.\n"
    "The list reads 50 stories at a time and more as you move; new stories from a daemon "
    "or from R appear on their own within two seconds.\n"
    'Change any key in feeds.toml: [keys] save = "S" (a name is an id below, or its last '
    "part). ctrl+p finds every action by name."
)


class HelpScreen(ModalScreen[None]):
    """Every binding of the reader, with its keys and what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close help", id="help.close"),
    ]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__()
        self.sections = tuple(sections)
        """What the screen lists."""
        self.rows: list[tuple[str, str, str]] = []
        """(section, keys, what it does) for every row shown."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("devfeed keys", "bold"), id="help-title")
            for title, bindings in self.sections:
                yield Static(self._table(title, bindings), classes="help-section")
            yield Static(Text(NOTES), id="help-notes")
            yield Static(Text("escape, q or ? closes this help", "dim"), id="help-footer")

    def _keys(self, binding: Binding) -> list[str]:
        """The keys of a binding after the user's keymap."""
        keymap = getattr(self.app, "_keymap", {})
        keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
        shown: list[str] = []
        for key in keys.split(","):
            display = self.app.get_key_display(Binding(key.strip(), binding.action))
            if key.strip() == binding.key and binding.key_display:
                display = binding.key_display
            shown.append(display)
        return shown

    def _table(self, title: str, bindings: Iterable[BindingType]) -> Table:
        table = Table(title=Text(title, "bold"), title_justify="left", box=None, show_header=False)
        table.add_column("keys", style="bold", min_width=18, no_wrap=True)
        table.add_column("action")
        table.add_column("name", style="dim")
        rows: dict[str, tuple[list[str], list[str]]] = {}
        for binding in Binding.make_bindings(bindings):
            what = binding.tooltip or binding.description
            keys, ids = rows.setdefault(what, ([], []))
            for shown in self._keys(binding):
                if shown not in keys:
                    keys.append(shown)
            if binding.id and binding.id not in ids:
                ids.append(binding.id)
        for what, (keys, ids) in rows.items():
            name = ids[0] if len(ids) == 1 else ""
            self.rows.append((title, " / ".join(keys), what))
            table.add_row(Text(" / ".join(keys)), Text(what), Text(name))
        return table

    def action_close(self) -> None:
        self.dismiss(None)

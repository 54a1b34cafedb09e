"""The filter pane beside the feed: unread only, kind, platform, follow and tag.

Owns the widgets of the pane and turns every change into one `FiltersChanged`. The
values it offers come from the screen (`set_choices`); it never reads the store. Tags and
titles come from the web: every prompt is a literal `Content`, never markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, SelectionList, Static
from textual.widgets.selection_list import Selection

from devfeed.models import Follow
from devfeed.sanitize import clean_line
from devfeed.store import KIND_GROUPS


@dataclass(frozen=True)
class Filters:
    """What the pane has selected (empty sets mean "any")."""

    unread_only: bool = False
    """Hide read stories."""
    kinds: frozenset[str] = field(default=frozenset())
    """Names of `KIND_GROUPS`."""
    platforms: frozenset[str] = field(default=frozenset())
    """Platform names."""
    follows: frozenset[str] = field(default=frozenset())
    """Follow keys."""
    tags: frozenset[str] = field(default=frozenset())
    """Tags (lower case)."""

    @property
    def kind_values(self) -> frozenset[str]:
        """The story kinds the kind groups stand for."""
        return frozenset().union(*(KIND_GROUPS[name] for name in self.kinds))

    @property
    def count(self) -> int:
        """How many filters are on (unread only counts as one)."""
        return (
            int(self.unread_only)
            + len(self.kinds)
            + len(self.platforms)
            + len(self.follows)
            + len(self.tags)
        )

    def describe(self) -> str:
        """The filters in a few words ("unread · videos · youtube · #python")."""
        parts = ["unread" if self.unread_only else ""]
        parts += sorted(self.kinds) + sorted(self.platforms)
        parts += [f"{len(self.follows)} follow{'s' if len(self.follows) > 1 else ''}"] * bool(
            self.follows
        )
        parts += [f"#{tag}" for tag in sorted(self.tags)]
        return " · ".join(part for part in parts if part)


class FiltersChanged(Message):
    """The user changed a filter in the pane."""

    def __init__(self, filters: Filters) -> None:
        super().__init__()
        self.filters = filters
        """Every filter as the pane now has it."""


def _prompt(text: str) -> Content:
    return Content(clean_line(text, max_length=60))


class FilterPane(VerticalScroll):
    """The filters, one list per kind of filter; space or a click toggles a value."""

    DEFAULT_CSS = """
    FilterPane SelectionList {
        height: auto;
        max-height: 12;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.filters = Filters()
        """What is selected."""
        self.built = False
        """The lists are mounted (just after the first paint)."""
        self._choices: tuple[Sequence[str], Sequence[str], Sequence[Follow]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content("Filters"), classes="pane-title")

    async def build(self) -> None:
        """Mount the lists (the screen calls this once the feed's first page is painted:
        the feed shows up sooner)."""
        if self.built:
            return
        self.built = True
        await self.mount_all(
            [
                Checkbox(Content("Unread only"), id="filter-unread"),
                Static(Content("Kind"), classes="filter-heading"),
                SelectionList[str](
                    *(Selection(_prompt(name), name) for name in KIND_GROUPS), id="filter-kinds"
                ),
                Static(Content("Platform"), classes="filter-heading"),
                SelectionList[str](id="filter-platforms"),
                Static(Content("Follow"), classes="filter-heading"),
                SelectionList[str](id="filter-follows"),
                Static(Content("Tag"), classes="filter-heading"),
                SelectionList[str](id="filter-tags"),
            ]
        )
        if self._choices is not None:
            self.set_choices(*self._choices)
        self.set_filters(self.filters)

    def focus_filters(self) -> None:
        """Put the keyboard on the first filter list, where space toggles a value and the
        arrows move (the pane itself takes no keys but scrolling)."""
        if not self.built:
            self.focus()
            return
        kinds = self._list("kinds")
        if kinds.highlighted is None and kinds.option_count:
            kinds.highlighted = 0
        kinds.focus()

    def _list(self, name: str) -> SelectionList[str]:
        return self.query_one(f"#filter-{name}", SelectionList)

    def _fill(self, name: str, options: Iterable[tuple[str, str]], chosen: frozenset[str]) -> None:
        widget = self._list(name)
        highlighted = widget.highlighted
        with self.prevent(SelectionList.SelectedChanged):
            widget.clear_options()
            widget.add_options(
                [Selection(_prompt(label), value, value in chosen) for label, value in options]
            )
        if highlighted is not None and widget.option_count:
            widget.highlighted = min(highlighted, widget.option_count - 1)

    def set_choices(
        self, platforms: Sequence[str], tags: Sequence[str], follows: Sequence[Follow]
    ) -> None:
        """Offer these values (what is selected stays selected, even if not offered)."""
        self._choices = (platforms, tags, follows)
        if not self.built:
            return
        keep = self.filters
        self._fill(
            "platforms", ((p, p) for p in sorted(set(platforms) | keep.platforms)), keep.platforms
        )
        self._fill("tags", ((f"#{t}", t) for t in sorted(set(tags) | keep.tags)), keep.tags)
        self._fill("follows", ((f.label, f.key) for f in follows), keep.follows)

    def set_filters(self, filters: Filters) -> None:
        """Show `filters` as selected (without posting `FiltersChanged`)."""
        self.filters = filters
        if not self.built:
            return
        with self.prevent(SelectionList.SelectedChanged, Checkbox.Changed):
            self.query_one("#filter-unread", Checkbox).value = filters.unread_only
            for name, chosen in (
                ("kinds", filters.kinds),
                ("platforms", filters.platforms),
                ("follows", filters.follows),
                ("tags", filters.tags),
            ):
                widget = self._list(name)
                for index in range(widget.option_count):
                    value = widget.get_option_at_index(index).value
                    if value in chosen:
                        widget.select(value)
                    else:
                        widget.deselect(value)

    def _changed(self) -> None:
        self.post_message(FiltersChanged(self.filters))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.filters = replace(self.filters, unread_only=event.value)
        self._changed()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        name = (event.selection_list.id or "").removeprefix("filter-")
        chosen = frozenset(event.selection_list.selected)
        if name == "kinds":
            self.filters = replace(self.filters, kinds=chosen)
        elif name == "platforms":
            self.filters = replace(self.filters, platforms=chosen)
        elif name == "follows":
            self.filters = replace(self.filters, follows=chosen)
        elif name == "tags":
            self.filters = replace(self.filters, tags=chosen)
        else:
            return
        self._changed()

"""The Feed screen: the filter pane, the search bar, the story list and the story view.

Owns the filters and the search of the feed (turned into a `FeedQuery`; the store
decides what matches) and loads the values the filter pane offers. Must not parse,
fetch or write SQL; every store call runs in a worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input

from devfeed.store import FeedQuery, Order, View, parse_search
from devfeed.store.search import describe
from devfeed.tui.context import ReaderContext
from devfeed.tui.messages import FacetsLoaded, StoriesLoaded
from devfeed.tui.screens.stories import StoryScreen
from devfeed.tui.widgets.filter_pane import FilterPane, Filters, FiltersChanged

NARROW = 100
"""Below this width the filter pane starts hidden."""


class ReaderScreen(StoryScreen):
    """Every story, newest first, filtered and searched."""

    MODE = "feed"
    VIEW = View.FEED
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "search",
            "Search",
            key_display="/",
            id="feed.search",
            tooltip='Search the stories (words, "phrases", author: title: tag: platform: kind:)',
        ),
        Binding(
            "f",
            "toggle_filters",
            "Filters",
            id="pane.filters",
            tooltip="Show or hide the filter pane (and move into it)",
        ),
        Binding(
            "t",
            "toggle_order",
            "Top/newest",
            show=False,
            id="feed.order",
            tooltip="Sort by how many places a story was seen (most first), or newest first",
        ),
        Binding(
            "x",
            "clear_filters",
            "Clear filters",
            show=False,
            id="feed.clear",
            tooltip="Clear the search and every filter",
        ),
    ]

    def __init__(self, context: ReaderContext) -> None:
        super().__init__(context)
        self.filters = Filters()
        """What the filter pane selected (unread only is `unread_only`)."""
        self.search = ""
        """What the user searched for."""
        self.order = Order.NEWEST
        """Newest first, or seen in the most places first."""
        self.filter_pane = FilterPane(id="filter-pane")
        self.search_bar = Input(
            placeholder='search: words "a phrase" author:ada tag:python platform:youtube',
            id="search-bar",
        )

    def side_pane(self) -> Widget | None:
        return self.filter_pane

    def list_header(self) -> Iterable[Widget]:
        yield self.search_bar

    async def on_mount(self) -> None:
        # Textual calls every class's handler in turn: StoryScreen.on_mount shows the feed
        self.search_bar.display = False
        if self.app.size.width < NARROW:
            self.filter_pane.display = False
        self.load_facets()

    def refresh_data(self) -> None:
        super().refresh_data()
        self.load_facets()

    def on_stories_loaded(self, message: StoriesLoaded) -> None:
        # (StoryScreen.on_stories_loaded runs too: Textual calls each class's handler)
        if not self.filter_pane.built:  # once the first page is painted (the refresh after)
            self.call_after_refresh(self.call_after_refresh, self.filter_pane.build)

    # -- what is shown --------------------------------------------------------------------
    @property
    def feed_query(self) -> FeedQuery:
        filters = self.filters
        return FeedQuery(
            view=View.FEED,
            unread_only=self.unread_only,
            platforms=filters.platforms,
            follows=filters.follows,
            tags=filters.tags,
            kinds=filters.kind_values,
            search=self.search,
            order=self.order,
        )

    def status_parts(self) -> list[str]:
        parts = super().status_parts()
        if self.order is Order.POPULAR:
            parts.append("most seen first")
        if self.search:
            parts.append(f"/{describe(parse_search(self.search))}")
        if described := replace(self.filters, unread_only=False).describe():
            parts.append(described)
        return parts

    def set_filters(self, filters: Filters) -> None:
        """Show the feed with these filters (the pane shows them too)."""
        self.filters = replace(filters, unread_only=False)
        self.unread_only = filters.unread_only
        self.filter_pane.set_filters(filters)
        self.show_stories(select_id=self.story.id if self.story else None)

    # -- facets for the pane --------------------------------------------------------------
    @work(exclusive=True, group="facets", exit_on_error=False)
    async def load_facets(self) -> None:
        store = self.context.store
        platforms = await store.facet_values("platform")
        tags = await store.facet_values("tag", limit=300)
        self.post_message(FacetsLoaded(platforms, tags))

    def on_facets_loaded(self, message: FacetsLoaded) -> None:
        self.filter_pane.set_choices(message.platforms, message.tags, self.context.config.follows)

    def action_toggle_order(self) -> None:
        self.order = Order.NEWEST if self.order is Order.POPULAR else Order.POPULAR
        self.show_stories(select_id=self.story.id if self.story else None)

    # -- filters and search ---------------------------------------------------------------
    def on_filters_changed(self, message: FiltersChanged) -> None:
        self.filters = replace(message.filters, unread_only=False)
        self.unread_only = message.filters.unread_only
        self.show_stories(select_id=self.story.id if self.story else None)

    def action_toggle_unread_only(self) -> None:
        super().action_toggle_unread_only()
        self.filter_pane.set_filters(replace(self.filters, unread_only=self.unread_only))

    async def action_toggle_filters(self) -> None:
        pane = self.filter_pane
        await pane.build()
        if pane.display and not pane.has_focus_within:
            pane.focus_filters()  # shown but elsewhere: go there first
            return
        pane.display = not pane.display
        if pane.display:
            pane.focus_filters()
        else:
            self.story_list.focus()

    def action_clear_filters(self) -> None:
        self.search = ""
        self.search_bar.value = ""
        self.search_bar.display = False
        self.set_filters(Filters())

    def action_search(self) -> None:
        self.search_bar.display = True
        self.search_bar.value = self.search
        self.search_bar.focus()

    @on(Input.Submitted, "#search-bar")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search = event.value.strip()
        self.search_bar.display = bool(self.search)
        self.story_list.focus()
        self.show_stories()

    def action_focus_list(self) -> None:
        if self.search_bar.has_focus:  # escape in the search bar: leave it as it was
            self.search_bar.value = self.search
            self.search_bar.display = bool(self.search)
        super().action_focus_list()

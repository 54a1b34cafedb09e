"""The story list: a Line-API `ScrollView` over pages of one view, fetched by keyset.

Owns the loaded stories (the pages read so far, never the whole view), the cursor, and
the workers that read the next page when the cursor or the viewport nears the end of what
is loaded. It only reads the store, in workers; it never writes. The screen tells it what
changed (`replace_story`, `remove_story`) and decides what belongs in a view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import Worker, WorkerState

from devfeed.models import Story
from devfeed.sanitize import clean_line
from devfeed.store import Cursor, FeedQuery, Store
from devfeed.tui.messages import StoriesCounted, StoriesLoaded, StoryHighlighted
from devfeed.tui.widgets.story_row import RowStyles, empty_note, story_row

COUNT_AT_MOST = 10_000
"""A filtered or searched view is counted up to this many (a bounded count stays fast)."""


class StoryList(ScrollView, can_focus=True):
    """One row per loaded story, a cursor, and a "loading…" row while more exist."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "story-list--cursor",
        "story-list--unread",
        "story-list--read",
        "story-list--mark",
        "story-list--badge",
        "story-list--meta",
        "story-list--long",
        "story-list--loading",
    }
    DEFAULT_CSS = """
    StoryList {
        overflow-x: hidden;
        overflow-y: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First story", show=False, id="list.first"),
        Binding("G,end", "last", "Last loaded story", show=False, id="list.last"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="list.page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page-up"),
    ]

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], datetime],
        page_size: int = 50,
        long_video_s: int = 600,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._store = store
        self._now = now
        self.page_size = page_size
        """How many stories one read of the store brings."""
        self._long_video_s = long_video_s
        self._query: FeedQuery | None = None
        self._stories: list[Story] = []
        self._rows: dict[int, int] = {}
        self._next: Cursor | None = None
        self._loading = False
        self._loaded_once = False
        self._error: str | None = None
        self._generation = 0
        self._cursor = 0
        self._select_id: int | None = None
        self._wanted_row: int | None = None  # asked for past the loaded rows
        self._announced: Story | None = None
        self._row_styles_cache: RowStyles | None = None
        self.total: int | None = None
        """How many stories the view holds (store.count), once counted."""
        self.total_capped = False
        """The count stopped at `COUNT_AT_MOST`: the view holds at least `total`."""

    # -- what the screen reads ------------------------------------------------------------
    @property
    def feed_query(self) -> FeedQuery | None:
        """The view and filter shown."""
        return self._query

    @property
    def stories(self) -> tuple[Story, ...]:
        """The stories loaded so far, in order."""
        return tuple(self._stories)

    @property
    def cursor_row(self) -> int:
        """Row of the highlighted story."""
        return self._cursor

    @property
    def highlighted_story(self) -> Story | None:
        """The story under the cursor, or None when nothing is loaded."""
        if 0 <= self._cursor < len(self._stories):
            return self._stories[self._cursor]
        return None

    @property
    def has_more(self) -> bool:
        """More stories exist after the loaded ones."""
        return self._next is not None

    @property
    def is_fetching(self) -> bool:
        """A page is being read."""
        return self._loading

    # -- what the screen asks -------------------------------------------------------------
    def show(self, query: FeedQuery, select_id: int | None = None) -> None:
        """Forget what is loaded and read the first page of `query` (in a worker);
        highlight the story `select_id` if it is on that page."""
        self._reset(query, select_id)
        self._fetch(self._generation, query, None)

    async def show_now(self, query: FeedQuery) -> None:
        """Read the first page of `query` before returning (one keyset page: milliseconds
        at any size), so that the screen's first paint already has the stories. A failure
        falls back to `show`, which reports it."""
        self._reset(query, None)
        try:
            page = await self._store.feed_page(query, after=None, limit=self.page_size)
        except Exception:
            self._fetch(self._generation, query, None)
            return
        message = StoriesLoaded(self._generation, query, None, page, applied=True)
        self._apply_loaded(message)  # before the first paint, not after it
        self.post_message(message)

    def _reset(self, query: FeedQuery, select_id: int | None) -> None:
        self._generation += 1
        self._query = query
        self._stories, self._rows = [], {}
        self._next, self._error, self.total = None, None, None
        self.total_capped = False
        self._loading, self._loaded_once = True, False
        self._cursor, self._select_id, self._wanted_row = 0, select_id, None
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False)
        self.refresh()
        self._announce()

    def refresh_top(self) -> None:
        """Read the first page again and merge it, keeping the highlighted story."""
        if self._query is not None and self._loaded_once:
            self._fetch_top(self._generation, self._query)

    def replace_story(self, story: Story) -> None:
        """Show a new version of a loaded story in place (no-op when it is not loaded)."""
        row = self._rows.get(story.id)
        if row is None:
            return
        self._stories[row] = story
        self.refresh_line(row)
        self._announce()

    def remove_story(self, story_id: int) -> None:
        """Take a story out of the list (it left the view)."""
        row = self._rows.pop(story_id, None)
        if row is None:
            return
        del self._stories[row]
        self._reindex()
        if self.total:
            self.total -= 1
        if row < self._cursor or self._cursor >= len(self._stories):
            self._cursor = max(0, self._cursor - 1)
        self._update_virtual_size()
        self.refresh()
        self._announce()
        self._maybe_load_more()

    def move_story(self, story_id: int, up: bool) -> bool:
        """Swap a loaded story with the one above or below it (the store's order changed);
        the cursor follows it. False when there is no loaded neighbour there."""
        row = self._rows.get(story_id)
        if row is None:
            return False
        other = row - 1 if up else row + 1
        if not 0 <= other < len(self._stories):
            return False
        stories = self._stories
        stories[row], stories[other] = stories[other], stories[row]
        self._reindex()
        self.refresh_line(row)
        self.refresh_line(other)
        if self._cursor == row:
            self._move(other)
        return True

    def select_story(self, story_id: int) -> bool:
        """Move the cursor to a loaded story; False when it is not loaded."""
        row = self._rows.get(story_id)
        if row is not None:
            self._move(row)
        return row is not None

    # -- workers --------------------------------------------------------------------------
    @work(exclusive=True, group="story-page", exit_on_error=False)
    async def _fetch(self, generation: int, query: FeedQuery, after: Cursor | None) -> None:
        page = await self._store.feed_page(query, after=after, limit=self.page_size)
        self.post_message(StoriesLoaded(generation, query, after, page))

    @work(exclusive=True, group="story-refresh", exit_on_error=False)
    async def _fetch_top(self, generation: int, query: FeedQuery) -> None:
        page = await self._store.feed_page(query, after=None, limit=self.page_size)
        self.post_message(StoriesLoaded(generation, query, None, page, merge=True))

    @work(exclusive=True, group="story-count", exit_on_error=False)
    async def _count(self, generation: int, query: FeedQuery) -> None:
        """Count the view after its first page is shown, so painting never waits for it."""
        at_most = COUNT_AT_MOST if query.is_filtered else None
        total = await self._store.count(query, at_most=at_most)
        self.post_message(StoriesCounted(generation, query, total, at_most))

    def on_stories_counted(self, message: StoriesCounted) -> None:
        if message.generation != self._generation or message.query != self._query:
            message.stop()
            return
        self.total = max(message.total, len(self._stories))
        self.total_capped = message.at_most is not None and message.total >= message.at_most

    def on_stories_loaded(self, message: StoriesLoaded) -> None:
        if message.generation != self._generation or message.query != self._query:
            message.stop()  # the user moved on: an old view's page
            return
        if not message.applied:
            self._apply_loaded(message)

    def _apply_loaded(self, message: StoriesLoaded) -> None:
        if message.merge:
            self._merge_top(message)
        elif message.after is None:
            self._take_first(message)
        elif message.after == self._next:
            self._take_next(message)
        else:  # a refresh replaced the cursor this page was read after
            self._loading = False
            message.stop()
            self._maybe_load_more()
            return
        self._update_virtual_size()
        self.refresh()
        self._announce()
        self._maybe_load_more()

    def _take_first(self, message: StoriesLoaded) -> None:
        self._stories = list(message.page.stories)
        self._next = message.page.next_cursor
        self._loading, self._loaded_once = False, True
        if self._next is None:
            self.total, self.total_capped = len(self._stories), False
        else:
            self._count(self._generation, message.query)
        self._reindex()
        row = self._rows.get(self._select_id, 0) if self._select_id is not None else 0
        self._select_id = None
        self._update_virtual_size()
        self._move(row)

    def _take_next(self, message: StoriesLoaded) -> None:
        self._stories.extend(s for s in message.page.stories if s.id not in self._rows)
        self._next = message.page.next_cursor
        self._loading = False
        self._reindex()
        if self._wanted_row is not None:  # the user kept moving down while it loaded
            self._update_virtual_size()
            row, self._wanted_row = self._wanted_row, None
            self._move(row)

    def _merge_top(self, message: StoriesLoaded) -> None:
        page = message.page
        highlighted = self.highlighted_story
        old_row = self._cursor
        fresh = list(page.stories)
        end = self._rows.get(fresh[-1].id) if fresh and page.next_cursor else None
        if end is None:  # the page is the whole view, or it no longer meets what is loaded
            self._stories, self._next = fresh, page.next_cursor
        else:  # keep what was loaded past the page's last story
            ids = {story.id for story in fresh}
            self._stories = fresh + [s for s in self._stories[end + 1 :] if s.id not in ids]
        self._reindex()
        if self._next is None:
            self.total, self.total_capped = len(self._stories), False
        else:
            self._count(self._generation, message.query)
        row = self._rows.get(highlighted.id, old_row) if highlighted else old_row
        self._cursor = max(0, min(row, len(self._stories) - 1))
        self._update_virtual_size()
        if row != old_row and self.scroll_offset.y > 0:  # keep the story where the eye is
            self.scroll_to(y=self.scroll_offset.y + row - old_row, animate=False)
        self._scroll_to_cursor()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = clean_line(event.worker.error, max_length=200)
        self.notify(error, title="Cannot read the stories", severity="error", markup=False)
        if event.worker.group in ("story-page", "story-refresh"):
            self._loading, self._error = False, error
            self._update_virtual_size()
            self.refresh()

    # -- cursor and paging ----------------------------------------------------------------
    def _reindex(self) -> None:
        self._rows = {story.id: row for row, story in enumerate(self._stories)}

    def _update_virtual_size(self) -> None:
        extra = 1 if (self._next is not None or not self._loaded_once or self._error) else 0
        rows = max(1, len(self._stories) + extra)
        self.virtual_size = Size(self.scrollable_content_region.width, rows)

    def _announce(self) -> None:
        story = self.highlighted_story
        if story is not self._announced:
            self._announced = story
            self.post_message(StoryHighlighted(story))

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)

    def _move(self, row: int) -> None:
        last = len(self._stories) - 1
        self._wanted_row = row if row > last and self._next is not None else None
        old = self._cursor
        self._cursor = max(0, min(row, len(self._stories) - 1))
        self.refresh_line(old)
        self.refresh_line(self._cursor)
        self._scroll_to_cursor()
        self._announce()
        self._maybe_load_more()

    def _maybe_load_more(self) -> None:
        if self._loading or self._next is None or self._query is None:
            return
        margin = max(10, self.page_size // 5)
        bottom = self.scroll_offset.y + self.scrollable_content_region.height
        loaded = len(self._stories)
        if self._cursor + margin >= loaded or bottom + margin >= loaded:
            self._loading, self._error = True, None
            self.refresh_line(loaded)
            self._fetch(self._generation, self._query, self._next)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._maybe_load_more()

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._maybe_load_more()

    def on_mount(self) -> None:
        self.set_interval(60, self.refresh)  # ages ("5m") move on

    def on_focus(self, event: events.Focus) -> None:
        self.refresh_line(self._cursor)

    def on_blur(self, event: events.Blur) -> None:
        self.refresh_line(self._cursor)

    def on_click(self, event: events.Click) -> None:
        row = event.style.meta.get("row")
        if isinstance(row, int):
            self._move(row)

    def _target(self) -> int:
        """Where the cursor is going: past the loaded rows while the next page loads."""
        return self._cursor if self._wanted_row is None else self._wanted_row

    def action_cursor_down(self) -> None:
        self._move(self._target() + 1)

    def action_cursor_up(self) -> None:
        self._move(self._cursor - 1)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._stories) - 1)

    def action_page_down(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        self.scroll_to(y=self.scroll_offset.y + height, animate=False)
        self._move(self._target() + height)

    def action_page_up(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        self.scroll_to(y=self.scroll_offset.y - height, animate=False)
        self._move(self._cursor - height)

    # -- drawing --------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        """A component's colour and text style, without a background (rows keep the
        list's background, or the cursor's)."""
        full = self.get_visual_style(name, partial=True).rich_style
        return Style(
            color=full.color,
            bold=full.bold,
            dim=full.dim,
            italic=full.italic,
            underline=full.underline,
            reverse=full.reverse,
            strike=full.strike,
        )

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if row < len(self._stories):
            return self._render_story(row, width, base)
        if row == len(self._stories):
            if self._error:
                note = f"could not read the stories: {self._error}"
            elif self._loading or self._next is not None:
                note = "loading…"
            elif not self._stories and self._query is not None:
                note = empty_note(self._query)
            else:
                return Strip.blank(width, base)
            text = Text(f" {note}", base + self._style("story-list--loading"), end="")
            return Strip(text.render(self.app.console)).crop_extend(0, width, base)
        return Strip.blank(width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_styles_cache = None  # the theme or the CSS changed

    def _row_styles(self) -> RowStyles:
        if self._row_styles_cache is None:
            self._row_styles_cache = self._compute_row_styles()
        return self._row_styles_cache

    def _compute_row_styles(self) -> RowStyles:
        return RowStyles(
            mark=self._style("story-list--mark"),
            badge=self._style("story-list--badge"),
            unread=self._style("story-list--unread"),
            read=self._style("story-list--read"),
            meta=self._style("story-list--meta"),
            long=self._style("story-list--long"),
        )

    def _render_story(self, row: int, width: int, base: Style) -> Strip:
        story = self._stories[row]
        text = story_row(
            story,
            width,
            now=self._now(),
            long_video_s=self._long_video_s,
            styles=self._row_styles(),
            base=base,
        )
        line_style = base
        if row == self._cursor:
            cursor = self.get_visual_style("story-list--cursor").rich_style
            text.stylize(cursor)
            line_style = base + cursor
        strip = Strip(text.render(self.app.console)).crop_extend(0, width, line_style)
        return strip.apply_meta({"row": row})

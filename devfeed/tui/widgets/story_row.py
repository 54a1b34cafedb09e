"""One story as one line of the list: marks, platform badge, title, author, age, duration;
and the line an empty view shows.

Pure: builds rich `Text` (never markup) from a story, a width, a clock reading and the
styles it is given; no Textual, no I/O. Web text goes through `sanitize` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.style import Style
from rich.text import Text

from devfeed.models import Story
from devfeed.sanitize import clean_line
from devfeed.store import FeedQuery, View
from devfeed.tui.widgets import labels

EMPTY_TEXT: dict[View, str] = {
    View.FEED: "No stories yet. Press R to poll your follows (or run `devfeed poll --once`).",
    View.SAVED: "Nothing saved yet. Press s on a story to save it.",
    View.LUNCH: "The Lunch queue is empty. Press l on a video or a podcast.",
}
WIDE = 88
"""From this width on, rows show the author."""
WIDER = 110
"""From this width on, rows also show "seen on N" (narrower rows have the badge's "+N")."""
MEDIUM = 70
"""From this width on, rows show the duration and the comment count."""


@dataclass(frozen=True)
class RowStyles:
    """The styles of a row's parts (foreground and text style only)."""

    mark: Style
    """The unread, saved and lunch marks."""
    badge: Style
    """The platform badge."""
    unread: Style
    """The title of an unread story."""
    read: Style
    """The title of a read story."""
    meta: Style
    """Author, age, duration, "seen on"."""
    long: Style
    """The duration of a video long enough for Lunch."""


def _column(text: Text, value: str, size: int, style: Style, *, right: bool = False) -> None:
    cell = Text(value, style, no_wrap=True, end="")
    cell.truncate(size, overflow="ellipsis")
    pad = " " * (size - cell.cell_len)
    text.append(pad if right else "")
    text.append_text(cell)
    text.append(("" if right else pad) + " ")


def _right_columns(
    story: Story, width: int, now: datetime, long_video_s: int, styles: RowStyles
) -> Text:
    text = Text(no_wrap=True, end="")
    if width >= WIDE:
        _column(text, clean_line(story.author or "", max_length=60), 16, styles.meta)
    _column(text, labels.age(story.published, now), 4, styles.meta, right=True)
    if width >= MEDIUM:
        duration = labels.duration(story)
        long = story.duration_s is not None and story.duration_s >= long_video_s
        _column(text, duration, 7, styles.long if duration and long else styles.meta, right=True)
    if width >= MEDIUM:
        _column(text, labels.count_badge(labels.comment_count(story)), 5, styles.meta, right=True)
    if width >= WIDER:
        seen = labels.seen_count(story)
        _column(text, f"seen on {seen}" if seen > 1 else "", 9, styles.meta)
    return text


def story_row(
    story: Story,
    width: int,
    *,
    now: datetime,
    long_video_s: int,
    styles: RowStyles,
    base: Style | None = None,
) -> Text:
    """The row of `story`, `width` cells wide at most (the title takes what is left)."""
    text = Text(no_wrap=True, end="", style=base or Style())
    text.append("●" if not story.read else " ", styles.mark)
    text.append("★" if story.saved else " ", styles.mark)
    text.append("◷" if story.lunch else " ", styles.mark)
    others = len(labels.platforms(story)) - 1
    plus = f"+{others}" if others > 0 else ""
    text.append(f" {labels.badge(story):<{labels.BADGE_WIDTH}}{plus:<3}", styles.badge)
    right = _right_columns(story, width, now, long_video_s, styles)
    title_width = max(8, width - text.cell_len - right.cell_len - 1)
    title_style = styles.read if story.read else styles.unread
    title = Text(clean_line(story.title), title_style, no_wrap=True, end="")
    title.truncate(title_width, overflow="ellipsis", pad=True)
    text.append_text(title)
    text.append(" ")
    text.append_text(right)
    return text


def empty_note(query: FeedQuery) -> str:
    """What the list says when a view has no story."""
    if query.is_filtered:
        return "Nothing matches the search and filters. Press x to clear them."
    if query.unread_only:
        return "No unread stories here. Press u to show all."
    return EMPTY_TEXT[query.view]

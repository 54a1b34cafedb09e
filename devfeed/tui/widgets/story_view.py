"""The preview of one story: its facts, where it was seen, then its text.

Owns only drawing. Every string from the web goes through `sanitize` and then into rich
`Text` objects, never into markup, so a title such as "[@click=app.quit]" is shown as it
is written and does nothing. Must not read or write the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from devfeed.models import Story
from devfeed.sanitize import clean_line, clean_text, safe_url
from devfeed.tui.widgets import labels

TIME_FORMAT = "%Y-%m-%d %H:%M"
SUMMARY_MAX_LENGTH = 20_000
"""The preview shows this much of a story's text (the rest is a click away)."""


def _line(value: object, max_length: int = 500) -> str:
    return clean_line(value, max_length=max_length)


def _url(value: str | None) -> str:
    """A link as text: cleaned, and marked when it is not one devfeed would open."""
    if not value:
        return ""
    cleaned = _line(value, max_length=2000)
    return cleaned if safe_url(value) else f"{cleaned} (not an http(s) link; will not be opened)"


def story_text(story: Story, now: datetime) -> Group:
    """The preview of `story` as rich renderables (no markup is ever parsed)."""
    head = Text()
    head.append(_line(story.title) or "(untitled)", "bold")
    head.append("\n")
    if story.url:
        head.append(_url(story.url), "underline")
        head.append("\n")
    facts = [_line(story.kind, 20)]
    if duration := labels.duration(story):
        facts.append(duration)
    published = story.published.astimezone()
    ago = labels.ago(story.published, now)
    facts.append(f"published {published.strftime(TIME_FORMAT)} ({ago})")
    if story.author:
        facts.append(f"by {_line(story.author, 100)}")
    head.append(" · ".join(facts), "dim")
    head.append("\n")
    state = ["read" if story.read else "unread"]
    if story.saved:
        state.append("saved")
    if story.lunch:
        state.append("in Lunch")
    head.append(f"id {story.id} · {', '.join(state)}", "dim")
    if story.tags:
        head.append("\n")
        head.append(" ".join(f"#{_line(tag, 60)}" for tag in story.tags), "italic")

    for line in labels.discussions(story):
        head.append("\n")
        head.append(line)
    if boosters := labels.boosted_by(story):
        head.append("\n")
        head.append(f"boosted by {', '.join(boosters)}", "dim")

    seen = Text()
    seen.append(f"Seen on ({len(story.seen_on)})", "bold")
    for sighting in story.seen_on:
        seen.append("\n  ")
        seen.append(f"{_line(sighting.platform, 20):<12}", "bold")
        seen.append(f" {_line(sighting.author or '-', 60)}")
        if sighting.follow:
            seen.append(f"  via {_line(sighting.follow, 100)}", "dim")
        if sighting.boosted_by:
            seen.append(f"  boosted by {_line(sighting.boosted_by, 60)}", "dim")
        seen.append(f"  seen {labels.ago(sighting.seen_at, now)}", "dim")
        if sighting.url and sighting.url != story.url:
            seen.append(f"\n    {_url(sighting.url)}", "dim")
    comments = [s.comments_url for s in story.seen_on if s.comments_url]
    if comments:
        seen.append("\n")
        seen.append("Comments", "bold")
        for url in dict.fromkeys(comments):
            seen.append(f"\n  {_url(url)}")

    body = Text(clean_text(story.summary, max_length=SUMMARY_MAX_LENGTH).strip() or "(no text)")
    return Group(head, Text(""), seen, Text(""), body)


class StoryView(VerticalScroll, can_focus=True):
    """Shows the highlighted story; scrolls with j/k, the arrows and the page keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="preview.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="preview.up"),
    ]

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._now = now
        self.story: Story | None = None
        """The story shown, or None."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Nothing selected.", "dim"), id="story-body")

    def show(self, story: Story | None) -> None:
        """Show `story` (None: an empty preview)."""
        changed = self.story is None or story is None or story.id != self.story.id
        self.story = story
        body = self.query_one("#story-body", Static)
        if story is None:
            body.update(Text("Nothing selected.", "dim"))
        else:
            body.update(story_text(story, self._now()))
        if changed:
            self.scroll_home(animate=False)

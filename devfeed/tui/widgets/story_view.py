"""The story view: its facts, where it was seen, its discussions, its text, and every
link numbered so that a digit opens it.

Owns only drawing and asking for a link to be opened (`LinkChosen`). Every string from
the web goes through `sanitize` and then into rich `Text` objects, never into markup, so
a title such as "[@click=app.quit]" is shown as it is written and does nothing. Must not
read or write the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from devfeed.models import Story
from devfeed.sanitize import clean_line, clean_text, safe_url
from devfeed.tui.widgets import labels
from devfeed.words import plural

TIME_FORMAT = "%Y-%m-%d %H:%M"
SUMMARY_MAX_LENGTH = 20_000
"""The view shows this much of a story's text (the rest is a click away)."""
NOTE_MAX_LENGTH = 2_000
"""The view shows this much of the user's note."""
MAX_LINKS = 9
"""Links 1 to 9 open with a digit; later ones from the command palette."""
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'()\[\]{}]+[^\s<>\"'()\[\]{}.,;:!?]")


@dataclass(frozen=True)
class StoryLink:
    """A link of a story, as the view numbers it."""

    label: str
    """What it is: "the story", "discussion on hackernews (120 comments)", "in the text"."""
    url: str
    """The checked http(s) URL."""


def _line(value: object, max_length: int = 500) -> str:
    return clean_line(value, max_length=max_length)


def _comments(count: int | None) -> str:
    if count is None:
        return ""
    return f" ({count} {plural(count, 'comment')})"


def story_links(story: Story) -> list[StoryLink]:
    """Every http(s) link of a story, once each, in the order the view numbers them: the
    story, its discussions, the posts that shared it, then links in its text."""
    found: dict[str, StoryLink] = {}

    def add(label: str, url: str | None) -> None:
        checked = safe_url(url)
        if checked is not None and checked not in found:
            found[checked] = StoryLink(label, checked)

    add("the story", story.url)
    for sighting in story.seen_on:
        platform = _line(sighting.platform, 20)
        add(f"discussion on {platform}{_comments(sighting.comments)}", sighting.comments_url)
    for sighting in story.seen_on:
        author = f" by {_line(sighting.author, 60)}" if sighting.author else ""
        add(f"the post on {_line(sighting.platform, 20)}{author}", sighting.url)
    for match in _URL_IN_TEXT.finditer(story.summary[:SUMMARY_MAX_LENGTH]):
        add("in the text", match.group(0))
    return list(found.values())


def _body(story: Story, numbers: dict[str, int]) -> Text:
    """The story's text with each numbered link followed by its number."""
    plain = clean_text(story.summary, max_length=SUMMARY_MAX_LENGTH).strip()
    if not plain:
        return Text("(no text)", "dim")
    body = Text()
    last = 0
    for match in _URL_IN_TEXT.finditer(plain):
        body.append(plain[last : match.start()])
        url = match.group(0)
        body.append(url, "underline")
        if url in numbers:
            body.append(f" [{numbers[url]}]", "bold")
        last = match.end()
    body.append(plain[last:])
    return body


def _yours(story: Story) -> Text:
    """The user's own tags and note (`devfeed save --tag --note`): typed by the user, but
    shown like web text, as plain `Text`."""
    yours = Text()
    if story.saved_tags:
        yours.append("\nyour tags: ", "bold")
        yours.append(" ".join(f"#{_line(tag, 60)}" for tag in story.saved_tags), "italic")
    note = clean_text(story.note or "", max_length=NOTE_MAX_LENGTH).strip()
    if note:
        yours.append("\nyour note: ", "bold")
        yours.append(note)
    return yours


def story_text(story: Story, now: datetime) -> Group:
    """The view of `story` as rich renderables (no markup is ever parsed)."""
    links = story_links(story)
    numbers = {link.url: n for n, link in enumerate(links, start=1)}
    head = Text()
    head.append(_line(story.title) or "(untitled)", "bold")
    facts = [_line(story.kind, 20)]
    if duration := labels.duration(story):
        facts.append(duration)
    published = story.published.astimezone()
    facts.append(
        f"published {published.strftime(TIME_FORMAT)} ({labels.ago(story.published, now)})"
    )
    if story.author:
        facts.append(f"by {_line(story.author, 100)}")
    head.append("\n")
    head.append(" · ".join(facts), "dim")
    state = ["read" if story.read else "unread"]
    if story.saved:
        state.append("saved")
    if story.lunch:
        state.append("in Lunch")
    head.append("\n")
    head.append(f"id {story.id} · {', '.join(state)}", "dim")
    if story.tags:
        head.append("\n")
        head.append(" ".join(f"#{_line(tag, 60)}" for tag in story.tags), "italic")
    head.append_text(_yours(story))

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
        if sighting.boosted_by:
            seen.append(f"  boosted by {_line(sighting.boosted_by, 60)}", "dim")
        if sighting.follow:
            seen.append(f"  via {_line(sighting.follow, 100)}", "dim")
        seen.append(f"  {labels.ago(sighting.seen_at, now)}", "dim")
        if sighting.score is not None:
            seen.append(f"  {sighting.score} points", "dim")

    listed = Text()
    listed.append("Links", "bold")
    if not links:
        listed.append("\n  (none)", "dim")
    for number, link in enumerate(links, start=1):
        listed.append("\n")
        listed.append(f" {number:>2} ", "bold reverse" if number <= MAX_LINKS else "bold")
        listed.append(f" {link.label}  ", "dim")
        listed.append(link.url, "underline")
    unsafe = [s.url for s in story.seen_on if s.url and safe_url(s.url) is None]
    if story.url and safe_url(story.url) is None:
        unsafe.insert(0, story.url)
    for url in unsafe:
        listed.append(f"\n     {_line(url, 300)} (not an http(s) link; will not be opened)", "dim")

    return Group(head, Text(""), seen, Text(""), listed, Text(""), _body(story, numbers))


class LinkChosen(Message):
    """The user asked to open one of the story's links."""

    def __init__(self, link: StoryLink) -> None:
        super().__init__()
        self.link = link
        """The link."""


class StoryView(VerticalScroll, can_focus=True):
    """Shows the highlighted story; scrolls with j/k, the arrows and the page keys; a
    digit opens that link."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="story-view.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="story-view.up"),
        Binding("space", "page_down", "Page down", show=False, id="story-view.page-down"),
        *(
            Binding(
                str(n),
                f"open_link({n})",
                "Open the link with this number",
                show=False,
                id=f"story-view.link-{n}",
            )
            for n in range(1, MAX_LINKS + 1)
        ),
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
        self.links: list[StoryLink] = []
        """Its links, as numbered."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Nothing selected.", "dim"), id="story-body")

    def show(self, story: Story | None) -> None:
        """Show `story` (None: an empty view)."""
        changed = self.story is None or story is None or story.id != self.story.id
        self.story = story
        self.links = story_links(story) if story else []
        body = self.query_one("#story-body", Static)
        if story is None:
            body.update(Text("Nothing selected.", "dim"))
        else:
            body.update(story_text(story, self._now()))
        if changed:
            self.scroll_home(animate=False)

    def action_open_link(self, number: int) -> None:
        """Open link `number` (a digit with no link only rings: it must not fall through
        to the screens' digit keys)."""
        if 1 <= number <= len(self.links):
            self.post_message(LinkChosen(self.links[number - 1]))
        else:
            self.app.bell()

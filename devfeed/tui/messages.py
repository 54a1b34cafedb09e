"""The reader's messages: small dataclasses with past-tense names.

Workers post them when I/O finishes; widgets post them when the user did something.
They carry values only (stories, pages, versions) and never widgets' state or callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from devfeed.api import Source
from devfeed.models import Story
from devfeed.refresh import PollProgress
from devfeed.store import Cursor, FeedQuery, Page


@dataclass(eq=False)
class StoriesLoaded(Message):
    """A page of a view came back from the store.

    `generation` says which load of the list asked for it: the list ignores pages of an
    older generation (the user switched view or filter meanwhile)."""

    generation: int
    """The list's load counter when the page was asked for."""
    query: FeedQuery
    """The view and filter the page belongs to."""
    after: Cursor | None
    """The cursor the page was read after (None for the first page)."""
    page: Page
    """The stories and the cursor of the next page."""
    merge: bool = False
    """A live refresh of the first page, to merge into what is loaded."""
    applied: bool = False
    """The list took the page already (before the first paint); the message only tells
    the screen."""


@dataclass(eq=False)
class StoriesCounted(Message):
    """The store counted the stories of a view (after its first page was shown)."""

    generation: int
    """The list's load counter when the count was asked for."""
    query: FeedQuery
    """The view and filter counted."""
    total: int
    """How many (at most `at_most`)."""
    at_most: int | None
    """Counting stopped here (None: an exact count)."""


@dataclass(eq=False)
class StoryHighlighted(Message):
    """The story under the list's cursor changed (another story, or a new version of it)."""

    story: Story | None
    """The highlighted story; None when the list is empty."""

    def can_replace(self, message: Message) -> bool:
        # holding `j` moves through many stories: only the last one needs a preview
        return isinstance(message, StoryHighlighted)


@dataclass(eq=False)
class StoryChanged(Message):
    """The store wrote the user's state of a story (read, Saved, Lunch). Bubbles to the
    app, which tells the other screens."""

    story: Story
    """The story as the store now has it."""
    origin: str = ""
    """The mode of the screen that wrote it (it shows the change already)."""


@dataclass(eq=False)
class DataVersionChecked(Message):
    """The store's data version was read (it changes when another process commits)."""

    version: int
    """`PRAGMA data_version` of the reader's connection."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataVersionChecked)


@dataclass(eq=False)
class ModeTabClicked(Message):
    """The user clicked a screen's tab."""

    mode: str
    """The mode of the tab: feed, saved, lunch or sources."""


@dataclass(eq=False)
class FacetsLoaded(Message):
    """The values the filters can offer came back from the store."""

    platforms: list[str]
    """Platforms the stories were seen on."""
    tags: list[str]
    """Tags the stories have."""


@dataclass(eq=False)
class LunchLoaded(Message):
    """The Lunch queue and the suggestions came back from the store."""

    queue: list[Story]
    """Every queued video, most recently queued first."""
    suggestions: list[Story]
    """Long unread videos from followed profiles, newest first."""


@dataclass(eq=False)
class SourcesLoaded(Message):
    """Every follow with how polling it went."""

    sources: list[Source]
    """In config order."""


@dataclass(eq=False)
class PollProgressed(Message):
    """A poll started from the reader moved on (or ended)."""

    progress: PollProgress
    """How far it is."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PollProgressed)

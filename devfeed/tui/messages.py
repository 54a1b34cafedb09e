"""The reader's messages: small dataclasses with past-tense names.

Workers post them when I/O finishes; widgets post them when the user did something.
They carry values only (stories, pages, versions) and never widgets' state or callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from devfeed.models import Story
from devfeed.store import Cursor, FeedQuery, Page, View


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
    total: int | None
    """How many stories the view holds, when it was counted along with the page."""
    merge: bool = False
    """A live refresh of the first page, to merge into what is loaded."""


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
    """The store wrote the user's state of a story (read, Saved, Lunch)."""

    story: Story
    """The story as the store now has it."""


@dataclass(eq=False)
class DataVersionChecked(Message):
    """The store's data version was read (it changes when another process commits)."""

    version: int
    """`PRAGMA data_version` of the reader's connection."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DataVersionChecked)


@dataclass(eq=False)
class ViewTabClicked(Message):
    """The user clicked a view's tab."""

    view: View
    """The view that was clicked."""

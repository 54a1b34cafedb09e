"""The Saved screen: the Saved queue in the user's order, reorderable, with remove and
export to a file.

Owns the order changes and the export; both go through the core (`Store.move_saved`,
`api.export_to_file`) in workers. Must not parse, fetch or write SQL.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from devfeed import api
from devfeed.models import Story
from devfeed.store import View
from devfeed.tui.context import ReaderContext
from devfeed.tui.screens.prompt import PromptScreen
from devfeed.tui.screens.stories import StoryScreen
from devfeed.words import plural

SAVED_ACTIONS = frozenset({"move_up", "move_down", "remove"})


class SavedScreen(StoryScreen):
    """The Saved queue, top first."""

    MODE = "saved"
    VIEW = View.SAVED
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "K,ctrl+up",
            "move_up",
            "Move up",
            show=False,
            id="saved.move-up",
            tooltip="Move the story up in Saved",
        ),
        Binding(
            "J,ctrl+down",
            "move_down",
            "Move down",
            show=False,
            id="saved.move-down",
            tooltip="Move the story down in Saved",
        ),
        Binding(
            "d,delete",
            "remove",
            "Remove",
            id="saved.remove",
            tooltip="Take the story out of Saved",
        ),
        Binding(
            "e",
            "export",
            "Export",
            id="saved.export",
            tooltip="Export Saved to a file (Markdown, or JSON for a .json name)",
        ),
    ]

    def __init__(self, context: ReaderContext) -> None:
        super().__init__(context)
        self._move_lock = asyncio.Lock()  # one move at a time, in the order of the keys

    def belongs(self, story: Story) -> bool:
        return story.saved

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SAVED_ACTIONS and self.story is None:
            return None
        return super().check_action(action, parameters)

    def action_move_up(self) -> None:
        self._move(up=True)

    def action_move_down(self) -> None:
        self._move(up=False)

    def _move(self, *, up: bool) -> None:
        if (story := self.story) is not None:
            self._write_move(story.id, up)

    @work(group="story-write", exit_on_error=False)
    async def _write_move(self, story_id: int, up: bool) -> None:
        """Move the story in the store, then show the store's order. Keys pressed faster
        than the writes take turns; the list moves a row only once the store moved it (a
        move shown before it is written raced the next key), then reads the first page
        again (the store may have moved it otherwise, or not at all)."""
        async with self._move_lock:
            if await self.context.store.move_saved(story_id, up):
                self.story_list.move_story(story_id, up)
            self.story_list.refresh_top()

    def action_remove(self) -> None:
        if (story := self.story) and story.saved:
            self._change(story, "saved", False)

    def default_export_path(self) -> Path:
        """Where the export goes unless the user says otherwise."""
        return Path.home() / f"devfeed-saved-{self.context.now().date().isoformat()}.md"

    def action_export(self) -> None:
        def chosen(value: str | None) -> None:
            if value:
                self.export(Path(value).expanduser())

        self.app.push_screen(
            PromptScreen(
                "Export Saved to (a .json name writes JSON)",
                str(self.default_export_path()),
                id="export-prompt",
            ),
            chosen,
        )

    @work(group="export", exit_on_error=False)
    async def export(self, path: Path) -> None:
        """Write the Saved queue to `path`."""
        count = await api.export_to_file(self.context.store, "saved", path, now=self.context.now())
        self.context.say(f"wrote {path} ({count} {plural(count, 'story', 'stories')})")
        self.notify(f"Saved exported to {path}", markup=False)

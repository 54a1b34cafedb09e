"""The key bar at the bottom: the keys that apply where the focus is, as one line.

One widget drawing one `Text` (Textual's `Footer` mounts a widget per key and rebuilds
them whenever the bindings change, which cost more than the whole feed's first paint).
A click on a key runs its action. Owns only drawing. Must not read the store.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    """` ⏎ Read  o Open  s Save ...                                      ^p palette`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-bar--key", "key-bar--label", "key-bar--off"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        label_style = self.get_component_rich_style("key-bar--label", partial=True)
        off_style = self.get_component_rich_style("key-bar--off", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        seen: set[str] = set()
        palette = None
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.action == "command_palette":
                palette = binding
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            meta = Style(meta={"action": binding.action}) if enabled else Style()
            key = self.app.get_key_display(binding)
            text.append(f" {key} ", (key_style if enabled else off_style) + meta)
            text.append(f"{binding.description} ", (label_style if enabled else off_style) + meta)
        if palette is not None:
            tail = Text(f" {self.app.get_key_display(palette)} palette ", label_style)
            width = self.size.width
            if text.cell_len + tail.cell_len < width:
                text.append(" " * (width - text.cell_len - tail.cell_len))
                text.append_text(tail)
        return text

    async def on_click(self, event: events.Click) -> None:
        action = event.style.meta.get("action")
        if isinstance(action, str):
            await self.app.run_action(action, self.screen.focused or self.screen)

"""The user's `[keys]` from feeds.toml, checked against the reader's bindings.

A name is a binding id (`story.save`) or its last part (`save`), which stands for every
binding ending so (`down` is the list's, the story view's and the tables' down). Values
are Textual key lists (`"j,down"`, `"ctrl+n"`, `"S"`). An unknown name is a `ConfigError`
that names `[keys]`, the field and the closest name. Pure: no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

from textual.binding import Binding

from devfeed.errors import ConfigError


def binding_names(bindings: Iterable[Binding]) -> dict[str, list[str]]:
    """Every name `[keys]` accepts, with the binding ids it stands for."""
    names: dict[str, list[str]] = {}
    for binding in bindings:
        if not binding.id:
            continue
        for name in dict.fromkeys((binding.id, binding.id.rsplit(".", 1)[-1])):
            ids = names.setdefault(name, [])
            if binding.id not in ids:
                ids.append(binding.id)
    return names


def resolve_keymap(
    keys: Mapping[str, str], bindings: Iterable[Binding], path: Path | None = None
) -> dict[str, str]:
    """Textual's keymap (binding id -> keys) for the user's `[keys]`."""
    names = binding_names(bindings)
    keymap: dict[str, str] = {}
    for name, value in keys.items():
        ids = names.get(name)
        if ids is None:
            close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"no reader action is called {name!r}{hint} (`?` in the reader lists them)",
                path=path,
                entry="[keys]",
                field=name,
            )
        keys_text = ",".join(part.strip() for part in value.split(",") if part.strip())
        for binding_id in ids:
            keymap[binding_id] = keys_text
    return keymap

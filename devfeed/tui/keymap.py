"""The user's `[keys]` from feeds.toml, checked against the reader's bindings.

A name is a binding id (`story.save`) or its last part (`save`), which stands for every
binding ending so (`down` is the list's, the story view's and the tables' down). Values
are Textual key lists (`"j,down"`, `"ctrl+n"`, `"S"`): each key one printable character
or a Textual key name (`enter`, `pageup`, `f5`, `question_mark`), with `ctrl+`, `shift+`
or `alt+` in front. Every mistake is a `ConfigError` that names `[keys]` and the field:
an unknown name (with the closest one), a key that is not a key, an empty key, and a key
that a changed binding shares with another binding active at the same time (same screen,
or one that takes the key first: the focused widget before its screen, a screen before
the app). Pure: no I/O.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from textual.binding import Binding, BindingType
from textual.keys import REPLACED_KEYS, Keys, key_to_character

from devfeed.errors import ConfigError

MODIFIERS = ("ctrl", "shift", "alt")
"""What may come before a key, joined with `+`."""
KEY_NAMES = frozenset(
    key.value for key in Keys if "+" not in key.value and not key.value.startswith("<")
)
"""Textual's names of keys that are not characters (`enter`, `pageup`, `f5` ...)."""
KEY_HELP = (
    "a key is one character or a key name (enter, escape, space, tab, up, pageup, home, "
    "f5, question_mark ...), with ctrl+, shift+ or alt+ in front"
)

Layer = tuple[str, Sequence[BindingType]]
"""Bindings active together, and where ("the story list", "the Feed screen")."""
Chain = Sequence[Layer]
"""The layers active at once, the first to take a key first (focused widget, its
screen, the app)."""


@dataclass(frozen=True)
class _Bound:
    binding: Binding
    where: str


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


def key_error(key: str) -> str | None:
    """Why `key` (one key of a list, stripped) is not a key Textual can deliver; None when
    it is one."""
    if not key:
        return "an empty key (a comma too many?)"
    if len(key) == 1:
        return None if key.isprintable() and not key.isspace() else f"{key!r} is not a key"
    *modifiers, base = key.split("+")
    if base == "" and modifiers and modifiers[-1] == "":  # "ctrl++": the + key
        modifiers, base = modifiers[:-1], "+"
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            return f"{modifier!r} in {key!r} is not ctrl, shift or alt"
    if len(set(modifiers)) != len(modifiers):
        return f"{key!r} names a modifier twice"
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            return f"{key!r} is not a key"
        if modifiers and not base.isascii():
            return f"{key!r}: terminals send ctrl, shift and alt only with ASCII keys"
        return None
    if base in KEY_NAMES or key_to_character(REPLACED_KEYS.get(base, base)) is not None:
        return None
    close = difflib.get_close_matches(base, sorted(KEY_NAMES), n=1, cutoff=0.7)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{base!r} is not a key{hint}"


def _canonical(key: str) -> str:
    """One spelling per key, to compare keys ("/" and "slash", "?" and "question_mark")."""
    key = key.strip()
    if len(key) == 1:
        return key
    *modifiers, base = key.split("+")
    if base == "" and modifiers and modifiers[-1] == "":
        modifiers, base = modifiers[:-1], "+"
    if len(base) > 1:
        base = key_to_character(REPLACED_KEYS.get(base, base)) or base
    return "+".join([*sorted(modifiers), base])


def _keys_of(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    keys = keymap.get(binding.id or "", binding.key)
    return [_canonical(key) for key in keys.split(",") if key.strip()]


def _clash(
    keymap: Mapping[str, str], changed: set[str], chains: Sequence[Chain]
) -> tuple[_Bound, _Bound, str] | None:
    """The first key that a changed binding shares with another one active at once."""
    for chain in chains:
        owners: dict[str, _Bound] = {}
        for where, layer in chain:
            for binding in Binding.make_bindings(layer):
                bound = _Bound(binding, where)
                for key in dict.fromkeys(_keys_of(binding, keymap)):
                    first = owners.get(key)
                    if first is None:
                        owners[key] = bound
                    elif first.binding.id != binding.id and (
                        first.binding.id in changed or binding.id in changed
                    ):
                        return first, bound, key
    return None


def _label(bound: _Bound) -> str:
    binding = bound.binding
    return f"{binding.description} ({binding.id}) in {bound.where}"


def resolve_keymap(
    keys: Mapping[str, str],
    bindings: Iterable[Binding],
    path: Path | None = None,
    chains: Sequence[Chain] = (),
) -> dict[str, str]:
    """Textual's keymap (binding id -> keys) for the user's `[keys]`; `chains` say which
    bindings are active at once (a key two of them share, one changed, is an error)."""
    names = binding_names(bindings)
    keymap: dict[str, str] = {}
    field_of: dict[str, str] = {}
    for name, value in keys.items():

        def error(message: str, name: str = name) -> ConfigError:
            return ConfigError(message, path=path, entry="[keys]", field=name)

        ids = names.get(name)
        if ids is None:
            close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise error(f"no reader action is called {name!r}{hint} (`?` in the reader lists them)")
        parts = [part.strip() for part in value.split(",")]
        for part in parts:
            if (problem := key_error(part)) is not None:
                raise error(f"{value!r}: {problem}; {KEY_HELP}")
        for binding_id in ids:
            keymap[binding_id] = ",".join(parts)
            field_of[binding_id] = name
    clash = _clash(keymap, set(keymap), chains)
    if clash is not None:
        first, second, key = clash
        mine = second if second.binding.id in keymap else first
        other = first if mine is second else second
        name = field_of[mine.binding.id or ""]
        raise ConfigError(
            f"{keys[name]!r}: {key!r} would be both {_label(mine)} and {_label(other)}, "
            "and both apply at the same time; choose another key",
            path=path,
            entry="[keys]",
            field=name,
        )
    return keymap

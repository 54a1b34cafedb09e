"""Editing feeds.toml in place: add and remove `[[follow]]` tables, every other byte kept.

tomlkit writes each new table (so quoting and escaping are TOML's), and the edit is a
splice of whole lines: a new follow goes after the last one, a removed follow takes its
own lines (and comments directly under it) with it, while comments that head the next
section stay. tomlkit alone would attach those section comments to the table above them
and drop them with it. Each splice is checked by parsing the result and comparing it with
the original (only the follow list may differ, and only as intended); when the check
fails (an unusual layout such as an inline `follow = [...]` array), the edit is redone
on tomlkit's document model and checked again.

`write_config` writes a temp file beside the target, loads it back with `load_config`,
and renames it over the target: feeds.toml is never left half-written or invalid. It is
the only function here that does I/O.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devfeed.config import Config, load_config
from devfeed.durations import format_interval
from devfeed.errors import ConfigError
from devfeed.models import Follow

_FOLLOW_HEADER = re.compile(
    r"""^[ \t]*\[\[[ \t]*(?:follow|"follow"|'follow')[ \t]*\]\][ \t]*(?:#.*)?$"""
)
_ANY_HEADER = re.compile(r"""^[ \t]*\[\[?[ \t]*[A-Za-z0-9_.\-"' ]+[ \t]*\]\]?[ \t]*(?:#.*)?$""")


def follow_entry(follow: Follow) -> dict[str, Any]:
    """The keys of a follow's `[[follow]]` table, in the order feeds.toml writes them."""
    entry: dict[str, Any] = {"platform": follow.platform}
    if follow.instance:
        entry["instance"] = follow.instance
    for field in ("url", "hashtag", "profile", "name"):
        value = getattr(follow, field)
        if value:
            entry[field] = value
    if follow.interval is not None:
        entry["interval"] = format_interval(follow.interval)
    if follow.tags:
        entry["tags"] = list(follow.tags)
    if follow.notify:
        entry["notify"] = True
    return entry


def follow_table(follow: Follow) -> str:
    """A follow as TOML text: `[[follow]]` and its keys, ending with a newline."""
    import tomlkit.items  # imported where it edits: the reader starts without tomlkit

    table = tomlkit.table()
    for key, value in follow_entry(follow).items():
        table.add(key, value)
    document = tomlkit.document()
    document.append("follow", tomlkit.aot())
    aot = document["follow"]
    assert isinstance(aot, tomlkit.items.AoT)
    aot.append(table)
    return tomlkit.dumps(document)


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _follow_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of each `[[follow]]` table: its header, its keys and the
    comments directly under them; blank lines and the comments after them are not part of
    it (they head whatever comes next)."""
    headers = [i for i, line in enumerate(lines) if _ANY_HEADER.match(line.rstrip("\r\n"))]
    blocks = []
    for n, start in enumerate(headers):
        if not _FOLLOW_HEADER.match(lines[start].rstrip("\r\n")):
            continue
        end = headers[n + 1] if n + 1 < len(headers) else len(lines)
        last = start
        for i in range(start + 1, end):
            if not _blank(lines[i]) and not _comment(lines[i]):
                last = i
        while last + 1 < end and _comment(lines[last + 1]):
            last += 1
        blocks.append((start, last))
    return blocks


def _newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _splice_add(text: str, tables: Sequence[str]) -> str:
    newline = _newline_of(text)
    lines = text.splitlines(keepends=True)
    inserted = "".join(newline + table.replace("\n", newline) for table in tables)
    blocks = _follow_blocks(lines)
    if not blocks:
        if not text:
            return inserted.removeprefix(newline)
        head = text if text.endswith("\n") else text + newline
        return head + inserted
    _, last = blocks[-1]
    before = "".join(lines[: last + 1])
    if not before.endswith("\n"):
        before += newline
    return before + inserted + "".join(lines[last + 1 :])


def _splice_remove(text: str, index: int) -> str:
    lines = text.splitlines(keepends=True)
    start, last = _follow_blocks(lines)[index]
    after = last + 1
    blank_before = start == 0 or _blank(lines[start - 1])
    if blank_before and after < len(lines) and _blank(lines[after]):
        after += 1  # the blank line that separated it from what follows
    elif blank_before and after >= len(lines) and start > 0:
        start -= 1  # it was the end of the file: no blank line left dangling
    return "".join(lines[:start] + lines[after:])


def _tomlkit_edit(text: str, add: Sequence[Follow], remove: int | None) -> str:
    import tomlkit.items

    document = tomlkit.parse(text)
    if "follow" not in document:
        document.append("follow", tomlkit.aot())
    follows = document["follow"]
    if remove is not None:
        del follows[remove]
    for follow in add:
        entry = follow_entry(follow)
        if isinstance(follows, tomlkit.items.AoT):
            table = tomlkit.table()
            for key, value in entry.items():
                table.add(key, value)
            follows.append(table)
        else:
            inline = tomlkit.inline_table()
            inline.update(entry)
            follows.append(inline)
    return tomlkit.dumps(document)


def _only_follows_changed(old: str, new: str, expected: list[Any]) -> bool:
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return False
    follows = after.pop("follow", [])
    before.pop("follow", None)
    return before == after and follows == expected


def _edit(text: str, path: Path | None, add: Sequence[Follow], remove: int | None) -> str:
    try:
        current = tomllib.loads(text).get("follow", [])
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}", path=path) from None
    expected = list(current)
    if remove is not None:
        del expected[remove]
    expected += [follow_entry(f) for f in add]
    tables = [follow_table(f) for f in add]
    try:
        spliced = _splice_remove(text, remove) if remove is not None else _splice_add(text, tables)
    except IndexError:
        spliced = None
    if spliced is not None and _only_follows_changed(text, spliced, expected):
        return spliced
    edited = _tomlkit_edit(text, add, remove)
    if _only_follows_changed(text, edited, expected):
        return edited
    raise ConfigError("cannot edit this file safely: change it by hand", path=path)


def add_follows(text: str, follows: Sequence[Follow], path: Path | None = None) -> str:
    """feeds.toml text with `follows` appended after its last `[[follow]]`; every other
    byte is kept. Raises `ConfigError` when the text is not TOML or cannot be edited."""
    return _edit(text, path, follows, None) if follows else text


def remove_follow(text: str, index: int, path: Path | None = None) -> str:
    """feeds.toml text without its `index`-th follow (0-based, file order) and the
    comments directly under it; every other byte is kept. Raises `ConfigError`."""
    return _edit(text, path, (), index)


def read_config_text(path: Path) -> str:
    """feeds.toml's text exactly as stored (line endings kept). Raises `ConfigError`."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read: {error}", path=path) from None


def write_config(path: Path, text: str) -> Config:
    """Replace feeds.toml with `text` atomically, after loading the written copy back with
    `load_config`; a symlinked feeds.toml is written through the link. Keeps the file's
    permissions. Raises `ConfigError` (and leaves the file untouched) when it is invalid or
    cannot be written."""
    target = path.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise ConfigError(f"cannot write: {error}", path=path) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        try:
            config = load_config(temp, explicit=True)
        except ConfigError as error:
            raise ConfigError(
                error.message, path=path, entry=error.entry, field=error.field
            ) from None
        os.replace(temp, target)
    except OSError as error:
        raise ConfigError(f"cannot write: {error}", path=path) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return config.model_copy(update={"path": path})

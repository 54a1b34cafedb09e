"""Writing a queue into a folder of Markdown notes (an Obsidian or Logseq vault).

One file per story, named by `export.note_file_name` (`<slug>-<id>.md`). A story keeps
the file it was first written to, found again by the `devfeed_id` in the front matter,
so a new title never makes a second file; a file whose content would not change is not
touched (its mtime stays); files are replaced atomically; a file devfeed did not write
is never overwritten, and nothing is ever deleted.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devfeed.errors import UsageError
from devfeed.export import note_file_name, note_markdown
from devfeed.models import Story

_OURS = re.compile(r"^[a-z0-9-]*-(\d+)\.md$")
_HEAD_BYTES = 8192


@dataclass
class VaultReport:
    """What writing a vault did, file by file."""

    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """Files left alone, with why (a file of the user's own has that name)."""


def devfeed_id(path: Path) -> int | None:
    """The `devfeed_id` of a note devfeed wrote, read from its front matter; None for any
    other file."""
    import yaml  # here, not at the top: see `export.note_markdown`

    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    if not head.startswith("---\n"):
        return None
    end = head.find("\n---\n", 3)
    if end < 0:
        return None
    try:
        data = yaml.safe_load(head[4:end])
    except yaml.YAMLError:
        return None
    value = data.get("devfeed_id") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def existing_notes(folder: Path) -> dict[int, Path]:
    """devfeed's notes in `folder`, by story id (names that look like ours and whose
    front matter says which story they hold)."""
    found: dict[int, Path] = {}
    for path in sorted(folder.iterdir()):
        match = _OURS.match(path.name)
        if match and path.is_file() and devfeed_id(path) == int(match.group(1)):
            found.setdefault(int(match.group(1)), path)
    return found


def _replace(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=".devfeed-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_vault(folder: Path, stories: Sequence[Story], queue: str) -> VaultReport:
    """Write one note per story into `folder` (created when missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        known = existing_notes(folder)
    except OSError as error:
        raise UsageError(f"cannot use {folder} as a vault: {error}") from None
    report = VaultReport()
    for story in stories:
        text = note_markdown(story, queue)
        path = known.get(story.id) or folder / note_file_name(story)
        if story.id not in known and path.exists():
            report.skipped.append((path, "a file that devfeed did not write has this name"))
            continue
        try:
            if path.exists():
                if path.read_text(encoding="utf-8") == text:
                    report.unchanged.append(path)
                    continue
                _replace(path, text)
                report.updated.append(path)
            else:
                _replace(path, text)
                report.created.append(path)
        except (OSError, UnicodeDecodeError) as error:
            report.skipped.append((path, str(error)))
    return report

"""The operations on the user's follows: follow, unfollow, import and export OPML.

Each is one function the faces call (like `api`, whose feeds.toml half this is): it reads
feeds.toml (or the bundled starter set when the user has none yet), decides through the
pure core (`targets`, `opml`, `config_edit`), and writes feeds.toml back atomically with
`config_edit.write_config`. Nothing here prints; results are returned.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from devfeed.config import Config, check_tags, default_config_text, parse_config
from devfeed.config_edit import add_follows, read_config_text, remove_follow, write_config
from devfeed.durations import parse_interval
from devfeed.errors import UsageError
from devfeed.models import Follow
from devfeed.opml import OpmlImport, export_opml, parse_opml
from devfeed.sanitize import clean_line
from devfeed.targets import check_name, parse_target


@dataclass(frozen=True)
class FollowChange:
    """What `follow` or `unfollow` did."""

    follow: Follow
    """The follow added or removed (for an existing follow: the one in feeds.toml)."""
    path: Path
    """The feeds.toml that was (or would have been) edited."""
    changed: bool
    """False when nothing was written: the follow was already there."""
    created: bool
    """feeds.toml did not exist and was created from the starter set."""
    note: str | None = None
    """How the target was read, when the user should know (a guess, a part left out)."""


@dataclass(frozen=True)
class ImportResult:
    """What `import_opml` did."""

    found: OpmlImport
    """The new follows and the skipped outlines."""
    path: Path
    """The feeds.toml written to."""
    written: bool
    """feeds.toml was changed (False on a dry run or when nothing was new)."""
    created: bool
    """feeds.toml did not exist and was created from the starter set."""


def config_file_for_edits(config: Config, user_config_path: Path | None) -> Path | None:
    """The feeds.toml that following or unfollowing from `config` edits: its own file; the
    user's feeds.toml for the bundled starter set (copied there first); None when the
    follows are not the user's to edit (a config named like `<demo>`, as Python names
    `<stdin>`, is bundled data, not a file: `devfeed demo`'s follows)."""
    if config.path is None:
        return user_config_path
    name = config.path.name
    if name.startswith("<") and name.endswith(">"):
        return None
    return config.path


def _current(path: Path) -> tuple[str, Config, bool]:
    """feeds.toml's text and config; the starter set's when the user has none yet."""
    if path.exists():
        text = read_config_text(path)
        return text, parse_config(text, path), False
    text = default_config_text()
    return text, parse_config(text, None), True


def follow(
    path: Path,
    target: str,
    *,
    platform: str | None = None,
    instance: str | None = None,
    name: str | None = None,
    interval: str | None = None,
    tags: Sequence[str] = (),
) -> FollowChange:
    """Add what `target` names to feeds.toml at `path`. Following something already
    followed (same `Follow.key`) changes nothing and is not an error. Raises
    `UsageError` for a target it cannot place, `ConfigError` for a broken feeds.toml."""
    placed = parse_target(target, platform=platform, instance=instance)
    fields = placed.follow.model_dump()
    if name is not None:
        fields["name"] = check_name(name)
    if interval is not None:
        try:
            fields["interval"] = parse_interval(interval)
        except ValueError as error:
            raise UsageError(f"--interval: {error}") from None
    if tags:
        try:
            fields["tags"] = check_tags(tags)
        except ValueError as error:
            raise UsageError(f"--tag: {error}") from None
    new = Follow(**fields)
    text, config, created = _current(path)
    for existing in config.follows:
        if existing.key == new.key:
            return FollowChange(existing, path, changed=False, created=False, note=placed.note)
    write_config(path, add_follows(text, [new], path))
    return FollowChange(new, path, changed=True, created=created, note=placed.note)


def _shown(text: str) -> str:
    return repr(clean_line(text, max_length=120))


def find_follow(
    follows: Sequence[Follow],
    target: str,
    *,
    platform: str | None = None,
    instance: str | None = None,
) -> int:
    """The index of the follow `target` means: its key, what `follow` would make of it, or
    its name. Raises `UsageError` naming the closest follows when there is none."""
    value = target.strip()
    keys = [f.key for f in follows]
    if value in keys:
        return keys.index(value)
    try:
        placed = parse_target(value, platform=platform, instance=instance)
    except UsageError:
        placed = None
    if placed is not None and placed.follow.key in keys:
        return keys.index(placed.follow.key)
    named = [i for i, f in enumerate(follows) if f.name and f.name.casefold() == value.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        listed = ", ".join(keys[i] for i in named)
        raise UsageError(f"several follows are called {_shown(value)}: give the key ({listed})")
    candidates = {key: key for key in keys}
    candidates.update({f.label: f.key for f in follows})
    wanted = placed.follow.key if placed is not None else value
    close = difflib.get_close_matches(wanted, list(candidates), n=5, cutoff=0.5)
    close += [c for c in difflib.get_close_matches(value, list(candidates), n=5, cutoff=0.5)]
    shown = list(dict.fromkeys(candidates[c] for c in close))[:5]
    close_ones = "".join(f"\n  {clean_line(key)}" for key in shown)
    hint = f"; close matches:{close_ones}\n" if shown else "; "
    raise UsageError(
        f"not following {_shown(value)}{hint}(`devfeed sources` lists every follow and its key)"
    )


def unfollow(
    path: Path, target: str, *, platform: str | None = None, instance: str | None = None
) -> FollowChange:
    """Remove the follow `target` means (see `find_follow`) from feeds.toml at `path`.
    Raises `UsageError` when it is not followed."""
    text, config, created = _current(path)
    index = find_follow(config.follows, target, platform=platform, instance=instance)
    write_config(path, remove_follow(text, index, path))
    return FollowChange(config.follows[index], path, changed=True, created=created)


def import_opml(path: Path, data: bytes, *, dry_run: bool = False) -> ImportResult:
    """Add the follows of an OPML document to feeds.toml at `path`, all in one write;
    follows already there are skipped. Raises `UsageError` when `data` is not OPML."""
    text, config, created = _current(path)
    found = parse_opml(data, existing=config.follows)
    write = bool(found.follows) and not dry_run
    if write:
        write_config(path, add_follows(text, found.follows, path))
    return ImportResult(found=found, path=path, written=write, created=created and write)


def export_follows(config: Config, *, now: datetime) -> str:
    """Every follow of the config as OPML 2.0."""
    return export_opml(config.follows, created=now)

"""Short labels the reader shows for a story: relative ages, platform badges, durations.

Pure: no I/O, no clock of its own (`now` is passed in), no Textual; returns plain strings
that the widgets put into `Text` objects. Web text is cleaned here with `sanitize`.
"""

from __future__ import annotations

from datetime import datetime

from devfeed.durations import format_duration
from devfeed.models import PLATFORM_BADGES, PLATFORM_DISPLAY_NAMES, Story
from devfeed.sanitize import clean_line

BADGE_WIDTH = 6
"""Cells of the widest badge."""

MEDIA_KINDS = frozenset({"video", "short", "podcast"})
"""Kinds whose duration is worth a badge."""


def age(published: datetime, now: datetime) -> str:
    """How long ago, in at most four cells: "now", "42m", "5h", "3d", "6w", "2y"."""
    seconds = (now - published).total_seconds()
    if seconds < 60:
        return "now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    days = hours // 24
    if days < 14:
        return f"{days}d"
    if days < 365:
        return f"{days // 7}w"
    return f"{days // 365}y"


def ago(when: datetime, now: datetime) -> str:
    """A relative time for sentences: "just now", "5m ago"."""
    short = age(when, now)
    return "just now" if short == "now" else f"{short} ago"


def platforms(story: Story) -> list[str]:
    """The distinct platforms a story was seen on, first seen first (cleaned)."""
    found: list[str] = []
    for sighting in story.seen_on:
        name = clean_line(sighting.platform, max_length=20)
        if name not in found:
            found.append(name)
    return found


def badge(story: Story) -> str:
    """The first platform's short badge ("yt", "masto"), or "" when it has no sighting."""
    names = platforms(story)
    if not names:
        return ""
    return PLATFORM_BADGES.get(names[0], names[0][:BADGE_WIDTH])


def duration(story: Story) -> str:
    """The duration badge of a video or podcast ("12:34"), or ""."""
    if story.duration_s is None or story.kind not in MEDIA_KINDS:
        return ""
    return format_duration(story.duration_s)


DISCUSSION_SITES: dict[str, str] = {
    **{p: PLATFORM_DISPLAY_NAMES[p] for p in ("lobsters", "reddit", "devto", "stackoverflow")},
    "hackernews": "HN",
}
"""How "discussed on ..." names a platform (Hacker News as its readers call it)."""


def discussions(story: Story) -> list[str]:
    """One label per discussion of the story: "discussed on HN (120)", or without a count
    when the platform gave none; most comments first."""
    found: dict[tuple[str, str], int | None] = {}
    for sighting in story.seen_on:
        if not sighting.comments_url:
            continue
        key = (sighting.platform, sighting.comments_url)
        if found.get(key) is None:
            found[key] = sighting.comments
    labels: list[tuple[int, str]] = []
    for (platform, _), comments in found.items():
        name = DISCUSSION_SITES.get(platform, clean_line(platform, max_length=20))
        count = f" ({comments})" if comments is not None else ""
        labels.append((-(comments or 0), f"discussed on {name}{count}"))
    return [label for _, label in sorted(labels, key=lambda item: item[0])]


def boosted_by(story: Story) -> list[str]:
    """Who boosted or reposted the story into a follow, each once, cleaned."""
    names = (clean_line(s.boosted_by, max_length=60) for s in story.seen_on if s.boosted_by)
    return list(dict.fromkeys(names))


def seen_count(story: Story) -> int:
    """How many sightings a story has (at least one: the feed it came from)."""
    return max(1, len(story.seen_on))


def comment_count(story: Story) -> int | None:
    """Comments over every discussion of a story, or None when no platform said."""
    counts = [s.comments for s in story.seen_on if s.comments is not None]
    return sum(counts) if counts else None


def count_badge(count: int | None) -> str:
    """A comment count in at most five cells: "↩7", "↩120", "↩1.2k", "↩15k"."""
    if count is None:
        return ""
    if count < 1000:
        return f"↩{count}"
    if count < 10_000:
        return f"↩{count / 1000:.1f}k"
    return f"↩{min(count // 1000, 999)}k"

"""Writers: stories as JSON (the `list --json` contract) and the queues as Markdown.

Everything from the web is escaped for Markdown, links are written only when they are
safe http(s) URLs (inside `<>`), and no raw HTML is ever produced. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from devfeed.durations import format_duration
from devfeed.models import Story
from devfeed.sanitize import clean_line, safe_url

# Text is only ever written inside a line (after "- [" or " — "), so the characters that
# matter are the inline ones; block markers (-, +, 1.) cannot start a line here.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|<>~&])")


def iso(value: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC with a `Z`."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def story_json(story: Story) -> dict[str, Any]:
    """A story as `devfeed list --json` prints it (a contract: add fields, never rename)."""
    return {
        "id": story.id,
        "title": story.title,
        "url": story.url,
        "kind": story.kind,
        "duration_s": story.duration_s,
        "published": iso(story.published),
        "author": story.author,
        "tags": list(story.tags),
        "read": story.read,
        "saved": story.saved,
        "lunch": story.lunch,
        "saved_at": iso(story.saved_at) if story.saved_at else None,
        "lunch_at": iso(story.lunch_at) if story.lunch_at else None,
        "seen_on": [
            {
                "platform": s.platform,
                "author": s.author,
                "url": s.url,
                "follow": s.follow,
                "seen_at": iso(s.seen_at),
                "comments_url": s.comments_url,
                "comments": s.comments,
                "score": s.score,
                "boosted_by": s.boosted_by,
            }
            for s in story.seen_on
        ],
    }


def stories_json(stories: Iterable[Story]) -> dict[str, Any]:
    """The one JSON document of `list --json` and `export --format json`."""
    return {"stories": [story_json(story) for story in stories]}


def md_escape(text: str) -> str:
    """Text from the web as inert Markdown: one line, every metacharacter escaped."""
    return _MD_SPECIAL.sub(r"\\\1", clean_line(text, max_length=1000))


def md_link(text: str, url: str | None) -> str:
    """`[text](<url>)` when the URL is safe http(s); the escaped text alone otherwise."""
    label = md_escape(text) or "link"
    safe = safe_url(url) if url else None
    if safe is None:
        return label
    target = safe.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    return f"[{label}](<{target}>)"


def _item(story: Story) -> str:
    parts = [md_link(story.title, story.url)]
    details: list[str] = []
    if story.author:
        details.append(f"by {md_escape(story.author)}")
    platforms = sorted({s.platform for s in story.seen_on})
    if platforms:
        details.append("seen on " + ", ".join(md_escape(p) for p in platforms))
    if story.duration_s:
        details.append(format_duration(story.duration_s))
    discussions = [
        md_link(f"discussion on {s.platform}", s.comments_url)
        for s in story.seen_on
        if s.comments_url and safe_url(s.comments_url)
    ]
    details.extend(discussions)
    if details:
        parts.append(" — " + " · ".join(details))
    return "- " + "".join(parts)


def markdown(stories: Sequence[Story], *, queue: str, exported_at: datetime) -> str:
    """A queue as a Markdown document, grouped by the day each item was queued."""
    title = {"saved": "Saved", "lunch": "Lunch"}.get(queue, queue.title())
    groups: dict[str, list[Story]] = {}
    for story in stories:
        when = (story.saved_at if queue == "saved" else story.lunch_at) or story.published
        groups.setdefault(when.astimezone(UTC).date().isoformat(), []).append(story)
    count = f"{len(stories)} item" + ("" if len(stories) == 1 else "s")
    lines = [f"# devfeed: {title}", "", f"Exported {iso(exported_at)} · {count}", ""]
    for day, items in groups.items():
        lines += [f"## {day}", "", *(_item(story) for story in items), ""]
    return "\n".join(lines).rstrip("\n") + "\n"

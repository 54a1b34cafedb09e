"""Writers: stories as JSON (the `list --json` contract), the queues as one Markdown
document, and one Markdown note with YAML front matter per story (for a vault).

Everything from the web is escaped for Markdown, links are written only when they are
safe http(s) URLs (inside `<>`), no raw HTML is ever produced, and YAML is written by
PyYAML's `safe_dump`. Pure: no I/O, no clock (`devfeed.vault` writes the files).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from devfeed.durations import format_duration
from devfeed.models import Story
from devfeed.sanitize import clean_line, safe_url
from devfeed.words import plural

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
        "lunch_done_at": iso(story.lunch_done_at) if story.lunch_done_at else None,
        "note": story.note,
        "saved_tags": list(story.saved_tags),
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


_BLOCK_START = re.compile(r"^([-+]|\d{1,9}(?=[.)]))")


def md_escape_block(text: str) -> str:
    """Like `md_escape`, for text that starts a line: a leading list marker (`-`, `+`,
    `1.`, `1)`) is escaped too, so the text can never open a list."""
    escaped = md_escape(text)
    match = _BLOCK_START.match(escaped)
    if match is None:
        return escaped
    if match.group(1).isdigit():
        end = match.end()
        return escaped[:end] + "\\" + escaped[end:]
    return "\\" + escaped


def md_link(text: str, url: str | None) -> str:
    """`[text](<url>)` when the URL is safe http(s); the escaped text alone otherwise."""
    label = md_escape(text) or "link"
    safe = safe_url(url) if url else None
    if safe is None:
        return label
    # inside <...> a backslash still escapes the next character (`\>` would end nothing)
    target = safe.replace("\\", "%5C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    # an entity reference in a destination is decoded (`&#9;` would become a tab)
    target = _ENTITY_LIKE.sub(r"\\&", target)
    return f"[{label}](<{target}>)"


_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


GroupBy = Literal["day", "tag", "platform"]
GROUP_BY: tuple[str, ...] = ("day", "tag", "platform")
UNTAGGED = "untagged"


def queued_at(story: Story, queue: str) -> datetime:
    """When a story entered `queue` (saved, or queued for Lunch)."""
    return (story.saved_at if queue == "saved" else story.lunch_at) or story.published


def _details(story: Story) -> list[str]:
    details: list[str] = []
    if story.author:
        details.append(f"by {md_escape(story.author)}")
    platforms = sorted({s.platform for s in story.seen_on})
    if platforms:
        details.append("seen on " + ", ".join(md_escape(p) for p in platforms))
    if story.duration_s:
        details.append(format_duration(story.duration_s))
    details.extend(
        md_link(f"discussion on {s.platform}", s.comments_url)
        for s in story.seen_on
        if s.comments_url and safe_url(s.comments_url)
    )
    tags = [md_escape(tag) for tag in story.saved_tags if clean_line(tag)]
    if tags:
        details.append("tags: " + ", ".join(tags))
    return details


def _item(story: Story) -> list[str]:
    """A list item (and the note under it, as a quote inside the item)."""
    details = _details(story)
    line = "- " + md_link(story.title, story.url)
    if details:
        line += " — " + " · ".join(details)
    lines = [line]
    note = md_escape_block(story.note or "")
    if note:
        lines.append(f"  > {note}")
    return lines


def _groups(stories: Sequence[Story], queue: str, group_by: str) -> list[tuple[str, list[Story]]]:
    groups: dict[str, list[Story]] = {}
    if group_by == "day":
        for story in stories:
            day = queued_at(story, queue).astimezone(UTC).date().isoformat()
            groups.setdefault(day, []).append(story)
        return list(groups.items())
    if group_by == "platform":
        for story in stories:
            platform = story.seen_on[0].platform if story.seen_on else "unknown"
            groups.setdefault(clean_line(platform), []).append(story)
    elif group_by == "tag":
        for story in stories:
            tags = [clean_line(t) for t in story.saved_tags if clean_line(t)] or [UNTAGGED]
            for tag in dict.fromkeys(tags):
                groups.setdefault(tag, []).append(story)
    else:
        raise ValueError(f"cannot group by {group_by!r}; choose one of {', '.join(GROUP_BY)}")
    untagged = groups.pop(UNTAGGED, None) if group_by == "tag" else None
    ordered = sorted(groups.items(), key=lambda item: (item[0].casefold(), item[0]))
    return ordered + ([(UNTAGGED, untagged)] if untagged else [])


def markdown(
    stories: Sequence[Story], *, queue: str, exported_at: datetime, group_by: str = "day"
) -> str:
    """A queue as a Markdown document: grouped by the day each item was queued (newest
    first), by the user's tags (an item under each of its tags, `untagged` last) or by the
    platform it was first seen on; items in queue order."""
    title = {"saved": "Saved", "lunch": "Lunch"}.get(queue, queue.title())
    count = f"{len(stories)} {plural(len(stories), 'item')}"
    lines = [f"# devfeed: {title}", "", f"Exported {iso(exported_at)} · {count}", ""]
    for name, items in _groups(stories, queue, group_by):
        lines += [f"## {md_escape(name)}", ""]
        for story in items:
            lines += _item(story)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# -- one note per story (a vault) -------------------------------------------------------

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 60


def slug(text: str) -> str:
    """A file-name-safe slug: ASCII letters, digits and single dashes, at most `SLUG_MAX`
    characters, never empty (`item`)."""
    ascii_text = (
        unicodedata.normalize("NFKD", clean_line(text)).encode("ascii", "ignore").decode("ascii")
    )
    folded = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    return folded[:SLUG_MAX].rstrip("-") or "item"


def note_file_name(story: Story) -> str:
    """`<slug>-<id>.md`: only `[a-z0-9-]`, so no path traversal, no hidden file and no
    reserved device name (the id suffix makes every name unique and never bare `CON`)."""
    return f"{slug(story.title)}-{story.id}.md"


def front_matter(story: Story, queue: str) -> dict[str, Any]:
    """The YAML front matter of a story's note (the fields vault tools index)."""
    return {
        "devfeed_id": story.id,
        "title": clean_line(story.title),
        "url": safe_url(story.url) if story.url else None,
        "author": clean_line(story.author) if story.author else None,
        "platforms": sorted({clean_line(s.platform) for s in story.seen_on}),
        "tags": [clean_line(t) for t in story.saved_tags if clean_line(t)],
        "kind": story.kind,
        "duration": format_duration(story.duration_s) if story.duration_s else None,
        "duration_s": story.duration_s,
        "published": iso(story.published),
        "saved": iso(queued_at(story, queue)),
        "queue": queue,
    }


def note_markdown(story: Story, queue: str) -> str:
    """One story as a Markdown note: YAML front matter, a heading, the item and its note.
    Deterministic (no clock), so writing it again changes nothing."""
    import yaml  # here, not at the top: only notes need it, and the reader starts sooner

    header = yaml.safe_dump(
        front_matter(story, queue), sort_keys=False, allow_unicode=True, width=1000
    )
    body = [f"# {md_escape(story.title) or 'Untitled'}", "", *_item(story)]
    summary = md_escape_block(story.summary)
    if summary:
        body += ["", summary]
    return f"---\n{header}---\n\n" + "\n".join(body) + "\n"

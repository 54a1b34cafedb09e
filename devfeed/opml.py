"""OPML 2.0 in and out for follows. Pure: bytes in, text out; no I/O, no clock.

Export (`export_opml`) writes every follow as an `<outline>`:
- `text` and `title` are the follow's label; `category` lists its tags, comma-separated,
  and follows are also grouped in one folder outline per first tag, because most readers
  (Miniflux, Feedly, newsboat) read folders rather than `category`;
- a follow with a feed gets `type="rss"` and `xmlUrl`: the follow's own URL, or the public
  feed of a platform follow (a YouTube channel's `feeds/videos.xml`, a subreddit's `.rss`,
  a Mastodon tag's `/tags/NAME.rss` ...), always on the platform's public host;
- a follow with no public feed (a YouTube `@handle`, Hacker News, Instagram, a Bluesky or
  PeerTube hashtag) gets `type="devfeed"` and no `xmlUrl`: other readers skip it;
- every outline carries what devfeed needs to rebuild the follow exactly, in the
  `devfeed:` namespace (`platform`, `instance`, `hashtag`, `profile`, `name`, `interval`,
  `notify`), so export -> import gives the same follows.

Import (`parse_opml`) reads OPML 1 or 2 through defusedxml (no entity expansion, no
external references: an OPML file is hostile input). Folder outlines and `category`
become tags. Only http(s) `xmlUrl`s are accepted (newsboat's OPML import once ran a
command from one, PR #3400); feeds of known platforms become those platforms' follows
(`targets.follow_for_feed_url`). Every outline that is not imported is reported with the
reason; a follow already in the config, or twice in the file, is never added again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from devfeed.config import check_tags
from devfeed.durations import format_interval, parse_interval
from devfeed.errors import UsageError
from devfeed.models import PLATFORM_NAMES, Follow
from devfeed.sanitize import clean_line, safe_url
from devfeed.targets import FEDERATED, check_instance, follow_for_feed_url

DEVFEED_NS = "urn:devfeed:opml:1"
"""Namespace of the `devfeed:` attributes."""
MAX_OPML_BYTES = 10 * 1024 * 1024
"""Larger files are refused before parsing."""
MAX_OUTLINES = 20_000
"""Outlines past this many are reported and not read."""
MAX_TAGS = 20
"""Tags kept per follow (folders first, then categories)."""

_PUBLIC = {
    "youtube": "https://www.youtube.com",
    "reddit": "https://www.reddit.com",
    "github": "https://github.com",
    "lobsters": "https://lobste.rs",
    "stackoverflow": "https://stackoverflow.com",
    "devto": "https://dev.to",
    "bluesky": "https://bsky.app",
}
_ATTRIBUTE_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


@dataclass(frozen=True)
class Skipped:
    """An outline that was not imported."""

    outline: str
    """What it was: its title or its URL, cleaned for the terminal."""
    reason: str
    """Why it was not imported."""


@dataclass(frozen=True)
class OpmlImport:
    """What an OPML file brings."""

    title: str | None
    """The file's `<head><title>`, cleaned."""
    follows: tuple[Follow, ...]
    """New follows, in file order; none of them is already followed."""
    skipped: tuple[Skipped, ...]
    """Outlines not imported, with the reason, in file order."""


# --- export ------------------------------------------------------------------------------


def _segment(value: str) -> str:
    return quote(value.strip(), safe="")


def _instance_base(instance: str) -> str:
    instance = instance.strip().rstrip("/")
    return instance if instance.startswith(("http://", "https://")) else f"https://{instance}"


def public_feed_url(follow: Follow) -> str | None:
    """The public feed other readers can poll for a follow, or None when it has none."""
    if follow.url:
        return follow.url
    platform, tag = follow.platform, follow.hashtag
    profile = (follow.profile or "").strip()
    base = _PUBLIC.get(platform, "")
    if platform == "mastodon" and follow.instance:
        where = _instance_base(follow.instance)
        if tag:
            return f"{where}/tags/{_segment(tag)}.rss"
        return f"{where}/@{_segment(profile.lstrip('@').split('@')[0])}.rss"
    if platform == "peertube" and follow.instance and profile:
        name = _segment(profile)
        return f"{_instance_base(follow.instance)}/feeds/videos.xml?videoChannelName={name}"
    if platform == "youtube" and profile and not profile.startswith("@"):
        if profile.startswith("UC") and len(profile) == 24:
            return f"{base}/feeds/videos.xml?channel_id={_segment(profile)}"
        if profile.startswith(("PL", "UU", "FL", "OL", "LL")):
            return f"{base}/feeds/videos.xml?playlist_id={_segment(profile)}"
        return f"{base}/feeds/videos.xml?user={_segment(profile)}"
    if platform == "reddit":
        if tag:
            return f"{base}/r/{_segment(tag)}/new/.rss"
        return f"{base}/user/{_segment(profile)}/submitted/.rss"
    if platform == "github" and profile:
        owner, _, repo = profile.strip("/").partition("/")
        if repo:
            return f"{base}/{_segment(owner)}/{_segment(repo)}/releases.atom"
        return f"{base}/{_segment(owner)}.atom"
    if platform == "lobsters":
        if tag:
            return f"{base}/t/{_segment(tag)}.rss"
        return f"{base}/~{_segment(profile.lstrip('~'))}/stories.rss"
    if platform == "stackoverflow":
        if tag:
            return f"{base}/feeds/tag/{_segment(tag)}"
        return f"{base}/feeds/user/{_segment(profile)}"
    if platform == "devto":
        if tag:
            return f"{base}/feed/tag/{_segment(tag)}"
        return f"{base}/feed/{_segment(profile.lstrip('@'))}"
    if platform == "bluesky" and profile:
        return f"{base}/profile/{_segment(profile.lstrip('@'))}/rss"
    return None


def _attribute(value: str) -> str:
    return escape(clean_line(value, max_length=4000), _ATTRIBUTE_ESCAPES)


def outline_title(follow: Follow) -> str:
    """What other readers show for a follow: its name, or what it follows and where
    (`#python on fosstodon.org (mastodon)`)."""
    if follow.name:
        return follow.name
    if follow.url:
        return follow.url
    profile = follow.profile or ""
    bare = profile[:1] == "@" or "/" in profile  # a handle already, or owner/repo
    what = f"#{follow.hashtag}" if follow.hashtag else profile if bare else f"@{profile}"
    where = f" on {follow.instance}" if follow.instance else ""
    return f"{what}{where} ({follow.platform})"


def _outline(follow: Follow) -> str:
    label = outline_title(follow)
    feed = public_feed_url(follow)
    attributes: list[tuple[str, str]] = [("type", "rss" if feed else "devfeed")]
    attributes += [("text", label), ("title", label)]
    if feed:
        attributes.append(("xmlUrl", feed))
    if follow.tags:
        attributes.append(("category", ",".join(follow.tags)))
    attributes.append(("devfeed:platform", follow.platform))
    for field in ("instance", "hashtag", "profile", "name"):
        value = getattr(follow, field)
        if value:
            attributes.append((f"devfeed:{field}", value))
    if follow.interval is not None:
        attributes.append(("devfeed:interval", format_interval(follow.interval)))
    if follow.notify:
        attributes.append(("devfeed:notify", "true"))
    return (
        "<outline " + " ".join(f'{key}="{_attribute(value)}"' for key, value in attributes) + "/>"
    )


def export_opml(
    follows: Sequence[Follow], *, created: datetime, title: str = "devfeed follows"
) -> str:
    """Follows as an OPML 2.0 document (see the module docstring). `created` is written
    as the head's `dateCreated`."""
    groups: dict[str | None, list[Follow]] = {}
    for follow in follows:
        groups.setdefault(follow.tags[0] if follow.tags else None, []).append(follow)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<opml version="2.0" xmlns:devfeed="{DEVFEED_NS}">',
        "  <head>",
        f"    <title>{escape(clean_line(title))}</title>",
        f"    <dateCreated>{format_datetime(created.astimezone(UTC), usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for folder, members in groups.items():
        if folder is None:
            lines += [f"    {_outline(follow)}" for follow in members]
            continue
        name = _attribute(folder)
        lines.append(f'    <outline text="{name}" title="{name}">')
        lines += [f"      {_outline(follow)}" for follow in members]
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


# --- import ------------------------------------------------------------------------------


def _parse_xml(data: bytes) -> Element:
    if len(data) > MAX_OPML_BYTES:
        raise UsageError(f"the OPML file is larger than {MAX_OPML_BYTES // (1024 * 1024)} MiB")
    import defusedxml.ElementTree  # imported where it parses: the reader starts without it

    try:
        root = defusedxml.ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as error:
        raise UsageError(
            f"the OPML file was refused: it uses XML entities or external references "
            f"({type(error).__name__}), which devfeed never expands"
        ) from None
    except ParseError as error:
        raise UsageError(f"not an OPML file: the XML is broken ({error})") from None
    if root.tag != "opml":
        raise UsageError(f"not an OPML file: the root element is <{clean_line(root.tag)}>")
    return root


def _split_tags(value: str) -> list[str]:
    return [
        clean_line(part, max_length=100)
        for category in value.split(",")
        for part in category.split("/")
        if clean_line(part, max_length=100)
    ]


def _outlines(body: Element) -> Iterator[tuple[Element, tuple[str, ...]]]:
    """Every outline under `body`, in document order, with its folders' names."""
    stack: list[tuple[Iterator[Element], tuple[str, ...]]] = [(iter(body), ())]
    while stack:
        children, folders = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if child.tag != "outline":
            continue
        yield child, folders
        if len(child):
            attributes = _standard(child)
            name = attributes.get("text") or attributes.get("title") or ""
            inner = folders if "xmlurl" in attributes else (*folders, *_split_tags(name))
            inner = inner[:MAX_TAGS]
            stack.append((iter(child), inner))


def _standard(outline: Element) -> dict[str, str]:
    return {k.lower(): v for k, v in outline.attrib.items() if not k.startswith("{")}


def _devfeed(outline: Element) -> dict[str, str]:
    prefix = "{" + DEVFEED_NS + "}"
    return {k[len(prefix) :]: v for k, v in outline.attrib.items() if k.startswith(prefix)}


def _token(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not value or clean_line(value) != value or any(ch.isspace() for ch in value):
        raise ValueError(f"its {what} is not one word")
    return value


def _devfeed_follow(attributes: dict[str, str], feed: str | None, tags: tuple[str, ...]) -> Follow:
    platform = attributes.get("platform", "")
    if platform not in PLATFORM_NAMES:
        raise ValueError(f"unknown platform {clean_line(platform, max_length=40)!r}")
    hashtag = _token(attributes.get("hashtag"), "hashtag")
    profile = _token(attributes.get("profile"), "profile")
    if hashtag and profile:
        raise ValueError("it has both a hashtag and a profile")
    url = None
    if not hashtag and not profile:
        if not feed:
            raise ValueError("it has no feed URL (xmlUrl), hashtag or profile")
        url = _feed_url(feed)
    instance = None
    if attributes.get("instance"):
        try:
            instance = check_instance(attributes["instance"])
        except UsageError as error:
            raise ValueError(str(error)) from None
    if platform in FEDERATED and not url and not instance:
        raise ValueError(f"a {platform} follow needs an instance")
    interval = parse_interval(attributes["interval"]) if "interval" in attributes else None
    name = clean_line(attributes.get("name", ""), max_length=200) or None
    return Follow(
        platform=platform,
        url=url,
        instance=instance,
        hashtag=hashtag.removeprefix("#") if hashtag else None,
        profile=profile,
        name=name,
        interval=interval,
        tags=tags,
        notify=attributes.get("notify") == "true",
    )


def _feed_url(value: str) -> str:
    url = value.strip()
    if not url.lower().startswith(("http://", "https://")):
        scheme = clean_line(url.split(":", 1)[0], max_length=20) if ":" in url else ""
        shown = f"its scheme is {scheme}:" if scheme else "it is not a URL"
        raise ValueError(f"{shown} and only http(s) feeds are imported")
    checked = safe_url(url)
    if checked is None:
        raise ValueError("not a valid http(s) URL (spaces, control characters or user info)")
    return checked


def _feed_follow(feed: str, label: str, tags: tuple[str, ...]) -> Follow:
    url = _feed_url(feed)
    try:
        follow = follow_for_feed_url(url)
    except UsageError as error:
        raise ValueError(str(error)) from None
    name = label if label and label != url else None
    return Follow(**{**follow.model_dump(), "name": name, "tags": tags})


def parse_opml(data: bytes, *, existing: Sequence[Follow] = ()) -> OpmlImport:
    """The follows of an OPML file that are not in `existing` (see the module docstring).
    Raises `UsageError` when the file is not OPML or is refused."""
    root = _parse_xml(data)
    head_title = root.findtext("head/title")
    body = root.find("body")
    if body is None:
        raise UsageError("not an OPML file: it has no <body>")
    known = {follow.key for follow in existing}
    from_file: set[str] = set()
    follows: list[Follow] = []
    skipped: list[Skipped] = []
    for count, (outline, folders) in enumerate(_outlines(body)):
        attributes = _standard(outline)
        feed = attributes.get("xmlurl", "").strip() or None
        label = clean_line(attributes.get("text") or attributes.get("title") or "", max_length=200)
        shown = label or clean_line(feed or "", max_length=200) or "(an outline without a title)"
        if count >= MAX_OUTLINES:
            skipped.append(Skipped(shown, f"the file has more than {MAX_OUTLINES} outlines"))
            break
        ours = _devfeed(outline)
        if not ours.get("platform") and not feed:
            if not len(outline) and (attributes.get("type", "").lower() in ("rss", "atom")):
                skipped.append(Skipped(shown, "it has no feed URL (xmlUrl)"))
            continue
        try:
            tags = check_tags((*folders, *_split_tags(attributes.get("category", ""))))[:MAX_TAGS]
            if ours.get("platform"):
                follow = _devfeed_follow(ours, feed, tags)
            else:
                follow = _feed_follow(feed or "", label, tags)
        except ValueError as error:
            skipped.append(Skipped(shown, clean_line(str(error).split("\n")[0])))
            continue
        if follow.key in from_file:
            skipped.append(Skipped(shown, "listed twice in the file"))
            continue
        if follow.key in known:
            skipped.append(Skipped(shown, "already followed"))
            continue
        from_file.add(follow.key)
        follows.append(follow)
    title = clean_line(head_title, max_length=200) if head_title else None
    return OpmlImport(title=title or None, follows=tuple(follows), skipped=tuple(skipped))

"""RSS, Atom and JSON Feed documents -> `ParsedEntry`s, through feedparser.

Shared by every platform whose public surface is a feed (blogs, podcasts, YouTube,
GitHub, Reddit, Stack Overflow, Mastodon's RSS ...). feedparser is always given bytes,
never a string (a string is taken for a file name or a URL). Pure: no I/O of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import httpx

from devfeed.durations import parse_media_duration
from devfeed.errors import ParseError
from devfeed.htmltext import html_to_text
from devfeed.models import Kind, ParsedEntry, ParseResult
from devfeed.sanitize import clean_line, clean_text

MAX_TAGS = 20
MAX_TEXT = 20_000

KindRule = Callable[[Mapping[str, Any], Kind], Kind]


def safe_url(value: object) -> str | None:
    """The URL when it is an absolute http(s) URL with a host and no user info; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value.lower().startswith(("http://", "https://")):
        return None
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        return None
    if not url.host or url.userinfo:
        return None
    cleaned = clean_line(value, max_length=2000)
    return cleaned if cleaned == value and " " not in value else None


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _duration(entry: Mapping[str, Any]) -> int | None:
    duration = parse_media_duration(entry.get("itunes_duration"))
    if duration is not None:
        return duration
    for media in entry.get("media_content") or ():
        duration = parse_media_duration(media.get("duration"))
        if duration is not None:
            return duration
    return None


def _enclosure(entry: Mapping[str, Any]) -> tuple[str | None, str]:
    for link in entry.get("links") or ():
        if link.get("rel") == "enclosure":
            return safe_url(link.get("href")), str(link.get("type") or "")
    for media in entry.get("media_content") or ():
        medium = str(media.get("medium") or media.get("type") or "")
        return safe_url(media.get("url")), medium
    return None, ""


def default_kind(entry: Mapping[str, Any], media_type: str) -> Kind:
    """Kind of a generic feed entry: podcast, video, short or article."""
    link = str(entry.get("link") or "")
    if "/shorts/" in link:
        return "short"
    if entry.get("yt_videoid") or media_type.startswith("video"):
        return "video"
    if media_type.startswith("audio") or entry.get("itunes_duration"):
        return "podcast"
    return "article"


def _native_id(entry: Mapping[str, Any], link: str | None, title: str) -> str:
    native = entry.get("id") or entry.get("guid") or link
    if isinstance(native, str) and native.strip():
        return clean_line(native, max_length=1000)
    digest = hashlib.sha256(f"{title}\n{entry.get('published', '')}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def _text(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content") or ()
    html = ""
    for content in contents:
        value = content.get("value") or ""
        if len(value) > len(html):
            html = value
    summary = entry.get("summary") or ""
    if len(summary) > len(html):
        html = summary
    text, _links = html_to_text(html[: MAX_TEXT * 4])
    return clean_text(text, max_length=MAX_TEXT)


def _ttl(feed: Mapping[str, Any]) -> timedelta | None:
    ttl = feed.get("ttl")
    try:
        minutes = int(str(ttl).strip()) if ttl is not None else 0
    except ValueError:
        return None
    return timedelta(minutes=minutes) if 0 < minutes <= 7 * 24 * 60 else None


def parse_feed(
    platform: str,
    response: httpx.Response,
    *,
    kind: Callable[[Mapping[str, Any], Kind], Kind] | None = None,
) -> ParseResult:
    """Parse a feed response into entries. Raises `ParseError` when it is not a feed.

    `kind` may refine the kind a generic entry gets (YouTube Shorts, GitHub releases ...).
    """
    body = response.content
    if not body.strip():
        raise ParseError("the response was empty")
    headers = {"content-location": str(response.url)}
    if "content-type" in response.headers:
        headers["content-type"] = response.headers["content-type"]
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    except Exception as error:  # feedparser raises odd things on odd input; never crash a poll
        raise ParseError(f"the feed could not be parsed: {type(error).__name__}") from None
    feed = parsed.get("feed") or {}
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        looks_html = body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html"))
        if looks_html:
            raise ParseError("the server sent an HTML page, not a feed")
        detail = f": {clean_line(reason, max_length=200)}" if reason else ""
        raise ParseError(f"not an RSS, Atom or JSON feed{detail}")
    feed_author = clean_line(
        (feed.get("author_detail") or {}).get("name") or feed.get("author") or feed.get("title"),
        max_length=200,
    )
    entries: list[ParsedEntry] = []
    seen_ids: set[str] = set()
    for entry in parsed.entries:
        link = safe_url(entry.get("link"))
        text = _text(entry)
        title = clean_line(entry.get("title"), max_length=300)
        if not title:
            title = clean_line(text.split("\n", 1)[0], max_length=200) or "(untitled)"
        native_id = _native_id(entry, link, title)
        if native_id in seen_ids:
            continue
        seen_ids.add(native_id)
        media_url, media_type = _enclosure(entry)
        entry_kind = default_kind(entry, media_type)
        if kind is not None:
            entry_kind = kind(entry, entry_kind)
        author = clean_line(
            (entry.get("author_detail") or {}).get("name") or entry.get("author"), max_length=200
        )
        tags = tuple(
            tag
            for tag in (clean_line(t.get("term"), max_length=60) for t in entry.get("tags") or ())
            if tag
        )[:MAX_TAGS]
        entries.append(
            ParsedEntry(
                platform=platform,
                native_id=native_id,
                url=link,
                title=title,
                author=author or feed_author or None,
                text=text,
                published=_when(entry),
                tags=tags,
                kind=entry_kind,
                duration_s=_duration(entry),
                media_url=media_url,
                comments_url=safe_url(entry.get("comments")),
            )
        )
    warning = None
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = clean_line(f"recovered from: {parsed['bozo_exception']}", max_length=300)
    return ParseResult(
        entries=tuple(entries),
        feed_title=clean_line(feed.get("title"), max_length=300) or None,
        ttl=_ttl(feed),
        warning=warning,
    )

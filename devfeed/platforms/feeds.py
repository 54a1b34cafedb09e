"""RSS, Atom and JSON Feed documents -> `ParsedEntry`s, through feedparser.

Shared by every platform whose public surface is a feed (blogs, podcasts, YouTube,
GitHub, Reddit, Stack Overflow, Mastodon's RSS ...). feedparser is always given a
file object over the bytes: given a string it opens URLs, and given bytes that spell a
path (a body of `/dev/zero`) it opens the file. A document that declares XML entities is
refused before any parser sees it (billion laughs, external entities). Pure: no I/O.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import io
import json
import re
import time
import xml.parsers.expat
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser_rs
import httpx

from devfeed.durations import parse_media_duration
from devfeed.errors import ParseError
from devfeed.htmltext import html_to_text
from devfeed.models import Kind, ParsedEntry, ParseResult
from devfeed.sanitize import clean_line, clean_text, plain_url, safe_url

MAX_TAGS = 20
MAX_TEXT = 20_000

KindRule = Callable[[Mapping[str, Any], Kind], Kind]
EntryRule = Callable[[Mapping[str, Any], ParsedEntry], ParsedEntry | None]
"""Refines a parsed entry given feedparser's raw entry (permalink vs shared link, author
handle, counts); None drops the entry."""


_HARMLESS_BOZO = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_WIDE_ENCODINGS = (  # longest BOM or first-character pattern first
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


def _ascii_view(body: bytes) -> bytes:
    """The document with ASCII markup readable as bytes (UTF-16/32 re-encoded)."""
    for start, codec in _WIDE_ENCODINGS:
        if body.startswith(start):
            return body.decode(codec, "replace").encode("utf-8")
    return body


def refuse_entity_declarations(body: bytes) -> None:
    """Raise `ParseError` when an XML document declares entities in a DOCTYPE. No feed
    needs them, and expanding them is how billion-laughs and external-entity (file
    reading) attacks work, so they are never handed to a parser."""
    view = _ascii_view(body)
    doctype = _DOCTYPE.search(view)
    if doctype is not None and _ENTITY.search(view, doctype.end()):
        raise ParseError("the feed declares XML entities (<!ENTITY>); refused")


def absolute_url(value: object, base: str) -> str | None:
    """An entry link made absolute against the feed's URL, if it is then a safe URL."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.startswith("-"):  # looks like an option; no real feed links like this
        return None
    if plain_url(value) and _joins_to_itself(value):
        return value  # what urljoin and safe_url would give, without their parsing
    try:
        joined = urljoin(base, value)
    except ValueError:  # "http://[x/": a bracket urljoin refuses; the entry keeps no link
        return None
    return safe_url(joined)


def _joins_to_itself(url: str) -> bool:
    """Whether `urljoin(base, url)` is `url` for any base, given `plain_url(url)`: urljoin
    returns an absolute URL as it is when the schemes differ, and else re-assembles its
    parts, which drops an empty query or fragment ("?", "#") and an empty `;params`."""
    before_fragment, hash_mark, fragment = url.partition("#")
    if hash_mark and not fragment:
        return False
    path, question_mark, query = before_fragment.partition("?")
    return not (question_mark and not query) and ";" not in path


def title_from_text(text: str, max_length: int = 120) -> str:
    """A title for a post that has none: its first line, cut at a word near `max_length`."""
    line = clean_line(text.strip().split("\n", 1)[0], max_length=10_000)
    if len(line) <= max_length:
        return line
    cut = line[:max_length].rsplit(" ", 1)[0]
    return (cut if len(cut) > max_length // 2 else line[:max_length]).rstrip(" ,.;:") + "…"


def _when(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
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


def _title(entry: Mapping[str, Any]) -> str:
    title = entry.get("title") or ""
    if "<" in title and (entry.get("title_detail") or {}).get("type") == "text/html":
        title = html_to_text(title)[0]
    return clean_line(title, max_length=300)


def _load_xml_feed_fast(
    body: bytes, content_type: str | None
) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]] | None:
    """The feed through feedparser-rs (a Rust parser with feedparser's shape, ~50× faster),
    or None whenever feedparser might say something else: then feedparser decides.

    Used only for clean RSS 2.0 and Atom 1.0 with absolute links and none of the
    namespaces devfeed reads through feedparser (YouTube, Media RSS, iTunes); parity with
    feedparser is checked on the shared corpus (tests/test_corpus.py)."""
    head = body[:4096]
    lowered = head.lower()
    if any(marker in lowered for marker in _SLOW_MARKERS):
        return None
    if _CHILD_IN_TEXT.search(body) or _DOUBLE_ESCAPED.search(body):
        return None
    # encodings are feedparser's strength: take only UTF-8 that says so or says nothing
    declared = _XML_ENCODING.search(head.split(b"?>", 1)[0]) if head.startswith(b"<?xml") else None
    charset = _CHARSET.search(content_type or "")
    if (declared and declared.group(1).lower() not in (b"utf-8", b"utf8")) or (
        charset and charset.group(1).lower() not in ("utf-8", "utf8")
    ):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        parsed = feedparser_rs.parse(body)
    except Exception:  # unsure: feedparser will tell
        return None
    if parsed.bozo or parsed.version not in _FAST_VERSIONS or not parsed.entries:
        return None
    entries = list(parsed.entries)
    if not all(_plain_entry(entry) for entry in entries) or not _plain_text(
        parsed.feed.get("title")
    ):
        return None
    if not _well_formed(body):
        return None  # feedparser would recover and warn: let it
    return parsed.feed, entries


def _plain_text(value: object) -> bool:
    """Text that needs no entity or markup decisions."""
    return value is None or (isinstance(value, str) and "<" not in value and "&" not in value)


def _plain_entry(entry: Mapping[str, Any]) -> bool:
    """An entry whose fields feedparser and feedparser-rs read the same way: absolute
    links, one alternate link, plain title, one plain author, a date, no inline content."""
    link = entry.get("link")
    if link is None or not str(link).startswith(("http://", "https://")) or "&" in link:
        return False  # feedparser resolves relative links against xml:base and the URL
    links = entry.get("links") or ()
    alternates = 0
    for item in links:
        rel = item.get("rel")
        if rel is None or rel == "alternate":
            alternates += 1
    if alternates > 1:
        return False
    for item in links:
        rel = item.get("rel")
        if rel == "enclosure":
            href = item.get("href") or ""
            try:
                path = urlsplit(href).path
            except ValueError:  # "http://[x/a.mp3": feedparser decides (and drops it)
                return False
            if not href or path in ("", "/"):
                return False  # an empty enclosure URL: feedparser-rs resolves it, feedparser not
        elif rel is not None and rel != "alternate":
            return False
    title = entry.get("title")
    if not title or not _plain_text(title):
        return False
    authors = entry.get("authors") or ()
    detail = entry.get("author_detail")
    name = detail.get("name") if detail is not None else entry.get("author")
    raw_author = entry.get("author")
    if len(authors) > 1 or not _plain_text(name) or not _plain_text(raw_author):
        return False
    if raw_author and "(" in raw_author and "@" not in raw_author:
        return False  # "name (nick)": only "email (Name)" is read alike
    summary = entry.get("summary")
    if summary and "&" in summary:
        return False  # entities left in text: the two parsers disagree on them
    for content in entry.get("content") or ():
        value = content.get("value")
        if value and "&" in value:
            return False
    return bool(entry.get("published_parsed")) and _standard_date(entry.get("published"))


def _standard_date(value: object) -> bool:
    """An RFC 822 or ISO 8601 date, which both parsers read alike."""
    if not isinstance(value, str):
        return False
    if _canonical_rfc822(value):
        return True
    try:
        if not _ENGLISH_DAY.match(value):
            raise ValueError(value)  # a localized day name ("mer,"): feedparser gives up
        email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return False
    return True


_RFC822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([0-9]{4}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:GMT|UTC|([+-])([0-9]{2})([0-9]{2}))"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _canonical_rfc822(value: str) -> bool:
    """Whether `value` is a date in RFC 822's usual spelling ("Mon, 01 Nov 2026 10:00:00
    GMT") that `email.utils.parsedate_to_datetime` accepts: the same fields, the same
    checks (a real day and time, an offset under a day), without its general parser.
    False means "not sure", never "not a date"."""
    match = _RFC822.fullmatch(value)
    if match is None:
        return False
    day, month, year, hour, minute, second, sign, offset_hours, offset_minutes = match.groups()
    try:
        datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute), int(second))
    except ValueError:  # no such day or time
        return False
    # the offset must be under a day (datetime.timezone's limit)
    return sign is None or int(offset_hours) * 60 + int(offset_minutes) < 24 * 60


def _well_formed(body: bytes) -> bool:
    """Whether expat (what feedparser's strict parser uses) accepts the document."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def _load_xml_feed(
    body: bytes, content_type: str | None
) -> tuple[Mapping[str, Any], list[Mapping[str, Any]], object]:
    refuse_entity_declarations(body)
    if USE_FAST_PARSER:
        fast = _load_xml_feed_fast(body, content_type)
        if fast is not None:
            return fast[0], fast[1], None
    # no content-location: feedparser would resolve guids against it and change ids
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False)
    except Exception as error:  # feedparser raises odd things on odd input; never crash a poll
        raise ParseError(f"the feed could not be parsed: {type(error).__name__}") from None
    bozo = parsed.get("bozo_exception")
    if not parsed.get("version") and not parsed.entries:
        looks_html = body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html"))
        if looks_html:
            raise ParseError("the server sent an HTML page, not a feed")
        detail = f": {clean_line(bozo, max_length=200)}" if bozo else ""
        raise ParseError(f"not an RSS, Atom or JSON feed{detail}")
    return parsed.get("feed") or {}, list(parsed.entries), bozo


USE_FAST_PARSER = True
"""Try feedparser-rs before feedparser (tests switch it off to compare the two)."""
_FAST_VERSIONS = frozenset({"rss20", "atom10"})
_XML_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.IGNORECASE)
_SLOW_MARKERS = (
    b"<!doctype",
    b"<!entity",
    b"xml:base",
    b"youtube.com/xml/schemas",
    b"search.yahoo.com/mrss",
    b"itunes.com/dtds",
)
_CHILD_IN_TEXT = re.compile(
    rb"<(?:description|summary|title|author)(?:\s[^>]*)?>[^<]*<(?!/|!\[CDATA\[)", re.IGNORECASE
)
"""Markup written as XML inside a text element (feedparser keeps it, feedparser-rs not)."""
_DOUBLE_ESCAPED = re.compile(rb"&amp;(?:#|[a-zA-Z]+;)")
"""An escaped entity (`&amp;#x27;`): feedparser-rs unescapes it twice, feedparser once."""
_ENGLISH_DAY = re.compile(r"\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?\d")


def _looks_like_json(body: bytes, content_type: str) -> bool:
    return "json" in content_type.lower() or body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _struct(value: object) -> time.struct_time | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).timetuple()


def _load_json_feed(body: bytes) -> tuple[Mapping[str, Any], list[Mapping[str, Any]], object]:
    """A JSON Feed (jsonfeed.org 1.0/1.1) in the shape feedparser gives XML feeds."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ParseError(f"not valid JSON: {error}") from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError("JSON, but not a JSON Feed (no jsonfeed.org version)")

    def author_of(node: Mapping[str, Any]) -> str | None:
        authors = node.get("authors") or ([node["author"]] if node.get("author") else [])
        if not isinstance(authors, list):
            return None
        names = [a.get("name") for a in authors if isinstance(a, dict) and text(a.get("name"))]
        return ", ".join(str(n) for n in names) or None

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None

    items: list[Mapping[str, Any]] = []
    raw_items = document.get("items")
    for item in raw_items if isinstance(raw_items, list) else ():
        if not isinstance(item, dict):
            continue
        attachments = [a for a in item.get("attachments") or () if isinstance(a, dict)]
        first = attachments[0] if attachments else {}
        items.append(
            {
                "id": str(item["id"]) if isinstance(item.get("id"), str | int) else None,
                "link": text(item.get("external_url")) or text(item.get("url")),
                "title": text(item.get("title")),
                "content": [
                    {
                        "value": text(item.get("content_html"))
                        or text(item.get("content_text"))
                        or ""
                    }
                ],
                "summary": text(item.get("summary")) or "",
                "published_parsed": _struct(item.get("date_published"))
                or _struct(item.get("date_modified")),
                "author": author_of(item),
                "tags": [
                    {"term": t}
                    for t in (item["tags"] if isinstance(item.get("tags"), list) else ())
                    if isinstance(t, str)
                ],
                "links": [
                    {
                        "rel": "enclosure",
                        "href": text(first.get("url")),
                        "type": text(first.get("mime_type")),
                    }
                ]
                if first
                else [],
                "itunes_duration": first.get("duration_in_seconds"),
            }
        )
    feed = {"title": text(document.get("title")), "author": author_of(document)}
    return feed, items, None


@dataclass(frozen=True)
class FeedJob:
    """One feed response to parse, with everything the parse needs. Picklable (the rules
    are module-level functions or methods of platform objects, never lambdas): it may be
    parsed in another process (`devfeed.parsepool`)."""

    platform: str
    """The platform the entries belong to."""
    body: bytes
    """The response body."""
    url: str
    """Where the body came from (relative links are resolved against it)."""
    content_type: str | None
    """The response's `Content-Type`."""
    kind: KindRule | None = None
    """Refines the kind a generic entry gets (see `parse_feed`)."""
    refine: EntryRule | None = None
    """Rewrites or drops an entry (see `parse_feed`)."""


FeedParser = Callable[[FeedJob], ParseResult]
"""Runs a `FeedJob` (in this thread, or in a worker process)."""

feed_parser: ContextVar[FeedParser] = ContextVar("feed_parser")
"""Where `parse_feed` runs its job; unset, in the calling thread (`parse_feed_job`). The
poller sets it for a large poll (`devfeed.parsepool`); `asyncio.to_thread` carries it
into the threads that resume the platforms."""


def parse_feed(
    platform: str,
    response: httpx.Response,
    *,
    kind: KindRule | None = None,
    refine: EntryRule | None = None,
) -> ParseResult:
    """Parse a feed response into entries. Raises `ParseError` when it is not a feed.

    `kind` may refine the kind a generic entry gets (YouTube Shorts, GitHub releases ...);
    `refine` may then rewrite the whole entry from the raw one (Reddit's shared link,
    Lobsters' permalink ...) or drop it. Both must be picklable (see `FeedJob`).
    """
    body = response.content
    if not isinstance(body, bytes):  # never a str: feedparser would take it for a path
        raise ParseError("the response body is not bytes")
    if not body.strip():
        raise ParseError("the response was empty")
    job = FeedJob(
        platform=platform,
        body=body,
        url=str(response.url),
        content_type=response.headers.get("content-type"),
        kind=kind,
        refine=refine,
    )
    return feed_parser.get(parse_feed_job)(job)


def parse_feed_job(job: FeedJob) -> ParseResult:
    """The entries of one feed document (see `parse_feed`). Raises `ParseError`. Pure."""
    body, platform, kind, refine = job.body, job.platform, job.kind, job.refine
    base = job.url
    if _looks_like_json(body, job.content_type or ""):
        feed, items, bozo = _load_json_feed(body)
    else:
        feed, items, bozo = _load_xml_feed(body, job.content_type)
    feed_author = clean_line(
        (feed.get("author_detail") or {}).get("name") or feed.get("author") or feed.get("title"),
        max_length=200,
    )
    entries: list[ParsedEntry] = []
    seen_ids: set[str] = set()
    for entry in items:
        link = absolute_url(entry.get("link"), base)
        text = _text(entry)
        title = _title(entry)
        if not title:
            title = title_from_text(text) or "(untitled)"
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
        parsed_entry = ParsedEntry(
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
            comments_url=absolute_url(entry.get("comments"), base),
        )
        refined = refine(entry, parsed_entry) if refine is not None else parsed_entry
        if refined is not None:
            entries.append(refined)
    warning = None
    if bozo is not None and not isinstance(bozo, _HARMLESS_BOZO):
        warning = clean_line(f"recovered from: {bozo}", max_length=300)
    elif not items:
        warning = "the feed has no items"
    return ParseResult(
        entries=tuple(entries),
        feed_title=clean_line(feed.get("title"), max_length=300) or None,
        ttl=_ttl(feed),
        warning=warning,
    )

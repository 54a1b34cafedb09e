"""What a URL the user brings is (`devfeed save URL`, `devfeed lunch URL`). Pure: no I/O.

`page_exchange` is a sans-I/O conversation like a platform's (see `platforms.base`): it
yields the requests, the poller sends them with its client and limits, and it returns a
`ParseResult` with exactly one entry. A YouTube video is read from its watch page (its
length is in `meta[itemprop=duration]`), a PeerTube video or a Mastodon post from the
instance's API, anything else from its HTML (`og:title`/`<title>`, `og:description`,
the canonical link, the author meta). When nothing can be fetched the entry is the URL
itself with the URL as its title, and the result's `warning` says so: saving works offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from devfeed.dedup import canonical_url, youtube_video_id
from devfeed.durations import parse_media_duration
from devfeed.errors import FetchError
from devfeed.htmltext import html_to_text
from devfeed.models import Kind, ParsedEntry, ParseResult
from devfeed.platforms.base import Fetch
from devfeed.sanitize import clean_line, clean_text, safe_url

WEB = "web"
"""Platform of a page that belongs to no platform devfeed knows."""
YOUTUBE_BASE = "https://www.youtube.com"
MAX_TEXT = 2000
MAX_TAGS = 20
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_LENGTH_SECONDS = re.compile(rb'"lengthSeconds"\s*:\s*"(\d{1,6})"')
_MASTODON_PATH = re.compile(r"^/(?:@[^/]+|users/[^/]+/statuses)/(\d{1,20})/?$")
_PEERTUBE_PATH = re.compile(r"^/(?:w|videos/watch)/([A-Za-z0-9-]{6,40})/?$")

PageExchange = Generator[Fetch, httpx.Response, ParseResult]


def _get(url: str, accept: str) -> Fetch:
    return Fetch(httpx.Request("GET", url, headers={"Accept": accept}))


def _youtube_url(video_id: str, short: bool) -> str:
    return f"https://www.youtube.com/{'shorts/' if short else 'watch?v='}{video_id}"


def fallback_entry(url: str) -> ParsedEntry:
    """What is known of a URL without fetching it: the URL as its title (and, for a
    YouTube link, that it is a video)."""
    video = youtube_video_id(url)
    if video:
        short = "/shorts/" in urlsplit(url).path
        link = _youtube_url(video, short)
        kind: Kind = "short" if short else "video"
        return ParsedEntry(
            platform="youtube", native_id=canonical_url(url), url=link, title=link, kind=kind
        )
    return ParsedEntry(platform=WEB, native_id=canonical_url(url), url=url, title=url)


def _offline(url: str, error: Exception) -> ParseResult:
    why = clean_line(str(error), max_length=200)
    return ParseResult(
        entries=(fallback_entry(url),),
        warning=f"could not fetch the page ({why}); saved with its URL as the title",
    )


def page_exchange(url: str, *, youtube_base: str = YOUTUBE_BASE) -> PageExchange:
    """The requests that tell what `url` is (a safe http(s) URL), and the one entry made
    of the answers. `youtube_base` is where watch pages are read (`[platforms.youtube]
    base_url`)."""
    video = youtube_video_id(url)
    if video:
        try:
            response = yield _get(f"{youtube_base.rstrip('/')}/watch?v={video}", "text/html")
        except FetchError as error:
            return _offline(url, error)
        if response.url.host.startswith("consent."):  # a cookie wall, not the video
            return _offline(url, FetchError("YouTube answered with its consent page"))
        base = fallback_entry(url)
        entry = parse_page(base.url or url, response.content, _content_type(response), base)
        return ParseResult(entries=(entry,), warning=_missing_length(entry))
    api = api_url(url)
    if api is not None:
        platform, endpoint = api
        try:
            response = yield _get(endpoint, "application/json")
            found = parse_api(platform, url, response.content)
        except FetchError:
            found = None  # not that platform after all, or its API is closed: read the page
        if found is not None:
            return ParseResult(entries=(found,))
    try:
        response = yield _get(url, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
    except FetchError as error:
        return _offline(url, error)
    final = safe_url(str(response.url)) or url
    entry = parse_page(final, response.content, _content_type(response), fallback_entry(url))
    return ParseResult(entries=(entry,))


def _content_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "text/html"))


def _missing_length(entry: ParsedEntry) -> str | None:
    if entry.duration_s is None:
        return "the page does not say how long the video is; the lunch planner will skip it"
    return None


def api_url(url: str) -> tuple[str, str] | None:
    """`(platform, API URL)` for a link that looks like a Mastodon post or a PeerTube
    video; None for anything else."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    peertube = _PEERTUBE_PATH.match(parts.path)
    if peertube:
        return "peertube", f"{origin}/api/v1/videos/{peertube.group(1)}"
    mastodon = _MASTODON_PATH.match(parts.path)
    if mastodon:
        return "mastodon", f"{origin}/api/v1/statuses/{mastodon.group(1)}"
    return None


# -- HTML pages -------------------------------------------------------------------------


def _meta(tree: LexborHTMLParser, *selectors: str) -> str | None:
    for selector in selectors:
        for node in tree.css(selector):
            value = node.attributes.get("content") or node.attributes.get("href")
            if value and value.strip():
                return value.strip()
    return None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: str | None, max_length: int = MAX_TEXT) -> str:
    return clean_text(value or "", max_length=max_length).strip()


def parse_page(
    url: str, body: bytes, content_type: str, base: ParsedEntry | None = None
) -> ParsedEntry:
    """The entry an HTML page describes. `url` is where it was read (after redirects);
    `base` is what was known before (its platform, native id, kind and URL are kept
    unless the page gives a better canonical link). Anything but HTML keeps `base`."""
    base = base or fallback_entry(url)
    if content_type.split(";")[0].strip().lower() not in _HTML_TYPES:
        return base
    tree = LexborHTMLParser(body.decode("utf-8", "replace"))
    title_node = tree.css_first("title")
    title = clean_line(
        _meta(tree, 'meta[property="og:title"]', 'meta[name="twitter:title"]')
        or (title_node.text() if title_node is not None else "")
    )
    description = _meta(tree, 'meta[property="og:description"]', 'meta[name="description"]') or ""
    canonical = _meta(tree, 'link[rel="canonical"]', 'meta[property="og:url"]')
    canonical = safe_url(urljoin(url, canonical)) if canonical else None
    author = _meta(
        tree,
        'span[itemprop="author"] link[itemprop="name"]',
        'meta[name="author"]',
        'meta[property="article:author"]',
        'meta[name="twitter:creator"]',
    )
    if author and safe_url(author):  # article:author is often a profile URL
        author = None
    duration = parse_media_duration(
        _meta(tree, 'meta[itemprop="duration"]', 'meta[property="video:duration"]')
    )
    if duration is None and base.platform == "youtube":
        length = _LENGTH_SECONDS.search(body)
        duration = parse_media_duration(length.group(1).decode()) if length else None
    og_type = (_meta(tree, 'meta[property="og:type"]') or "").lower()
    kind: Kind = base.kind
    if kind == "article" and (og_type.startswith("video") or duration is not None):
        kind = "video"
    tags = tuple(
        dict.fromkeys(
            clean_line(node.attributes.get("content") or "", max_length=60)
            for node in tree.css('meta[property="article:tag"]')
        )
    )
    keep_url = base.platform != WEB or canonical is None
    return ParsedEntry.model_validate(  # validated, so the date is turned into UTC
        base.model_dump()
        | {
            "url": base.url if keep_url else canonical,
            "title": title or base.title,
            "text": _text(description),
            "author": (clean_line(author, max_length=200) or None) if author else None,
            "published": _date(
                _meta(
                    tree,
                    'meta[property="article:published_time"]',
                    'meta[itemprop="datePublished"]',
                    'meta[itemprop="uploadDate"]',
                )
            ),
            "duration_s": duration,
            "kind": kind,
            "tags": tuple(t for t in tags if t)[:MAX_TAGS],
        }
    )


# -- Mastodon and PeerTube APIs ---------------------------------------------------------


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_api(platform: str, url: str, body: bytes) -> ParsedEntry | None:
    """The entry a Mastodon status or a PeerTube video (API JSON) describes; None when
    the answer is not what that API returns."""
    data = _json(body)
    if data is None:
        return None
    if platform == "peertube":
        return _peertube(url, data)
    return _mastodon(url, data)


def _str(data: dict[str, Any], *path: str) -> str | None:
    value: Any = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _peertube(url: str, data: dict[str, Any]) -> ParsedEntry | None:
    name = _str(data, "name")
    if name is None or "duration" not in data:
        return None
    link = safe_url(data.get("url")) or url
    raw_tags = data.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    return ParsedEntry(
        platform="peertube",
        native_id=canonical_url(url),
        url=link,
        title=clean_line(name) or link,
        author=clean_line(
            _str(data, "account", "displayName") or _str(data, "channel", "displayName") or ""
        )
        or None,
        text=_text(_str(data, "description")),
        published=_date(_str(data, "publishedAt") or _str(data, "originallyPublishedAt")),
        kind="video",
        duration_s=parse_media_duration(data.get("duration")),
        tags=tuple(clean_line(t, max_length=60) for t in tags if isinstance(t, str))[:MAX_TAGS],
    )


def _mastodon(url: str, data: dict[str, Any]) -> ParsedEntry | None:
    status = data.get("reblog") if isinstance(data.get("reblog"), dict) else data
    assert isinstance(status, dict)
    if "content" not in status or not isinstance(status.get("account"), dict):
        return None
    text, _links = html_to_text(_str(status, "content") or "")
    text = _text(text)
    duration: int | None = None
    media: str | None = None
    attachments = status.get("media_attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict) and attachment.get("type") == "video":
            meta = attachment.get("meta") if isinstance(attachment.get("meta"), dict) else {}
            assert isinstance(meta, dict)
            original = meta.get("original") if isinstance(meta.get("original"), dict) else {}
            assert isinstance(original, dict)
            duration = parse_media_duration(original.get("duration") or meta.get("duration"))
            media = safe_url(attachment.get("url"))
            break
    author = _str(status, "account", "display_name") or _str(status, "account", "acct")
    spoiler = _str(status, "spoiler_text")
    title = clean_line(spoiler or text.split("\n", 1)[0], max_length=200)
    link = safe_url(status.get("url")) or url
    return ParsedEntry(
        platform="mastodon",
        native_id=canonical_url(url),
        url=link,
        title=title or f"post by {clean_line(author or 'someone')}",
        author=clean_line(author) if author else None,
        author_handle=clean_line(_str(status, "account", "acct") or "") or None,
        text=text,
        published=_date(_str(status, "created_at")),
        kind="video" if media or duration else "post",
        duration_s=duration,
        media_url=media,
    )

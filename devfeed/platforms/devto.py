"""dev.to (and any Forem) articles of a tag or an author, through the public API.

`hashtag = "python"` reads `/api/articles?tag=python`, `profile = "ben"` reads
`/api/articles?username=ben`. An article cross-posted from the author's blog has a
`canonical_url` elsewhere: that becomes the entry's shared `link`, so dedup files it under
the blog post's story. A `url` follow (a dev.to RSS feed) is read as a feed.
Pure: builds requests and parses responses; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from devfeed.dedup import canonical_url
from devfeed.htmltext import html_to_text
from devfeed.models import FetchState, Follow, Kind, ParsedEntry, ParseResult
from devfeed.platforms.apijson import (
    int_field,
    iso_datetime,
    json_list,
    load_json,
    object_field,
    text_field,
)
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feeds import MAX_TAGS, MAX_TEXT, parse_feed, title_from_text
from devfeed.sanitize import clean_line, clean_text, safe_url

PER_PAGE = 30


class DevTo:
    """Articles of a dev.to tag (`hashtag`) or author (`profile`)."""

    name: ClassVar[str] = "devto"
    default_base_url: ClassVar[str] = "https://dev.to"

    def request(self, follow: Follow, base_url: str) -> httpx.Request:
        """The GET of the follow's articles."""
        headers = {"Accept": "application/vnd.forem.api-v1+json, application/json;q=0.9"}
        if follow.url:
            return httpx.Request("GET", follow.url, headers=headers)
        params = {"per_page": str(PER_PAGE)}
        if follow.hashtag:
            params["tag"] = follow.hashtag.strip().lower()
        elif follow.profile:
            params["username"] = follow.profile.strip().lstrip("@")
        else:
            raise UnsupportedFollow("a devto follow needs a tag (hashtag) or a user (profile)")
        return httpx.Request(
            "GET", f"{base_url.rstrip('/')}/api/articles", params=params, headers=headers
        )

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """Articles from an API answer (or a feed, for a `url` follow). Raises `ParseError`."""
        if follow.url and not response.content.lstrip().startswith(b"["):
            return parse_feed(self.name, response, kind=_always_article)
        articles = json_list(load_json(response), "articles")
        return ParseResult(entries=tuple(e for a in articles if (e := _entry(a)) is not None))

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        response = yield Fetch(self.request(follow, context.base_url), conditional=True)
        return self.parse(follow, response)


def _always_article(entry: Mapping[str, Any], kind: Kind) -> Kind:
    """Every entry of a dev.to feed is an article (a module function: a `FeedJob` rule
    must be picklable)."""
    return "article"


def _tags(article: Mapping[str, Any]) -> tuple[str, ...]:
    raw = article.get("tag_list")
    if isinstance(raw, str):  # the single-article endpoint spells it "a, b"
        raw = raw.split(",")
    if not isinstance(raw, list):
        tags_text = text_field(article, "tags") or ""
        raw = tags_text.split(",")
    tags = (clean_line(tag, max_length=60) for tag in raw if isinstance(tag, str))
    return tuple(tag for tag in tags if tag)[:MAX_TAGS]


def _entry(article: Mapping[str, Any]) -> ParsedEntry | None:
    article_id = int_field(article, "id")
    url = safe_url(text_field(article, "url"))
    if article_id is None or url is None:
        return None
    canonical = safe_url(text_field(article, "canonical_url"))
    link = canonical if canonical and canonical_url(canonical) != canonical_url(url) else None
    description = text_field(article, "description") or ""
    text = clean_text(html_to_text(description[:MAX_TEXT])[0], max_length=MAX_TEXT)
    minutes = int_field(article, "reading_time_minutes")
    if minutes:
        text = f"{text}\n\n{minutes} min read" if text else f"{minutes} min read"
    user = object_field(article, "user")
    author = clean_line(user.get("name"), max_length=100) or None
    handle = clean_line(user.get("username"), max_length=100) or None
    title = clean_line(article.get("title"), max_length=300) or title_from_text(text)
    published = iso_datetime(article.get("published_timestamp")) or iso_datetime(
        article.get("published_at")
    )
    score = int_field(article, "positive_reactions_count")
    if score is None:
        score = int_field(article, "public_reactions_count")
    return ParsedEntry(
        platform="devto",
        native_id=str(article_id),
        url=url,
        link=link,
        title=title or "(untitled)",
        author=author or handle,
        author_handle=handle,
        text=text,
        published=published,
        tags=_tags(article),
        kind="article",
        comments_url=f"{url}#comments",
        comments=int_field(article, "comments_count"),
        score=score,
    )

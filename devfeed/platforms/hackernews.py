"""Hacker News through the Algolia HN Search API: a search query or a user's stories.

`hashtag = "python"` follows the newest stories matching a query
(`/api/v1/search_by_date?query=python&tags=story`); `profile = "pg"` follows a user's
submissions (`tags=story,author_pg`). After the first poll only stories created since the
newest one seen are asked for (`numericFilters=created_at_i>N`, N remembered in the
follow's platform state, minus a small overlap because Algolia indexes a story a little
after it is created). A story that links out is a `discussion` of that link, so dedup
files it under the article's story; Ask HN and text-only Show HN are `post`s.
Pure: builds requests and parses responses; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from devfeed.errors import ParseError
from devfeed.htmltext import html_to_text
from devfeed.models import FetchState, Follow, ParsedEntry, ParseResult
from devfeed.platforms.apijson import (
    epoch_datetime,
    int_field,
    iso_datetime,
    load_json,
    text_field,
)
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feeds import MAX_TEXT, parse_feed, title_from_text
from devfeed.sanitize import clean_line, clean_text, safe_url

ITEM_URL = "https://news.ycombinator.com/item?id={}"
"""The discussion page of a story (the permalink, whatever base_url says)."""
HITS_PER_PAGE = 50
OVERLAP_S = 600
"""Seconds before the newest story seen that the next poll asks for again: Algolia may
index a story some minutes after its `created_at`, and entries are unique anyway."""
_KEPT_TAGS = ("ask_hn", "show_hn", "poll")


def _user(follow: Follow) -> str:
    user = (follow.profile or "").strip().lstrip("@").split("/")[-1]
    if not user or not all(ch.isalnum() or ch in "-_" for ch in user):
        raise UnsupportedFollow(f"{follow.profile!r} is not a Hacker News user name")
    return user


class HackerNews:
    """Hacker News stories: a search query (`hashtag`) or a user (`profile`)."""

    name: ClassVar[str] = "hackernews"
    default_base_url: ClassVar[str] = "https://hn.algolia.com"

    def request(self, follow: Follow, base_url: str, newest: int | None = None) -> httpx.Request:
        """The search for `follow`, limited to stories after `newest` (epoch seconds)."""
        headers = {"Accept": "application/json"}
        if follow.url:
            return httpx.Request("GET", follow.url, headers=headers)
        params: dict[str, str] = {"hitsPerPage": str(HITS_PER_PAGE)}
        if follow.hashtag:
            params["query"] = follow.hashtag.strip()
            params["tags"] = "story"
        elif follow.profile:
            params["tags"] = f"story,author_{_user(follow)}"
        else:
            raise UnsupportedFollow("a hackernews follow needs a query (hashtag) or a user")
        if newest:
            params["numericFilters"] = f"created_at_i>{newest - OVERLAP_S}"
        url = f"{base_url.rstrip('/')}/api/v1/search_by_date"
        return httpx.Request("GET", url, params=params, headers=headers)

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """Stories from a search response (or, for a `url` follow, from a feed such as
        hnrss.org). Raises `ParseError`."""
        stripped = response.content.lstrip()
        if follow.url and not stripped.startswith((b"{", b"[")):
            return parse_feed(self.name, response)
        document = load_json(response)
        hits = document.get("hits") if isinstance(document, Mapping) else None
        if not isinstance(hits, list):
            raise ParseError("not an HN Search answer (no 'hits' list)")
        entries = [entry for hit in hits if isinstance(hit, Mapping) if (entry := _entry(hit))]
        newest = max(
            (int_field(hit, "created_at_i") or 0 for hit in hits if isinstance(hit, Mapping)),
            default=0,
        )
        return ParseResult(
            entries=tuple(entries),
            platform_state={"newest": newest} if newest else None,
        )

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        remembered = state.platform_state if state else {}
        before = remembered.get("newest")
        newest = before if isinstance(before, int) and not isinstance(before, bool) else None
        response = yield Fetch(self.request(follow, context.base_url, newest), conditional=True)
        result = self.parse(follow, response)
        found = (result.platform_state or {}).get("newest", 0)
        if newest and found <= newest:  # nothing newer: keep what was remembered
            return result.model_copy(update={"platform_state": None})
        return result


def _entry(hit: Mapping[str, Any]) -> ParsedEntry | None:
    object_id = clean_line(hit.get("objectID"), max_length=40)
    if not object_id.isdigit():
        return None
    discussion = ITEM_URL.format(object_id)
    raw_url = text_field(hit, "url")
    link = safe_url(raw_url) if raw_url else None
    html = text_field(hit, "story_text") or ""
    text = clean_text(html_to_text(html[: MAX_TEXT * 4])[0], max_length=MAX_TEXT)
    title = clean_line(hit.get("title"), max_length=300) or title_from_text(text) or "(untitled)"
    author = clean_line(hit.get("author"), max_length=100) or None
    raw_tags = hit.get("_tags")
    tags = tuple(
        tag for tag in (raw_tags if isinstance(raw_tags, list) else ()) if tag in _KEPT_TAGS
    )
    published = epoch_datetime(hit.get("created_at_i")) or iso_datetime(hit.get("created_at"))
    return ParsedEntry(
        platform="hackernews",
        native_id=object_id,
        url=discussion,
        link=link,
        title=title,
        author=author,
        author_handle=author,
        text=text,
        published=published,
        tags=tags,
        kind="discussion" if link else "post",
        comments_url=discussion,
        comments=int_field(hit, "num_comments"),
        score=int_field(hit, "points"),
    )

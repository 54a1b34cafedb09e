"""Lobsters stories of a tag or a user, through the site's JSON.

`hashtag = "rust"` reads `/t/rust.json`, `profile = "alice"` reads
`/~alice/stories.json`. Each story's permalink is its short Lobsters URL; a story that
links out is a `discussion` of that link (dedup files it under the article's story), a
text-only story is a `post`. A `url` follow (a Lobsters RSS feed) is read as a feed, with
the same permalink/link split. Pure: builds requests and parses responses; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from devfeed.htmltext import html_to_text
from devfeed.models import FetchState, Follow, ParsedEntry, ParseResult
from devfeed.platforms.apijson import int_field, iso_datetime, json_list, load_json, text_field
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feeds import MAX_TAGS, MAX_TEXT, absolute_url, parse_feed, title_from_text
from devfeed.sanitize import clean_line, clean_text, safe_url


class Lobsters:
    """Stories of a Lobsters tag (`hashtag`) or user (`profile`)."""

    name: ClassVar[str] = "lobsters"
    default_base_url: ClassVar[str] = "https://lobste.rs"

    def request(self, follow: Follow, base_url: str) -> httpx.Request:
        """The GET of the follow's stories."""
        headers = {"Accept": "application/json"}
        base = base_url.rstrip("/")
        if follow.url:
            return httpx.Request("GET", follow.url, headers=headers)
        if follow.hashtag:
            url = f"{base}/t/{quote(follow.hashtag.strip(), safe=',')}.json"
        elif follow.profile:
            url = f"{base}/~{quote(follow.profile.strip().lstrip('~@'), safe='')}/stories.json"
        else:
            raise UnsupportedFollow("a lobsters follow needs a tag (hashtag) or a user (profile)")
        return httpx.Request("GET", url, headers=headers)

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """Stories from the JSON (or an RSS feed, for a `url` follow). Raises `ParseError`."""
        if follow.url and not response.content.lstrip().startswith(b"["):
            return parse_feed(self.name, response, refine=_refine_feed_entry)
        stories = json_list(load_json(response), "stories")
        return ParseResult(entries=tuple(e for s in stories if (e := _entry(s)) is not None))

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        response = yield Fetch(self.request(follow, context.base_url), conditional=True)
        return self.parse(follow, response)


def _submitter(story: Mapping[str, Any]) -> str | None:
    user = story.get("submitter_user")
    if isinstance(user, Mapping):  # older Lobsters: the whole user object
        user = user.get("username")
    return clean_line(user, max_length=100) or None


def _entry(story: Mapping[str, Any]) -> ParsedEntry | None:
    short_id = clean_line(story.get("short_id"), max_length=20)
    permalink = safe_url(text_field(story, "short_id_url")) or safe_url(
        text_field(story, "comments_url")
    )
    if not short_id or permalink is None:
        return None
    link = safe_url(text_field(story, "url"))
    plain = text_field(story, "description_plain")
    if plain is not None:
        text = clean_text(plain, max_length=MAX_TEXT).strip()
    else:
        html = text_field(story, "description") or ""
        text = clean_text(html_to_text(html[: MAX_TEXT * 4])[0], max_length=MAX_TEXT)
    raw_tags = story.get("tags")
    tags = tuple(
        tag
        for tag in (
            clean_line(t, max_length=60)
            for t in (raw_tags if isinstance(raw_tags, list) else ())
            if isinstance(t, str)
        )
        if tag
    )[:MAX_TAGS]
    author = _submitter(story)
    return ParsedEntry(
        platform="lobsters",
        native_id=short_id,
        url=permalink,
        link=link,
        title=clean_line(story.get("title"), max_length=300) or title_from_text(text) or "?",
        author=author,
        author_handle=author,
        text=text,
        published=iso_datetime(story.get("created_at")),
        tags=tags,
        kind="discussion" if link else "post",
        comments_url=safe_url(text_field(story, "comments_url")) or permalink,
        comments=int_field(story, "comment_count"),
        score=_score(story),
    )


def _score(story: Mapping[str, Any]) -> int | None:
    value = story.get("score")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31:
        return value  # a flagged story can go below zero
    return None


def _refine_feed_entry(raw: Mapping[str, Any], entry: ParsedEntry) -> ParsedEntry:
    """A Lobsters RSS item: `<guid>` is the short permalink, `<link>` the story's link
    (the permalink itself for a text post), `<author>` is `user@users.HOST (user)`, and a
    link story's description is only a "Comments" link."""
    base = entry.url or ""
    permalink = absolute_url(raw.get("id"), base) or entry.comments_url or entry.url
    link = entry.url
    if link and permalink and urlsplit(link).hostname == urlsplit(permalink).hostname:
        link = None  # a text post links to itself
    author = entry.author or ""
    if author.endswith(")") and "(" in author:
        author = author[author.rindex("(") + 1 : -1]
    handle = clean_line(author, max_length=100) or None
    path = urlsplit(permalink or "").path.strip("/").split("/")
    short_id = path[1] if len(path) >= 2 and path[0] == "s" else entry.native_id
    return entry.model_copy(
        update={
            "native_id": short_id,  # as the JSON names it: one entry whichever is read
            "text": "" if entry.text.strip() == "Comments" else entry.text,
            "url": permalink,
            "link": link,
            "author": handle,
            "author_handle": handle,
            "kind": "discussion" if link else "post",
            "comments_url": entry.comments_url or permalink,
        }
    )

"""Platforms whose public surface is a feed: one GET, parsed by `feeds.parse_feed`.

Each subclass says which URL a follow maps to and how to refine what the generic feed
parser made of an entry (its kind; for Reddit the link a submission shares, for GitHub
the repository a release belongs to). Platforms read through JSON APIs live in their own
modules (`hackernews`, `devto`, `lobsters`, `youtube` for its durations).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from devfeed.dedup import canonical_url
from devfeed.htmltext import html_to_text
from devfeed.models import FetchState, Follow, Kind, ParsedEntry, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feeds import MAX_TEXT, absolute_url, parse_feed
from devfeed.sanitize import clean_text, safe_url

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class FeedPlatform:
    """A platform polled through one feed URL per follow."""

    name: ClassVar[str] = "rss"
    default_base_url: ClassVar[str] = ""

    def feed_url(self, follow: Follow, base_url: str) -> str:
        """The feed URL of a follow. Raises `UnsupportedFollow`."""
        if follow.url:
            return follow.url
        raise UnsupportedFollow(f"a {self.name} follow needs a feed 'url'")

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        """The kind of an entry of this platform, given the generic guess."""
        return kind

    def refine_entry(self, raw: Mapping[str, Any], entry: ParsedEntry) -> ParsedEntry | None:
        """The entry as this platform means it, given feedparser's raw entry (None drops it)."""
        return entry

    def request(self, follow: Follow, base_url: str) -> httpx.Request:
        """The GET of the follow's feed."""
        url = self.feed_url(follow, base_url.rstrip("/"))
        return httpx.Request("GET", url, headers={"Accept": FEED_ACCEPT})

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """Entries from the feed's response. Raises `ParseError`."""
        return parse_feed(self.name, response, kind=self.refine_kind, refine=self.refine_entry)

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        response = yield Fetch(self.request(follow, context.base_url), conditional=True)
        return self.parse(follow, response)


def _segment(value: str) -> str:
    return quote(value.strip(), safe="")


class RSS(FeedPlatform):
    """Any RSS, Atom or JSON Feed: blogs, podcasts, newsletters, bridges."""

    name = "rss"


class GitHub(FeedPlatform):
    """Releases of a repository (`owner/repo`) or the public activity of a user."""

    name = "github"
    default_base_url = "https://github.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        profile = (follow.profile or "").strip().strip("/")
        profile = profile.removeprefix("https://github.com/").removeprefix("github.com/")
        if not profile:
            raise UnsupportedFollow("a github follow needs 'owner/repo' or a user name")
        if "/" in profile:
            owner, repo = profile.split("/")[:2]
            return f"{base_url}/{_segment(owner)}/{_segment(repo)}/releases.atom"
        return f"{base_url}/{_segment(profile)}.atom"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        return "release" if "/releases/" in str(entry.get("link") or "") else "post"

    def refine_entry(self, raw: Mapping[str, Any], entry: ParsedEntry) -> ParsedEntry | None:
        """A release titled only "v2.4.0" is named after its repository ("quickparse
        v2.4.0"); the author's name is their handle. (Release feeds have no published
        date; the generic parser already falls back to `updated`.)"""
        update: dict[str, Any] = {"author_handle": entry.author}
        parts = urlsplit(entry.url or "").path.strip("/").split("/")
        if entry.kind == "release" and len(parts) >= 3 and parts[2] == "releases":
            repo = parts[1]
            if repo.lower() not in entry.title.lower():
                update["title"] = f"{repo} {entry.title}"
        return entry.model_copy(update=update)


class Reddit(FeedPlatform):
    """A subreddit (`hashtag = "python"`, newest first) or a user's submissions, through
    Reddit's Atom feeds (its JSON needs OAuth now). Reddit wants a descriptive User-Agent,
    which the poller sends."""

    name = "reddit"
    default_base_url = "https://www.reddit.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        if follow.hashtag:
            sub = follow.hashtag.strip().removeprefix("/").removeprefix("r/")
            return f"{base_url}/r/{_segment(sub)}/new/.rss"
        user = (follow.profile or "").strip().removeprefix("/").removeprefix("u/")
        user = user.removeprefix("user/")
        if not user:
            raise UnsupportedFollow("a reddit follow needs a subreddit (hashtag) or a user")
        return f"{base_url}/user/{_segment(user)}/submitted/.rss"

    def refine_entry(self, raw: Mapping[str, Any], entry: ParsedEntry) -> ParsedEntry | None:
        """The entry's `<link>` is the discussion; the `[link]` in its content is what the
        submission shares (a self post's points back at the discussion). The text is the
        self post's body, without the "submitted by ... [link] [comments]" trailer."""
        html = _content_html(raw)
        tree = LexborHTMLParser(html) if html else None
        shared: str | None = None
        text = ""
        if tree is not None:
            for anchor in tree.css("a"):
                if anchor.text(strip=True) == "[link]":
                    shared = absolute_url(anchor.attributes.get("href"), entry.url or "")
                    break
            body = tree.css_first("div.md")
            if body is not None:
                text = html_to_text(body.html or "")[0]
        if shared and entry.url and canonical_url(shared) == canonical_url(entry.url):
            shared = None
        author = (entry.author or "").strip().removeprefix("/")
        return entry.model_copy(
            update={
                "link": shared,
                "text": clean_text(text, max_length=MAX_TEXT),
                "kind": "discussion" if shared else "post",
                "comments_url": entry.url,
                "author": author or None,
                "author_handle": author or None,
            }
        )


class StackOverflow(FeedPlatform):
    """Newest questions of a Stack Overflow tag, or a user's questions and answers (the
    numeric user id), through the site's Atom feeds."""

    name = "stackoverflow"
    default_base_url = "https://stackoverflow.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        if follow.hashtag:
            return f"{base_url}/feeds/tag/{_segment(follow.hashtag)}"
        user = (follow.profile or "").strip().removeprefix("users/").split("/")[0]
        if not user.isdigit():
            raise UnsupportedFollow(
                "a stackoverflow profile is the user's number, as in "
                "https://stackoverflow.com/users/22656/..."
            )
        return f"{base_url}/feeds/user/{user}"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        title = str(entry.get("title") or "")
        answer = "#" in str(entry.get("link") or "") or title.startswith("Answer by ")
        return "post" if answer else "question"

    def refine_entry(self, raw: Mapping[str, Any], entry: ParsedEntry) -> ParsedEntry | None:
        """A question's discussion is itself; its `<id>` is a permalink too."""
        url = entry.url or safe_url(raw.get("id"))
        return entry.model_copy(
            update={"url": url, "comments_url": url, "author_handle": entry.author}
        )

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """The feed's entries, each with its score: the `<re:rank>` that follows its
        `<id>` (feedparser keeps only the attributes of elements it does not know)."""
        result = super().parse(follow, response)
        ranks = {
            match.group(1).strip(): int(match.group(2))
            for match in _RANK.finditer(response.content.decode("utf-8", "replace"))
        }
        return result.model_copy(
            update={
                "entries": tuple(
                    entry.model_copy(update={"score": ranks.get(entry.native_id)})
                    for entry in result.entries
                )
            }
        )


_RANK = re.compile(r"<id>([^<]{1,500})</id>\s*<re:rank[^>]*>\s*(-?\d{1,9})\s*</re:rank>")


def _content_html(raw: Mapping[str, Any]) -> str:
    for content in raw.get("content") or ():
        value = content.get("value") if isinstance(content, Mapping) else None
        if isinstance(value, str) and value:
            return value[: MAX_TEXT * 4]
    summary = raw.get("summary")
    return summary[: MAX_TEXT * 4] if isinstance(summary, str) else ""

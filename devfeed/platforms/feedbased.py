"""Platforms whose public surface is a feed: one GET, parsed by `feeds.parse_feed`.

Each subclass only says which URL a follow maps to and how to refine an entry's kind.
Platforms that get JSON APIs (issue 3) replace these one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from devfeed.models import FetchState, Follow, Kind, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feeds import parse_feed

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

    def request(self, follow: Follow, base_url: str) -> httpx.Request:
        """The GET of the follow's feed."""
        url = self.feed_url(follow, base_url.rstrip("/"))
        return httpx.Request("GET", url, headers={"Accept": FEED_ACCEPT})

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """Entries from the feed's response. Raises `ParseError`."""
        return parse_feed(self.name, response, kind=self.refine_kind)

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        response = yield Fetch(self.request(follow, context.base_url), conditional=True)
        return self.parse(follow, response)


def _segment(value: str) -> str:
    return quote(value.strip(), safe="")


class RSS(FeedPlatform):
    """Any RSS, Atom or JSON Feed: blogs, podcasts, newsletters, bridges."""

    name = "rss"


class YouTube(FeedPlatform):
    """A channel (`UC...` id) or playlist (`PL...`, `UU...`) through YouTube's Atom feeds."""

    name = "youtube"
    default_base_url = "https://www.youtube.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        profile = (follow.profile or "").strip()
        if profile.startswith("UC") and len(profile) == 24:
            return f"{base_url}/feeds/videos.xml?channel_id={_segment(profile)}"
        if profile.startswith(("PL", "UU", "FL", "OL")):
            return f"{base_url}/feeds/videos.xml?playlist_id={_segment(profile)}"
        raise UnsupportedFollow(
            "give a YouTube channel id (UC..., 24 characters) or a playlist id; "
            "@handles are not resolved yet"
        )

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        return "short" if "/shorts/" in str(entry.get("link") or "") else "video"


class GitHub(FeedPlatform):
    """Releases of a repository (`owner/repo`) or the public activity of a user."""

    name = "github"
    default_base_url = "https://github.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        profile = (follow.profile or "").strip().strip("/")
        if "/" in profile:
            owner, repo = profile.split("/", 1)
            return f"{base_url}/{_segment(owner)}/{_segment(repo)}/releases.atom"
        return f"{base_url}/{_segment(profile)}.atom"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        return "release" if "/releases/" in str(entry.get("link") or "") else "post"


class Reddit(FeedPlatform):
    """A subreddit (`hashtag = "python"`, newest first) or a user's submissions."""

    name = "reddit"
    default_base_url = "https://www.reddit.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        if follow.hashtag:
            sub = follow.hashtag.removeprefix("r/")
            return f"{base_url}/r/{_segment(sub)}/new/.rss"
        user = (follow.profile or "").removeprefix("u/").removeprefix("/u/")
        return f"{base_url}/user/{_segment(user)}/submitted/.rss"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        return "discussion"


class Lobsters(FeedPlatform):
    """A Lobsters tag or a user's stories."""

    name = "lobsters"
    default_base_url = "https://lobste.rs"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        if follow.hashtag:
            return f"{base_url}/t/{_segment(follow.hashtag)}.rss"
        return f"{base_url}/~{_segment((follow.profile or '').lstrip('~'))}/stories.rss"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        return "discussion"


class StackOverflow(FeedPlatform):
    """Newest questions of a Stack Overflow tag, or a user's activity (numeric id)."""

    name = "stackoverflow"
    default_base_url = "https://stackoverflow.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        if follow.hashtag:
            return f"{base_url}/feeds/tag/{_segment(follow.hashtag)}"
        return f"{base_url}/feeds/user/{_segment(follow.profile or '')}"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        return "question"


class DevTo(FeedPlatform):
    """Articles of a dev.to tag or author, through dev.to's RSS."""

    name = "devto"
    default_base_url = "https://dev.to"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        if follow.url:
            return follow.url
        if follow.hashtag:
            return f"{base_url}/feed/tag/{_segment(follow.hashtag)}"
        return f"{base_url}/feed/{_segment((follow.profile or '').lstrip('@'))}"

"""Bluesky through the AT Protocol's XRPC API.

- Profile (`alice.bsky.social`, `@alice.bsky.social`, a `did:`): `app.bsky.feed.getAuthorFeed`
  on the public AppView (`base_url`, default https://public.api.bsky.app), no account needed.
- Hashtag: `app.bsky.feed.searchPosts?tag=` is not public. With `[platforms.bluesky] handle` and
  `app_password` (or DEVFEED_BLUESKY_HANDLE / DEVFEED_BLUESKY_APP_PASSWORD), the exchange
  signs in with `com.atproto.server.createSession` on `session_url` (default https://bsky.social,
  the service that holds the account), keeps the short-lived access token in the follow's
  platform state (never the password, never the refresh token), and searches through that
  service with the token; an expired token is replaced once per poll. Without credentials the
  source fails with a hint.
- A repost (`reason` = `app.bsky.feed.defs#reasonRepost`) becomes the original post with
  `boosted_by` set to the reposter.
- Text is plain; facets (UTF-8 byte ranges) mark links and tags. The link a post shares is
  its external embed (the card), else its first link facet; a link shown shortened in the
  text (`example.com/a-long-pa...`) is written out in full.

Pure: builds requests and parses responses; the poller does the I/O.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, ClassVar

import httpx

from devfeed.errors import FetchError, HTTPStatusError, ParseError
from devfeed.models import FetchState, Follow, Kind, ParsedEntry, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feeds import MAX_TAGS, MAX_TEXT, title_from_text
from devfeed.platforms.jsonapi import integer, load_json, obj, objects, text, timestamp
from devfeed.sanitize import clean_line, clean_text, safe_url

DEFAULT_SESSION_URL = "https://bsky.social"
PERMALINK_BASE = "https://bsky.app"
PAGE_SIZE = 50
JSON_ACCEPT = "application/json"
REPOST = "app.bsky.feed.defs#reasonRepost"
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"
LOGIN_HINT = (
    "Bluesky's hashtag search needs a signed-in account: add an app password in "
    "[platforms.bluesky] (handle = ..., app_password = ...) or set DEVFEED_BLUESKY_HANDLE and "
    "DEVFEED_BLUESKY_APP_PASSWORD (create one under Settings > Privacy and security > App "
    "passwords)"
)


def actor_of(profile: str) -> str:
    """The actor of a profile follow: a handle or a DID (`@` and profile URLs accepted)."""
    actor = profile.strip()
    for prefix in ("https://bsky.app/profile/", "http://bsky.app/profile/"):
        if actor.startswith(prefix):
            actor = actor.removeprefix(prefix).split("/", 1)[0]
    actor = actor.lstrip("@")
    if not actor or "/" in actor or " " in actor:
        raise UnsupportedFollow(
            f"{profile!r} is not a Bluesky profile; write a handle such as 'alice.bsky.social'"
        )
    return actor


def _shown_shortened(shown: str, uri: str) -> bool:
    return shown != uri and shown.rstrip().endswith(("...", "…"))


def read_facets(record: Mapping[str, Any]) -> tuple[str, list[str], list[str]]:
    """(text with shortened links written out, links, tags) of a post record. Facet ranges
    count UTF-8 bytes, not characters."""
    raw = text(record.get("text")) or ""
    data = raw.encode("utf-8")
    links: list[str] = []
    tags: list[str] = []
    expansions: list[tuple[int, int, str]] = []
    for facet in objects(record.get("facets")):
        index = obj(facet.get("index"))
        start, end = integer(index.get("byteStart")), integer(index.get("byteEnd"))
        in_range = start is not None and end is not None and start < end <= len(data)
        for feature in objects(facet.get("features")):
            kind = feature.get("$type")
            if kind == LINK:
                uri = safe_url(feature.get("uri"))
                if uri is None:
                    continue
                if uri not in links:
                    links.append(uri)
                if in_range:
                    assert start is not None and end is not None
                    shown = data[start:end].decode("utf-8", "replace")
                    if _shown_shortened(shown, uri):
                        expansions.append((start, end, uri))
            elif kind == TAG:
                tag = clean_line(feature.get("tag"), max_length=60).lstrip("#")
                if tag and tag not in tags:
                    tags.append(tag)
    for extra in record.get("tags") or ():
        tag = clean_line(extra, max_length=60).lstrip("#") if isinstance(extra, str) else ""
        if tag and tag not in tags:
            tags.append(tag)
    last = len(data) + 1
    for start, end, uri in sorted(expansions, reverse=True):
        if end <= last:  # overlapping ranges are left as they are
            data = data[:start] + uri.encode() + data[end:]
            last = start
    return data.decode("utf-8", "replace"), links, tags


def _embed_parts(embed: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(external link, its title, video playlist) of a post view's embed."""
    kind = str(embed.get("$type") or "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _embed_parts(obj(embed.get("media")))
    if kind.startswith("app.bsky.embed.external"):
        external = obj(embed.get("external"))
        return safe_url(external.get("uri")), text(external.get("title")), None
    if kind.startswith("app.bsky.embed.video"):
        return None, None, safe_url(embed.get("playlist"))
    return None, None, None


def _handle(profile: Mapping[str, Any]) -> str | None:
    handle = text(profile.get("handle"))
    if handle is None or handle == "handle.invalid":
        handle = text(profile.get("did"))
    return clean_line(handle, max_length=200) or None


def post_entry(post: Mapping[str, Any], reposted_by: str | None = None) -> ParsedEntry | None:
    """The entry of one post view (`app.bsky.feed.defs#postView`); None without an at:// uri."""
    uri = text(post.get("uri"))
    if uri is None or not uri.startswith("at://"):
        return None
    author = obj(post.get("author"))
    record = obj(post.get("record"))
    handle = _handle(author)
    body, links, tags = read_facets(record)
    body = clean_text(body, max_length=MAX_TEXT).strip()
    external, external_title, playlist = _embed_parts(obj(post.get("embed")))
    rkey = uri.rstrip("/").rsplit("/", 1)[-1]
    url = safe_url(f"{PERMALINK_BASE}/profile/{handle}/post/{rkey}") if handle else None
    title = title_from_text(body) or clean_line(external_title, max_length=300)
    kind: Kind = "video" if playlist else "post"
    if not title:
        title = f"{'Video' if playlist else 'Post'} by {handle or 'someone'}"
    return ParsedEntry(
        platform="bluesky",
        native_id=clean_line(uri, max_length=1000),
        url=url,
        link=external or (links[0] if links else None),
        title=title,
        author=clean_line(text(author.get("displayName")) or handle, max_length=200) or None,
        author_handle=handle,
        text=body,
        published=timestamp(record.get("createdAt")) or timestamp(post.get("indexedAt")),
        tags=tuple(tags[:MAX_TAGS]),
        kind=kind,
        duration_s=None,  # Bluesky gives no length; only summing the HLS playlist would
        media_url=playlist,
        comments=integer(post.get("replyCount")),
        score=integer(post.get("likeCount")),
        boosted_by=reposted_by,
    )


def _unique(entries: list[ParsedEntry | None]) -> tuple[ParsedEntry, ...]:
    seen: set[str] = set()
    unique: list[ParsedEntry] = []
    for entry in entries:
        if entry is not None and entry.native_id not in seen:
            seen.add(entry.native_id)
            unique.append(entry)
    return tuple(unique)


def parse_author_feed(response: httpx.Response) -> tuple[ParsedEntry, ...]:
    """Entries of a `getAuthorFeed` response. Raises `ParseError`."""
    document = obj(load_json(response))
    if not isinstance(document.get("feed"), list):
        raise ParseError("Bluesky did not answer with an author feed")
    entries: list[ParsedEntry | None] = []
    for item in objects(document["feed"]):
        reason = obj(item.get("reason"))
        reposted_by = _handle(obj(reason.get("by"))) if reason.get("$type") == REPOST else None
        entries.append(post_entry(obj(item.get("post")), reposted_by))
    return _unique(entries)


def parse_search(response: httpx.Response) -> tuple[ParsedEntry, ...]:
    """Entries of a `searchPosts` response. Raises `ParseError`."""
    document = obj(load_json(response))
    if not isinstance(document.get("posts"), list):
        raise ParseError("Bluesky did not answer with search results")
    return _unique([post_entry(post) for post in objects(document["posts"])])


class Bluesky:
    """Profiles (public) and hashtags (with an app password) on Bluesky."""

    name: ClassVar[str] = "bluesky"
    default_base_url: ClassVar[str] = "https://public.api.bsky.app"

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        base = (context.base_url or self.default_base_url).rstrip("/")
        if follow.profile:
            return (yield from self._profile(actor_of(follow.profile), base))
        if follow.hashtag:
            memory = dict(state.platform_state) if state else {}
            return (yield from self._hashtag(follow.hashtag.lstrip("#"), context, memory))
        raise UnsupportedFollow("a bluesky follow needs a 'profile' or a 'hashtag'")

    def _profile(self, actor: str, base: str) -> Exchange:
        request = httpx.Request(
            "GET",
            f"{base}/xrpc/app.bsky.feed.getAuthorFeed",
            params={"actor": actor, "limit": PAGE_SIZE, "filter": "posts_no_replies"},
            headers={"Accept": JSON_ACCEPT},
        )
        try:
            response = yield Fetch(request, conditional=True)
        except HTTPStatusError as error:
            if error.status == 400:
                raise FetchError(
                    f"Bluesky refused the profile {actor!r} ({error}): check the handle"
                ) from None
            raise
        entries = parse_author_feed(response)
        own = next((e for e in entries if e.boosted_by is None), None)
        return ParseResult(entries=entries, feed_title=own.author if own else f"@{actor}")

    def _hashtag(self, tag: str, context: Context, memory: dict[str, Any]) -> Exchange:
        handle = context.settings.handle
        password = context.settings.app_password
        if not handle or not password:
            raise UnsupportedFollow(LOGIN_HINT)
        service = (context.settings.session_url or DEFAULT_SESSION_URL).rstrip("/")
        token = memory.get("access_jwt") if memory.get("session_handle") == handle else None
        fresh = False
        while True:
            if not isinstance(token, str) or not token:
                token = yield from self._sign_in(service, handle, password)
                fresh = True
            search = httpx.Request(
                "GET",
                f"{service}/xrpc/app.bsky.feed.searchPosts",
                params={"q": f"#{tag}", "tag": tag, "sort": "latest", "limit": PAGE_SIZE},
                headers={"Accept": JSON_ACCEPT, "Authorization": f"Bearer {token}"},
            )
            try:
                response = yield Fetch(search, conditional=True)
            except HTTPStatusError as error:
                if error.status in (400, 401) and not fresh:
                    token = None  # expired or revoked: sign in again, once
                    continue
                raise
            break
        return ParseResult(
            entries=parse_search(response),
            feed_title=f"#{tag}",
            platform_state={**memory, "access_jwt": token, "session_handle": handle},
        )

    def _sign_in(
        self, service: str, handle: str, password: str
    ) -> Generator[Fetch, httpx.Response, str]:
        request = httpx.Request(
            "POST",
            f"{service}/xrpc/com.atproto.server.createSession",
            json={"identifier": handle, "password": password},
            headers={"Accept": JSON_ACCEPT},
        )
        try:
            response = yield Fetch(request)
        except HTTPStatusError as error:
            if error.status in (400, 401):
                raise FetchError(
                    f"Bluesky refused the sign-in of {handle} ({error}): check handle and "
                    "app_password in [platforms.bluesky]"
                ) from None
            raise
        token = text(obj(load_json(response)).get("accessJwt"))
        if token is None:
            raise ParseError("Bluesky's sign-in answered without an access token")
        return token

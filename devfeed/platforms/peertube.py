"""PeerTube, on any instance (the follow's `instance`), through its REST API.

- Hashtag: `GET /api/v1/search/videos?tagsOneOf=:tag&sort=-publishedAt`.
- Profile: PeerTube has channels (`/c/name`) and accounts (`/a/name`); a profile says which
  with a prefix, or devfeed finds out:
  - `channel:NAME` or `c/NAME` -> `GET /api/v1/video-channels/NAME/videos`;
  - `account:NAME` or `a/NAME` -> `GET /api/v1/accounts/NAME/videos`;
  - a bare `NAME` (or `NAME@host`, `@NAME@host`) is tried as a channel first and, when the
    instance answers 404, as an account; what worked is remembered in the follow's platform
    state, so later polls ask once.
- Every entry is a video with its `duration` in seconds (live streams have none); its id is
  the video's `uuid`, the same on every instance that federates it.

Pure: builds requests and parses responses; the poller does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from devfeed.errors import HTTPStatusError, ParseError
from devfeed.models import FetchState, Follow, ParsedEntry, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow, instance_base
from devfeed.platforms.feeds import MAX_TAGS, MAX_TEXT
from devfeed.platforms.jsonapi import integer, load_json, obj, objects, text, timestamp
from devfeed.sanitize import clean_line, clean_text, safe_url

PAGE_SIZE = 50
JSON_ACCEPT = "application/json"
_PREFIXES = {"channel:": "channel", "c/": "channel", "account:": "account", "a/": "account"}
_PATHS = {"channel": "video-channels", "account": "accounts"}


def split_profile(profile: str) -> tuple[str | None, str]:
    """(`channel`, `account` or None when unsaid, handle) of a profile follow."""
    value = profile.strip()
    said: str | None = None
    for prefix, kind in _PREFIXES.items():
        if value.startswith(prefix):
            said, value = kind, value.removeprefix(prefix)
            break
    handle = value.strip().lstrip("@").strip("/")
    if not handle or "/" in handle or " " in handle:
        raise UnsupportedFollow(
            f"{profile!r} is not a PeerTube channel or account; write 'channel:NAME', "
            "'account:NAME' or 'NAME@host'"
        )
    return said, handle


def _actor(actor: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(display name, `name@host`) of a channel or account summary."""
    name = text(actor.get("name"))
    host = text(actor.get("host"))
    handle = f"{name}@{host}" if name and host else name
    display = clean_line(text(actor.get("displayName")) or handle, max_length=200)
    return display or None, clean_line(handle, max_length=200) or None


def video_entry(video: Mapping[str, Any], base: str) -> ParsedEntry | None:
    """The entry of one video (PeerTube's `Video` model); None without an id."""
    uuid = text(video.get("uuid"))
    url = safe_url(video.get("url"))
    if url is None:
        short = text(video.get("shortUUID"))
        if short or uuid:
            url = safe_url(f"{base}/w/{quote(short or uuid or '', safe='')}")
    native_id = uuid or url
    if native_id is None:
        return None
    live = video.get("isLive") is True
    duration = None if live else integer(video.get("duration"))
    channel_name, channel_handle = _actor(obj(video.get("channel")))
    account_name, account_handle = _actor(obj(video.get("account")))
    description = text(video.get("truncatedDescription")) or text(video.get("description"))
    raw_tags = video.get("tags")
    tags: list[str] = []
    for tag in raw_tags if isinstance(raw_tags, list) else ():
        name = clean_line(tag, max_length=60) if isinstance(tag, str) else ""
        if name and name not in tags:
            tags.append(name)
    return ParsedEntry(
        platform="peertube",
        native_id=clean_line(native_id, max_length=1000),
        url=url,
        title=clean_line(video.get("name"), max_length=300) or "(untitled video)",
        author=channel_name or account_name,
        author_handle=channel_handle or account_handle,
        text=clean_text(description, max_length=MAX_TEXT).strip(),
        published=timestamp(video.get("publishedAt")) or timestamp(video.get("createdAt")),
        tags=tuple(tags[:MAX_TAGS]),
        kind="video",
        duration_s=duration or None,
        comments=integer(video.get("comments")),
        score=integer(video.get("likes")),
    )


def parse_videos(response: httpx.Response, base: str) -> tuple[ParsedEntry, ...]:
    """Entries of a video list (`{"total": n, "data": [Video, ...]}`). Raises `ParseError`."""
    document = obj(load_json(response))
    if not isinstance(document.get("data"), list):
        raise ParseError("the PeerTube API did not answer with a list of videos")
    seen: set[str] = set()
    entries: list[ParsedEntry] = []
    for video in objects(document["data"]):
        entry = video_entry(video, base)
        if entry is not None and entry.native_id not in seen:
            seen.add(entry.native_id)
            entries.append(entry)
    return tuple(entries)


class PeerTube:
    """Hashtags, channels and accounts on any PeerTube instance."""

    name: ClassVar[str] = "peertube"
    default_base_url: ClassVar[str] = ""
    """None: every follow names its instance."""

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        if not follow.instance:
            raise UnsupportedFollow(
                "a peertube follow needs an 'instance' (a host such as 'tilvids.com' or a base URL)"
            )
        base = instance_base(follow.instance)
        if follow.hashtag:
            tag = follow.hashtag.lstrip("#")
            request = httpx.Request(
                "GET",
                f"{base}/api/v1/search/videos",
                params={"tagsOneOf": tag, "sort": "-publishedAt", "count": PAGE_SIZE},
                headers={"Accept": JSON_ACCEPT},
            )
            response = yield Fetch(request, conditional=True)
            return ParseResult(entries=parse_videos(response, base), feed_title=f"#{tag}")
        if follow.profile:
            memory = dict(state.platform_state) if state else {}
            return (yield from self._profile(follow.profile, base, memory))
        raise UnsupportedFollow("a peertube follow needs a 'hashtag' or a 'profile'")

    def _profile(self, profile: str, base: str, memory: dict[str, Any]) -> Exchange:
        said, handle = split_profile(profile)
        remembered = memory.get("kind") if memory.get("handle") == handle else None
        kinds = [said] if said else ([remembered] if remembered in _PATHS else [])
        if not kinds:
            kinds = ["channel", "account"]
        for attempt, kind in enumerate(kinds):
            request = httpx.Request(
                "GET",
                f"{base}/api/v1/{_PATHS[kind]}/{quote(handle, safe='@')}/videos",
                params={"sort": "-publishedAt", "count": PAGE_SIZE},
                headers={"Accept": JSON_ACCEPT},
            )
            try:
                response = yield Fetch(request, conditional=True)
            except HTTPStatusError as error:
                if error.status == 404 and attempt + 1 < len(kinds):
                    continue
                if error.status == 404:
                    what = " or ".join(kinds)
                    raise UnsupportedFollow(
                        f"{httpx.URL(base).host} knows no {what} {handle!r} (HTTP 404)"
                    ) from None
                raise
            entries = parse_videos(response, base)
            title = next((e.author for e in entries if e.author), None) or handle
            return ParseResult(
                entries=entries,
                feed_title=title,
                platform_state={**memory, "kind": kind, "handle": handle},
            )
        raise AssertionError("unreachable: the loop returns or raises")

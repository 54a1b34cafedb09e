"""YouTube channels and playlists through their Atom feeds, with the length of new videos.

A follow names a channel (`UC...` id, `@handle`, or a channel URL: `/@handle`,
`/channel/UC...`, `/c/name`, `/user/name`), a playlist (`PL...`, `UU...` id or a
`/playlist?list=` URL) or a feed URL. A handle or a custom URL is resolved to its channel
id once, from the channel's page, and remembered in the follow's platform state.

A channel is read through its `UULF` playlist (the uploads without Shorts and live
streams); a channel without one (404) falls back to its full feed, remembered, where Shorts
are told apart by their `/shorts/` links. The feeds carry no lengths, so the lengths of
*new* videos are fetched: one batched Data API call per 50 ids when `[platforms.youtube]
api_key` is set, else each video's watch page (`meta[itemprop=duration]`), one after the
other and at most `MAX_WATCH_PAGES` a poll. A length that cannot be had stays None and
never fails the source; live streams (on air, upcoming or recorded) get none, so they are
never offered for Lunch. The last `KEEP_DURATIONS` lengths are remembered so a re-poll
fetches nothing twice.

Pure: builds requests and parses responses; the poller does the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from devfeed.dedup import youtube_video_id
from devfeed.durations import parse_media_duration
from devfeed.errors import FetchError, HTTPStatusError, ParseError
from devfeed.models import FetchState, Follow, Kind, ParsedEntry
from devfeed.platforms.apijson import load_json, object_field, text_field
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feedbased import FEED_ACCEPT, FeedPlatform

MAX_WATCH_PAGES = 15
"""Watch pages fetched at most per poll (the rest wait for the next poll)."""
API_BATCH = 50
"""Video ids per Data API `videos.list` call (the API's maximum)."""
KEEP_DURATIONS = 100
"""Video lengths remembered per follow, newest first."""
API_BASE = "https://www.googleapis.com"
"""Where the Data API lives when `base_url` is YouTube itself."""
PAGE_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "Accept-Language": "en",
    # without a consent cookie, YouTube in the EU answers every page with a consent form
    "Cookie": "SOCS=CAI",
}

_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_PLAYLIST_ID = re.compile(r"^(?:PL|UU|FL|OL|LL|RD)[A-Za-z0-9_-]{10,64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_CHANNEL_IN_URL = re.compile(r"/channel/(UC[A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])")
_EXTERNAL_ID = re.compile(r'"externalId"\s*:\s*"(UC[A-Za-z0-9_-]{22})"')
_ANY_CHANNEL_ID = re.compile(r'"channelId"\s*:\s*"(UC[A-Za-z0-9_-]{22})"')
_LENGTH_SECONDS = re.compile(r'"lengthSeconds"\s*:\s*"(\d{1,7})"')
_LIVE_CONTENT = re.compile(r'"isLiveContent"\s*:\s*true')
_FEED_HEADERS = {"Accept": FEED_ACCEPT}
_YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com")


@dataclass(frozen=True)
class Target:
    """What a YouTube follow points at."""

    what: Literal["channel", "playlist", "page", "feed"]
    """A channel id, a playlist id, a channel page to resolve, or a feed URL as given."""
    value: str
    """The id, the page path (`/@handle`, `/c/name`, `/user/name`) or the URL."""


def _page_target(path: str) -> Target | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    first = parts[0]
    if first.startswith("@") and _NAME.match(first[1:]):
        return Target("page", f"/{first}")
    if first == "channel" and len(parts) > 1 and _CHANNEL_ID.match(parts[1]):
        return Target("channel", parts[1])
    if first in ("c", "user") and len(parts) > 1 and _NAME.match(parts[1]):
        return Target("page", f"/{first}/{parts[1]}")
    return None


def target_of(follow: Follow) -> Target:
    """What `follow` points at. Raises `UnsupportedFollow` with examples."""
    if follow.url:
        url = urlsplit(follow.url)
        if (url.hostname or "").lower() in _YOUTUBE_HOSTS and "/feeds/" not in url.path:
            query = dict(parse_qsl(url.query))
            if url.path.rstrip("/") == "/playlist" and _PLAYLIST_ID.match(query.get("list", "")):
                return Target("playlist", query["list"])
            page = _page_target(url.path)
            if page is not None:
                return page
            raise UnsupportedFollow(_EXAMPLES)
        return Target("feed", follow.url)
    profile = (follow.profile or "").strip()
    if profile.startswith(("http://", "https://")):
        return target_of(Follow(platform="youtube", url=profile))
    if _CHANNEL_ID.match(profile):
        return Target("channel", profile)
    if _PLAYLIST_ID.match(profile):
        return Target("playlist", profile)
    page = _page_target(profile if profile.startswith("@") or "/" in profile else f"@{profile}")
    if page is not None:
        return page
    raise UnsupportedFollow(_EXAMPLES)


_EXAMPLES = (
    "give a YouTube channel or playlist: '@handle', 'UC...' (a channel id), 'PL...' "
    "(a playlist id), or a URL such as https://www.youtube.com/@handle, "
    "/channel/UC..., /c/name, /user/name or /playlist?list=PL..."
)


def channel_id_from_page(html: bytes) -> str | None:
    """The id of the channel a channel page is about, or None.

    Reads the page's own declarations first (canonical link, `itemprop` identifier,
    `og:url`), then its data (`externalId`, the first `channelId`)."""
    tree = LexborHTMLParser(html)
    candidates = [(node.attributes.get("href") or "") for node in tree.css('link[rel="canonical"]')]
    for selector in ('meta[itemprop="identifier"]', 'meta[itemprop="channelId"]'):
        candidates += [(node.attributes.get("content") or "") for node in tree.css(selector)]
    candidates += [(n.attributes.get("content") or "") for n in tree.css('meta[property="og:url"]')]
    for candidate in candidates:
        candidate = candidate.strip()
        if _CHANNEL_ID.match(candidate):
            return candidate
        found = _CHANNEL_IN_URL.search(candidate)
        if found:
            return found.group(1)
    text = html.decode("utf-8", "replace")
    for pattern in (_EXTERNAL_ID, _ANY_CHANNEL_ID):
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None


def duration_from_watch_page(html: bytes) -> int | None:
    """Seconds of a video from its watch page; None for a live stream (on air, upcoming or
    recorded), or when the page does not say (a consent form, a removed video)."""
    tree = LexborHTMLParser(html)

    def meta(prop: str) -> str | None:
        node = tree.css_first(f'meta[itemprop="{prop}"]')
        return (node.attributes.get("content") or "").strip() if node is not None else None

    text: str | None = None
    live = (meta("isLiveBroadcast") or "").lower() == "true"
    if not live:
        text = html.decode("utf-8", "replace")
        live = _LIVE_CONTENT.search(text) is not None
    if live:
        return None
    duration = parse_media_duration(meta("duration"))
    if duration is not None:
        return duration
    found = _LENGTH_SECONDS.search(text or html.decode("utf-8", "replace"))
    return parse_media_duration(found.group(1)) if found else None


def durations_from_api(response: httpx.Response) -> dict[str, int | None]:
    """Seconds by video id from a Data API `videos.list` answer (live streams: None).
    Raises `ParseError`."""
    document = load_json(response)
    items = document.get("items") if isinstance(document, Mapping) else None
    if not isinstance(items, list):
        raise ParseError("not a YouTube Data API videos.list answer (no 'items')")
    found: dict[str, int | None] = {}
    for item in items:
        if not isinstance(item, Mapping):
            continue
        video_id = text_field(item, "id")
        if not video_id or not _is_video_id(video_id):
            continue
        live = isinstance(item.get("liveStreamingDetails"), Mapping)
        duration = text_field(object_field(item, "contentDetails"), "duration")
        found[video_id] = None if live else parse_media_duration(duration)
    return found


def _is_video_id(value: str) -> bool:
    return len(value) == 11 and all(ch.isalnum() or ch in "-_" for ch in value)


def _remembered_durations(state: Mapping[str, Any]) -> dict[str, int | None]:
    known: dict[str, int | None] = {}
    pairs = state.get("durations")
    for pair in pairs if isinstance(pairs, list) else ():
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str):
            seconds = pair[1]
            ok = isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0
            known[pair[0]] = seconds if ok else None
    return known


class YouTube(FeedPlatform):
    """A YouTube channel or playlist, with the length of each new video."""

    name = "youtube"
    default_base_url = "https://www.youtube.com"

    def feed_url(self, follow: Follow, base_url: str) -> str:
        """The feed of a follow whose target needs no lookup. Raises `UnsupportedFollow`."""
        target = target_of(follow)
        if target.what == "page":
            raise UnsupportedFollow(f"{target.value} must first be resolved to a channel id")
        return self._feed_of(target, base_url.rstrip("/"), long_form=False)

    @staticmethod
    def _feed_of(target: Target, base_url: str, *, long_form: bool) -> str:
        if target.what == "feed":
            return target.value
        if target.what == "playlist":
            return f"{base_url}/feeds/videos.xml?playlist_id={quote(target.value, safe='')}"
        if long_form:
            return f"{base_url}/feeds/videos.xml?playlist_id=UULF{target.value[2:]}"
        return f"{base_url}/feeds/videos.xml?channel_id={quote(target.value, safe='')}"

    def refine_kind(self, entry: Mapping[str, Any], kind: Kind) -> Kind:
        link = str(entry.get("link") or "")
        return "short" if "/shorts/" in link else "video"

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        remembered: dict[str, Any] = dict(state.platform_state) if state else {}
        base_url = context.base_url.rstrip("/")
        target = target_of(follow)
        memory: dict[str, Any] = {}
        handle: str | None = None
        if target.what == "page":
            handle = target.value.rsplit("/", 1)[-1]
            channel_id = remembered.get("channel_id")
            if remembered.get("resolved_from") != target.value or not isinstance(channel_id, str):
                channel_id = yield from self._resolve(target.value, base_url)
            memory |= {"channel_id": channel_id, "resolved_from": target.value}
            target = Target("channel", channel_id)

        long_form = target.what == "channel" and remembered.get("long_form") is not False
        response, long_form = yield from self._read_feed(target, base_url, long_form)
        if target.what == "channel":
            memory["long_form"] = long_form
        parsed = self.parse(follow, response)
        playlist = target.value if target.what == "playlist" else ""
        entries = [
            entry.model_copy(
                update={
                    "kind": "short" if playlist.startswith("UUSH") else entry.kind,
                    "author_handle": handle or entry.author_handle,
                    "url": entry.url or _watch_url(entry),
                }
            )
            for entry in parsed.entries
        ]
        known = _remembered_durations(remembered)
        wanted = [
            video_id
            for entry in entries
            if entry.kind == "video" and entry.duration_s is None
            if (video_id := _video_id(entry)) is not None and video_id not in known
        ]
        learned: dict[str, int | None] = {}
        if wanted:
            learned = yield from self._durations(wanted, base_url, context)
        durations = {**known, **learned}
        entries = [
            entry.model_copy(update={"duration_s": durations.get(video_id)})
            if entry.duration_s is None and (video_id := _video_id(entry)) in durations
            else entry
            for entry in entries
        ]
        order = [v for e in entries if (v := _video_id(e)) is not None and v in durations]
        order += [v for v in durations if v not in order]
        memory["durations"] = [[v, durations[v]] for v in order[:KEEP_DURATIONS]]
        return parsed.model_copy(
            update={"entries": tuple(entries), "platform_state": {**remembered, **memory}}
        )

    def _read_feed(
        self, target: Target, base_url: str, long_form: bool
    ) -> Generator[Fetch, httpx.Response, tuple[httpx.Response, bool]]:
        """Yield the fetch of the feed (a channel's long-form playlist when `long_form`);
        return its response and whether it was the long-form playlist."""
        url = self._feed_of(target, base_url, long_form=long_form)
        try:
            response = yield Fetch(httpx.Request("GET", url, headers=_FEED_HEADERS), True)
        except HTTPStatusError as error:
            if not long_form or error.status != 404:
                raise
            # no long-form playlist: read the whole channel and tell Shorts by their links.
            # Conditional too: the first fetch failed, so this is the one that decides.
            url = self._feed_of(target, base_url, long_form=False)
            response = yield Fetch(httpx.Request("GET", url, headers=_FEED_HEADERS), True)
            return response, False
        return response, long_form

    def _resolve(self, path: str, base_url: str) -> Generator[Fetch, httpx.Response, str]:
        """Yield the fetch of a channel page; return the channel id it declares."""
        request = httpx.Request("GET", f"{base_url}{quote(path, safe='/@')}", headers=PAGE_HEADERS)
        try:
            response = yield Fetch(request)
        except FetchError as error:
            raise FetchError(f"could not look up the YouTube channel {path[1:]}: {error}") from None
        if _consent_wall(response):
            raise FetchError(f"YouTube answered {path[1:]} with its cookie-consent page")
        channel_id = channel_id_from_page(response.content)
        if channel_id is None:
            raise ParseError(f"the page of {path[1:]} names no channel id")
        return channel_id

    def _durations(
        self, wanted: list[str], base_url: str, context: Context
    ) -> Generator[Fetch, httpx.Response, dict[str, int | None]]:
        """Yield the fetches that learn the lengths of `wanted`; return what was learned
        (None for a video that has no length to give). Never raises `FetchError`."""
        learned: dict[str, int | None] = {}
        api_key = context.settings.api_key
        if api_key:
            api = API_BASE if base_url == self.default_base_url else base_url
            for start in range(0, len(wanted), API_BATCH):
                batch = wanted[start : start + API_BATCH]
                params = {"part": "contentDetails,liveStreamingDetails", "id": ",".join(batch)}
                request = httpx.Request(
                    "GET",
                    f"{api}/youtube/v3/videos",
                    params={**params, "key": api_key},
                    headers={"Accept": "application/json"},
                )
                try:
                    found = durations_from_api((yield Fetch(request)))
                except (FetchError, ParseError):
                    break  # quota, a bad key, an outage: the watch pages below still work
                learned |= {video_id: found.get(video_id) for video_id in batch}
        for video_id in [v for v in wanted if v not in learned][:MAX_WATCH_PAGES]:
            request = httpx.Request("GET", f"{base_url}/watch?v={video_id}", headers=PAGE_HEADERS)
            try:
                response = yield Fetch(request)
            except HTTPStatusError as error:
                if error.status in (404, 410):  # removed or private: it has no length to give
                    learned[video_id] = None
                    continue
                if error.status == 429 or error.status >= 500:
                    break  # asked to slow down, or down: the rest waits for the next poll
                continue
            except FetchError:
                break
            if _consent_wall(response):
                break  # not the video's page: nothing to learn from the others either
            learned[video_id] = duration_from_watch_page(response.content)
        return learned


def _video_id(entry: ParsedEntry) -> str | None:
    native = entry.native_id.removeprefix("yt:video:")
    if _is_video_id(native):
        return native
    return youtube_video_id(entry.url) if entry.url else None


def _watch_url(entry: ParsedEntry) -> str | None:
    """The permalink of a video whose feed link was missing or unsafe, from its id."""
    native = entry.native_id.removeprefix("yt:video:")
    return f"https://www.youtube.com/watch?v={native}" if _is_video_id(native) else None


def _consent_wall(response: httpx.Response) -> bool:
    """Whether a page request was redirected to YouTube's cookie-consent form."""
    try:
        return response.url.host.startswith("consent.")
    except RuntimeError:  # a response made without its request (tests): not redirected
        return False

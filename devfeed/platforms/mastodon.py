"""Mastodon, on any instance, through its public REST API; the instance's RSS is the fallback.

- Hashtag: `GET /api/v1/timelines/tag/:tag?limit=40`, then `&min_id=` the newest status id
  seen, so each poll asks only for what is new (remembered in the follow's platform state).
- Profile (`user`, `@user`, `@user@host`): `GET /api/v1/accounts/lookup?acct=` once (the
  account id is remembered), then `GET /api/v1/accounts/:id/statuses` with the same cursor.
- An instance that wants a login answers 401/403 (422 from some versions), or an empty first
  page: the poll then reads `/tags/:tag.rss` or `/@user.rss` instead, says so in the result's
  warning, and keeps to the RSS for the next polls, trying the API again now and then.
- A boost is unwrapped: the entry is the original status (its `uri` is the same on every
  instance, so it dedupes) with `boosted_by` set to the booster.

Pure: builds requests and parses responses; the poller does the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from selectolax.lexbor import LexborHTMLParser

from devfeed.durations import parse_media_duration
from devfeed.errors import HTTPStatusError, ParseError
from devfeed.htmltext import html_to_text
from devfeed.models import FetchState, Follow, Kind, ParsedEntry, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow, instance_base
from devfeed.platforms.feedbased import FEED_ACCEPT
from devfeed.platforms.feeds import MAX_TAGS, MAX_TEXT, parse_feed, title_from_text
from devfeed.platforms.jsonapi import integer, load_json, obj, objects, text, timestamp
from devfeed.sanitize import clean_line, clean_text, safe_url

PAGE_SIZE = 40
"""Statuses asked for per poll (the API's maximum)."""
LOGIN_STATUSES = frozenset({401, 403, 422})
"""What an instance answers when its public API wants a signed-in user."""
API_RETRY_POLLS = 24
"""After falling back to RSS, the API is tried again every this many polls."""
JSON_ACCEPT = "application/json"

_LOCAL_STATUS_URL = re.compile(r"^(https?://[^/?#]+)/@([^/@?#]+)/(\d+)$")


def _segment(value: str) -> str:
    return quote(value.strip(), safe="")


def split_profile(profile: str) -> tuple[str, str | None]:
    """`user`, `@user`, `user@host` or `@user@host` -> (`user`, `host` or None)."""
    handle = profile.strip().lstrip("@")
    user, _, host = handle.partition("@")
    if not user or "/" in user or (host and "/" in host):
        raise UnsupportedFollow(
            f"{profile!r} is not a Mastodon account; write it as 'user' or '@user@instance'"
        )
    return user, host or None


def status_id_key(status_id: str) -> tuple[int, str]:
    """Sort key of Mastodon ids: numeric strings of growing length, so compare by length first."""
    return (len(status_id), status_id)


def _host(url: object) -> str | None:
    safe = safe_url(url)
    return httpx.URL(safe).host if safe else None


def account_handle(account: Mapping[str, Any], instance_host: str | None) -> str | None:
    """`@user@host` for an account: `acct` has no host for accounts local to the instance."""
    acct = text(account.get("acct")) or text(account.get("username"))
    if acct is None:
        return None
    if "@" not in acct:
        host = _host(account.get("url")) or instance_host
        if host:
            acct = f"{acct}@{host}"
    return clean_line(f"@{acct}", max_length=200) or None


def _outbound_link(status: Mapping[str, Any], html: str) -> str | None:
    """The link a status shares: its preview card, else the first link in its content that
    is not a mention or a hashtag."""
    card = safe_url(obj(status.get("card")).get("url"))
    if card:
        return card
    if "<a" not in html:
        return None
    skip = {text(m.get("url")) for m in objects(status.get("mentions"))}
    skip |= {text(t.get("url")) for t in objects(status.get("tags"))}
    for anchor in LexborHTMLParser(html).css("a"):
        classes = set((anchor.attributes.get("class") or "").split())
        rel = set((anchor.attributes.get("rel") or "").split())
        if classes & {"mention", "hashtag", "u-url"} or "tag" in rel:
            continue
        href = (anchor.attributes.get("href") or "").strip()
        if href in skip:
            continue
        link = safe_url(href)
        if link:
            return link
    return None


def _video(status: Mapping[str, Any]) -> tuple[int | None, str | None] | None:
    """(duration, file) of the status's first video attachment; None without a video.
    `gifv` attachments are looping clips, never videos."""
    for media in objects(status.get("media_attachments")):
        if media.get("type") != "video":
            continue
        meta = obj(media.get("meta"))
        duration = parse_media_duration(obj(meta.get("original")).get("duration"))
        if duration is None:
            duration = parse_media_duration(meta.get("duration"))
        return duration, safe_url(media.get("url")) or safe_url(media.get("remote_url"))
    return None


def status_entry(
    wrapper: Mapping[str, Any], instance_host: str | None, platform: str = "mastodon"
) -> ParsedEntry | None:
    """The entry of one status; for a boost, the original status boosted by the wrapper's
    author. None when the status has no usable id."""
    reblog = obj(wrapper.get("reblog"))
    status = reblog or wrapper
    boosted_by = account_handle(obj(wrapper.get("account")), instance_host) if reblog else None
    native_id = text(status.get("uri")) or text(status.get("url"))
    if native_id is None:
        return None
    account = obj(status.get("account"))
    html = (text(status.get("content")) or "")[: MAX_TEXT * 4]
    body, _links = html_to_text(html)
    body = clean_text(body, max_length=MAX_TEXT)
    spoiler = clean_line(status.get("spoiler_text"), max_length=200)
    title = f"CW: {spoiler}" if spoiler else title_from_text(body)
    url = safe_url(status.get("url")) or safe_url(status.get("uri"))
    link = _outbound_link(status, html)
    video = _video(status)
    kind: Kind = "post"
    duration_s = media_url = None
    if video is not None and video[0] is not None:
        kind = "video"
        duration_s, media_url = video
    tags: list[str] = []
    for tag in objects(status.get("tags")):
        name = clean_line(tag.get("name"), max_length=60)
        if name and name not in tags:
            tags.append(name)
    handle = account_handle(account, instance_host)
    author = clean_line(text(account.get("display_name")) or account.get("username"))
    return ParsedEntry(
        platform=platform,
        native_id=clean_line(native_id, max_length=1000),
        url=url,
        link=link if link != url else None,
        title=title or "(untitled)",
        author=author or handle,
        author_handle=handle,
        text=body,
        published=timestamp(status.get("created_at")),
        tags=tuple(tags[:MAX_TAGS]),
        kind=kind,
        duration_s=duration_s,
        media_url=media_url,
        comments=integer(status.get("replies_count")),
        score=integer(status.get("favourites_count")),
        boosted_by=boosted_by,
    )


def parse_statuses(
    response: httpx.Response, instance_host: str | None
) -> tuple[tuple[ParsedEntry, ...], str | None]:
    """(entries, newest id) of a list of statuses; the id is the wrapper's (a boost's own),
    which is what `min_id` pages by. Raises `ParseError`."""
    document = load_json(response)
    if not isinstance(document, list):
        raise ParseError("the Mastodon API did not answer with a list of statuses")
    entries: list[ParsedEntry] = []
    seen: set[str] = set()
    newest: str | None = None
    for wrapper in objects(document):
        wrapper_id = text(wrapper.get("id"))
        if (wrapper_id and wrapper_id.isdigit()) and (
            newest is None or status_id_key(wrapper_id) > status_id_key(newest)
        ):
            newest = wrapper_id
        entry = status_entry(wrapper, instance_host)
        if entry is not None and entry.native_id not in seen:
            seen.add(entry.native_id)
            entries.append(entry)
    return tuple(entries), newest


def _rss_refine(entry: Mapping[str, Any], kind: Kind) -> Kind:
    return "video" if kind == "video" else "post"  # an audio note is a post, as in the API


def _rss_link(raw: Mapping[str, Any], entry: ParsedEntry) -> ParsedEntry:
    """The link a status in the RSS shares (the first in its HTML that is not a mention
    or a hashtag), as the API path finds it, so the post joins the story of that link."""
    html = raw.get("summary") or raw.get("description") or ""
    link = _outbound_link({}, html) if isinstance(html, str) and not entry.link else None
    return entry.model_copy(update={"link": link}) if link and link != entry.url else entry


def rss_result(response: httpx.Response, *, hashtag: bool, warning: str | None) -> ParseResult:
    """Entries of an instance's RSS (`/tags/:tag.rss`, `/@user.rss`), with the same ids as
    the API gives (the status URI), so switching between the two never duplicates."""
    parsed = parse_feed("mastodon", response, kind=_rss_refine, refine=_rss_link)
    entries: list[ParsedEntry] = []
    for entry in parsed.entries:
        changes: dict[str, Any] = {}
        match = _LOCAL_STATUS_URL.match(entry.url or "")
        if match:
            base, user, status_id = match.groups()
            changes["native_id"] = f"{base}/users/{user}/statuses/{status_id}"
            handle = f"@{user}@{httpx.URL(base).host}"
            changes["author_handle"] = handle
            if hashtag:  # a tag feed names no authors; its title is the tag
                changes["author"] = handle
        entries.append(entry.model_copy(update=changes))
    warnings = "; ".join(w for w in (warning, parsed.warning) if w) or None
    return parsed.model_copy(update={"entries": tuple(entries), "warning": warnings})


class Mastodon:
    """Hashtags and accounts on any Mastodon instance (the follow's `instance`)."""

    name: ClassVar[str] = "mastodon"
    default_base_url: ClassVar[str] = ""
    """None: every follow names its instance."""

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        if follow.url:  # a feed URL pasted as is
            request = httpx.Request("GET", follow.url, headers={"Accept": FEED_ACCEPT})
            response = yield Fetch(request, conditional=True)
            tag_feed = httpx.URL(follow.url).path.startswith("/tags/")
            return rss_result(response, hashtag=tag_feed, warning=None)
        if not follow.instance:
            raise UnsupportedFollow(
                "a mastodon follow needs an 'instance' (a host such as 'fosstodon.org' or a "
                "base URL)"
            )
        base = instance_base(follow.instance)
        memory = dict(state.platform_state) if state else {}
        if follow.hashtag:
            return (yield from self._hashtag(follow.hashtag.lstrip("#"), base, memory))
        if follow.profile:
            return (yield from self._profile(follow.profile, base, memory))
        raise UnsupportedFollow("a mastodon follow needs a 'hashtag' or a 'profile'")

    def _hashtag(self, tag: str, base: str, memory: dict[str, Any]) -> Exchange:
        rss = httpx.Request(
            "GET", f"{base}/tags/{_segment(tag)}.rss", headers={"Accept": FEED_ACCEPT}
        )
        title = f"#{tag}"
        if memory.get("mode") == "rss" and int(memory.get("rss_polls", 0)) % API_RETRY_POLLS:
            return (yield from self._rss(rss, memory, hashtag=True, warning=None))
        params: dict[str, str | int] = {"limit": PAGE_SIZE}
        if memory.get("min_id"):
            params["min_id"] = str(memory["min_id"])
        api = httpx.Request(
            "GET",
            f"{base}/api/v1/timelines/tag/{_segment(tag)}",
            params=params,
            headers={"Accept": JSON_ACCEPT},
        )
        return (yield from self._timeline(api, rss, base, memory, title, hashtag=True))

    def _profile(self, profile: str, base: str, memory: dict[str, Any]) -> Exchange:
        user, host = split_profile(profile)
        instance_host = httpx.URL(base).host
        local = host is None or host == instance_host
        acct = user if local else f"{user}@{host}"
        # /@user.rss exists only on the account's own server
        rss_base = base if local else instance_base(host or "")
        rss = httpx.Request(
            "GET", f"{rss_base}/@{_segment(user)}.rss", headers={"Accept": FEED_ACCEPT}
        )
        if memory.get("mode") == "rss" and int(memory.get("rss_polls", 0)) % API_RETRY_POLLS:
            return (yield from self._rss(rss, memory, hashtag=False, warning=None))
        account_id = memory.get("account_id") if memory.get("acct") == acct else None
        title: str | None = None
        if not account_id:
            lookup = httpx.Request(
                "GET",
                f"{base}/api/v1/accounts/lookup",
                params={"acct": acct},
                headers={"Accept": JSON_ACCEPT},
            )
            try:
                response = yield Fetch(lookup)
            except HTTPStatusError as error:
                if error.status == 404:
                    raise UnsupportedFollow(
                        f"{instance_host} knows no account @{acct} (HTTP 404)"
                    ) from None
                if error.status in LOGIN_STATUSES:
                    return (yield from self._fall_back(rss, memory, False, error.status))
                raise
            account = obj(load_json(response))
            account_id = text(account.get("id"))
            if account_id is None:
                raise ParseError("the Mastodon API did not answer with an account")
            memory = {**memory, "account_id": account_id, "acct": acct}
            title = clean_line(text(account.get("display_name")) or account.get("username"))
        params: dict[str, str | int] = {"limit": PAGE_SIZE, "exclude_replies": "true"}
        if memory.get("min_id"):
            params["min_id"] = str(memory["min_id"])
        api = httpx.Request(
            "GET",
            f"{base}/api/v1/accounts/{_segment(str(account_id))}/statuses",
            params=params,
            headers={"Accept": JSON_ACCEPT},
        )
        return (yield from self._timeline(api, rss, base, memory, title, hashtag=False))

    def _timeline(
        self,
        api: httpx.Request,
        rss: httpx.Request,
        base: str,
        memory: dict[str, Any],
        title: str | None,
        *,
        hashtag: bool,
    ) -> Exchange:
        try:
            response = yield Fetch(api, conditional=True)
        except HTTPStatusError as error:
            if error.status in LOGIN_STATUSES:
                return (yield from self._fall_back(rss, memory, hashtag, error.status))
            raise
        entries, newest = parse_statuses(response, httpx.URL(base).host)
        if not entries and not memory.get("min_id"):
            # nothing at all on a first poll: the instance may hide its timelines from
            # visitors without saying so; its RSS tells
            return (yield from self._fall_back(rss, memory, hashtag, None))
        if not hashtag and title is None and entries:
            first = next((e for e in entries if e.boosted_by is None), None)
            title = first.author if first else None
        state = {k: v for k, v in memory.items() if k not in ("mode", "rss_polls")}
        if newest:
            state["min_id"] = newest
        return ParseResult(
            entries=entries,
            feed_title=title or None,
            platform_state=state,
        )

    def _fall_back(
        self, rss: httpx.Request, memory: dict[str, Any], hashtag: bool, status: int | None
    ) -> Exchange:
        why = f"answered HTTP {status}" if status else "returned nothing"
        warning = f"the instance's API {why} (it may require a login): read its public RSS instead"
        memory = {**memory, "mode": "rss", "rss_polls": 0}
        return (yield from self._rss(rss, memory, hashtag=hashtag, warning=warning))

    def _rss(
        self,
        rss: httpx.Request,
        memory: dict[str, Any],
        *,
        hashtag: bool,
        warning: str | None,
    ) -> Exchange:
        # conditional even right after a failed or empty API answer: the RSS is what the
        # next polls read, so its validators are the ones worth keeping
        response = yield Fetch(rss, conditional=True)
        result = rss_result(
            response,
            hashtag=hashtag,
            warning=warning or "reading the instance's RSS (its API wanted a login)",
        )
        state = {**memory, "mode": "rss", "rss_polls": int(memory.get("rss_polls", 0)) + 1}
        return result.model_copy(update={"platform_state": state})

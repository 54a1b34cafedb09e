"""Instagram through a feed bridge the user runs (`[platforms.instagram] bridge_url`).

Instagram has no public feed or API for people without a business account, so devfeed reads
what a bridge makes of it:

- RSS-Bridge (the documented default): `bridge_url` is the bridge's address, and devfeed
  asks `?action=display&bridge=InstagramBridge&context=Username&u=NAME&format=Atom`
  (`context=Hashtag&h=TAG` for a hashtag).
- Any other bridge (RSSHub ...): `bridge_url` is a template with `{name}` and, to serve
  profiles and hashtags alike, `{kind}` (`user` or `tags`), e.g.
  `https://rsshub.example.org/instagram/2/{kind}/{name}`.

The feed is parsed like any other. Without a `bridge_url` the source fails with a hint.
The Graph API (`ig_hashtag_search`, a business account and a token) is left out: it needs
an app review and allows 30 hashtags a week.

Pure: builds requests and parses responses; the poller does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from devfeed.models import FetchState, Follow, Kind, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch, UnsupportedFollow
from devfeed.platforms.feedbased import FEED_ACCEPT
from devfeed.platforms.feeds import parse_feed

BRIDGE_HINT = (
    "Instagram has no public feed: run an RSS-Bridge (or RSSHub) and set its address as "
    "[platforms.instagram] bridge_url"
)


def bridge_feed_url(bridge_url: str, *, profile: str | None, hashtag: str | None) -> str:
    """The bridge URL of a profile or hashtag feed (see the module docstring)."""
    if hashtag is not None:
        name, kind = hashtag.strip().lstrip("#"), "tags"
    else:
        name, kind = (profile or "").strip().lstrip("@").strip("/"), "user"
    if not name or "/" in name or " " in name:
        raise UnsupportedFollow(f"{name!r} is not an Instagram user name or hashtag")
    if "{name}" in bridge_url:
        return bridge_url.replace("{kind}", kind).replace("{name}", quote(name, safe=""))
    params = {"action": "display", "bridge": "InstagramBridge", "format": "Atom"}
    if kind == "tags":
        params |= {"context": "Hashtag", "h": name}
    else:
        params |= {"context": "Username", "u": name}
    return str(httpx.URL(bridge_url).copy_merge_params(params))


def _refine(entry: Mapping[str, Any], kind: Kind) -> Kind:
    return "video" if kind == "video" else "post"


class Instagram:
    """Instagram profiles and hashtags, read through a feed bridge."""

    name: ClassVar[str] = "instagram"
    default_base_url: ClassVar[str] = "https://www.instagram.com"
    """Where posts live; requests go to the bridge, never here."""

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        if follow.url:
            url = follow.url
        else:
            bridge = (context.settings.bridge_url or "").strip()
            if not bridge:
                raise UnsupportedFollow(BRIDGE_HINT)
            url = bridge_feed_url(bridge, profile=follow.profile, hashtag=follow.hashtag)
        request = httpx.Request("GET", url, headers={"Accept": FEED_ACCEPT})
        response = yield Fetch(request, conditional=True)
        result: ParseResult = parse_feed(self.name, response, kind=_refine)
        return result

"""One module per platform; each turns a Follow into requests and responses into entries.

`platform_for(name)` is the registry the poller uses. Platforms are pure: they never
own an HTTP client. Names listed in `models.PLATFORM_NAMES` but not registered here are
valid in feeds.toml and reported per source as not supported yet.
"""

from __future__ import annotations

from devfeed.platforms.base import Platform, UnsupportedFollow
from devfeed.platforms.bluesky import Bluesky
from devfeed.platforms.devto import DevTo
from devfeed.platforms.feedbased import (
    RSS,
    GitHub,
    Reddit,
    StackOverflow,
)
from devfeed.platforms.hackernews import HackerNews
from devfeed.platforms.instagram import Instagram
from devfeed.platforms.lobsters import Lobsters
from devfeed.platforms.mastodon import Mastodon
from devfeed.platforms.peertube import PeerTube
from devfeed.platforms.youtube import YouTube

_REGISTRY: dict[str, Platform] = {
    platform.name: platform
    for platform in (
        RSS(),
        YouTube(),
        GitHub(),
        Mastodon(),
        Reddit(),
        Lobsters(),
        StackOverflow(),
        DevTo(),
        Bluesky(),
        PeerTube(),
        Instagram(),
        HackerNews(),
    )
}


def platform_for(name: str) -> Platform:
    """The platform registered under `name`. Raises `UnsupportedFollow`."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnsupportedFollow(f"devfeed cannot poll {name!r} follows yet") from None


def supported_platforms() -> tuple[str, ...]:
    """Names of the platforms that can be polled now."""
    return tuple(_REGISTRY)


__all__ = ["Platform", "UnsupportedFollow", "platform_for", "supported_platforms"]

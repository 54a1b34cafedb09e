"""What a platform is: a pure translator between a `Follow` and HTTP.

A platform builds the requests for a follow and parses responses into `ParsedEntry`s.
It never owns a client and never does I/O: the poller sends what it builds.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import httpx

from devfeed.models import FetchState, Follow, ParseResult


class Platform(Protocol):
    """One platform devfeed can poll."""

    name: ClassVar[str]
    """Name used in feeds.toml (`platform = "..."`)."""
    default_base_url: ClassVar[str]
    """Public address; `[platforms.NAME] base_url` replaces it."""

    def requests(
        self, follow: Follow, state: FetchState | None, base_url: str
    ) -> list[httpx.Request]:
        """The requests that poll `follow`. Validators are added by the poller."""
        ...

    def parse(self, follow: Follow, response: httpx.Response) -> ParseResult:
        """Entries from a response whose body has been read. Raises `ParseError`."""
        ...


class UnsupportedFollow(ValueError):
    """The follow names something this platform cannot poll (yet); the message says why."""


def instance_base(instance: str) -> str:
    """A federated instance as a base URL: `fosstodon.org` -> `https://fosstodon.org`."""
    instance = instance.strip().rstrip("/")
    if instance.startswith(("http://", "https://")):
        return instance
    return f"https://{instance}"

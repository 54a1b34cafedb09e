"""What a platform is: a pure translator between a `Follow` and HTTP.

A platform never owns a client and never does I/O. Its `exchange` is a sans-I/O
generator: it yields `Fetch`es, the poller sends each one and resumes the generator with
the `httpx.Response` (body already read, size- and time-bounded), and the generator
finally returns a `ParseResult`. A platform that needs several requests (look an account
up, then read its posts; fetch the length of new videos) yields several; it is tested by
driving the generator with canned responses.

Errors: when a fetch fails or answers 4xx/5xx, the poller throws the `FetchError`
(`HTTPStatusError` for a status) into the generator at the `yield`; a platform may catch
it to fall back (an RSS feed when the API wants a login) or let it end the poll.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import httpx

from devfeed.config import PlatformSettings
from devfeed.models import FetchState, Follow, ParseResult


@dataclass(frozen=True)
class Fetch:
    """One request a platform wants sent."""

    request: httpx.Request
    """Method, URL and the platform's own headers (the poller adds the User-Agent)."""
    conditional: bool = False
    """The request that decides whether anything changed: the poller sends the stored
    ETag/Last-Modified with it, and ends the poll as unchanged on 304 or on the same body
    as last time (the generator is closed, nothing is parsed). Usually one per poll; a
    fallback (an RSS read after the API refused) may be conditional too, and the last one
    answered keeps its validators."""


Exchange = Generator[Fetch, httpx.Response, ParseResult]
"""Yields fetches, receives responses, returns what was parsed."""


@dataclass(frozen=True)
class Context:
    """What a platform knows about where it runs."""

    base_url: str
    """The platform's address: `[platforms.NAME] base_url`, or its public default."""
    settings: PlatformSettings = field(default_factory=PlatformSettings)
    """`[platforms.NAME]` (api keys, bridge URL ...)."""


class Platform(Protocol):
    """One platform devfeed can poll."""

    name: ClassVar[str]
    """Name used in feeds.toml (`platform = "..."`)."""
    default_base_url: ClassVar[str]
    """Public address; `[platforms.NAME] base_url` replaces it."""

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        """The conversation that polls `follow` (see the module docstring)."""
        ...


class UnsupportedFollow(ValueError):
    """The follow names something this platform cannot poll (yet); the message says why."""


def instance_base(instance: str) -> str:
    """A federated instance as a base URL: `fosstodon.org` -> `https://fosstodon.org`."""
    instance = instance.strip().rstrip("/")
    if instance.startswith(("http://", "https://")):
        return instance
    return f"https://{instance}"

"""`devfeed demo`: the whole app on bundled sample data, offline.

The sample responses under `data/` are served by an `httpx.MockTransport` to the real
poller, which writes them into a real store; the demo then opens the real reader on it.
The demo's clock is fixed just after the newest sample, so ages read naturally.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx

from devfeed.config import Config, parse_config

DEMO_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

# request URL (without query) -> (file under data/, content type)
_ROUTES: dict[str, tuple[str, str]] = {
    "https://mayachen.example.org/feed.xml": ("blog.rss", "application/rss+xml; charset=utf-8"),
    "https://stackframes.example.fm/feed.rss": ("podcast.rss", "application/rss+xml"),
    "https://www.youtube.com/feeds/videos.xml": ("youtube.atom", "application/atom+xml"),
    "https://videos.example.net/feeds/videos.xml": ("peertube.rss", "application/rss+xml"),
    "https://fosstodon.example.social/tags/python.rss": (
        "mastodon-python.rss",
        "application/rss+xml",
    ),
    "https://lobsters.example.dev/t/databases.rss": (
        "lobsters-databases.rss",
        "application/rss+xml",
    ),
    "https://github.com/example-org/quickparse/releases.atom": (
        "github-releases.atom",
        "application/atom+xml",
    ),
}


_WATCH_PAGE = "https://www.youtube.com/watch"
_VIDEO_LENGTHS = {"Cc0mpiler01": "PT31M20S", "Cc0mpiler02": "PT58S", "Cc0mpiler03": "PT47M5S"}
"""What the demo's YouTube watch pages say (the poller reads a new video's length there)."""


def _watch_page(request: httpx.Request) -> httpx.Response:
    length = _VIDEO_LENGTHS.get(request.url.params.get("v", ""))
    if length is None:
        return httpx.Response(404, text="not in the demo data")
    html = f'<html><head><meta itemprop="duration" content="{length}"></head></html>'
    return httpx.Response(200, text=html, headers={"Content-Type": "text/html; charset=utf-8"})


def demo_now() -> datetime:
    """The demo's fixed clock."""
    return DEMO_NOW


def demo_config() -> Config:
    """The demo's follows."""
    text = resources.files(__package__).joinpath("demo.toml").read_text(encoding="utf-8")
    return parse_config(text, Path("<demo>"))


def sample(name: str) -> bytes:
    """The bytes of one bundled sample response."""
    return resources.files(__package__).joinpath("data", name).read_bytes()


def _respond(request: httpx.Request) -> httpx.Response:
    key = str(request.url.copy_with(query=None))
    if key == _WATCH_PAGE:
        return _watch_page(request)
    if key not in _ROUTES:
        return httpx.Response(404, text="not in the demo data")
    name, content_type = _ROUTES[key]
    body = sample(name)
    etag = f'"demo-{name}"'
    if request.headers.get("if-none-match") == etag:
        return httpx.Response(304, headers={"ETag": etag})
    return httpx.Response(200, content=body, headers={"Content-Type": content_type, "ETag": etag})


def demo_transport() -> httpx.MockTransport:
    """A transport that answers the demo's follows from the bundled files, offline."""
    return httpx.MockTransport(_respond)

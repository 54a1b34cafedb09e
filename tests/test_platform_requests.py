"""The first request each platform sends for a follow: its base_url, its path and query,
the remembered state it uses, and a clear error for a follow it cannot place."""

from __future__ import annotations

from typing import Any

import pytest

from devfeed.config import default_config_text, parse_config
from devfeed.models import FetchState, Follow
from devfeed.platforms import platform_for, supported_platforms
from devfeed.platforms.base import Context, UnsupportedFollow

MIRROR = "http://127.0.0.1:8080/mirror"


def first_request(
    platform: str, base_url: str | None = None, state: dict[str, Any] | None = None, **target: str
) -> tuple[str, bool]:
    follow = Follow(platform=platform, **target)
    module = platform_for(platform)
    context = Context(base_url=base_url or module.default_base_url)
    fetch_state = FetchState(follow_key=follow.key, platform_state=state or {})
    fetch = next(module.exchange(follow, fetch_state, context))
    return str(fetch.request.url), fetch.conditional


@pytest.mark.parametrize(
    ("platform", "target", "url"),
    [
        ("hackernews", {"hashtag": "python"}, "https://hn.algolia.com/api/v1/search_by_date?hitsPerPage=50&query=python&tags=story"),
        ("hackernews", {"profile": "@dang"}, "https://hn.algolia.com/api/v1/search_by_date?hitsPerPage=50&tags=story%2Cauthor_dang"),
        ("devto", {"hashtag": "Python"}, "https://dev.to/api/articles?per_page=30&tag=python"),
        ("devto", {"profile": "@ben"}, "https://dev.to/api/articles?per_page=30&username=ben"),
        ("lobsters", {"hashtag": "rust"}, "https://lobste.rs/t/rust.json"),
        ("lobsters", {"hashtag": "programming,rust"}, "https://lobste.rs/t/programming,rust.json"),
        ("lobsters", {"profile": "~alice"}, "https://lobste.rs/~alice/stories.json"),
        ("reddit", {"hashtag": "r/Python"}, "https://www.reddit.com/r/Python/new/.rss"),
        ("reddit", {"profile": "u/spez"}, "https://www.reddit.com/user/spez/submitted/.rss"),
        ("reddit", {"profile": "/user/spez"}, "https://www.reddit.com/user/spez/submitted/.rss"),
        ("stackoverflow", {"hashtag": "python-asyncio"}, "https://stackoverflow.com/feeds/tag/python-asyncio"),
        ("stackoverflow", {"profile": "22656"}, "https://stackoverflow.com/feeds/user/22656"),
        ("github", {"profile": "astral-sh/uv"}, "https://github.com/astral-sh/uv/releases.atom"),
        ("github", {"profile": "https://github.com/astral-sh/uv"}, "https://github.com/astral-sh/uv/releases.atom"),
        ("github", {"profile": "torvalds"}, "https://github.com/torvalds.atom"),
        ("youtube", {"profile": "UCVhQ2NnY5Rskt6UjCUkJ_DA"}, "https://www.youtube.com/feeds/videos.xml?playlist_id=UULFVhQ2NnY5Rskt6UjCUkJ_DA"),
        ("youtube", {"profile": "@ArjanCodes"}, "https://www.youtube.com/@ArjanCodes"),
    ],
)  # fmt: skip
def test_the_default_address_of_each_platform(
    platform: str, target: dict[str, str], url: str
) -> None:
    assert first_request(platform, **target)[0] == url


@pytest.mark.parametrize(
    ("platform", "target", "path"),
    [
        ("hackernews", {"hashtag": "python"}, "/api/v1/search_by_date"),
        ("devto", {"hashtag": "python"}, "/api/articles"),
        ("lobsters", {"hashtag": "rust"}, "/t/rust.json"),
        ("reddit", {"hashtag": "python"}, "/r/python/new/.rss"),
        ("stackoverflow", {"hashtag": "python"}, "/feeds/tag/python"),
        ("github", {"profile": "astral-sh/uv"}, "/astral-sh/uv/releases.atom"),
        ("youtube", {"profile": "@ArjanCodes"}, "/@ArjanCodes"),
    ],
)
def test_base_url_replaces_the_public_address(
    platform: str, target: dict[str, str], path: str
) -> None:
    url = first_request(platform, MIRROR, **target)[0]
    assert url.split("?")[0] == MIRROR + path


def test_hacker_news_asks_only_for_what_is_newer_than_it_has_seen() -> None:
    url, conditional = first_request("hackernews", state={"newest": 1795791845}, hashtag="py")
    assert url.endswith("&numericFilters=created_at_i%3E1795791245")
    assert conditional
    url, _ = first_request("hackernews", state={"newest": "junk"}, hashtag="py")
    assert "numericFilters" not in url


@pytest.mark.parametrize(
    ("platform", "target", "message"),
    [
        ("hackernews", {"profile": "not a user"}, "not a Hacker News user name"),
        ("stackoverflow", {"profile": "jon-skeet"}, "user's number"),
        ("youtube", {"profile": "two words"}, "@handle"),
        ("github", {"profile": "/"}, "owner/repo"),
    ],
)
def test_a_follow_that_cannot_be_placed_says_what_would_work(
    platform: str, target: dict[str, str], message: str
) -> None:
    with pytest.raises(UnsupportedFollow, match=message):
        first_request(platform, **target)


def test_every_starter_follow_of_a_registered_platform_can_be_placed() -> None:
    config = parse_config(default_config_text())
    placed = 0
    for follow in config.follows:
        if follow.platform not in supported_platforms():
            continue
        module = platform_for(follow.platform)
        fetch = next(module.exchange(follow, None, Context(base_url=module.default_base_url)))
        assert fetch.request.url.scheme == "https", follow.label
        placed += 1
    assert placed >= 10

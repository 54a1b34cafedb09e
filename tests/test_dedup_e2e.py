"""End to end: one link arrives from RSS, Hacker News (Algolia JSON), Lobsters (JSON),
Mastodon (as a boost, in the booster's statuses) and Bluesky (getAuthorFeed), over real
HTTP on 127.0.0.1, through the real platforms, poller, store and CLI; it must be ONE story
with five sightings, and reading it once reads it everywhere, also after a later entry
joins it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from devfeed.cli import main as cli
from devfeed.config import load_config
from devfeed.models import Follow
from devfeed.platforms import platform_for
from devfeed.platforms.base import Context
from devfeed.store import Store
from tests.conftest import DATA
from tests.loopback import Route, Server, serve

E2E = DATA / "dedup" / "e2e"
JSON = "application/json; charset=utf-8"
FOLLOWS = {
    "hackernews": Follow(platform="hackernews", hashtag="sqlite"),
    "lobsters": Follow(platform="lobsters", hashtag="databases"),
    "bluesky": Follow(platform="bluesky", profile="ada.bsky.example"),
}


def _path(request: httpx.Request) -> str:
    return request.url.raw_path.decode()


def request_paths(base_url: str) -> dict[str, str]:
    """The path and query each real platform asks for (driving its sans-I/O exchange), so
    the loopback routes follow the platforms instead of copying their URLs."""
    paths: dict[str, str] = {}
    for name, follow in FOLLOWS.items():
        fetch = next(platform_for(name).exchange(follow, None, Context(base_url=base_url)))
        paths[name] = _path(fetch.request)
    grace = Follow(platform="mastodon", instance=base_url, profile="grace")
    exchange = platform_for("mastodon").exchange(grace, None, Context(base_url=""))
    lookup = next(exchange).request
    paths["mastodon-lookup"] = _path(lookup)
    account = (E2E / "mastodon-account.json").read_bytes()
    statuses = exchange.send(httpx.Response(200, content=account, request=lookup))
    paths["mastodon"] = _path(statuses.request)
    exchange.close()
    return paths


@pytest.fixture
def server() -> Iterator[Server]:
    with serve({}) as running:
        paths = request_paths(running.base_url)
        running.routes.update(
            {
                "/blog.rss": Route((E2E / "blog.rss").read_bytes(), etag='"b1"'),
                paths["hackernews"]: Route((E2E / "hn.json").read_bytes(), content_type=JSON),
                paths["lobsters"]: Route((E2E / "lobsters.json").read_bytes(), content_type=JSON),
                paths["mastodon-lookup"]: Route(
                    (E2E / "mastodon-account.json").read_bytes(), content_type=JSON
                ),
                paths["mastodon"]: Route((E2E / "mastodon.json").read_bytes(), content_type=JSON),
                paths["bluesky"]: Route((E2E / "bluesky.json").read_bytes(), content_type=JSON),
            }
        )
        yield running


async def next_paths(db: Path, config_path: Path) -> dict[str, str]:
    """What HN and Mastodon ask for on the next poll, given what they remembered (a
    timestamp, a status id) in the store."""
    config = load_config(config_path, explicit=True)
    async with await Store.open(db) as store:
        states = await store.fetch_states()
    paths: dict[str, str] = {}
    for follow in config.follows:
        if follow.platform not in ("hackernews", "mastodon"):
            continue
        base = config.platform(follow.platform).base_url or ""
        exchange = platform_for(follow.platform).exchange(
            follow, states[follow.key], Context(base_url=base)
        )
        paths[follow.platform] = _path(next(exchange).request)
        exchange.close()
    return paths


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_one_link_from_five_platforms_is_one_story_read_once(
    tmp_path: Path, server: Server
) -> None:
    config = tmp_path / "feeds.toml"
    base = server.base_url
    config.write_text(
        "".join(f'[platforms.{name}]\nbase_url = "{base}"\n\n' for name in FOLLOWS)
        + f"""
[[follow]]
platform = "rss"
url = "{base}/blog.rss"
name = "Ada's notes"

[[follow]]
platform = "hackernews"
hashtag = "sqlite"

[[follow]]
platform = "lobsters"
hashtag = "databases"

[[follow]]
platform = "mastodon"
instance = "{base}"
profile = "grace"

[[follow]]
platform = "bluesky"
profile = "ada.bsky.example"
"""
    )
    cli_base = ["--config", str(config), "--db", str(tmp_path / "x.db")]
    polled = run(*cli_base, "poll", "--once")
    assert polled.exit_code == 0, polled.output
    assert "polled 5 sources: 2 new stories, 0 failed" in polled.output

    stories = json.loads(run(*cli_base, "list", "--json").output)["stories"]
    assert len(stories) == 2
    (story,) = [s for s in stories if len(s["seen_on"]) > 1]
    assert (story["title"], story["url"], story["kind"], story["author"]) == (
        "What WAL mode buys a feed reader",
        "https://blog.example.org/posts/wal-mode/",
        "article",
        "Ada Lovelace",
    )
    seen = {s["platform"]: s for s in story["seen_on"]}
    assert len(story["seen_on"]) == 5
    assert set(seen) == {"rss", "hackernews", "lobsters", "mastodon", "bluesky"}
    assert seen["mastodon"]["boosted_by"].startswith("@grace@")
    assert seen["mastodon"]["author"] == "Ada Lovelace"
    assert (seen["hackernews"]["comments"], seen["hackernews"]["comments_url"]) == (
        120,
        "https://news.ycombinator.com/item?id=41000001",
    )
    assert seen["lobsters"]["comments"] == 14

    read = run(*cli_base, "read", str(story["id"]))
    assert read.exit_code == 0, read.output
    unread = json.loads(run(*cli_base, "list", "--unread", "--json").output)["stories"]
    assert [s["id"] for s in unread] == [s["id"] for s in stories if s["id"] != story["id"]]

    # later, a second HN submission of the same link (another id, another tracking
    # variant): a new entry joins the story, and the story stays read
    hn = json.loads((E2E / "hn.json").read_text())
    resubmitted = {
        **hn["hits"][0],
        "objectID": "41000777",
        "url": "https://blog.example.org/posts/wal-mode/#comments",
        "num_comments": 3,
    }
    since = asyncio.run(next_paths(tmp_path / "x.db", config))
    server.routes[since["hackernews"]] = Route(
        json.dumps({**hn, "hits": [resubmitted]}).encode(), content_type=JSON
    )
    server.routes[since["mastodon"]] = Route(b"[]", content_type=JSON)
    again = run(*cli_base, "poll", "--once")
    assert again.exit_code == 0, again.output
    assert "polled 5 sources: 0 new stories, 0 failed" in again.output
    after = json.loads(run(*cli_base, "list", "--json").output)["stories"]
    assert len(after) == 2
    same = next(s for s in after if s["id"] == story["id"])
    assert same["read"] and len(same["seen_on"]) == 6

    why = run(*cli_base, "why", str(story["id"]))
    assert why.output.count("why: same canonical URL https://blog.example.org/posts/wal-mode") == 5

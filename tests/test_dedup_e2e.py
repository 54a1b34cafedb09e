"""End to end: one link arrives from RSS, Hacker News (Algolia JSON), Lobsters (JSON),
Mastodon (as a boost) and Bluesky, over real HTTP on 127.0.0.1, through the real poller,
store and CLI; it must be ONE story with five sightings, and reading it once reads it
everywhere.

The JSON platforms are being written on other branches; until they land, this test
registers minimal stand-ins below that read the same documented response shapes (only
the fields dedup needs). When the real modules are in main, drop `STAND_INS` and the
monkeypatch: the data files and the assertions stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from click.testing import CliRunner

import devfeed.platforms
from devfeed.cli import main as cli
from devfeed.htmltext import html_to_text
from devfeed.models import FetchState, Follow, ParsedEntry, ParseResult
from devfeed.platforms.base import Context, Exchange, Fetch
from tests.conftest import DATA
from tests.loopback import Route, Server, serve

E2E = DATA / "dedup" / "e2e"


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class _JSONStandIn:
    name: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    path: ClassVar[str] = ""

    def exchange(self, follow: Follow, state: FetchState | None, context: Context) -> Exchange:
        request = httpx.Request("GET", f"{context.base_url}{self.path}")
        response = yield Fetch(request, conditional=True)
        return ParseResult(entries=tuple(self.entries(response.json())))

    def entries(self, data: Any) -> Iterator[ParsedEntry]:
        raise NotImplementedError


class HackerNews(_JSONStandIn):
    name = "hackernews"
    path = "/api/v1/search_by_date?tags=story&query=sqlite"

    def entries(self, data: Any) -> Iterator[ParsedEntry]:
        for hit in data["hits"]:
            item = f"https://news.ycombinator.com/item?id={hit['objectID']}"
            yield ParsedEntry(
                platform=self.name, native_id=hit["objectID"], url=item, link=hit.get("url"),
                title=hit["title"], author=hit["author"], kind="discussion",
                published=datetime.fromtimestamp(hit["created_at_i"], UTC),
                comments_url=item, comments=hit["num_comments"], score=hit["points"],
            )  # fmt: skip


class Lobsters(_JSONStandIn):
    name = "lobsters"
    path = "/t/databases.json"

    def entries(self, data: Any) -> Iterator[ParsedEntry]:
        for story in data:
            yield ParsedEntry(
                platform=self.name, native_id=story["short_id"], url=story["short_id_url"],
                link=story["url"] or None, title=story["title"], author=story["submitter_user"],
                kind="discussion", published=_at(story["created_at"]), tags=tuple(story["tags"]),
                comments_url=story["comments_url"], comments=story["comment_count"],
                score=story["score"],
            )  # fmt: skip


class Mastodon(_JSONStandIn):
    name = "mastodon"
    path = "/api/v1/accounts/2/statuses"

    def entries(self, data: Any) -> Iterator[ParsedEntry]:
        for status in data:
            booster = status["account"]["display_name"] if status["reblog"] else None
            post = status["reblog"] or status
            text, links = html_to_text(post["content"])
            card = (post.get("card") or {}).get("url")
            yield ParsedEntry(
                platform=self.name, native_id=post["uri"], url=post["url"],
                link=card or next(iter(links), None), title=text.split(":")[0], text=text,
                author=post["account"]["display_name"], kind="post",
                author_handle=f"@{post['account']['acct']}@hachyderm.example",
                published=_at(post["created_at"]), comments=post["replies_count"],
                score=post["favourites_count"], boosted_by=booster,
            )  # fmt: skip


class Bluesky(_JSONStandIn):
    name = "bluesky"
    path = "/xrpc/app.bsky.feed.getAuthorFeed?actor=ada.bsky.example"

    def entries(self, data: Any) -> Iterator[ParsedEntry]:
        for item in data["feed"]:
            post = item["post"]
            handle = post["author"]["handle"]
            external = (post.get("embed") or {}).get("external") or {}
            yield ParsedEntry(
                platform=self.name, native_id=post["uri"],
                url=f"https://bsky.app/profile/{handle}/post/{post['uri'].rsplit('/', 1)[1]}",
                link=external.get("uri"), title=post["record"]["text"][:80],
                text=post["record"]["text"], author=post["author"]["displayName"],
                author_handle=handle, kind="post", published=_at(post["record"]["createdAt"]),
                comments=post["replyCount"], score=post["likeCount"],
            )  # fmt: skip


STAND_INS = (HackerNews(), Lobsters(), Mastodon(), Bluesky())


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for platform in STAND_INS:
        monkeypatch.setitem(devfeed.platforms._REGISTRY, platform.name, platform)
    routes = {
        "/blog.rss": Route((E2E / "blog.rss").read_bytes(), etag='"b1"'),
        **{
            platform.path: Route(
                (E2E / f"{platform.name.replace('hackernews', 'hn')}.json").read_bytes(),
                content_type="application/json",
                etag=f'"{platform.name}-1"',
            )
            for platform in STAND_INS
        },
    }
    with serve(routes) as running:
        yield running


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_one_link_from_five_platforms_is_one_story_read_once(
    tmp_path: Path, server: Server
) -> None:
    config = tmp_path / "feeds.toml"
    base = server.base_url
    config.write_text(
        "".join(f'[platforms.{p.name}]\nbase_url = "{base}"\n\n' for p in STAND_INS)
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
    assert seen["mastodon"]["boosted_by"] == "Grace Hopper"
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
    server.routes[HackerNews.path] = Route(
        json.dumps({**hn, "hits": [resubmitted, *hn["hits"]]}).encode(),
        content_type="application/json",
        etag='"hackernews-2"',
    )
    again = run(*cli_base, "poll", "--once")
    assert again.exit_code == 0, again.output
    assert "polled 5 sources: 0 new stories, 0 failed" in again.output
    after = json.loads(run(*cli_base, "list", "--json").output)["stories"]
    assert len(after) == 2
    same = next(s for s in after if s["id"] == story["id"])
    assert same["read"] and len(same["seen_on"]) == 6

    why = run(*cli_base, "why", str(story["id"]))
    assert why.output.count("why: same canonical URL https://blog.example.org/posts/wal-mode") == 5

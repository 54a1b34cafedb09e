"""Pages added by hand: golden pairs (a captured answer and the entry made of it), driven
through the poller's client, and the fallbacks when a page cannot be fetched."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devfeed.config import parse_config
from devfeed.models import ParseResult
from devfeed.pages import api_url, page_exchange, parse_page
from devfeed.poller import Poller
from devfeed.store import Store
from tests.conftest import DATA

PAGES = DATA / "pages"
UPDATE = os.environ.get("DEVFEED_UPDATE_GOLDEN") == "1"

# file -> (the URL the user gives, the URL devfeed must ask, content type)
CASES: dict[str, tuple[str, str, str]] = {
    "youtube-watch.html": (
        "https://youtu.be/Cc0mpiler01?si=tracking",
        "https://www.youtube.com/watch?v=Cc0mpiler01",
        "text/html; charset=utf-8",
    ),
    "youtube-watch-no-meta.html": (
        "https://m.youtube.com/watch?v=Pr4ttParse1&feature=share",
        "https://www.youtube.com/watch?v=Pr4ttParse1",
        "text/html",
    ),
    "article.html": (
        "https://engineering.example.com/blog/sqlite-reads?utm_source=feed",
        "https://engineering.example.com/blog/sqlite-reads?utm_source=feed",
        "text/html; charset=utf-8",
    ),
    "hostile.html": ("https://evil.example/page", "https://evil.example/page", "text/html"),
    "mastodon-status.json": (
        "https://fosstodon.example/@ada/113570000000000001",
        "https://fosstodon.example/api/v1/statuses/113570000000000001",
        "application/json",
    ),
    "peertube-video.json": (
        "https://videos.example.org/w/kkGMgK9ZtnKfYAgnEtQxbv",
        "https://videos.example.org/api/v1/videos/kkGMgK9ZtnKfYAgnEtQxbv",
        "application/json",
    ),
}

Handler = Callable[[httpx.Request], httpx.Response]


def serving(routes: dict[str, tuple[int, bytes, str]], seen: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        status, body, content_type = routes.get(str(request.url), (404, b"not here", "text/plain"))
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    return httpx.MockTransport(handle)


async def run(
    tmp_path: Path, url: str, transport: httpx.AsyncBaseTransport, youtube: str | None = None
) -> ParseResult:
    config = parse_config("")
    async with await Store.open(tmp_path / "p.db") as store:
        poller = Poller(config, store, transport=transport)
        kwargs = {"youtube_base": youtube} if youtube else {}
        # as api.fetch_page does: the URL and the YouTube base the user named are trusted
        return await poller.run_exchange(page_exchange(url, **kwargs), configured=(url, youtube))


@pytest.mark.parametrize("name", sorted(CASES))
async def test_pages_match_their_golden_entries(tmp_path: Path, name: str) -> None:
    given, asked, content_type = CASES[name]
    seen: list[str] = []
    body = (PAGES / name).read_bytes()
    transport = serving({asked: (200, body, content_type)}, seen)
    result = await run(tmp_path, given, transport)
    assert seen == [asked], "exactly one request, to the right place"
    got = result.model_dump(mode="json")
    expected_path = PAGES / f"{name}.expected.json"
    if UPDATE:
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_path.read_text())


async def test_a_youtube_watch_page_gives_the_length_author_and_canonical_link(
    tmp_path: Path,
) -> None:
    given, _, content_type = CASES["youtube-watch.html"]
    seen: list[str] = []
    body = (PAGES / "youtube-watch.html").read_bytes()
    mirror = "http://127.0.0.1:9/yt"  # [platforms.youtube] base_url: a mirror or a test server
    transport = serving(
        {"http://127.0.0.1:9/yt/watch?v=Cc0mpiler01": (200, body, content_type)}, seen
    )
    result = await run(tmp_path, given, transport, youtube=mirror)
    (entry,) = result.entries
    assert seen == ["http://127.0.0.1:9/yt/watch?v=Cc0mpiler01"]
    assert (entry.platform, entry.kind, entry.duration_s) == ("youtube", "video", 31 * 60 + 12)
    assert entry.url == "https://www.youtube.com/watch?v=Cc0mpiler01"
    assert entry.author == "Compiler Corner"
    assert entry.title == "Writing a tiny bytecode VM in 30 minutes"
    assert result.warning is None


def test_without_the_duration_meta_the_player_response_length_is_used() -> None:
    body = (PAGES / "youtube-watch-no-meta.html").read_bytes()
    watch = parse_page("https://www.youtube.com/watch?v=Pr4ttParse1", body, "text/html")
    assert (watch.platform, watch.duration_s) == ("youtube", 905)
    elsewhere = parse_page("https://blog.example/pratt", body, "text/html")
    assert elsewhere.duration_s is None  # only a YouTube page is trusted with lengthSeconds
    assert elsewhere.kind == "video"  # og:type says so


def test_a_hostile_page_is_inert() -> None:
    entry = parse_page(
        "https://evil.example/page", (PAGES / "hostile.html").read_bytes(), "text/html"
    )
    assert entry.url == "https://evil.example/page"  # the javascript: canonical is ignored
    assert entry.duration_s is None  # absurd lengths are junk
    for text in (entry.title, entry.text, entry.author or ""):
        assert "\x1b" not in text and "\x07" not in text
    assert entry.title.startswith("Click [here](javascript:alert(1))")
    assert entry.author == "Mallory | <script>"


def test_only_post_and_video_paths_ask_an_api() -> None:
    assert api_url("https://fosstodon.example/@ada/1135") == (
        "mastodon",
        "https://fosstodon.example/api/v1/statuses/1135",
    )
    assert api_url("https://pt.example/videos/watch/9c9de5e8-0a1e-484a-b099-e80766180a6d") == (
        "peertube",
        "https://pt.example/api/v1/videos/9c9de5e8-0a1e-484a-b099-e80766180a6d",
    )
    assert api_url("https://medium.example/@ada/why-sqlite-3f2a") is None
    assert api_url("https://blog.example/posts/123") is None


async def test_a_post_like_url_whose_api_answers_404_is_read_as_a_page(tmp_path: Path) -> None:
    url = "https://blog.example/@ada/12345"
    seen: list[str] = []
    page = (PAGES / "article.html").read_bytes()
    result = await run(tmp_path, url, serving({url: (200, page, "text/html")}, seen))
    assert seen == ["https://blog.example/api/v1/statuses/12345", url]
    (entry,) = result.entries
    assert (entry.platform, entry.title) == ("web", "Why your SQLite reads are slow")
    assert entry.url == "https://blog.example/blog/sqlite-reads"  # canonical, made absolute
    assert result.warning is None


@pytest.mark.parametrize(
    "failure",
    [
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("no route", request=request)),
        lambda request: httpx.Response(503, text="down"),
    ],
    ids=["offline", "http-503"],
)
async def test_a_page_that_cannot_be_fetched_still_gives_its_url(
    tmp_path: Path, failure: Handler
) -> None:
    url = "https://offline.example/post?id=7"
    result = await run(tmp_path, url, httpx.MockTransport(failure))
    (entry,) = result.entries
    assert (entry.title, entry.url, entry.platform) == (url, url, "web")
    assert result.warning and "saved with its URL as the title" in result.warning


async def test_a_youtube_link_that_cannot_be_fetched_is_still_a_video(tmp_path: Path) -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("offline", request=request)

    result = await run(tmp_path, "https://youtu.be/Cc0mpiler01", httpx.MockTransport(offline))
    (entry,) = result.entries
    assert (entry.platform, entry.kind) == ("youtube", "video")
    assert entry.url == entry.title == "https://www.youtube.com/watch?v=Cc0mpiler01"


async def test_something_that_is_not_html_keeps_its_url_as_title(tmp_path: Path) -> None:
    url = "https://papers.example/raft.pdf"
    result = await run(tmp_path, url, serving({url: (200, b"%PDF-1.7", "application/pdf")}, []))
    assert result.entries[0].title == url and result.warning is None


async def test_a_youtube_consent_wall_is_not_taken_for_the_video(tmp_path: Path) -> None:
    def consent(request: httpx.Request) -> httpx.Response:
        if request.url.host == "www.youtube.com":
            return httpx.Response(302, headers={"Location": "https://consent.youtube.com/m?x=1"})
        page = b"<html><head><title>Before you continue to YouTube</title></head></html>"
        return httpx.Response(200, content=page, headers={"Content-Type": "text/html"})

    result = await run(tmp_path, "https://youtu.be/Cc0mpiler01", httpx.MockTransport(consent))
    (entry,) = result.entries
    assert entry.title == "https://www.youtube.com/watch?v=Cc0mpiler01"
    assert result.warning and "consent page" in result.warning

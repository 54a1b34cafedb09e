"""The poller against httpx.MockTransport: conditional GET, no parse when unchanged,
failures recorded per source, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devfeed import platforms
from devfeed import poller as poller_module
from devfeed.config import Config, parse_config
from devfeed.models import PollStatus
from devfeed.platforms import feeds
from devfeed.poller import Poller, SourceReport
from devfeed.store import FeedQuery, Store
from tests.conftest import DATA, FROZEN_NOW

PODCAST = (DATA / "rss" / "podcast.xml").read_bytes()
ATOM = (DATA / "rss" / "atom.xml").read_bytes()


class Recorder:
    """A fake server: routes by URL, records every request it was sent."""

    def __init__(self, routes: dict[str, Callable[[httpx.Request], httpx.Response]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get(str(request.url))
        if handler is None:
            return httpx.Response(404)
        return handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def conditional(body: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        headers = {"ETag": '"v1"', "Last-Modified": "Wed, 25 Nov 2026 10:00:00 GMT"}
        return httpx.Response(200, content=body, headers=headers)

    return handler


def config_for(*urls: str, extra: str = "") -> Config:
    follows = "".join(f'[[follow]]\nplatform = "rss"\nurl = "{u}"\n' for u in urls)
    return parse_config(extra + follows)


@pytest.fixture
def parse_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = feeds.feedparser.parse

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(feeds.feedparser, "parse", counting)
    return calls


async def poll(config: Config, path: Path, recorder: Recorder) -> list[SourceReport]:
    async with await Store.open(path) as store:
        return await Poller(
            config, store, transport=recorder.transport(), now=lambda: FROZEN_NOW
        ).poll()


async def test_conditional_get_and_304_means_no_parse(
    tmp_path: Path, parse_calls: list[int]
) -> None:
    url = "https://pod.example/feed"
    recorder = Recorder({url: conditional(PODCAST)})
    config = config_for(url)
    (first,) = await poll(config, tmp_path / "d.db", recorder)
    assert (first.label, first.new_entries) == ("new", 3)
    assert len(parse_calls) == 1
    (second,) = await poll(config, tmp_path / "d.db", recorder)
    assert second.status is PollStatus.UNCHANGED and second.label == "unchanged"
    assert len(parse_calls) == 1, "a 304 must not be parsed"
    sent = recorder.requests[-1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 25 Nov 2026 10:00:00 GMT"
    assert sent["user-agent"].startswith("devfeed/")


async def test_an_unchanged_body_without_validators_is_not_parsed_again(
    tmp_path: Path, parse_calls: list[int]
) -> None:
    url = "https://plain.example/feed"
    recorder = Recorder({url: lambda r: httpx.Response(200, content=ATOM)})
    config = config_for(url)
    await poll(config, tmp_path / "d.db", recorder)
    (again,) = await poll(config, tmp_path / "d.db", recorder)
    assert again.status is PollStatus.UNCHANGED
    assert len(parse_calls) == 1


async def test_one_broken_source_never_stops_the_others(tmp_path: Path) -> None:
    good, broken, html, missing = (
        f"https://{h}.example/feed" for h in ("good", "broken", "html", "gone")
    )

    def explode(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    recorder = Recorder(
        {
            good: lambda r: httpx.Response(200, content=PODCAST),
            broken: explode,
            html: lambda r: httpx.Response(200, text="<!DOCTYPE html><html><body>hi</body></html>"),
        }
    )
    reports = await poll(config_for(good, broken, html, missing), tmp_path / "d.db", recorder)
    by_url = {r.follow.url: r for r in reports}
    assert by_url[good].label == "new"
    assert "ConnectError" in (by_url[broken].error or "")
    assert by_url[html].error == "the server sent an HTML page, not a feed"
    assert by_url[missing].error == "HTTP 404 Not Found"
    async with await Store.open(tmp_path / "d.db") as store:
        states = await store.fetch_states()
        assert await store.count(FeedQuery()) == 3
    assert states[f"rss:{broken}"].failures == 1
    assert (
        states[f"rss:{broken}"].next_due_at > FROZEN_NOW + config_for(good).settings.poll_interval
    )


async def test_platform_base_url_is_used(tmp_path: Path) -> None:
    recorder = Recorder({})
    config = parse_config(
        '[platforms.youtube]\nbase_url = "http://127.0.0.1:9/yt"\n'
        '[[follow]]\nplatform = "youtube"\nprofile = "UCVhQ2NnY5Rskt6UjCUkJ_DA"\n'
    )
    await poll(config, tmp_path / "d.db", recorder)
    # the long-form playlist first; on its 404, the channel's whole feed
    assert [str(request.url) for request in recorder.requests] == [
        "http://127.0.0.1:9/yt/feeds/videos.xml?playlist_id=UULFVhQ2NnY5Rskt6UjCUkJ_DA",
        "http://127.0.0.1:9/yt/feeds/videos.xml?channel_id=UCVhQ2NnY5Rskt6UjCUkJ_DA",
    ]


async def test_a_platform_that_cannot_be_polled_yet_is_a_failed_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(platforms._REGISTRY, "hackernews")
    config = parse_config('[[follow]]\nplatform = "hackernews"\nhashtag = "python"\n')
    (report,) = await poll(config, tmp_path / "d.db", Recorder({}))
    assert report.label == "failed"
    assert "cannot poll 'hackernews'" in (report.error or "")


async def test_a_body_over_the_cap_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller_module, "MAX_BODY_BYTES", 1000)
    url = "https://big.example/feed"
    recorder = Recorder({url: lambda r: httpx.Response(200, content=PODCAST)})
    (report,) = await poll(config_for(url), tmp_path / "d.db", recorder)
    assert report.label == "failed"
    assert "larger than" in (report.error or "")


async def test_every_fetch_has_a_total_deadline(tmp_path: Path) -> None:
    url = "https://slow.example/feed"

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, content=PODCAST)

    transport = httpx.MockTransport(slow)
    config = config_for(url, extra='[settings]\ntimeout = "0.2s"\n')
    async with await Store.open(tmp_path / "d.db") as store:
        (report,) = await Poller(config, store, transport=transport).poll()
    assert report.error == "no complete answer within 0.2 s"


class LookupThenPosts:
    """A two-step platform: look an account up once (remembered), then read its posts;
    falls back to a feed when the API answers 401."""

    name = "rss"
    default_base_url = "https://api.example"

    def exchange(self, follow, state, context):  # type: ignore[no-untyped-def]
        from devfeed.errors import HTTPStatusError
        from devfeed.models import ParsedEntry, ParseResult
        from devfeed.platforms.base import Fetch

        remembered = dict(state.platform_state) if state else {}
        if "id" not in remembered:
            lookup = yield Fetch(httpx.Request("GET", f"{context.base_url}/lookup"))
            remembered["id"] = lookup.json()["id"]
        try:
            posts = yield Fetch(
                httpx.Request("GET", f"{context.base_url}/posts/{remembered['id']}"),
                conditional=True,
            )
        except HTTPStatusError as error:
            if error.status != 401:
                raise
            feed = yield Fetch(httpx.Request("GET", f"{context.base_url}/feed.xml"))
            result = feeds.parse_feed("rss", feed)
            return result.model_copy(
                update={"warning": "the API wants a login: read the feed instead"}
            )
        entries = tuple(
            ParsedEntry(platform="rss", native_id=p, title=p, url=f"https://x.example/{p}")
            for p in posts.json()
        )
        return ParseResult(entries=entries, platform_state=remembered)


async def test_a_multi_step_exchange_remembers_state_and_can_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller_module, "platform_for", lambda name: LookupThenPosts())
    api = "https://api.example"
    locked = {"on": False}

    def posts(request: httpx.Request) -> httpx.Response:
        if locked["on"]:
            return httpx.Response(401)
        return httpx.Response(200, json=["a", "b"], headers={"ETag": '"p1"'})

    recorder = Recorder(
        {
            f"{api}/lookup": lambda r: httpx.Response(200, json={"id": 7}),
            f"{api}/posts/7": posts,
            f"{api}/feed.xml": lambda r: httpx.Response(200, content=ATOM),
        }
    )
    config = config_for("https://api.example/profile")
    path = tmp_path / "d.db"
    (first,) = await poll(config, path, recorder)
    assert (first.status, first.new_entries) == (PollStatus.FETCHED, 2)
    async with await Store.open(path) as store:
        (state,) = (await store.fetch_states()).values()
    assert state.platform_state == {"id": 7} and state.etag == '"p1"'

    before = len(recorder.requests)
    (second,) = await poll(config, path, recorder)
    urls = [str(r.url) for r in recorder.requests[before:]]
    assert urls == [f"{api}/posts/7"], "the account id is remembered, not looked up again"
    assert recorder.requests[-1].headers["if-none-match"] == '"p1"'
    assert second.status is PollStatus.UNCHANGED

    locked["on"] = True
    (third,) = await poll(config, path, recorder)
    assert third.status is PollStatus.FETCHED and third.new_entries > 0
    async with await Store.open(path) as store:
        (state,) = (await store.fetch_states()).values()
    assert state.warning == "the API wants a login: read the feed instead"
    assert state.platform_state == {"id": 7}, "a result without state keeps the old one"


async def test_an_http_error_nobody_catches_fails_the_source_with_its_status(
    tmp_path: Path,
) -> None:
    url = "https://slow.example/feed"
    recorder = Recorder({url: lambda r: httpx.Response(429, headers={"Retry-After": "120"})})
    (report,) = await poll(config_for(url), tmp_path / "d.db", recorder)
    assert report.status is PollStatus.FAILED
    assert report.error is not None and report.error.startswith("HTTP 429")


class SlowParser:
    """A platform whose parse step never ends in time."""

    name = "rss"
    default_base_url = "https://slow.example"

    def exchange(self, follow, state, context):  # type: ignore[no-untyped-def]
        import time

        from devfeed.models import ParseResult
        from devfeed.platforms.base import Fetch

        yield Fetch(httpx.Request("GET", f"{context.base_url}/feed"), conditional=True)
        time.sleep(1.0)  # a pathological document
        return ParseResult()


async def test_parsing_has_a_time_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poller_module, "platform_for", lambda name: SlowParser())
    monkeypatch.setattr(poller_module, "PARSE_BUDGET_S", 0.2)
    recorder = Recorder({"https://slow.example/feed": lambda r: httpx.Response(200, content=b"x")})
    (report,) = await poll(config_for("https://slow.example/profile"), tmp_path / "d.db", recorder)
    assert report.error == "parsing took longer than 0.2 s"


def test_request_logs_mask_credentials_in_the_query() -> None:
    from devfeed.poller import loggable

    url = httpx.URL("https://api.example/2.3/questions?site=so&key=s3cret&access_token=t0k")
    assert loggable(url) == "https://api.example/2.3/questions?site=so&key=***&access_token=***"
    assert loggable(httpx.URL("https://a.example/f?page=2")) == "https://a.example/f?page=2"

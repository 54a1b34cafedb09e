"""YouTube: what people paste, how channel ids and lengths are read from pages, and the
politeness limits of one poll (driven with canned responses, no network)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from devfeed.config import PlatformSettings
from devfeed.errors import FetchError, HTTPStatusError
from devfeed.models import FetchState, Follow, ParseResult
from devfeed.platforms.base import Context, UnsupportedFollow
from devfeed.platforms.youtube import (
    KEEP_DURATIONS,
    MAX_WATCH_PAGES,
    Target,
    YouTube,
    channel_id_from_page,
    duration_from_watch_page,
    target_of,
)

CHANNEL = "UCq8Wd0a4zv3LHmL0nVxR1mA"


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ({"profile": CHANNEL}, Target("channel", CHANNEL)),
        ({"profile": "@ArjanCodes"}, Target("page", "/@ArjanCodes")),
        ({"profile": "ArjanCodes"}, Target("page", "/@ArjanCodes")),
        ({"profile": "c/CompilerCorner"}, Target("page", "/c/CompilerCorner")),
        ({"profile": "user/compilercorner"}, Target("page", "/user/compilercorner")),
        (
            {"profile": "PLq8Wd0a4zv3LHmL0nVxR1mAparsers01"},
            Target("playlist", "PLq8Wd0a4zv3LHmL0nVxR1mAparsers01"),
        ),
        ({"profile": f"UULF{CHANNEL[2:]}"}, Target("playlist", f"UULF{CHANNEL[2:]}")),
        ({"url": "https://www.youtube.com/@ArjanCodes/videos"}, Target("page", "/@ArjanCodes")),
        ({"url": f"https://youtube.com/channel/{CHANNEL}"}, Target("channel", CHANNEL)),
        ({"url": "https://m.youtube.com/c/CompilerCorner/"}, Target("page", "/c/CompilerCorner")),
        ({"url": "https://www.youtube.com/user/pycon"}, Target("page", "/user/pycon")),
        (
            {"url": "https://www.youtube.com/playlist?list=PL0123456789abcdef&si=x"},
            Target("playlist", "PL0123456789abcdef"),
        ),
        ({"profile": "https://www.youtube.com/@pycon"}, Target("page", "/@pycon")),
        (
            {"url": f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"},
            Target("feed", f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"),
        ),
        (
            {"url": "https://yewtu.be/feed/channel/UCxyz"},
            Target("feed", "https://yewtu.be/feed/channel/UCxyz"),
        ),
    ],
)
def test_what_people_paste(pasted: dict[str, str], expected: Target) -> None:
    assert target_of(Follow(platform="youtube", **pasted)) == expected


@pytest.mark.parametrize(
    "pasted",
    [
        {"profile": "@"},
        {"profile": "two words"},
        {"url": "https://www.youtube.com/watch?v=Cc0mpiler04"},
        {"url": "https://www.youtube.com/"},
    ],
)
def test_what_cannot_be_followed_says_what_can(pasted: dict[str, str]) -> None:
    with pytest.raises(UnsupportedFollow, match="@handle"):
        target_of(Follow(platform="youtube", **pasted))


def test_a_channel_page_is_read_for_its_own_id_first() -> None:
    own, other = CHANNEL, "UCzzOtherChannelRecommd0"
    data_only = f'<script>{{"channelId":"{other}"}} {{"externalId":"{own}"}}</script>'
    assert channel_id_from_page(data_only.encode()) == own
    meta = f'<meta itemprop="identifier" content="{own}"><script>"channelId":"{other}"</script>'
    assert channel_id_from_page(meta.encode()) == own
    og = f'<meta property="og:url" content="https://www.youtube.com/channel/{own}">'
    assert channel_id_from_page(og.encode()) == own
    assert channel_id_from_page(b"<html><body>Before you continue to YouTube</body></html>") is None


@pytest.mark.parametrize(
    ("html", "seconds"),
    [
        ('<meta itemprop="duration" content="PT12M34S">', 754),
        ('<meta content="PT1H0M1S" itemprop="duration">', 3601),
        ('<script>{"lengthSeconds":"95"}</script>', 95),
        (
            '<meta itemprop="duration" content="PT2H"><meta itemprop="isLiveBroadcast" '
            'content="True"><meta itemprop="endDate" content="2026-11-27T20:00:00+00:00">',
            None,  # a recorded stream: still a live stream, never offered for Lunch
        ),
        ('<script>{"lengthSeconds":"7200","isLiveContent":true}</script>', None),
        ('<meta itemprop="duration" content="PT0M0S">', None),
        ("<html>consent</html>", None),
    ],
)
def test_the_length_on_a_watch_page(html: str, seconds: int | None) -> None:
    assert duration_from_watch_page(html.encode()) == seconds


def _feed(video_ids: list[str]) -> bytes:
    entries = "".join(
        f"<entry><id>yt:video:{v}</id><yt:videoId>{v}</yt:videoId><title>Video {v}</title>"
        f'<link rel="alternate" href="https://www.youtube.com/watch?v={v}"/>'
        "<published>2026-11-27T10:00:00+00:00</published></entry>"
        for v in video_ids
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:yt="http://www.youtube.com/xml/schemas/2015"><title>T</title>{entries}</feed>'
    ).encode()


Answer = Callable[[httpx.Request], httpx.Response | Exception]


def drive(
    follow: Follow, answer: Answer, state: dict[str, object] | None = None, **settings: str
) -> tuple[list[str], ParseResult]:
    """Run an exchange, answering each request with `answer`; return the URLs asked for."""
    exchange = YouTube().exchange(
        follow,
        FetchState(follow_key=follow.key, platform_state=state or {}),
        Context(base_url="https://www.youtube.com", settings=PlatformSettings(**settings)),
    )
    asked: list[str] = []
    try:
        fetch = next(exchange)
        while True:
            asked.append(str(fetch.request.url))
            reply = answer(fetch.request)
            failed = isinstance(reply, Exception)
            fetch = exchange.throw(reply) if failed else exchange.send(reply)  # type: ignore[arg-type]
    except StopIteration as stop:
        return asked, stop.value


def test_one_poll_fetches_at_most_the_cap_of_watch_pages_then_the_rest_next_time() -> None:
    ids = [f"Vid{n:08d}" for n in range(MAX_WATCH_PAGES + 5)]
    feed = _feed(ids)

    def answer(request: httpx.Request) -> httpx.Response:
        if "/feeds/" in request.url.path:
            return httpx.Response(200, content=feed, request=request)
        return httpx.Response(
            200, content=b'<meta itemprop="duration" content="PT11M">', request=request
        )

    follow = Follow(platform="youtube", profile=CHANNEL)
    asked, first = drive(follow, answer, {"long_form": True})
    watched = [url for url in asked if "/watch" in url]
    assert len(watched) == MAX_WATCH_PAGES
    assert [e.duration_s for e in first.entries].count(660) == MAX_WATCH_PAGES
    assert first.platform_state is not None

    asked, second = drive(follow, answer, first.platform_state)
    assert [url.rsplit("=", 1)[1] for url in asked if "/watch" in url] == ids[MAX_WATCH_PAGES:]
    assert all(e.duration_s == 660 for e in second.entries), "remembered lengths are reused"
    assert second.platform_state is not None

    asked, _third = drive(follow, answer, second.platform_state)
    assert [url for url in asked if "/watch" in url] == []


def test_remembered_lengths_are_capped_newest_first() -> None:
    old = [[f"Old{n:08d}", 100 + n] for n in range(KEEP_DURATIONS)]
    feed = _feed(["NewVideo001"])

    def answer(request: httpx.Request) -> httpx.Response:
        if "/feeds/" in request.url.path:
            return httpx.Response(200, content=feed, request=request)
        return httpx.Response(200, content=b'{"lengthSeconds":"61"}', request=request)

    follow = Follow(platform="youtube", profile=CHANNEL)
    _asked, result = drive(follow, answer, {"long_form": True, "durations": old})
    remembered = (result.platform_state or {})["durations"]
    assert len(remembered) == KEEP_DURATIONS
    assert remembered[0] == ["NewVideo001", 61]
    assert remembered[-1] == old[-2]


def test_junk_in_the_remembered_state_is_ignored() -> None:
    feed = _feed(["Cc0mpiler04"])

    def answer(request: httpx.Request) -> httpx.Response:
        if "/feeds/" in request.url.path:
            return httpx.Response(200, content=feed, request=request)
        return httpx.Response(200, content=b'{"lengthSeconds":"61"}', request=request)

    follow = Follow(platform="youtube", profile="@compilercorner")
    junk = {"channel_id": 42, "resolved_from": "/@compilercorner", "durations": "lots"}

    def with_page(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/@compilercorner":
            page = f'<link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}">'
            return httpx.Response(200, content=page.encode(), request=request)
        return answer(request)

    asked, result = drive(follow, with_page, junk)
    assert asked[0] == "https://www.youtube.com/@compilercorner", "a bad id is looked up again"
    assert [e.duration_s for e in result.entries] == [61]
    assert (result.platform_state or {})["channel_id"] == CHANNEL


def test_the_api_falls_back_to_watch_pages_on_a_network_error() -> None:
    feed = _feed(["Cc0mpiler04"])

    def answer(request: httpx.Request) -> httpx.Response | Exception:
        if "/feeds/" in request.url.path:
            return httpx.Response(200, content=feed, request=request)
        if request.url.host == "www.googleapis.com":
            assert request.url.params["key"] == "k"
            return FetchError("ConnectError: name resolution failed")
        return httpx.Response(
            200, content=b'<meta itemprop="duration" content="PT40M">', request=request
        )

    follow = Follow(platform="youtube", profile=CHANNEL)
    asked, result = drive(follow, answer, {"long_form": True}, api_key="k")
    assert [e.duration_s for e in result.entries] == [2400]
    assert asked[-1] == "https://www.youtube.com/watch?v=Cc0mpiler04"


def test_a_failing_feed_still_fails_the_source() -> None:
    follow = Follow(platform="youtube", profile=CHANNEL)

    def answer(request: httpx.Request) -> Exception:
        return HTTPStatusError("HTTP 500", status=500)

    with pytest.raises(HTTPStatusError):
        drive(follow, answer)


def test_a_consent_wall_teaches_nothing_and_is_asked_again_next_time() -> None:
    feed = _feed(["Cc0mpiler04", "Cc0mpiler07"])

    def answer(request: httpx.Request) -> httpx.Response:
        if "/feeds/" in request.url.path:
            return httpx.Response(200, content=feed, request=request)
        wall = httpx.Request("GET", "https://consent.youtube.com/m?continue=x")
        return httpx.Response(200, content=b"<html>Before you continue</html>", request=wall)

    follow = Follow(platform="youtube", profile=CHANNEL)
    asked, result = drive(follow, answer, {"long_form": True})
    assert [url for url in asked if "/watch" in url] == [
        "https://www.youtube.com/watch?v=Cc0mpiler04"
    ]
    assert (result.platform_state or {})["durations"] == []

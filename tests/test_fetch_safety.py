"""Hostile servers over real loopback HTTP: bounded fetches, checked redirects, bytes-only
parsers, and a broken source that costs nothing else.

The follows are configured on `news.example.org`, a public-looking name that the injected
resolver maps to 127.0.0.1, so the rules for public follows apply without leaving the
machine. A second server on 127.0.0.2 counts every request: a redirect into private
address space must never reach it.
"""

from __future__ import annotations

import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpcore
import httpx
import pytest

from devfeed import api
from devfeed.config import Config, parse_config
from devfeed.errors import FetchError
from devfeed.fetch import (
    UNRESTRICTED,
    BlockedTarget,
    GuardedBackend,
    TargetPolicy,
    _Inflater,
    check_target,
    is_public,
    numeric_host,
)
from devfeed.models import PollStatus
from devfeed.poller import Poller, SourceReport
from devfeed.store import FeedQuery, Store
from tests import hostile_server as hs
from tests.conftest import FROZEN_NOW

PUBLIC_HOST = "news.example.org"
REBIND_HOST = "rebind.example.org"


@dataclass
class Servers:
    hostile: hs.HostileServer
    private: hs.HostileServer

    def public_url(self, path: str) -> str:
        return f"http://{PUBLIC_HOST}:{self.hostile.port}{path}"


async def fake_resolver(host: str, port: int) -> list[str]:
    """news.example.org is "public" but lives on 127.0.0.1; rebind.example.org answers
    with the private server's address; nothing else resolves."""
    known = {PUBLIC_HOST: ["127.0.0.1"], REBIND_HOST: ["127.0.0.2"]}
    if host not in known:
        raise OSError(f"unknown host {host}")
    return known[host]


def routes(servers: Callable[[], Servers]) -> dict[str, hs.Route]:
    def to(host: str) -> Callable[[], str]:
        return lambda: f"http://{host}:{servers().private.port}/hit"

    def own(path: str) -> Callable[[], str]:
        return lambda: servers().public_url(path)

    hostile = lambda: servers().hostile  # noqa: E731
    return {
        "/good.xml": hs.etagged(hs.GOOD_FEED, '"good-1"'),
        "/bomb": hs.bomb(hostile),
        "/gzip-once": hs.stacked(1),
        "/gzip-64": hs.stacked(64),
        "/drip": hs.drip(hostile, interval=1.0),
        "/short-length": hs.short_by_length,
        "/broken-chunks": hs.broken_chunks,
        "/unfinished-gzip": hs.unfinished_gzip,
        "/moved/1": hs.redirect(own("/moved/2"), "301 Moved Permanently"),
        "/moved/2": hs.redirect(own("/moved/3"), "308 Permanent Redirect"),
        "/moved/3": hs.redirect(own("/good.xml"), "301 Moved Permanently"),
        "/temporary": hs.redirect(own("/moved/3"), "302 Found"),
        "/loop/a": hs.redirect(own("/loop/b")),
        "/loop/b": hs.redirect(own("/loop/a")),
        **{f"/long/{n}": hs.redirect(own(f"/long/{n + 1}")) for n in range(7)},
        "/long/7": hs.body(hs.GOOD_FEED),
        "/to-file": hs.redirect(lambda: "file:///etc/passwd"),
        "/to-private": hs.redirect(to("127.0.0.2")),
        "/to-decimal": hs.redirect(to("2130706434")),
        "/to-hex": hs.redirect(to("0x7f.0.0.2")),
        "/to-short": hs.redirect(to("127.2")),
        "/to-mapped": hs.redirect(to("[::ffff:127.0.0.2]")),
        "/to-rebind": hs.redirect(to(REBIND_HOST)),
        "/to-metadata": hs.redirect(lambda: "http://169.254.169.254/latest/meta-data/"),
        "/too-many": hs.status("429 Too Many Requests", **{"Retry-After": "7200"}),
        "/too-many-forever": hs.status("429 Too Many Requests", **{"Retry-After": "999999999"}),
        "/unavailable": hs.status("503 Service Unavailable", **{"Retry-After": "5"}),
        "/error": hs.status("500 Internal Server Error"),
        "/not-modified": hs.status("304 Not Modified"),
        "/html": hs.body(hs.HTML_PAGE, "application/rss+xml"),
        "/empty": hs.body(b""),
        "/zero-items": hs.body(hs.rss([], title="Nothing yet").encode()),
        "/garbage": hs.body(b"\x00\x01\x02 this is not a feed \xff\xfe"),
        "/bad-utf8": hs.body(
            hs.rss([("Caf\udce9 broken", "https://news.example.org/c")]).encode(
                "utf-8", "surrogateescape"
            ),
            "application/rss+xml; charset=utf-8",
        ),
        "/mislabelled": hs.body(
            hs.rss([("Café in latin-1", "https://news.example.org/l")]).encode("latin-1"),
            "application/rss+xml; charset=utf-8",
        ),
        "/hostile.xml": hs.body(hs.HOSTILE_FEED),
        "/billion-laughs": hs.body(hs.BILLION_LAUGHS),
        "/external-entity": hs.body(hs.EXTERNAL_ENTITY),
    }


@pytest.fixture
def servers() -> Iterator[Servers]:
    holder: list[Servers] = []
    with (
        hs.serve({"/hit": hs.counting}, host="127.0.0.2") as private,
        hs.serve(routes(lambda: holder[0])) as hostile,
    ):
        holder.append(Servers(hostile=hostile, private=private))
        yield holder[0]


def config_for(urls: Sequence[str], deadline: str = "3s") -> Config:
    follows = "".join(f'[[follow]]\nplatform = "rss"\nurl = "{u}"\n' for u in urls)
    return parse_config(f'[settings]\ntimeout = "{deadline}"\n{follows}')


async def poll(db: Path, urls: Sequence[str], *, deadline: str = "3s") -> dict[str, SourceReport]:
    async with await Store.open(db) as store:
        poller = Poller(
            config_for(urls, deadline), store, now=lambda: FROZEN_NOW, resolver=fake_resolver
        )
        reports = await poller.poll()
    return {report.follow.url or "": report for report in reports}


async def poll_paths(
    db: Path, servers: Servers, *paths: str, deadline: str = "3s"
) -> dict[str, SourceReport]:
    by_url = await poll(db, [servers.public_url(p) for p in paths], deadline=deadline)
    return {path: by_url[servers.public_url(path)] for path in paths}


async def stored_titles(db: Path) -> list[str]:
    async with await Store.open(db) as store:
        page = await store.feed_page(FeedQuery(), limit=500)
    return [story.title for story in page.stories]


# -- 1, 2: deadline, decoded-size cap, one coding, no truncation -------------------------------


async def test_a_gzip_bomb_stops_at_the_cap_while_it_inflates(
    tmp_path: Path, servers: Servers
) -> None:
    tracemalloc.start()
    try:
        reports = await poll_paths(tmp_path / "d.db", servers, "/bomb", "/good.xml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reports["/bomb"].error == "the response is larger than 15 MiB"
    assert reports["/good.xml"].new_entries == 2
    # httpx's own decoder peaks near 140 MiB here: it inflates a whole 64 KiB read at once
    assert peak < 48 * hs.MiB, f"peak {peak / hs.MiB:.0f} MiB: the bomb was inflated"


def test_the_inflater_never_makes_more_than_it_was_asked_for() -> None:
    compressed = b"".join(hs.gzip_bomb(256 * hs.MiB))
    inflater = _Inflater("gzip")
    out = inflater.feed(compressed, room=1000)
    assert len(out) == 1001, "one byte past the room is enough to know the cap is exceeded"
    assert out == bytes(1001)


async def test_one_content_coding_is_inflated_stacked_ones_are_refused(
    tmp_path: Path, servers: Servers
) -> None:
    reports = await poll_paths(tmp_path / "d.db", servers, "/gzip-once", "/gzip-64")
    assert reports["/gzip-once"].new_entries == 2
    assert (reports["/gzip-64"].error or "").startswith("stacked content-codings")


async def test_a_truncated_body_is_an_error_not_half_a_feed(
    tmp_path: Path, servers: Servers
) -> None:
    paths = ("/short-length", "/broken-chunks", "/unfinished-gzip")
    reports = await poll_paths(tmp_path / "d.db", servers, *paths)
    for path in paths:
        assert reports[path].status is PollStatus.FAILED, path
    assert "RemoteProtocolError" in (reports["/short-length"].error or "")
    assert "RemoteProtocolError" in (reports["/broken-chunks"].error or "")
    assert "truncated" in (reports["/unfinished-gzip"].error or "")
    assert await stored_titles(tmp_path / "d.db") == []


# -- 3: redirects ------------------------------------------------------------------------------


async def test_redirects_into_private_space_never_send_a_request(
    tmp_path: Path, servers: Servers
) -> None:
    paths = (
        "/to-private",
        "/to-decimal",
        "/to-hex",
        "/to-short",
        "/to-mapped",
        "/to-rebind",
        "/to-metadata",
    )
    reports = await poll_paths(tmp_path / "d.db", servers, *paths)
    for path in paths:
        report = reports[path]
        assert report.status is PollStatus.FAILED, path
        assert "refused to connect" in (report.error or ""), (path, report.error)
    assert "127.0.0.2" in (reports["/to-decimal"].error or ""), "numeric forms are normalized"
    assert servers.private.hits == [], "a request reached the private address"


async def test_a_follow_configured_on_a_loopback_host_may_redirect_there(
    tmp_path: Path, servers: Servers
) -> None:
    # the user pointed devfeed at their own machine: private targets are theirs
    url = f"{servers.hostile.base_url}/to-private"
    (report,) = (await poll(tmp_path / "d.db", [url])).values()
    assert report.new_entries == 1
    assert servers.private.hits == ["/hit"]


async def test_redirect_limits_loops_and_schemes(tmp_path: Path, servers: Servers) -> None:
    reports = await poll_paths(tmp_path / "d.db", servers, "/loop/a", "/long/0", "/to-file")
    assert (reports["/loop/a"].error or "").startswith("a redirect loop")
    assert reports["/long/0"].error == "more than 5 redirects"
    assert reports["/to-file"].error == (
        "a redirect to file:/etc/passwd: refused to fetch a file: URL"
    )
    assert "/long/5" in servers.hostile.hits and "/long/6" not in servers.hostile.hits


async def test_a_permanent_move_is_recorded_and_shown_but_a_temporary_one_is_not(
    tmp_path: Path, servers: Servers
) -> None:
    db = tmp_path / "d.db"
    reports = await poll_paths(db, servers, "/moved/1", "/temporary")
    assert {r.status for r in reports.values()} == {PollStatus.FETCHED}
    assert len(await stored_titles(db)) == 2
    config = config_for([servers.public_url("/moved/1"), servers.public_url("/temporary")])
    moved, temporary = await api.sources(config, db)
    assert moved.moved_to == servers.public_url("/good.xml")
    assert moved.to_json()["moved_to"] == servers.public_url("/good.xml")
    assert temporary.moved_to is None


# -- 4: Retry-After, back-off, 304 -------------------------------------------------------------


async def test_retry_after_is_honoured_and_clamped(tmp_path: Path, servers: Servers) -> None:
    db = tmp_path / "d.db"
    await poll_paths(db, servers, "/too-many", "/too-many-forever", "/unavailable")
    async with await Store.open(db) as store:
        states = await store.fetch_states()

    def due(path: str) -> timedelta:
        state = states[f"rss:{servers.public_url(path)}"]
        assert state.next_due_at is not None
        return state.next_due_at - FROZEN_NOW

    assert due("/too-many") == timedelta(hours=2), "Retry-After: 7200"
    assert due("/too-many-forever") == timedelta(hours=24), "clamped to a day"
    # 5 s is below the floor and below the normal back-off (twice the 30 min interval)
    assert due("/unavailable") == timedelta(hours=1)


async def test_server_errors_back_off_and_a_304_nobody_asked_for_is_an_error(
    tmp_path: Path, servers: Servers
) -> None:
    db = tmp_path / "d.db"
    for _ in range(3):
        reports = await poll_paths(db, servers, "/error", "/not-modified")
    async with await Store.open(db) as store:
        state = (await store.fetch_states())[f"rss:{servers.public_url('/error')}"]
    assert state.failures == 3
    assert state.next_due_at == FROZEN_NOW + timedelta(hours=4)
    assert reports["/not-modified"].error == (
        "HTTP 304 Not Modified to a request without validators"
    )


# -- 5, 6: parsers get bytes, no entities; one broken source costs nothing else ---------------


async def test_xml_entities_are_refused_before_parsing(tmp_path: Path, servers: Servers) -> None:
    started = time.monotonic()
    reports = await poll_paths(tmp_path / "d.db", servers, "/billion-laughs", "/external-entity")
    assert time.monotonic() - started < 1.5
    for path in ("/billion-laughs", "/external-entity"):
        assert reports[path].error == "the feed declares XML entities (<!ENTITY>); refused"
    assert await stored_titles(tmp_path / "d.db") == []


async def test_a_body_that_names_a_local_file_is_not_opened(
    tmp_path: Path, servers: Servers
) -> None:
    # feedparser opens a file when handed bytes that spell a path
    local = tmp_path / "local-feed.xml"
    local.write_bytes(hs.rss([("Read from the local disk", "https://x.example/l")]).encode())
    servers.hostile.routes["/path"] = hs.body(str(local).encode(), "text/plain")
    reports = await poll_paths(tmp_path / "d.db", servers, "/path")
    assert reports["/path"].status is PollStatus.FAILED
    assert await stored_titles(tmp_path / "d.db") == []


async def test_a_source_that_breaks_keeps_its_stories_and_says_why(
    tmp_path: Path, servers: Servers
) -> None:
    db = tmp_path / "d.db"
    url = servers.public_url("/flaky")
    servers.hostile.routes["/flaky"] = hs.body(hs.GOOD_FEED)
    (first,) = (await poll(db, [url])).values()
    assert first.new_entries == 2
    expected = {
        b"": "the response was empty",
        hs.HTML_PAGE: "the server sent an HTML page, not a feed",
        b"\x00\x01 not a feed \xff": "not an RSS, Atom or JSON feed",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [': "not valid JSON",
    }
    for answer, error in expected.items():
        servers.hostile.routes["/flaky"] = hs.body(answer)
        (report,) = (await poll(db, [url])).values()
        assert report.status is PollStatus.FAILED
        assert (report.error or "").startswith(error), (answer, report.error)
        assert len(await stored_titles(db)) == 2, "the stories it brought before are kept"

    servers.hostile.routes["/flaky"] = hs.body(hs.rss([], title="Quiet").encode())
    (quiet,) = (await poll(db, [url])).values()
    assert quiet.status is PollStatus.FETCHED and quiet.new_entries == 0
    async with await Store.open(db) as store:
        (state,) = (await store.fetch_states()).values()
    assert state.warning == "the feed has no items"
    assert len(await stored_titles(db)) == 2


async def test_bad_and_mislabelled_encodings_give_clean_text(
    tmp_path: Path, servers: Servers
) -> None:
    reports = await poll_paths(tmp_path / "d.db", servers, "/bad-utf8", "/mislabelled")
    assert reports["/bad-utf8"].status is PollStatus.FETCHED
    assert reports["/mislabelled"].status is PollStatus.FETCHED
    titles = await stored_titles(tmp_path / "d.db")
    assert len(titles) == 2
    assert any(t.startswith("Caf") and t.endswith("broken") for t in titles)
    assert "Café in latin-1" in titles, "feedparser falls back to the right encoding"
    for title in titles:
        assert all(unicodedata.category(c)[0] != "C" for c in title), repr(title)


async def test_hostile_titles_and_links_are_stored_inert(tmp_path: Path, servers: Servers) -> None:
    reports = await poll_paths(tmp_path / "d.db", servers, "/hostile.xml")
    assert reports["/hostile.xml"].new_entries == 5
    async with await Store.open(tmp_path / "d.db") as store:
        page = await store.feed_page(FeedQuery(), limit=50)
    by_title = {s.title: s for s in page.stories}
    assert set(by_title) == {
        "Clipboard grab",
        "Hyperlink click trick",
        "Screen clear done",
        "Markup [@click=app.quit]quit[/] and [/bogus] and [bold red]loud[/]",
        "Bell and backspace and bidi txet",
    }
    urls = {s.url for s in page.stories}
    assert urls == {None, "https://news.example.org/safe"}


# -- everything at once ------------------------------------------------------------------------


async def test_one_poll_over_every_hostile_route_is_bounded_and_keeps_the_good_feed(
    tmp_path: Path, servers: Servers
) -> None:
    paths = [p for p in servers.hostile.routes if not p.startswith(("/long/", "/moved/2"))]
    paths = [p for p in paths if p not in ("/moved/3", "/loop/b")]
    tracemalloc.start()
    started = time.monotonic()
    try:
        reports = await poll_paths(tmp_path / "d.db", servers, *paths, deadline="2s")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    # the drip sends every byte within httpx's per-read timeout: only a total deadline
    # stops it, and the whole poll ends soon after that deadline
    assert reports["/drip"].error == "no complete answer within 2 s"
    assert elapsed < 8, f"{elapsed:.1f} s"
    assert peak < 100 * hs.MiB, f"{peak / hs.MiB:.0f} MiB"
    # several routes serve the good feed (redirects to it, a gzipped copy): whichever is
    # stored first brings its two entries, the others see them again
    same_feed = ("/good.xml", "/moved/1", "/temporary", "/gzip-once")
    assert all(reports[p].status is PollStatus.FETCHED for p in same_feed)
    assert servers.private.hits == []
    failed = {p for p, r in reports.items() if r.status is PollStatus.FAILED}
    assert failed >= {"/bomb", "/drip", "/gzip-64", "/to-private", "/to-rebind", "/html"}
    for report in reports.values():
        assert report.error is None or all(
            unicodedata.category(c)[0] != "C" for c in report.error
        ), report.error
    titles = await stored_titles(tmp_path / "d.db")
    assert titles.count("A good story survives the bad ones") == 1
    assert titles.count("Another good story") == 1
    assert "Leaked into a private address" not in titles


# -- the pieces, without a server --------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706434", "127.0.0.2"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("example.org", None),
        ("cafe.be", None),
    ],
)
def test_numeric_hosts_are_read_in_every_spelling(host: str, address: str | None) -> None:
    found = numeric_host(host)
    assert (str(found) if found else None) == address


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.2", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.100.100.200", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00:ec2::254", False),
        ("::ffff:127.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::", False),
    ],
)
def test_only_public_addresses_are_public(address: str, public: bool) -> None:
    found = numeric_host(address)
    assert found is not None and is_public(found) is public


def test_the_policy_trusts_configured_hosts_and_private_configurations() -> None:
    public = TargetPolicy.for_configured(["https://news.example.org/feed", None])
    assert public.private_ok("news.example.org") and public.private_ok("NEWS.example.org.")
    assert not public.private_ok("127.0.0.1") and not public.private_ok("other.example")
    for configured in ("http://127.0.0.1:8080/f", "localhost:3000", "http://nas.local/rss"):
        assert TargetPolicy.for_configured([configured]).private_ok("10.0.0.9"), configured


class _RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.connected: list[str] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]  # noqa: ASYNC109
        self.connected.append(host)
        raise httpcore.ConnectError("recorded, not connected")


async def test_the_backend_resolves_once_and_connects_to_the_address_it_checked() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding resolver
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    inner = _RecordingBackend()
    backend = GuardedBackend(rebinding, public_only=True, inner=inner)
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("flip.example", 80)
    assert calls == ["flip.example"] and inner.connected == ["93.184.216.34"]
    with pytest.raises(BlockedTarget, match=r"non-public address 127\.0\.0\.1"):
        await backend.connect_tcp("flip.example", 80)
    assert inner.connected == ["93.184.216.34"], "the private answer was never connected to"
    with pytest.raises(FetchError, match="unix sockets"):
        await backend.connect_unix_socket("/run/docker.sock")


@pytest.mark.parametrize("host", ["169.254.169.254", "[::ffff:169.254.169.254]", "[fe80::1]"])
def test_link_local_is_refused_even_where_private_addresses_are_allowed(host: str) -> None:
    """A feed on the user's own network may redirect to private addresses, never to the
    cloud metadata service."""
    loopback_follow = TargetPolicy.for_configured(["http://127.0.0.1:8080/feed.xml"])
    for policy in (loopback_follow, UNRESTRICTED):
        with pytest.raises(BlockedTarget, match="link-local address"):
            check_target(httpx.URL(f"http://{host}/latest/meta-data/"), policy)


async def test_a_name_that_resolves_to_link_local_is_never_connected_to() -> None:
    async def metadata(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    inner = _RecordingBackend()
    backend = GuardedBackend(metadata, public_only=False, inner=inner)
    with pytest.raises(BlockedTarget, match=r"metadata\.lan: it resolves to the link-local"):
        await backend.connect_tcp("metadata.lan", 80)
    assert inner.connected == []

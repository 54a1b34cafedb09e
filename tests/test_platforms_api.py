"""The API platforms (Mastodon, Bluesky, PeerTube, Instagram): their small parsers, and the
real poller driving their exchanges into a real SQLite store over httpx.MockTransport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from devfeed.config import PlatformSettings, parse_config, with_env_credentials
from devfeed.models import Follow, PollStatus
from devfeed.platforms import UnsupportedFollow, platform_for
from devfeed.platforms.bluesky import actor_of, read_facets
from devfeed.platforms.instagram import bridge_feed_url
from devfeed.platforms.mastodon import split_profile as mastodon_profile
from devfeed.platforms.mastodon import status_id_key
from devfeed.platforms.peertube import split_profile as peertube_profile
from devfeed.poller import Poller
from devfeed.store import FeedQuery, Store
from tests.conftest import DATA, FROZEN_NOW
from tests.test_poller import Recorder

# --- follows and profiles -------------------------------------------------------------


@pytest.mark.parametrize(
    ("follow", "target"),
    [
        (Follow(platform="mastodon", instance="a.example", profile="@ada"), "@ada"),
        (Follow(platform="mastodon", instance="a.example", profile="ada"), "@ada"),
        (Follow(platform="youtube", profile="@ArjanCodes"), "@ArjanCodes"),
        (Follow(platform="mastodon", instance="a.example", hashtag="python"), "#python"),
    ],
)
def test_a_follow_target_never_doubles_its_sigil(follow: Follow, target: str) -> None:
    assert follow.target == target


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("ada", ("ada", None)),
        ("@ada", ("ada", None)),
        ("ada@fosstodon.org", ("ada", "fosstodon.org")),
        ("@ada@fosstodon.org", ("ada", "fosstodon.org")),
    ],
)
def test_mastodon_profiles_in_every_pasted_form(
    profile: str, expected: tuple[str, str | None]
) -> None:
    assert mastodon_profile(profile) == expected


@pytest.mark.parametrize("profile", ["", "@", "https://fosstodon.org/@ada", "@/x"])
def test_what_is_not_a_mastodon_account_says_how_to_write_one(profile: str) -> None:
    with pytest.raises(UnsupportedFollow, match="@user@instance"):
        mastodon_profile(profile)


def test_mastodon_ids_order_by_number_not_by_text() -> None:
    ids = ["99", "113560004000000004", "100", "113560004000000010"]
    assert max(ids, key=status_id_key) == "113560004000000010"
    assert sorted(ids, key=status_id_key)[:2] == ["99", "100"]


@pytest.mark.parametrize(
    ("profile", "actor"),
    [
        ("ada.bsky.social", "ada.bsky.social"),
        ("@ada.bsky.social", "ada.bsky.social"),
        ("https://bsky.app/profile/ada.bsky.social", "ada.bsky.social"),
        ("did:plc:ada4lovelace7engine0000", "did:plc:ada4lovelace7engine0000"),
    ],
)
def test_bluesky_actors(profile: str, actor: str) -> None:
    assert actor_of(profile) == actor


def test_bluesky_facets_count_utf8_bytes() -> None:
    text = "é🦀 see example.org/a-very-lo... now #Rust"
    data = text.encode()
    start = data.index(b"example.org")
    end = start + len(b"example.org/a-very-lo...")
    tag_start = data.index(b"#Rust")
    record = {
        "text": text,
        "facets": [
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [
                    {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/a"}
                ],
            },
            {
                "index": {"byteStart": tag_start, "byteEnd": tag_start + 5},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Rust"}],
            },
            {"index": {"byteStart": 900, "byteEnd": 999}, "features": "junk"},
        ],
        "tags": ["extra", "Rust"],
    }
    expanded, links, tags = read_facets(record)
    assert expanded == "é🦀 see https://example.org/a now #Rust"
    assert links == ["https://example.org/a"]
    assert tags == ["Rust", "extra"]


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("channel:pyconf_talks", ("channel", "pyconf_talks")),
        ("c/pyconf_talks", ("channel", "pyconf_talks")),
        ("account:pyconf", ("account", "pyconf")),
        ("a/pyconf", ("account", "pyconf")),
        ("pyconf@tube.example.org", (None, "pyconf@tube.example.org")),
        ("@pyconf@tube.example.org", (None, "pyconf@tube.example.org")),
    ],
)
def test_peertube_profiles(profile: str, expected: tuple[str | None, str]) -> None:
    assert peertube_profile(profile) == expected


@pytest.mark.parametrize(
    ("bridge", "profile", "hashtag", "url"),
    [
        (
            "https://bridge.example.org/",
            "@nasa",
            None,
            "https://bridge.example.org/?action=display&bridge=InstagramBridge&format=Atom"
            "&context=Username&u=nasa",
        ),
        (
            "https://bridge.example.org/index.php?lang=en",
            None,
            "#space",
            "https://bridge.example.org/index.php?lang=en&action=display&bridge=InstagramBridge"
            "&format=Atom&context=Hashtag&h=space",
        ),
        (
            "https://rsshub.example.org/instagram/2/{kind}/{name}",
            "nasa",
            None,
            "https://rsshub.example.org/instagram/2/user/nasa",
        ),
    ],
)
def test_instagram_bridge_urls(
    bridge: str, profile: str | None, hashtag: str | None, url: str
) -> None:
    assert bridge_feed_url(bridge, profile=profile, hashtag=hashtag) == url


def test_credentials_come_from_the_environment_when_the_file_has_none() -> None:
    config = parse_config('[platforms.youtube]\napi_key = "from-file"\n')
    env = {
        "DEVFEED_BLUESKY_HANDLE": "me.bsky.social",
        "DEVFEED_BLUESKY_APP_PASSWORD": "aaaa-bbbb-cccc-dddd",
        "DEVFEED_YOUTUBE_API_KEY": "from-env",
    }
    merged = with_env_credentials(config, env)
    assert merged.platform("bluesky") == PlatformSettings(
        handle="me.bsky.social", app_password="aaaa-bbbb-cccc-dddd"
    )
    assert merged.platform("youtube").api_key == "from-file"
    assert with_env_credentials(config, {}) is config


# --- the real poller ------------------------------------------------------------------


def _file(platform: str, name: str) -> httpx.Response:
    return httpx.Response(
        200,
        content=(DATA / platform / name).read_bytes(),
        headers={"content-type": "application/json"},
    )


SEARCH = (
    "https://pds.example.net/xrpc/app.bsky.feed.searchPosts?q=%23rust&tag=rust&sort=latest&limit=50"
)
SESSION = "https://pds.example.net/xrpc/com.atproto.server.createSession"
TOKEN = json.loads((DATA / "bluesky" / "session.json").read_text())["accessJwt"]


async def test_the_poller_signs_in_to_bluesky_once_and_polls_peertube_and_instagram(
    tmp_path: Path,
) -> None:
    def search(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        return _file("bluesky", "search-rust.json")

    recorder = Recorder(
        {
            SESSION: lambda r: _file("bluesky", "session.json"),
            SEARCH: search,
            "https://tube.example.org/api/v1/search/videos?tagsOneOf=python&sort=-publishedAt"
            "&count=50": lambda r: _file("peertube", "search-python.json"),
            "https://bridge.example.org/?action=display&bridge=InstagramBridge&format=Atom"
            "&context=Username&u=pythondevs": lambda r: httpx.Response(
                200, content=(DATA / "instagram" / "rss-bridge-user.atom").read_bytes()
            ),
        }
    )
    config = with_env_credentials(
        parse_config(
            """
[platforms.bluesky]
session_url = "https://pds.example.net"

[platforms.instagram]
bridge_url = "https://bridge.example.org/"

[[follow]]
platform = "bluesky"
hashtag = "rust"

[[follow]]
platform = "peertube"
instance = "tube.example.org"
hashtag = "python"

[[follow]]
platform = "instagram"
profile = "pythondevs"
"""
        ),
        {"DEVFEED_BLUESKY_HANDLE": "me.bsky.social", "DEVFEED_BLUESKY_APP_PASSWORD": "pw-1"},
    )
    db = tmp_path / "d.db"
    for _ in range(2):
        async with await Store.open(db) as store:
            reports = await Poller(
                config, store, transport=recorder.transport(), now=lambda: FROZEN_NOW
            ).poll()
        assert all(r.error is None for r in reports), [r.error for r in reports]

    sign_ins = [r for r in recorder.requests if str(r.url) == SESSION]
    assert len(sign_ins) == 1, "the second poll reuses the remembered token"
    assert sign_ins[0].method == "POST"
    assert json.loads(sign_ins[0].content) == {"identifier": "me.bsky.social", "password": "pw-1"}
    assert sum(str(r.url) == SEARCH for r in recorder.requests) == 2

    async with await Store.open(db) as store:
        page = await store.feed_page(FeedQuery(), limit=50)
        states = await store.fetch_states()
    stories = {s.title: s for s in page.stories}
    talk = stories["Profiling Python with py-spy and perf: a 40-minute walkthrough"]
    assert (talk.kind, talk.duration_s) == ("video", 2412)
    live = stories["Live: async Python office hours"]
    assert (live.kind, live.duration_s) == ("video", None)
    assert stories["Reel: 3 pytest fixtures you should know"].kind == "video"
    assert {s.seen_on[0].platform for s in page.stories} == {"bluesky", "peertube", "instagram"}
    bluesky_state = states["bluesky:#rust"].platform_state
    assert bluesky_state["access_jwt"] == TOKEN
    assert "pw-1" not in json.dumps(bluesky_state), "the password is never stored"


async def test_a_bluesky_hashtag_without_credentials_is_a_failed_source_with_a_hint(
    tmp_path: Path,
) -> None:
    recorder = Recorder({})
    config = parse_config('[[follow]]\nplatform = "bluesky"\nhashtag = "rust"\n')
    async with await Store.open(tmp_path / "d.db") as store:
        (report,) = await Poller(config, store, transport=recorder.transport()).poll()
    assert report.status is PollStatus.FAILED
    assert "app password" in (report.error or "") and "[platforms.bluesky]" in (report.error or "")
    assert recorder.requests == []


def test_every_platform_of_this_module_is_registered() -> None:
    for name in ("mastodon", "bluesky", "peertube", "instagram"):
        platform = platform_for(name)
        assert platform.name == name
    assert platform_for("bluesky").default_base_url == "https://public.api.bsky.app"
    assert platform_for("mastodon").default_base_url == ""
    assert platform_for("peertube").default_base_url == ""

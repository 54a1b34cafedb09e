"""OPML: export is a golden file, import refuses what is not an http(s) feed and never
expands entities, and export -> import gives the same follows."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devfeed.config import parse_config
from devfeed.config_edit import add_follows
from devfeed.errors import UsageError
from devfeed.models import PLATFORM_NAMES, Follow
from devfeed.opml import DEVFEED_NS, export_opml, parse_opml, public_feed_url
from devfeed.sanitize import clean_line
from tests.conftest import DATA, FROZEN_NOW

OPML = DATA / "opml"
UPDATE = os.environ.get("DEVFEED_UPDATE_GOLDEN") == "1"


def follows_of(path: Path) -> tuple[Follow, ...]:
    return parse_config(path.read_text(encoding="utf-8"), path).follows


def test_export_matches_its_golden_file() -> None:
    text = export_opml(follows_of(OPML / "follows.toml"), created=FROZEN_NOW)
    golden = OPML / "export.opml"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_other_readers_find_a_feed_for_every_follow_that_has_one() -> None:
    follows = follows_of(OPML / "follows.toml")
    root = ET.fromstring(export_opml(follows, created=FROZEN_NOW))
    assert root.get("version") == "2.0"
    outlines = [o for o in root.iter("outline") if o.get(f"{{{DEVFEED_NS}}}platform")]
    assert len(outlines) == len(follows)
    feeds = {o.get("text"): o.get("xmlUrl") for o in outlines if o.get("type") == "rss"}
    assert feeds["Julia Evans"] == "https://jvns.ca/atom.xml"
    assert feeds["ArjanCodes"] == (
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCVhQ2NnY5Rskt6UjCUkJ_DA"
    )
    assert feeds["#python on fosstodon.org (mastodon)"] == "https://fosstodon.org/tags/python.rss"
    assert feeds["@alice on http://127.0.0.1:8081 (mastodon)"] == "http://127.0.0.1:8081/@alice.rss"
    assert feeds["#c# (stackoverflow)"] == "https://stackoverflow.com/feeds/tag/c%23"
    # no public feed: marked as devfeed's own, without an xmlUrl other readers would poll
    without = {o.get("text") for o in outlines if o.get("type") == "devfeed"}
    assert without == {
        "@Computerphile (youtube)",
        "#python (bluesky)",
        "@pg (hackernews)",
        "#coding (instagram)",
    }
    assert all(o.get("xmlUrl") is None for o in outlines if o.get("type") == "devfeed")
    # the first tag is a folder, all tags are the category
    folders = [o.get("text") for o in root.find("body") or [] if o.get("xmlUrl") is None]
    assert folders[:3] == ["blogs", "podcasts", "python"]
    talk = next(o for o in outlines if "Talk Python" in (o.get("text") or ""))
    assert talk.get("category") == "podcasts,python"
    assert talk.get("text") == 'Talk Python <To> Me & "friends"'


def test_export_then_import_gives_the_same_follows() -> None:
    follows = follows_of(OPML / "follows.toml")
    found = parse_opml(export_opml(follows, created=FROZEN_NOW).encode())
    assert found.skipped == ()
    assert sorted(found.follows, key=lambda f: f.key) == sorted(follows, key=lambda f: f.key)
    again = parse_opml(export_opml(follows, created=FROZEN_NOW).encode(), existing=follows)
    assert again.follows == ()
    assert {s.reason for s in again.skipped} == {"already followed"}


def test_a_readers_opml_becomes_follows_with_tags_and_every_refusal_is_reported() -> None:
    existing = parse_config(
        '[[follow]]\nplatform = "rss"\nurl = "https://simonwillison.net/atom/everything/"\n'
    ).follows
    found = parse_opml((OPML / "newsreader.opml").read_bytes(), existing=existing)
    assert found.title == "My subscriptions & more"
    imported = [f.model_dump(exclude_defaults=True) for f in found.follows]
    assert imported == [
        {"platform": "rss", "url": "https://jvns.ca/atom.xml", "name": "Julia Evans"},
        {
            "platform": "rss",
            "url": "https://realpython.com/atom.xml",
            "name": "Real Python",
            "tags": ("Tech", "Python", "tutorials", "weekly"),
        },
        {"platform": "reddit", "hashtag": "Python", "name": "r/Python", "tags": ("Tech", "Python")},
        {"platform": "github", "profile": "astral-sh/uv", "name": "uv releases", "tags": ("Tech",)},
        {
            "platform": "youtube",
            "profile": "UCVhQ2NnY5Rskt6UjCUkJ_DA",
            "name": "Talks",
            "tags": ("Tech",),
        },
        {
            "platform": "mastodon",
            "instance": "fosstodon.org",
            "hashtag": "rust",
            "name": "#rust on fosstodon",
            "tags": ("Tech",),
        },
        {
            "platform": "reddit",
            "url": "https://www.reddit.com/r/programming/top/.rss?t=week",
            "name": "Top of the week",
            "tags": ("Tech",),
        },
    ]
    reasons = {s.outline: s.reason for s in found.skipped}
    assert reasons == {
        "Runs a command": "its scheme is javascript: and only http(s) feeds are imported",
        "Reads a file": "its scheme is file: and only http(s) feeds are imported",
        "newsboat exec": "its scheme is exec: and only http(s) feeds are imported",
        "newsboat filter": "its scheme is filter: and only http(s) feeds are imported",
        "A pipe": "it is not a URL and only http(s) feeds are imported",
        "Not a URL": "it is not a URL and only http(s) feeds are imported",
        "Has a password": "not a valid http(s) URL (spaces, control characters or user info)",
        "Rightto left": "not a valid http(s) URL (spaces, control characters or user info)",
        "No URL at all": "it has no feed URL (xmlUrl)",
        "Julia again": "listed twice in the file",
        "Already followed": "already followed",
    }
    # what is imported is valid feeds.toml
    text = add_follows("", found.follows)
    assert parse_config(text).follows == found.follows


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><head><title>&lol3;</title></head><body/></opml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body>
  <outline text="&secret;" type="rss" xmlUrl="https://a.example/feed"/>
</body></opml>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (BILLION_LAUGHS, "refused"),
        (EXTERNAL_ENTITY, "refused"),
        (b"<rss version='2.0'><channel/></rss>", "root element is <rss>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml><body><outline", "the XML is broken"),
        (b"\x00\x01 not xml", "the XML is broken"),
        (b"", "the XML is broken"),
    ],
)
def test_files_that_are_not_safe_opml_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_opml(data)


def test_a_doctype_without_entities_is_fine_and_opml_1_works() -> None:
    data = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE opml>\n'
        b'<opml version="1.0"><head><title>Caf\xe9</title></head><body>'
        b'<outline title="Old style" xmlurl="https://a.example/rss.xml"/></body></opml>'
    )
    found = parse_opml(data)
    assert found.title == "Café"
    assert [(f.url, f.name) for f in found.follows] == [("https://a.example/rss.xml", "Old style")]


def test_huge_files_and_too_many_outlines_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="larger than"):
        parse_opml(b" " * (10 * 1024 * 1024 + 1))
    monkeypatch.setattr("devfeed.opml.MAX_OUTLINES", 3)
    outlines = "".join(
        f'<outline text="f{n}" xmlUrl="https://a.example/{n}.xml"/>' for n in range(6)
    )
    found = parse_opml(f"<opml><body>{outlines}</body></opml>".encode())
    assert [f.name for f in found.follows] == ["f0", "f1", "f2"]
    assert [s.reason for s in found.skipped] == ["the file has more than 3 outlines"]


def test_deep_folders_do_not_overflow_and_tags_are_capped() -> None:
    depth = 3000
    data = (
        "<opml><body>"
        + "".join(f'<outline text="level{n}">' for n in range(depth))
        + '<outline text="deep" xmlUrl="https://a.example/deep.xml"/>'
        + "</outline>" * depth
        + "</body></opml>"
    ).encode()
    (follow,) = parse_opml(data).follows
    assert follow.tags == tuple(f"level{n}" for n in range(20))


def test_devfeed_attributes_are_checked_like_everything_else() -> None:
    ns = f'xmlns:devfeed="{DEVFEED_NS}"'
    outlines = [
        '<outline text="a" devfeed:platform="tiktok" devfeed:profile="x"/>',
        '<outline text="b" devfeed:platform="mastodon" devfeed:hashtag="python"/>',
        '<outline text="c" devfeed:platform="rss" xmlUrl="javascript:alert(1)"/>',
        '<outline text="d" devfeed:platform="github" devfeed:profile="a b"/>',
        '<outline text="e" devfeed:platform="mastodon" devfeed:instance="javascript:x"'
        ' devfeed:hashtag="python"/>',
        '<outline text="f" devfeed:platform="reddit" devfeed:hashtag="x" devfeed:interval="soon"/>',
        '<outline text="g" devfeed:platform="reddit" devfeed:hashtag="x" devfeed:profile="y"/>',
        '<outline text="h" devfeed:platform="github" devfeed:profile="astral-sh/uv"'
        ' devfeed:interval="1d" devfeed:notify="true" devfeed:name="uv"/>',
    ]
    found = parse_opml(f"<opml {ns}><body>{''.join(outlines)}</body></opml>".encode())
    assert [s.outline for s in found.skipped] == ["a", "b", "c", "d", "e", "f", "g"]
    assert "unknown platform" in found.skipped[0].reason
    assert "needs an instance" in found.skipped[1].reason
    assert found.follows == (
        Follow(
            platform="github",
            profile="astral-sh/uv",
            name="uv",
            interval=timedelta(days=1),
            notify=True,
        ),
    )


def test_public_feed_urls_quote_what_they_embed() -> None:
    follow = Follow(platform="devto", hashtag="../../admin?x=1")
    assert public_feed_url(follow) == "https://dev.to/feed/tag/..%2F..%2Fadmin%3Fx%3D1"


# --- export -> import round trip over generated follows -----------------------------------

WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
HOSTS = st.sampled_from(["fosstodon.org", "mastodon.social", "http://127.0.0.1:8081"])
TEXT = (
    st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Co", "Cn")),
        min_size=1,
        max_size=40,
    )
    .map(clean_line)
    .filter(bool)
)
TAG = TEXT.map(lambda t: clean_line(t.replace(",", " ").replace("/", " "))).filter(bool)


def _targets() -> st.SearchStrategy[dict[str, str]]:
    return st.one_of(
        st.builds(
            lambda h, p: {"platform": "rss", "url": f"https://{h}.example/{p}.xml"}, WORD, WORD
        ),
        st.builds(lambda i, t: {"platform": "mastodon", "instance": i, "hashtag": t}, HOSTS, WORD),
        st.builds(lambda i, p: {"platform": "mastodon", "instance": i, "profile": p}, HOSTS, WORD),
        st.builds(lambda i, p: {"platform": "peertube", "instance": i, "profile": p}, HOSTS, WORD),
        st.builds(lambda p: {"platform": "youtube", "profile": f"UC{p:_<22}"[:24]}, WORD),
        st.builds(lambda p: {"platform": "youtube", "profile": f"@{p}"}, WORD),
        st.builds(lambda o, r: {"platform": "github", "profile": f"{o}/{r}"}, WORD, WORD),
        st.builds(
            lambda platform, t: {"platform": platform, "hashtag": t},
            st.sampled_from(
                [
                    "reddit",
                    "lobsters",
                    "devto",
                    "stackoverflow",
                    "bluesky",
                    "hackernews",
                    "instagram",
                ]
            ),
            WORD,
        ),
        st.builds(
            lambda platform, p: {"platform": platform, "profile": p},
            st.sampled_from(
                ["reddit", "lobsters", "devto", "stackoverflow", "hackernews", "instagram"]
            ),
            WORD,
        ),
        st.builds(lambda p: {"platform": "bluesky", "profile": f"{p}.bsky.social"}, WORD),
        st.builds(
            lambda platform, h: {"platform": platform, "url": f"http://{h}.example/feed?x=1&y=2"},
            st.sampled_from(PLATFORM_NAMES),
            WORD,
        ),
    )


FOLLOW = st.builds(
    lambda target, name, minutes, tags, notify: Follow(
        **target,
        name=name,
        interval=timedelta(minutes=minutes) if minutes else None,
        tags=tuple(dict.fromkeys(tags)),
        notify=notify,
    ),
    _targets(),
    st.none() | TEXT,
    st.none() | st.integers(min_value=1, max_value=20000),
    st.lists(TAG, max_size=3),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FOLLOW, max_size=8, unique_by=lambda f: f.key))
def test_round_trip_export_import_over_generated_follows(follows: list[Follow]) -> None:
    # they are follows feeds.toml accepts ...
    assert list(parse_config(add_follows("", follows)).follows) == follows
    # ... and OPML carries every field of every one of them
    found = parse_opml(export_opml(follows, created=FROZEN_NOW).encode())
    assert found.skipped == ()
    assert sorted(found.follows, key=lambda f: f.key) == sorted(follows, key=lambda f: f.key)
    # importing again adds nothing
    assert (
        parse_opml(export_opml(follows, created=FROZEN_NOW).encode(), existing=follows).follows
        == ()
    )

"""What people paste into `devfeed follow`: each form becomes exactly the follow
feeds.toml writes, and everything else is a clear usage error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devfeed.config import parse_config
from devfeed.config_edit import follow_table
from devfeed.errors import UsageError
from devfeed.targets import (
    check_instance,
    follow_for_feed_url,
    parse_target,
)

CHANNEL = "UCVhQ2NnY5Rskt6UjCUkJ_DA"
PLAYLIST = "PLlrxD0HtieHhS8VzuMCfQD4uJ9yne1mE6"

# (pasted, --platform, --instance) -> the follow's fields
# fmt: off
PASTED: list[tuple[str, str | None, str | None, dict[str, Any]]] = [
    ("https://blog.example.org/feed.xml", None, None, {"platform": "rss", "url": "https://blog.example.org/feed.xml"}),
    ("http://127.0.0.1:8080/podcast.rss", None, None, {"platform": "rss", "url": "http://127.0.0.1:8080/podcast.rss"}),
    ("  https://jvns.ca/atom.xml\n", None, None, {"platform": "rss", "url": "https://jvns.ca/atom.xml"}),
    ("blog.example.org/index.xml", None, None, {"platform": "rss", "url": "https://blog.example.org/index.xml"}),
    (f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}", "rss", None, {"platform": "rss", "url": f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"}),
    ("https://medium.com/@someone", None, None, {"platform": "rss", "url": "https://medium.com/feed/@someone"}),
    (f"https://www.youtube.com/channel/{CHANNEL}", None, None, {"platform": "youtube", "profile": CHANNEL}),
    (f"https://m.youtube.com/channel/{CHANNEL}/videos", None, None, {"platform": "youtube", "profile": CHANNEL}),
    ("https://www.youtube.com/@ArjanCodes", None, None, {"platform": "youtube", "profile": "@ArjanCodes"}),
    ("https://youtube.com/@ArjanCodes/videos", None, None, {"platform": "youtube", "profile": "@ArjanCodes"}),
    ("youtube.com/@ArjanCodes", None, None, {"platform": "youtube", "profile": "@ArjanCodes"}),
    ("https://www.youtube.com/c/ArjanCodes", None, None, {"platform": "youtube", "profile": "@ArjanCodes"}),
    ("https://www.youtube.com/user/Computerphile", None, None, {"platform": "youtube", "profile": "Computerphile"}),
    ("@ArjanCodes", None, None, {"platform": "youtube", "profile": "@ArjanCodes"}),
    ("@ArjanCodes", "youtube", None, {"platform": "youtube", "profile": "@ArjanCodes"}),
    (CHANNEL, "youtube", None, {"platform": "youtube", "profile": CHANNEL}),
    (f"https://www.youtube.com/playlist?list={PLAYLIST}", None, None, {"platform": "youtube", "profile": PLAYLIST}),
    (f"https://www.youtube.com/watch?v=dQw4w9WgXcQ&list={PLAYLIST}", None, None, {"platform": "youtube", "profile": PLAYLIST}),
    (f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}", None, None, {"platform": "youtube", "profile": CHANNEL}),
    ("https://fosstodon.org/@user", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("fosstodon.org/@user", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("https://Fosstodon.org/@user/with_replies", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("https://fosstodon.org/@alice@mastodon.social", None, None, {"platform": "mastodon", "instance": "mastodon.social", "profile": "alice"}),
    ("http://127.0.0.1:8081/@alice", None, None, {"platform": "mastodon", "instance": "http://127.0.0.1:8081", "profile": "alice"}),
    ("https://fosstodon.org/@user.rss", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("https://fosstodon.org/tags/python", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "hashtag": "python"}),
    ("https://social.example/tags/python", "mastodon", None, {"platform": "mastodon", "instance": "social.example", "hashtag": "python"}),
    ("@user@fosstodon.org", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("user@fosstodon.org", None, None, {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("@user", "mastodon", "https://fosstodon.org/", {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("#python", "mastodon", "fosstodon.org", {"platform": "mastodon", "instance": "fosstodon.org", "hashtag": "python"}),
    ("#python", None, "fosstodon.org", {"platform": "mastodon", "instance": "fosstodon.org", "hashtag": "python"}),
    ("#python", "mastodon", "http://127.0.0.1:8081", {"platform": "mastodon", "instance": "http://127.0.0.1:8081", "hashtag": "python"}),
    ("#Rust", "lobsters", None, {"platform": "lobsters", "hashtag": "rust"}),
    ("#python", "devto", None, {"platform": "devto", "hashtag": "python"}),
    ("#c#", "stackoverflow", None, {"platform": "stackoverflow", "hashtag": "c#"}),
    ("#rust", "hackernews", None, {"platform": "hackernews", "hashtag": "rust"}),
    ("#python", "bluesky", None, {"platform": "bluesky", "hashtag": "python"}),
    ("#python", "reddit", None, {"platform": "reddit", "hashtag": "python"}),
    ("#blender", "peertube", "framatube.org", {"platform": "peertube", "instance": "framatube.org", "hashtag": "blender"}),
    ("#coding", "instagram", None, {"platform": "instagram", "hashtag": "coding"}),
    ("r/python", None, None, {"platform": "reddit", "hashtag": "python"}),
    ("/r/rust/", None, None, {"platform": "reddit", "hashtag": "rust"}),
    ("https://www.reddit.com/r/Python/", None, None, {"platform": "reddit", "hashtag": "Python"}),
    ("https://old.reddit.com/r/programming/new/", None, None, {"platform": "reddit", "hashtag": "programming"}),
    ("https://www.reddit.com/r/python/new/.rss", None, None, {"platform": "reddit", "hashtag": "python"}),
    ("https://www.reddit.com/user/spez", None, None, {"platform": "reddit", "profile": "spez"}),
    ("https://www.reddit.com/u/spez/submitted/", None, None, {"platform": "reddit", "profile": "spez"}),
    ("u/spez", None, None, {"platform": "reddit", "profile": "spez"}),
    ("https://github.com/astral-sh/uv", None, None, {"platform": "github", "profile": "astral-sh/uv"}),
    ("https://github.com/astral-sh/uv.git", None, None, {"platform": "github", "profile": "astral-sh/uv"}),
    ("https://github.com/astral-sh/uv/releases/tag/0.5.0", None, None, {"platform": "github", "profile": "astral-sh/uv"}),
    ("https://github.com/astral-sh/uv/releases.atom", None, None, {"platform": "github", "profile": "astral-sh/uv"}),
    ("https://github.com/torvalds", None, None, {"platform": "github", "profile": "torvalds"}),
    ("https://github.com/orgs/Textualize", None, None, {"platform": "github", "profile": "Textualize"}),
    ("Textualize/textual", "github", None, {"platform": "github", "profile": "Textualize/textual"}),
    ("https://github.com/astral-sh/uv/commits/main.atom", None, None, {"platform": "github", "url": "https://github.com/astral-sh/uv/commits/main.atom"}),
    ("https://dev.to/t/python", None, None, {"platform": "devto", "hashtag": "python"}),
    ("https://dev.to/t/Python/top/week", None, None, {"platform": "devto", "hashtag": "python"}),
    ("https://dev.to/ben", None, None, {"platform": "devto", "profile": "ben"}),
    ("https://dev.to/feed/tag/rust", None, None, {"platform": "devto", "hashtag": "rust"}),
    ("@ben", "devto", None, {"platform": "devto", "profile": "ben"}),
    ("https://lobste.rs/t/rust", None, None, {"platform": "lobsters", "hashtag": "rust"}),
    ("https://lobste.rs/t/rust.rss", None, None, {"platform": "lobsters", "hashtag": "rust"}),
    ("https://lobste.rs/t/rust,python", None, None, {"platform": "lobsters", "url": "https://lobste.rs/t/rust,python.rss"}),
    ("https://lobste.rs/~pushcx", None, None, {"platform": "lobsters", "profile": "pushcx"}),
    ("https://lobste.rs/~pushcx/stories.rss", None, None, {"platform": "lobsters", "profile": "pushcx"}),
    ("https://stackoverflow.com/questions/tagged/python-asyncio", None, None, {"platform": "stackoverflow", "hashtag": "python-asyncio"}),
    ("https://stackoverflow.com/questions/tagged/c%23", None, None, {"platform": "stackoverflow", "hashtag": "c#"}),
    ("https://stackoverflow.com/tags/rust/info", None, None, {"platform": "stackoverflow", "hashtag": "rust"}),
    ("https://stackoverflow.com/users/22656/jon-skeet", None, None, {"platform": "stackoverflow", "profile": "22656"}),
    ("https://superuser.com/questions/tagged/bash", None, None, {"platform": "stackoverflow", "url": "https://superuser.com/feeds/tag/bash"}),
    ("https://bsky.app/profile/alice.bsky.social", None, None, {"platform": "bluesky", "profile": "alice.bsky.social"}),
    ("https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur", None, None, {"platform": "bluesky", "profile": "did:plc:z72i7hdynmk6r22z27h6tvur"}),
    ("https://bsky.app/hashtag/python", None, None, {"platform": "bluesky", "hashtag": "python"}),
    ("@Alice.bsky.social", "bluesky", None, {"platform": "bluesky", "profile": "alice.bsky.social"}),
    ("@alice", "bluesky", None, {"platform": "bluesky", "profile": "alice.bsky.social"}),
    ("https://framatube.org/c/framasoft_channel/videos", None, None, {"platform": "peertube", "instance": "framatube.org", "profile": "framasoft_channel"}),
    ("https://framatube.org/video-channels/framasoft", None, None, {"platform": "peertube", "instance": "framatube.org", "profile": "framasoft"}),
    ("https://tube.example/c/blender@video.blender.org", "peertube", None, {"platform": "peertube", "instance": "video.blender.org", "profile": "blender"}),
    ("https://news.ycombinator.com/user?id=pg", None, None, {"platform": "hackernews", "profile": "pg"}),
    ("https://news.ycombinator.com/submitted?id=dang", None, None, {"platform": "hackernews", "profile": "dang"}),
    ("https://www.instagram.com/nasa/", None, None, {"platform": "instagram", "profile": "nasa"}),
    ("https://www.instagram.com/explore/tags/python/", None, None, {"platform": "instagram", "hashtag": "python"}),
]
# fmt: on


def _id(case: tuple[str, str | None, str | None, dict[str, Any]]) -> str:
    text, platform, instance, _ = case
    return " ".join(part for part in (text.strip(), platform, instance) if part)


@pytest.mark.parametrize("case", PASTED, ids=[_id(c) for c in PASTED])
def test_pasted_forms_become_the_follow_feeds_toml_writes(
    case: tuple[str, str | None, str | None, dict[str, Any]],
) -> None:
    text, platform, instance, expected = case
    follow = parse_target(text, platform=platform, instance=instance).follow
    assert follow.model_dump(exclude_defaults=True) == expected
    # what is written is a valid follow of feeds.toml, and reads back as the same follow
    (loaded,) = parse_config(follow_table(follow)).follows
    assert loaded == follow


def test_at_least_thirty_pasted_forms_are_covered() -> None:
    assert len(PASTED) >= 30
    assert {expected["platform"] for *_, expected in PASTED} == {
        "rss", "youtube", "mastodon", "peertube", "reddit", "github", "devto", "lobsters",
        "stackoverflow", "bluesky", "hackernews", "instagram",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "platform", "instance", "message"),
    [
        ("javascript:alert(1)", None, None, "only http:// and https:// URLs"),
        ("JavaScript:alert(document.cookie)", None, None, "only http:// and https:// URLs"),
        ("file:///etc/passwd", None, None, "only http:// and https:// URLs"),
        ("data:text/html,<script>alert(1)</script>", None, None, "only http:// and https://"),
        ("ftp://ftp.example.org/feed.xml", None, None, "only http:// and https://"),
        ("--config=/etc/passwd", None, None, "looks like an option"),
        ("-x", None, None, "looks like an option"),
        ("https://example.org/feed\x1b[31m.xml", None, None, "control characters"),
        ("https://example.org/\x00feed", None, None, "control characters"),
        ("#py\u202ethon", "mastodon", "fosstodon.org", "control characters"),
        ("https://exa mple.org/feed", None, None, "spaces"),
        ("   ", None, None, "nothing to follow"),
        ("", None, None, "nothing to follow"),
        ("https://user:secret@example.org/feed", None, None, "no user info"),
        ("https://" + "a" * 2100 + ".org/", None, None, "longer than"),
        ("#python", None, None, "which platform"),
        ("#python", "mastodon", None, "needs an instance"),
        ("#python", "youtube", None, "has no hashtags"),
        ("#python", "rss", None, "has no hashtags"),
        ("#two words", "devto", None, "spaces"),
        ("#a/b", "lobsters", None, "not a lobsters tag"),
        ("#x", "reddit", None, "not a subreddit name"),
        ("@user", "mastodon", None, "needs an instance"),
        ("@user", "github", "fosstodon.org", "--instance is for federated platforms"),
        ("@user@fosstodon.org", "github", None, "not a github profile"),
        ("python", None, None, "cannot tell what"),
        ("python", "devto", None, "cannot tell what"),
        ("Textualize/textual", None, None, "--platform github"),
        ("https://example.org/feed.xml", "tiktok", None, "unknown platform"),
        ("#python", "mastodn", "fosstodon.org", "did you mean 'mastodon'"),
        ("#python", "mastodon", "javascript:alert(1)", "is not an instance"),
        ("#python", "mastodon", "fosstodon.org/admin", "is not an instance"),
        ("#python", "mastodon", "user@fosstodon.org", "is not an instance"),
        ("https://youtu.be/dQw4w9WgXcQ", None, None, "a single video"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", None, None, "a single video"),
        ("https://www.youtube.com/shorts/abc", None, None, "a single video"),
        ("https://fosstodon.org/@user/111222333", None, None, "a single post"),
        ("https://www.reddit.com/r/python/comments/abc/title/", None, None, "a single Reddit post"),
        ("https://stackoverflow.com/questions/123/how", None, None, "a single question"),
        ("https://stackoverflow.com/questions/tagged/python+asyncio", None, None, "one Stack"),
        ("https://dev.to/ben/my-post-1a2b", None, None, "a single article"),
        ("https://bsky.app/profile/alice.bsky.social/post/3k", None, None, "a single Bluesky post"),
        ("https://github.com/features", None, None, "cannot place this GitHub URL"),
        ("https://www.youtube.com/", None, None, "cannot place this YouTube URL"),
        ("https://github.com/astral-sh/uv", "mastodon", None, "is a github URL, not mastodon"),
        ("https://fosstodon.org/@user", "mastodon", "mastodon.social", "not on --instance"),
        ("https://framatube.org/a/someone", "peertube", None, "PeerTube account"),
        ("@x", None, None, "not a youtube profile"),
        ("@user@fosstodon.org", "peertube", "framatube.org", "lives on fosstodon.org"),
    ],
)
def test_hostile_and_unplaceable_targets_are_usage_errors(
    text: str, platform: str | None, instance: str | None, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(text, platform=platform, instance=instance)
    assert message in str(caught.value)
    # the message is safe to print: no control characters came through from the input
    assert not any(ord(ch) < 32 and ch != "\n" for ch in str(caught.value))


def test_an_error_without_a_clue_lists_what_can_be_pasted() -> None:
    with pytest.raises(UsageError) as caught:
        parse_target("python")
    message = str(caught.value)
    assert "devfeed follow https://www.youtube.com/@ArjanCodes" in message
    assert "devfeed follow '#python' --platform mastodon --instance fosstodon.org" in message
    assert "devfeed follow r/python" in message


def test_guesses_come_with_a_note_and_certain_forms_without() -> None:
    assert parse_target("@ArjanCodes").note is not None  # could have been another platform
    assert "handle" in (parse_target("https://www.youtube.com/c/ArjanCodes").note or "")
    assert "web page" in (parse_target("https://blog.example.org/").note or "")
    assert parse_target("https://blog.example.org/feed.xml").note is None
    assert parse_target(f"https://www.youtube.com/channel/{CHANNEL}").note is None


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("fosstodon.org", "fosstodon.org"),
        ("Fosstodon.ORG", "fosstodon.org"),
        ("https://fosstodon.org/", "fosstodon.org"),
        ("https://fosstodon.org:443", "fosstodon.org"),
        ("fosstodon.org:8443", "https://fosstodon.org:8443"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_instances_are_normalized_so_keys_compare(value: str, normalized: str) -> None:
    assert check_instance(value) == normalized


# fmt: off
FEEDS: list[tuple[str, dict[str, Any]]] = [
    (f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}", {"platform": "youtube", "profile": f"{CHANNEL}"}),
    (f"https://www.youtube.com/feeds/videos.xml?playlist_id={PLAYLIST}", {"platform": "youtube", "profile": f"{PLAYLIST}"}),
    ("https://www.reddit.com/r/python/new/.rss", {"platform": "reddit", "hashtag": "python"}),
    ("https://www.reddit.com/r/python/.rss", {"platform": "reddit", "hashtag": "python"}),
    ("https://www.reddit.com/r/python/top/.rss?t=week", {"platform": "reddit", "url": "https://www.reddit.com/r/python/top/.rss?t=week"}),
    ("https://www.reddit.com/user/spez/submitted/.rss", {"platform": "reddit", "profile": "spez"}),
    ("https://github.com/astral-sh/uv/releases.atom", {"platform": "github", "profile": "astral-sh/uv"}),
    ("https://github.com/torvalds.atom", {"platform": "github", "profile": "torvalds"}),
    ("https://fosstodon.org/@user.rss", {"platform": "mastodon", "instance": "fosstodon.org", "profile": "user"}),
    ("https://fosstodon.org/tags/python.rss", {"platform": "mastodon", "instance": "fosstodon.org", "hashtag": "python"}),
    ("https://lobste.rs/t/rust.rss", {"platform": "lobsters", "hashtag": "rust"}),
    ("https://stackoverflow.com/feeds/tag/python", {"platform": "stackoverflow", "hashtag": "python"}),
    ("https://dev.to/feed/ben", {"platform": "devto", "profile": "ben"}),
    ("https://example.com/@someone", {"platform": "rss", "url": "https://example.com/@someone"}),
    ("https://discuss.example.org/c/ideas/videos", {"platform": "rss", "url": "https://discuss.example.org/c/ideas/videos"}),
    ("https://github.com/astral-sh/uv", {"platform": "rss", "url": "https://github.com/astral-sh/uv"}),
    ("https://www.youtube.com/feeds/videos.xml?channel_id=nope", {"platform": "youtube", "url": "https://www.youtube.com/feeds/videos.xml?channel_id=nope"}),
    # pages and unknown hosts stay as they are: an OPML xmlUrl is a feed, not a page
]
# fmt: on


@pytest.mark.parametrize(("url", "expected"), FEEDS)
def test_feed_urls_of_known_platforms_become_their_follows(
    url: str, expected: dict[str, Any]
) -> None:
    assert follow_for_feed_url(url).model_dump(exclude_defaults=True) == expected


def test_feed_urls_must_be_http() -> None:
    for url in ("javascript:alert(1)", "file:///etc/passwd", "feed.xml"):
        with pytest.raises(UsageError):
            follow_for_feed_url(url)


@given(st.text(max_size=80))
def test_any_text_is_placed_or_refused_never_crashes(text: str) -> None:
    try:
        follow = parse_target(text).follow
    except UsageError:
        return
    # whatever is accepted is a follow feeds.toml takes, and an http(s) URL if a URL
    (loaded,) = parse_config(follow_table(follow)).follows
    assert loaded == follow
    assert follow.url is None or follow.url.startswith(("http://", "https://"))

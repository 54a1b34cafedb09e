"""A small world of entries that dedup must group: cross-posts, boosts, discussions, a
dev.to copy tying two stories, a video in three URL forms, and lookalikes that must stay
apart. `GROUPS` is the truth: entries with the same label are one story."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from devfeed.models import ParsedEntry
from tests.conftest import FROZEN_NOW

CROSS = (
    "Wrote up how we moved our feed reader to SQLite WAL mode: readers never block the "
    "poller any more and p99 page loads dropped from 180 ms to 12 ms."
)


def _e(label: str, hours: float, **fields: Any) -> tuple[str, ParsedEntry]:
    fields.setdefault("author", "Ada Lovelace")
    return label, ParsedEntry(published=FROZEN_NOW - timedelta(hours=hours), **fields)


CASES: list[tuple[str, ParsedEntry]] = [
    _e(
        "wal", 30, platform="rss", native_id="blog-wal", kind="article",
        url="https://blog.example.org/posts/wal-mode/", title="What WAL mode buys a feed reader",
        text="The long article about WAL mode and readers that never block.",
    ),
    _e(
        "wal", 20, platform="hackernews", native_id="41000001", kind="discussion",
        url="https://news.ycombinator.com/item?id=41000001",
        link="https://blog.example.org/posts/wal-mode?utm_source=hn",
        comments_url="https://news.ycombinator.com/item?id=41000001", comments=120, score=310,
        title="What WAL mode buys a feed reader", author="pg_fan",
    ),
    _e(
        "wal", 22, platform="lobsters", native_id="abc123", kind="discussion",
        url="https://lobste.rs/s/abc123", link="http://www.blog.example.org/posts/wal-mode/",
        comments_url="https://lobste.rs/s/abc123", comments=14,
        title="What WAL mode buys a feed reader", author="crustacean",
    ),
    _e(
        "wal", 29, platform="mastodon", native_id="https://hachyderm.example/users/ada/statuses/1",
        kind="post", url="https://hachyderm.example/@ada/1",
        link="https://m.blog.example.org/posts/wal-mode#intro", title=CROSS[:80],
        text=CROSS + " #sqlite", author_handle="@ada@hachyderm.example",
    ),
    _e(
        "wal", 28.5, platform="bluesky", native_id="at://did:plc:ada/app.bsky.feed.post/1",
        kind="post", url="https://bsky.app/profile/ada.bsky.example/post/1", title=CROSS[:80],
        text=CROSS, author_handle="ada.bsky.example",
    ),
    _e(
        "devto", 10, platform="devto", native_id="2001", kind="article",
        url="https://dev.to/ada/parsing-feeds-fast-3kd1",
        link="https://blog.example.org/posts/parsing-feeds-fast/",
        title="Parsing feeds fast", text="Cross-posted from my blog.",
        author_handle="ada",
    ),
    _e(
        "devto", 12, platform="rss", native_id="blog-parse", kind="article",
        url="https://blog.example.org/posts/parsing-feeds-fast",
        title="Parsing feeds fast", text="The original article.",
    ),
    _e(
        "devto", 9, platform="mastodon", native_id="https://hachyderm.example/users/bob/statuses/7",
        kind="post", url="https://hachyderm.example/@bob/7",
        link="https://dev.to/ada/parsing-feeds-fast-3kd1?ref=mastodon",
        title="Great read on parsing feeds", text="Great read on parsing feeds", author="Bob",
        author_handle="@bob@hachyderm.example",
    ),
    _e(
        "video", 5, platform="youtube", native_id="yt:video:dQw4w9WgXcQ", kind="video",
        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", title="Async Python in 20 minutes",
        duration_s=1260, author="Compiler Corner",
    ),
    _e(
        "video", 4, platform="mastodon", native_id="https://fosstodon.example/users/cc/statuses/9",
        kind="post", url="https://fosstodon.example/@cc/9",
        link="https://youtu.be/dQw4w9WgXcQ?t=30", title="New video", text="New video",
        author="Compiler Corner", author_handle="@cc@fosstodon.example",
    ),
    _e(
        "video", 3, platform="reddit", native_id="t3_v1", kind="discussion",
        url="https://www.reddit.com/r/Python/comments/v1/", link="https://m.youtube.com/shorts/dQw4w9WgXcQ",
        title="Async Python in 20 minutes", author="u/someone", comments=8,
        comments_url="https://www.reddit.com/r/Python/comments/v1/",
    ),
    _e(
        "morning-rust", 2, platform="mastodon",
        native_id="https://hachyderm.example/users/ada/statuses/20", kind="post",
        url="https://hachyderm.example/@ada/20",
        title="Good morning! Streaming Rust at 5pm today",
        text="Good morning! Streaming Rust at 5pm today, we build an HTTP server from scratch.",
        author_handle="@ada@hachyderm.example",
    ),
    _e(
        "morning-go", 2, platform="bluesky", native_id="at://did:plc:ada/app.bsky.feed.post/20",
        kind="post", url="https://bsky.app/profile/ada.bsky.example/post/20",
        title="Good morning! Streaming Go at 6pm today",
        text="Good morning! Streaming Go at 6pm today, we build a small KV store from scratch.",
        author_handle="ada.bsky.example",
    ),
    _e(
        "bob-cross", 1, platform="bluesky", native_id="at://did:plc:bob/app.bsky.feed.post/3",
        kind="post", url="https://bsky.app/profile/bob.bsky.example/post/3", title=CROSS[:80],
        text=CROSS, author="Bob", author_handle="bob.bsky.example",
    ),
    _e(
        "home", 1, platform="rss", native_id="pod-1", kind="podcast",
        url="https://podcast.example.fm/", title="Episode 1", text="First episode.",
    ),
    _e(
        "home-2", 1, platform="rss", native_id="pod-2", kind="podcast",
        url="https://podcast.example.fm/", title="Episode 2", text="Second episode.",
    ),
]  # fmt: skip
"""(label, entry): entries with one label are one story, and no other."""

ENTRIES: list[ParsedEntry] = [entry for _, entry in CASES]
GROUPS: set[frozenset[tuple[str, str]]] = {
    frozenset((e.platform, e.native_id) for label, e in CASES if label == name)
    for name in {label for label, _ in CASES}
}

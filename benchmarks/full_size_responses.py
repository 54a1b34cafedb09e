"""The JSON platforms and YouTube's page readers on responses of their real size.

Run: python benchmarks/full_size_responses.py
Synthetic responses sized like real ones (an Algolia page of 50 hits, 30 dev.to articles,
25 Lobsters stories, a ~1.3 MB YouTube watch page and channel page). Prints a table of the
median time per call; parsing runs in the poller's worker thread, never on the event loop.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

import httpx

from devfeed.models import Follow
from devfeed.platforms.devto import DevTo
from devfeed.platforms.hackernews import HackerNews
from devfeed.platforms.lobsters import Lobsters
from devfeed.platforms.youtube import channel_id_from_page, duration_from_watch_page

CHANNEL = "UCq8Wd0a4zv3LHmL0nVxR1mA"


def response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, request=httpx.Request("GET", "https://x.test/"))


def hn_page(n: int = 50) -> bytes:
    hits = [
        {
            "_tags": ["story", f"author_user{i}", f"story_{46000000 + i}"],
            "author": f"user{i}",
            "created_at_i": 1795791845 - i * 60,
            "num_comments": i,
            "objectID": str(46000000 + i),
            "points": i * 3,
            "story_text": "<p>Some <i>text</i> with a <a href='https://example.org'>link</a>.</p>"
            * 5,
            "title": f"Story number {i} about Python and Rust",
            "url": f"https://blog{i}.example.org/post/{i}?utm_source=hn",
        }
        for i in range(n)
    ]
    return json.dumps({"hits": hits, "hitsPerPage": n}).encode()


def devto_page(n: int = 30) -> bytes:
    return json.dumps(
        [
            {
                "id": 3000000 + i,
                "title": f"Article {i}",
                "description": "A description of a reasonable length for a dev.to article.",
                "url": f"https://dev.to/u{i}/article-{i}",
                "canonical_url": f"https://blog{i}.example.org/article-{i}",
                "comments_count": i,
                "positive_reactions_count": i * 2,
                "published_timestamp": "2026-11-27T13:45:00Z",
                "reading_time_minutes": 4,
                "tag_list": ["python", "webdev", "tutorial"],
                "user": {"name": f"User {i}", "username": f"u{i}"},
            }
            for i in range(n)
        ]
    ).encode()


def lobsters_page(n: int = 25) -> bytes:
    return json.dumps(
        [
            {
                "short_id": f"ab{i:04d}",
                "short_id_url": f"https://lobste.rs/s/ab{i:04d}",
                "created_at": "2026-11-27T10:15:42.000-06:00",
                "title": f"Story {i}",
                "url": f"https://example.org/{i}",
                "score": i,
                "comment_count": i,
                "description_plain": "",
                "comments_url": f"https://lobste.rs/s/ab{i:04d}/story",
                "submitter_user": f"user{i}",
                "tags": ["rust", "programming"],
            }
            for i in range(n)
        ]
    ).encode()


def youtube_page(head: str) -> bytes:
    filler = json.dumps(
        {"items": [{"channelId": "UCzzOtherChannelRecommd0", "text": "x" * 200}] * 5000}
    )
    return (
        f"<!DOCTYPE html><html><head>{head}</head><body>"
        f"<script>var ytInitialData = {filler};</script></body></html>"
    ).encode()


def median_ms(call: Callable[[], object], rounds: int = 30) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    hn, devto, lobsters = response(hn_page()), response(devto_page()), response(lobsters_page())
    watch = youtube_page('<meta itemprop="duration" content="PT12M34S">')
    channel = youtube_page(
        f'<link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}">'
    )
    rows = [
        ("hackernews: 50 hits", len(hn.content), lambda: HackerNews().parse(Follow(platform="hackernews", hashtag="p"), hn)),  # noqa: E501
        ("devto: 30 articles", len(devto.content), lambda: DevTo().parse(Follow(platform="devto", hashtag="p"), devto)),  # noqa: E501
        ("lobsters: 25 stories", len(lobsters.content), lambda: Lobsters().parse(Follow(platform="lobsters", hashtag="p"), lobsters)),  # noqa: E501
        ("youtube: watch page length", len(watch), lambda: duration_from_watch_page(watch)),
        ("youtube: channel page id", len(channel), lambda: channel_id_from_page(channel)),
    ]  # fmt: skip
    print(f"{'what':<30} {'bytes':>10} {'median ms':>10}")
    for name, size, call in rows:
        print(f"{name:<30} {size:>10,} {median_ms(call):>10.2f}")


if __name__ == "__main__":
    main()
